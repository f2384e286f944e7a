/**
 * A query's `return` is distinct (CQL 1.5 §5.3.2 Return clause). Over a data source's resources the
 * engine skips that pass when every returned value carries its source resource (each resource equal
 * only to itself), and must still remove duplicates everywhere else: same answers either way.
 */
import { describe, expect, it } from 'vitest';
import { createFhirDataSource, createFhirProgram, createTerminology, CqlTuple } from '../../src/cql/index.ts';
import type { ElmLibrary } from '../../src/cql/index.ts';
import { qicoreClassifier } from '../../src/cql/fhir-r4/qicore.ts';
import { parseDateTime } from '../../src/cql/values/datetime.ts';

const SYS = '{urn:hl7-org:elm-types:r1}';
const text = (value: string) => ({ type: 'Literal', valueType: `${SYS}String`, value });
const observations = { type: 'Retrieve', dataType: '{http://hl7.org/fhir}Observation' };
const query = (ret: unknown) => ({ type: 'Query', source: [{ alias: 'O', expression: observations }], return: { expression: ret } });
const tuple = (...element: { name: string; value: unknown }[]) => ({ type: 'Tuple', element });
const alias = { type: 'AliasRef', name: 'O' };

const elm = {
  library: {
    identifier: { id: 'Distinct', version: '1' },
    statements: {
      def: [
        { type: 'ExpressionDef', name: 'With Resource', context: 'Unfiltered', expression: query(tuple({ name: 'resource', value: alias }, { name: 'tag', value: text('x') })) },
        { type: 'ExpressionDef', name: 'Without Resource', context: 'Unfiltered', expression: query(tuple({ name: 'tag', value: text('x') })) },
        { type: 'ExpressionDef', name: 'Resources', context: 'Unfiltered', expression: query(alias) },
        { type: 'ExpressionDef', name: 'Statuses', context: 'Unfiltered', expression: query({ type: 'Property', path: 'status', scope: 'O' }) },
      ],
    },
  },
} as unknown as ElmLibrary;

const observation = (id: string, status: string) => ({ resourceType: 'Observation', id, status, code: { text: 'a' } });

describe("a query's return over a data source's resources", () => {
  const now = parseDateTime('2026-01-01T00:00:00Z', 0);
  if (!now) throw new Error('now');
  // Two resources with one id and different content stay two (twins); the same resource twice counts once.
  const resources = [observation('a', 'final'), observation('b', 'final'), observation('b', 'amended'), observation('a', 'final')];
  const results = createFhirProgram([elm]).evaluate({ data: createFhirDataSource(resources, qicoreClassifier), terminology: createTerminology(new Map()), now });

  it('keeps one tuple per resource when each tuple carries its resource', () => {
    const rows = results.get('With Resource') as CqlTuple[];
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => r instanceof CqlTuple && r.elements['tag'] === 'x')).toBe(true);
  });

  it('still removes equal tuples that do not carry the resource', () => {
    expect(results.get('Without Resource')).toHaveLength(1);
  });

  it('returns each resource once, and distinct property values', () => {
    expect(results.get('Resources')).toHaveLength(3);
    expect((results.get('Statuses') as { json: unknown }[]).map((s) => s.json)).toEqual(['final', 'amended']);
  });
});
