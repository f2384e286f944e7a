/**
 * Audit entries as FHIR R4 AuditEvent resources (for compliance tools that speak FHIR).
 */
import type { AuditEvent, AuditEventEntity, AuditEventEntityDetail, Bundle, Coding } from '@medplum/fhirtypes';
import type { AuditAction, AuditEntry } from '../shared/audit-event.ts';

/** The code system of Careloop's audit actions (the AuditEvent subtype). */
export const CARELOOP_ACTION_SYSTEM = 'https://careloop.example/fhir/CodeSystem/audit-action';
/** The identifier system of Careloop's rules. */
export const CARELOOP_RULE_SYSTEM = 'https://careloop.example/fhir/rule';
/** The identifier system of the CQL libraries whose logic decided (by library name). */
export const CARELOOP_LIBRARY_SYSTEM = 'https://careloop.example/fhir/cql-library';
const DETAIL_PREFIX = 'https://careloop.example/fhir/audit-detail/';

const APPLICATION_ACTIVITY: Coding = { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110100', display: 'Application Activity' };
const TREAT: Coding = { system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'TREAT', display: 'treatment' };

/** C(reate), R(ead) or E(xecute), as FHIR's audit-event-action codes. */
function fhirAction(action: AuditAction): NonNullable<AuditEvent['action']> {
  switch (action) {
    case 'written':
    case 'write-failed':
      return 'C';
    case 'card-shown':
    case 'why-opened':
      return 'R';
    case 'launch':
    case 'launch-error':
    case 'confirmed':
    case 'snoozed':
    case 'dismissed':
    case 'unsnoozed':
      return 'E';
  }
}

/** 0 success, 4 minor failure (a refusal), 8 serious failure. */
function fhirOutcome(r: AuditEntry): NonNullable<AuditEvent['outcome']> {
  if (r.action === 'launch-error') return '8';
  if (r.action === 'write-failed') {
    const status = r.outcome?.status ?? null;
    return status !== null && status >= 400 && status < 500 ? '4' : '8';
  }
  return '0';
}

function detail(type: string, value: string | number | null): AuditEventEntityDetail[] {
  return value === null ? [] : [{ type: `${DETAIL_PREFIX}${type}`, valueString: String(value) }];
}

function versioned(reference: string, version: string | null): string {
  return version === null || reference.includes('/_history/') ? reference : `${reference}/_history/${version}`;
}

/**
 * One record as an AuditEvent: type, subtype (the action), action, recorded (server time),
 * outcome, purposeOfEvent TREAT, the user as requestor and the app as a second agent, the audit
 * server as source observer, and entities for the patient, encounter, rule (with version and
 * digests), the CQL library that decided (version, ELM digest, source), each piece of evidence (with its version) and what was written.
 */
export function toFhirAuditEvent(r: AuditEntry): AuditEvent {
  const who = r.actor.fhirUser
    ? { reference: r.actor.fhirUser }
    : { identifier: { system: r.actor.issuer, value: r.actor.sub ?? 'unknown' } };
  const entity: AuditEventEntity[] = [
    {
      what: { reference: `Patient/${r.patient}` },
      type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '1', display: 'Person' },
      role: { system: 'http://terminology.hl7.org/CodeSystem/object-role', code: '1', display: 'Patient' },
    },
  ];
  if (r.encounter) entity.push({ what: { reference: `Encounter/${r.encounter}` } });
  if (r.ruleId || r.packDigest || r.evidenceDigest) {
    entity.push({
      what: { identifier: { system: CARELOOP_RULE_SYSTEM, value: r.ruleId ?? 'unknown' } },
      type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '4', display: 'Other' },
      detail: [...detail('rule-version', r.ruleVersion), ...detail('pack-digest', r.packDigest), ...detail('evidence-digest', r.evidenceDigest)],
    });
  }
  if (r.logic) {
    // The logic that decided: the CQL library (name, version), the digest of its ELM, and its source.
    entity.push({
      what: { type: 'Library', identifier: { system: CARELOOP_LIBRARY_SYSTEM, value: r.logic.library } },
      type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '4', display: 'Other' },
      description: 'logic',
      detail: [...detail('library-version', r.logic.version), ...detail('elm-digest', r.logic.elmDigest), ...detail('logic-source', r.logic.source)],
    });
  }
  for (const e of r.evidence ?? []) {
    entity.push({ what: { reference: versioned(e.reference, e.version) }, description: 'evidence' });
  }
  if (r.outcome && (r.outcome.reference || r.outcome.status !== null || r.outcome.error)) {
    entity.push({
      ...(r.outcome.reference ? { what: { reference: versioned(r.outcome.reference, r.outcome.version) } } : {}),
      description: 'outcome',
      detail: [...detail('http-status', r.outcome.status), ...detail('error', r.outcome.error)],
    });
  }
  entity.push({
    description: 'audit-record',
    detail: [
      ...detail('seq', r.seq),
      ...detail('client-time', r.clientTime),
      ...detail('correlation-id', r.correlationId),
      ...detail('app-version', r.appVersion),
      ...detail('snooze-until', r.snoozeUntil),
      ...detail('reason', r.reason),
      ...detail('prev-hash', r.prevHash),
      ...detail('hash', r.hash),
    ],
  });
  return {
    resourceType: 'AuditEvent',
    id: r.id,
    type: APPLICATION_ACTIVITY,
    subtype: [{ system: CARELOOP_ACTION_SYSTEM, code: r.action }],
    action: fhirAction(r.action),
    recorded: r.serverTime,
    outcome: fhirOutcome(r),
    ...(r.outcome?.error ? { outcomeDesc: r.outcome.error } : {}),
    purposeOfEvent: [{ coding: [TREAT] }],
    agent: [
      {
        type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/extra-security-role-type', code: 'humanuser', display: 'human user' }] },
        who,
        requestor: true,
        ...(r.actor.sub ? { altId: r.actor.sub } : {}),
      },
      ...(r.actor.clientId
        ? [
            {
              type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/extra-security-role-type', code: 'dataprocessor', display: 'data processor' }] },
              who: { identifier: { system: `${r.actor.issuer}#client_id`, value: r.actor.clientId } },
              requestor: false,
            },
          ]
        : []),
    ],
    source: {
      site: r.actor.issuer,
      observer: { display: 'Careloop audit backend' },
      type: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '4', display: 'Application Server' }],
    },
    entity,
  };
}

/** Records as a searchset Bundle of AuditEvent. */
export function toFhirBundle(records: readonly AuditEntry[], selfUrl: string, nextUrl: string | null): Bundle<AuditEvent> {
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    link: [{ relation: 'self', url: selfUrl }, ...(nextUrl ? [{ relation: 'next', url: nextUrl }] : [])],
    entry: records.map((r) => ({ fullUrl: `urn:uuid:${r.id}`, resource: toFhirAuditEvent(r), search: { mode: 'match' as const } })),
  };
}
