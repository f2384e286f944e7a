/**
 * The workflow service's own access to the EHR, the SMART Backend Services way: it signs a
 * `private_key_jwt` assertion (RS384 or ES384), trades it at the token endpoint for a `system/`
 * token, caches that token and gets a new one before it expires. Concurrent callers share one
 * request. The token is never logged.
 *
 * @example
 * const tokens = new BackendTokenSource({ tokenEndpoint, clientId: 'careloop-workflow', privateKey, kid, alg: 'ES384', scope: 'system/Observation.rs' });
 * const res = await fetch(`${fhirBase}/Observation?patient=ada`, { headers: { authorization: `Bearer ${await tokens.token()}` } });
 */
import { randomUUID } from 'node:crypto';
import { SignJWT, type CryptoKey, type KeyObject } from 'jose';
import { z } from 'zod';

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export interface BackendTokenOptions {
  readonly tokenEndpoint: string;
  readonly clientId: string;
  readonly privateKey: CryptoKey | KeyObject;
  readonly kid: string;
  readonly alg: 'RS384' | 'ES384';
  /** Space-separated `system/` scopes. */
  readonly scope: string;
  readonly fetch?: typeof fetch;
  /** ms since epoch. Default Date.now. */
  readonly now?: () => number;
  /** Get a new token when the cached one has less than this left. Default 60 s (or a third of a short lifetime). */
  readonly refreshMarginSeconds?: number;
}

/** Why the EHR refused a token (OAuth error), or that it could not be reached. */
export class BackendTokenError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    readonly oauthError: string | null,
  ) {
    super(message);
    this.name = 'BackendTokenError';
  }
}

const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string().regex(/^bearer$/i),
  expires_in: z.number().int().positive(),
  scope: z.string().optional(),
});

interface Cached {
  readonly token: string;
  readonly scope: string;
  /** ms since epoch when a new token is due. */
  readonly refreshAt: number;
}

export class BackendTokenSource {
  private cached: Cached | null = null;
  private pending: Promise<Cached> | null = null;
  private readonly now: () => number;
  private readonly fetchFn: typeof fetch;
  /** Token requests made (for tests and metrics). */
  requests = 0;

  constructor(private readonly options: BackendTokenOptions) {
    this.now = options.now ?? Date.now;
    this.fetchFn = options.fetch ?? fetch;
  }

  /** A valid access token, from the cache while it has more than the margin left. */
  async token(): Promise<string> {
    if (this.cached && this.now() < this.cached.refreshAt) return this.cached.token;
    this.pending ??= this.request().finally(() => {
      this.pending = null;
    });
    this.cached = await this.pending;
    return this.cached.token;
  }

  /** The scopes the last token was granted (may be fewer than asked for). */
  get grantedScope(): string | null {
    return this.cached?.scope ?? null;
  }

  /** Forget the cached token (after a 401 from the FHIR server). */
  invalidate(): void {
    this.cached = null;
  }

  private async request(): Promise<Cached> {
    const o = this.options;
    const iat = Math.floor(this.now() / 1000);
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: o.alg, kid: o.kid, typ: 'JWT' })
      .setIssuer(o.clientId)
      .setSubject(o.clientId)
      .setAudience(o.tokenEndpoint)
      .setIssuedAt(iat)
      .setExpirationTime(iat + 240)
      .setJti(randomUUID())
      .sign(o.privateKey);
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      scope: o.scope,
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: assertion,
    });
    this.requests++;
    let res: Response;
    try {
      res = await this.fetchFn(o.tokenEndpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: body.toString() });
    } catch (e) {
      throw new BackendTokenError(`token endpoint unreachable: ${e instanceof Error ? e.message : String(e)}`, null, null);
    }
    const json: unknown = await res.json().catch(() => null);
    if (!res.ok) {
      const err = z.object({ error: z.string(), error_description: z.string().optional() }).safeParse(json);
      throw new BackendTokenError(
        `token endpoint refused (${res.status}${err.success ? ` ${err.data.error}${err.data.error_description ? `: ${err.data.error_description}` : ''}` : ''})`,
        res.status,
        err.success ? err.data.error : null,
      );
    }
    const parsed = tokenResponseSchema.safeParse(json);
    if (!parsed.success) throw new BackendTokenError('token endpoint answered without a usable bearer token', res.status, null);
    const lifetimeMs = parsed.data.expires_in * 1000;
    const marginMs = Math.min((o.refreshMarginSeconds ?? 60) * 1000, lifetimeMs / 3);
    return { token: parsed.data.access_token, scope: parsed.data.scope ?? o.scope, refreshAt: this.now() + lifetimeMs - marginMs };
  }
}
