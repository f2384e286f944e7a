/**
 * The sandbox's FHIR data: @medplum/fhir-router's in-memory repository, one per patient compartment
 * (plus one for shared resources such as Practitioner). medplum's search is a linear scan over a
 * resource type, so partitioning by patient keeps every patient's searches as fast as their own
 * record allows, and the ≥5,000-resource patient slows down only their own chart.
 */
import { parseSearchRequest, type Filter } from '@medplum/core';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';
import type { FhirRequest, FhirResponse } from '@medplum/fhir-router';
import { searchResources } from './fast-search.ts';
import type { Bundle, BundleEntry, BundleLink, Reference, Resource } from '@medplum/fhirtypes';
import type { IncomingHttpHeaders } from 'node:http';

/** Compartment key of resources outside any patient compartment (Practitioner, Organization, …). */
export const SHARED = '';

/** Search parameters whose bare-id values (`patient=ada`) mean `Patient/ada`. */
const PATIENT_REFERENCE_PARAMS = new Set(['patient', 'subject', 'for', 'beneficiary']);

export type Query = Record<string, string | string[] | undefined>;

export interface SearchResult {
  readonly bundle: Bundle;
  /** Compartments that were searched. */
  readonly compartments: readonly string[];
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1000;

/** A query string as search parameters (`code=a&code=b` → `{ code: ['a', 'b'] }`), repeated parameters kept. */
export function queryOf(text: string): Record<string, string[]> {
  const query: Record<string, string[]> = {};
  for (const [k, v] of new URLSearchParams(text)) (query[k] ??= []).push(v);
  return query;
}

/** A test for "matches one of the scope queries (`category=laboratory&status=final`)", parsed once. */
function scopeMatcher(type: string, queries: readonly string[]): (resource: Resource) => boolean {
  const each: Filter[][] = queries.map((q) => parseSearchRequest(type as 'Patient', queryOf(q)).filters ?? []);
  return (resource) => each.some((filters) => searchResources(type, [resource], filters, undefined).length === 1);
}

export class FhirStore {
  private readonly repos = new Map<string, MemoryRepository>();
  /** `Type/id` → compartment key. */
  private readonly index = new Map<string, string>();
  private readonly router = new FhirRouter();
  /** Current version of every resource, by compartment and type: the search index. */
  private readonly current = new Map<string, Map<string, Map<string, Resource>>>();

  private remember(key: string, r: Resource): void {
    let byType = this.current.get(key);
    if (!byType) this.current.set(key, (byType = new Map()));
    let byId = byType.get(r.resourceType);
    if (!byId) byType.set(r.resourceType, (byId = new Map()));
    byId.set(r.id ?? '', r);
    this.index.set(`${r.resourceType}/${r.id ?? ''}`, key);
  }

  private resourcesOf(key: string, type: string): Resource[] {
    return [...(this.current.get(key)?.get(type)?.values() ?? [])];
  }

  /** Loads resources as they are (ids and meta kept), e.g. the cast. */
  async seed(resources: readonly Resource[], lastUpdated: string): Promise<void> {
    for (const r of resources) {
      const key = this.compartmentOf(r) ?? SHARED;
      const stored = await this.repo(key).createResource({ ...r, meta: { versionId: '1', lastUpdated, ...r.meta } });
      this.remember(key, stored);
    }
  }

  /** Patient ids that have a compartment. */
  patientIds(): string[] {
    return [...this.repos.keys()].filter((k) => k !== SHARED);
  }

  /** The compartment a stored resource lives in, or undefined when it does not exist. */
  locate(type: string, id: string): string | undefined {
    return this.index.get(`${type}/${id}`);
  }

  /**
   * The patient compartment a resource belongs to: its own id for a Patient, the patient it is
   * about (`subject`, `patient`, `for`, `beneficiary`), or for a Provenance the compartment of what it
   * targets. null for resources outside any patient compartment.
   */
  compartmentOf(resource: Resource): string | null {
    if (resource.resourceType === 'Patient') return resource.id ?? null;
    const r = resource as unknown as Record<string, unknown>;
    for (const field of ['subject', 'patient', 'for', 'beneficiary']) {
      const id = patientIdOf(r[field]);
      if (id) return id;
    }
    if (resource.resourceType === 'Provenance') {
      for (const target of resource.target) {
        const [type, id] = (target.reference ?? '').split('/');
        if (type === 'Patient' && id) return id;
        const key = type && id ? this.locate(type, id) : undefined;
        if (key) return key;
      }
    }
    return null;
  }

  repo(key: string): MemoryRepository {
    let repo = this.repos.get(key);
    if (!repo) {
      repo = new MemoryRepository();
      this.repos.set(key, repo);
    }
    return repo;
  }

  /**
   * Runs a non-search interaction (read, vread, history, create, update, delete) through medplum's
   * FHIR router against one compartment's repository. `url` is relative to the base, e.g.
   * `Task/abc/_history/2`.
   */
  async handle(key: string, method: FhirRequest['method'], url: string, body: unknown, headers: IncomingHttpHeaders): Promise<FhirResponse> {
    const h = { ...headers };
    const ifNoneExist = h['if-none-exist'];
    if (typeof ifNoneExist === 'string') h['if-none-exist'] = normalizeQueryString(ifNoneExist);
    const result = await this.router.handleRequest({ method, url, pathname: '', query: {}, params: {}, body, headers: h }, this.repo(key));
    const resource = result[1];
    if ((method === 'POST' || method === 'PUT') && resource && resource.resourceType !== 'Bundle' && resource.resourceType !== 'OperationOutcome' && resource.id) {
      this.remember(key, resource);
    }
    if (method === 'DELETE' && result[0].id === 'ok') {
      const [type, id] = url.split('/');
      if (type && id) {
        this.index.delete(`${type}/${id}`);
        this.current.get(key)?.get(type)?.delete(id);
      }
    }
    return result;
  }

