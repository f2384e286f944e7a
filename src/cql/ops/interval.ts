/**
 * Interval operators (CQL 1.5 Appendix B §19) and the operators CQL overloads for intervals and
 * lists (Contains, In, Includes, IncludedIn, their proper forms, Union, Intersect, Except), which
 * dispatch on the run-time value: an array is a list (values/list.ts), a CqlInterval an interval
 * (values/interval.ts). Also the timing operators Before/After/SameAs/SameOrBefore/SameOrAfter,
 * which delegate to values/datetime.ts when both operands are dates/times.
 */
import { child, children, splitQName } from '../elm.ts';
import type { ElmNode, ElmTypeSpecifier } from '../elm.ts';
import type { CompileEnv, Evaluator, NodeCompiler } from '../compile/types.ts';
import { afterTemporal, beforeTemporal, isTemporal, sameAs, sameOrAfter, sameOrBefore } from '../values/datetime.ts';
import type { Precision, Temporal } from '../values/datetime.ts';
import {
  CqlInterval,
  collapseIntervals,
  expandIntervals,
  expandPoints,
  intervalAfter,
  intervalBefore,
  intervalContains,
  intervalEnd,
  intervalEnds,
  intervalExcept,
  intervalIncludes,
  intervalIntersect,
  intervalMeets,
  intervalMeetsAfter,
  intervalMeetsBefore,
  intervalOverlaps,
  intervalOverlapsAfter,
  intervalOverlapsBefore,
  intervalPointFrom,
  intervalProperlyContains,
  intervalProperlyIncludes,
  intervalSameAs,
  intervalSameOrAfter,
  intervalSameOrBefore,
  intervalSize,
  intervalStart,
  intervalStarts,
  intervalUnion,
  intervalWidth,
  precisionIndex,
} from '../values/interval.ts';
import type { Per, PointType } from '../values/interval.ts';
import { listContains, listExcept, listIncludes, listIntersect, listProperlyIncludes, listUnion, listUnionAll } from '../values/list.ts';
import { CqlQuantity } from '../values/quantity.ts';
import { staticTypeName } from './arithmetic.ts';
import { compileOperands, operandsN, precisionOf } from './util.ts';

const POINT_TYPES: ReadonlySet<string> = new Set(['Integer', 'Long', 'Decimal', 'Quantity', 'Date', 'DateTime', 'Time']);

function typeName(t: ElmTypeSpecifier | string | undefined): string | undefined {
  if (t === undefined) return undefined;
  if (typeof t === 'string') return splitQName(t).name;
  return typeof t.name === 'string' ? splitQName(t.name).name : undefined;
}

/**
 * The point type of an `Interval` selector from the ELM: its result type when the translator wrote
 * one, else the static type of its boundaries (a Decimal on either side makes it Decimal).
 */
export function intervalPointTypeFromElm(node: ElmNode): PointType | undefined {
  const spec = node.resultTypeSpecifier;
  const declared = spec?.type === 'IntervalTypeSpecifier' ? typeName(spec.pointType) : undefined;
  if (declared !== undefined && POINT_TYPES.has(declared)) return declared as PointType;
  const lo = staticTypeName(child(node, 'low'));
  const hi = staticTypeName(child(node, 'high'));
  if (lo === 'Decimal' || hi === 'Decimal') return 'Decimal';
  const t = lo ?? hi;
  return t !== undefined && POINT_TYPES.has(t) ? (t as PointType) : undefined;
}

