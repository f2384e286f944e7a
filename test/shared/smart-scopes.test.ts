/**
 * The SMART scope grammar, table-driven from the examples of SMART App Launch 2.2, "Scopes and
 * Launch Context" (https://hl7.org/fhir/smart-app-launch/STU2.2/scopes-and-launch-context.html).
 */
import { describe, expect, it } from 'vitest';
import {
  covers,
  narrowedTo,
  formatScope,
  formatScopeV1,
  parseScope,
  permits,
  splitScopes,
  type Interaction,
  type ResourceScope,
  type ScopeContext,
} from '../../src/shared/smart-scopes.ts';

type Parsed = Omit<ResourceScope, 'kind' | 'interactions'> & { interactions: string };

const resource = (raw: string): ResourceScope => {
  const parsed = parseScope(raw);
  if (!parsed.ok || parsed.scope.kind !== 'resource') throw new Error(`${raw} is not a resource scope`);
  return parsed.scope;
};

describe('the spec’s resource scopes parse', () => {
  it.each<[string, string, Parsed]>([
    // Quick start
    ['patient/*.rs', 'read and search any resource for the current patient', { context: 'patient', type: '*', interactions: 'rs', query: null, syntax: 'v2' }],
    ['user/*.cruds', 'read and write all resources the current user can access', { context: 'user', type: '*', interactions: 'cruds', query: null, syntax: 'v2' }],
    // Scopes for requesting clinical data
    ['patient/Observation.cu', 'create and update observations', { context: 'patient', type: 'Observation', interactions: 'cu', query: null, syntax: 'v2' }],
    ['patient/Observation.rs', 'read and search observations', { context: 'patient', type: 'Observation', interactions: 'rs', query: null, syntax: 'v2' }],
    // Patient-specific scopes
    ['patient/Patient.r', 'read demographics ("patient" the context, "Patient" the resource)', { context: 'patient', type: 'Patient', interactions: 'r', query: null, syntax: 'v2' }],
    ['patient/Observation.c', 'add new blood pressure readings (write does not imply read)', { context: 'patient', type: 'Observation', interactions: 'c', query: null, syntax: 'v2' }],
    ['patient/*.cruds', 'all available data about a patient', { context: 'patient', type: '*', interactions: 'cruds', query: null, syntax: 'v2' }],
    // User-level scopes
    ['user/Observation.rs', 'a feed of new lab observations across a population', { context: 'user', type: 'Observation', interactions: 'rs', query: null, syntax: 'v2' }],
    ['user/Appointment.cruds', 'manage appointments the user has access to', { context: 'user', type: 'Appointment', interactions: 'cruds', query: null, syntax: 'v2' }],
    ['user/Patient.rs', 'select a patient', { context: 'user', type: 'Patient', interactions: 'rs', query: null, syntax: 'v2' }],
    // System-level scopes
    ['system/Observation.rs', 'alert engine monitoring lab observations', { context: 'system', type: 'Observation', interactions: 'rs', query: null, syntax: 'v2' }],
    ['system/*.rs', 'bulk data export', { context: 'system', type: '*', interactions: 'rs', query: null, syntax: 'v2' }],
    ['system/Encounter.cud', 'a V2 ADT feed turned into Encounters', { context: 'system', type: 'Encounter', interactions: 'cud', query: null, syntax: 'v2' }],
    // Wildcard scopes
    ['patient/AllergyIntolerance.cruds', 'read and write a patient’s allergies', { context: 'patient', type: 'AllergyIntolerance', interactions: 'cruds', query: null, syntax: 'v2' }],
    // Finer-grained resource constraints using search parameters (and the experimental features)
    [
      'patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory',
      'read and search laboratory observations only',
      { context: 'patient', type: 'Observation', interactions: 'rs', query: 'category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory', syntax: 'v2' },
    ],
    ['patient/Observation.rs?code:in=http://valueset.example.org/ValueSet/diabetes-codes', 'a search modifier', { context: 'patient', type: 'Observation', interactions: 'rs', query: 'code:in=http://valueset.example.org/ValueSet/diabetes-codes', syntax: 'v2' }],
    ['patient/Observation.rs?patient.birthdate=1990', 'search parameter chaining', { context: 'patient', type: 'Observation', interactions: 'rs', query: 'patient.birthdate=1990', syntax: 'v2' }],
    ['user/Observation.rs?category=laboratory&status=final', 'several param=value items joined by &', { context: 'user', type: 'Observation', interactions: 'rs', query: 'category=laboratory&status=final', syntax: 'v2' }],
    // v1 scopes, processed with their v2 meaning
    ['patient/Observation.read', 'v1 .read ⇒ v2 .rs', { context: 'patient', type: 'Observation', interactions: 'rs', query: null, syntax: 'v1' }],
    ['patient/Observation.write', 'v1 .write ⇒ v2 .cud', { context: 'patient', type: 'Observation', interactions: 'cud', query: null, syntax: 'v1' }],
    ['user/*.*', 'v1 .* ⇒ v2 .cruds', { context: 'user', type: '*', interactions: 'cruds', query: null, syntax: 'v1' }],
  ])('%s (%s)', (raw, _goal, expected) => {
    const scope = resource(raw);
    expect({ ...scope, interactions: scope.interactions.join('') }).toEqual({ kind: 'resource', ...expected });
  });
});

