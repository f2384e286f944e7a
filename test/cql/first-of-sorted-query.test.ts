/**
 * `First`/`Last` of a query with a sort clause are found in one pass instead of sorting: the answer
 * must be the element the sort puts first or last — ties (the earliest of the least, the latest of
 * the greatest), nulls (first ascending, last descending), several keys, descending keys — and the
 * sort's own answer when keys have no definite order (dates of different precisions).
 */
import { describe, expect, it } from 'vitest';
import { createFhirProgram, createTerminology } from '../../src/cql/index.ts';
import type { ElmLibrary } from '../../src/cql/index.ts';
import { parseDateTime } from '../../src/cql/values/datetime.ts';
import { prng } from './support/generator.ts';

const SYS = '{urn:hl7-org:elm-types:r1}';
const int = (v: number) => ({ type: 'Literal', valueType: `${SYS}Integer`, value: String(v) });
const nul = { type: 'Null' };
const date = (parts: number[]) => ({ type: 'Date', year: int(parts[0] ?? 2000), ...(parts[1] === undefined ? {} : { month: int(parts[1]) }), ...(parts[2] === undefined ? {} : { day: int(parts[2]) }) });

type Row = { a: number | null; d: number[] | null; id: number };
const tuple = (r: Row) => ({
  type: 'Tuple',
  element: [
    { name: 'a', value: r.a === null ? nul : int(r.a) },
    { name: 'd', value: r.d === null ? nul : date(r.d) },
    { name: 'id', value: int(r.id) },
  ],
});
const by = (path: string, direction: 'asc' | 'desc') => ({ type: 'ByColumn', path, direction });

/** `First`/`Last` of `rows R sort by …`, and the same read from the sorted list. */
function library(rows: Row[], sortBy: unknown[]): ElmLibrary {
  const query = { type: 'Query', source: [{ alias: 'R', expression: { type: 'List', element: rows.map(tuple) } }], sort: { by: sortBy } };
  const sorted = { type: 'ExpressionRef', name: 'Sorted' };
  const id = (e: unknown) => ({ type: 'Property', path: 'id', source: e });
  const def = (name: string, expression: unknown) => ({ type: 'ExpressionDef', name, context: 'Unfiltered', expression });
  return {
    library: {
      identifier: { id: 'Pick', version: '1' },
      statements: {
        def: [
          def('Sorted', query),
          def('First Picked', id({ type: 'First', source: query })),
          def('Last Picked', id({ type: 'Last', source: query })),
          def('First Sorted', id({ type: 'First', source: sorted })),
          def('Last Sorted', id({ type: 'Last', source: sorted })),
        ],
      },
    },
  } as unknown as ElmLibrary;
}

const now = parseDateTime('2026-01-01T00:00:00Z', 0);
if (!now) throw new Error('now');
const evaluate = (elm: ElmLibrary) =>
  createFhirProgram([elm]).evaluate({ data: { retrieve: () => [] }, terminology: createTerminology(new Map()), now });

describe('First and Last of a sorted query', () => {
  it('picks what the sort puts first and last, over many lists with ties, nulls and several keys', () => {
    const rand = prng(7);
    const orders = [[by('a', 'asc')], [by('a', 'desc')], [by('a', 'asc'), by('d', 'desc')], [by('d', 'asc'), by('a', 'asc')], [by('d', 'desc')]];
    let fallbacks = 0;
    for (let n = 0; n < 120; n++) {
      const size = 1 + Math.floor(rand() * 9);
      const imprecise = n % 4 === 3;
      const rows: Row[] = Array.from({ length: size }, (_, id) => ({
        a: rand() < 0.2 ? null : Math.floor(rand() * 4),
        d: rand() < 0.15 ? null : imprecise && rand() < 0.4 ? [2020, 1 + Math.floor(rand() * 3)] : [2020, 1 + Math.floor(rand() * 3), 1 + Math.floor(rand() * 3)],
        id,
      }));
      if (imprecise) fallbacks++;
      const values = evaluate(library(rows, orders[n % orders.length] as unknown[]));
      expect(values.get('First Picked')).toBe(values.get('First Sorted'));
      expect(values.get('Last Picked')).toBe(values.get('Last Sorted'));
    }
    expect(fallbacks).toBeGreaterThan(0);
  });

  it('keeps the earliest of equal least elements and the latest of equal greatest ones', () => {
    const rows: Row[] = [
      { a: 2, d: null, id: 0 },
      { a: 1, d: null, id: 1 },
      { a: 1, d: null, id: 2 },
      { a: 3, d: null, id: 3 },
      { a: 3, d: null, id: 4 },
    ];
    const values = evaluate(library(rows, [by('a', 'asc')]));
    expect([values.get('First Picked'), values.get('Last Picked')]).toEqual([1, 4]);
  });

  it('is null for an empty query', () => {
    const values = evaluate(library([], [by('a', 'asc')]));
    expect([values.get('First Picked'), values.get('Last Picked')]).toEqual([null, null]);
  });
});
