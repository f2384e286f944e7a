/**
 * CQL list helpers (CQL 1.5 Appendix B §20 List Operators): membership and set operations by CQL
 * equality, distinct, flatten and sorting. Lists are JavaScript arrays; CQL null is `null`.
 */
import { compare, equal } from './equality.ts';

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
 * The list with duplicates removed, first occurrences kept in order (§20 Distinct): equality
 * semantics, except that nulls count as equal to each other.
 */
export function distinctList(list: readonly unknown[]): unknown[] {
  const out: unknown[] = [];
  const primitives = new Set<unknown>();
  let sawNull = false;
  for (const e of list) {
    if (e === null || e === undefined) {
      if (!sawNull) out.push(null);
      sawNull = true;
    } else if (typeof e !== 'object') {
      if (!primitives.has(e)) {
        primitives.add(e);
        out.push(e);
      }
    } else if (!listContains(out, e)) out.push(e);
  }
  return out;
}

/** §20 Union for lists: the distinct elements of both; a null list counts as empty. */
export function listUnion(a: readonly unknown[] | null, b: readonly unknown[] | null): unknown[] {
  return distinctList([...(a ?? []), ...(b ?? [])]);
}

/** §20 Intersect for lists: the distinct elements of `a` that are in `b`. */
export function listIntersect(a: readonly unknown[], b: readonly unknown[]): unknown[] {
  return distinctList(a).filter((x) => listContains(b, x));
}

/** §20 Except for lists: the distinct elements of `a` that are not in `b`. */
export function listExcept(a: readonly unknown[], b: readonly unknown[]): unknown[] {
  return distinctList(a).filter((x) => !listContains(b, x));
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
