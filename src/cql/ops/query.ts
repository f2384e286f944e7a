/**
 * Queries (CQL 1.5 §5 and ELM `Query`): sources (one or several), `let`, `with`/`without … such
 * that`, `where`, `return` (distinct by default, or `all`), `aggregate`, and `sort by`.
 * Aliases and lets are slots bound at compile time, so evaluating a query allocates only its result.
 */
import { child, clause, clauses, str } from '../elm.ts';
import type { ElmNode } from '../elm.ts';
import type { CompileEnv, Evaluator, NodeCompiler, Runtime } from '../compile/types.ts';
import { compare } from '../values/equality.ts';
import { CqlTuple } from '../values/tuple.ts';
import { propertyReader } from './core.ts';
import { distinctList, isIdentityDistinct, isKnownDistinct, markDistinct, markIdentityDistinct } from '../values/list.ts';

interface SortKey {
  readonly direction: 1 | -1;
  readonly key: ((rt: Runtime) => unknown) | undefined;
}

function directionOf(d: string | undefined): 1 | -1 {
  return d === 'desc' || d === 'descending' ? -1 : 1;
}

/** Nulls first ascending (CQL 1.5 §5.2.5), then the type's order. */
function compareForSort(a: unknown, b: unknown): number {
  const an = a === null || a === undefined;
  const bn = b === null || b === undefined;
  if (an || bn) return an && bn ? 0 : an ? -1 : 1;
  return compare(a, b) ?? 0;
}

function compileSort(node: ElmNode, env: CompileEnv): { slot: number; keys: SortKey[] } | undefined {
  const sort = clause(node, 'sort');
  if (!sort) return undefined;
  const { env: sortEnv, slots } = env.withSlots([{ kind: 'alias', name: '$this' }]);
  const slot = slots[0] as number;
  const keys = clauses(sort, 'by').map((by): SortKey => {
    const direction = directionOf(str(by, 'direction'));
    switch (by.type) {
      case 'ByDirection':
        return { direction, key: undefined };
      case 'ByColumn': {
        const path = str(by, 'path') ?? '';
        if (path === '$this') return { direction, key: (rt) => rt.slots[slot] };
        const read = propertyReader(path, env.program.model);
        return { direction, key: (rt) => read(rt.slots[slot], rt) };
      }
      case 'ByExpression': {
        const e = child(by, 'expression');
        if (!e) return env.fail(by, 'sort by expression without an expression');
        return { direction, key: sortEnv.compile(e) };
      }
      default:
        return env.fail(by, `unsupported sort item ${by.type}`);
    }
  });
  return { slot, keys };
}

/** Whether one of the tuple's elements is `x` itself. */
function tupleHolds(t: CqlTuple, x: unknown): boolean {
  for (const k in t.elements) if (t.elements[k] === x) return true;
  return false;
}

function sortValues(values: unknown[], sort: { slot: number; keys: SortKey[] }, rt: Runtime): unknown[] {
  const decorated = values.map((v) => {
    rt.slots[sort.slot] = v;
    return { v, k: sort.keys.map((k) => (k.key ? k.key(rt) : v)) };
  });
  decorated.sort((a, b) => {
    for (let i = 0; i < sort.keys.length; i++) {
      const c = compareForSort(a.k[i], b.k[i]) * (sort.keys[i] as SortKey).direction;
      if (c !== 0) return c;
    }
    return 0;
  });
  return decorated.map((d) => d.v);
}

/** The order of two elements' sort keys (`sortValues`), or null when a pair of keys has no definite order. */
function compareKeysDefinite(a: readonly unknown[], b: readonly unknown[], keys: readonly SortKey[]): number | null {
  for (let i = 0; i < keys.length; i++) {
    const x = a[i];
    const y = b[i];
    const xn = x === null || x === undefined;
    const yn = y === null || y === undefined;
    let c: number | null;
    if (xn || yn) c = xn && yn ? 0 : xn ? -1 : 1;
    else c = compare(x, y);
    if (c === null) return null;
    if (c !== 0) return c * (keys[i] as SortKey).direction;
  }
  return 0;
}

/**
 * The first (or last) element of `values` in `sortValues` order, by one pass: the earliest of the
 * least elements (the latest of the greatest). Every key is read once per element, as the sort
 * reads them. When two keys have no definite order (uncertain dates, values of different types)
 * the sort's answer is the one that counts, so it sorts.
 */
