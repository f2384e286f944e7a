/**
 * Native FHIRHelpers: the conversions from FHIR primitives and codings to CQL system values that
 * every measure calls for nearly every element it reads. Their meaning is FHIRHelpers' (primitive →
 * its `value`; Coding → Code; CodeableConcept → Concept with its text as display); running them
 * natively skips a function call and several property reads per use. Conversions with more logic
 * (ToQuantity, ToInterval, ToRatio …) run from the library's own ELM.
 */
import type { Runtime } from '../compile/types.ts';
import type { NativeFunction, NativeLookup } from '../program.ts';
import { CqlCode, CqlConcept } from '../values/code.ts';
import { FhirValue, primitiveValue } from './model.ts';

type Json = Readonly<Record<string, unknown>>;

const str = (o: Json, k: string): string | null => (typeof o[k] === 'string' ? (o[k] as string) : null);

/** A FHIR Coding's JSON as a CQL Code, or null without a code. */
export function codeFromCoding(json: unknown): CqlCode | null {
  if (typeof json !== 'object' || json === null) return null;
  const o = json as Json;
  const code = str(o, 'code');
  const system = str(o, 'system');
  const version = str(o, 'version');
  const display = str(o, 'display');
  // A Coding without a code (display text only) names no code.
  return code === null ? null : new CqlCode(code, system, version, display);
}

/** A FHIR CodeableConcept's JSON as a CQL Concept. */
export function conceptFromCodeableConcept(json: unknown): CqlConcept | null {
  if (typeof json !== 'object' || json === null) return null;
  const o = json as Json;
  const codings = Array.isArray(o['coding']) ? (o['coding'] as unknown[]) : [];
  const codes = codings.map(codeFromCoding).filter((c): c is CqlCode => c !== null);
  return new CqlConcept(codes, str(o, 'text'));
}

/** A one-operand native, callable with an argument list or (`unary`) with the argument alone. */
function unaryNative(f: (v: unknown, rt: Runtime) => unknown): NativeFunction {
  return Object.assign((args: readonly unknown[], rt: Runtime) => f(args[0], rt), { unary: f });
}

const primitive = unaryNative((v, rt) => (v instanceof FhirValue ? primitiveValue(v.fhirType, v.json, rt) : null));

const NATIVES: Readonly<Record<string, NativeFunction>> = {
  ToString: primitive,
  ToBoolean: primitive,
  ToInteger: primitive,
  ToDecimal: primitive,
  ToDate: primitive,
  ToDateTime: primitive,
  ToTime: primitive,
  ToCode: unaryNative((v) => (v instanceof FhirValue ? codeFromCoding(v.json) : null)),
  ToConcept: unaryNative((v) => (v instanceof FhirValue ? conceptFromCodeableConcept(v.json) : null)),
};

/** FHIRHelpers' conversions that take one FHIR-typed operand, run natively. */
export const fhirHelpersNatives: NativeLookup = (libraryName, functionName, operandTypes) => {
  if (libraryName !== 'FHIRHelpers' || operandTypes.length !== 1) return undefined;
  const t = operandTypes[0] ?? '';
  if (!t.startsWith('{http://hl7.org/fhir}') && !t.startsWith('FHIR.')) return undefined;
  return Object.hasOwn(NATIVES, functionName) ? NATIVES[functionName] : undefined;
};
