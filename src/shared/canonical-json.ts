/**
 * Canonical JSON in the style of RFC 8785 (JSON Canonicalization Scheme): object keys sorted by
 * UTF-16 code units, no insignificant whitespace, numbers in their shortest ECMAScript form.
 * Properties whose value is `undefined` are left out, as `JSON.stringify` does.
 *
 * Shared by the rule engine (evidence and pack digests) and the audit backend, so the same value
 * always hashes to the same digest on both sides.
 */

/** Thrown for values JSON cannot represent canonically (NaN, Infinity, bigint, functions, cycles). */
export class CanonicalJsonError extends TypeError {
  override readonly name = 'CanonicalJsonError';
}

/**
 * Serialises `value` to canonical JSON.
 *
 * @example
 * canonicalJson({ b: 1, a: [true, null] }) // '{"a":[true,null],"b":1}'
 * @throws {CanonicalJsonError} for non-finite numbers, bigints, functions, symbols and cycles.
 */
export function canonicalJson(value: unknown): string {
  return write(value, new Set<object>());
}

function write(value: unknown, seen: Set<object>): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError(`cannot serialise ${String(value)}`);
      // ECMAScript's Number-to-String is the serialisation RFC 8785 specifies; -0 becomes 0.
      return Object.is(value, -0) ? '0' : JSON.stringify(value);
    case 'object':
      break;
    default:
      throw new CanonicalJsonError(`cannot serialise a ${typeof value}`);
  }
  const obj = value as object;
  if (seen.has(obj)) throw new CanonicalJsonError('cannot serialise a cycle');
  seen.add(obj);
  try {
    if (Array.isArray(obj)) {
      // Array holes and undefined entries become null, as in JSON.stringify.
      const parts: string[] = [];
      for (let i = 0; i < obj.length; i++) {
        const item: unknown = obj[i];
        parts.push(item === undefined ? 'null' : write(item, seen));
      }
      return `[${parts.join(',')}]`;
    }
    const record = obj as Record<string, unknown>;
    const toJson = (record as { toJSON?: unknown }).toJSON;
    if (typeof toJson === 'function') return write((toJson as () => unknown).call(record), seen);
    const keys = Object.keys(record).sort(compareCodeUnits);
    const parts: string[] = [];
    for (const key of keys) {
      const item = record[key];
      if (item === undefined) continue;
      parts.push(`${JSON.stringify(key)}:${write(item, seen)}`);
    }
    return `{${parts.join(',')}}`;
  } finally {
    seen.delete(obj);
  }
}

/** RFC 8785 orders keys by UTF-16 code units, which is what `<` on JS strings does. */
function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
