/**
 * Every failure that crosses one of Careloop's boundaries (the launch, the FHIR server, the audit
 * API) as one closed union, one error class that carries it, and one normaliser that turns anything
 * thrown into it — the pattern of medplum core's `OperationOutcomeError` and
 * `normalizeOperationOutcome(unknown)`. {@link isTransient} is the one rule every retry loop asks
 * (app/query-client.ts, writeback/, audit/); the words a clinician reads for each case come from one
 * place (./problem-copy.ts). Problems never carry tokens or resource contents.
 *
 * Isomorphic and dependency-free, so app/, smart/, fhir/, writeback/, audit/ and features/ all
 * import it from here without importing each other.
 */
export type Problem =
  // ── Launch: the configuration, the SMART launch and the browser ──────────────────────────────
  | { kind: 'config-missing'; url: string; detail: string }
  | { kind: 'config-invalid'; url: string; fields: string[] }
  | { kind: 'no-launch' }
  /** The browser denies storage to the app (third-party storage blocked in the EHR's iframe). */
  | { kind: 'storage-blocked'; openUrl: string | null }
  | { kind: 'launch-invalid'; detail: string }
  /**
   * The EHR refused: at the authorization endpoint (the redirect's `error`) or the token endpoint
   * (its JSON `error`, with the HTTP status). `error` and `description` are the server's, whole, shown
   * as text behind "Details".
   */
  | { kind: 'auth-denied'; stage: 'authorize' | 'token'; error: string; description: string | null; status: number | null }
  | { kind: 'state-missing' }
  | { kind: 'session-expired' }
  | { kind: 'no-patient' }
  | { kind: 'discovery-failed'; url: string; detail: string }
  | { kind: 'pkce-unsupported'; url: string }
  // ── A request's answer (`what`: the resource type or service it was for) ─────────────────────
  /** 401: the server no longer accepts the access token. */
  | { kind: 'unauthorized'; what: string }
  /** 403: the token lacks a permission; `missingScope` when the server named it. */
  | { kind: 'forbidden'; what: string; missingScope: string | null }
  /** 404 or 410. */
  | { kind: 'not-found'; what: string }
  /** 409: another change got there first. */
  | { kind: 'conflict'; what: string; detail: string | null }
  /** 412: `If-Match` on a stale version, or a conditional create that matched several. */
  | { kind: 'precondition-failed'; what: string }
  /** 429 (and 425): asked to come back later; `retryAfter` in seconds when the server said. */
  | { kind: 'rate-limited'; what: string; status: number; retryAfter: number | null }
  /** Any other refusal of the request as sent (400, 405, 415, 422 …); `detail` is the server's OperationOutcome text. */
  | { kind: 'invalid'; what: string; status: number; detail: string | null }
  /** 5xx; `retryAfter` (seconds) when a 503 said how long to wait. */
  | { kind: 'server-error'; what: string; status: number; retryAfter: number | null }
  /** The server answered, but not with what was asked for (malformed JSON, another resource, no Bundle). */
  | { kind: 'bad-response'; what: string; status: number | null; detail: string }
  /** No answer in time (the client's own timeout, or 408). */
  | { kind: 'timeout'; what: string }
  /** No answer at all: the network is down, or the server cannot be reached (DNS, refused, CORS). */
  | { kind: 'offline'; url: string }
  | { kind: 'unknown'; detail: string };

/**
 * The one error class for a {@link Problem}: throw it at a boundary, read it back with
 * {@link toProblem}. It keeps no `cause`: what was thrown underneath may carry URLs, bodies or
 * tokens, and an error is the kind of thing that ends up in a log.
 */
export class ProblemError extends Error {
  constructor(readonly problem: Problem) {
    const status = statusOf(problem);
    super(`${problem.kind}${status !== null ? ` (HTTP ${status})` : ''}`);
    this.name = 'ProblemError';
  }
}

/** What a failed request was about, for the Problem's `what`/`url` and the headers it answered with. */
export interface ProblemAbout {
  /** The resource type or service (`Patient`, `Task`, `the audit trail`). Default `the record`. */
  what?: string;
  /** Where the request went, for `offline`. Default: `what`. */
  url?: string;
  /** The scope the server said is missing (403), when the caller could read it. */
  missingScope?: string | null;
  /** Plain text from the server's OperationOutcome, if any (never a resource body). */
  detail?: string | null;
  /** The answer's headers (`Retry-After`). */
  headers?: Pick<Headers, 'get'> | null;
}