  /** Whether `resource` matches one of the scope queries (`category=laboratory`) for its type. */
  matchesAny(type: string, resource: Resource, queries: readonly string[]): boolean {
    return scopeMatcher(type, queries)(resource);
  }

  /**
   * Searches one or more compartments and pages the result with `_count`/`_offset`, with `self`
   * and `next` links under `baseUrl` (medplum's repository gives no links). `only`: the queries of
   * the token's scopes for this type when each has one (`category=laboratory`): a resource must
   * match one of them too, and the total and pages count only those.
   */
  async search(type: string, query: Query, compartments: readonly string[], baseUrl: string, only: readonly string[] | null = null): Promise<Bundle> {
    const q = normalizeQuery(query);
    const count = q['_summary'] === 'count' ? 0 : clamp(intParam(q['_count']) ?? DEFAULT_PAGE_SIZE, 0, MAX_PAGE_SIZE);
    const offset = Math.max(0, intParam(q['_offset']) ?? 0);
    const rest: Query = { ...q };
    delete rest['_count'];
    delete rest['_offset'];
    delete rest['_summary'];
    delete rest['_format'];
    const { count: _count, offset: _offset, ...request } = parseSearchRequest(type as 'Patient', rest);

    const matches: Resource[] = [];
    for (const key of compartments) {
      // Inside a patient's own compartment `patient=Patient/<them>` matches everything: drop it.
      const filters = (request.filters ?? []).filter(
        (f) => !(key !== SHARED && PATIENT_REFERENCE_PARAMS.has(f.code) && String(f.operator) === 'eq' && f.value === `Patient/${key}`),
      );
      matches.push(...searchResources(type, this.resourcesOf(key, type), filters, compartments.length === 1 ? request.sortRules : undefined));
    }
    const reachable = only === null ? matches : matches.filter(scopeMatcher(type, only));
    const total = reachable.length;
    const entries: BundleEntry[] = reachable.slice(offset, offset + count).map((r) => ({ resource: structuredClone(r) }));

    const pageUrl = (o: number) => {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(rest)) for (const one of [v].flat()) if (one !== undefined) params.append(k, one);
      params.set('_count', String(count));
      params.set('_offset', String(o));
      return `${baseUrl}/${type}?${params.toString()}`;
    };
    const link: BundleLink[] = [{ relation: 'self', url: pageUrl(offset) }];
    if (count > 0 && offset + count < total) link.push({ relation: 'next', url: pageUrl(offset + count) });
    if (count > 0 && offset > 0) link.push({ relation: 'previous', url: pageUrl(Math.max(0, offset - count)) });
    return {
      resourceType: 'Bundle',
      type: 'searchset',
      total,
      link,
      entry: entries.map((e) => ({
        fullUrl: `${baseUrl}/${e.resource?.resourceType}/${e.resource?.id}`,
        ...(e.resource ? { resource: e.resource } : {}),
        search: { mode: 'match' },
      })),
    };
  }

  /** Every stored resource of a type in one compartment (for the chart panel and admin view). */
  async all(type: string, key: string): Promise<Resource[]> {
    return this.resourcesOf(key, type).map((r) => structuredClone(r));
  }
}

function patientIdOf(value: unknown): string | null {
  const refs = Array.isArray(value) ? value : [value];
  for (const v of refs) {
    const ref = (v as Reference | undefined)?.reference;
    const m = typeof ref === 'string' ? /(?:^|\/)Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(ref) : null;
    if (m?.[1]) return m[1];
  }
  return null;
}

/** `patient=ada` → `patient=Patient/ada` (medplum matches only the typed form). */
export function normalizeQuery(query: Query): Query {
  const out: Query = {};
  for (const [k, v] of Object.entries(query)) {
    const base = k.split(':')[0] ?? k;
    out[k] = PATIENT_REFERENCE_PARAMS.has(base) && v !== undefined ? (Array.isArray(v) ? v.map(typed) : typed(v)) : v;
  }
  return out;
}

function typed(value: string): string {
  return value
    .split(',')
    .map((one) => (one.includes('/') ? one.replace(/^.*\/(Patient\/[^/]+)$/, '$1') : `Patient/${one}`))
    .join(',');
}

function normalizeQueryString(qs: string): string {
  const params = new URLSearchParams(qs);
  const q: Query = {};
  for (const k of new Set(params.keys())) q[k] = params.getAll(k).length > 1 ? params.getAll(k) : (params.get(k) ?? undefined);
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(normalizeQuery(q))) for (const one of [v].flat()) if (one !== undefined) out.append(k, one);
  return out.toString();
}

function intParam(v: string | string[] | undefined): number | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  if (s === undefined || !/^\d+$/.test(s)) return undefined;
  return Number(s);
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, n));
}
