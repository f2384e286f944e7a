/**
 * Authentication of `/api/audit/*` as a hook (fastify/demo's `routes/api/autohooks.ts`): the
 * `preHandler` of every route registered in the scope of {@link smartApiRoutes} (audit-api.ts).
 * It verifies the SMART access token, then takes a token from the caller's rate-limit buckets; a
 * refusal is answered here, and a route only ever sees a verified `request.auditToken`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { TokenRejectedError, type TokenRejection, type TokenVerifier, type VerifiedToken } from '../auth/token-verifier.ts';
import type { AuditMetrics } from '../metrics.ts';
import { createRateLimiter } from '../rate-limit.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified access token of an `/api/audit/*` request. */
    auditToken: VerifiedToken | null;
  }
}

/** A token bucket: `perSecond: 0` disables it. */
export interface RateLimit {
  perSecond: number;
  burst: number;
}

/** Options of {@link authenticate}. */
export interface AuthenticateOptions {
  verifier: TokenVerifier;
  metrics: AuditMetrics;
  /** Per user and patient (verified `sub` + patient). */
  rateLimit: RateLimit;
  /** Per client (issuer + `client_id`), the ceiling for all its users together. */
  clientRateLimit: RateLimit;
}

/** The status for each refusal of a token. */
function statusOf(reason: TokenRejection): number {
  switch (reason) {
    case 'issuer-unavailable':
      return 503;
    case 'missing-token':
    case 'malformed-token':
    case 'unknown-issuer':
    case 'bad-signature':
    case 'expired':
    case 'wrong-audience':
    case 'inactive':
      return 401;
    case 'untrusted-client':
    case 'insufficient-scope':
      return 403;
  }
}

/** The bearer token of an `Authorization` header, if it has one. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  return typeof header === 'string' ? /^Bearer[ ]+(\S+)\s*$/i.exec(header)?.[1] : undefined;
}

/** The `preHandler` hook: verifies the caller and applies the rate limits. */
export function authenticate(options: AuthenticateOptions): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const { verifier, metrics } = options;
  const userLimiter = createRateLimiter(options.rateLimit);
  const clientLimiter = createRateLimiter(options.clientRateLimit);
  return async (request, reply) => {
    try {
      const token = bearerToken(request);
      if (!token) throw new TokenRejectedError('missing-token');
      const hint = request.headers['x-fhir-base'];
      request.auditToken = await verifier.verify(token, typeof hint === 'string' ? hint : undefined);
    } catch (error) {
      const reason: TokenRejection = error instanceof TokenRejectedError ? error.reason : 'issuer-unavailable';
      metrics.reject(reason);
      const status = statusOf(reason);
      request.log.info({ reason }, 'access token rejected');
      if (status === 401) {
        void reply.header('www-authenticate', reason === 'missing-token' ? 'Bearer realm="careloop-audit"' : `Bearer realm="careloop-audit", error="invalid_token"`);
      }
      if (reason === 'insufficient-scope') void reply.header('www-authenticate', 'Bearer realm="careloop-audit", error="insufficient_scope", scope="openid fhirUser launch"');
      return reply.code(status).send({ error: reason, message: `The access token was not accepted (${reason}).` });
    }
    const token = request.auditToken;
    // One bucket per user and patient, so one clinician's flood never slows another's writes; and
    // one per client, a higher ceiling for the whole deployment. The user's is asked first, so a
    // flooding user spends only their own tokens.
    const client = `${token.fhirBase}|${token.clientId ?? ''}`;
    const user = userLimiter.take(`${client}|${token.sub ?? ''}|${token.patient ?? ''}`);
    const decision = user.allowed ? clientLimiter.take(client) : user;
    if (!decision.allowed) {
      metrics.reject(user.allowed ? 'client-rate-limited' : 'rate-limited');
      void reply.header('retry-after', String(decision.retryAfterSeconds));
      return reply.code(429).send({ error: 'rate-limited', message: user.allowed ? 'Too many requests from this app; retry later.' : 'Too many requests from this user for this patient; retry later.' });
    }
  };
}

/** The verified token of a request that passed {@link authenticate}. */
export function verifiedToken(request: FastifyRequest): VerifiedToken {
  const token = request.auditToken;
  if (!token) throw new Error('unauthenticated request reached a handler');
  return token;
}

/** Answers 403 `patient-mismatch`: the token is for another patient than the request names. */
export function refusePatient(reply: FastifyReply, metrics: AuditMetrics): FastifyReply {
  metrics.reject('patient-mismatch');
  return reply.code(403).send({ error: 'patient-mismatch', message: 'The token is not for this patient.' });
}
