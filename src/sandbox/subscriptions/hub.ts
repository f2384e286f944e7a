/**
 * The sandbox as an event source: FHIR Subscriptions as the R4 backport of R5 topic-based
 * subscriptions define them (Subscriptions R5 Backport IG, R4 profiles). rest-hook channel only.
 *
 * - create: validated, then a handshake is POSTed to the endpoint; 2xx → `active`, else `error`;
 * - every create/update of a topic's resource type in the filtered patient's chart is an event with
 *   the next event number, kept for `$events`, and POSTed as a `history` Bundle whose first entry
 *   is the SubscriptionStatus Parameters (`events-since-subscription-start`, `notification-event`
 *   with `event-number`, `timestamp`, `focus`), then the resource (`full-resource`) or only its
 *   reference (`id-only`);
 * - heartbeats every `backport-heartbeat-period` seconds;
 * - fault switches (tests): duplicate, drop, delay, reorder or pause notifications.
 * Deliveries are not retried: a receiver that misses one finds the gap and asks `$events`.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Bundle, BundleEntry, Parameters, ParametersParameter, Resource, Subscription } from '@medplum/fhirtypes';
import { EXT_FILTER_CRITERIA, EXT_HEARTBEAT_PERIOD, EXT_PAYLOAD_CONTENT, parseFilter, topicFor, type Topic } from './topics.ts';
import type { NotificationType } from '../../shared/subscription-notification.ts';

export type PayloadContent = 'empty' | 'id-only' | 'full-resource';

/** A resource created or updated in the sandbox. */
export interface ResourceChange {
  readonly resource: Resource;
  readonly patient: string | null;
  readonly interaction: 'create' | 'update';
}

interface SubscriptionEvent {
  readonly number: number;
  readonly timestamp: string;
  readonly focus: string;
  readonly interaction: 'create' | 'update';
  readonly resource: Resource;
}

interface SubscriptionState {
  resource: Subscription;
  readonly topic: Topic;
  readonly patient: string | null;
  readonly content: PayloadContent;
  readonly headers: Record<string, string>;
  readonly heartbeatSeconds: number | null;
  readonly clientId: string;
  readonly events: SubscriptionEvent[];
  /** Deliveries run one after another. */
  chain: Promise<void>;
  /** Bundles held back by a pause fault or a reorder fault. */
  held: Bundle[];
  heldForReorder: Bundle | null;
  timer: NodeJS.Timeout | null;
  deliveryErrors: number;
  delivered: number;
}

export const subscriptionFaultSchema = z
  .object({
    kind: z.enum(['duplicate', 'drop', 'delay', 'reorder', 'pause']),
    /** Only this subscription (id); default every one. */
    subscription: z.string().optional(),
    /** How many notifications to affect; default every one until cleared. (`pause` ignores it.) */
    times: z.number().int().min(1).optional(),
    /** `delay`: milliseconds. */
    delayMs: z.number().int().min(0).max(120_000).optional(),
    /** `duplicate`: copies sent of each notification. Default 2. */
    copies: z.number().int().min(2).max(10).optional(),
  })
  .strict();
export type SubscriptionFault = z.output<typeof subscriptionFaultSchema> & { id: string; hits: number };

export interface SubscriptionHubOptions {
  readonly fhirBase: () => string;
  readonly now: () => number;
  /** How notifications are POSTed. Default global fetch. */
  readonly fetch?: typeof fetch;
  /** Run heartbeat timers. Default true (tests send heartbeats by hand). */
  readonly heartbeatTimers?: boolean;
}

/** Why a Subscription cannot be created (400 with this text). */
export class SubscriptionRejected extends Error {}

const MAX_EVENTS = 10_000;
let faultSeq = 1;

export class SubscriptionHub {
  private readonly subs = new Map<string, SubscriptionState>();
  private faults: SubscriptionFault[] = [];
  private readonly fetchFn: typeof fetch;

  constructor(private readonly options: SubscriptionHubOptions) {
    this.fetchFn = options.fetch ?? ((...args) => fetch(...args));
  }

  private url(id: string): string {
    return `${this.options.fhirBase()}/Subscription/${id}`;
  }

