/**
 * Date, DateTime and Time values, table-driven at the edges the CQL 1.5 specification names:
 * §22 Date and Time Operators, §5.7
 * uncertainty, Appendix H durations, §2.7.6 calendar arithmetic.
 */
import { describe, expect, it } from 'vitest';
import { CqlRuntimeError } from '../../../src/cql/errors.ts';
import { CqlInterval } from '../../../src/cql/values/interval.ts';
import { CqlQuantity } from '../../../src/cql/values/quantity.ts';
import {
  CqlDate,
  CqlDateTime,
  CqlTime,
  CqlUncertainty,
  MAX_DATE,
  MAX_TIME,
  PRECISION,
  addQuantity,
  addTemporal,
  afterTemporal,
  beforeTemporal,
  calculateAgeAt,
  compareTemporal,
  componentFrom,
  convertsToDate,
  convertsToDateTime,
  convertsToTime,
  differenceBetween,
  durationBetween,
  formatTemporal,
  maxDateTime,
  minDateTime,
  parseDate,
  parseDateTime,
  parseTime,
  predecessorOf,
  sameAs,
  sameOrAfter,
  sameOrBefore,
  subtractTemporal,
  successorOf,
  temporalEqual,
  temporalEquivalent,
  temporalToString,
  temporalUnitOf,
  timeFrom,
  toDate,
  toDateTime,
} from '../../../src/cql/values/datetime.ts';
import type { Precision, Temporal, TemporalUnit } from '../../../src/cql/values/datetime.ts';

/** A DateTime from ISO text; no offset in the text means UTC. */
function dt(text: string, offset: number | null = 0): CqlDateTime {
  const v = parseDateTime(text, offset);
  if (v === null) throw new Error(`bad DateTime ${text}`);
  return v;
}
function d(text: string): CqlDate {
  const v = parseDate(text);
  if (v === null) throw new Error(`bad Date ${text}`);
  return v;
}
function t(text: string): CqlTime {
  const v = parseTime(text);
  if (v === null) throw new Error(`bad Time ${text}`);
  return v;
}
/** A temporal from CQL literal text: '@2019-05-01', '@2019-05-01T07:15', '@T07:15'. */
function lit(text: string): Temporal {
  const s = text.startsWith('@') ? text.slice(1) : text;
  if (s.startsWith('T')) return t(s.slice(1));
  if (s.includes('T')) return dt(s.endsWith('T') ? s.slice(0, -1) : s);
  return d(s);
}
/** The comparable text of a value or uncertainty. */
function show(v: unknown): unknown {
  if (v instanceof CqlUncertainty) return [v.low, v.high];
  if (v instanceof CqlDateTime) return `${formatTemporal(v)}@${String(v.offset)}`;
  if (v instanceof CqlDate || v instanceof CqlTime) return formatTemporal(v);
  return v;
}

