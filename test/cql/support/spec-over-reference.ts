/**
 * Defines of the conformance corpus where the reference engine (cql-execution 3.3.2) contradicts the
 * CQL 1.5 specification, or does not implement an operator: the engine is held to the
 * specification's answer, with the section that says so. Sections are CQL 1.5 (cql.hl7.org),
 * Appendix B "CQL Reference" unless noted. Each entry was checked against the reference's output in
 * test/cql/conformance/expected/.
 */
import type { Comparable, EvaluationError } from './comparable.ts';

/** One documented disagreement. */
export interface SpecAnswer {
  /** What the specification requires. */
  readonly specification: Comparable | EvaluationError;
  /** The section that says so, and what the reference does instead. */
  readonly section: string;
}

const q = (value: number, unit: string): Comparable => ({ type: 'Quantity', value, unit });
const time = (value: string): Comparable => ({ type: 'Time', value });
const error = (what: string): EvaluationError => ({ error: what });

/** Library → define → the specification's answer. */
export const SPEC_OVER_REFERENCE: Readonly<Record<string, Readonly<Record<string, SpecAnswer>>>> = {
  ConformanceAggregate: {
    'Mode: tie': { specification: 1, section: 'Aggregate Functions › Mode: the result is of the element type (one value, the first of the tied); the reference returns a list' },
    'StdDev: single element': { specification: null, section: 'Aggregate Functions › StdDev: sample standard deviation of one value is undefined, null; the reference returns NaN' },
  },
  ConformanceArithmetic: {
    'Decimal: 0.1 + 0.2 = 0.3': { specification: true, section: '§1.4.2 Decimal (a fixed-point decimal with 8 digits after the point); the reference uses binary floating point' },
    'Abs: minimum integer overflows': { specification: null, section: 'Arithmetic Operators › Abs, and §1.4.1 Integer range (-2^31 … 2^31-1): a result out of range is null' },
    'Round: -0.5 rounds toward positive infinity': { specification: -1, section: 'Arithmetic Operators › Round: "a decimal value less than or equal to -0.5 and greater than -1.0 will round to -1"' },
    'Round: -1.5': { specification: -2, section: 'Arithmetic Operators › Round: traditional rounding, halves away from zero' },
    'Round: -2.5': { specification: -3, section: 'Arithmetic Operators › Round: traditional rounding, halves away from zero' },
    'Round: half at 2 places': { specification: 1.01, section: 'Arithmetic Operators › Round with precision, on the decimal value 1.005 (the reference rounds the binary float 1.00499…)' },
    'Successor: decimal is next 8th place': { specification: 1.00000001, section: 'Arithmetic Operators › Successor: for Decimal, the step is 10^-8' },
    'Predecessor: decimal': { specification: 0.99999999, section: 'Arithmetic Operators › Predecessor: for Decimal, the step is 10^-8' },
    'Long: addition': { specification: 3, section: 'Arithmetic Operators › Add on Long; the reference concatenates the two as text' },
    'Long: beyond integer range': { specification: 2147483648, section: 'Arithmetic Operators › Add on Long (64-bit); the reference concatenates the two as text' },
    'Precision: decimal digits': { specification: 5, section: 'Arithmetic Operators › Precision: Precision(1.58700) is 5; the reference does not implement Precision' },
    'Precision: integer': { specification: 0, section: 'Arithmetic Operators › Precision: digits after the decimal point (none for 100); the reference does not implement Precision' },
    'LowBoundary: decimal to 8 places': { specification: 1.587, section: 'Arithmetic Operators › LowBoundary; the reference builds unknown nodes as null' },
    'HighBoundary: decimal to 8 places': { specification: 1.58799999, section: 'Arithmetic Operators › HighBoundary; the reference builds unknown nodes as null' },
  },
  ConformanceDateTime: {
    'Add: hours to Time wraps': {
      specification: time('01:00'),
      section: 'Date and Time Operators › Add: CQL 1.5 does not say what Time + Quantity past midnight gives; the CQL 2.0 text says it wraps, as the HL7 Java engine does; the reference gives null',
    },
    'Subtract: Time': { specification: time('23:30'), section: 'Date and Time Operators › Subtract: Time wraps past midnight (as Add above); the reference gives null' },
    'Add: beyond maximum date is null': { specification: error('out of range'), section: '§2.7.6 and Date and Time Operators › Add: a result beyond the maximum date is a run-time error; the reference gives null' },
    'Duration: months between': { specification: 0, section: 'Appendix H "Calculating Duration in Months": 2020-01-31 to 2020-02-29 is 0 whole months (the HL7 Java engine agrees); the reference gives 1' },
  },
  ConformanceInterval: {
    'End: open decimal high': { specification: 1.99999999, section: 'Interval Operators › End: the predecessor of an open Decimal bound (step 10^-8); the reference treats 2.0 as an Integer' },
    'PointFrom: unit interval': { specification: 3, section: 'Interval Operators › PointFrom; the reference builds unknown nodes as null' },
    'PointFrom: not a unit interval is an error': { specification: error('not a unit interval'), section: 'Interval Operators › PointFrom: a run-time error when the interval is not a unit interval; the reference gives null' },
  },
  ConformanceList: {
    'Flatten: with null element': { specification: [1, 2], section: 'List Operators › Flatten: the elements of the inner lists (a null list has none); the reference leaves the list unflattened' },
    'Sort: nulls first ascending': { specification: [null, 1, 3], section: '§5.2.5 Sorting: nulls sort first ascending; the reference crashes on a null element' },
    'Sort: nulls last descending': { specification: [3, 1, null], section: '§5.2.5 Sorting: nulls sort last descending; the reference crashes on a null element' },
  },
  ConformanceLogic: {
    'Message: Error severity stops evaluation': { specification: error('stop here'), section: 'Nullological Operators › Message: severity Error raises a run-time error; the reference returns the source' },
  },
  ConformanceQuantity: {
    'Equal: calendar year vs UCUM a': { specification: null, section: '§2.5 / §5.7 Quantities: a calendar duration and a UCUM definite duration are not comparable, so Equal is null; the reference gives false' },
    'Equal: calendar month vs UCUM mo': { specification: null, section: '§2.5 / §5.7 Quantities: calendar month vs UCUM mo are not comparable, so Equal is null; the reference gives false' },
    'Equivalent: incompatible units': { specification: false, section: 'Comparison Operators › Equivalent never returns null; the reference gives null' },
    'Subtract: m minus cm': { specification: q(150, 'cm'), section: 'Arithmetic Operators › Subtract on Quantity: the result is in the most granular unit; the reference answers in m' },
    'ToQuantity: string without unit': { specification: q(5.5, '1'), section: 'Type Operators › ToQuantity: no unit means the default unit \'1\'; the reference uses an empty unit' },
    'Ratio: equal scaled is false': { specification: false, section: 'Comparison Operators › Equal on Ratio compares numerators and denominators (1:8 = 2:16 is false); the reference gives true' },
  },
  ConformanceString: {
    'Matches: partial pattern does not match whole': { specification: true, section: 'String Operators › Matches: regular expressions "use partial matching"; the reference matches the whole string' },
  },
  ConformanceType: {
    'ConvertsToInteger: no': { specification: false, section: 'Type Operators › ConvertsToInteger: \'1x\' is not an Integer string; the reference accepts the leading digits' },
    'ToDecimal: boolean': { specification: 0, section: 'Type Operators › ToDecimal of a Boolean: false is 0.0; the reference gives null' },
    'ToDecimal: garbage is null': { specification: null, section: 'Type Operators › ToDecimal: \'1.2.3\' is not a Decimal string; the reference parses the prefix' },
    'ToInteger: decimal string is null': { specification: null, section: 'Type Operators › ToInteger: \'4.2\' is not an Integer string; the reference parses the prefix' },
  },
};
