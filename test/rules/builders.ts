/**
 * Small FHIR builders for rule tests: each returns a plain resource so tests read like a chart.
 */
import { SYSTEMS } from '../../src/rules/index.ts';

type Sys = keyof typeof SYSTEMS;
type Json = Record<string, unknown>;

let counter = 0;
const nextId = (prefix: string): string => `${prefix}-${++counter}`;

/** A CodeableConcept with one coding. */
export function cc(system: Sys, code: string, display?: string): Json {
  return { coding: [display === undefined ? { system: SYSTEMS[system], code } : { system: SYSTEMS[system], code, display }] };
}

/** A Patient. */
export function patient(birthDate: string | undefined, gender?: string, extra: Json = {}): Json {
  return {
    resourceType: 'Patient',
    id: 'p1',
    meta: { versionId: '1' },
    ...(birthDate === undefined ? {} : { birthDate }),
    ...(gender === undefined ? {} : { gender }),
    ...extra,
  };
}

/** A completed Procedure (override status/date fields with `extra`). */
export function procedure(system: Sys, code: string, performedDateTime: string | undefined, extra: Json = {}): Json {
  return {
    resourceType: 'Procedure',
    id: nextId('proc'),
    status: 'completed',
    code: cc(system, code),
    subject: { reference: 'Patient/p1' },
    ...(performedDateTime === undefined ? {} : { performedDateTime }),
    ...extra,
  };
}

/** A final Observation. */
export function observation(system: Sys, code: string, effectiveDateTime: string | undefined, extra: Json = {}): Json {
  return {
    resourceType: 'Observation',
    id: nextId('obs'),
    status: 'final',
    code: cc(system, code),
    subject: { reference: 'Patient/p1' },
    ...(effectiveDateTime === undefined ? {} : { effectiveDateTime }),
    ...extra,
  };
}

/** An HbA1c (LOINC 4548-4) with a value and unit. */
export function hba1c(date: string, value: number, unit = '%', extra: Json = {}): Json {
  return observation('loinc', '4548-4', date, { valueQuantity: { value, unit, system: 'http://unitsofmeasure.org', code: unit }, ...extra });
}

/** A Condition. */
export function condition(system: Sys, code: string, onsetDateTime: string | undefined, extra: Json = {}): Json {
  return {
    resourceType: 'Condition',
    id: nextId('cond'),
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
    code: cc(system, code),
    subject: { reference: 'Patient/p1' },
    ...(onsetDateTime === undefined ? {} : { onsetDateTime }),
    ...extra,
  };
}

/** A finished Encounter typed with a CPT code (office visit 99213 by default). */
export function encounter(start: string, extra: Json = {}, code = '99213'): Json {
  return {
    resourceType: 'Encounter',
    id: nextId('enc'),
    status: 'finished',
    type: [cc('cpt', code)],
    subject: { reference: 'Patient/p1' },
    period: { start, end: start },
    ...extra,
  };
}

/** A completed Immunization (CVX). */
export function immunization(cvx: string, occurrenceDateTime: string | undefined, extra: Json = {}): Json {
  return {
    resourceType: 'Immunization',
    id: nextId('imm'),
    status: 'completed',
    vaccineCode: cc('cvx', cvx),
    patient: { reference: 'Patient/p1' },
    ...(occurrenceDateTime === undefined ? {} : { occurrenceDateTime }),
    ...extra,
  };
}

/** A blood pressure panel (85354-9) with systolic and diastolic components. */
export function bpPanel(date: string, systolic: number, diastolic: number, unit = 'mm[Hg]'): Json {
  return observation('loinc', '85354-9', date, {
    component: [
      { code: cc('loinc', '8480-6'), valueQuantity: { value: systolic, unit, code: unit } },
      { code: cc('loinc', '8462-4'), valueQuantity: { value: diastolic, unit, code: unit } },
    ],
  });
}

import { careloopPreventive, evaluatePack } from '../../src/rules/index.ts';
import type { EvaluateOptions, PackResult, PatientRecord, RuleResult } from '../../src/rules/index.ts';

/** The built-in pack under test. */
export const builtInPack = careloopPreventive;

/** Evaluates the built-in pack. */
export function evaluateBuiltIn(input: PatientRecord | readonly unknown[], options: EvaluateOptions): PackResult {
  return evaluatePack(careloopPreventive, input, options);
}

/** Point-of-care options. */
export const poc = (asOf: string, extra: { encounterId?: string; timeZone?: string } = {}): EvaluateOptions => ({ mode: 'point-of-care', asOf, ...extra });
/** Measure options for calendar 2025 (or another year). */
export const mp = (year = 2025, timeZone?: string): EvaluateOptions =>
  timeZone === undefined
    ? { mode: 'measure', periodStart: `${year}-01-01`, periodEnd: `${year}-12-31` }
    : { mode: 'measure', periodStart: `${year}-01-01`, periodEnd: `${year}-12-31`, timeZone };

/** Evaluates the built-in pack and returns one rule's result (fails the test if missing). */
export function resultFor(rule: string, resources: readonly unknown[], options: EvaluateOptions): RuleResult {
  const found = evaluateBuiltIn(resources, options).results.find((r) => r.rule === rule);
  if (!found) throw new Error(`no result for ${rule}`);
  return found;
}

/** Status plus the date that matters for it (due date, next due date), for compact table asserts. */
export function summary(r: RuleResult): string {
  switch (r.status) {
    case 'due':
    case 'overdue':
      return `${r.status} ${r.dueDate}`;
    case 'satisfied':
      return `satisfied ${r.nextDueDate ?? 'never'}`;
    case 'excluded':
      return `excluded ${r.exclusion.label}`;
    case 'insufficient-data':
    case 'not-applicable':
      return r.status;
  }
}
