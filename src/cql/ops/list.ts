/**
 * List operators (CQL 1.5 Appendix B §20) that only lists have. Contains, In, Includes,
 * IncludedIn, their proper forms, Union, Intersect and Except are shared with intervals and live in
 * ops/interval.ts; Length (strings and lists) is the string family's; the `List` selector, Equal
 * and Equivalent are the core's.
 */
import { child, children, clause, str } from '../elm.ts';
import type { ElmNode } from '../elm.ts';
import type { CompileEnv, Evaluator, NodeCompiler, Runtime } from '../compile/types.ts';
import { CqlRuntimeError } from '../errors.ts';
import { equal } from '../values/equality.ts';
import { distinctList, flattenList, sortList } from '../values/list.ts';
import type { SortKey } from '../values/list.ts';
import { CqlTuple } from '../values/tuple.ts';
import { propertyReader } from './core.ts';
import { compileQueryPicking } from './query.ts';
import { operandsN } from './util.ts';

function required(node: ElmNode, env: CompileEnv, key: string): Evaluator {
  const n = child(node, key);
  if (!n) return env.fail(node, `${node.type} without ${key}`);
  return env.compile(n);
}

/** A unary list function: null when the operand is not a list. */
function listFunction(key: 'operand' | 'source', f: (list: readonly unknown[]) => unknown): NodeCompiler {
  return (node, env) => {
    const a = key === 'operand' ? (operandsN(node, env, 1)[0] as Evaluator) : required(node, env, 'source');
    return (rt) => {
      const v = a(rt);
      return Array.isArray(v) ? f(v) : null;
    };
  };
}

/**
 * First/Last of a query with a sort clause (and no aggregate): the element the sort would put
 * first or last, found without sorting (`compileQueryPicking`); anything else as `otherwise`.
 */
function pickFromSortedQuery(pick: 'first' | 'last', otherwise: NodeCompiler): NodeCompiler {
  return (node, env) => {
    const source = child(node, 'source');
    if (source?.type === 'Query' && clause(source, 'sort') && !clause(source, 'aggregate')) return compileQueryPicking(source, env, pick);
    return otherwise(node, env);
  };
}

/** §20 Exists: true when the list has a non-null element; a null list does not exist. */
const exists: NodeCompiler = (node, env) => {
  const [a] = operandsN(node, env, 1) as [Evaluator];
  return (rt) => {
    const v = a(rt);
    if (!Array.isArray(v)) return false;
    for (const x of v) if (x !== null && x !== undefined) return true;
    return false;
  };
};

/** §20 Times: the cartesian product of two lists of tuples, each pair's elements merged. */
const times: NodeCompiler = (node, env) => {
  const [a, b] = operandsN(node, env, 2) as [Evaluator, Evaluator];
  return (rt) => {
    const x = a(rt);
    const y = b(rt);
    if (!Array.isArray(x) || !Array.isArray(y)) return null;
    const out: CqlTuple[] = [];
    for (const l of x) {
      for (const r of y) {
        if (!(l instanceof CqlTuple) || !(r instanceof CqlTuple)) continue;
        out.push(new CqlTuple({ ...l.elements, ...r.elements }));
      }
    }
    return out;
  };
};

/** ELM Filter: the elements (bound to `scope`) for which `condition` is true. */
const filter: NodeCompiler = (node, env) => {
  const source = required(node, env, 'source');
  const scope = str(node, 'scope') ?? '$this';
  const { env: inner, slots } = env.withSlots([{ kind: 'alias', name: scope }]);
  const slot = slots[0] as number;
  const condNode = child(node, 'condition');
  if (!condNode) return env.fail(node, 'Filter without a condition');
  const cond = inner.compile(condNode);
  return (rt) => {
    const v = source(rt);
    if (!Array.isArray(v)) return null;
    const out: unknown[] = [];
    for (const x of v) {
      rt.slots[slot] = x;
      if (cond(rt) === true) out.push(x);
    }
    return out;
  };
};