function pickSorted(values: unknown[], sort: { slot: number; keys: SortKey[] }, rt: Runtime, pick: 'first' | 'last'): unknown {
  if (values.length === 0) return null;
  const keysOf = (v: unknown): unknown[] => {
    rt.slots[sort.slot] = v;
    return sort.keys.map((k) => (k.key ? k.key(rt) : v));
  };
  const all: unknown[][] = [];
  for (const v of values) all.push(keysOf(v));
  let best = 0;
  for (let i = 1; i < values.length; i++) {
    const c = compareKeysDefinite(all[i] as unknown[], all[best] as unknown[], sort.keys);
    if (c === null) {
      const sorted = sortDecorated(values, all, sort.keys);
      return (pick === 'first' ? sorted[0] : sorted[sorted.length - 1]) ?? null;
    }
    if (pick === 'first' ? c < 0 : c >= 0) best = i;
  }
  return values[best] ?? null;
}

function sortDecorated(values: readonly unknown[], keyLists: readonly (readonly unknown[])[], keys: readonly SortKey[]): unknown[] {
  const decorated = values.map((v, i) => ({ v, k: keyLists[i] as readonly unknown[] }));
  decorated.sort((a, b) => {
    for (let i = 0; i < keys.length; i++) {
      const c = compareForSort(a.k[i], b.k[i]) * (keys[i] as SortKey).direction;
      if (c !== 0) return c;
    }
    return 0;
  });
  return decorated.map((d) => d.v);
}

/**
 * `First` or `Last` of a query with a sort clause: the query's value without sorting it (one pass
 * finds the element the sort would put first or last), or null as `First`/`Last` of its value.
 */
export function compileQueryPicking(node: ElmNode, env: CompileEnv, pick: 'first' | 'last'): Evaluator {
  return compileQuery(node, env, pick);
}

/** The `Query` node. */
export const queryOperators: Record<string, NodeCompiler> = {
  Query: (node, env) => compileQuery(node, env, undefined),
};

