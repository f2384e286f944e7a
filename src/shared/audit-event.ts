/**
 * The audit event contract shared by the app (which records events) and the audit backend (which
 * verifies the caller, chains and stores them). zod is the single source of truth for both.
 *
 * An event never carries names, free text or resource bodies: only ids, versions, digests and codes.
 */
import { z } from 'zod';
import { FHIR_ID } from './ids.ts';

/** What happened. One decision runs card-shown → why-opened → confirmed → written (or write-failed). */
export const AUDIT_ACTIONS = [
  'launch',
  'launch-error',
  'card-shown',
  'why-opened',
  'confirmed',
  'written',
  'write-failed',
  'snoozed',
  'dismissed',
  'unsnoozed',
] as const;

/** The action of an audit event. */
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** Most events a client may send in one `POST /api/audit/events`. */
export const MAX_AUDIT_BATCH = 100;

/**
 * Every string of an event has a grammar; nothing else is accepted, so no name, sentence, newline
 * or markup can be stored. The grammars:
 */
/**
 * A code token: lower-case letters and digits in groups joined by single hyphens, or by a colon
 * between a namespace and its code; at most 64 (`done-elsewhere`, `write-refused:fhir-user-not-clinician`).
 */
export const CODE_TOKEN = /^(?=.{1,64}$)[a-z0-9]+(?:[-:][a-z0-9]+)*$/;
/** A semantic version (semver.org 2.0.0): `1.4.0`, `0.0.0-dev`, `2.1.0-rc.1+build.7`; at most 64. */
export const SEMANTIC_VERSION = /^(?=.{1,64}$)\d+\.\d+\.\d+(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;
/**
 * A rule id: Careloop's own rules are code tokens (`colorectal-cancer-screening`); a loaded official
 * measure no Careloop rule reports is `measure:` and the measure's computable name
 * (`measure:CMS125FHIRBreastCancerScreening`; letters, digits, `_`, `.`, `-`; at most 128 in all).
 */
export const RULE_ID = /^(?=.{1,128}$)(?:[a-z0-9]+(?:-[a-z0-9]+)*|measure:[A-Za-z0-9_][A-Za-z0-9_.-]*)$/;
/** A FHIR `meta.versionId` (the `id` datatype's pattern): 1–64 of letters, digits, `-` and `.`. */
export const VERSION_ID = FHIR_ID;

const fhirId = z.string().regex(FHIR_ID, 'must be a FHIR id (1–64 of A-Z a-z 0-9 - .)');
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be a lower-case hex SHA-256 digest');
const codeToken = z.string().regex(CODE_TOKEN, 'must be a code: lower-case letters and digits joined by single hyphens or colons, at most 64 (e.g. done-elsewhere)');
const versionId = z.string().regex(VERSION_ID, 'must be a FHIR versionId (1–64 of A-Z a-z 0-9 - .)');
/** A relative FHIR reference with an optional version, e.g. `Observation/123` or `Task/9/_history/2`. */
const fhirReference = z
  .string()
  .max(256)
  .regex(/^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}(\/_history\/[A-Za-z0-9\-.]{1,64})?$/, 'must be a relative FHIR reference such as Observation/123');
const isoDateTime = z.iso.datetime({ offset: true });

/** A piece of evidence a rule used: the resource and the version it saw. */
export const auditEvidenceSchema = z.strictObject({
  reference: fhirReference,
  version: versionId.nullish(),
});

/** Where the logic that decided came from: Careloop's own CQL pack, or an official package an admin loaded. */
export const LOGIC_SOURCES = ['careloop', 'measure-package'] as const;

/** A CQL/FHIR library name: an identifier (letter or `_` first, then letters, digits, `_`; at most 128). */
export const LIBRARY_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
/**
 * A library version: a semantic version or the dotted-number versions FHIR and CQL use (`1.0.000`,
 * `2025.1`), with an optional `-pre.release` / `+build` tail of letters, digits, `.` and `-`.
 */
export const LIBRARY_VERSION = /^\d{1,10}(\.\d{1,10}){0,3}(-[0-9A-Za-z][0-9A-Za-z.-]{0,31})?(\+[0-9A-Za-z][0-9A-Za-z.-]{0,31})?$/;

/**
 * The logic that decided a rule's result: the CQL library (name and version), the SHA-256 of its
 * ELM (the canonical JSON), and where it came from.
 */
export const auditLogicSchema = z.strictObject({
  library: z.string().regex(LIBRARY_NAME, 'must be a CQL library name (letters, digits, _; at most 128)'),
  version: z.string().regex(LIBRARY_VERSION, 'must be a version such as 1.0.000 or 2.1.0-rc.1').nullish(),
  elmDigest: sha256,
  source: z.enum(LOGIC_SOURCES),
});

/** What the action led to: the resource written (and its version), the HTTP status, an error code. */
export const auditOutcomeSchema = z.strictObject({
  reference: fhirReference.nullish(),
  version: versionId.nullish(),
  status: z.number().int().min(100).max(599).nullish(),
  /** A short machine-readable code (e.g. `precondition-failed`), never a message with PHI. */
  error: codeToken.nullish(),
});

/**
 * One audit event as the app sends it. `id` is a client-generated UUID: replaying the same id with
 * the same body is harmless, the same id with another body is a conflict.
 */
