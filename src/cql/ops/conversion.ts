/**
 * Conversion operators (CQL 1.5 Appendix B "Type Operators", Table 9-E): ToBoolean … ToTime, the
 * ConvertsTo* tests, ConvertQuantity/CanConvertQuantity and the generic `Convert` node. A value that
 * cannot be converted gives null (ConvertsTo* gives false), never an error.
 *
 * Decimal and Integer are both JavaScript numbers: ToString chooses `5` or `5.0` from the operand's
 * static type in the ELM (signature, literal type); a Decimal prints its shortest form with at least
 * one decimal place (`ToString(1.50)` → `'1.5'`, `ToString(2.0)` → `'2.0'`).
 */
import { splitQName, str } from '../elm.ts';
import type { ElmNode, ElmTypeSpecifier } from '../elm.ts';
import type { Evaluator, NodeCompiler, Runtime } from '../compile/types.ts';
import { CqlRuntimeError } from '../errors.ts';
import { CqlCode, CqlConcept } from '../values/code.ts';
import { CqlDate, CqlDateTime, CqlTime, parseDate, parseDateTime, parseTime, temporalToString } from '../values/datetime.ts';
import {
  checkDecimal,
  checkInteger,
  checkLong,
  formatDecimal,
  parseDecimal,
  parseInteger,
  parseLong,
} from '../values/decimal.ts';
import { CqlQuantity, CqlRatio, convertQuantity, divideQuantities, formatQuantity, formatRatio, parseQuantity, parseRatio } from '../values/quantity.ts';
import { unitsComparable } from '../values/ucum.ts';
import { operandTypeNames } from './arithmetic.ts';
import { operandsN } from './util.ts';

// ---------------------------------------------------------------------------------------------
// The conversions, as value functions (null = cannot convert)

type Conversion = (v: unknown, rt: Runtime) => unknown;

const TRUE_WORDS = new Set(['true', 't', 'yes', 'y', '1']);
const FALSE_WORDS = new Set(['false', 'f', 'no', 'n', '0']);

function toBoolean(v: unknown): boolean | null {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const s = v.toLowerCase();
    return TRUE_WORDS.has(s) ? true : FALSE_WORDS.has(s) ? false : null;
  }
  if (typeof v === 'number') return v === 1 ? true : v === 0 ? false : null;
  return null;
}

