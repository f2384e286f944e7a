/** The CapabilityStatement served at `<base>/fhir/metadata`, with the SMART OAuth endpoints. */
import type { CapabilityStatement, ResourceType } from '@medplum/fhirtypes';
import type { EhrState } from '../state.ts';
import { patientCompartmentTypes } from './compartment.ts';

export function capabilityStatement(ctx: EhrState): CapabilityStatement {
  const types = [...patientCompartmentTypes(), 'Patient', 'Practitioner', 'Organization'].sort();
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: '2026-01-01',
    kind: 'instance',
    software: { name: 'Careloop sandbox EHR', version: '0.1.0' },
    implementation: { description: 'Careloop sandbox EHR (local, synthetic data)', url: ctx.fhirBase },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    rest: [
      {
        mode: 'server',
        security: {
          cors: true,
          service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }] }],
          extension: [
            {
              url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
              extension: [
                { url: 'authorize', valueUri: `${ctx.baseUrl}/auth/authorize` },
                { url: 'token', valueUri: `${ctx.baseUrl}/auth/token` },
                { url: 'introspect', valueUri: `${ctx.baseUrl}/auth/introspect` },
              ],
            },
          ],
        },
        resource: types.map((type) => ({
          type: type as ResourceType,
          interaction: [{ code: 'read' }, { code: 'vread' }, { code: 'search-type' }, { code: 'create' }, { code: 'update' }, { code: 'delete' }, { code: 'history-instance' }],
          versioning: 'versioned',
          readHistory: true,
          updateCreate: true,
          conditionalCreate: true,
          searchParam: [
            { name: '_id', type: 'token' },
            { name: '_lastUpdated', type: 'date' },
            { name: '_count', type: 'number' },
          ],
        })),
      },
    ],
  };
}
