import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkAppContent } from '../../src/server/app-content.ts';
import { bundle, colonoscopyMeasure, packageParts } from '../fixtures/measure/package.ts';

const root = resolve(import.meta.dirname, '../..');
const SAMPLE = join(root, 'test/fixtures/content/sample-value-sets.json');
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'careloop-content-'));
  mkdirSync(join(dir, 'content'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Careloop</title>');
  copyFileSync(SAMPLE, join(dir, 'content', 'value-sets.json'));
  writeFileSync(join(dir, 'content', 'colonoscopy.json'), JSON.stringify(bundle([colonoscopyMeasure(), ...packageParts()])));
  writeFileSync(join(dir, 'content', 'truncated.json'), '{"resourceType":"Bundle","entry":[');
  writeFileSync(join(dir, 'content', 'patient.json'), '{"resourceType":"Patient"}');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const configure = (config: Record<string, unknown>) => writeFileSync(join(dir, 'careloop.config.json'), JSON.stringify({ clientId: 'careloop', scopes: [], ...config }));

describe('the content files the served app is configured with', () => {
  it('are checked at start and named with their kind, SHA-256 and canonical URLs', async () => {
    configure({ valueSetBundles: ['content/value-sets.json'], measurePackages: ['content/colonoscopy.json'] });
    const result = await checkAppContent(dir);
    expect(result.ok).toBe(true);
    expect(result.ok && result.files.map((f) => [f.path, f.kind, f.sha256.length, f.canonicals.length])).toEqual([
      ['content/value-sets.json', 'value-set-bundle', 64, 1],
      ['content/colonoscopy.json', 'measure-package', 64, 1],
    ]);
  });

  it('give one clear error per bad file: missing, not JSON, the wrong resource, outside the app, another origin', async () => {
    configure({
      valueSetBundles: ['content/value-sets.json', 'content/missing.json', 'content/truncated.json', 'content/patient.json', '..%2F..%2Fetc%2Fpasswd'],
      measurePackages: ['https://elsewhere.example/cms130.json', 'content/value-sets.json'],
    });
    const result = await checkAppContent(dir);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors).toEqual([
      `valueSetBundles: content/missing.json: no such file in ${dir}`,
      'valueSetBundles: content/truncated.json: is not JSON',
      'valueSetBundles: content/patient.json: entry 0: a Patient, not a ValueSet',
      'valueSetBundles: ..%2F..%2Fetc%2Fpasswd: must be a file next to the app (a path relative to index.html), not another origin or outside the folder',
      'measurePackages: https://elsewhere.example/cms130.json: must be a file next to the app (a path relative to index.html), not another origin or outside the folder',
      'measurePackages: content/value-sets.json: holds no Measure',
      'measurePackages: content/value-sets.json: holds no Library with ELM (content of type application/elm+json); export the package with its ELM',
    ]);
  });

  it('stop the server from starting, with the bad file named', () => {
    configure({ valueSetBundles: ['content/truncated.json'] });
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/server/main.ts'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, DATABASE_URL: '', AUDIT_PORT: '0', AUDIT_SQLITE_PATH: ':memory:', AUDIT_STATIC_DIR: dir, AUDIT_TRUSTED_ISSUERS: '[{"fhirBase":"http://127.0.0.1:4000/fhir","mode":"jwks"}]' },
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`The app's content in ${dir} is invalid:\n  - valueSetBundles: content/truncated.json: is not JSON`);
  });

  it('need nothing when the app names none, or has no configuration file', async () => {
    expect(await checkAppContent(dir)).toEqual({ ok: true, files: [] });
    configure({});
    expect(await checkAppContent(dir)).toEqual({ ok: true, files: [] });
  });
});
