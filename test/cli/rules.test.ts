import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const tsx = join(root, 'node_modules/.bin/tsx');
let dir = '';

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string; lines: Record<string, unknown>[] } {
  const r = spawnSync(tsx, [join(root, 'src/cli/rules.ts'), ...args], { cwd: root, encoding: 'utf8', timeout: 30_000 });
  const lines = r.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, lines };
}

const coding = (system: string, code: string) => ({ coding: [{ system, code }] });
const ada = [
  { resourceType: 'Patient', id: 'ada', gender: 'female', birthDate: '1973-03-10', meta: { versionId: '2' } },
  { resourceType: 'Procedure', id: 'colo', status: 'completed', code: coding('http://snomed.info/sct', '73761001'), performedDateTime: '2013-05-01' },
  { resourceType: 'Encounter', id: 'visit', status: 'finished', type: [coding('http://www.ama-assn.org/go/cpt', '99213')], period: { start: '2025-03-01', end: '2025-03-01' } },
];
const bob = [
  { resourceType: 'Patient', id: 'bob', gender: 'male', birthDate: '1960-01-01' },
  { resourceType: 'Procedure', id: 'colo-bad', status: 'completed', code: coding('http://snomed.info/sct', '73761001'), performedDateTime: 'last spring' },
];
const bundle = (type: string, resources: unknown[]) => ({ resourceType: 'Bundle', type, entry: resources.map((resource) => ({ resource })) });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'careloop-cli-'));
  mkdirSync(join(dir, 'folder'));
  writeFileSync(join(dir, 'ada.json'), JSON.stringify(bundle('collection', ada)));
  writeFileSync(join(dir, 'ada-searchset.json'), JSON.stringify(bundle('searchset', ada)));
  writeFileSync(join(dir, 'bob.ndjson'), `${bob.map((r) => JSON.stringify(r)).join('\n')}\n{not json\n`);
  writeFileSync(join(dir, 'folder', 'a.json'), JSON.stringify(bundle('transaction', ada)));
  writeFileSync(join(dir, 'folder', 'b.ndjson'), bob.map((r) => JSON.stringify(r)).join('\n'));
  writeFileSync(join(dir, 'folder', 'notes.txt'), 'ignored');
  writeFileSync(join(dir, 'broken.json'), '{"resourceType": "Bundle", "entry": [');
  writeFileSync(join(dir, 'patient-list.json'), '[1, 2, 3]');
  writeFileSync(
    join(dir, 'vs.json'),
    JSON.stringify(
      bundle('collection', [
        { resourceType: 'ValueSet', url: 'http://cts.nlm.nih.gov/fhir/ValueSet/2.16.840.1.113883.3.464.1003.108.12.1020', version: 'x', expansion: { contains: [{ system: 'http://snomed.info/sct', code: '999' }] } },
      ]),
    ),
  );
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('rules CLI: evaluate', { timeout: 30_000 }, () => {
  it('prints one JSON line per patient with the contract shape and exits 0', () => {
    const r = cli('evaluate', '--as-of', '2025-06-01', join(dir, 'ada.json'));
    expect(r.code).toBe(0);
    expect(r.lines).toHaveLength(1);
    const line = r.lines[0]!;
    expect(Object.keys(line)).toEqual(['patient', 'pack', 'results', 'next']);
    expect(line['patient']).toBe('ada');
    expect(line['pack']).toMatchObject({ id: 'careloop-preventive', version: expect.stringMatching(/^\d+\.\d+\.\d+$/) as unknown });
    const results = line['results'] as Record<string, unknown>[];
    const crc = results.find((x) => x['rule'] === 'colorectal-cancer-screening')!;
    expect(crc).toMatchObject({ version: '1.0.0', measure: 'CMS130', status: 'overdue', dueDate: '2023-05-01', reasonCode: 'DateOutOfRange' });
    expect(crc['evidence']).toEqual([{ reference: 'Procedure/colo', date: '2013-05-01', code: { system: 'http://snomed.info/sct', code: '73761001' }, role: 'most-recent' }]);
    expect(typeof crc['reason']).toBe('string');
    expect(line['next']).toBe('colorectal-cancer-screening');
  });

  it('prints the same bytes twice for the same input', () => {
    expect(cli('evaluate', '--as-of', '2025-06-01', join(dir, 'ada.json')).stdout).toBe(cli('evaluate', '--as-of', '2025-06-01', join(dir, 'ada-searchset.json')).stdout);
  });

  it('reports populations and gap status in measure mode', () => {
    const r = cli('evaluate', '--mode', 'measure', '--period-start', '2025-01-01', '--period-end', '2025-12-31', join(dir, 'ada.json'));
    expect(r.code).toBe(0);
    const results = r.lines[0]!['results'] as Record<string, unknown>[];
    const crc = results.find((x) => x['rule'] === 'colorectal-cancer-screening')!;
    expect(crc['populations']).toEqual({ 'initial-population': true, denominator: true, 'denominator-exclusion': false, 'denominator-exception': false, numerator: false });
    expect(crc['gapStatus']).toBe('open-gap');
    expect(results.every((x) => x['populations'] !== undefined)).toBe(true);
  });

  it('reads every .json and .ndjson file of a folder, in name order', () => {
    const r = cli('evaluate', '--as-of', '2025-06-01', join(dir, 'folder'));
    expect(r.code).toBe(0);
    expect(r.lines.map((l) => l['patient'])).toEqual(['ada', 'bob']);
  });

  it('turns a bad resource inside a good file into an insufficient-data result', () => {
    const r = cli('evaluate', '--as-of', '2025-06-01', join(dir, 'bob.ndjson'));
    expect(r.code).toBe(0);
    const crc = (r.lines[0]!['results'] as Record<string, unknown>[]).find((x) => x['rule'] === 'colorectal-cancer-screening')!;
    expect(crc['status']).toBe('insufficient-data');
    expect(String((crc['missing'] as string[])[0])).toContain('Procedure/colo-bad');
  });

  it.each([
    ['a file that does not exist', 'missing.json'],
    ['a truncated JSON file', 'broken.json'],
    ['JSON that is not a Bundle or resources', 'patient-list.json'],
  ])('exits 2 naming the file for %s', (_name, file) => {
    const r = cli('evaluate', '--as-of', '2025-06-01', join(dir, 'ada.json'), join(dir, file));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(file);
  });

  it('loads official value sets that replace the built-in ones by URL', () => {
    const base = cli('evaluate', '--as-of', '2025-06-01', join(dir, 'ada.json')).lines[0]!;
    const loaded = cli('evaluate', '--as-of', '2025-06-01', '--valuesets', join(dir, 'vs.json'), join(dir, 'ada.json')).lines[0]!;
    expect((loaded['pack'] as { digest: string }).digest).not.toBe((base['pack'] as { digest: string }).digest);
    const crc = (loaded['results'] as Record<string, unknown>[]).find((x) => x['rule'] === 'colorectal-cancer-screening')!;
    expect(crc['reasonCode']).toBe('NotFound');
  });

  it.each([
    ['measure mode without a period', ['evaluate', '--mode', 'measure', 'x.json']],
    ['an invalid as-of date', ['evaluate', '--as-of', '2025-13-01', 'x.json']],
    ['an unknown command', ['judge', 'x.json']],
    ['no files', ['evaluate', '--as-of', '2025-06-01']],
  ])('exits 2 with a usage message for %s', (_name, args) => {
    const r = cli(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^careloop rules: /);
  });
});
