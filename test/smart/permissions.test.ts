import { describe, expect, it } from 'vitest';
import { canSearch, isClinician, scopeAllows, searchNarrowedTo, writeBlock, type Interaction } from '../../src/smart/permissions.ts';

describe('granted scopes', () => {
  it.each<[string, string, Interaction, boolean]>([
    ['patient/Task.cu', 'Task', 'c', true],
    ['patient/Task.cu', 'Task', 'r', false],
    ['patient/Task.rs', 'Task', 's', true],
    ['patient/*.cruds', 'Provenance', 'c', true],
    ['user/*.rs', 'Observation', 's', true],
    ['user/*.rs', 'Observation', 'c', false],
    ['patient/Observation.rs?category=laboratory', 'Observation', 's', true],
    ['patient/Task.read', 'Task', 's', true],
    ['patient/Task.read', 'Task', 'c', false],
    ['patient/Task.write', 'Task', 'c', true],
    ['patient/*.*', 'ServiceRequest', 'c', true],
    ['system/*.cruds', 'Task', 'c', false],
    ['patient/Observation.r', 'Observation', 's', false],
    ['launch', 'Task', 'r', false],
    ['patient/Task.', 'Task', 'r', false],
  ])('%s on %s allows %s: %s', (scope, type, interaction, allowed) => {
    expect(scopeAllows([scope], type, interaction)).toBe(allowed);
  });

  it('searches a type only with a search (or v1 read) permission on it', () => {
    expect(canSearch(['patient/Immunization.rs'], 'Immunization')).toBe(true);
    expect(canSearch(['patient/Observation.rs'], 'Immunization')).toBe(false);
  });

  it('knows a type the scopes let it search only in part, in the patient or the user context', () => {
    expect(searchNarrowedTo(['patient/Observation.rs?category=laboratory'], 'Observation')).toEqual(['category=laboratory']);
    expect(searchNarrowedTo(['patient/Observation.rs?category=laboratory', 'user/Observation.rs?category=vital-signs'], 'Observation')).toEqual(['category=laboratory', 'category=vital-signs']);
    expect(searchNarrowedTo(['patient/Observation.rs?category=laboratory', 'user/Observation.read'], 'Observation')).toBeNull();
    expect(searchNarrowedTo(['patient/*.rs'], 'Observation')).toBeNull();
  });
});

describe('who Careloop writes for', () => {
  it('takes Practitioner and PractitionerRole as clinicians, and no one else', () => {
    expect(['Practitioner/1', 'PractitionerRole/2', 'https://ehr.example.org/fhir/Practitioner/3'].map(isClinician)).toEqual([true, true, true]);
    expect(['Patient/ada', 'RelatedPerson/x', 'Person/y', null, '', 'Practitioner'].map(isClinician)).toEqual([false, false, false, false, false, false]);
  });

  it('blocks a write for a non-clinician before looking at scopes, then names the missing create scopes', () => {
    expect(writeBlock('Patient/ada', ['patient/*.cruds'], 'Task')).toEqual({ kind: 'not-clinician', userType: 'Patient' });
    expect(writeBlock(null, ['patient/*.cruds'], 'Task')).toEqual({ kind: 'not-clinician', userType: null });
    expect(writeBlock('Practitioner/1', ['patient/*.rs'], 'ServiceRequest')).toEqual({ kind: 'missing-scope', scopes: ['patient/ServiceRequest.c', 'patient/Provenance.c'] });
    expect(writeBlock('Practitioner/1', ['patient/Task.cu', 'patient/Provenance.c'], 'Task')).toBeNull();
  });
});
