/**
 * Build-time CQL → ELM translation with the HL7 reference translator (`@cqframework/cql`, the Kotlin
 * build for JavaScript). Node only: it reads the FHIR model info from disk and loads the translator,
 * which takes seconds and hundreds of megabytes, so nothing in the browser bundle may import it.
 *
 * ELM options (see {@link TRANSLATOR_OPTIONS}): locators and result types on, list promotion and
 * demotion off, signature level Overloads, compatibility level 1.5, units validated against UCUM —
 * the options MADiE publishes CMS eCQM ELM with for FHIR, plus result types; annotations (the CQL
 * narrative copied into the ELM) are off unless asked for.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { FHIR_HELPERS, fhirHelpersCql } from './fhir-helpers.ts';

const require = createRequire(import.meta.url);

/** One translator message, located in the library it belongs to (which may be an included one). */
export interface TranslationMessage {
  readonly library: string;
  /** 1-based line of the start of the offending text, or null when the translator gave none. */
  readonly line: number | null;
  /** 1-based column of the start of the offending text, or null when the translator gave none. */
  readonly column: number | null;
  readonly message: string;
  readonly severity: 'error' | 'warning';
}

/** An ELM library as the translator's `toJson()` emits it (the `library` object holds the ELM). */
export interface TranslatedElm {
  readonly library: {
    readonly identifier: { readonly id: string; readonly version?: string };
    readonly [key: string]: unknown;
  };
  readonly [key: string]: unknown;
}

/** What {@link translateLibraries} produced. */
export interface TranslationResult {
  /** Library name → ELM JSON, in name order; includes FHIRHelpers when it was added. */
  readonly elm: ReadonlyMap<string, TranslatedElm>;
  /** The CQL text translated for each library (the given sources plus any generated FHIRHelpers). */
  readonly sources: ReadonlyMap<string, string>;
  /** Always empty on a resolved result: errors reject with {@link CqlTranslationError}. */
  readonly errors: readonly TranslationMessage[];
  readonly warnings: readonly TranslationMessage[];
  /** The `@cqframework/cql` version that translated them. */
  readonly translatorVersion: string;
}

/** Options for {@link translateLibraries}. */
export interface TranslateOptions {
  /** Library name → CQL text. Each text's `library` declaration must carry the same name. */
  readonly sources: ReadonlyMap<string, string>;
  /**
   * Add Careloop's generated FHIRHelpers 4.0.1 (see fhir-helpers.ts). Default: true when a source
   * says `using FHIR` and none is itself named FHIRHelpers.
   */
  readonly fhirHelpers?: boolean;
  /** Copy the CQL narrative into the ELM (`EnableAnnotations`). Default false: smaller ELM. */
  readonly annotations?: boolean;
}

/** Translation failed: at least one message of severity error, or a source that cannot be used. */
export class CqlTranslationError extends Error {
  override readonly name = 'CqlTranslationError';
  constructor(readonly errors: readonly TranslationMessage[]) {
    super(`CQL translation failed: ${errors.map(formatMessage).join('; ')}`);
  }
}

/** `Library line 4, column 12: text` (or without the position when there is none). */
export function formatMessage(m: TranslationMessage): string {
  const at = m.line === null ? '' : m.column === null ? ` line ${m.line}` : ` line ${m.line}, column ${m.column}`;
  return `${m.library}${at}: ${m.message}`;
}

/** The CqlCompilerOptions flags every translation uses (annotations are added on request). */
export const TRANSLATOR_OPTIONS = ['EnableLocators', 'EnableResultTypes', 'DisableListDemotion', 'DisableListPromotion'] as const;

/** The cql-exec-fhir copy of the FHIR 4.0.1 model info, the one the JavaScript engine also reads. */
export function fhirModelInfoPath(): string {
  return join(dirname(require.resolve('cql-exec-fhir')), 'modelInfos', 'fhir-modelinfo-4.0.1.xml');
}

/** The installed `@cqframework/cql` version. */
export function translatorVersion(): string {
  const pkg: unknown = JSON.parse(readFileSync(join(dirname(require.resolve('@cqframework/cql/cql-to-elm')), 'package.json'), 'utf8'));
  const version = typeof pkg === 'object' && pkg !== null ? (pkg as Record<string, unknown>)['version'] : undefined;
  if (typeof version !== 'string') throw new Error('cannot read the @cqframework/cql version');
  return version;
}

