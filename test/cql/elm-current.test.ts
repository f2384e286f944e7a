/**
 * The committed ELM is the translation of the committed CQL: each ELM file records the SHA-256 of its
 * CQL source and the translator version (`careloopSourceDigest`), checked here without translating.
 * `npm run cql:check` translates again and compares whole files (slow: a few seconds a library).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DIGEST_FIELD } from '../../src/cli/cql-translate.ts';
import { generatedFhirHelpers, readLibraryHeader, sourceDigest, translatorVersion } from '../../src/cli/cql/translator.ts';

const root = join(import.meta.dirname, '../..');
/** Folders of CQL sources and where their ELM is committed. */
const PAIRS = [
  { cql: 'src/rules/cql', elm: 'src/rules/elm' },
  { cql: 'test/cql/differential', elm: 'test/cql/differential/elm' },
  { cql: 'test/fixtures/measure', elm: 'test/fixtures/measure/elm' },
].filter((p) => existsSync(join(root, p.cql)) && existsSync(join(root, p.elm)));

const version = translatorVersion();
const cases = PAIRS.flatMap((p) => {
  const sources = readdirSync(join(root, p.cql)).filter((f) => f.endsWith('.cql')).map((f) => ({ file: join(p.cql, f), text: readFileSync(join(root, p.cql, f), 'utf8') }));
  const withHelpers = [...sources, { file: `${p.cql}/(generated FHIRHelpers)`, text: generatedFhirHelpers() }];
  return withHelpers.map((s) => ({ ...s, elmDir: p.elm }));
});

describe('committed ELM', () => {
  it.each(cases.map((c) => [c.file, c] as const))('%s has current ELM', (_file, c) => {
    const name = readLibraryHeader(c.text)?.name;
    expect(name, 'library declaration').toBeDefined();
    const path = join(root, c.elmDir, `${name}.json`);
    expect(existsSync(path), `${path} exists (npm run cql:translate)`).toBe(true);
    const elm = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    expect(elm[DIGEST_FIELD], `${path} is stale: run npm run cql:translate`).toBe(sourceDigest(c.text, version));
  });
});
