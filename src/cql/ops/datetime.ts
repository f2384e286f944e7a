/**
 * Date and time operators (CQL 1.5 §22): constructors, Now/Today/TimeOfDay from the evaluation
 * timestamp, component extraction, duration and difference, age, and the precision-based
 * comparisons of two temporal values.
 *
 * Left to other families, which call the value functions of values/datetime.ts: `Add`/`Subtract`
 * (`addTemporal`/`subtractTemporal`), `ToDateTime`/`ToDate`/`ToTime`/`ConvertsTo…` (`toDateTime`,
 * `toDate`, `stringToDateTime`, `parseDate`, `toTime`, `convertsTo…`), and the interval overloads
 * of `Before`/`After`/`SameAs`/`SameOrBefore`/`SameOrAfter` ({@link temporalOperators} handles
 * two temporal operands only).
 */
import { child } from '../elm.ts';
import type { ElmNode } from '../elm.ts';
import type { CompileEnv, Evaluator, NodeCompiler, Runtime } from '../compile/types.ts';
import { CqlRuntimeError } from '../errors.ts';
import {
  CqlDate,
  CqlDateTime,
  CqlTime,
  PRECISION,
  calculateAgeAt,
  compareTemporal,
  componentFrom,
  daysInMonth,
  differenceBetween,
  durationBetween,
  isTemporal,
  precisionIndexOf,
  temporalUnitOf,
  timeFrom,
  toDate,
} from '../values/datetime.ts';
import type { Precision, Temporal, TemporalUnit } from '../values/datetime.ts';
import { operandsN, precisionOf } from './util.ts';

const DATETIME_PARTS = ['year', 'month', 'day', 'hour', 'minute', 'second', 'millisecond'] as const;
const DATE_PARTS = ['year', 'month', 'day'] as const;
const TIME_PARTS = ['hour', 'minute', 'second', 'millisecond'] as const;
/** Inclusive ranges of each component, year … millisecond (day is checked against the month). */
const RANGES: readonly (readonly [number, number])[] = [
  [1, 9999],
  [1, 12],
  [1, 31],
  [0, 23],
  [0, 59],
  [0, 59],
  [0, 999],
];

function compileParts(node: ElmNode, env: CompileEnv, parts: readonly string[]): (Evaluator | undefined)[] {
  return parts.map((p) => env.compileOptional(child(node, p)));
}

/**
 * Evaluates constructor components: the known prefix, or null when all are null. A component after
 * a null one, a non-integer or an out-of-range value is a run-time error (§22.5 DateTime, §22.4 Date,
 * §22.25 Time: "no component may be specified at a precision below an unspecified precision").
 */
function evalParts(rt: Runtime, parts: readonly (Evaluator | undefined)[], first: number, what: string): number[] | null {
  const out: number[] = [];
  let ended = false;
  for (let i = 0; i < parts.length; i++) {
    const e = parts[i];
    const v = e === undefined ? null : (e(rt) ?? null);
    if (v === null) {
      ended = true;
      continue;
    }
    if (ended) throw new CqlRuntimeError(`${what}: a component is given after a null one`);
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new CqlRuntimeError(`${what}: component ${String(v)} is not an integer`);
    const [lo, hi] = RANGES[i + first] as readonly [number, number];
    if (v < lo || v > hi) throw new CqlRuntimeError(`${what}: component ${v} is out of range ${lo}–${hi}`);
    out.push(v);
  }
  if (out.length === 0) return null;
  if (first === 0 && out.length > 2 && (out[2] as number) > daysInMonth(out[0] as number, out[1] as number)) {
    throw new CqlRuntimeError(`${what}: day ${out[2] as number} does not exist in ${out[0] as number}-${out[1] as number}`);
  }
  return out;
}

const dateTimeSelector: NodeCompiler = (node, env) => {
  const parts = compileParts(node, env, DATETIME_PARTS);
  const tz = env.compileOptional(child(node, 'timezoneOffset'));
  return (rt) => {
    const f = evalParts(rt, parts, 0, 'DateTime');
    if (f === null) return null;
    const off = tz === undefined ? null : (tz(rt) ?? null);
    if (off !== null && typeof off !== 'number') throw new CqlRuntimeError(`DateTime: timezoneOffset ${String(off)} is not a number`);
    // §22.5: "If timezoneOffset is not specified, it is defaulted to the timezone offset of the evaluation request."
    return new CqlDateTime(f, off ?? rt.now.offset);
  };
};

const dateSelector: NodeCompiler = (node, env) => {
  const parts = compileParts(node, env, DATE_PARTS);
  return (rt) => {
    const f = evalParts(rt, parts, 0, 'Date');
    return f === null ? null : new CqlDate(f);
  };
};

const timeSelector: NodeCompiler = (node, env) => {
  const parts = compileParts(node, env, TIME_PARTS);
  return (rt) => {
    const f = evalParts(rt, parts, 3, 'Time');
    return f === null ? null : new CqlTime(f);
  };
};

/** The node's precision as an index, or a load error (weeks are not a comparison precision, §22.2). */
function requiredPrecision(node: ElmNode, env: CompileEnv): Precision {
  const p = precisionOf(node);
  const i = p === undefined ? undefined : precisionIndexOf(p);
  if (i === undefined) return env.fail(node, `precision ${p ?? '(none)'} is not one of year … millisecond`);
  return i;
}

function optionalPrecision(node: ElmNode, env: CompileEnv): Precision | undefined {
  return precisionOf(node) === undefined ? undefined : requiredPrecision(node, env);
}

