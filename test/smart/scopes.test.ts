import { describe, expect, it } from 'vitest';
import { requestedScopes, supportsV2, toV1Scopes, type SmartConfiguration } from '../../src/smart/scopes';

const server = (over: Partial<SmartConfiguration>): SmartConfiguration => ({
  authorization_endpoint: 'a',
  token_endpoint: 't',
  capabilities: [],
  code_challenge_methods_supported: ['S256'],
  ...over,
});

describe('scopes', () => {
  it.each([
    [['patient/Task.rs'], ['patient/Task.read']],
    [['patient/Task.cu'], ['patient/Task.write']],
    [['patient/Task.cruds'], ['patient/Task.read', 'patient/Task.write']],
    [['patient/Task.rs', 'patient/Task.r'], ['patient/Task.read']],
    [['openid', 'fhirUser', 'launch'], ['openid', 'fhirUser', 'launch']],
  ])('converts %j to v1 %j', (v2, v1) => {
    expect(toV1Scopes(v2)).toEqual(v1);
  });

  it('leaves a scope narrowed by a query, and anything that is not a scope, as it is', () => {
    expect(toV1Scopes(['patient/Observation.rs?category=laboratory', 'patient/Task.sr'])).toEqual(['patient/Observation.rs?category=laboratory', 'patient/Task.sr']);
  });

  it('takes a scope with a query in scopes_supported as v2, and a malformed one as nothing', () => {
    expect(supportsV2(server({ scopes_supported: ['patient/*.read', 'patient/Observation.rs?category=laboratory'] }))).toBe(true);
    expect(supportsV2(server({ scopes_supported: ['patient/*.read', 'patient/Task.sr'] }))).toBe(false);
  });

  it('treats permission-v2 or a v2 scope in scopes_supported as v2', () => {
    expect(supportsV2(server({ capabilities: ['permission-v2'] }))).toBe(true);
    expect(supportsV2(server({ scopes_supported: ['patient/*.rs'] }))).toBe(true);
  });

  it('treats a server that only says v1 as v1', () => {
    expect(supportsV2(server({ capabilities: ['permission-v1'] }))).toBe(false);
    expect(supportsV2(server({ scopes_supported: ['patient/*.read'] }))).toBe(false);
  });

  it('asks for launch in an EHR launch and launch/patient with launch/encounter in a standalone one, once each', () => {
    const v2 = server({ capabilities: ['permission-v2'] });
    expect(requestedScopes(['launch', 'patient/Patient.r'], 'ehr', v2)).toBe('launch patient/Patient.r');
    expect(requestedScopes(['patient/Patient.r'], 'standalone', v2)).toBe('launch/patient launch/encounter patient/Patient.r');
    expect(requestedScopes(['launch/encounter', 'patient/Patient.r'], 'standalone', v2)).toBe('launch/patient launch/encounter patient/Patient.r');
    expect(requestedScopes(['patient/Patient.r'], 'standalone', server({ capabilities: ['permission-v1'] }))).toBe('launch/patient launch/encounter patient/Patient.read');
  });
});
