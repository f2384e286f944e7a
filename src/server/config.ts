/**
 * The audit server's configuration: one schema over the environment variables (below), producing
 * one configuration type, {@link AuditServerConfig}, which main.ts hands to `startAuditServer`
 * as it is. Each bad value gets its own message naming the variable.
 */
import { z } from 'zod';
import type { TrustedIssuer } from './auth/token-verifier.ts';
import { SANDBOX_EHR_ORIGIN } from './security-headers.ts';

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

/** A comma-separated list (blanks around the commas ignored, empty items dropped). */
const commaList = <T extends z.ZodType<string, string>>(item: T) =>
  z
    .string()
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(item));

/** Set: validated by `schema`; unset (or empty): null. */
const optional = <T>(schema: z.ZodType<T, string>) => schema.nullable().default(null);

/**
 * The environment, one entry per variable: its grammar and its default. An empty value counts as
 * unset. The variable names are the keys, so every message starts with the one it is about.
 */
const environmentSchema = z.object({
  AUDIT_PORT: intIn(0, 65535).default(4100),
  AUDIT_HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: optional(z.string().regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')),
  AUDIT_PG_SCHEMA: optional(z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier')),
  AUDIT_SQLITE_PATH: z.string().min(1).default('.data/audit.sqlite'),
  AUDIT_TRUSTED_ISSUERS: z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : undefined) })
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be JSON, e.g. [{"fhirBase":"http://127.0.0.1:4000/fhir","mode":"jwks"}]' });
        return z.NEVER;
      }
    })
    .pipe(trustedIssuersSchema),
  AUDIT_CORS_ORIGINS: commaList(origin).default([]),
  AUDIT_BODY_LIMIT_BYTES: intIn(1024, 16 * 1024 * 1024).default(1048576),
  AUDIT_RATE_LIMIT_PER_SECOND: intIn(0, 1_000_000).default(50),
  AUDIT_RATE_LIMIT_BURST: intIn(1, 1_000_000).default(200),
  AUDIT_CLIENT_RATE_LIMIT_PER_SECOND: intIn(0, 1_000_000).default(500),
  AUDIT_CLIENT_RATE_LIMIT_BURST: intIn(1, 1_000_000).default(2000),
  AUDIT_STATIC_DIR: optional(z.string()),
  AUDIT_LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  AUDIT_TOKEN_CACHE_SECONDS: intIn(0, 3600).default(30),
  AUDIT_ADMIN_TOKEN: optional(z.string().regex(/^[\x21-\x7e]{32,512}$/, 'must be 32–512 printable characters without spaces (e.g. openssl rand -hex 32)')),
  AUDIT_FRAME_ANCESTORS: commaList(origin).default([SANDBOX_EHR_ORIGIN]),
  AUDIT_CONNECT_SRC: commaList(origin).default([]),
  AUDIT_TRUST_PROXY: z
    .string()
    .transform((s): boolean | string[] => (s === 'true' ? true : s === 'false' ? false : s.split(',').map((x) => x.trim()).filter(Boolean)))
    .pipe(z.union([z.boolean(), z.array(z.string().regex(/^[0-9a-fA-F.:/]+$/, 'must be true, false, or comma-separated IP addresses or CIDR ranges'))]))
    .default(false),
  AUDIT_SHUTDOWN_TIMEOUT_SECONDS: intIn(1, 600).default(10),
});

/** The names of the variables the audit server reads (the keys of its environment schema). */
export const AUDIT_ENVIRONMENT_VARIABLES: readonly string[] = Object.keys(environmentSchema.shape);

/**
 * The schema of the configuration: the environment, then the names the code uses. Each setting
 * comes from the variable the table above names.
 */
export const auditConfigSchema = environmentSchema.transform((env) => ({
  port: env.AUDIT_PORT,
  host: env.AUDIT_HOST,
  /** PostgreSQL when set, otherwise SQLite at `sqlitePath`. */
  databaseUrl: env.DATABASE_URL,
  /** PostgreSQL schema for the tables; null uses the connection's default. */
  pgSchema: env.AUDIT_PG_SCHEMA,
  sqlitePath: env.AUDIT_SQLITE_PATH,
  trustedIssuers: env.AUDIT_TRUSTED_ISSUERS,
  corsOrigins: env.AUDIT_CORS_ORIGINS,
  bodyLimitBytes: env.AUDIT_BODY_LIMIT_BYTES,
  /** Per user and patient. */
  rateLimit: { perSecond: env.AUDIT_RATE_LIMIT_PER_SECOND, burst: env.AUDIT_RATE_LIMIT_BURST },
  /** Per client (all its users together). */
  clientRateLimit: { perSecond: env.AUDIT_CLIENT_RATE_LIMIT_PER_SECOND, burst: env.AUDIT_CLIENT_RATE_LIMIT_BURST },
  staticDir: env.AUDIT_STATIC_DIR,
  logLevel: env.AUDIT_LOG_LEVEL,
  tokenCacheSeconds: env.AUDIT_TOKEN_CACHE_SECONDS,
  /** The credential `GET /api/audit/verify` requires; null closes that route. */
  adminToken: env.AUDIT_ADMIN_TOKEN,
  /** Origins allowed to frame the app (CSP `frame-ancestors`). */
  frameAncestors: env.AUDIT_FRAME_ANCESTORS,
  /** Extra origins the app may call (CSP `connect-src`). */
  connectSrc: env.AUDIT_CONNECT_SRC,
  /** Whether, or which proxy addresses, to trust for `X-Forwarded-*`. */
  trustProxy: env.AUDIT_TRUST_PROXY,
  /** Longest wait for requests in flight at SIGTERM before exiting anyway. */
  shutdownTimeoutSeconds: env.AUDIT_SHUTDOWN_TIMEOUT_SECONDS,
}));

/** The validated configuration (the output of {@link auditConfigSchema}). */
export type AuditServerConfig = z.output<typeof auditConfigSchema>;

type Setting<V> = V extends Array<infer U> ? readonly U[] : V;

/**
 * The configuration as code hands it on (`startAuditServer`, `buildAuditApp`): the same fields,
 * with read-only lists (and the issuers as the token verifier takes them).
 */
export type AuditSettings = {
  readonly [K in keyof AuditServerConfig]: K extends 'trustedIssuers' ? readonly TrustedIssuer[] : Setting<AuditServerConfig[K]>;
};

/** The result of {@link loadAuditConfig}. */
export type AuditConfigResult = { ok: true; config: AuditServerConfig } | { ok: false; errors: string[] };

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
export function loadAuditConfig(env: Readonly<Record<string, string | undefined>>): AuditConfigResult {
  const input: Record<string, string | undefined> = {};
  for (const name of AUDIT_ENVIRONMENT_VARIABLES) input[name] = env[name] === '' ? undefined : env[name];
  const result = auditConfigSchema.safeParse(input);
  if (result.success) return { ok: true, config: result.data };
  return {
    ok: false,
    errors: result.error.issues.map((issue) => {
      const [name, ...where] = issue.path.map(String);
      return `${name ?? 'environment'}${where.length > 0 ? ` at ${where.join('.')}` : ''}: ${issue.message}`;
    }),
  };
}
