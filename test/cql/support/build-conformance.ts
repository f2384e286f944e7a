/**
 * Builds the conformance corpus: translates every test/cql/conformance/*.cql to
 * test/cql/conformance/elm/<Name>.json and evaluates it with the reference engine (cql-execution),
 * writing test/cql/conformance/expected/<Name>.json (define name → Comparable, or `{ "error": … }`).
 *
 * Run: `npx tsx test/cql/support/build-conformance.ts [Name ...]` (no names: every library).
 * Exits non-zero when a library does not translate without errors.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Comparable, EvaluationError } from './comparable.ts';
import { runReference, UNFILTERED } from './reference.ts';
import { translateSystemLibrary } from './translate-system.ts';

// cql-execution reads the machine's zone in places (a DateTime with no offset); pin it.
process.env.TZ = 'UTC';

/** The evaluation request time of every conformance library (Now(), Today(), TimeOfDay()). */
export const CONFORMANCE_EXECUTION_DATE_TIME = '2024-06-15T12:00:00.000Z';

const conformanceDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'conformance');

interface ElmStatement {
  readonly name: string;
  readonly type?: string;
}

function defineNames(elm: object): string[] {
  const statements = (elm as { library?: { statements?: { def?: readonly ElmStatement[] } } }).library?.statements?.def ?? [];
  return statements.filter((s) => s.type !== 'FunctionDef').map((s) => s.name);
}

function writeJson(path: string, value: unknown): void {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

async function build(name: string): Promise<{ defines: number; errors: number; translationErrors: number }> {
  const cql = readFileSync(join(conformanceDir, `${name}.cql`), 'utf8');
  const translation = translateSystemLibrary(cql);
  for (const e of translation.errors) console.error(`${name}.cql${e.line === null ? '' : `:${e.line}`}: ${e.message}`);
  writeJson(join(conformanceDir, 'elm', `${name}.json`), translation.elm);
  if (translation.errors.length > 0) return { defines: 0, errors: 0, translationErrors: translation.errors.length };

  const results = await runReference({ libraries: [translation.elm], main: name, executionDateTime: CONFORMANCE_EXECUTION_DATE_TIME });
  const expected: Record<string, Comparable | EvaluationError> = {};
  let errors = 0;
  for (const define of defineNames(translation.elm)) {
    const result = results.result(UNFILTERED, define);
    if (result === undefined) throw new Error(`${name}: define "${define}" was not evaluated (is the library in an Unfiltered context?)`);
    if (typeof result === 'object' && result !== null && 'error' in result) errors++;
    expected[define] = result;
  }
  writeJson(join(conformanceDir, 'expected', `${name}.json`), expected);
  return { defines: Object.keys(expected).length, errors, translationErrors: 0 };
}

async function main(): Promise<void> {
  mkdirSync(join(conformanceDir, 'elm'), { recursive: true });
  mkdirSync(join(conformanceDir, 'expected'), { recursive: true });
  const all = readdirSync(conformanceDir)
    .filter((f) => f.endsWith('.cql'))
    .map((f) => basename(f, '.cql'))
    .sort();
  const wanted = process.argv.slice(2);
  const names = wanted.length > 0 ? all.filter((n) => wanted.includes(n)) : all;
  let failed = false;
  let totalDefines = 0;
  let totalErrors = 0;
  for (const name of names) {
    const { defines, errors, translationErrors } = await build(name);
    if (translationErrors > 0) {
      failed = true;
      console.error(`${name}: ${translationErrors} translation error(s)`);
    } else {
      console.info(`${name}: ${defines} defines, ${errors} error(s) in the reference`);
    }
    totalDefines += defines;
    totalErrors += errors;
  }
  console.info(`total: ${totalDefines} defines, ${totalErrors} error(s) in the reference`);
  if (failed) process.exitCode = 1;
}

await main();
