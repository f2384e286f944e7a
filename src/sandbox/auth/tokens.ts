/** Signed tokens: RS256 JWT access tokens and id_tokens (jose), and their verification. */
import { jwtVerify, SignJWT, type JWTPayload } from 'jose';
import type { EhrState } from '../state.ts';
import { randomId } from '../state.ts';

/** Claims of a sandbox access token. */
export interface AccessClaims extends JWTPayload {
  client_id: string;
  scope: string;
  /** Absent on a backend service's (system) token. */
  fhirUser?: string;
  patient?: string;
  encounter?: string;
}

export interface TokenSubject {
  readonly clientId: string;
  readonly scope: readonly string[];
  readonly user: string;
  readonly patient?: string;
  readonly encounter?: string;
}

export async function signAccessToken(ctx: EhrState, s: TokenSubject): Promise<{ token: string; exp: number }> {
  const iat = Math.floor(ctx.now() / 1000);
  const exp = iat + ctx.accessTokenTtlSeconds;
  const token = await new SignJWT({
    client_id: s.clientId,
    scope: s.scope.join(' '),
    fhirUser: `${ctx.fhirBase}/${s.user}`,
    ...(s.patient ? { patient: s.patient } : {}),
    ...(s.encounter ? { encounter: s.encounter } : {}),
  })
    .setProtectedHeader({ alg: 'RS256', kid: ctx.kid, typ: 'at+jwt' })
    .setIssuer(ctx.fhirBase)
    .setAudience(ctx.fhirBase)
    .setSubject(s.user)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .setJti(randomId(12))
    .sign(ctx.privateKey);
  return { token, exp };
}

/** An OpenID Connect id_token for the user (aud = the client). */
export async function signIdToken(ctx: EhrState, s: TokenSubject, nonce?: string): Promise<string> {
  const iat = Math.floor(ctx.now() / 1000);
  return new SignJWT({ fhirUser: `${ctx.fhirBase}/${s.user}`, profile: `${ctx.fhirBase}/${s.user}`, ...(nonce ? { nonce } : {}) })
    .setProtectedHeader({ alg: 'RS256', kid: ctx.kid, typ: 'JWT' })
    .setIssuer(ctx.fhirBase)
    .setAudience(s.clientId)
    .setSubject(s.user)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ctx.accessTokenTtlSeconds)
    .sign(ctx.privateKey);
}

/** Verifies an access token's signature, issuer, audience and expiry; null when it is not valid. */
export async function verifyAccessToken(ctx: EhrState, token: string): Promise<AccessClaims | null> {
  try {
    const { payload } = await jwtVerify(token, ctx.publicKey, {
      issuer: ctx.fhirBase,
      audience: ctx.fhirBase,
      algorithms: ['RS256'],
      currentDate: new Date(ctx.now()),
      clockTolerance: 0,
    });
    if (typeof payload['client_id'] !== 'string' || typeof payload['scope'] !== 'string' || (payload['fhirUser'] !== undefined && typeof payload['fhirUser'] !== 'string')) return null;
    return payload as AccessClaims;
  } catch {
    return null;
  }
}