describe('parsing', () => {
  it.each([
    ['2020', [2020], 0],
    ['2020-03', [2020, 3], 0],
    ['2020-03-04', [2020, 3, 4], 0],
    ['2020-03-04T', [2020, 3, 4], 0],
    ['2020-03-04T10', [2020, 3, 4, 10], 0],
    ['2020-03-04T10:30', [2020, 3, 4, 10, 30], 0],
    ['2020-03-04T10:30:15', [2020, 3, 4, 10, 30, 15], 0],
    ['2020-03-04T10:30:15.123Z', [2020, 3, 4, 10, 30, 15, 123], 0],
    ['2020-03-04T10:30:15.5+05:30', [2020, 3, 4, 10, 30, 15, 500], 5.5],
    ['2020-03-04T10:30:15.123456-03:45', [2020, 3, 4, 10, 30, 15, 123], -3.75],
    ['2020-03-04T10:30:15-07:00', [2020, 3, 4, 10, 30, 15], -7],
    ['2020-02-29', [2020, 2, 29], 0],
  ])('reads the DateTime %s', (text, fields, offset) => {
    const v = parseDateTime(text, 0);
    expect(v?.f).toEqual(fields);
    expect(v?.offset).toBe(offset);
  });

  it('gives a DateTime without an offset the default one', () => {
    expect(parseDateTime('2020-03-04T10:30', -5)?.offset).toBe(-5);
  });

  it.each(['2020-13', '2020-00', '2019-02-29', '2020-02-30', '2020-04-31', '2020-03-04T24:00', '2020-03-04T10:60', '2020-03-04T10:30:61', '20', '2020-3-4', 'x', '', '2020-03-04T10:30+15:00', '0000'])(
    'refuses the DateTime %j',
    (text) => {
      expect(parseDateTime(text, 0)).toBeNull();
    },
  );

  it.each([
    ['2027', [2027]],
    ['2027-08', [2027, 8]],
    ['2027-08-16', [2027, 8, 16]],
    ['2027-08-16T07:05:00', [2027, 8, 16]],
  ])('reads the Date %s (ignoring a time part)', (text, fields) => {
    expect(parseDate(text)?.f).toEqual(fields);
  });

  it.each(['2027-13', '2021-02-29', '2027-08-16T25:00', 'abc'])('refuses the Date %j', (text) => {
    expect(parseDate(text)).toBeNull();
  });

  it.each([
    ['07', [7]],
    ['07:05', [7, 5]],
    ['07:05:00', [7, 5, 0]],
    ['07:05:00.0', [7, 5, 0, 0]],
    ['T23:59:59.999', [23, 59, 59, 999]],
  ])('reads the Time %s', (text, fields) => {
    expect(parseTime(text)?.f).toEqual(fields);
  });

  it.each(['24:00', '12:60', '12:00:60', '1:00', '12:00Z'])('refuses the Time %j', (text) => {
    expect(parseTime(text)).toBeNull();
  });

  it('formats the comparable normal form', () => {
    expect(formatTemporal(dt('0987-03-04T05:06:07.008+05:30'))).toBe('0987-03-04T05:06:07.008');
    expect(formatTemporal(dt('2020-03-04T05'))).toBe('2020-03-04T05');
    expect(formatTemporal(d('2020-03'))).toBe('2020-03');
    expect(formatTemporal(t('05:06:07.080'))).toBe('05:06:07.080');
    expect(temporalToString(dt('2020-03-04T05:06:07.008+05:30'))).toBe('2020-03-04T05:06:07.008+05:30');
    expect(temporalToString(dt('2020-03-04T05:06-07:00'))).toBe('2020-03-04T05:06-07:00');
  });

  it('converts strings and values', () => {
    expect(convertsToDateTime('2020-01-01T10:00Z')).toBe(true);
    expect(convertsToDateTime('2020-02-30')).toBe(false);
    expect(convertsToDate('2020-02')).toBe(true);
    expect(convertsToTime('07:65')).toBe(false);
    expect(show(toDateTime(d('2020-02-03'), -5))).toBe('2020-02-03@-5');
  });
});