/** §20 Slice (Skip, Take, Tail): elements from startIndex up to (not including) endIndex; a negative or reversed range is empty. */
const slice: NodeCompiler = (node, env) => {
  const source = required(node, env, 'source');
  const start = env.compileOptional(child(node, 'startIndex'));
  const end = env.compileOptional(child(node, 'endIndex'));
  return (rt) => {
    const v = source(rt);
    if (!Array.isArray(v)) return null;
    const s = start ? (start(rt) ?? null) : null;
    const e = end ? (end(rt) ?? null) : null;
    const from = typeof s === 'number' ? s : 0;
    const to = typeof e === 'number' ? e : v.length;
    if (from < 0 || to < 0 || to < from) return [];
    return v.slice(from, to);
  };
};

/** §20 IndexOf: the zero-based index of the first element equal to `element`, -1 when absent, null for null arguments. */
const indexOf: NodeCompiler = (node, env) => {
  const source = required(node, env, 'source');
  const element = required(node, env, 'element');
  return (rt) => {
    const v = source(rt);
    const x = element(rt);
    if (!Array.isArray(v) || x === null || x === undefined) return null;
    for (let i = 0; i < v.length; i++) if (equal(v[i], x) === true) return i;
    return -1;
  };
};

/** §20 SingletonFrom: the only element, null for an empty list, a run-time error for more than one. */
const singletonFrom: NodeCompiler = (node, env) => {
  const [a] = operandsN(node, env, 1) as [Evaluator];
  return (rt) => {
    const v = a(rt);
    if (!Array.isArray(v)) return null;
    if (v.length > 1) throw new CqlRuntimeError(`singleton from a list of ${v.length} elements`);
    return v[0] ?? null;
  };
};

/** §20 ToList: a one-element list, or an empty list for null. */
const toList: NodeCompiler = (node, env) => {
  const [a] = operandsN(node, env, 1) as [Evaluator];
  return (rt) => {
    const v = a(rt);
    return v === null || v === undefined ? [] : [v];
  };
};

function descending(d: string | undefined): boolean {
  return d === 'desc' || d === 'descending';
}

/**
 * ELM Sort: `source` sorted by its `by` items (ByDirection: the elements themselves; ByColumn: a
 * property path; ByExpression: an expression over the element bound as `$this`). Nulls sort first
 * ascending and last descending (§20 Sort).
 */
const sort: NodeCompiler = (node, env) => {
  const source = required(node, env, 'source');
  const { env: inner, slots } = env.withSlots([{ kind: 'alias', name: '$this' }]);
  const slot = slots[0] as number;
  type Key = { readonly read: ((x: unknown, rt: Runtime) => unknown) | undefined; readonly descending: boolean };
  const keys = children(node, 'by').map((by): Key => {
    const desc = descending(str(by, 'direction'));
    switch (by.type) {
      case 'ByDirection':
        return { read: undefined, descending: desc };
      case 'ByColumn': {
        const read = propertyReader(str(by, 'path') ?? '', env.program.model);
        return { read, descending: desc };
      }
      case 'ByExpression': {
        const e = child(by, 'expression');
        if (!e) return env.fail(by, 'sort by expression without an expression');
        const compiled = inner.compile(e);
        return {
          read: (x, rt) => {
            rt.slots[slot] = x;
            return compiled(rt);
          },
          descending: desc,
        };
      }
      default:
        return env.fail(by, `unsupported sort item ${by.type}`);
    }
  });
  return (rt) => {
    const v = source(rt);
    if (!Array.isArray(v)) return null;
    const sortKeys: SortKey[] = (keys.length === 0 ? [{ read: undefined, descending: false }] : keys).map((k) => ({
      key: k.read === undefined ? (x: unknown) => x : (x: unknown) => (k.read as (x: unknown, rt: Runtime) => unknown)(x, rt),
      descending: k.descending,
    }));
    return sortList(v, sortKeys);
  };
};

/** List-only operators, keyed by ELM node type. */
export const listOperators: Record<string, NodeCompiler> = {
  Exists: exists,
  Times: times,
  Filter: filter,
  First: pickFromSortedQuery('first', listFunction('source', (l) => (l.length > 0 ? (l[0] ?? null) : null))),
  Last: pickFromSortedQuery('last', listFunction('source', (l) => (l.length > 0 ? (l[l.length - 1] ?? null) : null))),
  Slice: slice,
  IndexOf: indexOf,
  Distinct: listFunction('operand', distinctList),
  Flatten: listFunction('operand', flattenList),
  SingletonFrom: singletonFrom,
  ToList: toList,
  Sort: sort,
};
