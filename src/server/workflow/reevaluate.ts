/**
 * Re-evaluate and act: for a changed patient, one round of FHIR reads with the service's own
 * token, the same rule pack the sidebar uses (`evaluatePack`, point-of-care, today), and for each
 * of Careloop's own open outreach Tasks (business identifier in Careloop's system, value
 * `<rule>:<patient>:<due date>`) whose rule is now `satisfied`: the Task is completed with
 * `If-Match`, a Provenance names Careloop's workflow service as the agent with the rule, its version
 * and the evidence, and an audit entry is appended with the service as actor.
 *
 * Exactly once: the PUT is conditional on the version read, so of two instances (or a replayed
 * event) one wins and the other gets 412, re-reads, re-evaluates and finds the Task already
 * completed; the Provenance is a conditional create on the closed version and the audit entry's
 * id is derived from it, so finishing an interrupted close never writes them twice. A Task someone
 * else changed meanwhile is never overwritten: it is re-read and judged again.
 *
 * The rule engine is passed in (server/ does not import rules/): give it the pack the sidebar
 * uses, e.g. `{ packId: pack.id, dataTypes, evaluate: (r, asOf) => evaluatePack(pack, r, { mode: 'point-of-care', asOf }) }`.
 */
import { createHash } from 'node:crypto';
import type { Bundle, Provenance, Resource, Task } from '@medplum/fhirtypes';
import type { AuditActor, NormalizedAuditEvent } from '../../shared/audit-event.ts';
import { isOpenTaskStatus } from '../../shared/task-status.ts';
import type { AuditStore } from '../store/types.ts';

const SERVICE_DEVICE = { system: 'https://careloop.example/software', value: 'careloop-workflow' };
const RULE_BASE = 'https://careloop.example/rules';

/** The part of a rule's result this module reads (a structural view of `rules/`' `RuleResult`). */
export interface RuleVerdict {
  readonly rule: string;
  readonly version: string;
  readonly status: 'due' | 'overdue' | 'satisfied' | 'excluded' | 'not-applicable' | 'insufficient-data';
  readonly title: string;
  readonly reason: string;
  readonly evidence: ReadonlyArray<{ readonly reference: string; readonly versionId?: string; readonly role: string }>;
  readonly evidenceDigest: string;
  readonly logic: { readonly library: string; readonly version: string; readonly elmDigest: string; readonly source: 'careloop' | 'measure-package' };
}

/** The rule pack as the service uses it: the same pack and evaluation as the sidebar's. */
export interface RuleEngine {
  readonly packId: string;
  /** Resource types the rules read (Patient is always read). */
  readonly dataTypes: readonly string[];
  /** The codes of a rule's action templates (an EHR outreach Task for the gap names one in `reasonCode`). */
  actionCodes(rule: string): ReadonlyArray<{ readonly system: string; readonly code: string }>;
  /** Point-of-care evaluation on `asOf` (`YYYY-MM-DD`). */
  evaluate(resources: readonly unknown[], asOf: string): { readonly pack: { readonly digest: string }; readonly results: readonly RuleVerdict[] };
}

/** What the service needs to talk to the EHR. */
export interface FhirAccess {
  /** A FHIR request relative to the base (`Task/1`), with the service's token; JSON in and out. */
  request(method: 'GET' | 'PUT' | 'POST' | 'DELETE', path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: unknown }>;
}

export interface ReevaluateOptions {
  readonly fhir: FhirAccess;
  /** Careloop's business identifier system for actions (the app's `identifierSystem`). */
  readonly identifierSystem: string;
  readonly rules: RuleEngine;
  /** Today, `YYYY-MM-DD`. */
  readonly asOf: () => string;
  readonly now?: () => number;
  /**
   * Which automatic actions are on. Default: closing Careloop's own outreach Tasks only. With
   * `closeOutreachTasksForGap`, also the EHR's open outreach Tasks whose `reasonCode` is the gap's
   * action code (as the sidebar links them).
   */
  readonly actions?: { readonly closeOwnOutreachTasks: boolean; readonly closeOutreachTasksForGap?: boolean };
  /** Where the audit entries go, and as whom. */
  readonly audit: { readonly store: Pick<AuditStore, 'append'>; readonly actor: AuditActor } | null;
  readonly appVersion: string;
}

