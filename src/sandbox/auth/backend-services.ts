/**
 * SMART Backend Services (SMART App Launch 2.x, "Backend Services"): a confidential client
 * registered by its JWKS obtains an access token with `grant_type=client_credentials`,
 * authenticating with a `private_key_jwt` assertion (RFC 7523) signed RS384 or ES384.
 * The token carries only `system/` scopes, each within what the client was registered for.
 *
 * @example
 * const keys = await generateBackendClientKeys('ES384');
 * registerBackendClient(ctx, { clientId: 'careloop-workflow', name: 'Careloop workflow', jwks: keys.jwks, allowedScopes: ['system/Observation.rs'] });
 */
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey, type JWK } from 'jose';
import type { FastifyReply } from 'fastify';
import type { EhrState } from '../state.ts';
import { randomId } from '../state.ts';
import { resourceScope, splitScopes } from '../../shared/smart-scopes.ts';
import { grantScopes } from './scopes.ts';

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
export const BACKEND_ALGORITHMS = ['RS384', 'ES384'] as const;
export type BackendAlgorithm = (typeof BACKEND_ALGORITHMS)[number];
/** The spec: an assertion's `exp` no more than five minutes in the future. */
const MAX_ASSERTION_LIFETIME_S = 300;

/** A backend (system) client as the EHR's administrator registers it: by its public keys. */
export interface BackendClientRegistration {
  readonly clientId: string;
  readonly name: string;
  readonly jwks: { readonly keys: readonly JWK[] };
  /** The most the client may be granted; `system/` scopes only. */
  readonly allowedScopes: readonly string[];
}

/** A key pair for a backend client: the private key stays with the client, the JWKS goes to the EHR. */
export interface BackendClientKeys {
  readonly alg: BackendAlgorithm;
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly jwks: { readonly keys: readonly JWK[] };
}

export async function generateBackendClientKeys(alg: BackendAlgorithm = 'ES384'): Promise<BackendClientKeys> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = randomId(8);
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { alg, kid, privateKey, jwks: { keys: [jwk] } };
}

interface BackendState {
  readonly clients: Map<string, BackendClientRegistration>;
  /** jti of accepted assertions → their exp (s), kept until they expire: each jti is single use. */
  readonly usedJti: Map<string, number>;
}
const states = new WeakMap<EhrState, BackendState>();
function stateOf(ctx: EhrState): BackendState {
  let s = states.get(ctx);
  if (!s) states.set(ctx, (s = { clients: new Map(), usedJti: new Map() }));
  return s;
}

/** Registers (or replaces) a backend client. Throws when a scope is not a `system/` resource scope. */
export function registerBackendClient(ctx: EhrState, client: BackendClientRegistration): void {
  const bad = client.allowedScopes.filter((s) => resourceScope(s)?.context !== 'system');
  if (bad.length > 0) throw new Error(`A backend client may only be allowed system/ scopes, not ${bad.join(', ')}`);
  if (client.jwks.keys.length === 0) throw new Error('A backend client needs at least one public key');
  stateOf(ctx).clients.set(client.clientId, client);
}

export function backendClient(ctx: EhrState, clientId: string): BackendClientRegistration | undefined {
  return stateOf(ctx).clients.get(clientId);
}

function invalidClient(reply: FastifyReply, description: string) {
  return reply.code(401).send({ error: 'invalid_client', error_description: description });
}

/** The token endpoint's `client_credentials` grant. */
export async function clientCredentialsGrant(ctx: EhrState, body: Record<string, string>, reply: FastifyReply) {
  const tokenEndpoint = `${ctx.baseUrl}/auth/token`;
  if (body['client_assertion_type'] !== CLIENT_ASSERTION_TYPE) {
    return reply.code(400).send({ error: 'invalid_request', error_description: `client_assertion_type must be ${CLIENT_ASSERTION_TYPE}` });
  }
  const assertion = body['client_assertion'] ?? '';
  let alg: string | undefined;
  let unverifiedIss: unknown;
  try {
    alg = decodeProtectedHeader(assertion).alg;
    unverifiedIss = decodeJwt(assertion).iss;
  } catch {
    return invalidClient(reply, 'client_assertion is not a JWT');
  }
  if (!(BACKEND_ALGORITHMS as readonly string[]).includes(alg ?? '')) return invalidClient(reply, `client_assertion must be signed ${BACKEND_ALGORITHMS.join(' or ')}`);
  const client = typeof unverifiedIss === 'string' ? stateOf(ctx).clients.get(unverifiedIss) : undefined;
  if (!client) return invalidClient(reply, 'unknown client');
  if (body['client_id'] !== undefined && body['client_id'] !== client.clientId) return invalidClient(reply, 'client_id does not match the assertion');
  const nowS = Math.floor(ctx.now() / 1000);
  let payload;
  try {
    ({ payload } = await jwtVerify(assertion, createLocalJWKSet({ keys: [...client.jwks.keys] }), {
      algorithms: [...BACKEND_ALGORITHMS],
      issuer: client.clientId,
      subject: client.clientId,
      audience: tokenEndpoint,
      requiredClaims: ['exp', 'jti'],
      currentDate: new Date(ctx.now()),
    }));
  } catch (e) {
    const reason = e instanceof Error && 'code' in e ? String((e as { code: unknown }).code) : 'invalid';
    return invalidClient(reply, `client_assertion rejected (${reason})`);
  }
  const exp = payload.exp ?? 0;
  if (exp - nowS > MAX_ASSERTION_LIFETIME_S) return invalidClient(reply, 'client_assertion exp is more than five minutes ahead');
  const used = stateOf(ctx).usedJti;
  for (const [jti, until] of used) if (until < nowS) used.delete(jti);
  const jti = String(payload.jti);
  if (used.has(jti)) return invalidClient(reply, 'client_assertion jti was already used');
  used.set(jti, exp);

  const requested = splitScopes(body['scope']);
  if (requested.length === 0) return reply.code(400).send({ error: 'invalid_scope', error_description: 'scope is required' });
  if (requested.some((s) => resourceScope(s)?.context !== 'system')) {
    return reply.code(400).send({ error: 'invalid_scope', error_description: 'a backend service may ask for system/ scopes only' });
  }
  const scope = grantScopes(requested, client.allowedScopes);
  if (scope.length === 0) return reply.code(400).send({ error: 'invalid_scope', error_description: 'none of the requested scopes is allowed for this client' });
  const iat = nowS;
  const ttl = ctx.accessTokenTtlSeconds;
  const token = await new SignJWT({ client_id: client.clientId, scope: scope.join(' ') })
    .setProtectedHeader({ alg: 'RS256', kid: ctx.kid, typ: 'at+jwt' })
    .setIssuer(ctx.fhirBase)
    .setAudience(ctx.fhirBase)
    .setSubject(client.clientId)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttl)
    .setJti(randomId(12))
    .sign(ctx.privateKey);
  return reply.send({ access_token: token, token_type: 'bearer', expires_in: ttl, scope: scope.join(' ') });
}
