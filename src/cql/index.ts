/**
 * Careloop's ELM engine: load CQL's compiled form (ELM JSON) once, evaluate it per patient over FHIR
 * R4 data. Pure: no network, no clock (the evaluation time is an argument), the same in the browser,
 * a Web Worker and Node.
 *
 * @example
 * const program = createFhirProgram([measureElm, fhirHelpersElm]);
 * const values = evaluateFhir(program, patientResources, {
 *   now: parseDateTime('2026-06-01T12:00:00Z', 0)!,
 *   terminology: createTerminology(valueSets),
 *   parameters: { 'Measurement Period': period },
 * });
 */
import type { ElmLibrary } from './elm.ts';
import type { Terminology } from './compile/types.ts';
import { createFhirDataSource } from './fhir-r4/data-source.ts';
import { fhirHelpersNatives } from './fhir-r4/fhir-helpers.ts';
import { createFhirModel } from './fhir-r4/model.ts';
import { qicoreBaseType, qicoreClassifier } from './fhir-r4/qicore.ts';
import { loadProgram } from './program.ts';
import type { Program } from './program.ts';
import type { CqlDateTime } from './values/datetime.ts';

export type { ElmLibrary, ElmNode } from './elm.ts';
export type { DataSource, Terminology, Runtime, ModelAccess } from './compile/types.ts';
export { ElmLoadError, CqlRuntimeError } from './errors.ts';
export { loadProgram } from './program.ts';
export type { Program, EvaluationRequest, EvaluationSession, LoadOptions, NativeFunction, NativeLookup } from './program.ts';
export { createTerminology, codesOfValueSetResource, canonicalSystem, CODE_SYSTEM_ALIASES } from './terminology.ts';
export { codeIndexBuilder, createFhirDataSource, createFhirDataSourceByType } from './fhir-r4/data-source.ts';
export type { CodeIndex, CodeIndexBuilder, FhirDataSource, FhirDataSourceOptions, ProfileClassifier } from './fhir-r4/data-source.ts';
export { FhirValue, createFhirModel } from './fhir-r4/model.ts';
export { CqlCode, CqlConcept } from './values/code.ts';
export { CqlDate, CqlDateTime, CqlTime } from './values/datetime.ts';
export { CqlInterval } from './values/interval.ts';
export { CqlQuantity, CqlRatio } from './values/quantity.ts';
export { CqlTuple } from './values/tuple.ts';
export { CqlValueSet, CqlCodeSystem } from './values/terminology.ts';

/** The FHIR R4 model with QI-Core types and native FHIRHelpers, as used for every FHIR program. */
export const fhirModel = createFhirModel(qicoreBaseType);

/**
 * Loads ELM libraries over the FHIR R4 / QI-Core model with native FHIRHelpers conversions.
 *
 * @throws {ElmLoadError} naming the library, node and locator of what cannot be loaded.
 */
export function createFhirProgram(libraries: readonly ElmLibrary[], options: { readonly main?: string } = {}): Program {
  return loadProgram(libraries, { model: fhirModel, natives: fhirHelpersNatives, ...(options.main ? { main: options.main } : {}) });
}

/** Inputs of `evaluateFhir`. */
export interface FhirEvaluation {
  readonly now: CqlDateTime;
  readonly terminology: Terminology;
  readonly parameters?: Readonly<Record<string, unknown>>;
  readonly defines?: readonly string[];
  readonly library?: string;
}

/** Evaluates a program over one patient's FHIR resources: each definition's value or error. */
export function evaluateFhir(program: Program, resources: readonly unknown[], input: FhirEvaluation): Map<string, { readonly value: unknown } | { readonly error: Error }> {
  const data = createFhirDataSource(resources, qicoreClassifier);
  return program.evaluateEach({
    data,
    terminology: input.terminology,
    now: input.now,
    contextValue: data.patient,
    ...(input.parameters ? { parameters: input.parameters } : {}),
    ...(input.defines ? { defines: input.defines } : {}),
    ...(input.library ? { library: input.library } : {}),
  });
}
