/**
 * Date, DateTime and Time values, table-driven at the edges the CQL 1.5 specification names:
 * §22 Date and Time Operators (and its conformance tests, CqlDateTimeOperatorsTest), §5.7
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
/** A temporal from CQL literal text: '@2012-01-01', '@2012-01-01T10:00', '@T10:00'. */
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
    ['2014', [2014]],
    ['2014-01', [2014, 1]],
    ['2014-01-01', [2014, 1, 1]],
    ['2014-01-01T12:30:00', [2014, 1, 1]],
  ])('reads the Date %s (ignoring a time part)', (text, fields) => {
    expect(parseDate(text)?.f).toEqual(fields);
  });

  it.each(['2014-13', '2021-02-29', '2014-01-01T25:00', 'abc'])('refuses the Date %j', (text) => {
    expect(parseDate(text)).toBeNull();
  });

  it.each([
    ['14', [14]],
    ['14:30', [14, 30]],
    ['14:30:00', [14, 30, 0]],
    ['14:30:00.0', [14, 30, 0, 0]],
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
    expect(convertsToTime('10:61')).toBe(false);
    expect(show(toDateTime(d('2020-02-03'), -5))).toBe('2020-02-03@-5');
  });
});

describe('comparison', () => {
  // [left, right, precision, compare]
  const cases: [string, string, keyof typeof PRECISION | undefined, number | null][] = [
    // §2.7.5 Comparing Dates and Times
    ['@2012', '@2014-02-15', undefined, -1],
    ['@2015', '@2014-02-15', undefined, 1],
    ['@2014', '@2014-02-15', undefined, null],
    ['@2012-01-01', '@2012-01', undefined, null],
    ['@2012', '@2012', undefined, 0],
    // precision-based
    ['@2012-02-01', '@2012-01-01', 'month', 1],
    ['@2012-01-01', '@2012', 'month', null],
    ['@2014', '@2014-07-11', 'year', 0],
    ['@2014-07', '@2014-07-11', 'month', 0],
    ['@2014-07-11T', '@2014-07-11T14:00:00', 'day', 0],
    ['@2014-07-15T', '@2014-07-11T14:00:00', 'hour', 1],
    ['@2014-07-11T', '@2014-07-11T14:00:00', 'hour', null],
    ['@2005-10-10T', '@2005-09T', 'day', 1],
    // seconds and milliseconds are one decimal without a precision, separate with one (§22.6)
    ['@2012-01-01T10:00:00', '@2012-01-01T10:00:00.000', undefined, 0],
    ['@2012-01-01T10:00:00', '@2012-01-01T10:00:00.001', undefined, -1],
    ['@2012-01-01T10:00:00', '@2012-01-01T10:00:00.000', 'millisecond', null],
    ['@T23:55:25.555', '@T23:55:25.900', 'second', 0],
    ['@T23:55:25.555', '@T23:55:25.900', undefined, -1],
    ['@T10', '@T10:30', undefined, null],
    ['@T15:59:59.999', '@T14:59:59.999', 'hour', 1],
    // offsets: normalised at hour and finer
    ['@2012-03-10T10:20:00.999+07:00', '@2012-03-10T08:20:00.999+06:00', 'hour', 1],
    ['@2012-03-10T10:20:00.999+07:00', '@2012-03-10T09:20:00.999+06:00', 'hour', 0],
    ['@2012-03-10T10:20:00.999+07:00', '@2012-03-10T10:20:00.999+06:00', 'hour', -1],
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
    const a = d('2012-01-01');
    const b = d('2012-02-01');
    expect(beforeTemporal(a, b, PRECISION.month)).toBe(true);
    expect(beforeTemporal(a, a, PRECISION.month)).toBe(false);
    expect(beforeTemporal(d('2012'), b, PRECISION.month)).toBeNull();
    expect(afterTemporal(b, a, PRECISION.month)).toBe(true);
    expect(afterTemporal(a, d('2012'), PRECISION.month)).toBeNull();
    expect(sameAs(a, d('2012-01-02'), PRECISION.day)).toBe(false);
    expect(sameAs(a, d('2012-01'), PRECISION.day)).toBeNull();
    expect(sameOrBefore(a, d('2012-01-02'), PRECISION.day)).toBe(true);
    expect(sameOrBefore(d('2012-01-02'), d('2012-01'), PRECISION.day)).toBeNull();
    expect(sameOrAfter(d('2015'), d('2014-07-11'), PRECISION.year)).toBe(true);
    expect(sameOrAfter(d('2014-04'), d('2014-07-11'), PRECISION.month)).toBe(false);
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
    expect(temporalEqual(d('2012'), d('2012-01'))).toBeNull();
    expect(temporalEquivalent(d('2012'), d('2012-01'))).toBe(false);
    expect(temporalEquivalent(d('2012-01'), d('2012-01'))).toBe(true);
    expect(temporalEquivalent(t('10:00:00'), t('10:00:00.000'))).toBe(true);
    expect(temporalEqual(dt('2012-01-01T10:00'), dt('2012-01-01T05:00-05:00'))).toBe(true);
  });
});

