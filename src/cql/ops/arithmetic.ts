/**
 * Arithmetic operators (CQL 1.5 Appendix B "Arithmetic Operators"): Integer (32-bit), Long, Decimal
 * (28 digits, 8 places) and Quantity, plus Date/DateTime/Time ± Quantity. Overflow, division by zero
 * and results that cannot be represented are null, never an error.
 *
 * Integer and Decimal are both JavaScript numbers, so which one a node computes is decided at load
 * time from the ELM: the node's `signature`, else its operands' static types (a Literal's
 * `valueType`, a `ToDecimal`, an `As`, `resultTypeName`). When nothing says, a whole number is taken
 * as an Integer for successor/predecessor and Decimal semantics apply otherwise.
 */
import { child, children, splitQName, str } from '../elm.ts';
import type { ElmNode } from '../elm.ts';
import type { CompileEnv, Evaluator, NodeCompiler, Runtime } from '../compile/types.ts';
import { CqlRuntimeError } from '../errors.ts';
import {
  CqlDate,
  CqlDateTime,
  CqlTime,
  addTemporal,
  daysInMonth,
  isTemporal,
  predecessorOf,
  subtractTemporal,
  successorOf,
  type Temporal,
} from '../values/datetime.ts';
import {
  DECIMAL_STEP,
  MAX_DECIMAL,
  MAX_INTEGER,
  MAX_LONG,
  MIN_DECIMAL,
  MIN_INTEGER,
  MIN_LONG,
  checkDecimal,
  checkKind,
  noNegZero,
  plainDecimal,
  roundHalfAway,
  scaleOf,
  scaleOfText,
  truncatePlaces,
  type NumericKind,
} from '../values/decimal.ts';
import {
  CqlQuantity,
  absQuantity,
  addQuantities,
  divideQuantities,
  moduloQuantities,
  multiplyQuantities,
  negateQuantity,
  stepQuantity,
  subtractQuantities,
  truncatedDivideQuantities,
} from '../values/quantity.ts';
import { operandsN } from './util.ts';

// ---------------------------------------------------------------------------------------------
// Static types from the ELM

const TYPE_OF_CONVERSION: Readonly<Record<string, string>> = {
  ToDecimal: 'Decimal',
  ToInteger: 'Integer',
  ToLong: 'Long',
  ToQuantity: 'Quantity',
  ToString: 'String',
  ToBoolean: 'Boolean',
  ToDateTime: 'DateTime',
  ToDate: 'Date',
  ToTime: 'Time',
  ToRatio: 'Ratio',
  ToConcept: 'Concept',
  Quantity: 'Quantity',
  Ratio: 'Ratio',
  Concatenate: 'String',
  Divide: 'Decimal',
  Ln: 'Decimal',
  Exp: 'Decimal',
  Log: 'Decimal',
  Ceiling: 'Integer',
  Floor: 'Integer',
  Truncate: 'Integer',
  Length: 'Integer',
  PositionOf: 'Integer',
  LastPositionOf: 'Integer',
  Precision: 'Integer',
  DateTime: 'DateTime',
  Date: 'Date',
  Time: 'Time',
  Now: 'DateTime',
  Today: 'Date',
  TimeOfDay: 'Time',
};

/** Operators whose result has the type of their (first) operand. */
const SAME_AS_OPERAND = new Set(['Add', 'Subtract', 'Multiply', 'TruncatedDivide', 'Modulo', 'Negate', 'Abs', 'Round', 'Power', 'Successor', 'Predecessor', 'LowBoundary', 'HighBoundary']);

