/**
 * The interval, list and aggregate compilers on hand-built ELM: the node shapes the translator
 * rarely emits (Times, Filter, Sort, closed-flag expressions, aggregate `path`) and the run-time
 * dispatch between lists and intervals.
 */
import { describe, expect, it } from 'vitest';
import type { ElmNode } from '../../../src/cql/elm.ts';
import type { NodeCompiler, ProgramServices, Runtime } from '../../../src/cql/compile/types.ts';
import { SlotAllocator, createEnv } from '../../../src/cql/compile/environment.ts';
import { CqlRuntimeError } from '../../../src/cql/errors.ts';
import { aggregateOperators } from '../../../src/cql/ops/aggregate.ts';
import { coreOperators } from '../../../src/cql/ops/core.ts';
import { intervalOperators } from '../../../src/cql/ops/interval.ts';
import { listOperators } from '../../../src/cql/ops/list.ts';
import { CqlCode } from '../../../src/cql/values/code.ts';
import { CqlDateTime } from '../../../src/cql/values/datetime.ts';
import type { CqlInterval } from '../../../src/cql/values/interval.ts';
import { CqlTuple } from '../../../src/cql/values/tuple.ts';

const SYS = '{urn:hl7-org:elm-types:r1}';
const int = (n: number): ElmNode => ({ type: 'Literal', valueType: `${SYS}Integer`, value: String(n) });
const dec = (n: string): ElmNode => ({ type: 'Literal', valueType: `${SYS}Decimal`, value: n });
const bool = (b: boolean): ElmNode => ({ type: 'Literal', valueType: `${SYS}Boolean`, value: String(b) });
const nul: ElmNode = { type: 'Null' };
const list = (...element: ElmNode[]): ElmNode => ({ type: 'List', element });
const ivl = (low: ElmNode, high: ElmNode, lowClosed = true, highClosed = true): ElmNode => ({ type: 'Interval', low, high, lowClosed, highClosed });
const op = (type: string, ...operand: ElmNode[]): ElmNode => ({ type, operand });
const value = (v: unknown): ElmNode => ({ type: '$value', v });

const operators: Record<string, NodeCompiler> = {
  ...coreOperators,
  ...intervalOperators,
  ...listOperators,
  ...aggregateOperators,
  $value: (node) => () => node['v'],
};

const program: ProgramServices = {
  expressionRef: (_l, _a, _n, node) => { throw new Error(node.type); },
  functionRef: (_l, _a, _n, _args, node, env) => env.fail(node, 'no functions'),
  parameterRef: (_l, _a, _n, node) => { throw new Error(node.type); },
  codeSystemRef: () => ({ id: '', version: null }),
  valueSetRef: () => ({ id: '', version: null }),
  codeRef: () => new CqlCode('', null, null, null),
  conceptRef: () => ({ codes: [], display: null }),
  model: {
    property: (path) => (v) => (v instanceof CqlTuple ? (v.elements[path] ?? null) : undefined),
    isType: () => undefined,
    knowsType: () => false,
  },
};

function evaluate(node: ElmNode): unknown {
  const env = createEnv('Test', operators, program, new SlotAllocator());
  const rt: Runtime = {
    slots: new Array<unknown>(16).fill(null),
    cache: [],
    parameters: [],
    data: { retrieve: () => [] },
    terminology: { inValueSet: () => false, expand: () => undefined, has: () => false },
    now: new CqlDateTime([2024, 6, 1, 12, 0, 0, 0], -5),
    contextValue: null,
  };
  return env.compile(node)(rt);
}

describe('Interval selector', () => {
  it('reads closed flags from expressions and the Decimal point type from its boundaries', () => {
    const i = evaluate({ type: 'Interval', low: dec('1.0'), high: dec('2.0'), lowClosedExpression: bool(false), highClosedExpression: bool(false) }) as CqlInterval;
    expect([i.lowClosed, i.highClosed, i.pointType]).toEqual([false, false, 'Decimal']);
    expect(evaluate(op('End', ivl(dec('1.0'), dec('2.0'), true, false)))).toBe(1.99999999);
    expect(evaluate(op('End', ivl(int(1), int(2), true, false)))).toBe(1);
  });
});

