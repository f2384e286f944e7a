import type { FhirGateway } from '../smart/fhir-gateway';

/**
 * The app's only way to the FHIR server, declared with its fhirclient implementation in
 * src/smart/fhir-gateway.ts; failures reject with a `ProblemError` (src/shared/problem.ts).
 */
export type { FhirCall, FhirGateway, FhirReply } from '../smart/fhir-gateway';

/** GET a resource or Bundle and return its body. */
export async function fhirGet<T>(gateway: FhirGateway, url: string, signal?: AbortSignal): Promise<T> {
  const reply = await gateway.request<T>({ url, ...(signal ? { signal } : {}) });
  return reply.body;
}
