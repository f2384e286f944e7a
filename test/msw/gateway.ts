import Client from 'fhirclient/lib/Client';
import { createAdapter } from '../../src/smart/adapter.ts';
import { clientGateway } from '../../src/smart/fhir-gateway.ts';
import type { FhirGateway } from '../../src/fhir/gateway.ts';

/** The app's real FHIR gateway (fhirclient underneath) with a fixed token, for msw-backed tests. */
export function testGateway(serverUrl: string, timeoutMs = 2000): FhirGateway {
  const client = new Client(createAdapter(), { serverUrl, clientId: 'careloop', tokenResponse: { access_token: 'test-token' } });
  return clientGateway(client, timeoutMs);
}
