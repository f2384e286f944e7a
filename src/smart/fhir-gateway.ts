import { resourceScope } from '../shared/smart-scopes';
import type Client from 'fhirclient/lib/Client';
import { ProblemError, problemFromStatus, toProblem } from '../shared/problem';

/** One FHIR REST call, as the app's data layer sees it. */
export interface FhirCall {
  /** Relative to the FHIR base (`Patient/123`, `Task?patient=…`) or an absolute `next` link. */
  url: string;
  method?: 'GET' | 'POST' | 'PUT';
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface FhirReply<T> {
  status: number;
  body: T;
  headers: Headers;
}

/**
 * The app's only way to the FHIR server (src/fhir/ re-exports it from gateway.ts): the session's
 * connection, implemented below over fhirclient (token, refresh, base URL); tests implement it over
 * msw. Declared here, beside its implementation, so that smart/ never imports fhir/ (fhir/ reads the
 * launch context from smart/, not the other way round). Failures reject with a `ProblemError`.
 */
export interface FhirGateway {
  readonly serverUrl: string;
  request<T>(call: FhirCall): Promise<FhirReply<T>>;
}

interface HttpErrorLike {
  status: number;
  message: string;
  response?: Response;
}

function isHttpError(error: unknown): error is HttpErrorLike {
  return error instanceof Error && typeof (error as Partial<HttpErrorLike>).status === 'number';
}

/**
 * The scope the server says is missing, from `WWW-Authenticate: Bearer error="insufficient_scope",
 * scope="…"` (RFC 6750 §3) or an OperationOutcome that names one.
 */
export function missingScopeFrom(wwwAuthenticate: string | null, outcome: string | null): string | null {
  const header = wwwAuthenticate ? /scope="([^"]+)"/.exec(wwwAuthenticate) : null;
  if (header?.[1]) return header[1];
  // The first word of the diagnostics that is a resource scope, without the quotes or
  // punctuation around it ("… needs 'patient/Task.c'." names patient/Task.c).
  const words = outcome ? outcome.split(/\s+/).map((w) => w.replace(/^[("'`]+|[)"'`.,;:!]+$/g, '')) : [];
  return words.find((w) => resourceScope(w) !== null) ?? null;
}

/** Extracts OperationOutcome diagnostics from fhirclient's HttpError message (it embeds the JSON body). */
export function outcomeText(message: string): string | null {
  const start = message.indexOf('{');
  if (start < 0) return null;
  try {
    const body: unknown = JSON.parse(message.slice(start));
    if (body && typeof body === 'object' && (body as { resourceType?: unknown }).resourceType === 'OperationOutcome') {
      const issues = (body as { issue?: unknown }).issue;
      if (Array.isArray(issues)) {
        const texts = issues
          .map((issue: unknown) => {
            if (!issue || typeof issue !== 'object') return null;
            const i = issue as { diagnostics?: unknown; details?: { text?: unknown } };
            return typeof i.diagnostics === 'string' ? i.diagnostics : typeof i.details?.text === 'string' ? i.details.text : null;
          })
          .filter((t): t is string => t !== null);
        return texts.join('; ').slice(0, 300) || null;
      }
    }
  } catch {
    // not JSON: nothing to extract
  }
  return null;
}

function describe(url: string): string {
  const path = url.replace(/^https?:\/\/[^/]+/, '').split('?')[0] ?? url;
  const type = /([A-Z][A-Za-z]+)(?:\/[^/]*)?\/?$/.exec(path)?.[1];
  return type ?? 'the record';
}

/**
 * A failed call as a {@link ProblemError}: the shared normaliser ({@link toProblem}) with what only
 * this adapter knows — the call's resource type, that fhirclient's `HttpError` embeds the
 * OperationOutcome in its message, that a TypeError from the request means no answer came back,
 * and that a refresh that cannot happen means the session has ended. Exported for tests.
 */
export function classifyFailure(error: unknown, call: FhirCall, timedOut: boolean): ProblemError {
  const what = describe(call.url);
  if (timedOut) return new ProblemError({ kind: 'timeout', what });
  if (isHttpError(error)) {
    const outcome = outcomeText(error.message);
    const headers = error.response?.headers ?? null;
    const missingScope = error.status === 403 ? missingScopeFrom(headers?.get('www-authenticate') ?? null, outcome) : null;
    return new ProblemError(problemFromStatus(error.status, { what, headers, detail: outcome, missingScope }));
  }
  // fetch() rejects with a TypeError when the server cannot be reached at all (DNS, refused, CORS).
  // (node-fetch, which fhirclient uses outside browsers, calls it FetchError.)
  if (error instanceof Error && (error.name === 'TypeError' || error.name === 'FetchError')) return new ProblemError({ kind: 'offline', url: what });
  // fhirclient throws plain Errors when a due token refresh cannot happen or is refused.
  if (error instanceof Error && /refresh/i.test(error.message)) return new ProblemError({ kind: 'session-expired' });
  const problem = toProblem(error, { what });
  return new ProblemError(problem.kind === 'unknown' ? { kind: 'unknown', detail: `Reading ${what} failed.` } : problem);
}

/**
 * A {@link FhirGateway} over an authorized fhirclient Client: adds the token (refreshing it first
 * when it nears expiry and a refresh token was granted), a per-call timeout, and turns failures
 * into a {@link ProblemError}.
 */
export function clientGateway(client: Client, timeoutMs: number, now: () => number = Date.now): FhirGateway {
  return {
    serverUrl: String(client.state.serverUrl),
    async request<T>(call: FhirCall): Promise<FhirReply<T>> {
      const expiresAt = Number(client.state.expiresAt ?? 0);
      const canRefresh = Boolean(client.state.tokenResponse?.refresh_token);
      if (expiresAt && expiresAt <= now() / 1000 && !canRefresh) {
        throw new ProblemError({ kind: 'session-expired' });
      }
      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = call.signal ? AbortSignal.any([call.signal, timeout]) : timeout;
      const headers: Record<string, string> = { accept: 'application/fhir+json', ...call.headers };
      if (call.body !== undefined) headers['content-type'] = 'application/fhir+json';
      try {
        const result: unknown = await client.request(
          {
            url: call.url,
            method: call.method ?? 'GET',
            headers,
            ...(call.body !== undefined ? { body: JSON.stringify(call.body) } : {}),
            signal,
            includeResponse: true,
          },
          { graph: false, pageLimit: 1 },
        );
        const { body, response } = result as { body: T; response: Response };
        return { status: response.status, body, headers: response.headers };
      } catch (error) {
        if (call.signal?.aborted) throw error;
        throw classifyFailure(error, call, timeout.aborted);
      }
    },
  };
}