describe('dispatch between lists and intervals', () => {
  it.each([
    ['In: finds an element of a list', op('In', int(7), list(int(5), int(7))), true],
    ['In: finds a point inside an interval', op('In', int(4), ivl(int(3), int(9))), true],
    ['In: nothing is in a null list', op('In', int(4), nul), false],
    ['In: a null point in an interval is null', op('In', nul, ivl(int(3), int(9))), null],
    ['In: null is in a list that holds a null', op('In', nul, list(int(5), nul)), true],
    ['Contains: false when the list lacks the element', op('Contains', list(int(5), int(7)), int(6)), false],
    ['Includes: a list includes another whatever the order', op('Includes', list(int(5), int(6), int(7)), list(int(7), int(5))), true],
    ['IncludedIn: a point within an interval', op('IncludedIn', int(8), ivl(int(3), int(9))), true],
    ['ProperIn: not proper when the list holds only that element', op('ProperIn', int(5), list(int(5))), false],
    ['ProperIncludes: an interval properly includes one that shares only its end', op('ProperIncludes', ivl(int(3), int(12)), ivl(int(4), int(12))), true],
  ])('%s', (_name, node, want) => {
    expect(evaluate(node)).toBe(want);
  });

  it('folds n-ary Union over lists and intervals', () => {
    expect(evaluate(op('Union', list(int(4)), list(int(5)), list(int(4), int(6))))).toEqual([4, 5, 6]);
    const u = evaluate(op('Union', ivl(int(2), int(4)), ivl(int(5), int(8)))) as CqlInterval;
    expect([u.low, u.high]).toEqual([2, 8]);
    expect(evaluate(op('Except', list(int(4), int(5)), nul))).toEqual([4, 5]);
    expect(evaluate(op('Intersect', list(int(4)), nul))).toBeNull();
  });

  it('evaluates a chain of binary Unions (`a union b union c`) as the unions applied one after another', () => {
    const tuple = (n: number): ElmNode => value(new CqlTuple({ n }));
    // Lists of equal tuples: one distinct pass keeps first occurrences in order.
    const chained = op('Union', op('Union', op('Union', list(tuple(1), tuple(2)), list(tuple(2), tuple(3))), list(tuple(1))), list(tuple(4), tuple(3)));
    expect((evaluate(chained) as CqlTuple[]).map((t) => t.elements['n'])).toEqual([1, 2, 3, 4]);
    // A null list in the chain counts as empty; nulls inside lists are kept once.
    expect(evaluate(op('Union', op('Union', list(int(1), nul), nul), list(nul, int(2))))).toEqual([1, null, 2]);
    // Intervals in a chain still fold pairwise: [1, 3] ∪ [4, 6] ∪ [7, 9] meet into [1, 9].
    const iv = evaluate(op('Union', op('Union', ivl(int(1), int(3)), ivl(int(4), int(6))), ivl(int(7), int(9)))) as CqlInterval;
    expect([iv.low, iv.high]).toEqual([1, 9]);
    // Disjoint intervals: null, and null stays null through the next union.
    expect(evaluate(op('Union', op('Union', ivl(int(1), int(2)), ivl(int(5), int(6))), ivl(int(2), int(5))))).toBeNull();
  });

  it('compares date/times through the date/time family and intervals by boundaries', () => {
    const a = new CqlDateTime([2020, 1, 1, 10], 0);
    const b = new CqlDateTime([2020, 1, 1, 20], 0);
    expect(evaluate(op('Before', value(a), value(b)))).toBe(true);
    expect(evaluate({ ...op('SameAs', value(a), value(b)), precision: 'Day' })).toBe(true);
    expect(evaluate(op('After', ivl(int(8), int(12)), int(7)))).toBe(true);
  });
});

