/**
 * Verifies SMART access tokens from the configured (and only the configured) issuers.
 *
 * Per issuer, either the JWT's signature against the JWKS, or RFC 7662 token introspection; both
 * endpoints are discovered through the FHIR base's `.well-known/smart-configuration`. Expiry and
 * audience are checked in both modes; then the token must have been issued to one of the issuer's
 * Careloop client ids and carry the scopes Careloop asks for (a token the EHR gave another app is
 * refused even though it is genuine). Results are cached for a short time by the token's SHA-256
 * (never the token itself), so a busy client costs one verification, not one per request.
 */
import { hash } from 'node:crypto';
import { createRemoteJWKSet, decodeJwt, jwtVerify, type JWTPayload } from 'jose';
import { z } from 'zod';
import { covers, splitScopes } from '../../shared/smart-scopes.ts';

/** One trusted issuer, as configured. */
export interface TrustedIssuer {
  /** The FHIR base the app is launched with (`iss` of the launch), e.g. `http://127.0.0.1:4000/fhir`. */
  fhirBase: string;
  mode: 'jwks' | 'introspection';
  /** Expected `aud` of its tokens; defaults to `fhirBase`. */
  audience?: string | undefined;
  /** Expected `iss` claim of its JWTs; defaults to the smart-configuration's `issuer`, if it has one. */
  issuer?: string | undefined;
  /** The client ids Careloop is registered under at this EHR; tokens of any other client are refused. Default `['careloop']`. */
  clientIds?: readonly string[] | undefined;
  /**
   * The credentials the audit server presents to the introspection endpoint (RFC 7662 §2.1 lets the
   * EHR require them; most do): HTTP Basic with this client id and secret (RFC 6749 §2.3.1), the
   * confidential client the EHR registered for the audit server. Unset: no authentication.
   */
  introspectionClient?: { id: string; secret: string } | undefined;
}

/** `Basic base64(urlencode(id):urlencode(secret))`, as RFC 6749 §2.3.1 spells client authentication. */
export function basicAuthorization(client: { id: string; secret: string }): string {
  const encode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2);
  return `Basic ${Buffer.from(`${encode(client.id)}:${encode(client.secret)}`, 'utf8').toString('base64')}`;
}

/** Careloop's client id when an issuer lists none (the sandbox's). */
export const DEFAULT_CLIENT_IDS: readonly string[] = ['careloop'];

/**
 * The scopes every accepted token carries, as Careloop asks for them: who the user is (`openid`,
 * `fhirUser`) and a launch context (`launch` for an EHR launch, `launch/patient` for a standalone one).
 * Each inner list is satisfied by any one of its scopes.
 */
export const REQUIRED_SCOPES: ReadonlyArray<readonly string[]> = [['openid'], ['fhirUser'], ['launch', 'launch/patient']];

/** Who the token belongs to, once verified. */
export interface VerifiedToken {
  /** The configured FHIR base that vouched for the token. */
  fhirBase: string;
  sub: string | null;
  fhirUser: string | null;
  clientId: string | null;
  /** The patient in context, if the token has one. */
  patient: string | null;
  scope: string | null;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

/** Why a token was refused; each maps to a status and a metrics label. */
export type TokenRejection =
  | 'missing-token'
  | 'malformed-token'
  | 'unknown-issuer'
  | 'bad-signature'
  | 'expired'
  | 'wrong-audience'
  | 'inactive'
  | 'issuer-unavailable'
  /** Genuine, but issued to another app than Careloop. */
  | 'untrusted-client'
  /** Genuine and Careloop's, but without the scopes Careloop asks for. */
  | 'insufficient-scope';

/** Thrown by {@link TokenVerifier.verify}. */
export class TokenRejectedError extends Error {
  override readonly name = 'TokenRejectedError';
  constructor(readonly reason: TokenRejection) {
    super(`access token rejected: ${reason}`);
  }
}

/** Verifies bearer tokens. */
export interface TokenVerifier {
  /**
   * @param token the bearer token (without `Bearer `)
   * @param fhirBaseHint the FHIR base the caller says it was launched from (needed only to pick
   *   among several introspection issuers for an opaque token)
   * @throws {TokenRejectedError}
   */
  verify(token: string, fhirBaseHint?: string): Promise<VerifiedToken>;
  /** The (issuer FHIR base, client id) pairs that are Careloop: the actors whose records the app reads back. */
  careloopClients(): Array<{ issuer: string; clientId: string }>;
}

/** Options for {@link createTokenVerifier}. */
export interface TokenVerifierOptions {
  issuers: readonly TrustedIssuer[];
  /** fetch used for discovery and introspection (tests may inject one). */
  fetch?: typeof fetch;
  /** Seconds a verification is reused at most (capped by the token's expiry). Default 30. */
  cacheSeconds?: number;
  /** Clock skew tolerated on `exp`/`nbf`, seconds. Default 5. */
  clockToleranceSeconds?: number;
  /** Clock, ms since the epoch. */
  now?: () => number;
  /** Timeout of discovery, JWKS and introspection requests, ms. Default 5000. */
  timeoutMs?: number;
}

const smartConfigurationSchema = z.looseObject({
  issuer: z.string().optional(),
  jwks_uri: z.url().optional(),
  introspection_endpoint: z.url().optional(),
});

const introspectionSchema = z.looseObject({
  active: z.boolean(),
  exp: z.number().optional(),
  aud: z.union([z.string(), z.array(z.string())]).optional(),
  iss: z.string().optional(),
  sub: z.string().optional(),
  client_id: z.string().optional(),
  scope: z.string().optional(),
  fhirUser: z.string().optional(),
  patient: z.string().optional(),
});

const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'ES256', 'ES384'];

