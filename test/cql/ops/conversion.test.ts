/**
 * Conversion operators, table-driven from CQL 1.5 Appendix B "Type Operators" (ToBoolean … ToTime,
 * ConvertsTo*, ConvertQuantity, Table 9-F and 9-G string forms).
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { CqlCode, CqlConcept } from '../../../src/cql/values/code.ts';
import { CqlDate, CqlDateTime, CqlTime } from '../../../src/cql/values/datetime.ts';
import { CqlQuantity, CqlRatio } from '../../../src/cql/values/quantity.ts';
import { evaluateDefines, NOW } from './harness.ts';

const cases: Record<string, [string, unknown]> = {
  'ToBoolean y': ["ToBoolean('y')", true],
  'ToBoolean 0': ["ToBoolean('0')", false],
  'ToBoolean ignores case': ["ToBoolean('TRUE')", true],
  'ToBoolean falsetto': ["ToBoolean('falsetto')", null],
  'ToBoolean integer 1': ['ToBoolean(1)', true],
  'ToBoolean integer 2': ['ToBoolean(2)', null],
  'ToBoolean decimal 0.0': ['ToBoolean(0.0)', false],
  'ToInteger -1': ["ToInteger('-1')", -1],
  'ToInteger plus': ["ToInteger('+12')", 12],
  'ToInteger one': ["ToInteger('one')", null],
  'ToInteger decimal text': ["ToInteger('1.5')", null],
  'ToInteger overflow': ["ToInteger('2147483648')", null],
  'ToInteger true': ['ToInteger(true)', 1],
  'ToInteger long in range': ['ToInteger(5L)', 5],
  'ToLong -1': ["ToLong('-1')", -1],
  'ToLong one': ["ToLong('one')", null],
  'ToLong beyond range': ["ToLong('9223372036854775808')", null],
  'ToDecimal -0.1': ["ToDecimal('-0.1')", -0.1],
  'ToDecimal +-0.1': ["ToDecimal('+-0.1')", null],
  'ToDecimal no leading digit': ["ToDecimal('.5')", null],
  'ToDecimal true': ['ToDecimal(true)', 1],
  'ToDecimal rounds to 8': ["ToDecimal('1.123456789')", 1.12345679],
  'ToQuantity decimal': ['ToQuantity(0.1)', new CqlQuantity(0.1, '1')],
  'ToQuantity integer': ['ToQuantity(13)', new CqlQuantity(13, '1')],
  'ToQuantity string': ["ToQuantity('-0.1 \\'mg\\'')", new CqlQuantity(-0.1, 'mg')],
  'ToQuantity string no space': ["ToQuantity('5\\'mg\\'')", new CqlQuantity(5, 'mg')],
  'ToQuantity string no unit': ["ToQuantity('5')", new CqlQuantity(5, '1')],
  'ToQuantity bad quote': ["ToQuantity('444 \\'cm')", null],
  'ToRatio valid': ["ToRatio('1.0 \\'mg\\':2.0 \\'mg\\'')", new CqlRatio(new CqlQuantity(1, 'mg'), new CqlQuantity(2, 'mg'))],
  'ToRatio semicolon': ["ToRatio('1.0 \\'mg\\';2.0 \\'mg\\'')", null],
  'ToString boolean': ['ToString(true)', 'true'],
  'ToString integer': ['ToString(13)', '13'],
  'ToString long': ['ToString(10000L)', '10000'],
  'ToString decimal': ['ToString(0.1)', '0.1'],
  'ToString whole decimal': ['ToString(1.0)', '1.0'],
  'ToString decimal drops trailing zeros': ['ToString(1.50)', '1.5'],
  'ToString quantity': ["ToString(-0.1 'mg')", "-0.1 'mg'"],
  'ToString ratio': ["ToString(ToRatio('1 \\'mg\\':2.5 \\'mg\\''))", "1.0 'mg':2.5 'mg'"],
  'ToString negative ratio': ["ToString(ToRatio('-0.1 \\'mg\\':0.1 \\'mg\\''))", "-0.1 'mg':0.1 'mg'"],
  'ToString date': ['ToString(@2012-01-01)', '2012-01-01'],
  'ToString datetime': ['ToString(@2012-01-01T12:30:00.000-05:00)', '2012-01-01T12:30:00.000-05:00'],
  'ToString time': ['ToString(@T12:30:00.000)', '12:30:00.000'],
  'ToString null': ['ToString(null as Integer)', null],
  'ToDate string': ["ToDate('2014-01')", new CqlDate([2014, 1])],
  'ToDate ignores time': ["ToDate('2014-01-01T12:30:00')", new CqlDate([2014, 1, 1])],
  'ToDate invalid day': ["ToDate('2014-02-30')", null],
  'ToDate from datetime': ['ToDate(@2014-01-01T23:30:00.000Z)', new CqlDate([2014, 1, 1])],
  'ToDateTime date only': ["ToDateTime('2014-01-01')", new CqlDateTime([2014, 1, 1], NOW.offset)],
  'ToDateTime Z': ["ToDateTime('2014-01-01T14:30:00.0Z')", new CqlDateTime([2014, 1, 1, 14, 30, 0, 0], 0)],
  'ToDateTime offset': ["ToDateTime('2014-01-01T14:30:00.0-07:00')", new CqlDateTime([2014, 1, 1, 14, 30, 0, 0], -7)],
  'ToDateTime half-hour offset': ["ToDateTime('2014-01-01T14:30+05:30')", new CqlDateTime([2014, 1, 1, 14, 30], 5.5)],
  'ToDateTime no offset takes the evaluation offset': ["ToDateTime('2014-01-01T14:30:00')", new CqlDateTime([2014, 1, 1, 14, 30, 0], NOW.offset)],
  'ToDateTime bad hour': ["ToDateTime('2014-01-01T25:00')", null],
  'ToDateTime from Date': ['ToDateTime(@2014-01-01)', new CqlDateTime([2014, 1, 1], NOW.offset)],
  'ToTime string': ["ToTime('14:30:00.0')", new CqlTime([14, 30, 0, 0])],
  'ToTime minute': ["ToTime('14:30')", new CqlTime([14, 30])],
  'ToTime invalid': ["ToTime('24:00')", null],
  'ToConcept code': ["ToConcept(Code { system: 'http://loinc.org', code: '8480-6', display: 'SBP' })", new CqlConcept([new CqlCode('8480-6', 'http://loinc.org', null, 'SBP')], 'SBP')],
  'ToConcept codes': ["ToConcept({ Code { system: 'a', code: '1' }, Code { system: 'b', code: '2' } })", new CqlConcept([new CqlCode('1', 'a'), new CqlCode('2', 'b')], null)],
  'ToConcept null': ['ToConcept(null as Code)', null],
  'ConvertsToBoolean': ["ConvertsToBoolean('yes')", true],
  'ConvertsToBoolean false': ["ConvertsToBoolean('maybe')", false],
  'ConvertsToBoolean null': ['ConvertsToBoolean(null as String)', null],
  'ConvertsToInteger': ["ConvertsToInteger('12')", true],
  'ConvertsToInteger long out of range': ['ConvertsToInteger(2147483648L)', false],
  'ConvertsToLong': ["ConvertsToLong('x')", false],
  'ConvertsToDecimal': ["ConvertsToDecimal('1.5')", true],
  'ConvertsToQuantity': ["ConvertsToQuantity('5 \\'mg\\'')", true],
  'ConvertsToRatio': ["ConvertsToRatio('1:2')", true],
  'ConvertsToString': ['ConvertsToString(5)', true],
  'ConvertsToDate': ["ConvertsToDate('2014-13-01')", false],
  'ConvertsToDateTime': ["ConvertsToDateTime('2014-01-01T10:00')", true],
  'ConvertsToTime': ["ConvertsToTime('10:61')", false],
  'ConvertQuantity': ["ConvertQuantity(5 'mg', 'g')", new CqlQuantity(0.005, 'g')],
  'ConvertSyntax': ["convert 5 'mg' to 'g'", new CqlQuantity(0.005, 'g')],
  'ConvertQuantity incompatible': ["ConvertQuantity(5 'mg', 'm')", null],
  'ConvertQuantity calendar': ["ConvertQuantity(2 years, 'months')", new CqlQuantity(24, 'months')],
  'ConvertQuantity year to days is null': ["ConvertQuantity(1 year, 'd')", null],
  'CanConvertQuantity': ["CanConvertQuantity(5 'mg', 'kg')", true],
  'CanConvertQuantity no': ["CanConvertQuantity(5 'mg', 'mL')", false],
  'Convert to String': ["convert 5 to String", '5'],
  'Convert to Decimal': ["convert '2.5' to Decimal", 2.5],
  'Convert to Integer': ["convert '2' to Integer", 2],
  'Convert to DateTime': ["convert '2014-01-01' to DateTime", new CqlDateTime([2014, 1, 1], NOW.offset)],
};

let results: Record<string, unknown>;

beforeAll(() => {
  results = evaluateDefines(Object.fromEntries(Object.entries(cases).map(([k, [expr]]) => [k, expr])));
}, 120_000);

describe('conversion operators (CQL 1.5 Appendix B Type Operators)', () => {
  test.each(Object.entries(cases))('%s', (name, [, expected]) => {
    expect(results[name]).toEqual(expected);
  });
});