function compileQuery(node: ElmNode, env: CompileEnv, pick: 'first' | 'last' | undefined): Evaluator {
  {
    const sources = clauses(node, 'source');
    if (sources.length === 0) return env.fail(node, 'query without a source');
    const sourceExprs = sources.map((s) => {
      const e = child(s, 'expression');
      if (!e) return env.fail(s, 'query source without an expression');
      return env.compile(e);
    });
    const aliases = sources.map((s) => str(s, 'alias') ?? '');
    const { env: qEnv, slots: aliasSlots } = env.withSlots(aliases.map((name) => ({ kind: 'alias' as const, name })));

    // let clauses, each seeing the aliases and the lets before it.
    let letEnv = qEnv;
    const lets: { slot: number; value: Evaluator }[] = [];
    for (const l of clauses(node, 'let')) {
      const e = child(l, 'expression');
      if (!e) return env.fail(l, 'let without an expression');
      const value = letEnv.compile(e);
      const bound = letEnv.withSlots([{ kind: 'let', name: str(l, 'identifier') ?? '' }]);
      lets.push({ slot: bound.slots[0] as number, value });
      letEnv = bound.env;
    }

    const relationships = clauses(node, 'relationship').map((r) => {
      const e = child(r, 'expression');
      const st = child(r, 'suchThat');
      if (!e || !st) return env.fail(r, `${r.type} needs an expression and a such-that condition`);
      const source = letEnv.compile(e);
      const bound = letEnv.withSlots([{ kind: 'alias', name: str(r, 'alias') ?? '' }]);
      return { without: r.type === 'Without', source, slot: bound.slots[0] as number, suchThat: bound.env.compile(st) };
    });

    const whereNode = child(node, 'where');
    const where = whereNode ? letEnv.compile(whereNode) : undefined;
    const returnNode = clause(node, 'return');
    const returnExprNode = returnNode ? child(returnNode, 'expression') : undefined;
    const ret = returnExprNode ? letEnv.compile(returnExprNode) : undefined;
    // Results are distinct unless the return clause says `all` (as the reference engines do).
    const returnDistinct = returnNode ? returnNode['distinct'] !== false : true;
    const aggNode = clause(node, 'aggregate');
    let aggregate: { slot: number; starting: Evaluator | undefined; expr: Evaluator; distinct: boolean } | undefined;
    if (aggNode) {
      const e = child(aggNode, 'expression');
      if (!e) return env.fail(aggNode, 'aggregate without an expression');
      const bound = letEnv.withSlots([{ kind: 'alias', name: str(aggNode, 'identifier') ?? '' }]);
      aggregate = { slot: bound.slots[0] as number, starting: env.compileOptional(child(aggNode, 'starting')), expr: bound.env.compile(e), distinct: aggNode['distinct'] === true };
    }
    const sort = compileSort(node, letEnv);
    const single = sources.length === 1;
    const slot0 = aliasSlots[0] as number;

    const passes = (rt: Runtime): boolean => {
      for (const l of lets) rt.slots[l.slot] = l.value(rt) ?? null;
      for (const r of relationships) {
        const rs = r.source(rt);
        const list = Array.isArray(rs) ? rs : rs === null || rs === undefined ? [] : [rs];
        let found = false;
        for (const x of list) {
          rt.slots[r.slot] = x;
          if (r.suchThat(rt) === true) {
            found = true;
            break;
          }
        }
        if (found === r.without) return false;
      }
      return where ? where(rt) === true : true;
    };

    return (rt) => {
      // Each source; a non-list source makes the query's result a single value.
      let singleton = true;
      let allNull = true;
      const lists: unknown[][] = [];
      for (const s of sourceExprs) {
        const v = s(rt);
        if (v !== null && v !== undefined) allNull = false;
        if (Array.isArray(v)) {
          singleton = false;
          lists.push(v);
        } else if (v === null || v === undefined) {
          lists.push([]);
        } else {
          lists.push([v]);
        }
      }
      // A query whose sources are all null is null (FHIR-40225, as the reference engines do).
      if (allNull) return null;
      const out: unknown[] = [];
      // Whether every returned value carries its source element itself (`return O`, or a tuple with
      // O as an element): over a data source's resources (each equal only to itself) such results
      // are pairwise unequal, and the return's distinct pass can be skipped.
      let carriesSource = single && ret !== undefined && returnDistinct && isIdentityDistinct(lists[0] as unknown[]);
      if (single) {
        for (const x of lists[0] as unknown[]) {
          rt.slots[slot0] = x;
          if (!passes(rt)) continue;
          if (!ret) {
            out.push(x);
            continue;
          }
          const r = ret(rt) ?? null;
          if (carriesSource && r !== x && !(r instanceof CqlTuple && tupleHolds(r, x))) carriesSource = false;
          out.push(r);
        }
      } else {
        const n = lists.length;
        const idx = new Array<number>(n).fill(0);
        if (lists.every((l) => l.length > 0)) {
          for (;;) {
            for (let i = 0; i < n; i++) rt.slots[aliasSlots[i] as number] = (lists[i] as unknown[])[idx[i] as number];
            if (passes(rt)) {
              if (ret) out.push(ret(rt) ?? null);
              else {
                const t: Record<string, unknown> = {};
                for (let i = 0; i < n; i++) t[aliases[i] as string] = rt.slots[aliasSlots[i] as number];
                out.push(new CqlTuple(t));
              }
            }
            let k = n - 1;
            while (k >= 0) {
              idx[k] = (idx[k] as number) + 1;
              if ((idx[k] as number) < (lists[k] as unknown[]).length) break;
              idx[k] = 0;
              k--;
            }
            if (k < 0) break;
          }
        }
      }
      if (aggregate) {
        let acc = aggregate.starting ? aggregate.starting(rt) : null;
        const items = aggregate.distinct ? distinctList(out) : out;
        for (const x of items) {
          rt.slots[slot0] = x;
          rt.slots[aggregate.slot] = acc;
          acc = aggregate.expr(rt) ?? null;
        }
        return acc;
      }
      // A filter of one list that holds no duplicates holds none either: skip the distinct pass.
      const alreadyDistinct = single && !ret && lists[0] !== undefined && isKnownDistinct(lists[0]);
      let result = returnDistinct && out.length > 1 && !alreadyDistinct && !carriesSource ? distinctList(out) : out;
      if (alreadyDistinct || (carriesSource && returnDistinct)) markDistinct(result);
      if (pick !== undefined) {
        if (singleton) {
          // First/Last of a single value: of its elements when it is a list (unsorted), else null.
          const v = result.length === 0 ? null : result[0];
          return Array.isArray(v) ? (v.length === 0 ? null : ((pick === 'first' ? v[0] : v[v.length - 1]) ?? null)) : null;
        }
        return sort ? pickSorted(result, sort, rt, pick) : ((pick === 'first' ? result[0] : result[result.length - 1]) ?? null);
      }
      if (sort) result = sortValues(result, sort, rt);
      // A filter (or reordering) of a data source's resources holds only such resources.
      if (alreadyDistinct && isIdentityDistinct(lists[0] as unknown[])) markIdentityDistinct(result);
      // All sources singletons: the result is a singleton (CQL 1.5 §5.1), for several sources too.
      if (singleton) return result.length === 0 ? null : result[0];
      return result;
    };
  }
}
