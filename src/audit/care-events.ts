/**
 * Maps the card's decision events to audit events, and audit entries back to snoozes and
 * dismissals. Structural types only, so this module depends on nothing above it.
 *
 * Only ids, versions, digests and codes cross over: evidence values and free-text comments stay in
 * the app (the evidence digest already pins what the rule saw).
 */
import { CODE_TOKEN, LIBRARY_NAME, LIBRARY_VERSION, RULE_ID, VERSION_ID, type AuditAction, type AuditLogic, type AuditEntry } from '../shared/audit-event.ts';
import type { AuditEventDraft } from './audit-client.ts';

/** What the card tells the audit trail, one event per step of a decision. */
export type CareAction = Extract<AuditAction, 'card-shown' | 'why-opened' | 'confirmed' | 'written' | 'write-failed' | 'snoozed' | 'dismissed' | 'unsnoozed'>;

/**
 * A decision event as the care-gap card emits it (declared here once; the card's audit port
 * takes this type). Structural, so a rule result's `logic` and `evidence` fit as they are.
 */
export interface CareEvent {
  action: CareAction;
  /** One per decision, from card-shown to written. */
  correlationId: string;
  rule: string;
  ruleVersion: string;
  packDigest: string;
  /** The logic that decided the rule's result (a RuleResult's `logic`): library, version, ELM digest and source. */
  logic: { library: string; version: string; elmDigest: string; source: AuditLogic['source'] };
  /** The resources that decided it; only the reference and version reach the trail. */
  evidence: ReadonlyArray<{ reference: string; versionId?: string }>;
  evidenceDigest: string;
  /** The written resource (`Type/id/_history/vid`) or the failure, where there is one. */
  outcome?: { reference?: string; status?: number; error?: string };
  /** Snooze and dismiss details: a reason code (never free text) and, for a snooze, the day it ends. */
  decision?: { reason: string; until?: string };
}

/** A snooze or dismissal read back from the trail (or kept in memory where there is no trail). */
export interface Decision {
  rule: string;
  kind: 'snoozed' | 'dismissed';
  reason: string;
  /** Snoozes: the day the gap comes back (`YYYY-MM-DD`). */
  until: string | null;
}

/** Splits `Type/id/_history/v` into the reference and its version (null when it is not a FHIR versionId). */
function splitVersion(reference: string, versionId?: string): { reference: string; version: string | null } {
  const m = /^([A-Za-z]+\/[^/]+)\/_history\/([^/]+)$/.exec(reference);
  const [ref, version] = m?.[1] && m[2] ? [m[1], m[2]] : [reference, versionId ?? null];
  return { reference: ref, version: version !== null && VERSION_ID.test(version) ? version : null };
}

/** A code as the trail takes it (lower-case, hyphenated), or `fallback`: never a message. */
function codeOr(code: string | undefined, fallback: string): string {
  return code !== undefined && CODE_TOKEN.test(code) ? code : fallback;
}

/**
 * The deciding logic as the trail records it: a library without a version gets `version: null`;
 * a result whose logic has no usable name or digest (which the pack never produces) records none
 * rather than an event the server would refuse.
 */
function logicOf(logic: CareEvent['logic'] | undefined): AuditLogic | null {
  if (!logic || !LIBRARY_NAME.test(logic.library) || !/^[0-9a-f]{64}$/.test(logic.elmDigest)) return null;
  return { library: logic.library, version: LIBRARY_VERSION.test(logic.version) ? logic.version : null, elmDigest: logic.elmDigest, source: logic.source };
}

/**
 * The rule id as the trail takes it. Careloop's rule ids and the ids of loaded measures with a
 * computable name already fit; a measure known only by its title (`measure:Breast Cancer
 * Screening`) has each run of other characters replaced by `_`, so its events are stored rather
 * than refused.
 */
export function auditRuleId(rule: string): string {
  if (RULE_ID.test(rule)) return rule;
  if (rule.startsWith('measure:')) return `measure:${rule.slice('measure:'.length).replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^[.-]/, '_').slice(0, 120) || '_'}`;
  return rule.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 64).replace(/-+$/, '') || 'unknown-rule';
}

/** The audit event for one card event, in the context of a patient (and encounter). */
export function auditDraftOf(event: CareEvent, context: { patient: string; encounter?: string | null }): AuditEventDraft {
  const outcome = event.outcome;
  const written = outcome?.reference ? splitVersion(outcome.reference) : null;
  return {
    patient: context.patient,
    encounter: context.encounter ?? null,
    action: event.action,
    ruleId: auditRuleId(event.rule),
    ruleVersion: event.ruleVersion,
    packDigest: event.packDigest,
    logic: logicOf(event.logic),
    evidence: event.evidence.map((e) => splitVersion(e.reference, e.versionId)),
    evidenceDigest: event.evidenceDigest,
    correlationId: event.correlationId,
    outcome: outcome
      ? { reference: written?.reference ?? null, version: written?.version ?? null, status: outcome.status ?? null, error: outcome.error ? codeOr(outcome.error, 'unspecified') : null }
      : null,
    snoozeUntil: event.action === 'snoozed' ? (event.decision?.until ?? null) : null,
    reason: event.decision ? codeOr(event.decision.reason, 'other') : null,
  };
}

/**
 * The snoozes and dismissals still in force, newest decision per rule first wins; an
 * `unsnoozed` record ends the snooze before it.
 */
export function decisionsFromTrail(records: readonly AuditEntry[]): Decision[] {
  const seen = new Set<string>();
  const out: Decision[] = [];
  for (const r of [...records].sort((a, b) => b.seq - a.seq)) {
    if (!r.ruleId || seen.has(r.ruleId)) continue;
    if (r.action === 'unsnoozed') {
      seen.add(r.ruleId);
      continue;
    }
    if (r.action !== 'snoozed' && r.action !== 'dismissed') continue;
    seen.add(r.ruleId);
    out.push({ rule: r.ruleId, kind: r.action, reason: r.reason ?? 'unspecified', until: r.snoozeUntil });
  }
  return out;
}

/**
 * The card's audit port over an audit client: `emit` resolves once the event is in the durable
 * outbox (not delivered); `decisions` reads the patient's snoozes and dismissals back from the
 * trail. Structurally the `AuditPort` of `src/features/care-gaps/audit-port.ts`.
 *
 * @example
 * const port = auditPortOf(auditClient, { patient: 'ada', encounter: 'ada-visit' });
 * <AppShell audit={port} … />
 */
export function auditPortOf(
  client: { enqueue(draft: AuditEventDraft): unknown; read(query: { patient: string; actions?: readonly string[] }): Promise<AuditEntry[]> },
  context: { patient: string; encounter?: string | null },
): { emit(event: CareEvent): Promise<void>; decisions(): Promise<Decision[]> } {
  return {
    async emit(event) {
      client.enqueue(auditDraftOf(event, context));
    },
    async decisions() {
      return decisionsFromTrail(await client.read({ patient: context.patient, actions: ['snoozed', 'dismissed', 'unsnoozed'] }));
    },
  };
}