describe('comparison', () => {
  // [left, right, precision, compare]
  const cases: [string, string, keyof typeof PRECISION | undefined, number | null][] = [
    // §2.7.5 Comparing Dates and Times
    ['@2019', '@2021-06-08', undefined, -1],
    ['@2022', '@2021-06-08', undefined, 1],
    ['@2021', '@2021-06-08', undefined, null],
    ['@2019-05-01', '@2019-05', undefined, null],
    ['@2019', '@2019', undefined, 0],
    // precision-based
    ['@2019-06-01', '@2019-05-01', 'month', 1],
    ['@2019-05-01', '@2019', 'month', null],
    ['@2021', '@2021-09-23', 'year', 0],
    ['@2021-09', '@2021-09-23', 'month', 0],
    ['@2021-09-23T', '@2021-09-23T16:20:00', 'day', 0],
    ['@2021-09-27T', '@2021-09-23T16:20:00', 'hour', 1],
    ['@2021-09-23T', '@2021-09-23T16:20:00', 'hour', null],
    ['@2017-04-02T', '@2017-03T', 'day', 1],
    // seconds and milliseconds are one decimal without a precision, separate with one (§22.6)
    ['@2019-05-01T07:15:30', '@2019-05-01T07:15:30.000', undefined, 0],
    ['@2019-05-01T07:15:30', '@2019-05-01T07:15:30.001', undefined, -1],
    ['@2019-05-01T07:15:30', '@2019-05-01T07:15:30.000', 'millisecond', null],
    ['@T06:40:12.125', '@T06:40:12.875', 'second', 0],
    ['@T06:40:12.125', '@T06:40:12.875', undefined, -1],
    ['@T06', '@T06:40', undefined, null],
    ['@T17:05:00.000', '@T16:59:59.999', 'hour', 1],
    // offsets: normalised at hour and finer
    ['@2019-08-21T15:45:00.250+04:00', '@2019-08-21T12:45:00.250+02:00', 'hour', 1],
    ['@2019-08-21T15:45:00.250+04:00', '@2019-08-21T13:45:00.250+02:00', 'hour', 0],
    ['@2019-08-21T15:45:00.250+04:00', '@2019-08-21T15:45:00.250+02:00', 'hour', -1],
    ['@2020-01-01T23:30:00.000-05:00', '@2020-01-02T04:30:00.000Z', undefined, 0],
    ['@2020-01-01T23:30:00.000-05:00', '@2020-01-02T04:29:59.999Z', undefined, 1],
    // …crossing midnight: at day precision the calendar dates are compared as written
    ['@2020-01-01T23:30:00.000-05:00', '@2020-01-02T04:30:00.000Z', 'day', -1],
    ['@2020-01-01T23:30:00.000-05:00', '@2020-01-02T04:30:00.000Z', 'minute', 0],
    // a value known only to the day against one at another offset: by the range of instants
    ['@2020-01-02T', '@2020-01-01T23:30:00.000-05:00', undefined, null],
    ['@2020-01-03T', '@2020-01-01T23:30:00.000-05:00', undefined, 1],
    ['@2020-01-01T', '@2020-01-01T20:30:00.000-05:00', undefined, -1],
    // Date with Date
    ['@2020-02-29', '@2020-03-01', 'day', -1],
  ];

  it.each(cases)('%s vs %s at %s → %s', (a, b, p, expected) => {
    const precision: Precision | undefined = p === undefined ? undefined : PRECISION[p];
    expect(compareTemporal(lit(a), lit(b), precision)).toBe(expected);
  });

  it('answers the precision-based operators from one comparison', () => {
    const a = d('2019-05-01');
    const b = d('2019-06-01');
    expect(beforeTemporal(a, b, PRECISION.month)).toBe(true);
    expect(beforeTemporal(a, a, PRECISION.month)).toBe(false);
    expect(beforeTemporal(d('2019'), b, PRECISION.month)).toBeNull();
    expect(afterTemporal(b, a, PRECISION.month)).toBe(true);
    expect(afterTemporal(a, d('2019'), PRECISION.month)).toBeNull();
    expect(sameAs(a, d('2019-05-02'), PRECISION.day)).toBe(false);
    expect(sameAs(a, d('2019-05'), PRECISION.day)).toBeNull();
    expect(sameOrBefore(a, d('2019-05-02'), PRECISION.day)).toBe(true);
    expect(sameOrBefore(d('2019-05-02'), d('2019-05'), PRECISION.day)).toBeNull();
    expect(sameOrAfter(d('2022'), d('2021-09-23'), PRECISION.year)).toBe(true);
    expect(sameOrAfter(d('2021-06'), d('2021-09-23'), PRECISION.month)).toBe(false);
  });

  it('normalises to the evaluation offset when given (only matters for half-hour offsets at hour precision)', () => {
    const a = dt('2020-01-01T05:40:00.000Z');
    const b = dt('2020-01-01T06:10:00.000Z');
    expect(sameAs(a, b, PRECISION.hour)).toBe(false);
    // …different offsets, so normalisation happens: at +05:30 both fall in 11:xx
    const b530 = dt('2020-01-01T11:40:00.000+05:30');
    expect(sameAs(a, b530, PRECISION.hour, 5.5)).toBe(true);
    expect(sameAs(a, b530, PRECISION.hour, 0)).toBe(false);
  });

  it('Equal is null when uncertain, Equivalent false', () => {
    expect(temporalEqual(d('2019'), d('2019-05'))).toBeNull();
    expect(temporalEquivalent(d('2019'), d('2019-05'))).toBe(false);
    expect(temporalEquivalent(d('2019-05'), d('2019-05'))).toBe(true);
    expect(temporalEquivalent(t('10:00:00'), t('10:00:00.000'))).toBe(true);
    expect(temporalEqual(dt('2019-05-01T07:15'), dt('2019-05-01T02:15-05:00'))).toBe(true);
  });
});

