import { describe, expect, it } from 'vitest';
import { missingScopeFrom } from '../../src/smart/fhir-gateway';

describe('the scope a 403 says is missing', () => {
  it('takes the WWW-Authenticate scope first', () => {
    expect(missingScopeFrom('Bearer error="insufficient_scope", scope="patient/Task.c"', 'needs patient/Provenance.c')).toBe('patient/Task.c');
  });

  it.each([
    ['The token lacks patient/Task.c.', 'patient/Task.c'],
    ["Scope 'patient/ServiceRequest.c' is required", 'patient/ServiceRequest.c'],
    ['requires (user/*.write)', 'user/*.write'],
    ['needs patient/Observation.rs?category=laboratory, which was not granted', 'patient/Observation.rs?category=laboratory'],
  ])('finds the scope in the OperationOutcome text "%s"', (text, scope) => {
    expect(missingScopeFrom(null, text)).toBe(scope);
  });

  it('names no scope when the text holds none that is well formed', () => {
    expect(missingScopeFrom(null, 'needs patient/Task.sr or patient/Task.')).toBeNull();
    expect(missingScopeFrom(null, 'Forbidden')).toBeNull();
    expect(missingScopeFrom(null, null)).toBeNull();
  });
});