export type TaskOutcome =
  | { readonly task: string; readonly kind: 'closed'; readonly version: string | null }
  | { readonly task: string; readonly kind: 'already-closed' }
  | { readonly task: string; readonly kind: 'still-open'; readonly status: RuleVerdict['status'] | 'unknown-rule' }
  | { readonly task: string; readonly kind: 'failed'; readonly status: number };

/** A UUID derived from a string: the same input always names the same record. */
export function uuidFrom(input: string): string {
  const h = createHash('sha256').update(input).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}

async function readAll(fhir: FhirAccess, patient: string, types: readonly string[]): Promise<Resource[]> {
  const out: Resource[] = [];
  const p = await fhir.request('GET', `Patient/${encodeURIComponent(patient)}`);
  if (p.status !== 200) throw new Error(`Patient read answered ${p.status}`);
  out.push(p.body as Resource);
  for (const type of types) {
    let path: string | null = `${type}?patient=${encodeURIComponent(patient)}&_count=1000`;
    for (let page = 0; path && page < 50; page++) {
      const res = await fhir.request('GET', path);
      if (res.status !== 200) throw new Error(`${type} search answered ${res.status}`);
      const bundle = res.body as Bundle;
      for (const e of bundle.entry ?? []) if (e.resource) out.push(e.resource);
      const next = bundle.link?.find((l) => l.relation === 'next')?.url;
      path = next ? next.replace(/^.*?\/fhir\//, '') : null;
    }
  }
  return out;
}

function ruleOf(task: Task, identifierSystem: string, patient: string): string | null {
  for (const id of task.identifier ?? []) {
    if (id.system !== identifierSystem || !id.value) continue;
    const [rule, who] = id.value.split(':');
    if (rule && who === patient) return rule;
  }
  return null;
}

/** The rule an EHR outreach Task is for, by its reasonCode (the sidebar's link), or null. */
function ruleByReason(task: Task, rules: RuleEngine, evaluated: readonly string[]): string | null {
  const codings = task.reasonCode?.coding ?? [];
  for (const rule of evaluated) {
    if (rules.actionCodes(rule).some((a) => codings.some((c) => c.system === a.system && c.code === a.code))) return rule;
  }
  return null;
}

function closedByUs(task: Task): boolean {
  return task.status === 'completed' && (task.output ?? []).some((o) => o.valueReference?.identifier?.value === SERVICE_DEVICE.value);
}

/**
 * Re-evaluates one patient and closes Careloop's outreach Tasks whose gap closed.
 * `trigger` names the event that caused it (subscription and event number, or poll), for the audit.
 */
export async function reevaluatePatient(options: ReevaluateOptions, patient: string, trigger: string): Promise<TaskOutcome[]> {
  const types = new Set<string>(['Task']);
  for (const t of options.rules.dataTypes) if (t !== 'Patient') types.add(t);
  const outcomes: TaskOutcome[] = [];
  const own = options.actions?.closeOwnOutreachTasks ?? true;
  const forGap = options.actions?.closeOutreachTasksForGap ?? false;
  if (!own && !forGap) return outcomes;

  for (let round = 0; round < 3; round++) {
    const resources = await readAll(options.fhir, patient, [...types].sort());
    const result = options.rules.evaluate(resources, options.asOf());
    const evaluated = result.results.map((x) => x.rule);
    const candidates: Array<{ task: Task; rule: string }> = [];
    for (const r of resources) {
      if (r.resourceType !== 'Task') continue;
      const mine = ruleOf(r, options.identifierSystem, patient);
      const rule = mine !== null ? (own ? mine : null) : forGap ? ruleByReason(r, options.rules, evaluated) : null;
      if (rule !== null) candidates.push({ task: r, rule });
    }
    let conflict = false;
    outcomes.length = 0;
    for (const { task, rule } of candidates) {
      const ref = `Task/${task.id ?? ''}`;
      const r = result.results.find((x) => x.rule === rule);
      if (closedByUs(task)) {
        // Finish a close an earlier run may have left half done (both writes are idempotent).
        if (r?.status === 'satisfied') await recordClose(options, patient, task, r, trigger, result.pack.digest);
        outcomes.push({ task: ref, kind: 'already-closed' });
        continue;
      }
      if (!isOpenTaskStatus(task.status)) continue;
      if (r?.status !== 'satisfied') {
        outcomes.push({ task: ref, kind: 'still-open', status: r?.status ?? 'unknown-rule' });
        continue;
      }
      const at = new Date((options.now ?? Date.now)()).toISOString();
      const closed: Task = {
        ...task,
        status: 'completed',
        lastModified: at,
        businessStatus: { text: `Gap closed: ${r.reason}`.slice(0, 500) },
        output: [
          ...(task.output ?? []),
          { type: { text: 'Closed by Careloop workflow' }, valueReference: { identifier: SERVICE_DEVICE, display: 'Careloop workflow service', type: 'Device' } },
        ],
      };
      const put = await options.fhir.request('PUT', ref, closed, task.meta?.versionId ? { 'if-match': `W/"${task.meta.versionId}"` } : {});
      if (put.status === 412) {
        conflict = true; // changed meanwhile: never overwrite; read and judge again
        break;
      }
      if (put.status >= 300) {
        outcomes.push({ task: ref, kind: 'failed', status: put.status });
        continue;
      }
      const saved = put.body as Task;
      await recordClose(options, patient, saved, r, trigger, result.pack.digest);
      outcomes.push({ task: ref, kind: 'closed', version: saved.meta?.versionId ?? null });
    }
    if (!conflict) return outcomes;
  }
  throw new Error(`Tasks of Patient/${patient} kept changing while being closed`);
}

/** The Provenance and the audit entry of a close; both keyed on the closed version, so writing them again is harmless. */
async function recordClose(options: ReevaluateOptions, patient: string, task: Task, r: RuleVerdict, trigger: string, packDigest: string): Promise<void> {
  const version = task.meta?.versionId ?? '';
  const target = `Task/${task.id ?? ''}${version ? `/_history/${version}` : ''}`;
  const recorded = task.lastModified ?? new Date((options.now ?? Date.now)()).toISOString();
  const provenance: Provenance = {
    resourceType: 'Provenance',
    target: [{ reference: target }],
    recorded,
    policy: [`${RULE_BASE}/${options.rules.packId}/${r.rule}|${r.version}`],
    activity: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-DataOperation', code: 'UPDATE', display: 'revise' }] },
    agent: [
      {
        type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type', code: 'author', display: 'Author' }] },
        who: { identifier: SERVICE_DEVICE, display: `Careloop workflow service ${options.appVersion}`, type: 'Device' },
      },
    ],
    entity: r.evidence.filter((e) => e.role !== 'invalid').map((e) => ({ role: 'source' as const, what: { reference: e.reference } })),
    reason: [{ text: `${r.title}: ${r.reason}`.slice(0, 500) }],
  };
  const prov = await options.fhir.request('POST', 'Provenance', provenance, { 'if-none-exist': `target=${encodeURIComponent(target)}` });
  if (prov.status >= 300) throw new Error(`Provenance create answered ${prov.status}`);
  if (!options.audit) return;
  const event: NormalizedAuditEvent = {
    id: uuidFrom(`careloop-workflow:close:${target}`),
    clientTime: recorded,
    patient,
    encounter: null,
    action: 'written',
    ruleId: r.rule,
    ruleVersion: r.version,
    packDigest,
    logic: { library: r.logic.library, version: r.logic.version, elmDigest: r.logic.elmDigest, source: r.logic.source },
    evidence: r.evidence.filter((e) => e.role !== 'invalid').map((e) => ({ reference: e.reference.replace(/\/_history\/.*$/, ''), version: e.versionId ?? null })),
    evidenceDigest: r.evidenceDigest,
    outcome: { reference: `Task/${task.id ?? ''}`, version: version || null, status: 200, error: null },
    // The triggering event, as a stable id (one per event, shared by everything it caused).
    correlationId: uuidFrom(`careloop-workflow:event:${trigger}`),
    appVersion: options.appVersion,
    snoozeUntil: null,
    reason: 'auto-closed:gap-closed',
  };
  const appended = await options.audit.store.append([event], options.audit.actor);
  if (appended.kind !== 'ok') throw new Error('the audit entry of the close conflicts with another entry');
}
