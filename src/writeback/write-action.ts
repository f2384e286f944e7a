import type { Bundle, Provenance, Resource, ServiceRequest, Task } from '@medplum/fhirtypes';
import type { FhirGateway } from '../fhir/gateway.ts';
import { writeFailureMessage } from '../shared/problem-copy.ts';
import { ProblemError, isTransient, retryAfterMs, statusOf, type Problem } from '../shared/problem.ts';
import { actionIdentifier, buildActionResource, buildProvenance, identifierQuery, type OpenGap, type WriteParams } from './builders.ts';

export type ActionResource = Task | ServiceRequest;

/** How a confirmed write ended. */
export type WriteOutcome =
  | {
      kind: 'written';
      resource: ActionResource;
      /** `Type/id/_history/vid` of the action resource. */
      reference: string;
      /** False when the resource was already there (a replay, another tab, a retried write). */
      created: boolean;
      provenance: Provenance;
    }
  | { kind: 'failed'; problem: Problem; status: number | null; message: string; retryable: boolean };

export interface WriteOptions {
  /** POST attempts before giving up on an outcome that stays unknown. */
  maxAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function versioned(resource: Resource): string {
  const base = `${resource.resourceType}/${resource.id ?? ''}`;
  return resource.meta?.versionId ? `${base}/_history/${resource.meta.versionId}` : base;
}

/** The wait before the next POST: what `Retry-After` asked (up to 30 s), else exponential with jitter. */
function backoff(attempt: number, problem: Problem, random: () => number): number {
  const asked = retryAfterMs(problem);
  if (asked !== null) return Math.min(asked, 30_000);
  const base = 500 * 2 ** (attempt - 1);
  return Math.round(base / 2 + random() * base);
}

async function findExisting<T extends Resource>(gateway: FhirGateway, type: T['resourceType'], query: string): Promise<T | null> {
  const reply = await gateway.request<Bundle>({ url: `${type}?${query}&_sort=_lastUpdated` });
  const found = (reply.body.entry ?? []).map((e) => e.resource).filter((r): r is T => r?.resourceType === type);
  return found[0] ?? null;
}

/**
 * Creates `body` unless a resource matching `query` exists: conditional create (`If-None-Exist`),
 * and, when a POST failed transiently (timeout, dropped connection, 5xx, 429: its outcome is
 * unknown), a search by the same query before any retry, so a write that did land is never
 * repeated. A refusal is never retried.
 */
async function ensure<T extends Resource>(gateway: FhirGateway, body: T, query: string, options: Required<WriteOptions>): Promise<{ resource: T; created: boolean }> {
  let lastError: ProblemError | null = null;
  for (let attempt = 1; attempt <= options.maxAttempts; attempt += 1) {
    try {
      const reply = await gateway.request<T>({
        url: body.resourceType,
        method: 'POST',
        body,
        headers: { 'if-none-exist': query, prefer: 'return=representation' },
      });
      if (reply.body?.resourceType === body.resourceType && reply.body.id) return { resource: reply.body, created: reply.status === 201 };
      const found = await findExisting<T>(gateway, body.resourceType, query);
      if (found) return { resource: found, created: reply.status === 201 };
      throw new ProblemError({ kind: 'bad-response', what: body.resourceType, status: reply.status, detail: 'The EHR did not return what it saved.' });
    } catch (error) {
      if (!(error instanceof ProblemError)) throw error;
      lastError = error;
      // 412 on a conditional create: more than one match already exists; use the oldest. An answer
      // that could not be read may follow a write that landed: look for it, but never send again.
      if (error.problem.kind === 'precondition-failed' || error.problem.kind === 'bad-response') {
        const found = await findExisting<T>(gateway, body.resourceType, query);
        if (found) return { resource: found, created: false };
        throw error;
      }
      if (!isTransient(error.problem)) throw error;
      try {
        const found = await findExisting<T>(gateway, body.resourceType, query);
        if (found) return { resource: found, created: false };
      } catch (lookError) {
        if (!(lookError instanceof ProblemError) || !isTransient(lookError.problem)) throw lookError;
      }
      if (attempt < options.maxAttempts) await options.sleep(backoff(attempt, error.problem, options.random));
    }
  }
  throw lastError ?? new ProblemError({ kind: 'unknown', detail: 'write not attempted' });
}

function failed(what: string, error: unknown): WriteOutcome {
  const problem: Problem = error instanceof ProblemError ? error.problem : { kind: 'unknown', detail: 'write failed' };
  // Worth the clinician's retry: a transient failure (looked for first), or a conflict that a re-read settles.
  const retryable = isTransient(problem) || problem.kind === 'conflict';
  return { kind: 'failed', problem, status: statusOf(problem), message: writeFailureMessage(what, problem), retryable };
}

/**
 * Per FHIR connection (one per launch): the writes in flight, and those that succeeded, so a
 * replayed confirm joins the flight or gets the original answer back.
 */
interface Ledger {
  inFlight: Map<string, Promise<WriteOutcome>>;
  written: Map<string, WriteOutcome>;
}
const ledgers = new WeakMap<FhirGateway, Ledger>();

function ledgerOf(gateway: FhirGateway): Ledger {
  let ledger = ledgers.get(gateway);
  if (!ledger) {
    ledger = { inFlight: new Map(), written: new Map() };
    ledgers.set(gateway, ledger);
  }
  return ledger;
}

/**
 * Writes the gap's action resource and its Provenance, exactly once per patient, rule and due
 * period however often it is called: calls with the same identifier share one flight; the server
 * is asked with conditional create; unknown outcomes are re-queried before any retry.
 */
export function writeAction(gateway: FhirGateway, gap: OpenGap, params: WriteParams, options: WriteOptions = {}): Promise<WriteOutcome> {
  const identifier = actionIdentifier(params, gap);
  const key = `${identifier.system}|${identifier.value}`;
  const { inFlight, written } = ledgerOf(gateway);
  const done = written.get(key);
  if (done) return Promise.resolve(done);
  const existing = inFlight.get(key);
  if (existing) return existing;
  const opts: Required<WriteOptions> = { maxAttempts: options.maxAttempts ?? 3, sleep: options.sleep ?? defaultSleep, random: options.random ?? Math.random };
  const what = gap.action.resourceType === 'Task' ? 'task' : 'order';
  const flight = (async (): Promise<WriteOutcome> => {
    try {
      const action = buildActionResource(gap, params);
      const { resource, created } = await ensure<ActionResource>(gateway, action, identifierQuery(identifier), opts);
      const target = { reference: versioned(resource) };
      const provenance = buildProvenance(gap, params, target);
      try {
        const written = await ensure<Provenance>(gateway, provenance, `target=${encodeURIComponent(target.reference)}`, opts);
        return { kind: 'written', resource, reference: target.reference, created, provenance: written.resource };
      } catch (error) {
        const outcome = failed('provenance record', error);
        // The action itself is in the EHR; a retry finds it and only adds the Provenance.
        return outcome.kind === 'failed' ? { ...outcome, retryable: true, message: `The ${what} was saved, but its provenance record was not. ${outcome.message} Retrying completes it without a second ${what}.` } : outcome;
      }
    } catch (error) {
      return failed(what, error);
    }
  })();
  inFlight.set(key, flight);
  void flight.then((outcome) => {
    inFlight.delete(key);
    if (outcome.kind === 'written') written.set(key, outcome);
  });
  return flight;
}