describe('list-only operators', () => {
  it('Exists ignores nulls; First, Last, Slice and IndexOf are 0-based and null-safe; SingletonFrom refuses two elements', () => {
    expect(evaluate(op('Exists', list(nul)))).toBe(false);
    expect(evaluate(op('Exists', nul))).toBe(false);
    expect(evaluate({ type: 'First', source: list(int(8), int(2)) })).toBe(8);
    expect(evaluate({ type: 'Last', source: nul })).toBeNull();
    expect(evaluate({ type: 'Slice', source: list(int(6), int(7), int(8)), startIndex: int(1), endIndex: nul })).toEqual([7, 8]);
    expect(evaluate({ type: 'Slice', source: list(int(6), int(7)), startIndex: int(-1), endIndex: nul })).toEqual([]);
    expect(evaluate({ type: 'IndexOf', source: list(int(6), int(7)), element: int(7) })).toBe(1);
    expect(evaluate({ type: 'IndexOf', source: list(int(6)), element: nul })).toBeNull();
    expect(evaluate(op('SingletonFrom', list()))).toBeNull();
    expect(() => evaluate(op('SingletonFrom', list(int(6), int(7))))).toThrow(CqlRuntimeError);
    expect(evaluate(op('ToList', nul))).toEqual([]);
  });

  it('Times: pairs each tuple of the first list with each tuple of the second', () => {
    const t = (k: string, n: number): CqlTuple => new CqlTuple({ [k]: n });
    const got = evaluate(op('Times', value([t('a', 5), t('a', 6)]), value([t('b', 9)]))) as CqlTuple[];
    expect(got.map((x) => x.elements)).toEqual([{ a: 5, b: 9 }, { a: 6, b: 9 }]);
  });

  it('Filter: binds its alias and keeps the elements whose condition is true', () => {
    const cond = op('Greater', { type: 'AliasRef', name: 'X' }, int(6));
    const ops: ElmNode = { type: 'Filter', source: list(int(9), int(6), int(7)), condition: cond, scope: 'X' };
    expect(evaluate(ops)).toEqual([9, 7]);
  });

  it('Sort: by a column descending puts nulls last; by direction ascending puts nulls first', () => {
    const rows = value([new CqlTuple({ k: 4 }), new CqlTuple({ k: null }), new CqlTuple({ k: 9 })]);
    const got = evaluate({ type: 'Sort', source: rows, by: [{ type: 'ByColumn', path: 'k', direction: 'desc' }] }) as CqlTuple[];
    expect(got.map((x) => x.elements['k'])).toEqual([9, 4, null]);
    expect(evaluate({ type: 'Sort', source: list(int(8), nul, int(5)), by: [{ type: 'ByDirection', direction: 'asc' }] })).toEqual([null, 5, 8]);
  });
});

describe('aggregates', () => {
  it('read a path of each element and ignore null values', () => {
    const rows = value([new CqlTuple({ v: 5 }), new CqlTuple({ v: null }), new CqlTuple({ v: 9 })]);
    expect(evaluate({ type: 'Sum', source: rows, path: 'v' })).toBe(14);
    expect(evaluate({ type: 'Count', source: rows, path: 'v' })).toBe(2);
    expect(evaluate({ type: 'Avg', source: rows, path: 'v' })).toBe(7);
  });

  it.each([
    ['Count: a null list counts 0', 'Count', nul, 0],
    ['Sum: an empty list is null', 'Sum', list(), null],
    ['Max: orders strings', 'Max', list({ type: 'Literal', valueType: `${SYS}String`, value: 'kiwi' }, { type: 'Literal', valueType: `${SYS}String`, value: 'apple' }), 'kiwi'],
    ['AllTrue: true for an empty list', 'AllTrue', list(), true],
    ['AnyTrue: false when every element is null', 'AnyTrue', list(nul, nul), false],
    ['Variance: a single value has no sample variance (null)', 'Variance', list(dec('7.5')), null],
    ['PopulationVariance: 0 for a single value', 'PopulationVariance', list(dec('7.5')), 0],
    ['Median: the mean of the middle two for an even count', 'Median', list(int(8), int(2), int(6), int(4)), 5],
    ['Mode: the most frequent value, ignoring nulls', 'Mode', list(int(3), int(9), nul, int(9), nul, int(3), int(9)), 9],
    ['GeometricMean: the nth root of the product', 'GeometricMean', list(dec('3.0'), dec('27.0')), 9],
    ['Product: multiplies the elements', 'Product', list(int(5), int(6), int(7)), 210],
  ])('%s', (_name, type, source, want) => {
    expect(evaluate({ type, source })).toEqual(want);
  });
});