describe('arithmetic', () => {
  // [value, amount, unit, expected]
  const cases: [string, number, string, string][] = [
    // each unit on a DateTime known to the day or finer
    ['@2011-04-18T', 7, 'years', '2018-04-18@0'],
    ['@2011-09-18T', 7, 'months', '2012-04-18@0'],
    ['@2018-11-20T', 15, 'days', '2018-12-05@0'],
    ['@2018-11-20T09', 17, 'hours', '2018-11-21T02@0'],
    ['@2018-11-20T09:15:42.250', 750, 'milliseconds', '2018-11-20T09:15:43.000@0'],
    ['@2011T', 36, 'months', '2014@0'],
    ['@2011T', 1095, 'days', '2014@0'],
    ['@2011T', 1200, 'days', '2014@0'],
    ['@2011T', -14, 'months', '2010@0'],
    ['@2018-11-20T09:15:03', -8, 'seconds', '2018-11-20T09:14:55@0'],
    // month ends and leap years (§2.7.6 Table 2-P)
    ['@2020-01-31', 1, 'month', '2020-02-29'],
    ['@2021-01-31', 1, 'month', '2021-02-28'],
    ['@2020-03-31', -1, 'month', '2020-02-29'],
    ['@2016-02-29', 1, 'year', '2017-02-28'],
    ['@2016-02-29', 4, 'years', '2020-02-29'],
    ['@2020-12-31', 1, 'day', '2021-01-01'],
    ['@2020-02-28', 1, 'd', '2020-02-29'],
    ['@2020-01-01', 2, 'weeks', '2020-01-15'],
    ['@2020-01-01', 1, 'wk', '2020-01-08'],
    // finer than the value: converted to its precision and truncated
    ['@2020', 25, 'months', '2022'],
    ['@2020', 11, 'months', '2020'],
    ['@2020', -13, 'months', '2019'],
    ['@2020-01-15T', 36, 'hours', '2020-01-16@0'],
    ['@2020-01-15T', -36, 'hours', '2020-01-14@0'],
    ['@2020-01', 45, 'days', '2020-02'],
    ['@2020-01-15', 47, 'hours', '2020-01-16'],
    // decimals: ignored above seconds, definite below
    ['@2019-07-04', -2.7, 'years', '2017-07-04'],
    ['@2020-01-01T00:00:00.000', 1.5, 's', '2020-01-01T00:00:01.500@0'],
    ['@2020-01-01T00:00:00', 1.5, 's', '2020-01-01T00:00:01@0'],
    ['@2020-01-01T00:00', 1.9, 'minutes', '2020-01-01T00:01@0'],
    // Time (wraps at midnight)
    ['@T11:59:30.500', 1, 'minute', '12:00:30.500'],
    ['@T11:59:59.999', 1, 'ms', '12:00:00.000'],
    ['@T11:59:30.500', 150, 'minutes', '14:29:30.500'],
    ['@T23:30', 1, 'hour', '00:30'],
    ['@T00:30', -1, 'h', '23:30'],
    ['@T10', 90, 'minutes', '11'],
  ];

  it.each(cases)('%s + %s %s = %s', (v, amount, unit, expected) => {
    expect(show(addQuantity(lit(v), amount, unit))).toBe(expected);
  });

  it('keeps the offset of a DateTime', () => {
    expect(show(addQuantity(dt('2020-01-01T23:00-05:00'), 2, 'hours'))).toBe('2020-01-02T01:00@-5');
  });

  it('adds and subtracts CqlQuantity values', () => {
    expect(show(addTemporal(d('2020-01-31'), new CqlQuantity(1, 'month')))).toBe('2020-02-29');
    expect(show(subtractTemporal(d('2020-03-01'), new CqlQuantity(1, 'day')))).toBe('2020-02-29');
    expect(show(subtractTemporal(dt('2011'), new CqlQuantity(30, 'months')))).toBe('2009@0');
  });

  it.each([
    // §2.7.6: definite-duration units above days are an error in date/time arithmetic
    ['@2020-01-01', 1, 'a'],
    ['@2020-01-01', 1, 'mo'],
    ['@2020-01-01', 1, 'kg'],
    ['@T10:00', 1, 'day'],
    // a year past 9999 or before 1
    ['@2011-04-18T', 7989, 'years'],
    ['@2011-04-18T', -2011, 'years'],
    ['@9999-12-31', 1, 'day'],
  ])('%s + %s %s is a run-time error', (v, amount, unit) => {
    expect(() => addQuantity(lit(v), amount, unit)).toThrow(CqlRuntimeError);
  });

  it('steps to the successor and predecessor at the value’s precision', () => {
    expect(show(successorOf(d('2020')))).toBe('2021');
    expect(show(successorOf(d('2020-02-28')))).toBe('2020-02-29');
    expect(show(successorOf(d('2020-12-31')))).toBe('2021-01-01');
    expect(show(predecessorOf(dt('2020-03-01T00:00:00.000+05:30')))).toBe('2020-02-29T23:59:59.999@5.5');
    expect(show(successorOf(dt('2020-01-01T10')))).toBe('2020-01-01T11@0');
    expect(show(successorOf(t('10:59')))).toBe('11:00');
    expect(show(predecessorOf(t('00:00:00.001')))).toBe('00:00:00.000');
    // §16.17, §16.12: null when the result cannot be represented
    expect(successorOf(MAX_DATE)).toBeNull();
    expect(successorOf(MAX_TIME)).toBeNull();
    expect(predecessorOf(t('00:00:00.000'))).toBeNull();
    expect(successorOf(maxDateTime(0))).toBeNull();
    expect(predecessorOf(minDateTime(0))).toBeNull();
    expect(successorOf(d('9999'))).toBeNull();
    expect(show(successorOf(d('9999-11')))).toBe('9999-12');
    expect(show(predecessorOf(d('0001-01-02')))).toBe('0001-01-01');
  });
});

