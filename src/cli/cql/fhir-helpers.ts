/**
 * Careloop's FHIRHelpers library, generated from the FHIR model info.
 *
 * The FHIR 4.0.1 model info names the functions the translator inserts whenever a FHIR value meets a
 * CQL System type (`<conversionInfo functionName="FHIRHelpers.ToString" fromType="FHIR.ObservationStatus"
 * toType="System.String"/>`), so every library that says `using FHIR version '4.0.1'` needs a library
 * named `FHIRHelpers` version '4.0.1' that defines them. This module writes that library's CQL text:
 *
 * - one function per conversionInfo entry whose FHIR type is a primitive wrapper (it has a `value`
 *   element, inherited or its own): the wrapper's `value`, checked against the declared System type;
 * - hand-written bodies for the structured types (Quantity, Coding, CodeableConcept, Period, Range,
 *   Ratio), written from the FHIR R4 datatype definitions and CQL 1.5:
 *   - Quantity: a `comparator` means the real value is only bounded by `value`, so there is no single
 *     System.Quantity and the result is null (rules that care read `comparator` themselves); units come
 *     from `code` (falling back to the human-readable `unit`, then to UCUM's unity '1') when the system
 *     is UCUM or absent, and from the FHIRPath calendar-units code system's eight codes, which are CQL's
 *     calendar duration keywords; UCUM time units such as 'a' and 'mo' stay UCUM (a definite 'a' is
 *     365.25 days, not a calendar year); any other unit system yields null;
 *   - Period: a missing start is unknown (an open null boundary), a missing end means no end is known or
 *     planned (a closed null boundary, which CQL reads as the end of time);
 *   - Range: both boundaries are inclusive and a missing one is unknown (an open null boundary);
 *   - Ratio: numerator and denominator are both present or the ratio has no value (FHIR rat-1).
 *
 * Output is deterministic: the same model info always yields the same text, byte for byte. A
 * conversionInfo entry that is neither a primitive wrapper nor hand-written makes generation fail, so
 * a new model info cannot silently lose a conversion.
 */

/** The library name and version the FHIR 4.0.1 model info's conversions refer to. */
export const FHIR_HELPERS = { name: 'FHIRHelpers', version: '4.0.1' } as const;

/** One `<conversionInfo>` entry of a model info. */
export interface ConversionInfo {
  /** Unqualified function name, e.g. `ToString` (the model info writes `FHIRHelpers.ToString`). */
  readonly functionName: string;
  /** Qualified FHIR type, e.g. `FHIR.ObservationStatus`. */
  readonly fromType: string;
  /** Qualified target type as the model info writes it, e.g. `System.String` or `Interval<System.DateTime>`. */
  readonly toType: string;
}

interface TypeInfo {
  readonly baseType: string | undefined;
  readonly valueType: string | undefined;
}

const ATTRIBUTE = /([A-Za-z_:][\w:.-]*)="([^"]*)"/g;
// Attribute values may hold a bare '>' (the model info writes `toType="Interval&lt;System.DateTime>"`),
// so a tag's end is found by walking its quoted attributes, never by the first '>'.
const ATTRIBUTES = String.raw`((?:\s+[A-Za-z_:][\w:.-]*="[^"]*")*)\s*`;

function attributes(tag: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of tag.matchAll(ATTRIBUTE)) out.set(m[1] ?? '', unescapeXml(m[2] ?? ''));
  return out;
}

function unescapeXml(s: string): string {
  return s
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&apos;', "'")
    .replaceAll('&amp;', '&');
}

/**
 * The conversionInfo entries of a model info XML document, in document order, whose function lives
 * in FHIRHelpers.
 */
export function readConversionInfos(modelInfoXml: string): ConversionInfo[] {
  const out: ConversionInfo[] = [];
  for (const m of modelInfoXml.matchAll(new RegExp(`<conversionInfo${ATTRIBUTES}/?>`, 'g'))) {
    const a = attributes(m[1] ?? '');
    const fn = a.get('functionName');
    const fromType = a.get('fromType');
    const toType = a.get('toType');
    if (fn === undefined || fromType === undefined || toType === undefined) continue;
    const [library, name, ...rest] = fn.split('.');
    if (library !== FHIR_HELPERS.name || name === undefined || rest.length > 0) continue;
    out.push({ functionName: name, fromType, toType });
  }
  return out;
}

