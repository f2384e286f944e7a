/**
 * Unit conversion: the native UCUM table, CQL calendar durations (CQL 1.5 §2.5 and Appendix B
 * Equal/Equivalent on quantities), unit algebra, and the ucum-lhc fallback.
 */
import { afterAll, describe, expect, test } from 'vitest';
import {
  convertUnit,
  divideUnits,
  hasUcumFallback,
  installUcumFallback,
  loadUcumLibrary,
  multiplyUnits,
  unitsComparable,
} from '../../../src/cql/values/ucum.ts';

const close = (x: number | null, y: number | null): void => {
  if (y === null) expect(x).toBeNull();
  else expect(x).toBeCloseTo(y, 9);
};

describe('native conversion', () => {
  test.each([
    [5, 'mg', 'g', 0.005],
    [1, 'g', 'mg', 1000],
    [1, 'ug', 'mg', 0.001],
    [1, 'kg', 'g', 1000],
    [100, 'cm', 'm', 1],
    [1, 'dL', 'mL', 100],
    [1, 'L', 'dm3', 1],
    [1, 'g/dL', 'mg/mL', 10],
    [1, 'mmol/L', 'umol/L', 1000],
    [120, 'mm[Hg]', 'kPa', 15.99864],
    [1, '[lb_av]', 'g', 453.59237],
    [1, '[in_i]', 'cm', 2.54],
    [1, '[ft_i]', 'm', 0.3048],
    [50, '%', '1', 0.5],
    [1, '10*3/uL', '10*9/L', 1],
    [1, '/min', '/h', 60],
    [1, 'km/h', 'm/s', 1 / 3.6],
    [1, 'mg{total}', 'g', 0.001],
    [2, '{beats}/min', '/min', 2],
    [1, 'kg/m2', 'g/cm2', 0.1],
    [1, 'wk', 'd', 7],
    [1, 'a', 'd', 365.25],
    [1, 'a', 'mo', 12],
    [1, 'h', 'min', 60],
    [1, 'm', 'g', null],
    [1, 'cm2', 'cm', null],
    [1, 'mg', '[iU]', null],
    [1, 'm[IU]/L', '[iU]/L', 0.001],
    [1, 'notaunit', 'g', null],
  ])('%d %s → %s', (v, from, to, expected) => {
    close(convertUnit(v, from, to), expected);
  });

  test('identical units need no table', () => {
    expect(convertUnit(3, '[wrong_unit]', '[wrong_unit]')).toBe(3);
  });
});

describe('calendar durations (CQL 1.5 §2.5)', () => {
  test.each([
    // equality semantics: years/months only with each other
    [1, 'year', 'months', 'equal', 12],
    [2, 'years', 'month', 'equal', 24],
    [1, 'week', 'days', 'equal', 7],
    [1, 'day', 'hours', 'equal', 24],
    [1, 'hour', 'minutes', 'equal', 60],
    [1, 'minute', 'seconds', 'equal', 60],
    [1, 'second', 'milliseconds', 'equal', 1000],
    [1, 'day', 'd', 'equal', 1],
    [1, 'week', 'wk', 'equal', 1],
    [1, 'millisecond', 'ms', 'equal', 1],
    [1, 'year', 'a', 'equal', null],
    [1, 'month', 'mo', 'equal', null],
    [1, 'year', 'days', 'equal', null],
    [1, 'month', 'd', 'equal', null],
    // equivalence semantics
    [1, 'year', 'a', 'equivalent', 1],
    [1, 'month', 'mo', 'equivalent', 1],
    [1, 'year', 'days', 'equivalent', 365],
    [1, 'month', 'days', 'equivalent', 30],
    [1, 'a', 'year', 'equivalent', 1],
    [1, 'year', 'mo', 'equivalent', 12],
    [1, 'year', 'months', 'equivalent', 12],
  ] as const)('%d %s → %s (%s)', (v, from, to, mode, expected) => {
    close(convertUnit(v, from, to, mode), expected);
  });

  test('comparability follows the mode', () => {
    expect(unitsComparable('year', 'a')).toBe(false);
    expect(unitsComparable('year', 'a', 'equivalent')).toBe(true);
    expect(unitsComparable('mg', 'kg')).toBe(true);
  });
});

describe('unit algebra for Multiply and Divide', () => {
  test.each([
    ['cm', 'cm', 'cm2'],
    ['cm', 'cm2', 'cm3'],
    ['g', 'm', 'g.m'],
    ['mg/mL', 'mL', 'mg'],
    ['1', 'mg', 'mg'],
    ['g', '/m2', 'g/m2'],
  ])('%s × %s = %s', (a, b, expected) => {
    expect(multiplyUnits(a, b)).toBe(expected);
  });

  test.each([
    ['cm2', 'cm', 'cm'],
    ['g', 'g', '1'],
    ['g', 'm2', 'g/m2'],
    ['mg', 'kg.m2', 'mg/(kg.m2)'],
    ['1', 'min', '/min'],
    ['10*3/uL', 'L', '10*3/(uL.L)'],
  ])('%s ÷ %s = %s', (a, b, expected) => {
    expect(divideUnits(a, b)).toBe(expected);
  });
});

describe('ucum-lhc fallback', () => {
  afterAll(() => installUcumFallback(undefined));

  test('units the table lacks are not convertible until the library is loaded', () => {
    installUcumFallback(undefined);
    expect(convertUnit(37, 'Cel', 'K')).toBeNull();
  });

  test('after loadUcumLibrary, offset units (Celsius, Fahrenheit) convert', async () => {
    await loadUcumLibrary();
    expect(hasUcumFallback()).toBe(true);
    close(convertUnit(37, 'Cel', '[degF]'), 98.6);
    close(convertUnit(0, 'Cel', 'K'), 273.15);
    // Calendar years still never go to UCUM in equal mode.
    expect(convertUnit(1, 'year', 'a')).toBeNull();
    // Native units still convert natively, with the same answers.
    close(convertUnit(5, 'mg', 'g'), 0.005);
  });
});
