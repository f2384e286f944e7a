/**
 * CQL list helpers (CQL 1.5 Appendix B §20 List Operators): membership and set operations by CQL
 * equality, distinct, flatten and sorting. Lists are JavaScript arrays; CQL null is `null`.
 */
import { compare, equal } from './equality.ts';
import { CqlTuple } from './tuple.ts';
import { CqlCode } from './code.ts';
import { CqlDate, CqlDateTime, CqlTime, CqlUncertainty } from './datetime.ts';

/**
 * Whether `list` has an element equal to `x` (§20 Contains/In). A null `x` is found when the list
 * has a null element (CQL 1.5 §20 In: "if the first argument is null, the result is true if the
 * list contains any null elements").
 */
export function listContains(list: readonly unknown[], x: unknown): boolean {
  if (x === null || x === undefined) {
    for (const e of list) if (e === null || e === undefined) return true;
    return false;
  }
  if (typeof x !== 'object') {
    // Primitives (Integer, Decimal, String, Boolean): equality is identity.
    for (const e of list) if (e === x) return true;
    return false;
  }
  for (const e of list) if (e !== null && e !== undefined && equal(e, x) === true) return true;
  return false;
}

/**
 * A key that equal values share (equal(a, b) === true implies equalityKey(a) === equalityKey(b));
 * values with different keys are never equal, so distinct and set operations compare only within a
 * key's bucket. Coarse for types whose equality converts (quantities, date-times across offsets).
 */
export function equalityKey(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return 's' + v;
    case 'number':
      return 'n' + String(v);
    case 'boolean':
      return v ? 'T' : 'F';
    case 'bigint':
      return 'b' + String(v);
    case 'object':
      break;
    default:
      return '?';
  }
  if (v === null) return '0';
  if (Array.isArray(v)) {
    let k = '[';
    for (const e of v as readonly unknown[]) k += equalityKey(e ?? null) + '\u0003';
    return k;
  }
  const o = v as { readonly json?: unknown; readonly elements?: Readonly<Record<string, unknown>>; readonly code?: unknown; readonly low?: unknown; readonly high?: unknown };
  if (v instanceof CqlTuple) {
    if (v.equalityKey !== undefined) return v.equalityKey;
    let k = 't';
    for (const name of v.sortedNames) k += '\u0001' + name + '\u0002' + equalityKey(v.elements[name] ?? null);
    v.equalityKey = k;
    return k;
  }
  if (v instanceof CqlCode) return 'c' + v.code;
  if (v instanceof CqlDateTime) {
    const f = v.f;
    // Hour or finer: equal only at the same instant (offsets normalised); coarser: fields as written.
    if (f.length <= 3) return 'd' + f.join('-');
    const utc = Date.UTC(f[0] ?? 0, (f[1] ?? 1) - 1, f[2] ?? 1, f[3] ?? 0, f[4] ?? 0, f[5] ?? 0) - (v.offset ?? 0) * 3_600_000;
    return 'h' + String(utc);
  }
  if (v instanceof CqlDate) return 'D' + v.f.join('-');
  if (v instanceof CqlTime) return 'T' + v.f.slice(0, 3).join(':');
  if (v instanceof CqlUncertainty) return v.low === v.high ? 'n' + String(v.low) : 'u';
  if ('fhirType' in v && 'json' in v) {
    const j = o.json;
    if (typeof j === 'string' || typeof j === 'number' || typeof j === 'boolean') return 'f' + String(j);
    if (typeof j === 'object' && j !== null) {
      const r = j as { resourceType?: unknown; id?: unknown };
      if (typeof r.resourceType === 'string' && typeof r.id === 'string') return 'r' + r.resourceType + '/' + r.id;
    }
    return 'fo';
  }
  return (v as object).constructor.name;
}

const knownDistinct = new WeakSet<readonly unknown[]>();

/** Records that `list` holds no duplicates (a retrieve's resources, a distinct's result), so queries over it skip distinct. */
export function markDistinct<T extends readonly unknown[]>(list: T): T {
  knownDistinct.add(list);
  return list;
}

const identityDistinct = new WeakSet<readonly unknown[]>();

/**
 * Records that each element of `list` is equal only to itself (a data source's resources, each
 * held once): the list holds no duplicates, and a union of two such lists compares by identity
 * instead of building equality keys.
 */
export function markIdentityDistinct<T extends readonly unknown[]>(list: T): T {
  identityDistinct.add(list);
  knownDistinct.add(list);
  return list;
}

/** Whether every element of `list` is known to be equal only to itself. */
export function isIdentityDistinct(list: readonly unknown[]): boolean {
  return identityDistinct.has(list);
}

/** Whether `list` is known to hold no duplicates. */
export function isKnownDistinct(list: readonly unknown[]): boolean {
  return knownDistinct.has(list);
}

/** Up to this length, comparing pairwise costs less than building equality keys. */
const SMALL_LIST = 12;

/** Distinct by pairwise comparison: the same answer as the bucketed pass, for short lists. */
function distinctSmall(list: readonly unknown[]): unknown[] {
  const out: unknown[] = [];
  let sawNull = false;
  outer: for (const e of list) {
    if (e === null || e === undefined) {
      if (!sawNull) out.push(null);
      sawNull = true;
      continue;
    }
    for (const o of out) {
      if (o === e) continue outer;
      if (o !== null && (typeof e !== 'object' && typeof o !== 'object' ? o === e : equal(o, e) === true)) continue outer;
    }
    out.push(e);
  }
  return out;
}

/**
 * The list with duplicates removed, first occurrences kept in order (§20 Distinct): equality
 * semantics, except that nulls count as equal to each other.
 */
