/**
 * Quantity comparison, equality, equivalence and arithmetic (CQL 1.5 Appendix B Equal, Equivalent,
 * Add … Divide on Quantity; §2.5 calendar durations) and the Decimal helpers beneath them.
 */
import { describe, expect, test } from 'vitest';
import { formatDecimal, parseLong, roundHalfAway, scaleOf } from '../../../src/cql/values/decimal.ts';
import {
  CqlQuantity as Q,
  CqlRatio,
  addQuantities,
  compareQuantities,
  convertQuantity,
  divideQuantities,
  formatQuantity,
  multiplyQuantities,
  parseQuantity,
  parseRatio,
  quantitiesEqual,
  quantitiesEquivalent,
  ratiosEquivalent,
  subtractQuantities,
} from '../../../src/cql/values/quantity.ts';

describe('Equal and ordering', () => {
  test.each([
    [new Q(1, 'g'), new Q(1000, 'mg'), true],
    [new Q(100, 'cm'), new Q(1, 'm'), true],
    [new Q(3.5, 'cm2'), new Q(3.5, 'cm'), null],
    [new Q(1, 'year'), new Q(12, 'months'), true],
    [new Q(1, 'week'), new Q(7, 'days'), true],
    [new Q(1, 'day'), new Q(24, 'hours'), true],
    [new Q(1, 'second'), new Q(1000, 'milliseconds'), true],
    [new Q(1, 'day'), new Q(1, 'd'), true],
    [new Q(1, 'year'), new Q(1, 'a'), null],
    [new Q(1, 'year'), new Q(365, 'days'), null],
    [new Q(1, 'month'), new Q(30, 'days'), null],
    [new Q(5, '1'), new Q(5, ''), true],
    [new Q(1, 'mg'), new Q(2, 'mg'), false],
  ])('%o = %o is %s', (a, b, expected) => {
    expect(quantitiesEqual(a, b)).toBe(expected);
  });

  test('ordering converts units and is null when not comparable', () => {
    expect(compareQuantities(new Q(999, 'mg'), new Q(1, 'g'))).toBe(-1);
    expect(compareQuantities(new Q(2, 'weeks'), new Q(13, 'days'))).toBe(1);
    expect(compareQuantities(new Q(1, 'mg'), new Q(1, 'mL'))).toBeNull();
  });
});

describe('Equivalent', () => {
  test.each([
    [new Q(1, 'year'), new Q(1, 'a'), true],
    [new Q(1, 'month'), new Q(1, 'mo'), true],
    [new Q(1, 'year'), new Q(12, 'months'), true],
    [new Q(1, 'year'), new Q(365, 'days'), true],
    [new Q(1, 'month'), new Q(30, 'days'), true],
    [new Q(1, 'week'), new Q(1, 'wk'), true],
    [new Q(100, 'cm'), new Q(1, 'm'), true],
    [new Q(1.1, 'm'), new Q(110.4, 'cm'), true], // rounded to the less precise value (1.1 m)
    [new Q(1.2, 'm'), new Q(110, 'cm'), false],
    [new Q(1, 'mg'), new Q(1, 'mL'), false],
  ])('%o ~ %o is %s', (a, b, expected) => {
    expect(quantitiesEquivalent(a, b)).toBe(expected);
  });

  test('ratios are equivalent when they reduce to the same ratio (3:4 ~ 6:8)', () => {
    const r = (n: number, d: number): CqlRatio => new CqlRatio(new Q(n), new Q(d));
    expect(ratiosEquivalent(r(3, 4), r(6, 8))).toBe(true);
    expect(ratiosEquivalent(r(3, 4), r(3, 5))).toBe(false);
  });
});