describe('arithmetic', () => {
  // [value, amount, unit, expected]
  const cases: [string, number, string, string][] = [
    // CqlDateTimeOperatorsTest
    ['@2005-10-10T', 5, 'years', '2010-10-10@0'],
    ['@2005-05-10T', 10, 'months', '2006-03-10@0'],
    ['@2016-06-10T', 21, 'days', '2016-07-01@0'],
    ['@2016-06-10T05', 19, 'hours', '2016-06-11T00@0'],
    ['@2016-06-10T05:05:05.005', 995, 'milliseconds', '2016-06-10T05:05:06.000@0'],
    ['@2014T', 24, 'months', '2016@0'],
    ['@2014T', 730, 'days', '2016@0'],
    ['@2014T', 735, 'days', '2016@0'],
    ['@2014T', -25, 'months', '2012@0'],
    ['@2016-06-10T05:05:05', -6, 'seconds', '2016-06-10T05:04:59@0'],
    // month ends and leap years (§2.7.6 Table 2-P)
    ['@2020-01-31', 1, 'month', '2020-02-29'],
    ['@2021-01-31', 1, 'month', '2021-02-28'],
    ['@2020-03-31', -1, 'month', '2020-02-29'],
    ['@2012-02-29', 1, 'year', '2013-02-28'],
    ['@2012-02-29', 4, 'years', '2016-02-29'],
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
    ['@2016-01-01', -1.1, 'years', '2015-01-01'],
    ['@2020-01-01T00:00:00.000', 1.5, 's', '2020-01-01T00:00:01.500@0'],
    ['@2020-01-01T00:00:00', 1.5, 's', '2020-01-01T00:00:01@0'],
    ['@2020-01-01T00:00', 1.9, 'minutes', '2020-01-01T00:01@0'],
    // Time (wraps at midnight)
    ['@T15:59:59.999', 1, 'minute', '16:00:59.999'],
    ['@T15:59:59.999', 1, 'ms', '16:00:00.000'],
    ['@T15:59:59.999', 300, 'minutes', '20:59:59.999'],
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
    expect(show(subtractTemporal(dt('2014'), new CqlQuantity(18, 'months')))).toBe('2013@0');
  });

  it.each([
    // §2.7.6: definite-duration units above days are an error in date/time arithmetic
    ['@2020-01-01', 1, 'a'],
    ['@2020-01-01', 1, 'mo'],
    ['@2020-01-01', 1, 'kg'],
    ['@T10:00', 1, 'day'],
    // year out of range (CqlDateTimeOperatorsTest DateTimeAddInvalidYears)
    ['@2005-10-10T', 8000, 'years'],
    ['@2005-10-10T', -2005, 'years'],
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
    ['months', '@2012-01-01', '@2012-02-01', 1],
    ['months', '@2014-01-01', '@2014-03-15', 2],
    ['months', '@2014-01-31', '@2014-02-01', 0],
    ['months', '@2020-01-31', '@2020-02-29', 0],
    ['months', '@2020-01-31', '@2020-03-01', 1],
    ['months', '@2020-02-29', '@2020-01-31', 0],
    ['months', '@2012-03-10T22:05:09', '@2013-01-09T07:19:33', 9],
    ['months', '@2012-03-01T14:05:45', '@2012-03-31T23:01:49', 0],
    ['years', '@2012-03-10', '@2013-03-10', 1],
    ['years', '@2012-03-10T10:20:00', '@2013-03-10T09:20:00', 0],
    ['years', '@2012-12-31', '@2013-01-01', 0],
    ['years', '@2012-02-20', '@2014-02-10', 1],
    ['years', '@2012-02-20T10:20:56', '@2011-03-19T19:16:02', 0],
    ['years', '@2013-05-15T10:19:55', '@2012-05-10T12:20:25', -1],
    ['years', '@2013-03-20T05:01:30', '@2011-03-30T06:45:50', -1],
    ['years', '@2015-11-05T05:50:45', '@2013-03-29T11:01:05', -2],
    ['minutes', '@2012-02-29T23:10:00', '@2012-03-01T00:20:00', 70],
    ['minutes', '@2012-12-30T00:20:00', '@2012-12-29T22:00:00', -140],
    ['days', '@2010-10-12T12:05', '@2008-08-15T08:08', -788],
    ['weeks', '@2012-03-10T22:05:09', '@2012-03-24T07:19:33', 1],
    ['weeks', '@2012-03-10T06:05:09', '@2012-03-24T07:19:33', 2],
    ['hours', '@2012-01-01T01:00:00', '@2012-01-01T02:00:00.0', 1],
    ['hours', '@2017-03-12T01:00:00-07:00', '@2017-03-12T03:00:00-06:00', 1],
    ['minutes', '@2017-11-05T01:30:00-06:00', '@2017-11-05T01:15:00-07:00', 45],
    ['days', '@2017-03-12T00:00:00-07:00', '@2017-03-13T00:00:00-06:00', 0],
    ['milliseconds', '@T23:25:25.555', '@T23:25:25.560', 5],
    ['seconds', '@T23:25:10.556', '@T23:25:15.555', 4],
    ['hours', '@T20:26:15.555', '@T23:25:15.555', 2],
    // uncertainty (§5.7.2, CqlDateTimeOperatorsTest)
    ['days', '@2014-01-15', '@2014-02', [17, 44]],
    ['days', '@2014-01-15T', '@2014-02T', [16, 44]],
    ['days', '@2017-08-07T17:00', '@2017-08-14T', [6, 7]],
    ['days', '@2012-01', '@2012-02', [1, 59]],
    ['years', '@2005T', '@2010T', [4, 5]],
    ['years', '@2005-05T', '@2010-04T', 4],
    ['months', '@2005T', '@2006-05T', [4, 16]],
    ['months', '@2012-01-02', '@2012', [0, 11]],
  ];

  it.each(durations)('%s between %s and %s = %j', (unit, a, b, expected) => {
    expect(show(durationBetween(lit(a), lit(b), temporalUnitOf(unit) as TemporalUnit))).toEqual(expected);
  });

  const differences: [string, string, string, number | [number, number]][] = [
    ['months', '@2014-01-31', '@2014-02-01', 1],
    ['years', '@2012-12-31', '@2013-01-01', 1],
    ['years', '@2012-03-01T03:10:00', '@2012-12-31T10:10:00', 0],
    ['days', '@2016-10-10T09:00:00', '@2016-10-11T11:59:00', 1],
    ['days', '@2016-10-10T09:00:00', '@2016-10-12T00:00:00', 2],
    ['years', '@2000T', '@2005-12T', 5],
    ['months', '@2000-02T', '@2000-10T', 8],
    ['days', '@2000-10-15T10:30', '@2000-10-25T10:00', 10],
    ['milliseconds', '@2000-10-10T10:05:45.500-06:00', '@2000-10-10T10:05:45.900-07:00', 3600400],
    ['weeks', '@2000-10-15T', '@2000-10-28T', 1],
    ['weeks', '@2000-10-15T', '@2000-10-29T', 2],
    ['weeks', '@2012-03-10T22:05:09', '@2012-03-24T07:19:33', 2],
    ['years', '@2016T', '@1998T', -18],
    ['hours', '@T20', '@T23:25:15.555', 3],
    ['milliseconds', '@T20:20:15.555', '@T20:20:15.550', -5],
    ['hours', '@2017-03-12T01:00:00-07:00', '@2017-03-12T03:00:00-06:00', 1],
    ['minutes', '@2017-11-05T01:30:00-06:00', '@2017-11-05T01:15:00-07:00', 45],
    // days and coarser: calendar dates as written, across offsets
    ['days', '@2017-03-12T00:00:00-07:00', '@2017-03-13T00:00:00-06:00', 1],
    ['days', '@2020-01-01T23:30:00-05:00', '@2020-01-02T04:30:00Z', 1],
    ['months', '@2012-01-02', '@2012', [0, 11]],
  ];

  it.each(differences)('difference in %s between %s and %s = %j', (unit, a, b, expected) => {
    expect(show(differenceBetween(lit(a), lit(b), temporalUnitOf(unit) as TemporalUnit))).toEqual(expected);
  });

  it('reports an uncertainty as a closed CqlInterval of integers', () => {
    const u = durationBetween(d('2014-01-15'), d('2014-02'), 'day');
    expect(u).toBeInstanceOf(CqlInterval);
    expect(u).toMatchObject({ low: 17, high: 44, lowClosed: true, highClosed: true });
  });

  it('is null for a Time against a Date', () => {
    expect(durationBetween(t('10:00'), d('2014-02'), 'hour')).toBeNull();
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
    const v = dt('2003-10-29T20:50:33.955+01:00');
    expect(componentFrom(v, PRECISION.month)).toBe(10);
    expect(componentFrom(v, PRECISION.millisecond)).toBe(955);
    expect(componentFrom(dt('2012'), PRECISION.month)).toBeNull();
    expect(componentFrom(t('23:20:15.555'), PRECISION.minute)).toBe(20);
    expect(componentFrom(t('23:20'), PRECISION.second)).toBeNull();
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
