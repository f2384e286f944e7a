/**
 * `tsx src/cli/cql-translate.ts <dir-with-.cql> <out-dir> [--check] [--compact]`
 *
 * Translates every `.cql` file in the directory (each one library, the file's name free; the library
 * is named by its `library` declaration) and writes `<out-dir>/<LibraryName>.json`: the translator's
 * ELM, pretty-printed in the key order it emits, with a final newline, plus Careloop's generated
 * FHIRHelpers.json when a library uses FHIR. Each file's top level carries `careloopSourceDigest`
 * (see `sourceDigest` in cql/translator.ts), so a test can tell the committed ELM is current without
 * translating. Generated files whose library is gone are removed.
 *
 * `--check` translates and compares instead of writing: exit 1 naming every stale, missing or orphaned
 * file. Exit 2 with one line on translation errors or bad arguments.
 *
 * `--compact` leaves out what only tools read — annotations, empty arrays and source locators
 * (nodes keep their `localId`) — for ELM that ships to the browser (the rule pack), and cuts each
 * `resultTypeSpecifier` down to what the engine reads of it: that the result is a list, or an
 * interval and its point type (element types of lists, tuple elements and choices were ~47% of the
 * pack's ELM, parsed on every launch). `resultTypeName`, signatures and the type specifiers of
 * `As`, `Is` and operands stay whole.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { CqlTranslationError, readLibraryHeader, sourceDigest, translateLibraries } from './cql/translator.ts';
import type { TranslatedElm } from './cql/translator.ts';

const USAGE = 'usage: cql-translate <dir-with-.cql> <out-dir> [--check] [--compact]';

/** The top-level field holding the source digest in every generated ELM file. */
export const DIGEST_FIELD = 'careloopSourceDigest';

/** What a run printed and its exit code, so tests can drive the CLI in-process. */
export interface CliOutcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

class UsageError extends Error {}

/** ELM without annotations, empty arrays and locators (see `--compact`). */
export function compactElm(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(compactElm);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === 'annotation' || k === 'locator') continue;
    if (Array.isArray(v) && v.length === 0) continue;
    if (k === 'resultTypeSpecifier') {
      const kind = resultKind(v);
      if (kind !== undefined) out[k] = kind;
    } else out[k] = compactElm(v);
  }
  return out;
}

/**
 * A result type specifier as the engine reads it: that a result is a list, or an interval and its
 * point type; undefined (left out) for named, tuple and choice results, which the engine never reads
 * from here (`resultTypeName` names a named result).
 */
function resultKind(spec: unknown): unknown {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) return spec;
  const s = spec as Record<string, unknown>;
  if (s['type'] === 'IntervalTypeSpecifier') return s['pointType'] === undefined ? { type: s['type'] } : { type: s['type'], pointType: compactElm(s['pointType']) };
  if (s['type'] === 'ListTypeSpecifier') return { type: s['type'] };
  return undefined;
}

/** The file text written for one library: the digest first, then the translator's JSON as emitted (or compacted). */
export function elmFileText(elm: TranslatedElm, cqlText: string, translatorVersion: string, compact = false): string {
  const body = compact ? (compactElm(elm) as TranslatedElm) : elm;
  return `${JSON.stringify({ [DIGEST_FIELD]: sourceDigest(cqlText, translatorVersion), ...body }, null, compact ? undefined : 2)}\n`;
}

function readSources(dir: string): Map<string, string> {
  let names: string[];
  try {
    names = readdirSync(dir).filter((f) => f.endsWith('.cql')).sort();
  } catch (e) {
    throw new UsageError(`cannot read ${dir}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (names.length === 0) throw new UsageError(`no .cql files in ${dir}`);
  const sources = new Map<string, string>();
  for (const file of names) {
    const text = readFileSync(join(dir, file), 'utf8');
    const header = readLibraryHeader(text);
    if (header === undefined) throw new UsageError(`${join(dir, file)} has no library declaration`);
    if (sources.has(header.name)) throw new UsageError(`two files declare library ${header.name}`);
    sources.set(header.name, text);
  }
  return sources;
}

/** Generated files already in the output directory (they carry the digest field), by file name. */
function generatedFiles(outDir: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!existsSync(outDir)) return out;
  for (const f of readdirSync(outDir).filter((n) => n.endsWith('.json')).sort()) {
    const text = readFileSync(join(outDir, f), 'utf8');
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed === 'object' && parsed !== null && DIGEST_FIELD in parsed) out.set(f, text);
    } catch {
      // Not JSON: not ours.
    }
  }
  return out;
}

/** Runs the CLI on `argv` (without node and the script). */
export async function run(argv: readonly string[]): Promise<CliOutcome> {
  try {
    const check = argv.includes('--check');
    const compact = argv.includes('--compact');
    const positional = argv.filter((a) => a !== '--check' && a !== '--compact');
    const unknown = positional.find((a) => a.startsWith('-'));
    if (unknown !== undefined) throw new UsageError(`unknown option ${unknown}; ${USAGE}`);
    const [srcDir, outDir, ...extra] = positional;
    if (srcDir === undefined || outDir === undefined || extra.length > 0) throw new UsageError(USAGE);

    const result = await translateLibraries({ sources: readSources(srcDir) });
    const wanted = new Map<string, string>();
    for (const [name, elm] of result.elm) {
      wanted.set(`${name}.json`, elmFileText(elm, result.sources.get(name) ?? '', result.translatorVersion, compact));
    }
    const existing = generatedFiles(outDir);
    const warnings = result.warnings.map((w) => `warning: ${w.library}${w.line === null ? '' : ` line ${w.line}`}: ${w.message}\n`).join('');

    if (check) {
      const stale: string[] = [];
      for (const [file, text] of wanted) {
        const path = join(outDir, file);
        if (!existsSync(path)) stale.push(`${path} (missing)`);
        else if (readFileSync(path, 'utf8') !== text) stale.push(`${path} (stale)`);
      }
      for (const file of existing.keys()) if (!wanted.has(file)) stale.push(`${join(outDir, file)} (no library)`);
      if (stale.length) {
        return { code: 1, stdout: '', stderr: `${warnings}cql-translate: out of date, run cql-translate ${srcDir} ${outDir}:\n${stale.map((s) => `  ${s}\n`).join('')}` };
      }
      return { code: 0, stdout: `cql-translate: ${wanted.size} ELM files current\n`, stderr: warnings };
    }

    mkdirSync(outDir, { recursive: true });
    const lines: string[] = [];
    for (const [file, text] of wanted) {
      const path = join(outDir, file);
      if (existsSync(path) && readFileSync(path, 'utf8') === text) continue;
      writeFileSync(path, text);
      lines.push(`wrote ${path}\n`);
    }
    for (const file of existing.keys()) {
      if (wanted.has(file)) continue;
      rmSync(join(outDir, file));
      lines.push(`removed ${join(outDir, file)}\n`);
    }
    return { code: 0, stdout: lines.join('') || `cql-translate: ${wanted.size} ELM files already current\n`, stderr: warnings };
  } catch (e) {
    const message = e instanceof CqlTranslationError || e instanceof UsageError || e instanceof Error ? e.message : String(e);
    return { code: 2, stdout: '', stderr: `cql-translate: ${message.replace(/\s*\n\s*/g, ' ')}\n` };
  }
}

const invokedDirectly = process.argv[1] !== undefined && /cql-translate\.ts$/.test(process.argv[1]);
if (invokedDirectly) {
  const { code, stdout, stderr } = await run(process.argv.slice(2));
  process.stdout.write(stdout);
  process.stderr.write(stderr);
  process.exitCode = code;
}
