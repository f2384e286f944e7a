import { describe, expect, it } from 'vitest';
import { canonicalJson, CanonicalJsonError } from '../../src/shared/canonical-json.ts';

describe('canonicalJson', () => {
  it('sorts object keys at every depth', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
  });

  it('orders keys by UTF-16 code units as RFC 8785 does', () => {
    // "\u20ac" (€) sorts before "\ud83d\ude00" (😀) in UTF-16, and uppercase before lowercase.
    expect(canonicalJson({ '😀': 1, '€': 2, a: 3, B: 4 })).toBe('{"B":4,"a":3,"€":2,"😀":1}');
  });

  it('writes numbers in their shortest ECMAScript form and -0 as 0', () => {
    expect(canonicalJson([1.0, 0.1, 1e21, 1e-7, -0])).toBe('[1,0.1,1e+21,1e-7,0]');
  });

  it('drops undefined properties and writes undefined array items as null', () => {
    expect(canonicalJson({ a: undefined, b: [undefined, 1] })).toBe('{"b":[null,1]}');
  });

  it('escapes strings as JSON does', () => {
    expect(canonicalJson('a"b\n')).toBe('"a\\"b\\n"');
  });

  it.each([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['a bigint', 1n],
    ['a function', () => 1],
  ])('refuses %s', (_name, value) => {
    expect(() => canonicalJson({ value })).toThrow(CanonicalJsonError);
  });

  it('refuses cycles but accepts the same object twice', () => {
    const shared = { x: 1 };
    expect(canonicalJson([shared, shared])).toBe('[{"x":1},{"x":1}]');
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(CanonicalJsonError);
  });
});
