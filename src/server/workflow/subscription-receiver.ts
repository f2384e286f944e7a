/**
 * The workflow service's rest-hook receiver for FHIR Subscriptions (R5 Backport IG, R4 profile).
 * A notification is parsed, its events written to the durable inbox, and only then acknowledged.
 * Completeness does not rest on delivery: a gap in event numbers (against the notification's own
 * `events-since-subscription-start`, or a heartbeat's) or a heartbeat that does not come in time
 * makes the receiver ask the server's `$status` and fetch the missing events with `$events`.
 *
 * @example
 * const receiver = new SubscriptionReceiver({ inbox, fhirBase, fhirGet: (url) => getJson(url) });
 * await receiver.receive(bundle); // durable (group-committed with concurrent ones); answer 200 now
 */
import type { InboxEventInput, IntakeOutcome, WorkflowInbox } from './inbox.ts';
import { NOTIFICATION_TYPES, type NotificationType } from '../../shared/subscription-notification.ts';


/** A notification that is not a backport notification Bundle (answer 400). */
export class NotificationRejected extends Error {
  override readonly name = 'NotificationRejected';
}

/** The server no longer has the subscription (404/410 from `$status`): it is no longer followed. */
export class GoneError extends Error {
  override readonly name = 'GoneError';
}

export interface ReceiverOptions {
  readonly inbox: WorkflowInbox;
  /** The EHR's FHIR base: only subscriptions under it are followed (catch-up requests go nowhere else). */
  readonly fhirBase: string;
  /** GETs FHIR JSON with the service's own token. */
  readonly fhirGet: (url: string) => Promise<unknown>;
  readonly now?: () => number;
  /** One structured line per notable thing (gap found, catch-up done or failed). */
  readonly log?: (line: Record<string, unknown>) => void;
  /** A heartbeat is missed after this many periods without contact. Default 2. */
  readonly missedHeartbeatPeriods?: number;
}

export interface ReceiveResult {
  readonly subscription: string;
  readonly type: NotificationType;
  readonly eventsSinceStart: number | null;
  readonly outcomes: readonly IntakeOutcome[];
}

interface Part {
  name?: unknown;
  valueString?: unknown;
  valueCode?: unknown;
  valueCanonical?: unknown;
  valueInstant?: unknown;
  valueReference?: { reference?: unknown };
  valueInteger?: unknown;
  valueUnsignedInt?: unknown;
  part?: Part[];
}

interface Entry {
  fullUrl?: unknown;
  resource?: Record<string, unknown> & { resourceType?: unknown; id?: unknown; meta?: { versionId?: unknown; lastUpdated?: unknown } };
}

const TYPES: readonly NotificationType[] = NOTIFICATION_TYPES;

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function int(v: unknown): number | null {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  if (typeof v === 'string' && /^\d{1,15}$/.test(v)) return Number(v);
  return null;
}

/** `[base/]Type/id[/_history/vid]` → its parts. */
export function parseReference(ref: string): { type: string; id: string; versionId: string | null } | null {
  const m = /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/([A-Za-z0-9\-.]{1,64}))?$/.exec(ref);
  return m?.[1] && m[2] ? { type: m[1], id: m[2], versionId: m[3] ?? null } : null;
}

function patientOf(resource: Record<string, unknown> | undefined): string | null {
  if (!resource) return null;
  if (resource['resourceType'] === 'Patient') return str(resource['id']) ?? null;
  for (const field of ['subject', 'patient', 'for', 'beneficiary']) {
    const ref = str((resource[field] as { reference?: unknown } | undefined)?.reference);
    const m = ref ? /(?:^|\/)Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(ref) : null;
    if (m?.[1]) return m[1];
  }
  return null;
}

/** The parts of a backport notification Bundle, validated. */
export function parseNotification(body: unknown): { subscription: string; type: NotificationType; eventsSinceStart: number | null; events: Array<Omit<InboxEventInput, 'source'>> } {
  const bundle = body as { resourceType?: unknown; type?: unknown; entry?: unknown } | null;
  if (!bundle || typeof bundle !== 'object' || bundle.resourceType !== 'Bundle' || (bundle.type !== 'history' && bundle.type !== 'searchset')) {
    throw new NotificationRejected('A notification must be a history Bundle.');
  }
  const entries = (Array.isArray(bundle.entry) ? bundle.entry : []) as Entry[];
  const status = entries[0]?.resource;
  if (status?.resourceType !== 'Parameters' || !Array.isArray(status['parameter'])) throw new NotificationRejected('The first entry must be the SubscriptionStatus Parameters.');
  const params = status['parameter'] as Part[];
  const one = (name: string) => params.find((p) => p.name === name);
  const subscription = str(one('subscription')?.valueReference?.reference);
  if (!subscription) throw new NotificationRejected('SubscriptionStatus has no subscription reference.');
  const typeCode = str(one('type')?.valueCode);
  if (!typeCode || !(TYPES as readonly string[]).includes(typeCode)) throw new NotificationRejected(`Unknown notification type "${typeCode ?? ''}".`);
  const since = one('events-since-subscription-start');
  const eventsSinceStart = int(since?.valueString ?? since?.valueInteger ?? since?.valueUnsignedInt);

  const byRef = new Map<string, Entry['resource']>();
  for (const e of entries.slice(1)) {
    const ref = str(e.fullUrl);
    const parsed = ref ? parseReference(ref) : null;
    if (parsed && e.resource) byRef.set(`${parsed.type}/${parsed.id}`, e.resource);
  }
  const events: Array<Omit<InboxEventInput, 'source'>> = [];
  for (const p of params.filter((x) => x.name === 'notification-event')) {
    const parts = p.part ?? [];
    const number = int(parts.find((x) => x.name === 'event-number')?.valueString ?? parts.find((x) => x.name === 'event-number')?.valueInteger);
    const focus = str(parts.find((x) => x.name === 'focus')?.valueReference?.reference);
    const ref = focus ? parseReference(focus) : null;
    if (number === null || !ref) throw new NotificationRejected('A notification-event needs an event-number and a focus reference.');
    const resource = byRef.get(`${ref.type}/${ref.id}`);
    const versionId = str(resource?.meta?.versionId) ?? ref.versionId;
    const lastUpdated = str(resource?.meta?.lastUpdated);
    events.push({
      subscription,
      eventNumber: number,
      resourceType: ref.type,
      resourceId: ref.id,
      versionId: versionId ?? null,
      lastUpdated: lastUpdated ?? null,
      patient: patientOf(resource),
      ...(resource ? { resource } : {}),
    });
  }
  return { subscription, type: typeCode as NotificationType, eventsSinceStart, events };
}

