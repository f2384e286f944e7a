/**
 * Functions whose results the engine remembers by argument (one operand, a scalar result): a
 * remembered result is only handed out for an argument the function cannot tell apart — the same
 * FHIR type and JSON, no `_x` sibling — and only within one evaluation context.
 */
import { describe, expect, it } from 'vitest';
import { createFhirDataSource, createFhirProgram, createTerminology } from '../../src/cql/index.ts';
import type { ElmLibrary } from '../../src/cql/index.ts';
import { qicoreClassifier } from '../../src/cql/fhir-r4/qicore.ts';
import { parseDateTime } from '../../src/cql/values/datetime.ts';

const FHIR = '{http://hl7.org/fhir}';
const SYS = '{urn:hl7-org:elm-types:r1}';
const named = (name: string) => ({ type: 'NamedTypeSpecifier', name });
const str = (value: string) => ({ type: 'Literal', valueType: `${SYS}String`, value });
const operand = { type: 'OperandRef', name: 'v' };
const is = (type: string) => ({ type: 'Is', operand, isTypeSpecifier: named(`${FHIR}${type}`) });
const prop = (path: string, source: unknown) => ({ type: 'Property', path, source });
const call = (name: string, arg: unknown) => ({ type: 'FunctionRef', name, operand: [arg] });

/** `Kind`: the FHIR type of a date-ish element, with the count of its extensions and the parameter `Tag`. */
const kind = {
  type: 'FunctionDef',
  name: 'Kind',
  context: 'Patient',
  resultTypeName: `${SYS}String`,
  operand: [{ name: 'v', operandTypeSpecifier: { type: 'ChoiceTypeSpecifier', choice: [named(`${FHIR}dateTime`), named(`${FHIR}date`), named(`${FHIR}string`)] } }],
  expression: {
    type: 'Concatenate',
    operand: [
      { type: 'Case', caseItem: [{ when: is('dateTime'), then: str('dateTime') }, { when: is('date'), then: str('date') }], else: str('string') },
      str(' '),
      { type: 'ToString', operand: { type: 'Count', source: prop('extension', operand) } },
      str(' '),
      { type: 'ParameterRef', name: 'Tag' },
    ],
  },
};

const patient = { type: 'SingletonFrom', operand: { type: 'Retrieve', dataType: `${FHIR}Patient` } };
const observations = { type: 'Retrieve', dataType: `${FHIR}Observation` };
const elm = {
  library: {
    identifier: { id: 'Memo', version: '1' },
    parameters: { def: [{ name: 'Tag', accessLevel: 'Public' }] },
    statements: {
      def: [
        kind,
        { type: 'ExpressionDef', name: 'Birth', context: 'Patient', expression: call('Kind', prop('birthDate', patient)) },
        {
          type: 'ExpressionDef',
          name: 'Effective',
          context: 'Patient',
          expression: { type: 'Query', source: [{ alias: 'O', expression: observations }], return: { distinct: false, expression: call('Kind', prop('effective', { type: 'AliasRef', name: 'O' })) } },
        },
      ],
    },
  },
} as unknown as ElmLibrary;

// One day written three times: as a date, as a dateTime, and as a dateTime with an extension.
const day = '2020-01-01';
const resources = [
  { resourceType: 'Patient', id: 'p', birthDate: day },
  { resourceType: 'Observation', id: 'o1', effectiveDateTime: day },
  { resourceType: 'Observation', id: 'o2', effectiveDateTime: day, _effectiveDateTime: { extension: [{ url: 'http://example.org/x', valueString: 'y' }] } },
  { resourceType: 'Observation', id: 'o3', effectiveDateTime: day },
];

describe('remembered function results', () => {
  const program = createFhirProgram([elm]);
  const now = parseDateTime('2026-01-01T00:00:00Z', 0);
  if (!now) throw new Error('now');
  const evaluate = (tag: string) => {
    const data = createFhirDataSource(resources, qicoreClassifier);
    const session = program.session({ data, terminology: createTerminology(new Map()), now, parameters: { Tag: tag }, contextValue: data.patient });
    const values = session.evaluateEach('Memo', ['Birth', 'Effective']);
    return Object.fromEntries([...values].map(([k, v]) => [k, 'value' in v ? v.value : v.error.message]));
  };

  it('tells apart the same JSON under another FHIR type, or with an extension', () => {
    expect(evaluate('a')).toEqual({ Birth: 'date 0 a', Effective: ['dateTime 0 a', 'dateTime 1 a', 'dateTime 0 a'] });
  });

  it('keeps results to one evaluation context (another parameter value is computed afresh)', () => {
    expect(evaluate('a')['Birth']).toBe('date 0 a');
    expect(evaluate('b')['Birth']).toBe('date 0 b');
  });
});
