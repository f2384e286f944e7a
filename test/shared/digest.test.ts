import { describe, expect, it } from 'vitest';
import { digestOf, sha256Hex } from '../../src/shared/digest.ts';

describe('sha256Hex', () => {
  it.each([
    ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
  ])('hashes %j to the FIPS 180-2 test vector', (input, expected) => {
    expect(sha256Hex(input)).toBe(expected);
  });

  it('hashes the UTF-8 bytes of non-ASCII text', () => {
    // Node: crypto.createHash('sha256').update('é').digest('hex')
    expect(sha256Hex('é')).toBe('4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c');
  });
});

describe('digestOf', () => {
  it('gives equal digests for objects that differ only in key order', () => {
    expect(digestOf({ a: 1, b: [1, 2] })).toBe(digestOf({ b: [1, 2], a: 1 }));
  });

  it('gives different digests for different values', () => {
    expect(digestOf({ a: 1 })).not.toBe(digestOf({ a: 2 }));
  });
});