function requiredUnit(node: ElmNode, env: CompileEnv): TemporalUnit {
  const p = precisionOf(node);
  const u = p === undefined ? undefined : temporalUnitOf(p);
  if (u === undefined) return env.fail(node, `precision ${p ?? '(none)'} is not a time unit`);
  return u;
}

function unaryTemporal(f: (v: Temporal, rt: Runtime) => unknown): NodeCompiler {
  return (node, env) => {
    const [a] = operandsN(node, env, 1) as [Evaluator];
    return (rt) => {
      const v = a(rt);
      return isTemporal(v) ? f(v, rt) : null;
    };
  };
}

/** Evaluates both operands; null unless both are temporal, else `f`. */
function bothTemporal(node: ElmNode, env: CompileEnv, f: (x: Temporal, y: Temporal, rt: Runtime) => unknown): Evaluator {
  const [a, b] = operandsN(node, env, 2) as [Evaluator, Evaluator];
  return (rt) => {
    const x = a(rt);
    if (!isTemporal(x)) return null;
    const y = b(rt);
    return isTemporal(y) ? f(x, y, rt) : null;
  };
}

const componentFromCompiler: NodeCompiler = (node, env) => {
  const p = requiredPrecision(node, env);
  return unaryTemporal((v) => componentFrom(v, p))(node, env);
};

// `date from` and `time from` read the components as written, in the value's own offset, as both
// reference engines do: a result recorded at 00:30+05:30 is on that day for the clinician who wrote
// it. (CQL 1.5 §22.8 says implementations "should" normalise; neither reference does.)
const dateFromCompiler: NodeCompiler = unaryTemporal((v) => (v instanceof CqlTime ? null : toDate(v, v instanceof CqlDateTime ? v.offset : null)));

const timeFromCompiler: NodeCompiler = unaryTemporal((v) => (v instanceof CqlDateTime ? timeFrom(v, v.offset) : v instanceof CqlTime ? v : null));

const timezoneOffsetFromCompiler: NodeCompiler = unaryTemporal((v) => (v instanceof CqlDateTime ? v.offset : null));

function betweenCompiler(measure: typeof durationBetween): NodeCompiler {
  return (node, env) => {
    const unit = requiredUnit(node, env);
    return bothTemporal(node, env, (x, y, rt) => measure(x, y, unit, rt.now.offset));
  };
}

function isDateLike(v: unknown): v is CqlDate | CqlDateTime {
  return v instanceof CqlDate || v instanceof CqlDateTime;
}

/**
 * CalculateAgeIn…(birthDate) (§22 CalculateAge): CalculateAgeIn…At with the current date: Today()
 * for years and months, and for a Date birth date; Now() for a DateTime birth date in weeks or finer.
 */
const calculateAgeCompiler: NodeCompiler = (node, env) => {
  const unit = requiredUnit(node, env);
  const [a] = operandsN(node, env, 1) as [Evaluator];
  const byDate = unit === 'year' || unit === 'month';
  return (rt) => {
    const birth = a(rt);
    if (!isDateLike(birth)) return null;
    const asOf = byDate || birth instanceof CqlDate ? new CqlDate(rt.now.f.slice(0, 3)) : rt.now;
    return calculateAgeAt(birth, asOf, unit, rt.now.offset);
  };
};

const calculateAgeAtCompiler: NodeCompiler = (node, env) => {
  const unit = requiredUnit(node, env);
  const [a, b] = operandsN(node, env, 2) as [Evaluator, Evaluator];
  return (rt) => {
    const birth = a(rt);
    if (!isDateLike(birth)) return null;
    const asOf = b(rt);
    if (!isDateLike(asOf)) return null;
    return calculateAgeAt(birth, asOf, unit, rt.now.offset);
  };
};

/** Turns a comparison result into a Boolean. */
type Verdict = (c: number) => boolean;

function comparisonCompiler(verdict: Verdict): NodeCompiler {
  return (node, env) => {
    const precision = optionalPrecision(node, env);
    return bothTemporal(node, env, (x, y, rt) => {
      const c = compareTemporal(x, y, precision, rt.now.offset);
      return c === null ? null : verdict(c);
    });
  };
}

/**
 * `SameAs`, `SameOrBefore`, `SameOrAfter`, `Before`, `After` for two Date, DateTime or Time operands
 * (§22.2, §22.3, §22.21–§22.23); null when either is null or not temporal. The generic dispatch
 * (intervals, lists) belongs to the interval family.
 */
export const temporalOperators: Record<string, NodeCompiler> = {
  SameAs: comparisonCompiler((c) => c === 0),
  SameOrBefore: comparisonCompiler((c) => c <= 0),
  SameOrAfter: comparisonCompiler((c) => c >= 0),
  Before: comparisonCompiler((c) => c < 0),
  After: comparisonCompiler((c) => c > 0),
};

/** The date and time operators this family owns outright, keyed by ELM node type. */
export const datetimeOperators: Record<string, NodeCompiler> = {
  DateTime: dateTimeSelector,
  Date: dateSelector,
  Time: timeSelector,
  Now: () => (rt) => rt.now,
  Today: () => (rt) => new CqlDate(rt.now.f.slice(0, PRECISION.day + 1)),
  TimeOfDay: () => (rt) => new CqlTime(rt.now.f.slice(PRECISION.hour)),
  DateTimeComponentFrom: componentFromCompiler,
  DateFrom: dateFromCompiler,
  TimeFrom: timeFromCompiler,
  TimezoneOffsetFrom: timezoneOffsetFromCompiler,
  DurationBetween: betweenCompiler(durationBetween),
  DifferenceBetween: betweenCompiler(differenceBetween),
  CalculateAge: calculateAgeCompiler,
  CalculateAgeAt: calculateAgeAtCompiler,
};