/** Careloop's FHIRHelpers CQL text, generated from the model info at {@link fhirModelInfoPath}. */
export function generatedFhirHelpers(): string {
  return fhirHelpersCql(readFileSync(fhirModelInfoPath(), 'utf8'));
}

/**
 * The digest recorded beside committed ELM: SHA-256 (hex) of the UTF-8 CQL text, a NUL byte, and the
 * translator version. Equal digests mean the ELM came from this text with this translator.
 */
export function sourceDigest(cqlText: string, version: string): string {
  return createHash('sha256').update(cqlText, 'utf8').update('\0').update(version, 'utf8').digest('hex');
}

interface LibraryHeader {
  readonly name: string;
  readonly version: string | undefined;
}

/** The `library Name version 'x'` declaration at the top of a CQL text, past comments. */
export function readLibraryHeader(cql: string): LibraryHeader | undefined {
  let rest = cql;
  for (;;) {
    const trimmed = rest.replace(/^\s+/, '');
    if (trimmed.startsWith('//')) rest = trimmed.replace(/^\/\/[^\n]*/, '');
    else if (trimmed.startsWith('/*')) {
      const end = trimmed.indexOf('*/');
      if (end < 0) return undefined;
      rest = trimmed.slice(end + 2);
    } else {
      rest = trimmed;
      break;
    }
  }
  const m = /^library\s+(?:"([^"]+)"|([A-Za-z_][A-Za-z0-9_]*))(?:\s+version\s+'([^']*)')?/.exec(rest);
  if (!m) return undefined;
  return { name: m[1] ?? m[2] ?? '', version: m[3] };
}

const USING_FHIR = /^\s*using\s+FHIR\b/m;

/** Code-unit order, the same on every machine (no locale). */
function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

interface UcumUtils {
  validateUnitString(unit: string): { status: string; msg?: unknown };
  convertUnitTo(from: string, value: number, to: string): { status: string; toVal?: unknown; msg?: unknown };
}

function loadUcum(): UcumUtils {
  const mod: unknown = require('@lhncbc/ucum-lhc');
  const utils = typeof mod === 'object' && mod !== null ? (mod as { UcumLhcUtils?: { getInstance?: () => unknown } }).UcumLhcUtils?.getInstance?.() : undefined;
  if (typeof utils !== 'object' || utils === null || typeof (utils as UcumUtils).validateUnitString !== 'function') {
    throw new Error('@lhncbc/ucum-lhc has no UcumLhcUtils');
  }
  return utils as UcumUtils;
}

function ucumMessages(msg: unknown): string {
  return Array.isArray(msg) ? msg.filter((x): x is string => typeof x === 'string').join('; ') : '';
}

function isTranslatedElm(x: unknown): x is TranslatedElm {
  if (typeof x !== 'object' || x === null) return false;
  const lib = (x as Record<string, unknown>)['library'];
  if (typeof lib !== 'object' || lib === null) return false;
  const id = (lib as Record<string, unknown>)['identifier'];
  return typeof id === 'object' && id !== null && typeof (id as Record<string, unknown>)['id'] === 'string';
}

function asRecord(x: unknown): Record<string, unknown> | undefined {
  return typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Record<string, unknown>) : undefined;
}

/** The CqlToElmError annotations the translator writes into the library it emits. */
function messagesOf(elm: TranslatedElm): TranslationMessage[] {
  const out: TranslationMessage[] = [];
  const annotations = elm.library['annotation'];
  if (!Array.isArray(annotations)) return out;
  for (const a of annotations) {
    const r = asRecord(a);
    if (r?.['type'] !== 'CqlToElmError') continue;
    const severity = r['errorSeverity'];
    if (severity !== 'error' && severity !== 'warning') continue;
    // Syntax errors carry ANTLR's 0-based column; every other error a 1-based one, as locators do.
    const column = typeof r['startChar'] === 'number' ? r['startChar'] + (r['errorType'] === 'syntax' ? 1 : 0) : null;
    out.push({
      library: typeof r['libraryId'] === 'string' ? r['libraryId'] : elm.library.identifier.id,
      line: typeof r['startLine'] === 'number' ? r['startLine'] : null,
      column,
      message: typeof r['message'] === 'string' ? r['message'] : 'unknown translator error',
      severity,
    });
  }
  return out;
}

