/**
 * The audit server's configuration, from environment variables, validated at start: each bad value
 * gets its own message naming the variable.
 */
import { z } from 'zod';
import type { TrustedIssuer } from './auth/token-verifier.ts';

/** The validated configuration. */
export interface AuditServerConfig {
  port: number;
  host: string;
  /** PostgreSQL when set (`DATABASE_URL`), otherwise SQLite at `sqlitePath`. */
  databaseUrl: string | null;
  /** PostgreSQL schema for the tables (`AUDIT_PG_SCHEMA`); null uses the connection's default. */
  pgSchema: string | null;
  sqlitePath: string;
  trustedIssuers: TrustedIssuer[];
  corsOrigins: string[];
  bodyLimitBytes: number;
  /** Per user and patient. */
  rateLimit: { perSecond: number; burst: number };
  /** Per client (all its users together). */
  clientRateLimit: { perSecond: number; burst: number };
  staticDir: string | null;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  tokenCacheSeconds: number;
  /** The credential `GET /api/audit/verify` requires (`AUDIT_ADMIN_TOKEN`); null closes that route. */
  adminToken: string | null;
  /** Origins allowed to frame the app (CSP `frame-ancestors`, `AUDIT_FRAME_ANCESTORS`). */
  frameAncestors: string[];
  /** Extra origins the app may call (CSP `connect-src`, `AUDIT_CONNECT_SRC`). */
  connectSrc: string[];
  /** Whether, or which proxy addresses, to trust for `X-Forwarded-*` (`AUDIT_TRUST_PROXY`). */
  trustProxy: boolean | string[];
  /** Longest wait for requests in flight at SIGTERM before exiting anyway (`AUDIT_SHUTDOWN_TIMEOUT_SECONDS`). */
  shutdownTimeoutSeconds: number;
}

const httpUrl = z.url({ protocol: /^https?$/ });

/** The schema of `AUDIT_TRUSTED_ISSUERS` (a JSON array). */
export const trustedIssuersSchema = z
  .array(
    z.strictObject({
      fhirBase: httpUrl,
      mode: z.enum(['jwks', 'introspection']),
      audience: z.string().min(1).optional(),
      issuer: z.string().min(1).optional(),
      /** Careloop's client ids at this EHR (default `["careloop"]`). */
      clientIds: z.array(z.string().regex(/^[\x21-\x7e]{1,255}$/, 'each client id must be 1–255 printable characters without spaces')).min(1, 'must list at least one client id').optional(),
      /** The audit server's own credentials at the introspection endpoint (HTTP Basic). */
      introspectionClient: z.strictObject({ id: z.string().min(1, 'must not be empty'), secret: z.string().min(1, 'must not be empty') }).optional(),
    }),
  )
  .min(1, 'must list at least one issuer');

const origin = z.string().regex(/^https?:\/\/[^/\s]+$/, 'each origin must look like https://host[:port] (no path)');

const intIn = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The result of {@link loadAuditConfig}. */
export type ConfigResult = { ok: true; config: AuditServerConfig } | { ok: false; errors: string[] };

/**
 * Reads and validates the configuration.
 *
 * | Variable | Meaning | Default |
 * | --- | --- | --- |
 * | `AUDIT_TRUSTED_ISSUERS` | JSON `[{"fhirBase","mode":"jwks"\|"introspection","audience"?,"issuer"?,"clientIds"?,"introspectionClient"?}]` (`clientIds`: Careloop's client ids there, default `["careloop"]`; `introspectionClient`: `{"id","secret"}` the audit server authenticates with at the introspection endpoint) | required |
 * | `AUDIT_PORT` / `AUDIT_HOST` | where to listen | `4100` / `127.0.0.1` |
 * | `DATABASE_URL` | PostgreSQL connection string; when unset SQLite is used | unset |
 * | `AUDIT_PG_SCHEMA` | PostgreSQL schema for the tables (created when missing) | the default `search_path` |
 * | `AUDIT_SQLITE_PATH` | SQLite file | `.data/audit.sqlite` |
 * | `AUDIT_CORS_ORIGINS` | comma-separated app origins allowed by CORS | none |
 * | `AUDIT_BODY_LIMIT_BYTES` | largest request body | `1048576` |
 * | `AUDIT_RATE_LIMIT_PER_SECOND` / `AUDIT_RATE_LIMIT_BURST` | token bucket per user and patient (0 disables) | `50` / `200` |
 * | `AUDIT_CLIENT_RATE_LIMIT_PER_SECOND` / `AUDIT_CLIENT_RATE_LIMIT_BURST` | token bucket per client, all users together (0 disables) | `500` / `2000` |
 * | `AUDIT_STATIC_DIR` | serve the built app from this folder (same origin as the API) | unset |
 * | `AUDIT_LOG_LEVEL` | pino level | `info` |
 * | `AUDIT_TOKEN_CACHE_SECONDS` | how long a verified token is reused | `30` |
 * | `AUDIT_ADMIN_TOKEN` | the admin credential for `GET /api/audit/verify` (32–512 printable characters) | unset: the route is closed |
 * | `AUDIT_FRAME_ANCESTORS` | comma-separated EHR origins allowed to embed the app | `http://127.0.0.1:4000` (the sandbox) |
 * | `AUDIT_CONNECT_SRC` | comma-separated origins the app may call besides its own and the issuers' FHIR bases | none |
 * | `AUDIT_TRUST_PROXY` | `true`, or comma-separated proxy addresses, whose `X-Forwarded-*` headers are believed | `false` |
 * | `AUDIT_SHUTDOWN_TIMEOUT_SECONDS` | at SIGTERM, how long requests in flight may finish | `10` |
 */