/** The System type name (`Integer`, `Decimal` …) an ELM expression statically has, when the ELM says. */
export function staticTypeName(node: ElmNode | undefined): string | undefined {
  if (!node) return undefined;
  const rt = str(node, 'resultTypeName');
  if (rt) return splitQName(rt).name;
  switch (node.type) {
    case 'Literal':
      return splitQName(str(node, 'valueType') ?? '').name || undefined;
    case 'As': {
      const t = str(node, 'asType');
      if (t) return splitQName(t).name;
      const spec = node['asTypeSpecifier'];
      const name = typeof spec === 'object' && spec !== null ? (spec as { name?: unknown }).name : undefined;
      return typeof name === 'string' ? splitQName(name).name : undefined;
    }
    case 'MinValue':
    case 'MaxValue':
      return splitQName(str(node, 'valueType') ?? '').name || undefined;
    default:
      break;
  }
  const direct = TYPE_OF_CONVERSION[node.type];
  if (direct) return direct;
  if (SAME_AS_OPERAND.has(node.type)) {
    const ops = operandTypeNames(node);
    if (ops.includes('Quantity')) return 'Quantity';
    if (ops.includes('Decimal')) return 'Decimal';
    if (ops.length > 0 && ops.every((t) => t === 'Long' || t === 'Integer') && ops.includes('Long')) return 'Long';
    if (ops.length > 0 && ops.every((t) => t === 'Integer')) return 'Integer';
  }
  return undefined;
}

/** The static type names of a node's operands: its `signature` when present, else each operand's. */
export function operandTypeNames(node: ElmNode): (string | undefined)[] {
  const sig = node['signature'];
  if (Array.isArray(sig) && sig.length > 0) {
    return sig.map((s: unknown) => {
      const name = typeof s === 'object' && s !== null ? (s as { name?: unknown }).name : undefined;
      return typeof name === 'string' ? splitQName(name).name : undefined;
    });
  }
  const ops = children(node, 'operand');
  return ops.map((o) => staticTypeName(o));
}