describe('duration and difference', () => {
  // [unit, from, to, duration]
  const durations: [string, string, string, number | [number, number]][] = [
    // Appendix H and §22.11
    ['months', '@2019-03-05', '@2019-04-05', 1],
    ['months', '@2019-03-05', '@2019-06-20', 3],
    ['months', '@2019-04-30', '@2019-05-01', 0],
    ['months', '@2020-01-31', '@2020-02-29', 0],
    ['months', '@2020-01-31', '@2020-03-01', 1],
    ['months', '@2020-02-29', '@2020-01-31', 0],
    ['months', '@2018-05-20T18:30:10', '@2019-02-19T06:00:00', 8],
    ['months', '@2018-06-01T08:10:00', '@2018-06-30T22:40:15', 0],
    ['years', '@2018-08-14', '@2019-08-14', 1],
    ['years', '@2018-08-14T16:45:00', '@2019-08-14T16:44:00', 0],
    ['years', '@2018-12-31', '@2019-01-01', 0],
    ['years', '@2016-07-22', '@2018-07-21', 1],
    ['years', '@2018-09-10T11:00:00', '@2017-10-02T20:30:00', 0],
    ['years', '@2019-11-25T09:00:00', '@2018-11-20T10:00:00', -1],
    ['years', '@2019-11-05T04:00:00', '@2017-11-15T05:00:00', -1],
    ['years', '@2020-10-01T03:00:00', '@2018-02-14T12:00:00', -2],
    ['minutes', '@2016-02-29T23:35:00', '@2016-03-01T01:05:00', 90],
    ['minutes', '@2018-06-15T01:10:00', '@2018-06-14T23:25:00', -105],
    ['days', '@2019-03-01T10:00', '@2018-02-26T09:00', -368],
    ['weeks', '@2018-06-02T20:00:00', '@2018-06-16T06:30:00', 1],
    ['weeks', '@2018-06-02T05:00:00', '@2018-06-16T06:30:00', 2],
    ['hours', '@2018-06-02T05:00:00', '@2018-06-02T08:00:00.0', 3],
    ['hours', '@2021-03-14T01:30:00-08:00', '@2021-03-14T03:30:00-07:00', 1],
    ['minutes', '@2021-11-07T01:40:00-04:00', '@2021-11-07T01:10:00-05:00', 30],
    ['days', '@2021-03-14T00:00:00-08:00', '@2021-03-15T00:00:00-07:00', 0],
    ['milliseconds', '@T06:40:12.125', '@T06:40:12.133', 8],
    ['seconds', '@T06:40:12.500', '@T06:40:19.499', 6],
    ['hours', '@T06:40:12.125', '@T10:40:12.124', 3],
    // uncertainty (§5.7.2): the shortest and the longest the imprecise value allows
    ['days', '@2019-04-10', '@2019-05', [21, 51]],
    ['days', '@2019-04-10T', '@2019-05T', [20, 51]],
    ['days', '@2019-04-10T15:00', '@2019-04-17T', [6, 7]],
    ['days', '@2019-04', '@2019-05', [1, 60]],
    ['years', '@2011T', '@2014T', [2, 3]],
    ['years', '@2011-09T', '@2014-08T', 2],
    ['months', '@2011T', '@2012-07T', [6, 18]],
    ['months', '@2019-01-20', '@2019', [0, 11]],
  ];

  it.each(durations)('%s between %s and %s = %j', (unit, a, b, expected) => {
    expect(show(durationBetween(lit(a), lit(b), temporalUnitOf(unit) as TemporalUnit))).toEqual(expected);
  });

  const differences: [string, string, string, number | [number, number]][] = [
    ['months', '@2019-04-30', '@2019-05-01', 1],
    ['years', '@2018-12-31', '@2019-01-01', 1],
    ['years', '@2018-02-03T04:00:00', '@2018-11-30T22:00:00', 0],
    ['days', '@2018-05-07T22:00:00', '@2018-05-08T06:00:00', 1],
    ['days', '@2018-05-07T22:00:00', '@2018-05-09T00:00:00', 2],
    ['years', '@2011T', '@2014-08T', 3],
    ['months', '@2011-09T', '@2012-02T', 5],
    ['days', '@2019-04-10T15:00', '@2019-04-17T09:00', 7],
    ['milliseconds', '@2019-04-10T08:30:10.250+02:00', '@2019-04-10T07:30:10.750Z', 3600500],
    ['weeks', '@2019-04-07T', '@2019-04-20T', 1],
    ['weeks', '@2019-04-07T', '@2019-04-21T', 2],
    ['weeks', '@2018-06-02T20:00:00', '@2018-06-16T06:30:00', 2],
    ['years', '@2014T', '@2011T', -3],
    ['hours', '@T06', '@T10:40:12.125', 4],
    ['milliseconds', '@T06:40:12.133', '@T06:40:12.125', -8],
    ['hours', '@2021-03-14T01:30:00-08:00', '@2021-03-14T03:30:00-07:00', 1],
    ['minutes', '@2021-11-07T01:40:00-04:00', '@2021-11-07T01:10:00-05:00', 30],
    // days and coarser: calendar dates as written, across offsets
    ['days', '@2021-03-14T00:00:00-08:00', '@2021-03-15T00:00:00-07:00', 1],
    ['days', '@2020-01-01T23:30:00-05:00', '@2020-01-02T04:30:00Z', 1],
    ['months', '@2019-01-20', '@2019', [0, 11]],
  ];

  it.each(differences)('difference in %s between %s and %s = %j', (unit, a, b, expected) => {
    expect(show(differenceBetween(lit(a), lit(b), temporalUnitOf(unit) as TemporalUnit))).toEqual(expected);
  });

  it('reports an uncertainty as a closed CqlInterval of integers', () => {
    const u = durationBetween(d('2019-04-10'), d('2019-05'), 'day');
    expect(u).toBeInstanceOf(CqlInterval);
    expect(u).toMatchObject({ low: 21, high: 51, lowClosed: true, highClosed: true });
  });

  it('is null for a Time against a Date', () => {
    expect(durationBetween(t('07:05'), d('2019-05'), 'hour')).toBeNull();
  });
});