  /** Validates and stores a Subscription, then handshakes; returns it with its status. */
  async create(input: unknown, clientId: string, patientLimit: string | null): Promise<Subscription> {
    const sub = input as Subscription;
    if (!sub || typeof sub !== 'object' || sub.resourceType !== 'Subscription') throw new SubscriptionRejected('The body must be a Subscription resource.');
    const topic = topicFor(sub.criteria ?? '');
    if (!topic) throw new SubscriptionRejected(`Unknown topic "${sub.criteria ?? ''}": criteria must be one of this server's SubscriptionTopic URLs.`);
    const filterText = primitiveExtensions(sub, '_criteria').find((e) => e.url === EXT_FILTER_CRITERIA)?.valueString;
    const filter = parseFilter(filterText, topic);
    if ('error' in filter) throw new SubscriptionRejected(filter.error);
    if (patientLimit !== null && filter.patient !== patientLimit) throw new SubscriptionRejected(`The token is limited to Patient/${patientLimit}: filter on patient=Patient/${patientLimit}.`);
    const channel = sub.channel;
    if (channel?.type !== 'rest-hook') throw new SubscriptionRejected('Only the rest-hook channel is supported.');
    let endpoint: URL;
    try {
      endpoint = new URL(channel.endpoint ?? '');
    } catch {
      throw new SubscriptionRejected('channel.endpoint must be an absolute http(s) URL.');
    }
    if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:') throw new SubscriptionRejected('channel.endpoint must be an absolute http(s) URL.');
    // The sandbox runs on one machine: it notifies only servers on that machine, never a host a
    // client names (no request to the network on a client's say-so).
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(endpoint.hostname)) throw new SubscriptionRejected('channel.endpoint must be on this machine (127.0.0.1, localhost or [::1]): the sandbox notifies no other host.');
    const contentCode = primitiveExtensions(channel, '_payload').find((e) => e.url === EXT_PAYLOAD_CONTENT)?.valueCode ?? 'id-only';
    if (!['empty', 'id-only', 'full-resource'].includes(contentCode)) throw new SubscriptionRejected(`Unknown payload content "${contentCode}".`);
    if (channel.payload !== undefined && channel.payload !== 'application/fhir+json' && channel.payload !== 'application/json') throw new SubscriptionRejected('channel.payload must be application/fhir+json.');
    const hb = channel.extension?.find((e) => e.url === EXT_HEARTBEAT_PERIOD)?.valueUnsignedInt;
    if (hb !== undefined && (!Number.isInteger(hb) || hb < 1 || hb > 86_400)) throw new SubscriptionRejected('backport-heartbeat-period must be 1–86400 seconds.');
    const headers: Record<string, string> = {};
    for (const h of channel.header ?? []) {
      const m = /^([A-Za-z0-9-]{1,64}):\s?(.{1,4096})$/.exec(h);
      if (!m?.[1] || m[2] === undefined) throw new SubscriptionRejected(`channel.header "${h.slice(0, 40)}" is not "Name: value".`);
      headers[m[1].toLowerCase()] = m[2];
    }