function readTypeInfos(modelInfoXml: string): Map<string, TypeInfo> {
  const types = new Map<string, TypeInfo>();
  for (const m of modelInfoXml.matchAll(new RegExp(`<typeInfo${ATTRIBUTES}(?:/>|>([\\s\\S]*?)</typeInfo>)`, 'g'))) {
    const a = attributes(m[1] ?? '');
    const ns = a.get('namespace');
    const name = a.get('name');
    if (ns === undefined || name === undefined) continue;
    let valueType: string | undefined;
    for (const e of (m[2] ?? '').matchAll(new RegExp(`<element${ATTRIBUTES}/?>`, 'g'))) {
      const ea = attributes(e[1] ?? '');
      if (ea.get('name') === 'value') valueType = ea.get('elementType');
    }
    types.set(`${ns}.${name}`, { baseType: a.get('baseType'), valueType });
  }
  return types;
}

/** The System type of a FHIR type's `value` element, looking through its base types. */
function valueTypeOf(types: ReadonlyMap<string, TypeInfo>, type: string): string | undefined {
  const seen = new Set<string>();
  for (let t: string | undefined = type; t !== undefined && !seen.has(t); t = types.get(t)?.baseType) {
    seen.add(t);
    const info = types.get(t);
    if (info?.valueType !== undefined) return info.valueType;
  }
  return undefined;
}

/** CQL's calendar duration keywords, which are also the codes of the FHIRPath calendar-units code system. */
const CALENDAR_UNITS = ['year', 'month', 'week', 'day', 'hour', 'minute', 'second', 'millisecond'] as const;

const UCUM = 'http://unitsofmeasure.org';
const CALENDAR_UNITS_SYSTEM = 'http://hl7.org/fhirpath/CodeSystem/calendar-units';

/**
 * Hand-written conversions for FHIR's structured types, keyed by `functionName fromType`. Each entry
 * must match a conversionInfo entry's target type, checked at generation.
 */
const STRUCTURED: ReadonlyMap<string, { readonly toType: string; readonly cql: string }> = new Map([
  [
    'ToQuantity FHIR.Quantity',
    {
      toType: 'System.Quantity',
      cql: `// A comparator ('<', '<=', '>=', '>', 'ad') bounds the real value instead of stating it: no single
// System.Quantity exists, so the conversion is null. Units: UCUM (or no system) uses the code, then
// the human-readable unit, then UCUM unity '1'; the FHIRPath calendar-units system gives CQL's calendar
// duration keywords; any other unit system cannot be compared, so the conversion is null.
define function ToQuantity(quantity FHIR.Quantity) returns System.Quantity:
  if quantity is null or quantity.value.value is null or quantity.comparator.value is not null then null
  else if quantity.system.value is null or quantity.system.value = '${UCUM}' then
    System.Quantity { value: quantity.value.value, unit: Coalesce(quantity.code.value, quantity.unit.value, '1') }
  else if quantity.system.value = '${CALENDAR_UNITS_SYSTEM}'
    and quantity.code.value in { ${CALENDAR_UNITS.map((u) => `'${u}'`).join(', ')} } then
    System.Quantity { value: quantity.value.value, unit: quantity.code.value }
  else null`,
    },
  ],
  [
    'ToRatio FHIR.Ratio',
    {
      toType: 'System.Ratio',
      cql: `// FHIR rat-1: numerator and denominator are both present or both absent; without both there is no ratio.
define function ToRatio(ratio FHIR.Ratio) returns System.Ratio:
  if ratio is null then null
  else QuantityRatio(ToQuantity(ratio.numerator), ToQuantity(ratio.denominator))

define private function QuantityRatio(numerator System.Quantity, denominator System.Quantity) returns System.Ratio:
  if numerator is null or denominator is null then null
  else System.Ratio { numerator: numerator, denominator: denominator }`,
    },
  ],
  [
    'ToInterval FHIR.Range',
    {
      toType: 'Interval<System.Quantity>',
      cql: `// Both boundaries are inclusive; a missing (or unconvertible) one is unknown: an open null boundary.
define function ToInterval(range FHIR.Range) returns Interval<System.Quantity>:
  if range is null then null
  else QuantityInterval(ToQuantity(range.low), ToQuantity(range.high))

define private function QuantityInterval(low System.Quantity, high System.Quantity) returns Interval<System.Quantity>:
  case
    when low is null and high is null then Interval(low, high)
    when low is null then Interval(low, high]
    when high is null then Interval[low, high)
    else Interval[low, high]
  end`,
    },
  ],
  [
    'ToInterval FHIR.Period',
    {
      toType: 'Interval<System.DateTime>',
      cql: `// A missing start is unknown (open null boundary); a missing end means no end is known or planned
// (closed null boundary: the period runs to the end of time).
define function ToInterval(period FHIR.Period) returns Interval<System.DateTime>:
  if period is null then null
  else if period."start".value is null then Interval(period."start".value, period."end".value]
  else Interval[period."start".value, period."end".value]`,
    },
  ],
  [
    'ToCode FHIR.Coding',
    {
      toType: 'System.Code',
      cql: `define function ToCode(coding FHIR.Coding) returns System.Code:
  if coding is null then null
  else System.Code {
    code: coding.code.value,
    system: coding.system.value,
    version: coding.version.value,
    display: coding.display.value
  }`,
    },
  ],
  [
    'ToConcept FHIR.CodeableConcept',
    {
      toType: 'System.Concept',
      cql: `define function ToConcept(concept FHIR.CodeableConcept) returns System.Concept:
  if concept is null then null
  else System.Concept {
    codes: concept.coding C return ToCode(C),
    display: concept.text.value
  }`,
    },
  ],
]);