/** The ELM `Interval` selector: boundaries, closed flags (or closed-flag expressions). */
const intervalSelector: NodeCompiler = (node, env) => {
  const low = env.compileOptional(child(node, 'low'));
  const high = env.compileOptional(child(node, 'high'));
  const lowClosedExpr = env.compileOptional(child(node, 'lowClosedExpression'));
  const highClosedExpr = env.compileOptional(child(node, 'highClosedExpression'));
  const lowClosed = node['lowClosed'] !== false;
  const highClosed = node['highClosed'] !== false;
  const pointType = intervalPointTypeFromElm(node);
  return (rt) => {
    const lc = lowClosedExpr ? lowClosedExpr(rt) : lowClosed;
    const hc = highClosedExpr ? highClosedExpr(rt) : highClosed;
    // TODO(lead): CQL 1.5 §19 Interval selector makes low > high an invalid interval; cql-execution
    // builds it anyway and the conformance corpus records that, so we do not throw here either.
    return new CqlInterval(low ? (low(rt) ?? null) : null, high ? (high(rt) ?? null) : null, lc !== false, hc !== false, pointType);
  };
};

/** The node's `precision` as a precision index (undefined when absent, or for a non-temporal unit). */
function precisionIdx(node: ElmNode): Precision | undefined {
  return precisionIndex(precisionOf(node));
}

type Rel = (a: unknown, b: unknown, p: Precision | undefined) => unknown;

/** A binary operator with an optional precision; null when either operand is null. */
function binaryPrecision(f: Rel): NodeCompiler {
  return (node, env) => {
    const [a, b] = operandsN(node, env, 2) as [Evaluator, Evaluator];
    const p = precisionIdx(node);
    return (rt) => {
      const x = a(rt);
      if (x === null || x === undefined) return null;
      const y = b(rt);
      if (y === null || y === undefined) return null;
      return f(x, y, p);
    };
  };
}

/** A binary interval-only relation: null unless both operands are intervals. */
function intervalRelation(f: (a: CqlInterval, b: CqlInterval, p: Precision | undefined) => unknown): NodeCompiler {
  return binaryPrecision((a, b, p) => (a instanceof CqlInterval && b instanceof CqlInterval ? f(a, b, p) : null));
}

/** A unary interval function: null for a null operand. */
function intervalFunction(f: (iv: CqlInterval) => unknown): NodeCompiler {
  return (node, env) => {
    const [a] = operandsN(node, env, 1) as [Evaluator];
    return (rt) => {
      const x = a(rt);
      return x instanceof CqlInterval ? f(x) : null;
    };
  };
}

/**
 * Contains(container, element) and In(element, container) share one shape (§19/§20 Contains, In):
 * a null list contains nothing (false); a list may contain null; an interval with a null point is null.
 */
function membership(containerFirst: boolean, proper: boolean): NodeCompiler {
  return (node, env) => {
    const [a, b] = operandsN(node, env, 2) as [Evaluator, Evaluator];
    const p = precisionIdx(node);
    return (rt) => {
      const container = containerFirst ? a(rt) : b(rt);
      const element = (containerFirst ? b(rt) : a(rt)) ?? null;
      if (Array.isArray(container)) {
        if (!proper) return listContains(container, element);
        // §20 ProperContains/ProperIn: in the list, and not its only element.
        return listContains(container, element) && container.length > 1;
      }
      if (container instanceof CqlInterval) {
        if (element === null) return null;
        return proper ? intervalProperlyContains(container, element, p) : intervalContains(container, element, p);
      }
      if (container === null || container === undefined) return proper ? null : false;
      return null;
    };
  };
}

/**
 * Includes(container, contained) and IncludedIn(contained, container), and the proper forms:
 * lists by membership, intervals by boundaries; a point `contained` means Contains. Null when
 * either operand is null.
 */
function inclusion(containerFirst: boolean, proper: boolean): NodeCompiler {
  return binaryPrecision((a, b, p) => {
    const container = containerFirst ? a : b;
    const contained = containerFirst ? b : a;
    if (Array.isArray(container)) {
      if (!Array.isArray(contained)) return proper ? listContains(container, contained) && container.length > 1 : listContains(container, contained);
      return proper ? listProperlyIncludes(container, contained) : listIncludes(container, contained);
    }
    if (container instanceof CqlInterval) {
      return proper ? intervalProperlyIncludes(container, contained, p) : intervalIncludes(container, contained, p);
    }
    return null;
  });
}

