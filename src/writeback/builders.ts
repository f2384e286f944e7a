import type { Identifier, Provenance, ServiceRequest, Task } from '@medplum/fhirtypes';
import type { ActionTemplate, Evidence, OpenGap } from '../rules/index.ts';

export type { OpenGap };

/** Who, where and when a write-back happens: everything a builder needs beside the gap. */
export interface WriteParams {
  patientId: string;
  encounterId: string | null;
  /** The clinician, e.g. `Practitioner/123`; the requester and the Provenance author. */
  fhirUser: string | null;
  /** The configured business identifier system for Careloop actions. */
  identifierSystem: string;
  /** When the clinician confirmed, ISO 8601 instant. */
  confirmedAt: string;
  appVersion: string;
  packId: string;
}

export const CARELOOP_SOFTWARE_SYSTEM = 'https://careloop.example/software';
export const CARELOOP_RULE_BASE = 'https://careloop.example/rules';

/**
 * The business identifier of the action for one patient, rule and due period. The same gap
 * confirmed twice (double click, retry, reload, another tab) gives the same identifier, which is
 * what makes conditional create idempotent.
 * @example actionIdentifier(params, gap) // { system, value: 'colorectal-cancer-screening:ada:2026-03-14' }
 */
export function actionIdentifier(params: Pick<WriteParams, 'identifierSystem' | 'patientId'>, gap: Pick<OpenGap, 'rule' | 'dueDate'>): Identifier & { system: string; value: string } {
  // Colons, not '|': in a FHIR token search '|' separates system from value.
  return { system: params.identifierSystem, value: `${gap.rule}:${params.patientId}:${gap.dueDate}` };
}

/** The `identifier` search token for an identifier, for `If-None-Exist` and re-queries. */
export function identifierQuery(identifier: { system: string; value: string }): string {
  return `identifier=${encodeURIComponent(`${identifier.system}|${identifier.value}`)}`;
}

function coding(template: ActionTemplate) {
  const { system, code, display } = template.code;
  return { coding: [{ system, code, ...(display ? { display } : {}) }], text: display ?? template.text };
}

/** The resource the rule's action template asks for: a Task (default) or a ServiceRequest. */
export function buildActionResource(gap: OpenGap, params: WriteParams): Task | ServiceRequest {
  const template = gap.action;
  const identifier = [actionIdentifier(params, gap)];
  const patient = { reference: `Patient/${params.patientId}` };
  const encounter = params.encounterId ? { reference: `Encounter/${params.encounterId}` } : undefined;
  const requester = params.fhirUser ? { reference: params.fhirUser } : undefined;
  const reason = { text: template.reason };
  const note = [{ text: `${gap.title} (${gap.rule} v${gap.version}): ${gap.reason}` }];
  if (template.resourceType === 'ServiceRequest') {
    return {
      resourceType: 'ServiceRequest',
      identifier,
      status: 'active',
      intent: template.intent,
      code: coding(template),
      subject: patient,
      ...(encounter ? { encounter } : {}),
      authoredOn: params.confirmedAt,
      ...(requester ? { requester } : {}),
      reasonCode: [reason],
      note,
    };
  }
  return {
    resourceType: 'Task',
    identifier,
    status: 'requested',
    intent: template.intent,
    priority: gap.status === 'overdue' ? 'urgent' : 'routine',
    code: coding(template),
    description: template.text,
    for: patient,
    ...(encounter ? { encounter } : {}),
    authoredOn: params.confirmedAt,
    ...(requester ? { requester } : {}),
    reasonCode: reason,
    note,
  };
}

function evidenceEntity(evidence: Evidence): NonNullable<Provenance['entity']>[number] {
  return { role: 'source', what: { reference: evidence.reference, ...(evidence.note ? { display: evidence.note } : {}) } };
}

/**
 * The Provenance of a written action: the created version as target, the clinician as author,
 * Careloop (with its version) as the assembling software, the evidence (with versions) as sources,
 * and the rule and its version as policy.
 */
export function buildProvenance(gap: OpenGap, params: WriteParams, target: { reference: string }): Provenance {
  const agents: Provenance['agent'] = [
    {
      type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type', code: 'assembler', display: 'Assembler' }] },
      who: { identifier: { system: CARELOOP_SOFTWARE_SYSTEM, value: 'careloop' }, display: `Careloop ${params.appVersion}`, type: 'Device' },
    },
  ];
  if (params.fhirUser) {
    agents.unshift({
      type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type', code: 'author', display: 'Author' }] },
      who: { reference: params.fhirUser },
    });
  }
  return {
    resourceType: 'Provenance',
    target: [target],
    recorded: params.confirmedAt,
    policy: [`${CARELOOP_RULE_BASE}/${params.packId}/${gap.rule}|${gap.version}`],
    activity: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-DataOperation', code: 'CREATE', display: 'create' }] },
    agent: agents,
    entity: gap.evidence.filter((e) => e.role !== 'invalid').map(evidenceEntity),
    reason: [{ text: gap.reason }],
  };
}