export function distinctList(list: readonly unknown[]): unknown[] {
  if (identityDistinct.has(list)) return markIdentityDistinct([...list]);
  if (knownDistinct.has(list)) return markDistinct([...list]);
  if (list.length <= SMALL_LIST) return markDistinct(distinctSmall(list));
  const out: unknown[] = [];
  const buckets = new Map<string, unknown[]>();
  let sawNull = false;
  outer: for (const e of list) {
    if (e === null || e === undefined) {
      if (!sawNull) out.push(null);
      sawNull = true;
      continue;
    }
    const k = equalityKey(e);
    const bucket = buckets.get(k);
    if (bucket === undefined) buckets.set(k, [e]);
    else {
      if (typeof e !== 'object') continue;
      for (const b of bucket) if (b === e || equal(b, e) === true) continue outer;
      bucket.push(e);
    }
    out.push(e);
  }
  return markDistinct(out);
}

/** §20 Union for lists: the distinct elements of both; a null list counts as empty. */
export function listUnion(a: readonly unknown[] | null, b: readonly unknown[] | null): unknown[] {
  return listUnionAll([a ?? [], b ?? []]);
}

/** Union of several lists at once: the distinct elements of all, first occurrences in order (as unions applied left to right). */
export function listUnionAll(lists: readonly (readonly unknown[])[]): unknown[] {
  // Lists of a data source's resources (retrieves, filters of them): union by identity.
  if (lists.every((l) => l.length === 0 || identityDistinct.has(l))) {
    const seen = new Set<unknown>();
    const out: unknown[] = [];
    for (const l of lists) {
      for (const e of l) {
        if (seen.has(e)) continue;
        seen.add(e);
        out.push(e);
      }
    }
    return markIdentityDistinct(out);
  }
  const all: unknown[] = [];
  for (const l of lists) for (const e of l) all.push(e);
  return distinctList(all);
}

/**
 * Membership in `list` as `listContains` decides it, after indexing the list once by
 * `equalityKey`: a lookup compares only within a key's bucket, so set operations stay linear.
 */
function membership(list: readonly unknown[]): (x: unknown) => boolean {
  const buckets = new Map<string, unknown[]>();
  let hasNull = false;
  for (const e of list) {
    if (e === null || e === undefined) {
      hasNull = true;
      continue;
    }
    const k = equalityKey(e);
    const bucket = buckets.get(k);
    if (bucket) bucket.push(e);
    else buckets.set(k, [e]);
  }
  return (x) => {
    if (x === null || x === undefined) return hasNull;
    const bucket = buckets.get(equalityKey(x));
    if (!bucket) return false;
    if (typeof x !== 'object') return true;
    for (const e of bucket) if (e === x || equal(e, x) === true) return true;
    return false;
  };
}

/** §20 Intersect for lists: the distinct elements of `a` that are in `b`. */
export function listIntersect(a: readonly unknown[], b: readonly unknown[]): unknown[] {
  const inB = membership(b);
  return distinctList(a).filter(inB);
}

/** §20 Except for lists: the distinct elements of `a` that are not in `b`. */
export function listExcept(a: readonly unknown[], b: readonly unknown[]): unknown[] {
  const inB = membership(b);
  return distinctList(a).filter((x) => !inB(x));
}

/** §20 Includes for lists: every element of `b` is in `a`. */
export function listIncludes(a: readonly unknown[], b: readonly unknown[]): boolean {
  return b.every((x) => listContains(a, x));
}

/** §20 ProperIncludes for lists: `a` includes `b` and has an element that `b` does not. */
export function listProperlyIncludes(a: readonly unknown[], b: readonly unknown[]): boolean {
  return listIncludes(a, b) && a.some((x) => !listContains(b, x));
}

/** §20 Flatten: the elements of each inner list, in order; null inner lists contribute nothing. */
export function flattenList(list: readonly unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const e of list) {
    if (Array.isArray(e)) for (const x of e) out.push(x);
    else if (e !== null && e !== undefined) out.push(e);
  }
  return out;
}

/**
 * CQL ordering for sorting (§20 Sort, and a query's sort clause): nulls first, then `compare`;
 * values that cannot be ordered keep their relative order.
 */
export function compareForSort(a: unknown, b: unknown): number {
  const an = a === null || a === undefined;
  const bn = b === null || b === undefined;
  if (an || bn) return an && bn ? 0 : an ? -1 : 1;
  return compare(a, b) ?? 0;
}

/** One sort key: how to read it from an element, and its direction. */
export interface SortKey {
  readonly key: (element: unknown) => unknown;
  readonly descending: boolean;
}

/**
 * A sorted copy of `list` (stable). With no keys the elements themselves are compared ascending.
 * Descending order reverses the comparison, so nulls come last (§20 Sort).
 */
export function sortList(list: readonly unknown[], keys: readonly SortKey[] = []): unknown[] {
  if (keys.length === 0) return [...list].sort(compareForSort);
  if (keys.length === 1) {
    const [k] = keys as [SortKey];
    const decorated = list.map((e) => ({ e, v: k.key(e) }));
    decorated.sort((x, y) => (k.descending ? -compareForSort(x.v, y.v) : compareForSort(x.v, y.v)));
    return decorated.map((d) => d.e);
  }
  const decorated = list.map((e) => ({ e, vs: keys.map((k) => k.key(e)) }));
  decorated.sort((x, y) => {
    for (let i = 0; i < keys.length; i++) {
      const c = compareForSort(x.vs[i], y.vs[i]);
      if (c !== 0) return (keys[i] as SortKey).descending ? -c : c;
    }
    return 0;
  });
  return decorated.map((d) => d.e);
}
