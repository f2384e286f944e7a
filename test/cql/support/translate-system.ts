/**
 * A minimal CQL → ELM translator for libraries that use the System model only (the conformance corpus),
 * on the HL7 reference translator `@cqframework/cql`. It registers the System model info by hand and
 * validates quantity units with `@lhncbc/ucum-lhc`. It is for tests; the project's translator for
 * FHIR libraries lives in src/cli/.
 */
import { createRequire } from 'node:module';
import {
  CqlCompilerOptions,
  CqlTranslator,
  LibraryManager,
  ModelManager,
  createUcumService,
} from '@cqframework/cql/cql-to-elm';
import { SystemModelInfoProvider } from '@cqframework/cql/cql';

/** One message from the translator, with where it points in the CQL text. */
export interface TranslationMessage {
  readonly severity: 'error' | 'warning' | 'info';
  readonly message: string;
  readonly line: number | null;
}

/** The ELM of one library and what the translator said about it. */
export interface Translation {
  /** ELM JSON as cql-execution reads it (`{ library: ... }`). */
  readonly elm: object;
  readonly errors: readonly TranslationMessage[];
  readonly warnings: readonly TranslationMessage[];
}

interface UcumValidation {
  readonly status: string;
  readonly msg: readonly string[];
}

interface UcumUtils {
  validateUnitString(unit: string, suggest?: boolean, valConv?: string): UcumValidation;
}

let ucumUtils: UcumUtils | undefined;

function ucum(): UcumUtils {
  if (ucumUtils === undefined) {
    const require = createRequire(import.meta.url);
    const pkg = require('@lhncbc/ucum-lhc') as { UcumLhcUtils: { getInstance(): UcumUtils } };
    ucumUtils = pkg.UcumLhcUtils.getInstance();
  }
  return ucumUtils;
}

/** A message for an invalid UCUM unit, `null` for a valid one (the translator's contract). */
function validateUnit(unit: string): string | null {
  const result = ucum().validateUnitString(unit, false, 'validate');
  return result.status === 'valid' ? null : result.msg.join('; ') || `invalid UCUM unit '${unit}'`;
}

function unsupported(what: string): never {
  throw new Error(`${what} is not needed to translate System-model libraries`);
}

/** The translator only validates units at compile time; conversion and arithmetic are the engine's. */
const ucumService: unknown = createUcumService(
  () => unsupported('UCUM conversion'),
  validateUnit,
  () => unsupported('UCUM multiplication'),
  () => unsupported('UCUM division'),
);

interface KotlinList<T> {
  asJsArrayView(): readonly T[];
}

interface CompilerMessage {
  readonly message: string;
  /** A Kotlin TrackBack: its fields are minified, so its line is read from its text. */
  readonly locator?: { toString(): string } | null;
  readonly severity: { readonly name: string };
}

function lineOf(locator: { toString(): string } | null | undefined): number | null {
  const match = locator === null || locator === undefined ? null : /startLine=(\d+)/.exec(locator.toString());
  return match?.[1] === undefined ? null : Number(match[1]);
}

function messages(list: unknown): TranslationMessage[] {
  return (list as KotlinList<CompilerMessage>).asJsArrayView().map((e) => ({
    severity: e.severity.name === 'Error' ? 'error' : e.severity.name === 'Warning' ? 'warning' : 'info',
    message: e.message,
    line: lineOf(e.locator),
  }));
}

/**
 * Translates one System-model CQL library to ELM JSON with the translator's default options
 * (annotations, locators, no list promotion or demotion), as the published eCQM ELM is made.
 *
 * @example
 * const { elm, errors } = translateSystemLibrary("library X version '1'\ndefine \"A\": 1 + 1");
 */
export function translateSystemLibrary(cql: string): Translation {
  const modelManager = new ModelManager();
  modelManager.modelInfoLoader.registerModelInfoProvider(new SystemModelInfoProvider(), true);
  const libraryManager = new LibraryManager(modelManager, CqlCompilerOptions.defaultOptions(), null, ucumService);
  const translator = CqlTranslator.fromText(cql, libraryManager);
  const all = messages(translator.exceptions);
  return {
    elm: JSON.parse(translator.toJson()) as object,
    errors: all.filter((m) => m.severity === 'error'),
    warnings: all.filter((m) => m.severity === 'warning'),
  };
}