describe('the named scopes parse', () => {
  it.each(['openid', 'fhirUser', 'profile', 'launch', 'launch/patient', 'launch/encounter', 'offline_access', 'online_access'])('%s', (raw) => {
    expect(parseScope(raw)).toEqual({ ok: true, scope: { kind: 'named', name: raw } });
  });
});

describe('a malformed scope is refused with what is wrong with it', () => {
  it.each([
    ['patient/Observation.dus', 'the spec’s example of an out-of-order request', '"dus" is out of order: write "uds"'],
    ['patient/Task.sr', 'out of order', '"sr" is out of order: write "rs"'],
    ['patient/Task.rr', 'a repeated permission', '"rr" is out of order: write "r"'],
    ['patient/Task.', 'no permissions', 'names no permissions after "."'],
    ['patient/Task.rd?', 'a "?" with nothing after it', 'has "?" but no search parameters'],
    ['patient/Observation.rs?category', 'a query part without a value', '"category" in the query is not param=value'],
    ['patient/Observation.rs?category=laboratory&', 'a trailing "&"', '"" in the query is not param=value'],
    ['patient/Observation.read?category=laboratory', 'a v1 scope with a query', 'a v1 permission (".read") takes no "?" query'],
    ['patient/Task.x', 'an unknown permission', '"x" is not a permission'],
    ['patient/Task.readwrite', 'v1 suffixes run together', '"e" is not a permission'],
    ['patient/task.rs', 'a resource type in lower case', '"task" is not a FHIR resource type'],
    ['doctor/Task.rs', 'an unknown context', '"doctor" is not a scope context (patient, user or system)'],
    ['patient/Task', 'no permissions at all', 'has no "." between the resource type and the permissions'],
    ['patient.Immunization.read', 'a "." where the "/" belongs (as the spec’s own text once wrote it)', 'is neither a resource scope'],
    ['launch/diagnosticreport', 'a launch context an EHR may add but Careloop does not ask for', 'is not a launch context this app knows'],
    ['read everything', 'two words', 'contains a space'],
    ['patient/Task.rs"', 'a quote', 'contains a character a scope may not'],
    ['', 'nothing', 'is empty'],
  ])('%s (%s)', (raw, _why, problem) => {
    const parsed = parseScope(raw);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problem).toContain(problem);
  });
});

