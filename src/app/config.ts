// zod/mini, with zod's English messages: the config is validated on launch.html and index.html
// before anything else, so the schema must be cheap to build and to ship.
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { parseScope } from '../shared/smart-scopes';

z.config(en());

/**
 * A SMART scope the app may ask for (`patient/Task.rs`, `patient/Observation.rs?category=…`,
 * `launch`, `openid`, v1 `patient/Task.read`, …); a bad one is named with what is wrong with it.
 */
const scope = z.string().check(
  z.superRefine((value, ctx) => {
    const parsed = parseScope(value);
    if (!parsed.ok) {
      ctx.addIssue({ code: 'custom', input: value, message: `is not a SMART scope (e.g. "patient/Task.rs", "launch", "openid"): ${parsed.problem}` });
    }
  }),
);

const int = (min: number, max: number, fallback: number) => z._default(z.int().check(z.minimum(min), z.maximum(max)), fallback);

/**
 * The deployment's runtime configuration, served as `careloop.config.json` next to index.html.
 * An admin edits this one file per deployment; nothing is rebuilt.
 */
export const appConfigSchema = z.strictObject({
  /** The client id the EHR's app gallery issued. */
  clientId: z.string().check(z.minLength(1, 'must not be empty')),
  /** Scopes in SMART v2 syntax; converted to v1 for servers that advertise only v1. */
  scopes: z.array(scope).check(z.minLength(1, 'must list at least one scope')),
  /** The redirect URI registered with the EHR, relative to launch.html or absolute. */
  redirectUri: z._default(z.string().check(z.minLength(1)), 'index.html'),
  /** FHIR base for a standalone launch opened without `iss` (optional). */
  standaloneIss: z.optional(z.url()),
  /**
   * Audit API base URL (without `/api/…`); `""` when the backend serves the app on the same
   * origin; null to keep decisions only in this browser session (no audit backend deployed).
   */
  auditApiBaseUrl: z._default(z.nullable(z.union([z.url(), z.literal('')])), null),
  /** Which rule pack to evaluate. */
  rulePack: z._default(z.enum(['careloop-preventive']), 'careloop-preventive'),
  /**
   * Official measure packages (FHIR Bundles of a Measure, its ELM Libraries and ValueSets, as CMS
   * publishes them), as URLs relative to index.html (same origin). One whose Measure has a rule's
   * canonical URL replaces that rule's measure logic; any other shows as "Review: <title>".
   */
  measurePackages: z._default(z.array(z.string().check(z.minLength(1, 'must not be empty'))), []),
  /**
   * Official value set expansions (ValueSet resources or Bundles of them, e.g. exported from VSAC),
   * as URLs relative to index.html (same origin); they replace the built-in starter expansions of
   * the value sets with the same canonical URL.
   */
  valueSetBundles: z._default(z.array(z.string().check(z.minLength(1, 'must not be empty'))), []),
  /** Business identifier system for written resources. */
  identifierSystem: z._default(z.url(), 'https://careloop.example/fhir/identifier/care-gap-action'),
  fhir: z._default(
    z.strictObject({
      /** Page size asked for in searches (`_count`). */
      pageSize: int(1, 1000, 100),
      /** How many pages a list follows before it stops and says it was cut. */
      maxPages: int(1, 100, 5),
      /** Page size for reading the clinical record the rules evaluate. */
      recordPageSize: int(1, 1000, 500),
      /** Pages per resource type before the record is marked incomplete. */
      recordMaxPages: int(1, 200, 20),
      /** Per-request timeout. */
      timeoutMs: int(1000, 120_000, 15_000),
    }),
    { pageSize: 100, maxPages: 5, recordPageSize: 500, recordMaxPages: 20, timeoutMs: 15_000 },
  ),
});

export type AppConfig = z.infer<typeof appConfigSchema>;

export type ConfigResult =
  | { ok: true; config: AppConfig }
  | { ok: false; problem: { kind: 'config-missing'; url: string; detail: string } | { kind: 'config-invalid'; url: string; fields: string[] } };

export const CONFIG_PATH = 'careloop.config.json';

/** Parses a config document; every problem names its field (e.g. `fhir.maxPages: …`). */
export function parseConfig(raw: unknown, url: string): ConfigResult {
  const parsed = appConfigSchema.safeParse(raw);
  if (parsed.success) return { ok: true, config: parsed.data };
  const fields = parsed.error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    const keys = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
    return `${path || '(top level)'}: ${issue.message}${keys}`;
  });
  return { ok: false, problem: { kind: 'config-invalid', url, fields } };
}

/**
 * Loads and validates the runtime configuration from the app's own origin.
 * @param base the page URL the config path is resolved against (launch.html or index.html)
 */
export async function loadConfig(base: string, fetchImpl: typeof fetch = fetch): Promise<ConfigResult> {
  const url = new URL(CONFIG_PATH, base).href;
  let response: Response;
  try {
    response = await fetchImpl(url, { headers: { accept: 'application/json' } });
  } catch (error) {
    return { ok: false, problem: { kind: 'config-missing', url, detail: error instanceof Error ? error.message : 'network error' } };
  }
  if (!response.ok) {
    return { ok: false, problem: { kind: 'config-missing', url, detail: `HTTP ${response.status}` } };
  }
  let raw: unknown;
  try {
    raw = await response.json();
  } catch {
    return { ok: false, problem: { kind: 'config-invalid', url, fields: ['(file): is not valid JSON'] } };
  }
  return parseConfig(raw, url);
}