/**
 * Before/After/SameAs/SameOrBefore/SameOrAfter (§19, §22): dates/times on both sides go to
 * values/datetime.ts; an interval on either side compares boundaries; other ordered values compare
 * directly.
 */
function timing(
  temporal: (a: Temporal, b: Temporal, p?: Precision, offset?: number | null) => boolean | null,
  interval: (a: unknown, b: unknown, p: Precision | undefined) => boolean | null,
): NodeCompiler {
  return (node, env) => {
    const [a, b] = operandsN(node, env, 2) as [Evaluator, Evaluator];
    const p = precisionIdx(node);
    return (rt) => {
      const x = a(rt);
      if (x === null || x === undefined) return null;
      const y = b(rt);
      if (y === null || y === undefined) return null;
      if (isTemporal(x) && isTemporal(y)) return temporal(x, y, p, rt.now.offset);
      return interval(x, y, p);
    };
  };
}

/** Folds an n-ary set operator left to right (ELM 1.5 Union/Intersect/Except may carry 2+ operands). */
function nary(node: ElmNode, env: CompileEnv, f: (a: unknown, b: unknown) => unknown): Evaluator {
  const ops = compileOperands(node, env);
  if (ops.length < 2) env.fail(node, `expected at least 2 operands, found ${ops.length}`);
  const [first, ...rest] = ops as [Evaluator, ...Evaluator[]];
  return (rt) => {
    let acc: unknown = first(rt) ?? null;
    for (const op of rest) acc = f(acc, op(rt) ?? null);
    return acc;
  };
}

/** Whether an operand is statically a list (so a null operand of Union counts as an empty list). */
function isListTyped(node: ElmNode): boolean {
  return children(node, 'operand').some((o) => o.type === 'List' || (o.type === 'As' && (o['asTypeSpecifier'] as ElmTypeSpecifier | undefined)?.type === 'ListTypeSpecifier') || o.resultTypeSpecifier?.type === 'ListTypeSpecifier');
}

function unionOf(listTyped: boolean): (a: unknown, b: unknown) => unknown {
  return (a, b) => {
    if (Array.isArray(a) || Array.isArray(b)) return listUnion(Array.isArray(a) ? a : null, Array.isArray(b) ? b : null);
    if (a instanceof CqlInterval && b instanceof CqlInterval) return intervalUnion(a, b);
    return listTyped && a === null && b === null ? [] : null;
  };
}

/**
 * §19/§20 Union: intervals that overlap or meet → covering interval; lists → distinct elements of
 * both (null list = empty). `a union b union c` arrives as nested binary Unions: the chain is
 * compiled as one, and when every operand is a list the union is one distinct pass over all of
 * them (the same elements in the same order as union after union, without re-keying the first
 * lists at every level).
 */
const union: NodeCompiler = (node, env) => {
  // The left-deep chain, innermost first: each level's listTyped flag and its own operands.
  const levels: { combine: (a: unknown, b: unknown) => unknown; operands: ElmNode[] }[] = [];
  let cur: ElmNode | undefined = node;
  while (cur !== undefined && cur.type === 'Union') {
    const ops = children(cur, 'operand');
    if (ops.length < 2) env.fail(cur, `expected at least 2 operands, found ${ops.length}`);
    levels.unshift({ combine: unionOf(isListTyped(cur)), operands: ops });
    cur = ops[0]?.type === 'Union' ? ops[0] : undefined;
  }
  const innermost = levels[0] as (typeof levels)[number];
  const leaves: ElmNode[] = [...innermost.operands, ...levels.slice(1).flatMap((l) => l.operands.slice(1))];
  const compiled = leaves.map((n) => env.compile(n));
  const shape = levels.map((l, i) => ({ combine: l.combine, count: i === 0 ? l.operands.length : l.operands.length - 1 }));
  return (rt) => {
    const values = compiled.map((c) => c(rt) ?? null);
    if (values.every((v) => Array.isArray(v))) return listUnionAll(values as unknown[][]);
    let k = 0;
    let acc: unknown = values[k++] ?? null;
    for (const [i, level] of shape.entries()) {
      for (let j = i === 0 ? 1 : 0; j < level.count; j++) acc = level.combine(acc, values[k++] ?? null);
    }
    return acc;
  };
};