describe('formatting', () => {
  it.each(['patient/*.rs', 'user/Appointment.cruds', 'system/Encounter.cud', 'patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory'])(
    'writes a v2 scope back as it was: %s',
    (raw) => {
      expect(formatScope(resource(raw))).toBe(raw);
    },
  );

  it.each([
    ['patient/Observation.read', 'patient/Observation.rs'],
    ['patient/Observation.write', 'patient/Observation.cud'],
    ['patient/*.*', 'patient/*.cruds'],
  ])('writes v1 %s as its v2 equivalent %s', (v1, v2) => {
    expect(formatScope(resource(v1))).toBe(v2);
  });

  it('writes named scopes by name, and permissions in cruds order whatever order they were given in', () => {
    expect(formatScope({ kind: 'named', name: 'launch/patient' })).toBe('launch/patient');
    expect(formatScope({ kind: 'resource', context: 'patient', type: 'Task', interactions: ['u', 'c'], query: null, syntax: 'v2' })).toBe('patient/Task.cu');
  });

  it.each([
    ['patient/Task.rs', ['patient/Task.read']],
    ['patient/Task.cu', ['patient/Task.write']],
    ['patient/Task.cruds', ['patient/Task.read', 'patient/Task.write']],
    ['patient/Observation.rs?category=laboratory', ['patient/Observation.rs?category=laboratory']],
  ])('writes %s for a v1-only server as %j', (raw, v1) => {
    expect(formatScopeV1(resource(raw))).toEqual(v1);
  });

  it('splits a scope string on any whitespace', () => {
    expect(splitScopes('  launch openid\tpatient/*.rs\n')).toEqual(['launch', 'openid', 'patient/*.rs']);
    expect(splitScopes(undefined)).toEqual([]);
  });
});

describe('what granted scopes permit', () => {
  it.each<[string, ScopeContext, string, Interaction, boolean]>([
    ['patient/*.rs', 'patient', 'Condition', 'r', true],
    ['patient/*.rs', 'patient', 'Condition', 's', true],
    ['patient/*.rs', 'patient', 'Condition', 'c', false],
    ['patient/*.rs', 'user', 'Condition', 'r', false],
    ['patient/Observation.c', 'patient', 'Observation', 'c', true],
    ['patient/Observation.c', 'patient', 'Observation', 'r', false],
    ['patient/Observation.r', 'patient', 'Observation', 's', false],
    ['patient/Observation.rs', 'patient', 'Condition', 'r', false],
    ['patient/Patient.r', 'patient', 'Patient', 'r', true],
    ['user/Appointment.cruds', 'user', 'Appointment', 'd', true],
    ['system/Encounter.cud', 'system', 'Encounter', 'u', true],
    ['system/Encounter.cud', 'system', 'Encounter', 'r', false],
    // v1: .read is .rs, never .rd (the spec's reason for refusing undefined suffixes)
    ['patient/Observation.read', 'patient', 'Observation', 's', true],
    ['patient/Observation.read', 'patient', 'Observation', 'd', false],
    ['patient/Observation.write', 'patient', 'Observation', 'd', true],
    ['patient/Observation.write', 'patient', 'Observation', 'r', false],
    ['user/*.*', 'user', 'Task', 'c', true],
    // a query narrows which resources, not which interactions
    ['patient/Observation.rs?category=laboratory', 'patient', 'Observation', 's', true],
    ['patient/Observation.rs?category=laboratory', 'patient', 'Observation', 'c', false],
    // malformed scopes permit nothing
    ['patient/Observation.sr', 'patient', 'Observation', 'r', false],
    ['patient/Observation.', 'patient', 'Observation', 'r', false],
    ['launch', 'patient', 'Observation', 'r', false],
  ])('%s permits %s %s %s: %s', (granted, context, type, interaction, expected) => {
    expect(permits([granted], { context, type, interaction })).toBe(expected);
  });
});

