/**
 * `npm run --silent rules -- evaluate [options] FILE...`
 * `npm run --silent rules -- measure --package FILE [--package FILE]... --period-start YYYY-MM-DD --period-end YYYY-MM-DD FILE...`
 *
 * Evaluates the careloop-preventive pack for each patient file (a FHIR Bundle — collection,
 * transaction, searchset… — or NDJSON of one patient's resources; a folder means every .json /
 * .ndjson file in it) and prints one JSON line per patient. Exit 0 on success, 2 with a one-line
 * message naming the file when an input cannot be read, 2 on usage errors.
 *
 * `measure` loads measure packages (FHIR Bundles with a Measure, its ELM Libraries and ValueSets) and
 * prints one individual MeasureReport per line for each patient and each measure, with the DEQM gap
 * status as an extension on each group (`GAP_STATUS_EXTENSION`). Exit 2 with one line for unreadable
 * input, a package whose ELM does not load (library and node named) or that lacks a value set.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { careloopPreventive, evaluatePack, indexRecord, isDay, isOpenGap, withValueSets } from '../rules/index.ts';
import type { EvaluateOptions, RulePack, RuleResult } from '../rules/index.ts';
import { evaluateMeasure, loadMeasurePackages, measureReport, MeasurePackageError } from '../rules/measure-package.ts';
import { CqlDateTime } from '../cql/index.ts';

const USAGE =
  'usage: rules measure --package FILE [--package FILE]... --period-start YYYY-MM-DD --period-end YYYY-MM-DD FILE... | rules evaluate [--mode point-of-care|measure] [--as-of YYYY-MM-DD] [--period-start YYYY-MM-DD --period-end YYYY-MM-DD] [--time-zone IANA] [--encounter ID] [--valuesets FILE]... FILE...';

/** A failure with the exit code and the one-line message to print. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

interface Args {
  mode: 'point-of-care' | 'measure';
  asOf: string | undefined;
  periodStart: string | undefined;
  periodEnd: string | undefined;
  timeZone: string | undefined;
  encounterId: string | undefined;
  valueSets: string[];
  packages: string[];
  files: string[];
}

function parseArgs(argv: readonly string[]): Args {
  const [command, ...rest] = argv;
  if (command !== 'evaluate' && command !== 'measure') throw new CliError(command === undefined ? USAGE : `unknown command "${command}"; ${USAGE}`, 2);
  const args: Args = { mode: 'point-of-care', asOf: undefined, periodStart: undefined, periodEnd: undefined, timeZone: undefined, encounterId: undefined, valueSets: [], packages: [], files: [] };
  if (command === 'measure') args.mode = 'measure';
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] ?? '';
    const value = (): string => {
      const v = rest[++i];
      if (v === undefined) throw new CliError(`${arg} needs a value; ${USAGE}`, 2);
      return v;
    };
    switch (arg) {
      case '--mode': {
        const m = value();
        if (m !== 'point-of-care' && m !== 'measure') throw new CliError(`--mode must be point-of-care or measure, not "${m}"`, 2);
        args.mode = m;
        break;
      }
      case '--as-of':
        args.asOf = value();
        break;
      case '--period-start':
        args.periodStart = value();
        break;
      case '--period-end':
        args.periodEnd = value();
        break;
      case '--time-zone':
        args.timeZone = value();
        break;
      case '--encounter':
        args.encounterId = value();
        break;
      case '--valuesets':
        args.valueSets.push(value());
        break;
      case '--package':
        if (command !== 'measure') throw new CliError(`--package is for the measure command; ${USAGE}`, 2);
        args.packages.push(value());
        break;
      default:
        if (arg.startsWith('--')) throw new CliError(`unknown option ${arg}; ${USAGE}`, 2);
        args.files.push(arg);
    }
  }
  if (args.files.length === 0) throw new CliError(`no input files; ${USAGE}`, 2);
  if (command === 'measure' && args.packages.length === 0) throw new CliError(`measure needs at least one --package; ${USAGE}`, 2);
  return args;
}

function options(args: Args, today: string): EvaluateOptions {
  const tz = args.timeZone === undefined ? {} : { timeZone: args.timeZone };
  if (args.mode === 'measure') {
    if (args.periodStart === undefined || args.periodEnd === undefined) throw new CliError('measure mode needs --period-start and --period-end', 2);
    if (!isDay(args.periodStart) || !isDay(args.periodEnd)) throw new CliError('--period-start and --period-end must be YYYY-MM-DD', 2);
    return { mode: 'measure', periodStart: args.periodStart, periodEnd: args.periodEnd, ...tz };
  }
  const asOf = args.asOf ?? today;
  if (!isDay(asOf)) throw new CliError(`--as-of must be YYYY-MM-DD, not "${asOf}"`, 2);
  return { mode: 'point-of-care', asOf, ...(args.encounterId === undefined ? {} : { encounterId: args.encounterId }), ...tz };
}

/** Expands folders into their .json / .ndjson files, sorted by name. */
function expand(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch (e) {
      throw new CliError(`cannot read ${p}: ${reason(e)}`, 2);
    }
    if (!isDir) {
      out.push(p);
      continue;
    }
    const files = readdirSync(p)
      .filter((f) => f.endsWith('.json') || f.endsWith('.ndjson'))
      .sort()
      .map((f) => join(p, f));
    if (files.length === 0) throw new CliError(`cannot read ${p}: no .json or .ndjson files in the folder`, 2);
    out.push(...files);
  }
  return out;
}

