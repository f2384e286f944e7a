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

const int = (n: number): ElmNode => ({ type: 'Literal', valueType: '{urn:hl7-org:elm-types:r1}Integer', value: String(n) });
const dec = (n: number): ElmNode => ({ type: 'Literal', valueType: '{urn:hl7-org:elm-types:r1}Decimal', value: String(n) });
const nul: ElmNode = { type: 'Null' };
/** A node that evaluates to a prebuilt value. */
const val = (v: unknown): ElmNode => ({ type: 'Value', value: v });
const date = (s: string): ElmNode => val(parseDate(s));
const datetime = (s: string): ElmNode => val(parseDateTime(s, -5));

function run(node: ElmNode): unknown {
  return env.compile(node)(rt);
}
function show(v: unknown): unknown {
  if (v instanceof CqlUncertainty) return [v.low, v.high];
  if (v instanceof CqlDateTime) return `${formatTemporal(v)}@${String(v.offset)}`;
  if (v instanceof CqlDate || v instanceof CqlTime) return formatTemporal(v);
  return v;
}

describe('constructors', () => {
  it('builds a DateTime at the evaluation offset when none is given', () => {
    expect(show(run({ type: 'DateTime', year: int(2012), month: int(1), day: int(1) }))).toBe('2012-01-01@-5');
    expect(show(run({ type: 'DateTime', year: int(2012), month: int(1), day: int(1), hour: int(12), minute: int(30), second: int(0), millisecond: int(0), timezoneOffset: dec(-7) }))).toBe(
      '2012-01-01T12:30:00.000@-7',
    );
  });

  it('is null when every component is null', () => {
    expect(run({ type: 'DateTime', year: nul, timezoneOffset: dec(1) })).toBeNull();
    expect(run({ type: 'Date', year: nul })).toBeNull();
  });

  it.each([
    [{ type: 'DateTime', year: int(2012), month: int(1), day: int(1), hour: int(12), minute: nul, second: int(0) }],
    [{ type: 'Date', year: int(2012), month: nul, day: int(1) }],
    [{ type: 'Time', hour: int(12), minute: nul, second: int(0) }],
    [{ type: 'Date', year: int(2012), month: int(13) }],
    [{ type: 'Date', year: int(2019), month: int(2), day: int(29) }],
    [{ type: 'Time', hour: int(24) }],
  ] as ElmNode[][])('refuses %j at run time', (node) => {
    expect(() => run(node)).toThrow(CqlRuntimeError);
  });

  it('builds a Date and a Time', () => {
    expect(show(run({ type: 'Date', year: int(2020), month: int(2), day: int(29) }))).toBe('2020-02-29');
    expect(show(run({ type: 'Time', hour: int(12), minute: int(30) }))).toBe('12:30');
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
  const v = datetime('2012-01-01T23:30:00.000+02:00');
  it.each([
    ['Year', 2012],
    ['Month', 1],
    ['Hour', 23],
    ['Millisecond', 0],
  ])('%s from', (precision, expected) => {
    expect(run({ type: 'DateTimeComponentFrom', precision, operand: v })).toBe(expected);
  });

  it('is null beyond the precision or for null', () => {
    expect(run({ type: 'DateTimeComponentFrom', precision: 'Month', operand: datetime('2012') })).toBeNull();
    expect(run({ type: 'DateTimeComponentFrom', precision: 'Month', operand: nul })).toBeNull();
  });

  it('takes the date and time at the evaluation offset', () => {
    expect(show(run({ type: 'DateFrom', operand: v }))).toBe('2012-01-01');
    expect(show(run({ type: 'TimeFrom', operand: v }))).toBe('16:30:00.000');
    expect(show(run({ type: 'DateFrom', operand: datetime('2012-01-01T23:30:00.000-07:00') }))).toBe('2012-01-02');
    expect(run({ type: 'TimezoneOffsetFrom', operand: v })).toBe(2);
  });
});

describe('between and age', () => {
  it('computes duration and difference', () => {
    expect(run({ type: 'DurationBetween', precision: 'Month', operand: [date('2014-01-31'), date('2014-02-01')] })).toBe(0);
    expect(run({ type: 'DifferenceBetween', precision: 'Month', operand: [date('2014-01-31'), date('2014-02-01')] })).toBe(1);
    expect(show(run({ type: 'DurationBetween', precision: 'Day', operand: [date('2014-01-15'), date('2014-02')] }))).toEqual([17, 44]);
    expect(run({ type: 'DurationBetween', precision: 'Day', operand: [date('2014-01-15'), nul] })).toBeNull();
  });

  it.each([
    ['2000-03-15', 20],
    ['2000-03-16', 19],
    ['2000-03-14', 20],
  ])('CalculateAge in years of someone born %s, today 2020-03-15', (born, age) => {
    expect(run({ type: 'CalculateAge', precision: 'Year', operand: date(born) })).toBe(age);
  });

  it('CalculateAge in hours uses Now for a DateTime', () => {
    expect(run({ type: 'CalculateAge', precision: 'Hour', operand: datetime('2020-03-15T08:00:00.000-05:00') })).toBe(2);
  });

  it('CalculateAgeAt', () => {
    expect(run({ type: 'CalculateAgeAt', precision: 'Year', operand: [date('2000-01-01'), date('2015-01-01')] })).toBe(15);
    expect(run({ type: 'CalculateAgeAt', precision: 'Year', operand: [date('2000-01-01'), nul] })).toBeNull();
  });

  it('refuses a node without a time unit at load', () => {
    expect(() => env.compile({ type: 'DurationBetween', operand: [nul, nul] })).toThrow(/precision/);
  });
});

describe('precision-based comparisons', () => {
  it.each([
    ['After', 'Month', '2012-02-01', '2012-01-01', true],
    ['After', 'Month', '2012-01-01', '2012-01-01', false],
    ['After', 'Month', '2012-01-01', '2012', null],
    ['Before', 'Month', '2012-01-01', '2012-02-01', true],
    ['Before', 'Month', '2012', '2012-02-01', null],
    ['SameAs', 'Day', '2012-01-01', '2012-01-01', true],
    ['SameAs', 'Day', '2012-01-01', '2012-01', null],
    ['SameOrAfter', 'Day', '2012-01-02', '2012-01-01', true],
    ['SameOrBefore', 'Day', '2012-01-02', '2012-01-01', false],
    ['SameOrBefore', undefined, '2012-01-01', '2012-01-01', true],
  ] as const)('%s %s: %s vs %s → %s', (type, precision, a, b, expected) => {
    const node: ElmNode = precision === undefined ? { type, operand: [date(a), date(b)] } : { type, precision, operand: [date(a), date(b)] };
    expect(run(node)).toBe(expected);
  });

  it('is null for a null operand', () => {
    expect(run({ type: 'SameAs', precision: 'Day', operand: [date('2012-01-01'), nul] })).toBeNull();
  });

  it('refuses weeks at load', () => {
    expect(() => env.compile({ type: 'SameAs', precision: 'Week', operand: [nul, nul] })).toThrow(/precision/);
  });
});