/**
 * An HTTP error status as a Problem: 401 `unauthorized`, 403 `forbidden`, 404/410 `not-found`,
 * 408 `timeout`, 409 `conflict`, 412 `precondition-failed`, 425/429 `rate-limited`, 5xx
 * `server-error`, any other 4xx `invalid`.
 *
 * @example
 * problemFromStatus(429, { what: 'Task', headers: response.headers }) // { kind: 'rate-limited', what: 'Task', status: 429, retryAfter: 7 }
 */
export function problemFromStatus(status: number, about: ProblemAbout = {}): Problem {
  const what = about.what ?? 'the record';
  const retryAfter = retryAfterSeconds(about.headers?.get('retry-after') ?? null);
  if (status === 401) return { kind: 'unauthorized', what };
  if (status === 403) return { kind: 'forbidden', what, missingScope: about.missingScope ?? null };
  if (status === 404 || status === 410) return { kind: 'not-found', what };
  if (status === 408) return { kind: 'timeout', what };
  if (status === 409) return { kind: 'conflict', what, detail: about.detail ?? null };
  if (status === 412) return { kind: 'precondition-failed', what };
  // 425 Too Early (RFC 8470) asks for the same request later, as 429 does.
  if (status === 425 || status === 429) return { kind: 'rate-limited', what, status, retryAfter };
  if (status >= 500) return { kind: 'server-error', what, status, retryAfter };
  if (status >= 400) return { kind: 'invalid', what, status, detail: about.detail ?? null };
  // A success or redirect status handed in as a failure: the body was not what was asked for.
  return { kind: 'bad-response', what, status, detail: about.detail ?? 'The server answered with something unexpected.' };
}

/** The HTTP status a Problem stands for, where it came from one (for audit entries and messages). */
export function statusOf(problem: Problem): number | null {
  switch (problem.kind) {
    case 'unauthorized':
      return 401;
    case 'forbidden':
      return 403;
    case 'not-found':
      return 404;
    case 'conflict':
      return 409;
    case 'precondition-failed':
      return 412;
    case 'rate-limited':
    case 'invalid':
    case 'server-error':
    case 'bad-response':
      return problem.status;
    case 'auth-denied':
      return problem.status;
    default:
      return null;
  }
}

/**
 * The one rule for "may the same request succeed if sent again, unchanged?": yes after a timeout,
 * no connection, a 5xx or being asked to slow down (429, honouring {@link retryAfterMs}); never after
 * a refusal (401, 403, 404, 409, 412, other 4xx) or an answer that could not be read. A write asks
 * this too, but looks before it sends again (writeback/write-action.ts).
 */
export function isTransient(problem: Problem): boolean {
  switch (problem.kind) {
    case 'rate-limited':
    case 'server-error':
    case 'timeout':
    case 'offline':
      return true;
    case 'unauthorized':
    case 'forbidden':
    case 'not-found':
    case 'conflict':
    case 'precondition-failed':
    case 'invalid':
    case 'bad-response':
    case 'config-missing':
    case 'config-invalid':
    case 'no-launch':
    case 'storage-blocked':
    case 'launch-invalid':
    case 'auth-denied':
    case 'state-missing':
    case 'session-expired':
    case 'no-patient':
    case 'discovery-failed':
    case 'pkce-unsupported':
    case 'unknown':
      return false;
  }
}

/** How long the server asked to wait before the next attempt (`Retry-After`), in ms; null when it did not say. */
export function retryAfterMs(problem: Problem): number | null {
  if ((problem.kind === 'rate-limited' || problem.kind === 'server-error') && problem.retryAfter !== null) return problem.retryAfter * 1000;
  return null;
}