/** The numeric kind of an arithmetic node, or undefined when the ELM does not say. */
export function numericKind(node: ElmNode): NumericKind | undefined {
  const types = operandTypeNames(node);
  if (types.length === 0 || types.some((t) => t === undefined)) return undefined;
  if (types.includes('Decimal')) return 'Decimal';
  if (types.every((t) => t === 'Integer')) return 'Integer';
  if (types.every((t) => t === 'Integer' || t === 'Long')) return 'Long';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Numbers

function numberOp(kind: NumericKind | undefined, f: (a: number, b: number) => number): (a: number, b: number) => number | null {
  if (kind) return (a, b) => checkKind(f(a, b), kind);
  // Unknown static type: Decimal range and scale, whole results unchanged.
  return (a, b) => {
    const r = f(a, b);
    return Number.isInteger(r) ? (Math.abs(r) <= MAX_DECIMAL ? noNegZero(r) : null) : checkDecimal(r);
  };
}

const asQuantity = (v: unknown): CqlQuantity | null => (v instanceof CqlQuantity ? v : typeof v === 'number' ? new CqlQuantity(v, '1') : null);

function binaryArith(
  node: ElmNode,
  env: CompileEnv,
  num: (a: number, b: number) => number | null,
  qty: ((a: CqlQuantity, b: CqlQuantity) => CqlQuantity | null) | undefined,
  temporal?: 'add' | 'subtract',
): Evaluator {
  const [a, b] = operandsN(node, env, 2) as [Evaluator, Evaluator];
  return (rt) => {
    const x = a(rt) ?? null;
    if (x === null) return null;
    const y = b(rt) ?? null;
    if (y === null) return null;
    if (typeof x === 'number' && typeof y === 'number') return num(x, y);
    if (temporal && isTemporal(x) && y instanceof CqlQuantity) {
      return temporal === 'add' ? addTemporal(x, y) : subtractTemporal(x, y);
    }
    if (qty) {
      const qx = asQuantity(x);
      const qy = asQuantity(y);
      if (qx && qy) return qty(qx, qy);
    }
    throw new CqlRuntimeError(`${node.type}: operands of unsupported types`);
  };
}

const arith =
  (f: (a: number, b: number) => number, qty: ((a: CqlQuantity, b: CqlQuantity) => CqlQuantity | null) | undefined, temporal?: 'add' | 'subtract'): NodeCompiler =>
  (node, env) =>
    binaryArith(node, env, numberOp(numericKind(node), f), qty, temporal);

function divide(node: ElmNode, env: CompileEnv): Evaluator {
  return binaryArith(node, env, (x, y) => (y === 0 ? null : checkDecimal(x / y)), divideQuantities);
}

function truncatedDivide(node: ElmNode, env: CompileEnv): Evaluator {
  const kind = numericKind(node);
  const check = numberOp(kind, (x) => x);
  return binaryArith(node, env, (x, y) => (y === 0 ? null : check(Math.trunc(roundHalfAway(x / y, 8)), 0)), truncatedDivideQuantities);
}

function modulo(node: ElmNode, env: CompileEnv): Evaluator {
  const kind = numericKind(node);
  const check = numberOp(kind, (x) => x);
  // The remainder takes the sign of the dividend (truncated division), as `div` truncates.
  return binaryArith(node, env, (x, y) => (y === 0 ? null : check(decimalRemainder(x, y), 0)), moduloQuantities);
}

/** x mod y computed on the decimal scale of the operands, so 5.5 mod 0.1 is 0, not 0.0999…. */
function decimalRemainder(x: number, y: number): number {
  const places = Math.min(8, Math.max(scaleOf(x), scaleOf(y)));
  const f = 10 ** places;
  const xi = Math.round(x * f);
  const yi = Math.round(y * f);
  return Number.isSafeInteger(xi) && Number.isSafeInteger(yi) ? (xi % yi) / f : x % y;
}

function unaryNumeric(node: ElmNode, env: CompileEnv, num: (x: number) => number | null, qty?: (q: CqlQuantity) => CqlQuantity | null): Evaluator {
  const [a] = operandsN(node, env, 1) as [Evaluator];
  return (rt) => {
    const x = a(rt) ?? null;
    if (x === null) return null;
    if (typeof x === 'number') return num(x);
    if (qty && x instanceof CqlQuantity) return qty(x);
    throw new CqlRuntimeError(`${node.type}: operand of unsupported type`);
  };
}

const negate: NodeCompiler = (node, env) => {
  const kind = numericKind(node);
  return unaryNumeric(node, env, (x) => (kind ? checkKind(-x, kind) : noNegZero(-x)), negateQuantity);
};

const abs: NodeCompiler = (node, env) => {
  const kind = numericKind(node);
  return unaryNumeric(node, env, (x) => (kind ? checkKind(Math.abs(x), kind) : Math.abs(x)), absQuantity);
};

const toInteger =
  (f: (x: number) => number): NodeCompiler =>
  (node, env) =>
    unaryNumeric(node, env, (x) => checkKind(f(x), 'Integer'));

function round(node: ElmNode, env: CompileEnv): Evaluator {
  const [a] = operandsN(node, env, 1) as [Evaluator];
  const p = env.compileOptional(child(node, 'precision'));
  return (rt) => {
    const x = a(rt) ?? null;
    if (x === null) return null;
    const places = p ? (p(rt) ?? null) : 0;
    const n = places === null ? 0 : places;
    if (typeof x !== 'number' || typeof n !== 'number') throw new CqlRuntimeError('Round: operand of unsupported type');
    if (n < 0) return null;
    return checkDecimal(roundHalfAway(x, Math.min(n, 8)));
  };
}

const ln: NodeCompiler = (node, env) => unaryNumeric(node, env, (x) => (x <= 0 ? null : checkDecimal(Math.log(x))));
const exp: NodeCompiler = (node, env) => unaryNumeric(node, env, (x) => checkDecimal(Math.exp(x)));

function log(node: ElmNode, env: CompileEnv): Evaluator {
  return binaryArith(node, env, (x, base) => (x <= 0 || base <= 0 || base === 1 ? null : checkDecimal(Math.log(x) / Math.log(base))), undefined);
}

function power(node: ElmNode, env: CompileEnv): Evaluator {
  const kind = numericKind(node);
  return binaryArith(
    node,
    env,
    (x, y) => {
      const r = Math.pow(x, y);
      if (!Number.isFinite(r)) return null;
      // Integer ^ negative Integer is not whole; keep it as a Decimal rather than fail.
      if (kind !== undefined && kind !== 'Decimal' && !Number.isInteger(r)) return checkDecimal(r);
      return kind ? checkKind(r, kind) : checkDecimal(r);
    },
    undefined,
  );
}

function step(dir: 1 | -1): NodeCompiler {
  return (node, env) => {
    const [a] = operandsN(node, env, 1) as [Evaluator];
    const kind = numericKind(node);
    return (rt) => {
      const x = a(rt) ?? null;
      if (x === null) return null;
      if (typeof x === 'number') {
        const k = kind ?? (Number.isInteger(x) ? 'Integer' : 'Decimal');
        return k === 'Decimal' ? checkDecimal(x + dir * DECIMAL_STEP) : checkKind(x + dir, k);
      }
      if (x instanceof CqlQuantity) return stepQuantity(x, dir);
      if (isTemporal(x)) return dir === 1 ? successorOf(x) : predecessorOf(x);
      throw new CqlRuntimeError(`${node.type}: operand of unsupported type`);
    };
  };
}

// ---------------------------------------------------------------------------------------------
// MinValue, MaxValue, Precision, LowBoundary, HighBoundary

function extreme(which: 'min' | 'max'): NodeCompiler {
  return (node, env) => {
    const t = splitQName(str(node, 'valueType') ?? '').name;
    const lo = which === 'min';
    switch (t) {
      case 'Integer':
        return () => (lo ? MIN_INTEGER : MAX_INTEGER);
      case 'Long':
        return () => (lo ? MIN_LONG : MAX_LONG);
      case 'Decimal':
        return () => (lo ? MIN_DECIMAL : MAX_DECIMAL);
      case 'Quantity':
        return () => new CqlQuantity(lo ? MIN_DECIMAL : MAX_DECIMAL, '1');
      case 'Date':
        return () => new CqlDate(lo ? [1, 1, 1] : [9999, 12, 31]);
      case 'DateTime':
        return (rt: Runtime) => new CqlDateTime(lo ? [1, 1, 1, 0, 0, 0, 0] : [9999, 12, 31, 23, 59, 59, 999], rt.now.offset);
      case 'Time':
        return () => new CqlTime(lo ? [0, 0, 0, 0] : [23, 59, 59, 999]);
      default:
        return env.fail(node, `${node.type} is not defined for ${t || 'this type'}`);
    }
  };
}

/** Digits of precision of a Date/DateTime/Time (CQL 1.5 Precision: @2014 → 4, full DateTime → 17, @T10:30 → 4). */
function temporalDigits(t: Temporal): number {
  const dateDigits = [4, 6, 8, 10, 12, 14, 17];
  if (t instanceof CqlTime) return [2, 4, 6, 9][t.f.length - 1] ?? 9;
  return dateDigits[t.f.length - 1] ?? 17;
}

/** The scale of a Decimal operand when it is a literal (its text keeps trailing zeros: `1.58700`). */
function literalScale(node: ElmNode | undefined): number | undefined {
  if (!node) return undefined;
  if (node.type === 'Literal' && typeof node['value'] === 'string') return scaleOfText(node['value']);
  if (node.type === 'ToDecimal') return literalScale(child(node, 'operand'));
  return undefined;
}

function precision(node: ElmNode, env: CompileEnv): Evaluator {
  const operand = children(node, 'operand')[0];
  const [a] = operandsN(node, env, 1) as [Evaluator];
  const scale = literalScale(operand);
  return (rt) => {
    const x = a(rt) ?? null;
    if (x === null) return null;
    if (typeof x === 'number') return scale ?? scaleOf(x);
    if (isTemporal(x)) return temporalDigits(x);
    throw new CqlRuntimeError('Precision: operand of unsupported type');
  };
}

/** Decimal boundary (CQL 1.5 LowBoundary/HighBoundary): the least/greatest value with `places` digits. */
export function decimalBoundary(x: number, scale: number, places: number, which: 'low' | 'high'): number | null {
  if (places < 0 || places > 8) return null;
  const neg = x < 0;
  // For a negative number the low boundary is the magnitude's high boundary, negated.
  const side = neg ? (which === 'low' ? 'high' : 'low') : which;
  const mag = Math.abs(x);
  if (places <= scale) return noNegZero((neg ? -1 : 1) * truncatePlaces(mag, places));
  if (side === 'low') return x;
  const text = plainDecimal(mag);
  const withPoint = text.includes('.') ? text : `${text}.`;
  const padded = withPoint + '0'.repeat(Math.max(0, scale - (withPoint.length - withPoint.indexOf('.') - 1))) + '9'.repeat(places - scale);
  return noNegZero((neg ? -1 : 1) * Number(padded));
}

function temporalBoundary(t: Temporal, digits: number, which: 'low' | 'high'): Temporal | null {
  const isTime = t instanceof CqlTime;
  const table = isTime ? [2, 4, 6, 9] : t instanceof CqlDate ? [4, 6, 8] : [4, 6, 8, 10, 12, 14, 17];
  const count = table.indexOf(digits) + 1;
  if (count === 0) return null;
  const f = [...t.f];
  if (f.length >= count) f.length = count;
  else {
    const start = isTime ? 3 : 0;
    for (let i = f.length; i < count; i++) {
      const field = start + i;
      let v: number;
      if (which === 'low') v = field === 1 || field === 2 ? 1 : 0;
      else if (field === 1) v = 12;
      else if (field === 2) v = daysInMonth(f[0] ?? 1, f[1] ?? 1);
      else v = [0, 0, 0, 23, 59, 59, 999][field] ?? 0;
      f.push(v);
    }
  }
  if (t instanceof CqlDateTime) return new CqlDateTime(f, t.offset);
  if (t instanceof CqlDate) return new CqlDate(f);
  return new CqlTime(f);
}

function boundary(which: 'low' | 'high'): NodeCompiler {
  return (node, env) => {
    const ops = children(node, 'operand');
    const [a, p] = operandsN(node, env, 2) as [Evaluator, Evaluator];
    const scale = literalScale(ops[0]);
    return (rt) => {
      const x = a(rt) ?? null;
      if (x === null) return null;
      const pv = p(rt) ?? null;
      if (typeof x === 'number') return decimalBoundary(x, scale ?? scaleOf(x), typeof pv === 'number' ? pv : 8, which);
      if (isTemporal(x)) {
        const max = x instanceof CqlTime ? 9 : x instanceof CqlDate ? 8 : 17;
        return temporalBoundary(x, typeof pv === 'number' ? pv : max, which);
      }
      throw new CqlRuntimeError(`${node.type}: operand of unsupported type`);
    };
  };
}

/** The arithmetic family's compilers, keyed by ELM node type. */
export const arithmeticOperators: Record<string, NodeCompiler> = {
  Add: arith((a, b) => a + b, addQuantities, 'add'),
  Subtract: arith((a, b) => a - b, subtractQuantities, 'subtract'),
  Multiply: arith((a, b) => a * b, multiplyQuantities),
  Divide: divide,
  TruncatedDivide: truncatedDivide,
  Modulo: modulo,
  Negate: negate,
  Abs: abs,
  Ceiling: toInteger(Math.ceil),
  Floor: toInteger(Math.floor),
  Truncate: toInteger(Math.trunc),
  Round: round,
  Ln: ln,
  Exp: exp,
  Log: log,
  Power: power,
  Successor: step(1),
  Predecessor: step(-1),
  MinValue: extreme('min'),
  MaxValue: extreme('max'),
  Precision: precision,
  LowBoundary: boundary('low'),
  HighBoundary: boundary('high'),
};