/** A Kotlin exception's locator prints as `TrackBack{library='…', startLine=3, startChar=13, …}`. */
function messageFromException(library: string, e: unknown, severity: 'error' | 'warning'): TranslationMessage {
  const r = asRecord(e);
  const text = r && typeof r['message'] === 'string' ? r['message'] : String(e);
  const locator = r ? String(r['locator'] ?? '') : '';
  const line = /startLine=(\d+)/.exec(locator)?.[1];
  const column = /startChar=(\d+)/.exec(locator)?.[1];
  return { library, line: line === undefined ? null : Number(line), column: column === undefined ? null : Number(column), message: text, severity };
}

function severityName(e: unknown): string | undefined {
  const sev = asRecord(e)?.['severity'];
  const name = asRecord(sev)?.['name'];
  return typeof name === 'string' ? name : undefined;
}

/**
 * Translates CQL libraries to ELM JSON. Libraries `include` each other by name and version from
 * `sources`; FHIR libraries get Careloop's generated FHIRHelpers unless told otherwise. One library
 * manager serves the whole call, so a library included by several others (FHIRHelpers above all)
 * is compiled once and reused.
 *
 * @throws CqlTranslationError (as a rejection) naming library, line, column and text of every
 *   error, or a source whose `library` declaration does not match its key.
 * @example
 * ```ts
 * const { elm } = await translateLibraries({ sources: new Map([['Screening', cqlText]]) });
 * writeFileSync('Screening.json', JSON.stringify(elm.get('Screening'), null, 2));
 * ```
 */