export class SubscriptionReceiver {
  private readonly now: () => number;
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  /** Catch-ups started, events recovered by them (metrics, tests). */
  readonly counters = { catchUps: 0, recovered: 0, catchUpFailures: 0, missedHeartbeats: 0 };

  constructor(private readonly options: ReceiverOptions) {
    this.now = options.now ?? Date.now;
  }

  private follows(subscription: string): boolean {
    return subscription.startsWith(`${this.options.fhirBase}/Subscription/`) && parseReference(subscription)?.type === 'Subscription';
  }

  /**
   * Takes one notification: its events are durable when this returns. A gap, if any, is caught up
   * in the background (see {@link settled}).
   */
  async receive(body: unknown, source = 'rest-hook'): Promise<ReceiveResult> {
    const n = parseNotification(body);
    if (!this.follows(n.subscription)) throw new NotificationRejected('This service does not follow that subscription.');
    // The events, the contact and the gap check in one durable write, shared with concurrent notifications.
    const { outcomes, gap } = await this.options.inbox.intake({
      events: n.events.map((e) => ({ ...e, source })),
      contact: { subscription: n.subscription, eventsSinceStart: n.eventsSinceStart },
      gapCheck: source !== 'catch-up' && n.type !== 'handshake',
    });
    if (gap) void this.catchUp(n.subscription);
    return { subscription: n.subscription, type: n.type, eventsSinceStart: n.eventsSinceStart, outcomes };
  }

  /** Remembers the heartbeat period of a subscription this service created. */
  async follow(subscription: string, heartbeatSeconds: number | null): Promise<void> {
    await this.options.inbox.noteContact(subscription, null, heartbeatSeconds);
  }

  /** Catches up every followed subscription whose heartbeat is overdue. Returns those it checked. */
  async checkHeartbeats(): Promise<string[]> {
    const periods = this.options.missedHeartbeatPeriods ?? 2;
    const overdue = (await this.options.inbox.subscriptionStates())
      .filter((s) => s.heartbeatSeconds !== null && this.now() - s.lastContactAt > s.heartbeatSeconds * 1000 * periods)
      .map((s) => s.subscription);
    for (const sub of overdue) {
      this.counters.missedHeartbeats++;
      this.options.log?.({ msg: 'missed heartbeat', subscription: sub });
      void this.catchUp(sub);
    }
    return overdue;
  }

  /** Asks `$status` for the latest event number and fetches what is missing with `$events`; one run per subscription at a time. */
  catchUp(subscription: string): Promise<void> {
    const current = this.running.get(subscription);
    if (current) {
      this.again.add(subscription);
      return current;
    }
    const run = this.runCatchUp(subscription)
      .catch(async (e: unknown) => {
        if (e instanceof GoneError) {
          await this.options.inbox.forgetSubscription(subscription);
          this.options.log?.({ msg: 'subscription gone; no longer followed', subscription });
          return;
        }
        this.counters.catchUpFailures++;
        this.options.log?.({ msg: 'catch-up failed', subscription, error: e instanceof Error ? e.message : String(e) });
      })
      .finally(() => {
        this.running.delete(subscription);
        if (this.again.delete(subscription)) void this.catchUp(subscription);
      });
    this.running.set(subscription, run);
    return run;
  }

  private async runCatchUp(subscription: string): Promise<void> {
    this.counters.catchUps++;
    const status = (await this.options.fhirGet(`${subscription}/$status`)) as { entry?: Array<{ resource?: unknown }> };
    const parameters = status.entry?.[0]?.resource;
    const n = parseNotification({ resourceType: 'Bundle', type: 'history', entry: [{ resource: parameters }] });
    await this.options.inbox.noteContact(subscription, n.eventsSinceStart);
    const missing = await this.options.inbox.missingEventNumbers(subscription);
    if (missing.length === 0) return;
    const from = missing[0] ?? 1;
    const to = missing.at(-1) ?? from;
    this.options.log?.({ msg: 'event gap', subscription, from, to, missing: missing.length });
    const events = await this.options.fhirGet(`${subscription}/$events?eventsSinceNumber=${from}&eventsUntilNumber=${to}&content=full-resource`);
    const got = await this.receive(events, 'catch-up');
    this.counters.recovered += got.outcomes.filter((o) => o === 'accepted' || o === 'stale').length;
  }

  /** Resolves when every catch-up started so far has finished (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()]);
  }
}
