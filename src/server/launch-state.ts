/**
 * The launch hand-off for a browser that denies storage to the EHR's cross-site iframe (Chromium's
 * default "block third-party cookies" also throws on sessionStorage, localStorage and IndexedDB
 * there). launch.html cannot keep fhirclient's launch record (PKCE verifier, endpoints) for
 * index.html, so it leaves it here for the one launch: keyed by its OAuth `state`, bound to the
 * browser by a partitioned cookie (CHIPS) that this server sets and script cannot read, single use,
 * gone after {@link LAUNCH_STATE_TTL_SECONDS}.
 *
 * Holding only `state` (which travels in the redirect URL) is not enough to take a record: the
 * claim must come with the cookie from the same browser and EHR site, so a leaked redirect URL
 * gives neither the verifier nor the code exchange (PKCE and the `state` check stay meaningful).
 * The record carries no token and no PHI; `state` travels in bodies, never in URLs, so access logs
 * hold neither.
 *
 * Routes (JSON bodies, answers `Cache-Control: no-store`):
 * - `POST /api/launch-state` `{ state, record }` → 201 and `Set-Cookie`; 409 if `state` is taken.
 * - `POST /api/launch-state/bound` `{ state }` → 204 when this browser's cookie came back, else 404.
 * - `POST /api/launch-state/claim` `{ state }` → 200 `{ record }` once; the record and cookie go.
 */
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { createRateLimiter } from './rate-limit.ts';

/** How long a launch record waits for its redirect back: enough for a slow sign-in, not more. */
export const LAUNCH_STATE_TTL_SECONDS = 600;
/** The largest launch record kept, serialized (fhirclient's is about 1 KB). */
export const MAX_LAUNCH_RECORD_BYTES = 4 * 1024;
/** Records kept at once; past it the oldest goes first. */
export const MAX_LAUNCH_RECORDS = 10_000;

/** New launch records per client address: far above a ward's launches, far below a flood. */
export const LAUNCH_STATE_RATE = { perSecond: 20, burst: 100 };

/** Options of {@link launchStateRoutes} (tests shorten the clock). */
export interface LaunchStateOptions {
  ttlSeconds?: number;
  maxRecords?: number;
  /** Token bucket per client address for new records; `perSecond: 0` disables it. */
  rateLimit?: { perSecond: number; burst: number };
  now?: () => number;
}

interface Held {
  record: Record<string, unknown>;
  binding: Buffer;
  expiresAt: number;
}

/** Careloop's own states are `crypto.randomUUID()`s; nothing else is accepted as a key. */
const stateSchema = z.uuid();
const putSchema = z.strictObject({ state: stateSchema, record: z.record(z.string(), z.unknown()) });
const stateOnlySchema = z.strictObject({ state: stateSchema });

/** The cookie of one launch: `__Host-` pins it to this origin, path `/` and Secure. */
export function launchCookieName(state: string): string {
  return `__Host-careloop-launch-${state}`;
}

function cookieHeader(state: string, value: string, maxAge: number): string {
  // SameSite=None: it is sent from inside the EHR's iframe. Partitioned: the browser keeps it under
  // the EHR's site, which is why a browser blocking third-party cookies still accepts it.
  return `${launchCookieName(state)}=${value}; Path=/; Max-Age=${maxAge}; HttpOnly; Secure; SameSite=None; Partitioned`;
}

