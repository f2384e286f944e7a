/**
 * Loading a program: bodies compile on first use, but every node type is checked at load, so an
 * unsupported node fails there — naming node, library and locator — even in a definition or
 * function nothing evaluates yet.
 */
import { describe, expect, it } from 'vitest';
import { createFhirProgram, createTerminology, ElmLoadError } from '../../src/cql/index.ts';
import type { ElmLibrary } from '../../src/cql/index.ts';
import { parseDateTime } from '../../src/cql/values/datetime.ts';

const literal = (value: string) => ({ type: 'Literal', valueType: '{urn:hl7-org:elm-types:r1}Integer', value });
const library = (statements: unknown[]): ElmLibrary => ({ library: { identifier: { id: 'Lazy', version: '1' }, statements: { def: statements } } }) as unknown as ElmLibrary;

describe('loading a program', () => {
  it('refuses an unsupported node in a definition nothing evaluates yet, naming node, library and locator', () => {
    const elm = library([
      { type: 'ExpressionDef', name: 'Used', context: 'Unfiltered', expression: literal('1') },
      { type: 'ExpressionDef', name: 'Unused', context: 'Unfiltered', expression: { type: 'Add', operand: [literal('1'), { type: 'TomorrowsOperator', locator: '7:3-7:20' }] } },
    ]);
    expect(() => createFhirProgram([elm])).toThrow(ElmLoadError);
    expect(() => createFhirProgram([elm])).toThrow(/TomorrowsOperator.*library Lazy.*7:3-7:20/);
  });

  it('refuses an unsupported node inside a function body too', () => {
    const elm = library([{ type: 'FunctionDef', name: 'F', context: 'Unfiltered', operand: [], expression: { type: 'Query', source: [{ alias: 'X', expression: { type: 'NotAnElmNode' } }] } }]);
    expect(() => createFhirProgram([elm])).toThrow(/NotAnElmNode/);
  });

  it('evaluates definitions whose bodies compile on first use, once', () => {
    const elm = library([
      { type: 'ExpressionDef', name: 'Two', context: 'Unfiltered', expression: { type: 'Add', operand: [literal('1'), literal('1')] } },
      { type: 'ExpressionDef', name: 'Four', context: 'Unfiltered', expression: { type: 'Add', operand: [{ type: 'ExpressionRef', name: 'Two' }, { type: 'ExpressionRef', name: 'Two' }] } },
    ]);
    const program = createFhirProgram([elm]);
    const now = parseDateTime('2026-01-01T00:00:00Z', 0);
    if (!now) throw new Error('now');
    const request = { data: { retrieve: () => [] }, terminology: createTerminology(new Map()), now };
    expect(program.evaluate(request).get('Four')).toBe(4);
    expect(program.evaluate(request).get('Two')).toBe(2);
  });

  it('builds a list of literals once and no operator changes it', () => {
    const list = { type: 'List', element: [literal('3'), literal('1'), literal('2')] };
    const elm = library([
      { type: 'ExpressionDef', name: 'L', context: 'Unfiltered', expression: list },
      { type: 'ExpressionDef', name: 'Sorted', context: 'Unfiltered', expression: { type: 'Query', source: [{ alias: 'X', expression: list }], sort: { by: [{ type: 'ByDirection', direction: 'asc' }] } } },
      { type: 'ExpressionDef', name: 'Sort', context: 'Unfiltered', expression: { type: 'Sort', source: list, by: [{ type: 'ByDirection', direction: 'desc' }] } },
      { type: 'ExpressionDef', name: 'Again', context: 'Unfiltered', expression: list },
    ]);
    const program = createFhirProgram([elm]);
    const now = parseDateTime('2026-01-01T00:00:00Z', 0);
    if (!now) throw new Error('now');
    const values = program.evaluate({ data: { retrieve: () => [] }, terminology: createTerminology(new Map()), now });
    expect([values.get('Sorted'), values.get('Sort'), values.get('L'), values.get('Again')]).toEqual([[1, 2, 3], [3, 2, 1], [3, 1, 2], [3, 1, 2]]);
    expect(Object.isFrozen(values.get('L'))).toBe(true);
  });
});
