/**
 * Benchmark: the full careloop-preventive pack over synthetic records of 100 to 50,000 resources.
 * Prints the median of repeated runs (index + evaluate, and evaluate alone) and the 50k/10k ratio.
 */
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { careloopPreventive, evaluatePack, indexRecord } from '../../src/rules/index.ts';
import { median, type Benchmark } from './benchmark.ts';

/** Deterministic PRNG (mulberry32) so every run sees the same record. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const LOINC = 'http://loinc.org';
const SCT = 'http://snomed.info/sct';
const CPT = 'http://www.ama-assn.org/go/cpt';
const ICD = 'http://hl7.org/fhir/sid/icd-10-cm';

/** A synthetic adult chart: mostly vitals and labs that match no rule, some that do. */
export function syntheticRecord(size: number, seed = 42): unknown[] {
  const rand = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
  const day = (): string => {
    const y = 2010 + Math.floor(rand() * 16);
    const m = 1 + Math.floor(rand() * 12);
    const d = 1 + Math.floor(rand() * 28);
    return `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}T10:00:00-05:00`;
  };
  const out: unknown[] = [{ resourceType: 'Patient', id: 'bench', gender: 'female', birthDate: '1962-04-18' }];
  const labs = ['2345-7', '2160-0', '718-7', '6690-2', '2093-3', '8867-4', '29463-7', '39156-5', '4548-4', '8310-5'];
  for (let i = 1; i < size; i++) {
    const r = rand();
    const id = `r${i}`;
    const subject = { reference: 'Patient/bench' };
    if (r < 0.55) {
      const code = pick(labs);
      out.push({ resourceType: 'Observation', id, status: 'final', subject, code: { coding: [{ system: LOINC, code }] }, effectiveDateTime: day(), valueQuantity: { value: Math.round(rand() * 1200) / 100 + 4, unit: '%', code: '%' } });
    } else if (r < 0.7) {
      out.push({
        resourceType: 'Observation',
        id,
        status: 'final',
        subject,
        code: { coding: [{ system: LOINC, code: '85354-9' }] },
        effectiveDateTime: day(),
        component: [
          { code: { coding: [{ system: LOINC, code: '8480-6' }] }, valueQuantity: { value: 110 + Math.floor(rand() * 50), unit: 'mm[Hg]', code: 'mm[Hg]' } },
          { code: { coding: [{ system: LOINC, code: '8462-4' }] }, valueQuantity: { value: 65 + Math.floor(rand() * 30), unit: 'mm[Hg]', code: 'mm[Hg]' } },
        ],
      });
    } else if (r < 0.85) {
      out.push({ resourceType: 'Encounter', id, status: 'finished', subject, type: [{ coding: [{ system: CPT, code: pick(['99213', '99214', '99395', '99441', '90000']) }] }], period: { start: day() } });
    } else if (r < 0.93) {
      out.push({ resourceType: 'Condition', id, subject, code: { coding: [{ system: ICD, code: pick(['E11.9', 'I10', 'J45.909', 'M54.5', 'K21.9']) }] }, onsetDateTime: day() });
    } else if (r < 0.97) {
      out.push({ resourceType: 'Procedure', id, status: 'completed', subject, code: { coding: [{ system: SCT, code: pick(['73761001', '80146002', '387713003']) }] }, performedDateTime: day() });
    } else {
      out.push({ resourceType: 'Immunization', id, status: 'completed', patient: subject, vaccineCode: { coding: [{ system: 'http://hl7.org/fhir/sid/cvx', code: pick(['158', '208', '33', '115']) }] }, occurrenceDateTime: day() });
    }
  }
  // Real records arrive as parsed JSON (flat strings, compact objects): build them the same way.
  return JSON.parse(JSON.stringify(out)) as unknown[];
}

interface Timing {
  median: number;
  /** Median of the garbage-collection time that fell inside each sample. */
  gcMedian: number;
}

/** Times `fn` (median of `runs` samples after warm-up) and how much of each sample was GC pauses. */
async function time(fn: () => void, runs: number): Promise<Timing> {
  // Warm up the JIT and let the heap settle after the record was generated.
  for (let i = 0; i < 10; i++) fn();
  const gcs: { start: number; duration: number }[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcs.push({ start: e.startTime, duration: e.duration });
  });
  observer.observe({ entryTypes: ['gc'] });
  const windows: [number, number][] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    windows.push([t0, performance.now()]);
  }
  // GC entries are delivered asynchronously.
  await new Promise((r) => setTimeout(r, 50));
  observer.disconnect();
  const gcPerSample = windows.map(([a, b]) => gcs.filter((g) => g.start >= a && g.start <= b).reduce((sum, g) => sum + g.duration, 0));
  return { median: median(windows.map(([a, b]) => b - a)), gcMedian: median(gcPerSample) };
}

/** The rules benchmark. */
export const rulesBenchmark: Benchmark = {
  name: 'rules: careloop-preventive full pack',
  async run() {
    const sizes = [100, 1_000, 10_000, 50_000];
    const totals = new Map<number, number>();
    const evals = new Map<number, number>();
    console.info('resources   index+evaluate ms (of which GC)   evaluate only ms (of which GC)   runs   (medians)');
    for (const size of sizes) {
      const resources = syntheticRecord(size);
      const runs = size >= 50_000 ? 15 : size >= 10_000 ? 31 : 101;
      const opts = { mode: 'point-of-care', asOf: '2025-11-15', timeZone: 'America/New_York' } as const;
      const record = indexRecord(resources);
      const evalOnly = await time(() => evaluatePack(careloopPreventive, record, opts), runs);
      const total = await time(() => evaluatePack(careloopPreventive, indexRecord(resources), opts), runs);
      totals.set(size, total.median);
      evals.set(size, evalOnly.median);
      const cell = (t: Timing, width: number) => `${t.median.toFixed(2)} (${t.gcMedian.toFixed(2)})`.padStart(width);
      console.info(`${String(size).padStart(9)}   ${cell(total, 31)}   ${cell(evalOnly, 30)}   ${String(runs).padStart(4)}`);
    }
    const ratio = (totals.get(50_000) ?? 0) / (totals.get(10_000) ?? 1);
    const evalRatio = (evals.get(50_000) ?? 0) / (evals.get(10_000) ?? 1);
    console.info(`ratio 50k/10k: index+evaluate ${ratio.toFixed(2)}, evaluate only ${evalRatio.toFixed(2)} (targets: ≤ 15 ms at 10k, ratio ≤ 6)`);
    // The pack as the card runs it (evaluatePack: the contract's defines, each library through one
    // session); `npm run bench -- cql` times every define of every library against the reference.
    const verdict = (ok: boolean): string => (ok ? 'met' : 'NOT MET');
    const at10k = totals.get(10_000) ?? Number.NaN;
    console.info(`target: full pack at 10,000 resources ≤ 15 ms (index + evaluate) — ${at10k.toFixed(1)} ms — ${verdict(at10k <= 15)}`);
    console.info(`target: 50k/10k ≤ 6 (index + evaluate) — ${ratio.toFixed(2)} — ${verdict(ratio <= 6)}`);
  },
};