/** §19/§20 Intersect: null when either is null. */
const intersect: NodeCompiler = (node, env) =>
  nary(node, env, (a, b) => {
    if (Array.isArray(a) && Array.isArray(b)) return listIntersect(a, b);
    if (a instanceof CqlInterval && b instanceof CqlInterval) return intervalIntersect(a, b);
    return null;
  });

/** §19/§20 Except: a null list on the right removes nothing; an interval minus null is null. */
const except: NodeCompiler = (node, env) =>
  nary(node, env, (a, b) => {
    if (Array.isArray(a)) return listExcept(a, Array.isArray(b) ? b : []);
    if (a instanceof CqlInterval && b instanceof CqlInterval) return intervalExcept(a, b);
    return null;
  });

/** A `per` operand's value: a Quantity, or null. */
function perOf(v: unknown): Per | null {
  return v instanceof CqlQuantity ? { value: v.value, unit: v.unit } : null;
}

/** §19 Collapse(list, per): null list → null. */
const collapse: NodeCompiler = (node, env) => {
  const ops = compileOperands(node, env);
  const [list, per] = ops as [Evaluator, Evaluator | undefined];
  if (!list) env.fail(node, 'Collapse without an operand');
  return (rt) => {
    const l = list(rt);
    if (!Array.isArray(l)) return null;
    return collapseIntervals(l, per ? perOf(per(rt)) : null);
  };
};

/** §19 Expand(list of intervals | interval, per). */
const expand: NodeCompiler = (node, env) => {
  const ops = compileOperands(node, env);
  const [arg, per] = ops as [Evaluator, Evaluator | undefined];
  if (!arg) env.fail(node, 'Expand without an operand');
  return (rt) => {
    const v = arg(rt);
    const p = per ? perOf(per(rt)) : null;
    if (Array.isArray(v)) return expandIntervals(v, p);
    if (v instanceof CqlInterval) return expandPoints(v, p);
    return null;
  };
};

/** Interval operators and the operators overloaded for intervals and lists, keyed by ELM node type. */
export const intervalOperators: Record<string, NodeCompiler> = {
  Interval: intervalSelector,

  Contains: membership(true, false),
  In: membership(false, false),
  ProperContains: membership(true, true),
  ProperIn: membership(false, true),
  Includes: inclusion(true, false),
  IncludedIn: inclusion(false, false),
  ProperIncludes: inclusion(true, true),
  ProperIncludedIn: inclusion(false, true),

  Overlaps: intervalRelation(intervalOverlaps),
  OverlapsBefore: intervalRelation(intervalOverlapsBefore),
  OverlapsAfter: intervalRelation(intervalOverlapsAfter),
  Meets: intervalRelation(intervalMeets),
  MeetsBefore: intervalRelation(intervalMeetsBefore),
  MeetsAfter: intervalRelation(intervalMeetsAfter),
  Starts: intervalRelation(intervalStarts),
  Ends: intervalRelation(intervalEnds),

  Before: timing(beforeTemporal, intervalBefore),
  After: timing(afterTemporal, intervalAfter),
  SameAs: timing(sameAs, intervalSameAs),
  SameOrBefore: timing(sameOrBefore, intervalSameOrBefore),
  SameOrAfter: timing(sameOrAfter, intervalSameOrAfter),

  Union: union,
  Intersect: intersect,
  Except: except,
  Collapse: collapse,
  Expand: expand,

  Width: intervalFunction(intervalWidth),
  Size: intervalFunction(intervalSize),
  Start: intervalFunction(intervalStart),
  End: intervalFunction(intervalEnd),
  PointFrom: intervalFunction(intervalPointFrom),
};
