/**
 * Differential test on FHIR data: Careloop's engine and the reference (cql-execution +
 * cql-exec-fhir) on the same ELM and the same generated patients must agree on every define of
 * every library. A sample runs here; `npm run verify` runs the full corpus (10,000+ patients).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateCorpus } from './support/generator.ts';
import { compareEngines, KNOWN_DIVERGENCES, readElm } from './support/differential.ts';

const frame = { periodStart: '2025-01-01', periodEnd: '2025-12-31' };
const probe = join(import.meta.dirname, 'differential', 'elm');

describe('the engine against the reference on generated patients', () => {
  it('agrees on every define of the FHIR probe library for 150 patients', { timeout: 120_000 }, async () => {
    const libraries = readElm([join(probe, 'CareloopProbe.json'), join(probe, 'FHIRHelpers.json')]);
    const patients = generateCorpus(20261130, 150, frame);
    const { disagreements, comparisons } = await compareEngines({ libraries, patients, ...frame, executionDateTime: '2026-01-15T12:00:00.000Z' });
    expect(comparisons).toBeGreaterThan(150 * 50);
    const unexplained = disagreements.filter((d) => !KNOWN_DIVERGENCES.some((k) => k.matches(d)));
    expect(unexplained.slice(0, 20)).toEqual([]);
  });

  it('agrees on every define of every library of Careloop\'s rule pack for 60 patients', { timeout: 180_000 }, async () => {
    const dir = join(import.meta.dirname, '../../src/rules/elm');
    const libraries = readElm(readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => join(dir, f)));
    const patients = generateCorpus(20261201, 60, frame);
    const { disagreements, comparisons } = await compareEngines({ libraries, patients, ...frame, executionDateTime: '2026-01-15T12:00:00.000Z' });
    expect(comparisons).toBeGreaterThan(60 * 300);
    const unexplained = disagreements.filter((d) => !KNOWN_DIVERGENCES.some((k) => k.matches(d)));
    expect(unexplained.slice(0, 20)).toEqual([]);
  });
});