interface IssuerState {
  config: TrustedIssuer;
  audience: string;
  discovery?: Promise<z.infer<typeof smartConfigurationSchema>>;
  jwks?: ReturnType<typeof createRemoteJWKSet>;
}

/**
 * Creates a verifier for the given trusted issuers.
 *
 * @example
 * const verifier = createTokenVerifier({ issuers: [{ fhirBase: 'http://127.0.0.1:4000/fhir', mode: 'jwks' }] });
 * const who = await verifier.verify(bearer); // throws TokenRejectedError
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const cacheMs = (options.cacheSeconds ?? 30) * 1000;
  const tolerance = options.clockToleranceSeconds ?? 5;
  const timeoutMs = options.timeoutMs ?? 5000;
  const states = options.issuers.map<IssuerState>((config) => ({ config, audience: trimSlash(config.audience ?? config.fhirBase) }));
  const cache = new Map<string, { value: VerifiedToken; until: number }>();

  async function discover(state: IssuerState): Promise<z.infer<typeof smartConfigurationSchema>> {
    state.discovery ??= (async () => {
      const res = await doFetch(`${trimSlash(state.config.fhirBase)}/.well-known/smart-configuration`, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!res.ok) throw new Error(`smart-configuration: HTTP ${res.status}`);
      return smartConfigurationSchema.parse(await res.json());
    })();
    try {
      return await state.discovery;
    } catch {
      // Forget the failure so the next request tries again.
      delete state.discovery;
      throw new TokenRejectedError('issuer-unavailable');
    }
  }

  function cached(key: string): VerifiedToken | null {
    const hit = cache.get(key);
    if (!hit) return null;
    if (hit.until > now() && hit.value.exp * 1000 > now()) return hit.value;
    cache.delete(key);
    return null;
  }

  function remember(key: string, value: VerifiedToken): VerifiedToken {
    if (cache.size > 10_000) cache.clear();
    cache.set(key, { value, until: Math.min(now() + cacheMs, value.exp * 1000) });
    return value;
  }

  async function viaJwks(state: IssuerState, token: string): Promise<VerifiedToken> {
    const discovery = await discover(state);
    if (!discovery.jwks_uri) throw new TokenRejectedError('issuer-unavailable');
    state.jwks ??= createRemoteJWKSet(new URL(discovery.jwks_uri), { timeoutDuration: timeoutMs });
    const expectedIssuer = state.config.issuer ?? discovery.issuer;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, state.jwks, {
        algorithms: ALGORITHMS,
        audience: state.audience,
        ...(expectedIssuer ? { issuer: expectedIssuer } : {}),
        requiredClaims: ['exp'],
        clockTolerance: tolerance,
        currentDate: new Date(now()),
      }));
    } catch (error) {
      throw new TokenRejectedError(rejectionOf(error));
    }
    return claimsOf(state, payload as Record<string, unknown>);
  }

  async function viaIntrospection(state: IssuerState, token: string): Promise<VerifiedToken> {
    const discovery = await discover(state);
    if (!discovery.introspection_endpoint) throw new TokenRejectedError('issuer-unavailable');
    let body: z.infer<typeof introspectionSchema>;
    try {
      const res = await doFetch(discovery.introspection_endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
          ...(state.config.introspectionClient ? { authorization: basicAuthorization(state.config.introspectionClient) } : {}),
        },
        body: new URLSearchParams({ token }).toString(),
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!res.ok) throw new Error(`introspection: HTTP ${res.status}`);
      body = introspectionSchema.parse(await res.json());
    } catch {
      throw new TokenRejectedError('issuer-unavailable');
    }
    if (!body.active) throw new TokenRejectedError('inactive');
    if (body.exp === undefined || body.exp + tolerance <= now() / 1000) throw new TokenRejectedError('expired');
    if (body.aud !== undefined) {
      const auds = (Array.isArray(body.aud) ? body.aud : [body.aud]).map(trimSlash);
      if (!auds.includes(state.audience)) throw new TokenRejectedError('wrong-audience');
    }
    return claimsOf(state, body);
  }

  return {
    async verify(token, fhirBaseHint) {
      if (!token) throw new TokenRejectedError('missing-token');
      // node:crypto, not the isomorphic sha256Hex: this runs on every request.
      const key = hash('sha256', token, 'hex');
      const hit = cached(key);
      if (hit) return hit;

      let claims: JWTPayload | null = null;
      try {
        claims = decodeJwt(token);
      } catch {
        claims = null;
      }
      let state: IssuerState | undefined;
      if (claims) {
        // A JWT names its audience; only a configured one is trusted.
        const auds = (claims.aud === undefined ? [] : Array.isArray(claims.aud) ? claims.aud : [claims.aud]).map(trimSlash);
        state = states.find((s) => auds.includes(s.audience));
        if (!state) throw new TokenRejectedError(states.some((s) => s.config.issuer !== undefined && s.config.issuer === claims?.iss) ? 'wrong-audience' : 'unknown-issuer');
      } else {
        if (!/^[\x21-\x7e]{8,4096}$/.test(token)) throw new TokenRejectedError('malformed-token');
        const introspecting = states.filter((s) => s.config.mode === 'introspection');
        const hint = fhirBaseHint ? trimSlash(fhirBaseHint) : undefined;
        state = hint ? introspecting.find((s) => trimSlash(s.config.fhirBase) === hint) : introspecting.length === 1 ? introspecting[0] : undefined;
        if (!state) throw new TokenRejectedError('unknown-issuer');
      }
      const verified = state.config.mode === 'jwks' ? await viaJwks(state, token) : await viaIntrospection(state, token);
      checkClient(state, verified);
      return remember(key, verified);
    },
    careloopClients() {
      return states.flatMap((s) => (s.config.clientIds ?? DEFAULT_CLIENT_IDS).map((clientId) => ({ issuer: s.config.fhirBase, clientId })));
    },
  };
}

/** Refuses a genuine token that was not issued to Careloop, or lacks the scopes Careloop asks for. */
function checkClient(state: IssuerState, token: VerifiedToken): void {
  const clientIds = state.config.clientIds ?? DEFAULT_CLIENT_IDS;
  if (token.clientId === null || !clientIds.includes(token.clientId)) throw new TokenRejectedError('untrusted-client');
  const granted = splitScopes(token.scope);
  if (!REQUIRED_SCOPES.every((anyOf) => anyOf.some((s) => covers(granted, s)))) throw new TokenRejectedError('insufficient-scope');
}

function claimsOf(state: IssuerState, c: Record<string, unknown>): VerifiedToken {
  const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);
  const exp = typeof c['exp'] === 'number' ? c['exp'] : 0;
  return {
    fhirBase: state.config.fhirBase,
    sub: str(c['sub']),
    fhirUser: str(c['fhirUser']),
    clientId: str(c['client_id']),
    patient: str(c['patient']),
    scope: str(c['scope']),
    exp,
  };
}

function rejectionOf(error: unknown): TokenRejection {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : '';
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      const claim = (error as { claim?: unknown }).claim;
      if (claim === 'aud') return 'wrong-audience';
      if (claim === 'iss') return 'unknown-issuer';
      if (claim === 'nbf') return 'expired';
      return 'malformed-token';
    }
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'bad-signature';
    case 'ERR_JWKS_TIMEOUT':
    case 'ERR_JWKS_INVALID':
      return 'issuer-unavailable';
    default:
      return error instanceof TypeError ? 'issuer-unavailable' : 'malformed-token';
  }
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
