/**
 * Aggregate functions (CQL 1.5 Appendix B §21): Count, Sum, Min, Max, Avg, Median, Mode, Variance,
 * StdDev, PopulationVariance, PopulationStdDev, AllTrue, AnyTrue, Product, GeometricMean.
 *
 * Every aggregate ignores null elements (§21: "nulls are ignored"); over no non-null element the
 * result is null, except Count (0), AllTrue (true) and AnyTrue (false). A null list behaves as an
 * empty one. ELM aggregates carry `source`, and `path` when aggregating a property of each element.
 */
import { child, str } from '../elm.ts';
import type { Evaluator, NodeCompiler } from '../compile/types.ts';
import { compare, equal } from '../values/equality.ts';
import { round8 } from '../values/interval.ts';
import { CqlQuantity, addQuantities, convertQuantity } from '../values/quantity.ts';
import { propertyReader } from './core.ts';

/** Compiles an aggregate: reads `source` (and `path`), drops nulls, and hands the rest to `f`. */
function aggregate(f: (values: unknown[]) => unknown): NodeCompiler {
  return (node, env) => {
    const sourceNode = child(node, 'source');
    if (!sourceNode) return env.fail(node, `${node.type} without a source`);
    const source: Evaluator = env.compile(sourceNode);
    const path = str(node, 'path');
    const read = path ? propertyReader(path, env.program.model) : undefined;
    return (rt) => {
      const list = source(rt);
      const values: unknown[] = [];
      if (Array.isArray(list)) {
        for (const x of list) {
          const v = read ? read(x, rt) : x;
          if (v !== null && v !== undefined) values.push(v);
        }
      }
      return f(values);
    };
  };
}

/** The values as numbers, or as quantities in the first one's unit; null when mixed or not convertible. */
function numeric(values: readonly unknown[]): { nums: number[]; unit: string | undefined } | null {
  const first = values[0];
  if (first instanceof CqlQuantity) {
    const nums: number[] = [];
    for (const v of values) {
      if (!(v instanceof CqlQuantity)) return null;
      const c = v.unit === first.unit ? v : convertQuantity(v, first.unit);
      if (c === null) return null;
      nums.push(c.value);
    }
    return { nums, unit: first.unit };
  }
  if (!values.every((v) => typeof v === 'number')) return null;
  return { nums: values as number[], unit: undefined };
}

function withUnit(value: number | null, unit: string | undefined): unknown {
  if (value === null || !Number.isFinite(value)) return null;
  const v = round8(value);
  return unit === undefined ? v : new CqlQuantity(v, unit);
}

/** §21 Sum: numbers add; quantities add with unit conversion (CQL 1.5 §21 Sum over Quantity). */
function sum(values: unknown[]): unknown {
  if (values.length === 0) return null;
  if (values[0] instanceof CqlQuantity) {
    let acc: CqlQuantity | null = values[0];
    for (let i = 1; i < values.length && acc !== null; i++) {
      const v = values[i];
      acc = v instanceof CqlQuantity ? addQuantities(acc, v) : null;
    }
    // Report the sum in the first value's unit (as cql-execution does; §21 names no unit).
    return acc === null || acc.unit === values[0].unit ? acc : convertQuantity(acc, values[0].unit);
  }
  let acc = 0;
  for (const v of values) {
    if (typeof v !== 'number') return null;
    acc += v;
  }
  return round8(acc);
}

/** §21 Min/Max: by CQL ordering (numbers, strings, dates/times, quantities). */
function extreme(sign: 1 | -1): (values: unknown[]) => unknown {
  return (values) => {
    let best: unknown = null;
    for (const v of values) {
      if (best === null) {
        best = v;
        continue;
      }
      // An uncertain comparison (dates of different precision) keeps the value found so far, as
      // both reference engines do; the specification does not say.
      const c = compare(v, best);
      if (c !== null && c * sign < 0) best = v;
    }
    return best;
  };
}