function toInteger(v: unknown): number | null {
  if (typeof v === 'number') return checkInteger(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') return parseInteger(v);
  return null;
}

function toLong(v: unknown): number | null {
  if (typeof v === 'number') return checkLong(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') return parseLong(v);
  return null;
}

function toDecimal(v: unknown): number | null {
  if (typeof v === 'number') return checkDecimal(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') return parseDecimal(v);
  return null;
}

function toQuantity(v: unknown): CqlQuantity | null {
  if (v instanceof CqlQuantity) return v;
  if (typeof v === 'number') {
    const d = checkDecimal(v);
    return d === null ? null : new CqlQuantity(d, '1');
  }
  if (typeof v === 'string') return parseQuantity(v);
  if (v instanceof CqlRatio) return divideQuantities(v.numerator, v.denominator);
  return null;
}

function toRatio(v: unknown): CqlRatio | null {
  if (v instanceof CqlRatio) return v;
  if (typeof v === 'string') return parseRatio(v);
  return null;
}

function toConcept(v: unknown): CqlConcept | null {
  if (v instanceof CqlConcept) return v;
  if (v instanceof CqlCode) return new CqlConcept([v], v.display);
  if (Array.isArray(v)) {
    const codes = v.filter((c): c is CqlCode => c instanceof CqlCode);
    return codes.length === 0 ? null : new CqlConcept(codes, null);
  }
  return null;
}

function toDateTime(v: unknown, rt: Runtime): CqlDateTime | null {
  if (v instanceof CqlDateTime) return v;
  if (v instanceof CqlDate) return new CqlDateTime([...v.f], rt.now.offset);
  if (typeof v === 'string') return parseDateTime(v, rt.now.offset);
  return null;
}

function toDate(v: unknown): CqlDate | null {
  if (v instanceof CqlDate) return v;
  if (v instanceof CqlDateTime) return new CqlDate(v.f.slice(0, 3));
  if (typeof v === 'string') return parseDate(v);
  return null;
}

function toTime(v: unknown): CqlTime | null {
  if (v instanceof CqlTime) return v;
  if (typeof v === 'string') return parseTime(v);
  return null;
}

/** How a number prints: as an Integer/Long, or as a Decimal (with a known scale from a literal). */
type NumberStyle = { readonly kind: 'integer' } | { readonly kind: 'decimal' } | { readonly kind: 'unknown' };

function toStringWith(style: NumberStyle): (v: unknown) => string | null {
  return (v) => {
    if (typeof v === 'string') return v;
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (typeof v === 'number') {
      if (style.kind === 'integer') return String(v);
      if (style.kind === 'decimal') return formatDecimal(v);
      return Number.isInteger(v) ? String(v) : formatDecimal(v);
    }
    if (v instanceof CqlQuantity) return formatQuantity(v);
    if (v instanceof CqlRatio) return formatRatio(v);
    if (v instanceof CqlDate || v instanceof CqlDateTime || v instanceof CqlTime) return temporalToString(v);
    return null;
  };
}

/** The number style of the operand of a conversion node, from the ELM. */
function numberStyle(node: ElmNode): NumberStyle {
  const t = operandTypeNames(node)[0];
  if (t === 'Integer' || t === 'Long') return { kind: 'integer' };
  if (t === 'Decimal') return { kind: 'decimal' };
  return { kind: 'unknown' };
}

/** Conversions by target System type name (for `Convert`, the To… and ConvertsTo… nodes). */
const CONVERSIONS: Readonly<Record<string, (node: ElmNode) => Conversion>> = {
  Boolean: () => toBoolean,
  Integer: () => toInteger,
  Long: () => toLong,
  Decimal: () => toDecimal,
  Quantity: () => toQuantity,
  Ratio: () => toRatio,
  String: (node) => toStringWith(numberStyle(node)),
  Date: () => toDate,
  DateTime: () => toDateTime,
  Time: () => toTime,
  Concept: () => toConcept,
};

function conversionTo(typeName: string, node: ElmNode): Conversion | undefined {
  return CONVERSIONS[typeName]?.(node);
}

function convertNode(typeName: string): NodeCompiler {
  return (node, env) => {
    const [a] = operandsN(node, env, 1) as [Evaluator];
    const f = conversionTo(typeName, node);
    if (!f) return env.fail(node, `no conversion to ${typeName}`);
    return (rt) => {
      const v = a(rt) ?? null;
      return v === null ? null : (f(v, rt) ?? null);
    };
  };
}

function convertsNode(typeName: string): NodeCompiler {
  return (node, env) => {
    const [a] = operandsN(node, env, 1) as [Evaluator];
    const f = conversionTo(typeName, node);
    if (!f) return env.fail(node, `no conversion to ${typeName}`);
    return (rt) => {
      const v = a(rt) ?? null;
      return v === null ? null : (f(v, rt) ?? null) !== null;
    };
  };
}

function typeNameOf(node: ElmNode): string | undefined {
  const t = str(node, 'toType');
  if (t) return splitQName(t).name;
  const spec = node['toTypeSpecifier'] as ElmTypeSpecifier | undefined;
  if (spec && spec.type === 'NamedTypeSpecifier' && typeof spec.name === 'string') return splitQName(spec.name).name;
  if (spec && spec.type === 'ListTypeSpecifier') return 'List';
  return undefined;
}

const convert: NodeCompiler = (node, env) => {
  const t = typeNameOf(node);
  if (t === undefined) return env.fail(node, 'Convert without a target type');
  return convertNode(t)(node, env);
};

function quantityAndUnit(f: (q: CqlQuantity, unit: string) => unknown): NodeCompiler {
  return (node, env) => {
    const [a, b] = operandsN(node, env, 2) as [Evaluator, Evaluator];
    return (rt) => {
      const q = a(rt) ?? null;
      if (q === null) return null;
      const u = b(rt) ?? null;
      if (u === null) return null;
      if (!(q instanceof CqlQuantity) || typeof u !== 'string') throw new CqlRuntimeError(`${node.type}: expected a Quantity and a unit`);
      return f(q, u);
    };
  };
}

/** The conversion family's compilers, keyed by ELM node type. */
export const conversionOperators: Record<string, NodeCompiler> = {
  ToBoolean: convertNode('Boolean'),
  ToInteger: convertNode('Integer'),
  ToLong: convertNode('Long'),
  ToDecimal: convertNode('Decimal'),
  ToQuantity: convertNode('Quantity'),
  ToRatio: convertNode('Ratio'),
  ToString: convertNode('String'),
  ToDate: convertNode('Date'),
  ToDateTime: convertNode('DateTime'),
  ToTime: convertNode('Time'),
  ToConcept: convertNode('Concept'),
  ConvertsToBoolean: convertsNode('Boolean'),
  ConvertsToInteger: convertsNode('Integer'),
  ConvertsToLong: convertsNode('Long'),
  ConvertsToDecimal: convertsNode('Decimal'),
  ConvertsToQuantity: convertsNode('Quantity'),
  ConvertsToRatio: convertsNode('Ratio'),
  ConvertsToString: convertsNode('String'),
  ConvertsToDate: convertsNode('Date'),
  ConvertsToDateTime: convertsNode('DateTime'),
  ConvertsToTime: convertsNode('Time'),
  Convert: convert,
  ConvertQuantity: quantityAndUnit((q, u) => convertQuantity(q, u)),
  CanConvertQuantity: quantityAndUnit((q, u) => unitsComparable(q.unit, u)),
};
