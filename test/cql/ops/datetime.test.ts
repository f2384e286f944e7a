/**
 * The date and time operator compilers on ELM nodes, with a stand-in compile environment: Literal,
 * Null and this family's own nodes (CQL 1.5 §22).
 */
import { describe, expect, it } from 'vitest';
import type { ElmNode } from '../../../src/cql/elm.ts';
import type { CompileEnv, Evaluator, NodeCompiler, Runtime } from '../../../src/cql/compile/types.ts';
import { CqlRuntimeError } from '../../../src/cql/errors.ts';
import { datetimeOperators, temporalOperators } from '../../../src/cql/ops/datetime.ts';
import { CqlDate, CqlDateTime, CqlTime, CqlUncertainty, formatTemporal, parseDate, parseDateTime } from '../../../src/cql/values/datetime.ts';

const ops: Record<string, NodeCompiler> = { ...datetimeOperators, ...temporalOperators };

/** A compile environment that knows literals, null, and the operators under test. */
const env: CompileEnv = {
  libraryName: 'Test',
  compile(node: ElmNode): Evaluator {
    if (node.type === 'Null') return () => null;
    if (node.type === 'Literal') {
      const v = node['value'];
      const valueType = String(node['valueType']);
      const value = valueType.endsWith('String') ? String(v) : Number(v);
      return () => value;
    }
    if (node.type === 'Value') {
      const v = node['value'];
      return () => v;
    }
    const c = ops[node.type];
    if (!c) throw new Error(`no compiler for ${node.type}`);
    return c(node, env);
  },
  compileOptional(node: ElmNode | undefined): Evaluator | undefined {
    return node === undefined ? undefined : env.compile(node);
  },
  fail(node: ElmNode, message: string): never {
    throw new Error(`${node.type}: ${message}`);
  },
  lookupSlot: () => 0,
  withSlots: () => ({ env, slots: [] }),
  program: undefined as unknown as CompileEnv['program'],
};

const NOW = parseDateTime('2020-03-15T10:30:15.250-05:00', null) as CqlDateTime;
const rt = { now: NOW } as unknown as Runtime;
/** An evaluation in Central European winter time (+01:00), for the operators that once normalised to it. */
const rtCentralEurope = { now: parseDateTime('2023-01-05T09:00:00.000+01:00', null) } as unknown as Runtime;

const int = (n: number): ElmNode => ({ type: 'Literal', valueType: '{urn:hl7-org:elm-types:r1}Integer', value: String(n) });
const dec = (n: number): ElmNode => ({ type: 'Literal', valueType: '{urn:hl7-org:elm-types:r1}Decimal', value: String(n) });
const nul: ElmNode = { type: 'Null' };
/** A node that evaluates to a prebuilt value. */
const val = (v: unknown): ElmNode => ({ type: 'Value', value: v });
const date = (s: string): ElmNode => val(parseDate(s));
const datetime = (s: string): ElmNode => val(parseDateTime(s, -5));

function run(node: ElmNode, at: Runtime = rt): unknown {
  return env.compile(node)(at);
}
function show(v: unknown): unknown {
  if (v instanceof CqlUncertainty) return [v.low, v.high];
  if (v instanceof CqlDateTime) return `${formatTemporal(v)}@${String(v.offset)}`;
  if (v instanceof CqlDate || v instanceof CqlTime) return formatTemporal(v);
  return v;
}

