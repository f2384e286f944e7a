/**
 * SHA-256 digests, synchronous and isomorphic (browser, Node, workers) via @noble/hashes.
 */
import { sha256 } from '@noble/hashes/sha2';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils';
import { canonicalJson } from './canonical-json.ts';

/**
 * Lower-case hex SHA-256 of the UTF-8 encoding of `text`.
 *
 * @example
 * sha256Hex('abc') // 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
 */
export function sha256Hex(text: string): string {
  return bytesToHex(sha256(utf8ToBytes(text)));
}

/** SHA-256 of the canonical JSON of `value`: equal values give equal digests whatever their key order. */
export function digestOf(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}