export async function translateLibraries(opts: TranslateOptions): Promise<TranslationResult> {
  const sources = new Map(opts.sources);
  const usesFhir = [...sources.values()].some((t) => USING_FHIR.test(t));
  const addHelpers = opts.fhirHelpers ?? (usesFhir && !sources.has(FHIR_HELPERS.name));
  if (addHelpers) {
    if (sources.has(FHIR_HELPERS.name)) {
      throw new CqlTranslationError([{ library: FHIR_HELPERS.name, line: null, column: null, message: 'a source named FHIRHelpers was given and fhirHelpers is true: pass one or the other', severity: 'error' }]);
    }
    sources.set(FHIR_HELPERS.name, generatedFhirHelpers());
  }

  const headers = new Map<string, LibraryHeader>();
  const bad: TranslationMessage[] = [];
  for (const [name, text] of sources) {
    const header = readLibraryHeader(text);
    if (header === undefined) bad.push({ library: name, line: null, column: null, message: 'no `library Name version ...` declaration at the top', severity: 'error' });
    else if (header.name !== name) bad.push({ library: name, line: null, column: null, message: `the text declares library ${header.name}`, severity: 'error' });
    else headers.set(name, header);
  }
  if (bad.length) throw new CqlTranslationError(bad);

  const c2e = await import('@cqframework/cql/cql-to-elm');
  const { SystemModelInfoProvider } = await import('@cqframework/cql/cql');
  const { CqlCompilerOptions, CqlTranslator, LibraryBuilder, LibraryManager, ModelManager } = c2e;

  const fhirXml = readFileSync(fhirModelInfoPath(), 'utf8');
  const modelManager = new ModelManager();
  // Only the System model info ships with the JavaScript build; FHIR 4.0.1 comes from cql-exec-fhir.
  modelManager.modelInfoLoader.registerModelInfoProvider(new SystemModelInfoProvider(), true);
  modelManager.modelInfoLoader.registerModelInfoProvider(
    c2e.createModelInfoProvider((id: string, _system: string | null | undefined, version: string | null | undefined): unknown =>
      id === 'FHIR' && (version === null || version === undefined || version === '4.0.1') ? c2e.stringAsSource(fhirXml) : null,
    ),
  );

  // A new CqlCompilerOptions starts with no flags (defaultOptions() would add annotations).
  const options = new CqlCompilerOptions();
  const flags: string[] = [...TRANSLATOR_OPTIONS, ...(opts.annotations ? ['EnableAnnotations'] : [])];
  options.setOptions(flags.map((f) => CqlCompilerOptions.Options.valueOf(f)));
  options.signatureLevel = LibraryBuilder.SignatureLevel.Overloads;
  options.compatibilityLevel = '1.5';
  options.validateUnits = true;

  const ucum = loadUcum();
  const ucumService: unknown = c2e.createUcumService(
    (value: string, from: string, to: string): string => {
      const r = ucum.convertUnitTo(from, Number(value), to);
      if (r.status !== 'succeeded' || typeof r.toVal !== 'number') throw new Error(`cannot convert ${value} '${from}' to '${to}': ${ucumMessages(r.msg)}`);
      return String(r.toVal);
    },
    (unit: string): string | null => {
      const r = ucum.validateUnitString(unit);
      return r.status === 'valid' ? null : ucumMessages(r.msg) || `'${unit}' is not a valid UCUM unit`;
    },
    // Unit arithmetic happens in the engine at run time; the translator does not fold it.
    () => {
      throw new Error('UCUM multiplication is not available at translation time');
    },
    () => {
      throw new Error('UCUM division is not available at translation time');
    },
  );
  const libraryManager = new LibraryManager(modelManager, options, undefined, ucumService);
  libraryManager.librarySourceLoader.registerProvider(
    c2e.createLibrarySourceProvider((id: string, _system: string | null | undefined, version: string | null | undefined): unknown => {
      const text = sources.get(id);
      const header = headers.get(id);
      if (text === undefined || header === undefined) return null;
      if (version !== null && version !== undefined && header.version !== version) return null;
      return c2e.stringAsSource(text);
    }),
  );

  const elm = new Map<string, TranslatedElm>();
  const messages = new Map<string, TranslationMessage>();
  const note = (m: TranslationMessage): void => {
    messages.set(`${m.severity}|${m.library}|${m.line}|${m.column}|${m.message}`, m);
  };
  // kotlin-logging announces itself at its first use with Kotlin's println, which on Node writes to
  // process.stdout; whatever the translator prints belongs on stderr, never in a CLI's stdout.
  const stdoutWrite = process.stdout.write;
  process.stdout.write = ((chunk: unknown, ...rest: unknown[]): boolean => {
    const text = typeof chunk === 'string' ? chunk : chunk instanceof Uint8Array ? Buffer.from(chunk).toString('utf8') : String(chunk);
    if (text.startsWith('kotlin-logging: initializing')) return true;
    return process.stderr.write(text, ...(rest as []));
  }) as typeof process.stdout.write;
  try {
    translateEach();
  } finally {
    process.stdout.write = stdoutWrite;
  }

  // Each library is translated as the main library once. The manager caches what it compiles for an
  // `include` (not a main library), so FHIRHelpers compiles once for all its includers (~1 s with the
  // FHIR model load, then ~20 ms per includer) plus once more, ~0.25 s, for its own ELM.
  function translateEach(): void {
    for (const name of [...sources.keys()].sort(byName)) {
      const text = sources.get(name) ?? '';
      let json: string;
      let exceptions: readonly unknown[] = [];
      try {
        const translator = CqlTranslator.fromText(text, libraryManager);
        exceptions = translator.exceptions.asJsReadonlyArrayView();
        json = translator.toJson();
      } catch (e) {
        note(messageFromException(name, e, 'error'));
        continue;
      }
      const parsed: unknown = JSON.parse(json);
      if (!isTranslatedElm(parsed)) {
        note({ library: name, line: null, column: null, message: 'the translator produced no ELM library', severity: 'error' });
        continue;
      }
      const found = messagesOf(parsed);
      found.forEach(note);
      // Should the ELM ever lack its error annotations, fall back to the exceptions themselves.
      if (found.length === 0) {
        for (const e of exceptions) {
          const sev = severityName(e);
          if (sev === 'Error' || sev === 'Warning') note(messageFromException(name, e, sev === 'Error' ? 'error' : 'warning'));
        }
      }
      elm.set(name, parsed);
    }
  }

  const all = [...messages.values()];
  const errors = all.filter((m) => m.severity === 'error');
  if (errors.length) throw new CqlTranslationError(errors);
  return {
    elm: new Map([...elm].sort(([a], [b]) => byName(a, b))),
    sources,
    errors: [],
    warnings: all.filter((m) => m.severity === 'warning'),
    translatorVersion: translatorVersion(),
  };
}