/**
 * The CQL text of Careloop's FHIRHelpers library for a FHIR model info document (the cql-exec-fhir
 * copy of `fhir-modelinfo-4.0.1.xml`).
 *
 * @throws Error when a conversionInfo entry has no hand-written body and its FHIR type has no
 *   `value` element of the declared target type.
 * @example
 * ```ts
 * const cql = fhirHelpersCql(readFileSync(FHIR_MODEL_INFO_PATH, 'utf8'));
 * // contains "define function ToString(value FHIR.ObservationStatus) returns System.String: value.value"
 * ```
 */
export function fhirHelpersCql(modelInfoXml: string): string {
  const conversions = readConversionInfos(modelInfoXml);
  if (conversions.length === 0) throw new Error('the model info declares no FHIRHelpers conversions');
  const types = readTypeInfos(modelInfoXml);
  const structured: string[] = [];
  const primitives: string[] = [];
  const seen = new Set<string>();
  for (const c of conversions) {
    const key = `${c.functionName} ${c.fromType}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const hand = STRUCTURED.get(key);
    if (hand !== undefined) {
      if (hand.toType !== c.toType) throw new Error(`FHIRHelpers.${key}: the model info expects ${c.toType}, the hand-written body returns ${hand.toType}`);
      continue;
    }
    const valueType = valueTypeOf(types, c.fromType);
    if (valueType === undefined) throw new Error(`FHIRHelpers.${key}: ${c.fromType} is not a primitive wrapper and has no hand-written body`);
    if (valueType !== c.toType) throw new Error(`FHIRHelpers.${key}: ${c.fromType}.value is ${valueType}, the model info expects ${c.toType}`);
    primitives.push(`define function ${c.functionName}(value ${c.fromType}) returns ${c.toType}: value.value`);
  }
  // Hand-written bodies in their fixed order, each only if the model info asks for it.
  for (const [key, hand] of STRUCTURED) if (seen.has(key)) structured.push(hand.cql);
  primitives.sort();
  return [
    `library ${FHIR_HELPERS.name} version '${FHIR_HELPERS.version}'`,
    '',
    `using FHIR version '${FHIR_HELPERS.version}'`,
    '',
    '// Generated by src/cli/cql/fhir-helpers.ts from the FHIR model info: do not edit by hand.',
    '',
    structured.join('\n\n'),
    '',
    '// Primitive wrappers: the System value each FHIR primitive carries.',
    primitives.join('\n'),
    '',
  ].join('\n');
}