/** `Retry-After` as seconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3); null when absent or unreadable. */
export function retryAfterSeconds(value: string | null, now: number = Date.now()): number | null {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

/** What browsers and Node say when fetch got no answer at all (Chrome, Firefox, Safari, undici, node). */
const NETWORK_FAILURE = /Failed to fetch|NetworkError|Load failed|fetch failed|ECONNREFUSED|ECONNRESET|ENOTFOUND/i;

/** FHIR issue types (OperationOutcome.issue.code) as the Problem they report. */
function problemFromOutcome(code: string, about: Required<Pick<ProblemAbout, 'what'>> & ProblemAbout, text: string | null): Problem {
  const { what } = about;
  switch (code) {
    case 'login':
    case 'unknown':
    case 'expired':
      return { kind: 'unauthorized', what };
    case 'security':
    case 'forbidden':
    case 'suppressed':
      return { kind: 'forbidden', what, missingScope: about.missingScope ?? null };
    case 'not-found':
    case 'deleted':
      return { kind: 'not-found', what };
    case 'conflict':
      return { kind: 'conflict', what, detail: text };
    case 'duplicate':
      return { kind: 'precondition-failed', what };
    case 'throttled':
      return { kind: 'rate-limited', what, status: 429, retryAfter: null };
    case 'timeout':
      return { kind: 'timeout', what };
    case 'transient':
    case 'lock-error':
    case 'no-store':
    case 'exception':
      return { kind: 'server-error', what, status: 500, retryAfter: null };
    default:
      return { kind: 'invalid', what, status: 400, detail: text };
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** The `headers` of a Response-like value (duck-typed: fetch implementations differ between realms). */
function headersOf(value: Record<string, unknown>): Pick<Headers, 'get'> | null {
  const headers = value.headers;
  return isRecord(headers) && typeof headers.get === 'function' ? (headers as unknown as Pick<Headers, 'get'>) : null;
}

/** The first issue's code and the issues' texts of an OperationOutcome, or null for anything else. */
function readOutcome(value: unknown): { code: string; text: string | null } | null {
  if (!isRecord(value) || value.resourceType !== 'OperationOutcome' || !Array.isArray(value.issue)) return null;
  const issues = value.issue.filter(isRecord);
  const texts = issues
    .map((i) => (typeof i.diagnostics === 'string' ? i.diagnostics : isRecord(i.details) && typeof i.details.text === 'string' ? i.details.text : null))
    .filter((t): t is string => t !== null);
  const code = issues.find((i) => typeof i.code === 'string')?.code;
  return { code: typeof code === 'string' ? code : 'exception', text: texts.join('; ').slice(0, 300) || null };
}

/**
 * Anything thrown, as a Problem, without leaking text that is not ours into it beyond a bounded
 * `unknown` detail:
 * - a {@link ProblemError}: its Problem;
 * - an HTTP error with a numeric `status` (fhirclient's `HttpError`, a thrown `Response`):
 *   {@link problemFromStatus}, with its `Retry-After`;
 * - an OperationOutcome resource: by its first issue's code;
 * - a `TimeoutError` (`AbortSignal.timeout`): `timeout`;
 * - a `SyntaxError` (a body that is not JSON): `bad-response`;
 * - fetch's network failure (`TypeError: Failed to fetch` …, node-fetch's `FetchError`): `offline`;
 * - any other Error, string or value: `unknown`.
 *
 * @param about what the failed work was for, when the caller knows (`what`, `url`, headers).
 */
export function toProblem(error: unknown, about: ProblemAbout = {}): Problem {
  const what = about.what ?? 'the record';
  if (error instanceof ProblemError) return error.problem;
  if (isRecord(error) && typeof error.status === 'number' && error.status >= 100) {
    return problemFromStatus(error.status, { ...about, what, headers: about.headers ?? headersOf(error) ?? (isRecord(error.response) ? headersOf(error.response) : null) });
  }
  const outcome = readOutcome(error);
  if (outcome) return problemFromOutcome(outcome.code, { ...about, what }, outcome.text);
  if (isRecord(error) && error.name === 'TimeoutError') return { kind: 'timeout', what };
  if (error instanceof SyntaxError) return { kind: 'bad-response', what, status: null, detail: 'The answer was not valid JSON.' };
  if (error instanceof Error && (error.name === 'FetchError' || (error.name === 'TypeError' && NETWORK_FAILURE.test(error.message)))) {
    return { kind: 'offline', url: about.url ?? what };
  }
  if (error instanceof Error) return { kind: 'unknown', detail: error.message.slice(0, 200) };
  if (typeof error === 'string') return { kind: 'unknown', detail: error.slice(0, 200) };
  return { kind: 'unknown', detail: 'Unexpected error' };
}
