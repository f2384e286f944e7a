/**
 * Fast paths for the searches apps run most against a large record. medplum's in-memory search
 * evaluates FHIRPath per resource per filter (~1 ms each) and per comparison when sorting, so a
 * `code` search over 5,000 Observations takes seconds and `_sort=date` half a minute. Here the
 * common token and date filters and sorts are applied directly to the elements they index; any
 * other filter still goes through medplum's `matchesSearchRequest`, on the already narrowed set.
 */
import { evalFhirPath, getSearchParameter, matchesSearchRequest } from '@medplum/core';
import type { Filter, SortRule } from '@medplum/core';
import type { CodeableConcept, Identifier, Resource } from '@medplum/fhirtypes';

type Any = Record<string, unknown>;

/** Token parameters on CodeableConcept elements, by search parameter code. */
const CONCEPT_PARAMS: Record<string, string> = { code: 'code', category: 'category', 'vaccine-code': 'vaccineCode', type: 'type' };

/** The clinically relevant date of a resource, as the `date` search parameter means it for common types. */
export function clinicalDate(r: Resource): string | undefined {
  const x = r as unknown as Any;
  const period = (k: string) => (x[k] as { start?: string; end?: string } | undefined)?.start;
  const v =
    x['effectiveDateTime'] ?? period('effectivePeriod') ?? x['effectiveInstant'] ?? x['performedDateTime'] ?? period('performedPeriod') ??
    x['onsetDateTime'] ?? x['recordedDate'] ?? x['occurrenceDateTime'] ?? x['authoredOn'] ?? x['issued'] ?? period('period') ?? x['date'];
  return typeof v === 'string' ? v : undefined;
}

/** Types whose `date` search parameter is (a subset of) `clinicalDate`. */
const DATE_TYPES = new Set(['Observation', 'Procedure', 'Condition', 'Immunization', 'Encounter', 'DiagnosticReport', 'MedicationRequest', 'ServiceRequest', 'Task']);

function dateParamValue(r: Resource, code: string): string | undefined {
  if (code === '_lastUpdated') return r.meta?.lastUpdated;
  if (code === 'date' && DATE_TYPES.has(r.resourceType)) return clinicalDate(r);
  if (code === 'authored' || code === 'authoredon') return (r as unknown as Any)['authoredOn'] as string | undefined;
  return undefined;
}

function isFastDate(type: string, code: string): boolean {
  return code === '_lastUpdated' || (code === 'date' && DATE_TYPES.has(type)) || ((code === 'authored' || code === 'authoredon') && (type === 'Task' || type === 'ServiceRequest' || type === 'MedicationRequest'));
}

/** [start, end) in ms of a FHIR date/dateTime at its own precision. */
function range(value: string): [number, number] | null {
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(T.*)?$/.exec(value);
  if (!m) return null;
  const [, y, mo, d, t] = m;
  if (t) {
    const at = Date.parse(value);
    return Number.isNaN(at) ? null : [at, at + 1000];
  }
  const Y = Number(y);
  if (!mo) return [Date.UTC(Y, 0, 1), Date.UTC(Y + 1, 0, 1)];
  if (!d) return [Date.UTC(Y, Number(mo) - 1, 1), Date.UTC(Y, Number(mo), 1)];
  const start = Date.UTC(Y, Number(mo) - 1, Number(d));
  return [start, start + 86_400_000];
}

function matchDate(resourceValue: string | undefined, operator: string, value: string): boolean {
  if (resourceValue === undefined) return false;
  const r = range(resourceValue);
  const q = range(value);
  if (!r || !q) return false;
  switch (operator) {
    case 'eq': return r[0] >= q[0] && r[1] <= q[1];
    case 'ne': return !(r[0] >= q[0] && r[1] <= q[1]);
    case 'gt': case 'sa': return r[1] > q[1];
    case 'ge': return r[1] > q[0];
    case 'lt': case 'eb': return r[0] < q[0];
    case 'le': return r[0] < q[1];
    default: return false;
  }
}

function matchCodings(concepts: CodeableConcept[], value: string): boolean {
  return value.split(',').some((one) => {
    const bar = one.indexOf('|');
    const system = bar >= 0 ? one.slice(0, bar) : undefined;
    const code = bar >= 0 ? one.slice(bar + 1) : one;
    return concepts.some((c) => (c.coding ?? []).some((cd) => (system === undefined || (cd.system ?? '') === system) && (code === '' || cd.code === code)));
  });
}

function matchIdentifier(ids: Identifier[], value: string): boolean {
  return value.split(',').some((one) => {
    const bar = one.indexOf('|');
    const system = bar >= 0 ? one.slice(0, bar) : undefined;
    const v = bar >= 0 ? one.slice(bar + 1) : one;
    return ids.some((i) => (system === undefined || (i.system ?? '') === system) && (v === '' || i.value === v));
  });
}

/** A predicate for a filter this module handles itself, or null to leave it to medplum. */
function fastFilter(type: string, f: Filter): ((r: Resource) => boolean) | null {
  const op = String(f.operator);
  const element = CONCEPT_PARAMS[f.code];
  if (element && op === 'eq') {
    const sp = getSearchParameter(type, f.code);
    // Shared parameters have union expressions (`Condition.code | Observation.code | …`).
    if (!sp?.expression?.split('|').some((part) => part.trim() === `${type}.${element}`)) return null;
    return (r) => {
      const v = (r as unknown as Any)[element];
      return matchCodings((Array.isArray(v) ? v : v ? [v] : []) as CodeableConcept[], f.value);
    };
  }
  if (f.code === 'status' && (op === 'eq' || op === 'ne')) {
    const values = f.value.split(',');
    return (r) => values.includes(String((r as unknown as Any)['status'])) === (op === 'eq');
  }
  if (f.code === 'identifier' && op === 'eq') return (r) => matchIdentifier(((r as unknown as Any)['identifier'] ?? []) as Identifier[], f.value);
  if (f.code === '_id' && op === 'eq') {
    const ids = f.value.split(',');
    return (r) => ids.includes(r.id ?? '');
  }
  if (isFastDate(type, f.code)) return (r) => matchDate(dateParamValue(r, f.code), op, f.value);
  return null;
}

/** Filters and sorts `resources` of one type; returns the matches in order (not cloned). */
export function searchResources(type: string, resources: readonly Resource[], filters: readonly Filter[], sortRules: readonly SortRule[] | undefined): Resource[] {
  const fast: ((r: Resource) => boolean)[] = [];
  const slow: Filter[] = [];
  for (const f of filters) {
    const p = fastFilter(type, f);
    if (p) fast.push(p);
    else slow.push(f);
  }
  let out = resources.filter((r) => fast.every((p) => p(r)));
  if (slow.length > 0) out = out.filter((r) => matchesSearchRequest(r, { resourceType: type as 'Patient', filters: slow }));
  for (const rule of [...(sortRules ?? [])].reverse()) {
    const key = (r: Resource): string => {
      if (rule.code === '_id') return r.id ?? '';
      const fastValue = isFastDate(type, rule.code) ? dateParamValue(r, rule.code) : undefined;
      if (fastValue !== undefined || isFastDate(type, rule.code)) return fastValue ?? '';
      const sp = getSearchParameter(type, rule.code);
      const v = sp?.expression ? evalFhirPath(sp.expression, r)[0] : undefined;
      return typeof v === 'string' || typeof v === 'number' ? String(v) : JSON.stringify(v ?? '');
    };
    const keyed = out.map((r) => ({ r, k: key(r) }));
    keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0) * (rule.descending ? -1 : 1));
    out = keyed.map((x) => x.r);
  }
  return out;
}