    const id = randomUUID();
    const resource: Subscription = { ...sub, id, status: 'requested', meta: { versionId: '1', lastUpdated: new Date(this.options.now()).toISOString() } };
    const state: SubscriptionState = {
      resource,
      topic,
      patient: filter.patient,
      content: contentCode as PayloadContent,
      headers,
      heartbeatSeconds: hb ?? null,
      clientId,
      events: [],
      chain: Promise.resolve(),
      held: [],
      heldForReorder: null,
      timer: null,
      deliveryErrors: 0,
      delivered: 0,
    };
    this.subs.set(id, state);
    const ok = await this.post(state, this.notification(state, 'handshake', []));
    state.resource = { ...resource, status: ok ? 'active' : 'error', ...(ok ? {} : { error: 'The handshake was not accepted by the endpoint.' }) };
    if (ok && state.heartbeatSeconds !== null && this.options.heartbeatTimers !== false) {
      state.timer = setInterval(() => void this.heartbeat(id), state.heartbeatSeconds * 1000);
      state.timer.unref();
    }
    return this.public(state);
  }

  get(id: string): Subscription | undefined {
    const s = this.subs.get(id);
    return s ? this.public(s) : undefined;
  }

  /** The client that created a subscription (only it may read or delete it). */
  ownerOf(id: string): string | undefined {
    return this.subs.get(id)?.clientId;
  }

  list(): Subscription[] {
    return [...this.subs.values()].map((s) => this.public(s));
  }

  delete(id: string): boolean {
    const s = this.subs.get(id);
    if (!s) return false;
    if (s.timer) clearInterval(s.timer);
    this.subs.delete(id);
    return true;
  }

  private public(s: SubscriptionState): Subscription {
    // Channel headers can hold the receiver's credential: never echoed back.
    const { header: _header, ...channel } = s.resource.channel;
    return { ...s.resource, channel };
  }

  /** Called on every create/update in the sandbox: one event for each active subscription it matches. */
  onChange(change: ResourceChange): void {
    for (const [id, s] of this.subs) {
      if (s.resource.status !== 'active') continue;
      if (!(s.topic.types as readonly string[]).includes(change.resource.resourceType)) continue;
      if (s.patient !== null && change.patient !== s.patient) continue;
      const event: SubscriptionEvent = {
        number: s.events.length + 1,
        timestamp: new Date(this.options.now()).toISOString(),
        focus: `${change.resource.resourceType}/${change.resource.id ?? ''}`,
        interaction: change.interaction,
        resource: structuredClone(change.resource),
      };
      if (s.events.length < MAX_EVENTS) s.events.push(event);
      this.send(id, s, this.notification(s, 'event-notification', [event]), true);
    }
  }

  /** Sends a heartbeat now (the timer calls it; tests call it by hand). */
  async heartbeat(id: string): Promise<void> {
    const s = this.subs.get(id);
    if (!s || s.resource.status !== 'active') return;
    this.send(id, s, this.notification(s, 'heartbeat', []), false);
    await s.chain;
  }

  /** The `$status` answer: a searchset with one SubscriptionStatus Parameters. */
  status(id: string): Bundle | undefined {
    const s = this.subs.get(id);
    if (!s) return undefined;
    return {
      resourceType: 'Bundle',
      type: 'searchset',
      total: 1,
      entry: [{ fullUrl: `urn:uuid:${randomUUID()}`, resource: this.statusParameters(s, 'query-status', []), search: { mode: 'match' } }],
    };
  }

  /** The `$events` answer: the events numbered [since, until] still held, as a history Bundle. */
  eventsBundle(id: string, since: number | undefined, until: number | undefined, content: PayloadContent | undefined): Bundle | undefined {
    const s = this.subs.get(id);
    if (!s) return undefined;
    const from = since ?? 1;
    const to = until ?? s.events.length;
    const events = s.events.filter((e) => e.number >= from && e.number <= to);
    return this.notification(s, 'query-event', events, content ?? s.content);
  }

  /** Waits until every notification queued so far was sent (tests). */
  async settled(): Promise<void> {
    await Promise.all([...this.subs.values()].map((s) => s.chain));
  }

  addFault(input: z.output<typeof subscriptionFaultSchema>): SubscriptionFault {
    const fault = { ...input, id: `sub-fault-${faultSeq++}`, hits: 0 };
    this.faults.push(fault);
    return fault;
  }

  listFaults(): readonly SubscriptionFault[] {
    return this.faults;
  }

  /** Clears fault switches and sends what a pause or reorder held back, in order. */
  clearFaults(): void {
    this.faults = [];
    for (const s of this.subs.values()) {
      const held = [...s.held, ...(s.heldForReorder ? [s.heldForReorder] : [])];
      s.held = [];
      s.heldForReorder = null;
      for (const b of held) this.enqueue(s, b);
    }
  }

  close(): void {
    for (const s of this.subs.values()) if (s.timer) clearInterval(s.timer);
  }

  private takeFault(id: string): SubscriptionFault | undefined {
    const fault = this.faults.find((f) => f.kind !== 'pause' && (f.subscription === undefined || f.subscription === id));
    if (!fault) return undefined;
    fault.hits++;
    if (fault.times !== undefined && fault.hits >= fault.times) this.faults = this.faults.filter((f) => f !== fault);
    return fault;
  }

  /** Sends through the fault switches: `pause` holds everything, the others apply to events only. */
  private send(id: string, s: SubscriptionState, bundle: Bundle, isEvent: boolean): void {
    const paused = this.faults.some((f) => f.kind === 'pause' && (f.subscription === undefined || f.subscription === id));
    if (paused) {
      s.held.push(bundle);
      return;
    }
    const fault = isEvent ? this.takeFault(id) : undefined;
    switch (fault?.kind) {
      case undefined:
      case 'pause':
        break;
      case 'drop':
        return;
      case 'duplicate':
        for (let i = 1; i < (fault.copies ?? 2); i++) this.enqueue(s, bundle);
        break;
      case 'delay': {
        const ms = fault.delayMs ?? 1000;
        s.chain = s.chain.then(() => new Promise((r) => setTimeout(r, ms)));
        break;
      }
      case 'reorder':
        if (s.heldForReorder === null) {
          s.heldForReorder = bundle;
          return;
        }
        break;
    }
    this.enqueue(s, bundle);
    if (isEvent && s.heldForReorder !== null) {
      // The held notification goes after the one that came later.
      const late = s.heldForReorder;
      s.heldForReorder = null;
      this.enqueue(s, late);
    }
  }

  private enqueue(s: SubscriptionState, bundle: Bundle): void {
    s.chain = s.chain.then(async () => {
      const ok = await this.post(s, bundle);
      if (ok) s.delivered++;
      else s.deliveryErrors++;
    });
  }

  private async post(s: SubscriptionState, bundle: Bundle): Promise<boolean> {
    try {
      const res = await this.fetchFn(s.resource.channel.endpoint ?? '', {
        method: 'POST',
        headers: { ...s.headers, 'content-type': 'application/fhir+json' },
        body: JSON.stringify(bundle),
        signal: AbortSignal.timeout(10_000),
      });
      await res.arrayBuffer().catch(() => undefined);
      return res.ok;
    } catch {
      return false;
    }
  }

  private statusParameters(s: SubscriptionState, type: NotificationType, events: readonly SubscriptionEvent[]): Parameters {
    const parameter: ParametersParameter[] = [
      { name: 'subscription', valueReference: { reference: this.url(s.resource.id ?? '') } },
      { name: 'topic', valueCanonical: s.topic.url },
      { name: 'status', valueCode: type === 'handshake' ? 'requested' : (s.resource.status ?? 'active') },
      { name: 'type', valueCode: type },
      { name: 'events-since-subscription-start', valueString: String(s.events.length) },
    ];
    for (const e of events) {
      parameter.push({
        name: 'notification-event',
        part: [
          { name: 'event-number', valueString: String(e.number) },
          { name: 'timestamp', valueInstant: e.timestamp },
          ...(s.content === 'empty' && type === 'event-notification' ? [] : [{ name: 'focus', valueReference: { reference: `${this.options.fhirBase()}/${e.focus}` } }]),
        ],
      });
    }
    return { resourceType: 'Parameters', id: randomUUID(), meta: { profile: ['http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription-status-r4'] }, parameter };
  }

  private notification(s: SubscriptionState, type: NotificationType, events: readonly SubscriptionEvent[], content: PayloadContent = s.content): Bundle {
    const status = this.statusParameters(s, type, events);
    const entry: BundleEntry[] = [
      { fullUrl: `urn:uuid:${status.id ?? ''}`, resource: status, request: { method: 'GET', url: `${this.url(s.resource.id ?? '')}/$status` }, response: { status: '200' } },
    ];
    if (content !== 'empty') {
      for (const e of events) {
        entry.push({
          fullUrl: `${this.options.fhirBase()}/${e.focus}`,
          ...(content === 'full-resource' ? { resource: e.resource } : {}),
          request: { method: e.interaction === 'create' ? 'POST' : 'PUT', url: e.interaction === 'create' ? e.resource.resourceType : e.focus },
          response: { status: e.interaction === 'create' ? '201' : '200' },
        });
      }
    }
    return {
      resourceType: 'Bundle',
      id: randomUUID(),
      meta: { profile: ['http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription-notification-r4'] },
      type: 'history',
      timestamp: new Date(this.options.now()).toISOString(),
      entry,
    };
  }
}

interface PrimitiveExtension {
  readonly url: string;
  readonly valueString?: string;
  readonly valueCode?: string;
}

/** The extensions on a primitive (`_criteria`, `_payload`), which the R4 types do not model. */
function primitiveExtensions(element: object, key: string): readonly PrimitiveExtension[] {
  const holder = (element as Record<string, unknown>)[key];
  const ext = holder && typeof holder === 'object' ? (holder as { extension?: unknown }).extension : undefined;
  return Array.isArray(ext) ? ext.filter((e): e is PrimitiveExtension => !!e && typeof e === 'object' && typeof (e as { url?: unknown }).url === 'string') : [];
}