export const auditEventInputSchema = z.strictObject({
  id: z.uuid(),
  clientTime: isoDateTime,
  patient: fhirId,
  encounter: fhirId.nullish(),
  action: z.enum(AUDIT_ACTIONS),
  ruleId: z.string().regex(RULE_ID, 'must be a rule id: a code such as colorectal-cancer-screening, or measure:<measure name>').nullish(),
  /** The rule's version (`1.0.0`, or a measure's `13.0.000`). */
  ruleVersion: z.string().regex(LIBRARY_VERSION, 'must be a version such as 1.0.0 or 13.0.000').nullish(),
  packDigest: sha256.nullish(),
  /** The library that decided the rule's result (events about a rule's decision). */
  logic: auditLogicSchema.nullish(),
  evidence: z.array(auditEvidenceSchema).max(200).nullish(),
  evidenceDigest: sha256.nullish(),
  outcome: auditOutcomeSchema.nullish(),
  /** One per decision, from card-shown to written. */
  correlationId: z.uuid().nullish(),
  appVersion: z.string().regex(SEMANTIC_VERSION, 'must be a semantic version such as 1.4.0 or 0.0.0-dev'),
  /** For `snoozed`: the date the card comes back (YYYY-MM-DD). */
  snoozeUntil: z.iso.date().nullish(),
  /** For `dismissed` / `snoozed` / `launch-error`: a reason code, never free text. */
  reason: codeToken.nullish(),
});

/** An audit event as parsed from the wire (optional fields may be null or absent). */
export type AuditEventInput = z.infer<typeof auditEventInputSchema>;

/** The body of `POST /api/audit/events`. */
export const auditBatchSchema = z.strictObject({
  events: z.array(auditEventInputSchema).min(1).max(MAX_AUDIT_BATCH),
});

/** The body of `POST /api/audit/events`. */
export type AuditBatch = z.infer<typeof auditBatchSchema>;

/** Evidence as stored: version always present (null when unknown). */
export interface AuditEvidence {
  reference: string;
  version: string | null;
}

/** The deciding logic as stored: version null when the library has none. */
export interface AuditLogic {
  library: string;
  version: string | null;
  elmDigest: string;
  source: (typeof LOGIC_SOURCES)[number];
}

/** Outcome as stored: every field present (null when unknown). */
export interface AuditOutcome {
  reference: string | null;
  version: string | null;
  status: number | null;
  error: string | null;
}

/**
 * The client's part of a record, normalised: every optional field present and null when absent,
 * so two bodies that mean the same thing have the same canonical form (and digest).
 */
export interface NormalizedAuditEvent {
  id: string;
  clientTime: string;
  patient: string;
  encounter: string | null;
  action: AuditAction;
  ruleId: string | null;
  ruleVersion: string | null;
  packDigest: string | null;
  /** Null for events that are not about a rule's decision, and for records stored before it existed. */
  logic: AuditLogic | null;
  evidence: AuditEvidence[] | null;
  evidenceDigest: string | null;
  outcome: AuditOutcome | null;
  correlationId: string | null;
  appVersion: string;
  snoozeUntil: string | null;
  reason: string | null;
}

/** Who did it, from the verified access token (never from the request body). */
export interface AuditActor {
  /** The token's `sub`. */
  sub: string | null;
  /** The token's `fhirUser`, e.g. `Practitioner/123`. */
  fhirUser: string | null;
  /** The token's `client_id`. */
  clientId: string | null;
  /** The FHIR base of the trusted issuer that vouched for the token. */
  issuer: string;
}

/** A stored audit entry: the event, the verified actor, the server's sequence and time, the chain. */
export interface AuditEntry extends NormalizedAuditEvent {
  /** Server sequence number: 1, 2, 3 … without gaps. */
  seq: number;
  /** When the server accepted it (ISO 8601, UTC, milliseconds). */
  serverTime: string;
  actor: AuditActor;
  /** `hash` of the previous record (64 zeros for the first). */
  prevHash: string;
  /**
   * SHA-256 of the canonical JSON of every other field of this record; `logic` is left out when it
   * is null, so records stored before the field existed keep their hash.
   */
  hash: string;
}

/** `prevHash` of the first record. */
export const GENESIS_HASH = '0'.repeat(64);

/** Normalises a parsed event: absent and null optional fields both become null. */
export function normalizeAuditEvent(e: AuditEventInput): NormalizedAuditEvent {
  return {
    id: e.id.toLowerCase(),
    clientTime: e.clientTime,
    patient: e.patient,
    encounter: e.encounter ?? null,
    action: e.action,
    ruleId: e.ruleId ?? null,
    ruleVersion: e.ruleVersion ?? null,
    packDigest: e.packDigest ?? null,
    logic: e.logic ? { library: e.logic.library, version: e.logic.version ?? null, elmDigest: e.logic.elmDigest, source: e.logic.source } : null,
    evidence: e.evidence ? e.evidence.map((x) => ({ reference: x.reference, version: x.version ?? null })) : null,
    evidenceDigest: e.evidenceDigest ?? null,
    outcome: e.outcome
      ? { reference: e.outcome.reference ?? null, version: e.outcome.version ?? null, status: e.outcome.status ?? null, error: e.outcome.error ?? null }
      : null,
    correlationId: e.correlationId ? e.correlationId.toLowerCase() : null,
    appVersion: e.appVersion,
    snoozeUntil: e.snoozeUntil ?? null,
    reason: e.reason ?? null,
  };
}

/** The response of `POST /api/audit/events`: one result per event, in request order. */
export interface AuditBatchResponse {
  results: Array<{ id: string; status: 'created' | 'duplicate'; record: AuditEntry }>;
}

/** The response of `POST /api/audit/events` sent with `Prefer: return=minimal`: a receipt per event. */
export interface AuditBatchReceipt {
  results: Array<{ id: string; status: 'created' | 'duplicate'; seq: number; hash: string }>;
}

/** The response of `GET /api/audit/events`. */
export interface AuditTimelinePage {
  records: AuditEntry[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}