function reason(e: unknown): string {
  if (e instanceof Error) return (e as NodeJS.ErrnoException).code ?? e.message.split('\n')[0] ?? e.message;
  return String(e);
}

/** Reads one patient file: a Bundle (JSON) or NDJSON. A bad NDJSON line is kept as a bad entry. */
export function readPatientFile(path: string): unknown[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read ${path}: ${reason(e)}`, 2);
  }
  const trimmed = text.trim();
  if (trimmed === '') throw new CliError(`cannot read ${path}: the file is empty`, 2);
  let whole: unknown;
  let parsedWhole = true;
  try {
    whole = JSON.parse(trimmed);
  } catch {
    parsedWhole = false;
  }
  if (parsedWhole) {
    if (typeof whole === 'object' && whole !== null && !Array.isArray(whole)) {
      const obj = whole as Record<string, unknown>;
      if (obj['resourceType'] === 'Bundle') {
        if (obj['entry'] !== undefined && !Array.isArray(obj['entry'])) throw new CliError(`cannot read ${path}: Bundle.entry is not an array`, 2);
        return ((obj['entry'] as unknown[] | undefined) ?? []).map((e) => (typeof e === 'object' && e !== null ? (e as Record<string, unknown>)['resource'] : e));
      }
      if (typeof obj['resourceType'] === 'string') return [obj];
    }
    throw new CliError(`cannot read ${path}: not a FHIR Bundle or NDJSON of resources`, 2);
  }
  const lines = trimmed.split(/\r?\n/).filter((l) => l.trim() !== '');
  const resources: unknown[] = [];
  let good = 0;
  for (const line of lines) {
    try {
      resources.push(JSON.parse(line));
      good++;
    } catch {
      resources.push(line);
    }
  }
  if (good === 0) throw new CliError(`cannot read ${path}: not JSON or NDJSON`, 2);
  return resources;
}

function loadValueSets(pack: RulePack, files: readonly string[]): RulePack {
  let out = pack;
  for (const f of files) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(f, 'utf8'));
    } catch (e) {
      throw new CliError(`cannot read ${f}: ${reason(e)}`, 2);
    }
    try {
      out = withValueSets(out, parsed);
    } catch (e) {
      throw new CliError(`cannot read ${f}: ${reason(e)}`, 2);
    }
  }
  return out;
}

function dueDateOf(r: RuleResult): string | null {
  return isOpenGap(r) ? r.dueDate : null;
}

/** The CLI line for one result (contract order). */
function line(r: RuleResult, measureMode: boolean): Record<string, unknown> {
  return {
    rule: r.rule,
    version: r.version,
    measure: r.measure ?? null,
    status: r.status,
    ...(measureMode ? { populations: r.populations ?? null, gapStatus: r.gapStatus ?? null } : {}),
    dueDate: dueDateOf(r),
    ...(r.status === 'satisfied' ? { nextDueDate: r.nextDueDate } : {}),
    ...(r.status === 'insufficient-data' ? { missing: r.missing } : {}),
    evidence: r.evidence,
    reason: r.reason,
    reasonCode: r.reasonCode ?? null,
    ...(isOpenGap(r) ? { priority: r.priority } : {}),
  };
}

/**
 * Runs the CLI; returns the exit code and what to print. `today` is the default as-of day.
 */
export function run(argv: readonly string[], today: string): { code: number; stdout: string; stderr: string } {
  try {
    const args = parseArgs(argv);
    if (argv[0] === 'measure') return runMeasure(args, today);
    const opts = options(args, today);
    const pack = loadValueSets(careloopPreventive, args.valueSets);
    const files = expand(args.files);
    const inputs = files.map((f) => readPatientFile(f));
    const out: string[] = [];
    for (const resources of inputs) {
      const result = evaluatePack(pack, indexRecord(resources), opts);
      out.push(
        JSON.stringify({
          patient: result.patient,
          pack: result.pack,
          results: result.results.map((r) => line(r, opts.mode === 'measure')),
          next: result.next,
        }),
      );
    }
    return { code: 0, stdout: out.length ? `${out.join('\n')}\n` : '', stderr: '' };
  } catch (e) {
    if (e instanceof CliError) return { code: e.code, stdout: '', stderr: `careloop rules: ${e.message}\n` };
    return { code: 2, stdout: '', stderr: `careloop rules: ${reason(e)}\n` };
  }
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read ${path}: ${reason(e)}`, 2);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new CliError(`cannot read ${path}: ${reason(e)}`, 2);
  }
}

