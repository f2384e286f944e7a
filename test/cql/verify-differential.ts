/**
 * `npm run verify`: the full differential run — Careloop's engine against the reference
 * (cql-execution + cql-exec-fhir) on a seeded generated corpus (default 10,000 patients), every
 * define of every library: the FHIR probe, and Careloop's rule pack in both of its modes (point of
 * care and measure).
 *
 * `npx tsx test/cql/verify-differential.ts [--patients N] [--seed S]`; exits 1 on any
 * disagreement that is not a documented divergence (KNOWN_DIVERGENCES), and prints the counts.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { compareEngines, KNOWN_DIVERGENCES, readElm } from './support/differential.ts';
import type { Disagreement } from './support/differential.ts';
import { generateCorpus } from './support/generator.ts';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  return Number.isFinite(v) ? v : fallback;
};
const total = arg('--patients', 10_000);
const seed = arg('--seed', 20261130);
const batch = 500;
const frame = { periodStart: '2025-01-01', periodEnd: '2025-12-31' };
const here = import.meta.dirname;

function librarySets(): { name: string; files: string[] }[] {
  const sets = [{ name: 'probe', files: [join(here, 'differential/elm/CareloopProbe.json'), join(here, 'differential/elm/FHIRHelpers.json')] }];
  const packDir = join(here, '../../src/rules/elm');
  if (existsSync(packDir)) {
    const files = readdirSync(packDir).filter((f) => f.endsWith('.json')).map((f) => join(packDir, f));
    if (files.length > 0) sets.push({ name: 'careloop pack', files });
  }
  return sets;
}

async function main(): Promise<void> {
  const started = performance.now();
  let comparisons = 0;
  const unexplained: Disagreement[] = [];
  const known = new Map<string, number>();
  for (let offset = 0; offset < total; offset += batch) {
    const patients = generateCorpus(seed + offset, Math.min(batch, total - offset), frame);
    for (const set of librarySets()) {
      // The pack in both of its modes; the probe reads only the Measurement Period.
      for (const mode of set.name === 'probe' ? (['point-of-care'] as const) : (['point-of-care', 'measure'] as const)) {
        const r = await compareEngines({ libraries: readElm(set.files), patients, ...frame, executionDateTime: '2026-01-15T12:00:00.000Z', mode });
        comparisons += r.comparisons;
        for (const d of r.disagreements) {
          const k = KNOWN_DIVERGENCES.find((x) => x.matches(d));
          if (k) known.set(k.id, (known.get(k.id) ?? 0) + 1);
          else unexplained.push(d);
        }
      }
    }
    process.stderr.write(`  ${Math.min(offset + batch, total)} / ${total} patients\n`);
  }
  console.info(`differential: ${total} patients, ${comparisons} define values compared in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  for (const k of KNOWN_DIVERGENCES) console.info(`  documented divergence ${k.id}: ${known.get(k.id) ?? 0}`);
  console.info(`  unexplained disagreements: ${unexplained.length}`);
  const byDefine = new Map<string, Disagreement[]>();
  for (const d of unexplained) byDefine.set(`${d.library} › ${d.define}`, [...(byDefine.get(`${d.library} › ${d.define}`) ?? []), d]);
  for (const [k, list] of byDefine) console.info(`    ${k}: ${list.length} (e.g. ${list[0]?.patient}: ${list[0]?.detail})`);
  if (unexplained.length > 0) process.exitCode = 1;
}

await main();
