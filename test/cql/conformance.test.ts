/**
 * The engine against the reference (cql-execution) on the conformance corpus: every define of every
 * library written from the CQL 1.5 specification (test/cql/conformance/README.md). Where the reference
 * contradicts the specification, the engine must give the specification's answer, listed in
 * `SPEC_OVER_REFERENCE` with the section that shows it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFhirProgram, createTerminology } from '../../src/cql/index.ts';
import type { ElmLibrary, Program } from '../../src/cql/index.ts';
import { parseDateTime } from '../../src/cql/values/datetime.ts';
import { diffComparable, isEvaluationError } from './support/comparable.ts';
import type { Comparable } from './support/comparable.ts';
import { engineToComparable } from './support/engine.ts';
import { SPEC_OVER_REFERENCE } from './support/spec-over-reference.ts';

const dir = join(import.meta.dirname, 'conformance');
const names = readdirSync(join(dir, 'elm')).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, '')).sort();
const now = parseDateTime('2024-06-15T12:00:00.000Z', 0);
if (!now) throw new Error('bad request time');
const terminology = createTerminology(new Map());

describe.each(names)('%s', (name) => {
  const elm = JSON.parse(readFileSync(join(dir, 'elm', `${name}.json`), 'utf8')) as ElmLibrary;
  const expected = JSON.parse(readFileSync(join(dir, 'expected', `${name}.json`), 'utf8')) as Record<string, Comparable | { error: string }>;
  let results: ReturnType<Program['evaluateEach']> | undefined;
  let loadError: unknown;
  try {
    results = createFhirProgram([elm]).evaluateEach({ data: { retrieve: () => [] }, terminology, now });
  } catch (e) {
    loadError = e;
  }
  const overrides = SPEC_OVER_REFERENCE[name] ?? {};

  it.each(Object.keys(expected))('%s', (define) => {
    if (loadError !== undefined) throw loadError;
    const r = results?.get(define);
    expect(r, 'define evaluated').toBeDefined();
    const override = overrides[define];
    const want = override ? override.specification : expected[define];
    if (want !== undefined && isEvaluationError(want)) {
      expect('error' in (r ?? {}), `expected an error (${want.error})`).toBe(true);
      return;
    }
    if (r && 'error' in r) throw r.error;
    const got = engineToComparable(r?.value);
    const diff = diffComparable(want as Comparable, got);
    expect(diff, diff).toBeUndefined();
  });
});

describe('the documented disagreements with the reference', () => {
  const entries = Object.entries(SPEC_OVER_REFERENCE).flatMap(([lib, defs]) => Object.entries(defs).map(([define, answer]) => [lib, define, answer] as const));
  it.each(entries)('%s › %s is a real disagreement, cited', (lib, define, answer) => {
    const expected = JSON.parse(readFileSync(join(dir, 'expected', `${lib}.json`), 'utf8')) as Record<string, Comparable | { error: string }>;
    const reference = expected[define];
    expect(reference, 'the define is in the corpus').toBeDefined();
    expect(answer.section.length).toBeGreaterThan(20);
    const differs = isEvaluationError(reference) !== isEvaluationError(answer.specification) || (!isEvaluationError(reference) && diffComparable(reference as Comparable, answer.specification as Comparable) !== undefined);
    expect(differs, 'the reference already gives the specification answer: remove the entry').toBe(true);
  });
});