describe('age', () => {
  const born = d('2000-03-15');
  it.each([
    ['2020-03-14', 19],
    ['2020-03-15', 20],
    ['2020-03-16', 20],
    ['2001-03-14', 0],
  ])('born 2000-03-15, on %s aged %i', (asOf, age) => {
    expect(calculateAgeAt(born, d(asOf), 'year', 0)).toBe(age);
  });

  it('counts a leap-day birthday from 1 March in a common year (Appendix H: the next date when the same one does not exist)', () => {
    expect(calculateAgeAt(d('2000-02-29'), d('2021-02-28'), 'year', 0)).toBe(20);
    expect(calculateAgeAt(d('2000-02-29'), d('2021-03-01'), 'year', 0)).toBe(21);
    expect(calculateAgeAt(d('2000-02-29'), d('2024-02-29'), 'year', 0)).toBe(24);
  });

  it('in months and days', () => {
    expect(calculateAgeAt(d('2020-01-31'), d('2020-02-29'), 'month', 0)).toBe(0);
    expect(calculateAgeAt(d('2020-01-31'), d('2020-03-01'), 'day', 0)).toBe(30);
  });

  it('is an uncertainty for a birth year only', () => {
    expect(show(calculateAgeAt(d('2000'), d('2020-06-01'), 'year', 0))).toEqual([19, 20]);
  });

  it('reads a DateTime birth date as its date against a Date', () => {
    expect(calculateAgeAt(dt('2000-03-15T23:00:00-05:00'), d('2020-03-15'), 'year', -5)).toBe(20);
    expect(calculateAgeAt(d('2000-03-15'), dt('2020-03-14T23:00:00-05:00'), 'year', -5)).toBe(19);
  });
});

describe('components', () => {
  it('extracts fields, null beyond the precision', () => {
    const v = dt('2017-04-02T21:07:44.318+03:00');
    expect(componentFrom(v, PRECISION.month)).toBe(4);
    expect(componentFrom(v, PRECISION.millisecond)).toBe(318);
    expect(componentFrom(dt('2017'), PRECISION.month)).toBeNull();
    expect(componentFrom(t('06:40:12.125'), PRECISION.minute)).toBe(40);
    expect(componentFrom(t('06:40'), PRECISION.second)).toBeNull();
  });

  it('takes the date and time in the evaluation offset (§22.8), crossing midnight', () => {
    const v = dt('2020-01-01T23:30:00.000-05:00');
    expect(show(toDate(v))).toBe('2020-01-01');
    expect(show(toDate(v, -5))).toBe('2020-01-01');
    expect(show(toDate(v, 0))).toBe('2020-01-02');
    expect(show(timeFrom(v, 0))).toBe('04:30:00.000');
    expect(show(toDate(dt('2020-01-01', 5), 0))).toBe('2020-01-01');
    expect(timeFrom(dt('2020-01-01'), 0)).toBeNull();
  });
});
