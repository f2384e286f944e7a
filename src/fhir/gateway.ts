import type { Problem } from '../smart/problem';

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
 * The app's only way to the FHIR server. src/smart implements it over fhirclient (token, refresh,
 * base URL); tests implement it over msw. Failures reject with {@link FhirRequestError}.
 */
export interface FhirGateway {
  readonly serverUrl: string;
  request<T>(call: FhirCall): Promise<FhirReply<T>>;
}

/** A FHIR call that failed, classified for the clinician-facing screens. */
export class FhirRequestError extends Error {
  constructor(
    readonly problem: Problem,
    readonly status: number | null,
    /** Plain text from the server's OperationOutcome, if any (never a resource body). */
    readonly outcome: string | null = null,
    /** Seconds the server asked to wait (`Retry-After` on 429/503), if it said. */
    readonly retryAfter: number | null = null,
  ) {
    super(`${problem.kind}${status ? ` (HTTP ${status})` : ''}`);
    this.name = 'FhirRequestError';
  }
}

/** GET a resource or Bundle and return its body. */
export async function fhirGet<T>(gateway: FhirGateway, url: string, signal?: AbortSignal): Promise<T> {
  const reply = await gateway.request<T>({ url, ...(signal ? { signal } : {}) });
  return reply.body;
}
