/**
 * The hardening headers on every answer Careloop's servers give, pages and API alike: a
 * Content-Security-Policy whose `frame-ancestors` lists the EHRs allowed to embed the app (the
 * sidebar is an iframe in the chart; any other page is refused), `X-Content-Type-Options: nosniff`,
 * `Referrer-Policy: no-referrer` (launch and redirect URLs carry `code` and `state`), and HSTS when
 * the answer goes out over HTTPS. The audit server, the sandbox's app server and Vite's dev server
 * all send them from here.
 */
import type { FastifyInstance } from 'fastify';

/** What the policy allows, from configuration. Read at every answer, so it may be filled in late. */
export interface SecurityHeaderPolicy {
  /** Origins allowed to frame the app (`AUDIT_FRAME_ANCESTORS`), e.g. the EHR's `https://ehr.example.org`. */
  frameAncestors: readonly string[];
  /** Origins the app may call besides its own: the FHIR servers and their authorization servers, an audit API elsewhere. */
  connectSrc: readonly string[];
  /**
   * Vite's dev server: its page runs an inline script (React Refresh's preamble) and opens a
   * WebSocket for hot reload. Never in a build.
   */
  dev?: boolean;
}

/** The sandbox EHR's origin: the default `frame-ancestors` when an admin lists none. */
export const SANDBOX_EHR_ORIGIN = 'http://127.0.0.1:4000';

/** The origin of a URL (`https://ehr.example.org/fhir/r4` → `https://ehr.example.org`), or null. */
export function originOf(url: string): string | null {
  try {
    const { origin } = new URL(url);
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}

/**
 * The Content-Security-Policy value.
 *
 * @example
 * contentSecurityPolicy({ frameAncestors: ['https://ehr.example.org'], connectSrc: ['https://fhir.example.org'] });
 * // "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; … frame-ancestors https://ehr.example.org"
 */
export function contentSecurityPolicy(policy: SecurityHeaderPolicy): string {
  const connect = [...new Set(["'self'", ...policy.connectSrc])];
  const ancestors = policy.frameAncestors.length > 0 ? [...new Set(policy.frameAncestors)] : ["'none'"];
  return [
    "default-src 'self'",
    policy.dev ? "script-src 'self' 'unsafe-inline'" : "script-src 'self'",
    // MUI's emotion inserts <style> elements at run time.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    `connect-src ${connect.join(' ')}${policy.dev ? ' ws: wss:' : ''}`,
    "object-src 'none'",
    "base-uri 'self'",
    `frame-ancestors ${ancestors.join(' ')}`,
  ].join('; ');
}

/** HSTS for a year, subdomains included (sent only over HTTPS, where browsers heed it). */
export const STRICT_TRANSPORT_SECURITY = 'max-age=31536000; includeSubDomains';

/** Every header of an answer; `https`: whether the client reached us over HTTPS (directly or through the proxy). */
export function securityHeaders(policy: SecurityHeaderPolicy, https: boolean): Record<string, string> {
  return {
    'content-security-policy': contentSecurityPolicy(policy),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    ...(https ? { 'strict-transport-security': STRICT_TRANSPORT_SECURITY } : {}),
  };
}

/**
 * Adds the headers to every answer of a fastify app (404s and errors included). `request.protocol`
 * is `https` behind a reverse proxy only when fastify trusts it (`trustProxy`, `AUDIT_TRUST_PROXY`)
 * and it sends `X-Forwarded-Proto: https`.
 */
export function registerSecurityHeaders(app: FastifyInstance, policy: SecurityHeaderPolicy): void {
  app.addHook('onRequest', async (request, reply) => {
    void reply.headers(securityHeaders(policy, request.protocol === 'https'));
  });
}
