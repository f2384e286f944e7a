import { describe, expect, it } from 'vitest';
import { grantScopes, limitScopes } from '../../src/sandbox/auth/scopes.ts';

describe('what the sandbox grants', () => {
  it('grants a requested scope that the allowed scopes cover together, as the client wrote it', () => {
    expect(grantScopes(['patient/Task.rs', 'patient/Task.read'], ['patient/Task.r', 'patient/Task.s'])).toEqual(['patient/Task.rs', 'patient/Task.read']);
  });

  it('does not widen a scope the client is allowed only with a query', () => {
    const allowed = ['patient/Observation.rs?category=laboratory'];
    expect(grantScopes(['patient/Observation.rs', 'patient/Observation.rs?category=laboratory'], allowed)).toEqual(['patient/Observation.rs?category=laboratory']);
  });

  it('drops malformed, unknown and unallowed scopes, and duplicates', () => {
    expect(grantScopes(['patient/Task.sr', 'patient/Task.', 'smart/orchestrate_launch', 'openid', 'openid', 'offline_access'], ['patient/*.cruds', 'openid'])).toEqual(['openid']);
  });

  it('narrows a launch to its limit: a requested scope the limit has only with a query is granted with that query', () => {
    const requested = ['launch', 'patient/Observation.rs', 'patient/Condition.rs', 'patient/Task.cu', 'patient/*.rs'];
    const limit = ['launch', 'patient/Observation.rs?category=laboratory', 'patient/Observation.c?category=survey', 'patient/Condition.rs', 'patient/Task.c'];
    expect(limitScopes(requested, limit)).toEqual(['launch', 'patient/Condition.rs', 'patient/Observation.rs?category=laboratory']);
  });
});
