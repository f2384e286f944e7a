/**
 * Careloop's engine on the conformance and differential corpora: loads ELM, evaluates every define
 * and reduces each value to the same comparable normal form the reference's results are in.
 */
import { FhirValue } from '../../../src/cql/fhir-r4/model.ts';
import { CqlCode, CqlConcept } from '../../../src/cql/values/code.ts';
import { CqlDate, CqlDateTime, CqlTime, formatTemporal } from '../../../src/cql/values/datetime.ts';
import { CqlInterval } from '../../../src/cql/values/interval.ts';
import { CqlQuantity, CqlRatio } from '../../../src/cql/values/quantity.ts';
import { CqlTuple } from '../../../src/cql/values/tuple.ts';
import { roundDecimal, tuple } from './comparable.ts';
import type { Comparable } from './comparable.ts';

/** Reduces an engine value to its comparable form; throws on values that have none. */
export function engineToComparable(value: unknown): Comparable {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`non-finite number ${value}`);
    return roundDecimal(value);
  }
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map((v: unknown) => engineToComparable(v));
  if (value instanceof CqlDateTime) return { type: 'DateTime', value: formatTemporal(value), offset: value.offset };
  if (value instanceof CqlDate) return { type: 'Date', value: formatTemporal(value) };
  if (value instanceof CqlTime) return { type: 'Time', value: formatTemporal(value) };
  if (value instanceof CqlQuantity) return { type: 'Quantity', value: roundDecimal(value.value), unit: value.unit };
  if (value instanceof CqlRatio) return { type: 'Ratio', numerator: engineToComparable(value.numerator), denominator: engineToComparable(value.denominator) };
  if (value instanceof CqlCode) return { type: 'Code', code: value.code, system: value.system, version: value.version, display: value.display };
  if (value instanceof CqlConcept) return { type: 'Concept', codes: value.codes.map((c) => engineToComparable(c)), display: value.display };
  if (value instanceof CqlInterval) {
    return { type: 'Interval', low: engineToComparable(value.low), high: engineToComparable(value.high), lowClosed: value.lowClosed, highClosed: value.highClosed };
  }
  if (value instanceof CqlTuple) {
    const elements: Record<string, Comparable> = {};
    for (const [k, v] of Object.entries(value.elements)) elements[k] = engineToComparable(v);
    return tuple(elements);
  }
  if (value instanceof FhirValue) {
    const json = value.json;
    if (typeof json === 'object' && json !== null && typeof (json as { resourceType?: unknown }).resourceType === 'string') {
      const r = json as { resourceType: string; id?: unknown };
      return { type: 'Resource', resourceType: r.resourceType, id: typeof r.id === 'string' ? r.id : null };
    }
    return { type: 'FHIR', fhirType: value.fhirType, json: json ?? null };
  }
  const ctor = (value as { constructor?: { name?: string } }).constructor?.name ?? typeof value;
  throw new Error(`cannot normalise a ${ctor}`);
}