describe('constructors', () => {
  it('builds a DateTime at the evaluation offset unless one is given', () => {
    expect(show(run({ type: 'DateTime', year: int(2019), month: int(7), day: int(4) }))).toBe('2019-07-04@-5');
    expect(show(run({ type: 'DateTime', year: int(2021), month: int(11), day: int(30), hour: int(22), minute: int(45), second: int(10), millisecond: int(125), timezoneOffset: dec(5.5) }))).toBe(
      '2021-11-30T22:45:10.125@5.5',
    );
  });

  it('is null when every component is null', () => {
    expect(run({ type: 'DateTime', year: nul, timezoneOffset: dec(1) })).toBeNull();
    expect(run({ type: 'Date', year: nul })).toBeNull();
  });

  it.each([
    ['a DateTime with a second but no minute', { type: 'DateTime', year: int(2018), month: int(6), day: int(9), hour: int(7), minute: nul, second: int(15) }],
    ['a Date with a day but no month', { type: 'Date', year: int(2018), month: nul, day: int(9) }],
    ['a Time with a second but no minute', { type: 'Time', hour: int(7), minute: nul, second: int(15) }],
    ['month 0', { type: 'Date', year: int(2021), month: int(0) }],
    ['29 February of a common year', { type: 'Date', year: int(2023), month: int(2), day: int(29) }],
    ['29 February of a century that is not a leap year', { type: 'Date', year: int(2100), month: int(2), day: int(29) }],
    ['31 April', { type: 'Date', year: int(2021), month: int(4), day: int(31) }],
    ['hour 24', { type: 'Time', hour: int(24) }],
  ] as [string, ElmNode][])('refuses %s at run time', (_what, node) => {
    expect(() => run(node)).toThrow(CqlRuntimeError);
  });

  it('builds a Date on a leap day and a Time to the minute', () => {
    expect(show(run({ type: 'Date', year: int(2024), month: int(2), day: int(29) }))).toBe('2024-02-29');
    expect(show(run({ type: 'Date', year: int(2000), month: int(2), day: int(29) }))).toBe('2000-02-29');
    expect(show(run({ type: 'Time', hour: int(7), minute: int(5) }))).toBe('07:05');
  });
});

describe('evaluation timestamp', () => {
  it('answers Now, Today and TimeOfDay from rt.now', () => {
    expect(run({ type: 'Now' })).toBe(NOW);
    expect(show(run({ type: 'Today' }))).toBe('2020-03-15');
    expect(show(run({ type: 'TimeOfDay' }))).toBe('10:30:15.250');
  });
});

describe('components', () => {
  const v = datetime('2019-08-07T06:45:30.250+09:00');
  it.each([
    ['Year', 2019],
    ['Month', 8],
    ['Day', 7],
    ['Hour', 6],
    ['Minute', 45],
    ['Second', 30],
    ['Millisecond', 250],
  ])('reads the %s of a DateTime as written', (precision, expected) => {
    expect(run({ type: 'DateTimeComponentFrom', precision, operand: v })).toBe(expected);
  });

  it('is null beyond the precision or for null', () => {
    expect(run({ type: 'DateTimeComponentFrom', precision: 'Month', operand: datetime('2019') })).toBeNull();
    expect(run({ type: 'DateTimeComponentFrom', precision: 'Minute', operand: datetime('2019-08-07T06') })).toBeNull();
    expect(run({ type: 'DateTimeComponentFrom', precision: 'Month', operand: nul })).toBeNull();
  });

  it('takes the date and time as written, in the value’s own offset, not the evaluation’s', () => {
    // New Year's Eve at 23:30 in New York is already 05:30 on 1 January in Central Europe.
    const newYearsEve = datetime('2022-12-31T23:30:00.000-05:00');
    expect(show(run({ type: 'DateFrom', operand: newYearsEve }, rtCentralEurope))).toBe('2022-12-31');
    expect(show(run({ type: 'TimeFrom', operand: newYearsEve }, rtCentralEurope))).toBe('23:30:00.000');
    // A quarter past midnight on 1 March in India is still 28 February at the evaluation offset (-05:00).
    const earlyMarch = datetime('2023-03-01T00:15:00.000+05:30');
    expect(show(run({ type: 'DateFrom', operand: earlyMarch }))).toBe('2023-03-01');
    expect(show(run({ type: 'TimeFrom', operand: earlyMarch }))).toBe('00:15:00.000');
    expect(run({ type: 'TimezoneOffsetFrom', operand: earlyMarch })).toBe(5.5);
  });
});

