#!/usr/bin/env node
// Runs every vitest project once and ends with the one line CI reads: "N passed, N failed" (plus
// skipped), counted from vitest's JSON reports rather than parsed from text. The browser
// end-to-end project runs after the others, not beside them: on a two-core machine the unit
// suites' load would otherwise starve Chromium and the sandbox.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'careloop-vitest-'));
const extra = process.argv.slice(2);
const phases = [
  { name: 'unit and component', projects: ['dom', 'node'] },
  { name: 'end-to-end', projects: ['e2e'] },
];

let passed = 0;
let failed = 0;
let skipped = 0;
let ok = true;
for (const [i, phase] of phases.entries()) {
  const out = join(dir, `results-${i}.json`);
  const args = ['vitest', 'run', ...phase.projects.flatMap((p) => ['--project', p]), '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...extra];
  console.info(`\n# ${phase.name} tests`);
  const run = spawnSync('npx', args, { stdio: 'inherit', env: process.env });
  if (run.status !== 0) ok = false;
  if (!existsSync(out)) {
    failed += 1;
    continue;
  }
  const report = JSON.parse(readFileSync(out, 'utf8'));
  passed += report.numPassedTests ?? 0;
  failed += report.numFailedTests ?? 0;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  // A file that fails to load has no tests in it but is still a failure.
  failed += (report.testResults ?? []).filter((r) => r.status === 'failed' && (r.assertionResults ?? []).length === 0).length;
}
console.info(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(ok && failed === 0 && passed > 0 ? 0 : 1);
