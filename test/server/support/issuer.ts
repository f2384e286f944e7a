/**
 * A tiny local SMART issuer for the backend's tests: two FHIR bases on one loopback server, one
 * verified by JWKS (`/fhir`) and one by introspection (`/fhir-i`), each with its
 * `.well-known/smart-configuration`. It issues RS256 tokens as the sandbox does, plus forged ones.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

/** Claims of a test token. */
export interface TokenClaims {
  sub?: string;
  patient?: string | undefined;
  fhirUser?: string;
  client_id?: string;
  scope?: string;
  aud?: string;
  iss?: string;
}

/** The running issuer. */
export interface TestIssuer {
  /** The issuer's base (the `iss` of its tokens). */
  base: string;
  /** FHIR base whose tokens are verified with JWKS. */
  fhirBase: string;
  /** FHIR base whose tokens are verified by introspection. */
  introspectedFhirBase: string;
  /** A signed JWT for `fhirBase` (or `claims.aud`). `expiresIn` in seconds (negative: already expired). */
  token(claims?: TokenClaims, options?: { expiresIn?: number; forged?: boolean }): Promise<string>;
  /** An opaque (non-JWT) token the introspection endpoint knows. */
  opaqueToken(claims?: TokenClaims, options?: { expiresIn?: number; active?: boolean }): string;
  /** How often each endpoint was called. */
  hits: { discovery: number; jwks: number; introspection: number };
  /** The `Authorization` header of the last introspection request (null: none sent). */
  lastIntrospectionAuthorization: string | null;
  close(): Promise<void>;
}

/** Default claims: Dr. Blackwell using Careloop for Ada. */
export const DEFAULT_CLAIMS = { sub: 'user-blackwell', patient: 'ada', fhirUser: 'Practitioner/blackwell', client_id: 'careloop', scope: 'openid fhirUser launch patient/*.rs' } as const;

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts the issuer on 127.0.0.1 with a free port. */
export async function startTestIssuer(): Promise<TestIssuer> {
  const kid = 'test-key-1';
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const forger = await generateKeyPair('RS256');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  const opaque = new Map<string, Record<string, unknown>>();
  const hits = { discovery: 0, jwks: 0, introspection: 0 };
  let base = '';

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', base);
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (url.pathname === '/fhir/.well-known/smart-configuration' || url.pathname === '/fhir-i/.well-known/smart-configuration') {
        hits.discovery += 1;
        return json(200, {
          issuer: base,
          authorization_endpoint: `${base}/auth/authorize`,
          token_endpoint: `${base}/auth/token`,
          jwks_uri: `${base}/auth/jwks`,
          introspection_endpoint: `${base}/auth/introspect`,
          capabilities: ['launch-ehr'],
        });
      }
      if (url.pathname === '/auth/jwks') {
        hits.jwks += 1;
        return json(200, { keys: [jwk] });
      }
      if (url.pathname === '/auth/introspect' && req.method === 'POST') {
        hits.introspection += 1;
        issuer.lastIntrospectionAuthorization = req.headers.authorization ?? null;
        const token = new URLSearchParams(await readBody(req)).get('token') ?? '';
        const known = opaque.get(token);
        if (known) return json(200, known);
        // A JWT of ours: introspect it the way the sandbox does.
        const parts = token.split('.');
        if (parts.length === 3 && parts[1]) {
          try {
            const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as Record<string, unknown>;
            const exp = typeof claims['exp'] === 'number' ? claims['exp'] : 0;
            return json(200, exp > Date.now() / 1000 ? { active: true, ...claims } : { active: false });
          } catch {
            return json(200, { active: false });
          }
        }
        return json(200, { active: false });
      }
      return json(404, { error: 'not found' });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const fhirBase = `${base}/fhir`;

  const issuer: TestIssuer = {
    base,
    fhirBase,
    introspectedFhirBase: `${base}/fhir-i`,
    hits,
    lastIntrospectionAuthorization: null,
    async token(claims = {}, options = {}) {
      const merged = { ...DEFAULT_CLAIMS, ...claims };
      const now = Math.floor(Date.now() / 1000);
      const { aud, iss, ...rest } = merged as TokenClaims & { aud?: string; iss?: string };
      const payload: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(rest)) if (v !== undefined) payload[k] = v;
      const key: CryptoKey = options.forged ? forger.privateKey : privateKey;
      return new SignJWT(payload)
        .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
        .setIssuer(iss ?? base)
        .setAudience(aud ?? fhirBase)
        .setIssuedAt(now)
        .setJti(randomUUID())
        .setExpirationTime(now + (options.expiresIn ?? 3600))
        .sign(key);
    },
    opaqueToken(claims = {}, options = {}) {
      const token = randomBytes(24).toString('base64url');
      const exp = Math.floor(Date.now() / 1000) + (options.expiresIn ?? 3600);
      opaque.set(token, { active: options.active ?? true, ...DEFAULT_CLAIMS, aud: `${base}/fhir-i`, ...claims, exp });
      return token;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return issuer;
}