export function loadAuditConfig(env: Readonly<Record<string, string | undefined>>): ConfigResult {
  const errors: string[] = [];
  function read<T>(name: string, schema: z.ZodType<T>, fallback: string | undefined): T | undefined {
    const raw = env[name] === undefined || env[name] === '' ? fallback : env[name];
    if (raw === undefined) {
      errors.push(`${name}: is required`);
      return undefined;
    }
    const result = schema.safeParse(raw);
    if (result.success) return result.data;
    for (const issue of result.error.issues) {
      const where = issue.path.length > 0 ? ` at ${issue.path.map(String).join('.')}` : '';
      errors.push(`${name}${where}: ${issue.message}`);
    }
    return undefined;
  }

  const port = read('AUDIT_PORT', intIn(0, 65535), '4100');
  const host = read('AUDIT_HOST', z.string().min(1), '127.0.0.1');
  const databaseUrl = env['DATABASE_URL'] ? read('DATABASE_URL', z.string().regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://'), undefined) : null;
  const pgSchema = env['AUDIT_PG_SCHEMA'] ? read('AUDIT_PG_SCHEMA', z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier'), undefined) : null;
  const sqlitePath = read('AUDIT_SQLITE_PATH', z.string().min(1), '.data/audit.sqlite');
  const trustedIssuers = read(
    'AUDIT_TRUSTED_ISSUERS',
    z.string().transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be JSON, e.g. [{"fhirBase":"http://127.0.0.1:4000/fhir","mode":"jwks"}]' });
        return z.NEVER;
      }
    }).pipe(trustedIssuersSchema),
    undefined,
  );
  const corsOrigins = read(
    'AUDIT_CORS_ORIGINS',
    z.string().transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean)).pipe(z.array(origin)),
    '',
  );
  const bodyLimitBytes = read('AUDIT_BODY_LIMIT_BYTES', intIn(1024, 16 * 1024 * 1024), '1048576');
  const perSecond = read('AUDIT_RATE_LIMIT_PER_SECOND', intIn(0, 1_000_000), '50');
  const burst = read('AUDIT_RATE_LIMIT_BURST', intIn(1, 1_000_000), '200');
  const clientPerSecond = read('AUDIT_CLIENT_RATE_LIMIT_PER_SECOND', intIn(0, 1_000_000), '500');
  const clientBurst = read('AUDIT_CLIENT_RATE_LIMIT_BURST', intIn(1, 1_000_000), '2000');
  const staticDir = env['AUDIT_STATIC_DIR'] ? env['AUDIT_STATIC_DIR'] : null;
  const logLevel = read('AUDIT_LOG_LEVEL', z.enum(LOG_LEVELS), 'info');
  const tokenCacheSeconds = read('AUDIT_TOKEN_CACHE_SECONDS', intIn(0, 3600), '30');
  const adminToken = env['AUDIT_ADMIN_TOKEN'] ? read('AUDIT_ADMIN_TOKEN', z.string().regex(/^[\x21-\x7e]{32,512}$/, 'must be 32–512 printable characters without spaces (e.g. openssl rand -hex 32)'), undefined) : null;
  const originList = z.string().transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean)).pipe(z.array(origin));
  const frameAncestors = read('AUDIT_FRAME_ANCESTORS', originList, 'http://127.0.0.1:4000');
  const connectSrc = read('AUDIT_CONNECT_SRC', originList, '');
  const trustProxy = read(
    'AUDIT_TRUST_PROXY',
    z.string().transform((s): boolean | string[] => (s === 'true' ? true : s === 'false' ? false : s.split(',').map((x) => x.trim()).filter(Boolean))).pipe(
      z.union([z.boolean(), z.array(z.string().regex(/^[0-9a-fA-F.:/]+$/, 'must be true, false, or comma-separated IP addresses or CIDR ranges'))]),
    ),
    'false',
  );
  const shutdownTimeoutSeconds = read('AUDIT_SHUTDOWN_TIMEOUT_SECONDS', intIn(1, 600), '10');

  if (
    frameAncestors === undefined ||
    connectSrc === undefined ||
    trustProxy === undefined ||
    shutdownTimeoutSeconds === undefined ||
    errors.length > 0 ||
    port === undefined ||
    host === undefined ||
    databaseUrl === undefined ||
    pgSchema === undefined ||
    sqlitePath === undefined ||
    trustedIssuers === undefined ||
    corsOrigins === undefined ||
    bodyLimitBytes === undefined ||
    perSecond === undefined ||
    burst === undefined ||
    clientPerSecond === undefined ||
    clientBurst === undefined ||
    logLevel === undefined ||
    tokenCacheSeconds === undefined ||
    adminToken === undefined
  ) {
    return { ok: false, errors };
  }
  return {
    ok: true,
    config: {
      port,
      host,
      databaseUrl,
      pgSchema,
      sqlitePath,
      trustedIssuers: trustedIssuers.map((i) => ({ fhirBase: i.fhirBase, mode: i.mode, audience: i.audience, issuer: i.issuer, clientIds: i.clientIds, introspectionClient: i.introspectionClient })),
      corsOrigins,
      bodyLimitBytes,
      rateLimit: { perSecond, burst },
      clientRateLimit: { perSecond: clientPerSecond, burst: clientBurst },
      staticDir,
      logLevel,
      tokenCacheSeconds,
      adminToken,
      frameAncestors,
      connectSrc,
      trustProxy,
      shutdownTimeoutSeconds,
    },
  };
}