function cookieValue(request: FastifyRequest, name: string): string | null {
  const header = request.headers.cookie;
  if (typeof header !== 'string') return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

function digest(value: string): Buffer {
  return hash('sha256', value, 'buffer');
}

function badRequest(reply: FastifyReply, error: z.ZodError): FastifyReply {
  const fields = error.issues.map((i) => i.path.map(String).join('.') || '(body)');
  return reply.code(400).send({ error: 'invalid-request', message: `Invalid launch-state request: ${[...new Set(fields)].join(', ')}.` });
}

/**
 * Registers the launch hand-off routes (a fastify plugin). State lives in this process's memory:
 * a deployment with several instances routes one browser to one instance (sticky sessions) or
 * keeps to browsers that allow the iframe its storage.
 *
 * @example
 * void app.register(launchStateRoutes);
 */
export async function launchStateRoutes(app: FastifyInstance, options: LaunchStateOptions = {}): Promise<void> {
  const ttl = options.ttlSeconds ?? LAUNCH_STATE_TTL_SECONDS;
  const max = options.maxRecords ?? MAX_LAUNCH_RECORDS;
  const now = options.now ?? Date.now;
  // Insertion order is expiry order (one TTL for all), so expired records are at the front.
  const held = new Map<string, Held>();
  // The routes need no token (no launch has one yet), so a flood of records that would push real
  // launches out is slowed per address first.
  const limiter = createRateLimiter({ ...(options.rateLimit ?? LAUNCH_STATE_RATE), now });

  function sweep(): void {
    const at = now();
    for (const [state, entry] of held) {
      if (entry.expiresAt > at) break;
      held.delete(state);
    }
  }

  /** The live record of `state` if this request carries its cookie; why not otherwise. */
  function boundRecord(request: FastifyRequest, state: string): Held | 'unknown' | 'not-bound' {
    sweep();
    const entry = held.get(state);
    if (!entry) return 'unknown';
    const given = cookieValue(request, launchCookieName(state));
    if (!given || !timingSafeEqual(digest(given), entry.binding)) return 'not-bound';
    return entry;
  }

  app.post('/api/launch-state', async (request, reply) => {
    void reply.header('cache-control', 'no-store');
    const parsed = putSchema.safeParse(request.body);
    if (!parsed.success) return badRequest(reply, parsed.error);
    const { state, record } = parsed.data;
    const decision = limiter.take(request.ip);
    if (!decision.allowed) {
      return reply.code(429).header('retry-after', String(decision.retryAfterSeconds)).send({ error: 'rate-limited', message: 'Too many launches from this address; retry later.' });
    }
    if (Buffer.byteLength(JSON.stringify(record)) > MAX_LAUNCH_RECORD_BYTES) {
      return reply.code(413).send({ error: 'body-too-large', message: `A launch record holds at most ${MAX_LAUNCH_RECORD_BYTES} bytes.` });
    }
    sweep();
    // A state is used once: a second write never replaces a launch in flight.
    if (held.has(state)) return reply.code(409).send({ error: 'state-taken', message: 'This launch state is already held.' });
    while (held.size >= max) {
      const oldest = held.keys().next();
      if (oldest.done === true) break;
      held.delete(oldest.value);
    }
    const binding = randomBytes(32).toString('base64url');
    held.set(state, { record, binding: digest(binding), expiresAt: now() + ttl * 1000 });
    return reply.code(201).header('set-cookie', cookieHeader(state, binding, ttl)).send({ expiresInSeconds: ttl });
  });

  app.post('/api/launch-state/bound', async (request, reply) => {
    void reply.header('cache-control', 'no-store');
    const parsed = stateOnlySchema.safeParse(request.body);
    if (!parsed.success) return badRequest(reply, parsed.error);
    const found = boundRecord(request, parsed.data.state);
    if (typeof found === 'string') return reply.code(404).send({ error: found, message: 'This browser holds no cookie for this launch.' });
    return reply.code(204).send();
  });

  app.post('/api/launch-state/claim', async (request, reply) => {
    void reply.header('cache-control', 'no-store');
    const parsed = stateOnlySchema.safeParse(request.body);
    if (!parsed.success) return badRequest(reply, parsed.error);
    const { state } = parsed.data;
    const found = boundRecord(request, state);
    if (found === 'unknown') return reply.code(404).send({ error: 'unknown-state', message: 'No launch is held for this state (used, expired or never started).' });
    // Without the cookie the record stays: whoever learnt the state cannot spend the real launch.
    if (found === 'not-bound') return reply.code(403).send({ error: 'not-bound', message: 'This browser holds no cookie for this launch.' });
    held.delete(state);
    return reply.header('set-cookie', cookieHeader(state, '', 0)).send({ record: found.record });
  });
}
