import { delay, http, HttpResponse, type HttpHandler } from 'msw';

type Stored = { resourceType: string; id: string; meta: { versionId: string; lastUpdated: string }; [k: string]: unknown };

/** A fault to play on the next matching request. */
export type Fault =
  | { method: 'POST' | 'PUT' | 'GET'; type: string; kind: 'status'; status: number; body?: object; headers?: Record<string, string> }
  /** Apply the write, then never answer in time (the client times out: outcome unknown). */
  | { method: 'POST' | 'PUT'; type: string; kind: 'commit-then-hang' }
  /** Apply the write, then drop the connection. */
  | { method: 'POST' | 'PUT'; type: string; kind: 'commit-then-drop' }
  /** Deliver the write twice, as a retrying proxy would. */
  | { method: 'POST'; type: string; kind: 'duplicate' };

const outcome = (code: string, diagnostics: string) => ({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics }] });

/**
 * An in-memory FHIR store for msw with the write semantics Careloop relies on: conditional create
 * (`If-None-Exist`: 201, 200 when one matches, 412 when several do), `If-Match` updates (412 when
 * stale), search by `identifier` and `target`, versioned reads, and scripted faults.
 */
export class FhirStore {
  readonly resources: Stored[] = [];
  readonly faults: Fault[] = [];
  readonly writes: { method: string; type: string; headers: Record<string, string> }[] = [];
  private seq = 0;

  constructor(readonly base: string) {}

  all(type: string): Stored[] {
    return this.resources.filter((r) => r.resourceType === type);
  }

  seed(resource: { resourceType: string; id: string; [k: string]: unknown }, versionId = '1'): void {
    this.resources.push({ ...resource, meta: { versionId, lastUpdated: '2026-11-01T00:00:00Z' } });
  }

  private matches(resource: Stored, query: URLSearchParams): boolean {
    for (const [name, value] of query) {
      if (name === '_lastUpdated' && value.startsWith('gt')) {
        if (!(Date.parse(resource.meta.lastUpdated) > Date.parse(value.slice(2)))) return false;
        continue;
      }
      if (name.startsWith('_')) continue;
      if (name === 'identifier') {
        const [system, val] = value.split('|');
        const ids = (resource.identifier as { system?: string; value?: string }[] | undefined) ?? [];
        if (!ids.some((i) => i.system === system && i.value === val)) return false;
      } else if (name === 'target') {
        const targets = (resource.target as { reference?: string }[] | undefined) ?? [];
        if (!targets.some((t) => t.reference === value || t.reference?.startsWith(`${value}/_history/`))) return false;
      } else if (name === 'patient') {
        const ref = ((resource.for ?? resource.subject ?? resource.patient) as { reference?: string } | undefined)?.reference;
        if (ref !== value) return false;
      } else if (name === 'status') {
        if (!value.split(',').includes(String(resource.status))) return false;
      } else return false;
    }
    return true;
  }

  private search(type: string, query: URLSearchParams): Stored[] {
    return this.all(type).filter((r) => this.matches(r, query));
  }

  /** Files a resource now, as another system would (a lab result arriving). */
  file(body: { resourceType: string; [k: string]: unknown }): Stored {
    return this.create(body.resourceType, body);
  }

  private create(type: string, body: Record<string, unknown>): Stored {
    const stored: Stored = { ...body, resourceType: type, id: `${type.toLowerCase()}-${++this.seq}`, meta: { versionId: '1', lastUpdated: new Date().toISOString() } };
    this.resources.push(stored);
    return stored;
  }

  private takeFault(method: string, type: string): Fault | undefined {
    const index = this.faults.findIndex((f) => f.method === method && f.type === type);
    return index >= 0 ? this.faults.splice(index, 1)[0] : undefined;
  }

  private conditionalCreate(type: string, body: Record<string, unknown>, ifNoneExist: string | null): Response {
    if (ifNoneExist) {
      const found = this.search(type, new URLSearchParams(ifNoneExist));
      if (found.length > 1) return HttpResponse.json(outcome('duplicate', 'Multiple matches for If-None-Exist'), { status: 412 });
      if (found[0]) return HttpResponse.json(found[0], { status: 200 });
    }
    const stored = this.create(type, body);
    return HttpResponse.json(stored, { status: 201, headers: { location: `${this.base}/${type}/${stored.id}/_history/1`, etag: 'W/"1"' } });
  }

  handlers(): HttpHandler[] {
    return [
      http.post(`${this.base}/:type`, async ({ request, params }) => {
        const type = String(params.type);
        const headers = Object.fromEntries(request.headers.entries());
        this.writes.push({ method: 'POST', type, headers });
        const body = (await request.json()) as Record<string, unknown>;
        const ifNoneExist = request.headers.get('if-none-exist');
        const fault = this.takeFault('POST', type);
        if (fault?.kind === 'status') return HttpResponse.json(fault.body ?? outcome('exception', 'fault'), { status: fault.status, headers: fault.headers ?? {} });
        if (fault?.kind === 'duplicate') this.conditionalCreate(type, body, ifNoneExist);
        const reply = this.conditionalCreate(type, body, ifNoneExist);
        if (fault?.kind === 'commit-then-drop') return HttpResponse.error();
        if (fault?.kind === 'commit-then-hang') await delay('infinite');
        return reply;
      }),
      http.put(`${this.base}/:type/:id`, async ({ request, params }) => {
        const type = String(params.type);
        this.writes.push({ method: 'PUT', type, headers: Object.fromEntries(request.headers.entries()) });
        const fault = this.takeFault('PUT', type);
        if (fault?.kind === 'status') return HttpResponse.json(fault.body ?? outcome('exception', 'fault'), { status: fault.status });
        const index = this.resources.findIndex((r) => r.resourceType === type && r.id === params.id);
        const current = this.resources[index];
        if (!current) return HttpResponse.json(outcome('not-found', 'not found'), { status: 404 });
        const ifMatch = request.headers.get('if-match');
        if (ifMatch && ifMatch !== `W/"${current.meta.versionId}"`) return HttpResponse.json(outcome('conflict', 'Version mismatch'), { status: 412 });
        const body = (await request.json()) as Record<string, unknown>;
        const next: Stored = { ...body, resourceType: type, id: current.id, meta: { versionId: String(Number(current.meta.versionId) + 1), lastUpdated: new Date().toISOString() } };
        this.resources[index] = next;
        if (fault?.kind === 'commit-then-drop') return HttpResponse.error();
        if (fault?.kind === 'commit-then-hang') await delay('infinite');
        return HttpResponse.json(next, { headers: { etag: `W/"${next.meta.versionId}"` } });
      }),
      http.get(`${this.base}/:type/:id`, ({ params }) => {
        const found = this.resources.find((r) => r.resourceType === params.type && r.id === params.id);
        return found ? HttpResponse.json(found) : HttpResponse.json(outcome('not-found', 'not found'), { status: 404 });
      }),
      http.get(`${this.base}/:type`, ({ request, params }) => {
        const type = String(params.type);
        const fault = this.takeFault('GET', type);
        if (fault?.kind === 'status') return HttpResponse.json(fault.body ?? outcome('exception', 'fault'), { status: fault.status });
        const searchedAt = new Date().toISOString();
        const found = this.search(type, new URL(request.url).searchParams);
        return HttpResponse.json({ resourceType: 'Bundle', type: 'searchset', meta: { lastUpdated: searchedAt }, total: found.length, entry: found.map((resource) => ({ resource })) });
      }),
    ];
  }
}
