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
  "ToBoolean: 't' is true": ["ToBoolean('t')", true],
  "ToBoolean: 'no' is false": ["ToBoolean('no')", false],
  'ToBoolean: ignores letter case': ["ToBoolean('Yes')", true],
  'ToBoolean: any other string is null': ["ToBoolean('nope')", null],
  'ToBoolean: the Integer 0 is false': ['ToBoolean(0)', false],
  'ToBoolean: an Integer other than 0 or 1 is null': ['ToBoolean(-1)', null],
  'ToBoolean: the Decimal 1.0 is true': ['ToBoolean(1.0)', true],
  'ToInteger: reads a negative string': ["ToInteger('-250')", -250],
  'ToInteger: accepts a leading plus sign': ["ToInteger('+7')", 7],
  'ToInteger: words are null': ["ToInteger('seven')", null],
  'ToInteger: a string with a decimal point is null': ["ToInteger('3.0')", null],
  'ToInteger: a string below the Integer range is null': ["ToInteger('-2147483649')", null],
  'ToInteger: false is 0': ['ToInteger(false)', 0],
  'ToInteger: a Long within the Integer range': ['ToInteger(-12L)', -12],
  'ToLong: reads a string beyond the Integer range': ["ToLong('123456789012')", 123456789012],
  'ToLong: a string with letters is null': ["ToLong('12x')", null],
  'ToLong: a string below the Long range is null': ["ToLong('-9223372036854775809')", null],
  'ToDecimal: reads a negative string': ["ToDecimal('-2.75')", -2.75],
  'ToDecimal: two signs are null': ["ToDecimal('-+2.5')", null],
  'ToDecimal: a string without a digit before the point is null': ["ToDecimal('.75')", null],
  'ToDecimal: false is 0': ['ToDecimal(false)', 0],
  'ToDecimal: rounds to 8 places': ["ToDecimal('0.555555555')", 0.55555556],
  'ToQuantity: a Decimal gets the unit 1': ['ToQuantity(2.5)', new CqlQuantity(2.5, '1')],
  'ToQuantity: an Integer gets the unit 1': ['ToQuantity(-4)', new CqlQuantity(-4, '1')],
  'ToQuantity: reads a negative value and a quoted unit': ["ToQuantity('-2.5 \\'kg\\'')", new CqlQuantity(-2.5, 'kg')],
  'ToQuantity: the space before the unit is optional': ["ToQuantity('12\\'cm\\'')", new CqlQuantity(12, 'cm')],
  'ToQuantity: a number alone gets the unit 1': ["ToQuantity('42')", new CqlQuantity(42, '1')],
  'ToQuantity: an unclosed unit quote is null': ["ToQuantity('12 \\'mL')", null],
  'ToRatio: reads two quantities around a colon': ["ToRatio('3.0 \\'mL\\':150.0 \\'mL\\'')", new CqlRatio(new CqlQuantity(3, 'mL'), new CqlQuantity(150, 'mL'))],
  'ToRatio: any other separator is null': ["ToRatio('3.0 \\'mL\\';150.0 \\'mL\\'')", null],
  'ToString: a Boolean': ['ToString(false)', 'false'],
  'ToString: a negative Integer': ['ToString(-7)', '-7'],
  'ToString: a Long': ['ToString(987654321L)', '987654321'],
  'ToString: a Decimal': ['ToString(2.25)', '2.25'],
  'ToString: a whole Decimal keeps one decimal place': ['ToString(42.0)', '42.0'],
  'ToString: a Decimal drops trailing zeros': ['ToString(3.1400)', '3.14'],
  'ToString: a Quantity quotes its unit': ["ToString(12.5 'cm')", "12.5 'cm'"],
  'ToString: a Ratio prints both quantities as Decimals': ["ToString(ToRatio('3 \\'mL\\':7.5 \\'mL\\''))", "3.0 'mL':7.5 'mL'"],
  'ToString: a Ratio with a negative numerator': ["ToString(ToRatio('-2.5 \\'g\\':0.5 \\'g\\''))", "-2.5 'g':0.5 'g'"],
  'ToString: a Date': ['ToString(@2031-07-19)', '2031-07-19'],
  'ToString: a DateTime with its offset': ['ToString(@2031-07-19T08:45:12.345+02:00)', '2031-07-19T08:45:12.345+02:00'],
  'ToString: a Time': ['ToString(@T08:45:12.345)', '08:45:12.345'],
  'ToString: null gives null': ['ToString(null as Decimal)', null],
  'ToDate: reads a year and month': ["ToDate('2031-07')", new CqlDate([2031, 7])],
  'ToDate: ignores a time part': ["ToDate('2031-07-19T08:45:00')", new CqlDate([2031, 7, 19])],
  'ToDate: a day not in the month is null': ["ToDate('2023-02-29')", null],
  'ToDate: takes the date of a DateTime': ['ToDate(@2031-07-19T23:45:00.000Z)', new CqlDate([2031, 7, 19])],
  'ToDateTime: a date-only string gets the evaluation offset': ["ToDateTime('2031-07-19')", new CqlDateTime([2031, 7, 19], NOW.offset)],
  'ToDateTime: reads Z as offset 0': ["ToDateTime('2031-07-19T08:45:12.5Z')", new CqlDateTime([2031, 7, 19, 8, 45, 12, 500], 0)],
  'ToDateTime: reads a negative offset': ["ToDateTime('2031-07-19T08:45:12.5-04:00')", new CqlDateTime([2031, 7, 19, 8, 45, 12, 500], -4)],
  'ToDateTime: reads a half-hour offset': ["ToDateTime('2031-07-19T08:45+09:30')", new CqlDateTime([2031, 7, 19, 8, 45], 9.5)],
  'ToDateTime: no offset takes the evaluation offset': ["ToDateTime('2031-07-19T08:45:12')", new CqlDateTime([2031, 7, 19, 8, 45, 12], NOW.offset)],
  'ToDateTime: hour 24 is null': ["ToDateTime('2031-07-19T24:10')", null],
  'ToDateTime: a Date gets the evaluation offset': ['ToDateTime(@2031-07-19)', new CqlDateTime([2031, 7, 19], NOW.offset)],
  'ToTime: reads fractional seconds as milliseconds': ["ToTime('08:45:12.5')", new CqlTime([8, 45, 12, 500])],
  'ToTime: reads a time to the minute': ["ToTime('08:45')", new CqlTime([8, 45])],
  'ToTime: hour 24 is null': ["ToTime('24:15')", null],
  'ToConcept: a Code becomes a Concept with its display': [
    "ToConcept(Code { system: 'http://careloop.example/codes', code: 'bp-high', display: 'High blood pressure' })",
    new CqlConcept([new CqlCode('bp-high', 'http://careloop.example/codes', null, 'High blood pressure')], 'High blood pressure'),
  ],
  'ToConcept: a list of Codes becomes one Concept': ["ToConcept({ Code { system: 'urn:s1', code: 'p' }, Code { system: 'urn:s2', code: 'q' } })", new CqlConcept([new CqlCode('p', 'urn:s1'), new CqlCode('q', 'urn:s2')], null)],
  'ToConcept: null gives null': ['ToConcept(null as Code)', null],
  "ConvertsToBoolean: true for 'F' (any case)": ["ConvertsToBoolean('F')", true],
  'ConvertsToBoolean: false for other words': ["ConvertsToBoolean('perhaps')", false],
  'ConvertsToBoolean: null gives null': ['ConvertsToBoolean(null as String)', null],
  'ConvertsToInteger: true for a negative whole number': ["ConvertsToInteger('-300')", true],
  'ConvertsToInteger: false for a Long below the Integer range': ['ConvertsToInteger(-2147483649L)', false],
  'ConvertsToLong: false for exponent notation': ["ConvertsToLong('1e3')", false],
  'ConvertsToDecimal: true for a negative fraction': ["ConvertsToDecimal('-0.25')", true],
  'ConvertsToQuantity: true for a value and a quoted unit': ["ConvertsToQuantity('2.5 \\'mL\\'')", true],
  'ConvertsToRatio: true for two unitless numbers': ["ConvertsToRatio('3:4')", true],
  'ConvertsToString: true for a Decimal': ['ConvertsToString(2.5)', true],
  'ConvertsToDate: false for month 00': ["ConvertsToDate('2031-00-10')", false],
  'ConvertsToDateTime: true for a date and time to the minute': ["ConvertsToDateTime('2031-07-19T08:45')", true],
  'ConvertsToTime: false for minute 75': ["ConvertsToTime('08:75')", false],
  'ConvertQuantity: converts to a related unit': ["ConvertQuantity(250 'mL', 'L')", new CqlQuantity(0.25, 'L')],
  'ConvertQuantity: the convert … to syntax': ["convert 1500 'g' to 'kg'", new CqlQuantity(1.5, 'kg')],
  'ConvertQuantity: an unrelated unit gives null': ["ConvertQuantity(250 'mL', 'g')", null],
  'ConvertQuantity: calendar years to months': ["ConvertQuantity(3 years, 'months')", new CqlQuantity(36, 'months')],
  'ConvertQuantity: calendar months to days is null': ["ConvertQuantity(2 months, 'd')", null],
  'CanConvertQuantity: true for a related unit': ["CanConvertQuantity(250 'mL', 'L')", true],
  'CanConvertQuantity: false for an unrelated unit': ["CanConvertQuantity(250 'mL', 'kg')", false],
  'convert … to String': ['convert 42 to String', '42'],
  'convert … to Decimal': ["convert '-0.75' to Decimal", -0.75],
  'convert … to Integer': ["convert '-15' to Integer", -15],
  'convert … to DateTime gets the evaluation offset': ["convert '2031-07-19' to DateTime", new CqlDateTime([2031, 7, 19], NOW.offset)],
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
