import { resourceScope } from '../shared/smart-scopes';
import type Client from 'fhirclient/lib/Client';
import { FhirRequestError, type FhirCall, type FhirGateway, type FhirReply } from '../fhir/gateway';
import type { Problem } from './problem';

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

/** `Retry-After` as seconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function retryAfterSeconds(value: string | null, now: number = Date.now()): number | null {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

function describe(url: string): string {
  const path = url.replace(/^https?:\/\/[^/]+/, '').split('?')[0] ?? url;
  const type = /([A-Z][A-Za-z]+)(?:\/[^/]*)?\/?$/.exec(path)?.[1];
  return type ?? 'the record';
}

/** Classifies a failed call; exported for tests. */
export function classifyFailure(error: unknown, call: FhirCall, timedOut: boolean): FhirRequestError {
  const what = describe(call.url);
  if (timedOut) return new FhirRequestError({ kind: 'timeout', what }, null);
  if (isHttpError(error)) {
    const outcome = outcomeText(error.message);
    const status = error.status;
    let problem: Problem;
    if (status === 401) problem = { kind: 'unauthorized', what };
    else if (status === 403) {
      problem = { kind: 'forbidden', what, missingScope: missingScopeFrom(error.response?.headers.get('www-authenticate') ?? null, outcome) };
    } else if (status >= 500 || status === 429) problem = { kind: 'server-error', what, status };
    else problem = { kind: 'server-error', what, status };
    return new FhirRequestError(problem, status, outcome, retryAfterSeconds(error.response?.headers.get('retry-after') ?? null));
  }
  // fetch() rejects with a TypeError when the server cannot be reached at all (DNS, refused, CORS).
  // (node-fetch, which fhirclient uses outside browsers, calls it FetchError.)
  if (error instanceof Error && (error.name === 'TypeError' || error.name === 'FetchError')) return new FhirRequestError({ kind: 'unreachable', url: describe(call.url) }, null);
  // fhirclient throws plain Errors when a due token refresh cannot happen or is refused.
  if (error instanceof Error && /refresh/i.test(error.message)) return new FhirRequestError({ kind: 'session-expired' }, null);
  return new FhirRequestError({ kind: 'unknown', detail: `Reading ${what} failed.` }, null);
}

/**
 * A {@link FhirGateway} over an authorized fhirclient Client: adds the token (refreshing it first
 * when it nears expiry and a refresh token was granted), a per-call timeout, and turns failures
 * into {@link FhirRequestError}.
 */
export function clientGateway(client: Client, timeoutMs: number, now: () => number = Date.now): FhirGateway {
  return {
    serverUrl: String(client.state.serverUrl),
    async request<T>(call: FhirCall): Promise<FhirReply<T>> {
      const expiresAt = Number(client.state.expiresAt ?? 0);
      const canRefresh = Boolean(client.state.tokenResponse?.refresh_token);
      if (expiresAt && expiresAt <= now() / 1000 && !canRefresh) {
        throw new FhirRequestError({ kind: 'session-expired' }, null);
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
