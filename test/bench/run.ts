/**
 * `npm run bench [name-filter...]`: runs every benchmark in BENCHMARKS, one after another, and
 * prints their figures. Add one by exporting a `Benchmark` (./benchmark.ts) from a `*.bench.ts`
 * file and listing it here.
 */
import type { Benchmark } from './benchmark.ts';
import { auditBenchmark } from './audit.bench.ts';
import { cqlBenchmark } from './cql.bench.ts';
import { launchBenchmark } from './launch.bench.ts';
import { reconcileBenchmark } from './reconcile.bench.ts';
import { rulesBenchmark } from './rules.bench.ts';
import { sidebarBenchmark } from './sidebar.bench.ts';
import { workflowBenchmark } from './workflow.bench.ts';

const BENCHMARKS: readonly Benchmark[] = [rulesBenchmark, auditBenchmark, launchBenchmark, cqlBenchmark, reconcileBenchmark, workflowBenchmark, sidebarBenchmark];

const only = process.argv.slice(2);
for (const bench of BENCHMARKS) {
  if (only.length > 0 && !only.some((o) => bench.name.includes(o))) continue;
  console.info(`\n# ${bench.name}`);
  await bench.run();
}
