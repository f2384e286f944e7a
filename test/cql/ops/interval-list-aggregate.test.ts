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
    property: (path) => (v) => (v instanceof CqlTuple ? (v.elements[path] ?? null) : null),
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
    ['In list', op('In', int(2), list(int(1), int(2))), true],
    ['In interval', op('In', int(2), ivl(int(1), int(5))), true],
    ['In a null list is false', op('In', int(2), nul), false],
    ['null In an interval is null', op('In', nul, ivl(int(1), int(5))), null],
    ['null In a list with null', op('In', nul, list(int(1), nul)), true],
    ['Contains list', op('Contains', list(int(1), int(2)), int(3)), false],
    ['Includes lists', op('Includes', list(int(1), int(2), int(3)), list(int(3), int(1))), true],
    ['IncludedIn a point in an interval', op('IncludedIn', int(3), ivl(int(1), int(5))), true],
    ['ProperIn a list needs another element', op('ProperIn', int(1), list(int(1))), false],
    ['ProperIncludes intervals', op('ProperIncludes', ivl(int(1), int(10)), ivl(int(2), int(10))), true],
  ])('%s', (_name, node, want) => {
    expect(evaluate(node)).toBe(want);
  });

  it('folds n-ary Union over lists and intervals', () => {
    expect(evaluate(op('Union', list(int(1)), list(int(2)), list(int(1), int(3))))).toEqual([1, 2, 3]);
    const u = evaluate(op('Union', ivl(int(1), int(3)), ivl(int(4), int(6)))) as CqlInterval;
    expect([u.low, u.high]).toEqual([1, 6]);
    expect(evaluate(op('Except', list(int(1), int(2)), nul))).toEqual([1, 2]);
    expect(evaluate(op('Intersect', list(int(1)), nul))).toBeNull();
  });

  it('compares date/times through the date/time family and intervals by boundaries', () => {
    const a = new CqlDateTime([2020, 1, 1, 10], 0);
    const b = new CqlDateTime([2020, 1, 1, 20], 0);
    expect(evaluate(op('Before', value(a), value(b)))).toBe(true);
    expect(evaluate({ ...op('SameAs', value(a), value(b)), precision: 'Day' })).toBe(true);
    expect(evaluate(op('After', ivl(int(6), int(10)), int(5)))).toBe(true);
  });
});

describe('list-only operators', () => {
  it('exists, first, last, slice, index of, singleton, to list', () => {
    expect(evaluate(op('Exists', list(nul)))).toBe(false);
    expect(evaluate(op('Exists', nul))).toBe(false);
    expect(evaluate({ type: 'First', source: list(int(3), int(1)) })).toBe(3);
    expect(evaluate({ type: 'Last', source: nul })).toBeNull();
    expect(evaluate({ type: 'Slice', source: list(int(1), int(2), int(3)), startIndex: int(1), endIndex: nul })).toEqual([2, 3]);
    expect(evaluate({ type: 'Slice', source: list(int(1), int(2)), startIndex: int(-1), endIndex: nul })).toEqual([]);
    expect(evaluate({ type: 'IndexOf', source: list(int(1), int(2)), element: int(2) })).toBe(1);
    expect(evaluate({ type: 'IndexOf', source: list(int(1)), element: nul })).toBeNull();
    expect(evaluate(op('SingletonFrom', list()))).toBeNull();
    expect(() => evaluate(op('SingletonFrom', list(int(1), int(2))))).toThrow(CqlRuntimeError);
    expect(evaluate(op('ToList', nul))).toEqual([]);
  });

  it('Times merges tuples pairwise', () => {
    const t = (k: string, n: number): CqlTuple => new CqlTuple({ [k]: n });
    const got = evaluate(op('Times', value([t('a', 1), t('a', 2)]), value([t('b', 3)]))) as CqlTuple[];
    expect(got.map((x) => x.elements)).toEqual([{ a: 1, b: 3 }, { a: 2, b: 3 }]);
  });

  it('Filter binds its scope and keeps true conditions', () => {
    const cond = op('Greater', { type: 'AliasRef', name: 'X' }, int(1));
    const ops: ElmNode = { type: 'Filter', source: list(int(1), int(2), int(3)), condition: cond, scope: 'X' };
    expect(evaluate(ops)).toEqual([2, 3]);
  });

  it('Sort by column and by direction', () => {
    const rows = value([new CqlTuple({ k: 2 }), new CqlTuple({ k: null }), new CqlTuple({ k: 1 })]);
    const got = evaluate({ type: 'Sort', source: rows, by: [{ type: 'ByColumn', path: 'k', direction: 'desc' }] }) as CqlTuple[];
    expect(got.map((x) => x.elements['k'])).toEqual([2, 1, null]);
    expect(evaluate({ type: 'Sort', source: list(int(3), nul, int(1)), by: [{ type: 'ByDirection', direction: 'asc' }] })).toEqual([null, 1, 3]);
  });
});

describe('aggregates', () => {
  it('read a path of each element and ignore nulls', () => {
    const rows = value([new CqlTuple({ v: 2 }), new CqlTuple({ v: null }), new CqlTuple({ v: 4 })]);
    expect(evaluate({ type: 'Sum', source: rows, path: 'v' })).toBe(6);
    expect(evaluate({ type: 'Count', source: rows, path: 'v' })).toBe(2);
    expect(evaluate({ type: 'Avg', source: rows, path: 'v' })).toBe(3);
  });

  it.each([
    ['Count of a null list', 'Count', nul, 0],
    ['Sum of nothing', 'Sum', list(), null],
    ['Max of strings', 'Max', list({ type: 'Literal', valueType: `${SYS}String`, value: 'fig' }, { type: 'Literal', valueType: `${SYS}String`, value: 'pear' }), 'pear'],
    ['AllTrue of nothing', 'AllTrue', list(), true],
    ['AnyTrue of nulls', 'AnyTrue', list(nul), false],
    ['Variance of one value', 'Variance', list(dec('5.0')), null],
    ['PopulationVariance of one value', 'PopulationVariance', list(dec('5.0')), 0],
    ['Median of an even count', 'Median', list(int(4), int(1), int(3), int(2)), 2.5],
    ['Mode', 'Mode', list(int(1), int(2), int(2), nul), 2],
    ['GeometricMean', 'GeometricMean', list(dec('2.0'), dec('8.0')), 4],
    ['Product', 'Product', list(int(2), int(3), int(4)), 24],
  ])('%s', (_name, type, source, want) => {
    expect(evaluate({ type, source })).toEqual(want);
  });
});