describe('which resources granted scopes reach', () => {
  const search = (type: string, context: ScopeContext = 'patient') => ({ context, type, interaction: 's' as const });
  it('is every resource when a permitting scope has no query, whatever others narrow', () => {
    expect(narrowedTo(['patient/Observation.rs'], search('Observation'))).toBeNull();
    expect(narrowedTo(['patient/*.rs', 'patient/Observation.rs?category=laboratory'], search('Observation'))).toBeNull();
  });

  it('is what any of the permitting scopes’ queries match, when each has one (scopes add up)', () => {
    expect(narrowedTo(['patient/Observation.rs?category=laboratory'], search('Observation'))).toEqual(['category=laboratory']);
    expect(narrowedTo(['patient/Observation.rs?category=laboratory', 'patient/Observation.rs?category=vital-signs', 'patient/Observation.rs?category=laboratory'], search('Observation'))).toEqual([
      'category=laboratory',
      'category=vital-signs',
    ]);
  });

  it('ignores scopes of another type, context or interaction, and is empty when none permits', () => {
    expect(narrowedTo(['patient/Observation.c?category=survey', 'user/Observation.rs', 'patient/Condition.rs'], search('Observation'))).toEqual([]);
    expect(narrowedTo(['patient/Observation.rs?category=laboratory', 'patient/Condition.rs'], search('Condition'))).toBeNull();
  });

  it('adds up the scopes of several contexts when asked for more than one', () => {
    const both = { context: ['user', 'system'] as const, type: 'Observation', interaction: 's' as const };
    expect(narrowedTo(['user/Observation.rs?category=laboratory', 'system/Observation.rs?category=vital-signs'], both)).toEqual(['category=laboratory', 'category=vital-signs']);
    expect(narrowedTo(['user/Observation.rs?category=laboratory', 'system/*.rs'], both)).toBeNull();
    expect(narrowedTo(['patient/Observation.rs'], both)).toEqual([]);
  });
});

describe('whether granted scopes cover a requested one', () => {
  // Wildcard scopes: what an app asking for patient/AllergyIntolerance.cruds may be granted.
  it.each<[string, boolean]>([
    ['patient/AllergyIntolerance.cruds', true],
    ['patient/AllergyIntolerance.rs patient/AllergyIntolerance.cud', true],
    ['patient/AllergyIntolerance.rs', false],
    ['patient/AllergyIntolerance.cud', false],
    ['patient/*.rs', false],
    ['patient/*.cruds', true],
    ['patient/Observation.rs', false],
    ['', false],
  ])('"%s" grants patient/AllergyIntolerance.cruds: %s', (granted, expected) => {
    expect(covers(splitScopes(granted), 'patient/AllergyIntolerance.cruds')).toBe(expected);
  });

  it('takes scopes together (Scope Equivalence: Observation.rs is Observation.r Observation.s)', () => {
    expect(covers(['patient/Observation.r', 'patient/Observation.s'], 'patient/Observation.rs')).toBe(true);
    expect(covers(['patient/Observation.rs'], 'patient/Observation.r')).toBe(true);
  });

  it('compares v1 and v2 by meaning', () => {
    expect(covers(['patient/*.rs'], 'patient/Task.read')).toBe(true);
    expect(covers(['patient/Task.read'], 'patient/Task.rs')).toBe(true);
    expect(covers(['patient/Task.read'], 'patient/Task.rd')).toBe(false);
    expect(covers(['user/*.*'], 'user/Task.cruds')).toBe(true);
  });

  it('lets a scope narrowed by a query cover only the same query; an unnarrowed one covers any', () => {
    expect(covers(['patient/Observation.rs?category=laboratory'], 'patient/Observation.rs')).toBe(false);
    expect(covers(['patient/Observation.rs?category=laboratory'], 'patient/Observation.rs?category=laboratory')).toBe(true);
    expect(covers(['patient/Observation.rs'], 'patient/Observation.rs?category=laboratory')).toBe(true);
  });

  it('covers a named scope only with itself, a type wildcard only with a wildcard, and nothing malformed', () => {
    expect(covers(['openid', 'fhirUser'], 'fhirUser')).toBe(true);
    expect(covers(['patient/*.cruds'], 'launch')).toBe(false);
    expect(covers(['patient/Task.cruds'], 'patient/*.r')).toBe(false);
    expect(covers(['patient/*.cruds'], 'patient/Task.sr')).toBe(false);
  });
});