describe('between and age', () => {
  it('counts a day across a month end as no whole month but one month boundary', () => {
    expect(run({ type: 'DurationBetween', precision: 'Month', operand: [date('2023-08-31'), date('2023-09-01')] })).toBe(0);
    expect(run({ type: 'DifferenceBetween', precision: 'Month', operand: [date('2023-08-31'), date('2023-09-01')] })).toBe(1);
  });

  it.each([
    ['2024-02-10', '2024-03', [20, 50]],
    ['2023-02-10', '2023-03', [19, 49]],
  ])('gives the range of days from %s to a day somewhere in %s, February’s length included', (from, to, range) => {
    expect(show(run({ type: 'DurationBetween', precision: 'Day', operand: [date(from), date(to)] }))).toEqual(range);
  });

  it('is null when either end is null', () => {
    expect(run({ type: 'DurationBetween', precision: 'Day', operand: [date('2024-02-10'), nul] })).toBeNull();
  });

  it.each([
    ['2000-03-15', 20],
    ['2000-03-16', 19],
    ['2000-03-14', 20],
  ])('CalculateAge in years of someone born %s, today 2020-03-15', (born, age) => {
    expect(run({ type: 'CalculateAge', precision: 'Year', operand: date(born) })).toBe(age);
  });

  it('CalculateAge in hours counts elapsed hours to Now, across offsets and midnight', () => {
    expect(run({ type: 'CalculateAge', precision: 'Hour', operand: datetime('2020-03-14T22:45:00.000-05:00') })).toBe(11);
    // 03:10 UTC on the 15th is 22:10 on the 14th at -05:00: 12 h 20 min before Now.
    expect(run({ type: 'CalculateAge', precision: 'Hour', operand: datetime('2020-03-15T03:10:00.000+00:00') })).toBe(12);
  });

  it.each([
    ['1987-06-30', '2022-06-30', 35],
    ['1987-06-30', '2022-06-29', 34],
    ['2020-02-29', '2024-02-28', 3],
    ['2020-02-29', '2024-02-29', 4],
  ])('CalculateAgeAt in years of someone born %s, as of %s', (born, asOf, age) => {
    expect(run({ type: 'CalculateAgeAt', precision: 'Year', operand: [date(born), date(asOf)] })).toBe(age);
  });

  it('CalculateAgeAt is null without an as-of date', () => {
    expect(run({ type: 'CalculateAgeAt', precision: 'Year', operand: [date('1987-06-30'), nul] })).toBeNull();
  });

  it('refuses a node without a time unit at load', () => {
    expect(() => env.compile({ type: 'DurationBetween', operand: [nul, nul] })).toThrow(/precision/);
  });
});

describe('precision-based comparisons', () => {
  it.each([
    ['After', 'Month', '2021-07-01', '2021-06-30', true],
    ['After', 'Month', '2021-06-01', '2021-06-30', false],
    ['After', 'Month', '2021-06-15', '2021', null],
    ['After', 'Month', '2021', '2020-12', true],
    ['Before', 'Month', '2021-05-31', '2021-06-01', true],
    ['Before', 'Month', '2021', '2021-06-01', null],
    ['SameAs', 'Day', '2024-02-29', '2024-02-29', true],
    ['SameAs', 'Day', '2024-02-29', '2024-02', null],
    ['SameAs', 'Year', '2021-12-31', '2022-01-01', false],
    ['SameOrAfter', 'Day', '2022-01-01', '2021-12-31', true],
    ['SameOrBefore', 'Day', '2022-01-01', '2021-12-31', false],
    ['SameOrBefore', undefined, '2023-10-05', '2023-10-05', true],
  ] as const)('%s %s: %s vs %s → %s', (type, precision, a, b, expected) => {
    const node: ElmNode = precision === undefined ? { type, operand: [date(a), date(b)] } : { type, precision, operand: [date(a), date(b)] };
    expect(run(node)).toBe(expected);
  });

  it('compares DateTimes in different offsets as written at day precision, normalised at hour precision', () => {
    // 23:30 on 31 December at -05:00 and 04:30 on 1 January UTC are the same instant.
    const a = datetime('2022-12-31T23:30:00.000-05:00');
    const b = datetime('2023-01-01T04:30:00.000+00:00');
    expect(run({ type: 'SameAs', precision: 'Day', operand: [a, b] })).toBe(false);
    expect(run({ type: 'SameAs', precision: 'Hour', operand: [a, b] })).toBe(true);
  });

  it('is null for a null operand', () => {
    expect(run({ type: 'SameAs', precision: 'Day', operand: [date('2023-10-05'), nul] })).toBeNull();
  });

  it('refuses weeks at load', () => {
    expect(() => env.compile({ type: 'SameAs', precision: 'Week', operand: [nul, nul] })).toThrow(/precision/);
  });
});