function mean(nums: readonly number[]): number {
  let acc = 0;
  for (const n of nums) acc += n;
  return acc / nums.length;
}

/** §21 Avg: the arithmetic mean (a Decimal; a Quantity in the first value's unit). */
function avg(values: unknown[]): unknown {
  if (values.length === 0) return null;
  const n = numeric(values);
  return n === null ? null : withUnit(mean(n.nums), n.unit);
}

/** §21 Median: the middle value, or the mean of the two middle values. */
function median(values: unknown[]): unknown {
  if (values.length === 0) return null;
  const n = numeric(values);
  if (n === null) return null;
  const sorted = [...n.nums].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const m = sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return withUnit(m, n.unit);
}

/**
 * §21 Mode: the most frequent value (CQL equality). A tie goes to the value seen first: the
 * result type is the element type, so a single value is returned.
 */
function mode(values: unknown[]): unknown {
  if (values.length === 0) return null;
  const distinct: unknown[] = [];
  const counts: number[] = [];
  for (const v of values) {
    let i = 0;
    while (i < distinct.length && !(distinct[i] === v || (typeof v === 'object' && equal(distinct[i], v) === true))) i++;
    if (i === distinct.length) {
      distinct.push(v);
      counts.push(1);
    } else counts[i] = (counts[i] ?? 0) + 1;
  }
  let best = 0;
  for (let i = 1; i < counts.length; i++) if ((counts[i] ?? 0) > (counts[best] ?? 0)) best = i;
  return distinct[best] ?? null;
}

/** Variance: sample (n − 1) or population (n); null for fewer than 2 values (sample) or 1 (population). */
function variance(population: boolean, root: boolean): (values: unknown[]) => unknown {
  return (values) => {
    const n = numeric(values);
    if (n === null) return null;
    const count = n.nums.length;
    if (count === 0 || (!population && count < 2)) return null;
    const m = mean(n.nums);
    let ss = 0;
    for (const x of n.nums) ss += (x - m) * (x - m);
    const v = ss / (population ? count : count - 1);
    // A quantity's variance is reported in the quantity's own unit, as cql-execution does (the
    // specification gives the signature Variance(List<Quantity>): Quantity without a unit rule).
    return withUnit(root ? Math.sqrt(v) : v, n.unit);
  };
}

function productOf(values: unknown[]): { p: number; unit: string | undefined } | null {
  if (values.length === 0) return null;
  const n = numeric(values);
  if (n === null) return null;
  let p = 1;
  for (const x of n.nums) p *= x;
  return { p, unit: n.unit };
}

/** §21 Product: the values multiplied (quantities in the first one's unit, as cql-execution does). */
function product(values: unknown[]): unknown {
  const r = productOf(values);
  return r === null ? null : withUnit(r.p, r.unit);
}

/** §21 GeometricMean: the n-th root of the product. */
function geometricMean(values: unknown[]): unknown {
  const r = productOf(values);
  return r === null ? null : withUnit(r.p ** (1 / values.length), r.unit);
}

/** Aggregate functions, keyed by ELM node type. */
export const aggregateOperators: Record<string, NodeCompiler> = {
  Count: aggregate((vs) => vs.length),
  Sum: aggregate(sum),
  Min: aggregate(extreme(1)),
  Max: aggregate(extreme(-1)),
  Avg: aggregate(avg),
  Median: aggregate(median),
  Mode: aggregate(mode),
  Variance: aggregate(variance(false, false)),
  StdDev: aggregate(variance(false, true)),
  PopulationVariance: aggregate(variance(true, false)),
  PopulationStdDev: aggregate(variance(true, true)),
  AllTrue: aggregate((vs) => vs.every((v) => v === true)),
  AnyTrue: aggregate((vs) => vs.some((v) => v === true)),
  Product: aggregate(product),
  GeometricMean: aggregate(geometricMean),
};