function patientIdOf(resources: readonly unknown[], file: string): string {
  const p = resources.find((r) => typeof r === 'object' && r !== null && (r as Record<string, unknown>)['resourceType'] === 'Patient') as Record<string, unknown> | undefined;
  if (!p || typeof p['id'] !== 'string') throw new CliError(`cannot read ${file}: no Patient resource with an id`, 2);
  return p['id'];
}

/** `measure`: one MeasureReport per patient and measure. The evaluation time is `today` at noon UTC. */
function runMeasure(args: Args, today: string): { code: number; stdout: string; stderr: string } {
  const { periodStart, periodEnd } = args;
  if (periodStart === undefined || periodEnd === undefined) throw new CliError('measure needs --period-start and --period-end', 2);
  if (!isDay(periodStart) || !isDay(periodEnd)) throw new CliError('--period-start and --period-end must be YYYY-MM-DD', 2);
  if (periodStart > periodEnd) throw new CliError('--period-start is after --period-end', 2);
  let packages;
  try {
    packages = loadMeasurePackages(args.packages.map(readJson));
  } catch (e) {
    if (e instanceof MeasurePackageError) throw new CliError(e.message, 2);
    throw e;
  }
  const [y, m, d] = today.split('-').map(Number) as [number, number, number];
  const now = new CqlDateTime([y, m, d, 12, 0, 0, 0], 0);
  const out: string[] = [];
  for (const file of expand(args.files)) {
    const resources = readPatientFile(file);
    const patient = patientIdOf(resources, file);
    for (const pkg of packages) {
      let groups;
      try {
        groups = evaluateMeasure(pkg, resources, { periodStart, periodEnd, now });
      } catch (e) {
        if (e instanceof MeasurePackageError) throw new CliError(`${file}: ${e.message}`, 2);
        throw e;
      }
      out.push(JSON.stringify(measureReport(pkg, patient, { start: periodStart, end: periodEnd }, groups)));
    }
  }
  return { code: 0, stdout: out.length ? `${out.join('\n')}\n` : '', stderr: '' };
}

const invokedDirectly = process.argv[1] !== undefined && /rules\.ts$/.test(process.argv[1]);
if (invokedDirectly) {
  const { code, stdout, stderr } = run(process.argv.slice(2), new Date().toISOString().slice(0, 10));
  process.stdout.write(stdout);
  process.stderr.write(stderr);
  process.exitCode = code;
}
