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
 * base URL); tests implement it over msw. Failures reject with a `ProblemError` (src/shared/problem.ts).
 */
export interface FhirGateway {
  readonly serverUrl: string;
  request<T>(call: FhirCall): Promise<FhirReply<T>>;
}

/** GET a resource or Bundle and return its body. */
export async function fhirGet<T>(gateway: FhirGateway, url: string, signal?: AbortSignal): Promise<T> {
  const reply = await gateway.request<T>({ url, ...(signal ? { signal } : {}) });
  return reply.body;
}