describe('arithmetic', () => {
  test('Add/Subtract use the most granular unit and null across dimensions', () => {
    expect(addQuantities(new Q(1, 'm'), new Q(5, 'cm'))).toEqual(new Q(105, 'cm'));
    expect(subtractQuantities(new Q(1, 'g'), new Q(1, 'mg'))).toEqual(new Q(999, 'mg'));
    expect(addQuantities(new Q(1, 'cm'), new Q(1, 'cm2'))).toBeNull();
    expect(addQuantities(new Q(1, 'year'), new Q(2, 'months'))).toEqual(new Q(14, 'month'));
    expect(addQuantities(new Q(2, 'days'), new Q(3, 'days'))).toEqual(new Q(5, 'days'));
  });

  test('Multiply/Divide combine units', () => {
    expect(multiplyQuantities(new Q(12, 'cm'), new Q(3, 'cm'))).toEqual(new Q(36, 'cm2'));
    expect(divideQuantities(new Q(12, 'cm2'), new Q(3, 'cm'))).toEqual(new Q(4, 'cm'));
    expect(divideQuantities(new Q(1, 'g'), new Q(500, 'mg'))).toEqual(new Q(2, '1'));
    expect(divideQuantities(new Q(70, 'kg'), new Q(4, 'm2'))).toEqual(new Q(17.5, 'kg/m2'));
    expect(divideQuantities(new Q(1, 'g'), new Q(0, 'm'))).toBeNull();
  });

  test('ConvertQuantity converts within a dimension; calendar years have no fixed number of days', () => {
    expect(convertQuantity(new Q(5, 'mg'), 'g')).toEqual(new Q(0.005, 'g'));
    expect(convertQuantity(new Q(1, 'year'), 'days')).toBeNull();
  });
});

describe('text forms (CQL 1.5 ToString / ToQuantity / ToRatio)', () => {
  test.each([
    ["12 'mL'", new Q(12, 'mL')],
    ["-2.5 'kg'", new Q(-2.5, 'kg')],
    ["4'weeks'", new Q(4, 'weeks')],
    ['42', new Q(42, '1')],
    ["12 'mL", null],
    ["12 mL", null],
    ["-+3 'g'", null],
  ])('parseQuantity(%s)', (s, expected) => {
    expect(parseQuantity(s)).toEqual(expected);
  });

  test('parseRatio splits on the colon outside the quotes', () => {
    expect(parseRatio("3.0 'mL':150.0 'mL'")).toEqual(new CqlRatio(new Q(3, 'mL'), new Q(150, 'mL')));
    expect(parseRatio("3.0 'mL';150.0 'mL'")).toBeNull();
  });

  test('formatQuantity prints a Decimal and the quoted unit', () => {
    expect(formatQuantity(new Q(12, 'mL'))).toBe("12.0 'mL'");
    expect(formatQuantity(new Q(-2.5, 'kg'))).toBe("-2.5 'kg'");
  });
});

describe('decimals', () => {
  test.each([
    [0.5, 0, 1],
    [-0.5, 0, -1],
    [2.5, 0, 3],
    [-2.5, 0, -3],
    [1.005, 2, 1.01],
    [3.14159, 3, 3.142],
    [0.123456785, 8, 0.12345679],
    [9.99999999999, 8, 10],
    [1e-9, 8, 0],
    [-1e-9, 8, 0],
  ])('roundHalfAway(%d, %d) = %d', (x, places, expected) => {
    expect(roundHalfAway(x, places)).toBe(expected);
  });

  test.each([
    [1, undefined, '1.0'],
    [0.1, undefined, '0.1'],
    [1.5, 2, '1.50'],
    [-0, undefined, '0.0'],
    [1e-7, undefined, '0.0000001'],
    [1e21, undefined, '1000000000000000000000.0'],
  ])('formatDecimal(%d, %s) = %s', (x, scale, expected) => {
    expect(formatDecimal(x, scale)).toBe(expected);
  });

  test('scale and Long text range', () => {
    expect(scaleOf(1.587)).toBe(3);
    expect(scaleOf(1e-8)).toBe(8);
    expect(parseLong('9223372036854775807')).not.toBeNull();
    expect(parseLong('9223372036854775808')).toBeNull();
    expect(parseLong('-9223372036854775808')).not.toBeNull();
  });
});
