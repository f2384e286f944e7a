import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AUDIT_ENVIRONMENT_VARIABLES, loadAuditConfig } from '../../src/server/config.ts';
import { REPO_ROOT } from './support/process.ts';

const issuers = JSON.stringify([{ fhirBase: 'http://127.0.0.1:4000/fhir', mode: 'jwks' }]);

describe('the audit server configuration', () => {
  it('starts from defaults with only the trusted issuers given', () => {
    const result = loadAuditConfig({ AUDIT_TRUSTED_ISSUERS: issuers });
    expect(result).toEqual({
      ok: true,
      config: {
        port: 4100,
        host: '127.0.0.1',
        databaseUrl: null,
        pgSchema: null,
        sqlitePath: '.data/audit.sqlite',
        trustedIssuers: [{ fhirBase: 'http://127.0.0.1:4000/fhir', mode: 'jwks', audience: undefined, issuer: undefined }],
        corsOrigins: [],
        bodyLimitBytes: 1048576,
        rateLimit: { perSecond: 50, burst: 200 },
        clientRateLimit: { perSecond: 500, burst: 2000 },
        staticDir: null,
        logLevel: 'info',
        tokenCacheSeconds: 30,
        adminToken: null,
        frameAncestors: ['http://127.0.0.1:4000'],
        connectSrc: [],
        trustProxy: false,
        shutdownTimeoutSeconds: 10,
      },
    });
  });

  it('reads the EHR origins that may frame the app, extra connect origins and the proxy to trust', () => {
    const result = loadAuditConfig({
      AUDIT_TRUSTED_ISSUERS: '[{"fhirBase":"https://fhir.hospital.example/r4","mode":"jwks"}]',
      AUDIT_FRAME_ANCESTORS: 'https://ehr.hospital.example, https://ehr-test.hospital.example:8443',
      AUDIT_CONNECT_SRC: 'https://auth.hospital.example',
      AUDIT_TRUST_PROXY: '127.0.0.1,10.0.0.0/8',
      AUDIT_SHUTDOWN_TIMEOUT_SECONDS: '30',
    });
    expect(result.ok && result.config).toMatchObject({
      frameAncestors: ['https://ehr.hospital.example', 'https://ehr-test.hospital.example:8443'],
      connectSrc: ['https://auth.hospital.example'],
      trustProxy: ['127.0.0.1', '10.0.0.0/8'],
      shutdownTimeoutSeconds: 30,
    });
    expect(loadAuditConfig({ AUDIT_TRUSTED_ISSUERS: '[{"fhirBase":"https://f.example","mode":"jwks"}]', AUDIT_TRUST_PROXY: 'true' })).toMatchObject({ config: { trustProxy: true } });
  });

  it('refuses a frame ancestor with a path, and a proxy that is not an address', () => {
    const result = loadAuditConfig({
      AUDIT_TRUSTED_ISSUERS: '[{"fhirBase":"https://f.example","mode":"jwks"}]',
      AUDIT_FRAME_ANCESTORS: 'https://ehr.example/chart',
      AUDIT_TRUST_PROXY: 'everyone',
    });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors.join('\n')).toMatch(/AUDIT_FRAME_ANCESTORS.*no path/);
    expect(!result.ok && result.errors.join('\n')).toMatch(/AUDIT_TRUST_PROXY/);
  });

  it('reads PostgreSQL, CORS origins and limits from the environment', () => {
    const result = loadAuditConfig({
      AUDIT_TRUSTED_ISSUERS: issuers,
      DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/audit',
      AUDIT_CORS_ORIGINS: 'http://127.0.0.1:5173, https://careloop.example',
      AUDIT_RATE_LIMIT_PER_SECOND: '0',
      AUDIT_CLIENT_RATE_LIMIT_PER_SECOND: '1000',
    });
    expect(result.ok && result.config).toMatchObject({
      databaseUrl: 'postgres://u:p@127.0.0.1:5432/audit',
      corsOrigins: ['http://127.0.0.1:5173', 'https://careloop.example'],
      rateLimit: { perSecond: 0, burst: 200 },
      clientRateLimit: { perSecond: 1000, burst: 2000 },
    });
  });

  it('names each bad variable in its own message', () => {
    const result = loadAuditConfig({
      AUDIT_PORT: 'eighty',
      AUDIT_TRUSTED_ISSUERS: JSON.stringify([{ fhirBase: 'not a url', mode: 'trust-me' }]),
      AUDIT_CORS_ORIGINS: 'http://127.0.0.1:5173/app',
      DATABASE_URL: 'mysql://x',
      AUDIT_LOG_LEVEL: 'loud',
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const joined = result.errors.join('\n');
    for (const name of ['AUDIT_PORT', 'AUDIT_TRUSTED_ISSUERS at 0.fhirBase', 'AUDIT_TRUSTED_ISSUERS at 0.mode', 'AUDIT_CORS_ORIGINS at 0', 'DATABASE_URL', 'AUDIT_LOG_LEVEL']) {
      expect(joined).toContain(`${name}:`);
    }
    expect(result.errors).toHaveLength(6);
  });

  it('says the trusted issuers are required, and must be JSON', () => {
    expect(loadAuditConfig({})).toEqual({ ok: false, errors: ['AUDIT_TRUSTED_ISSUERS: is required'] });
    const notJson = loadAuditConfig({ AUDIT_TRUSTED_ISSUERS: '[{fhirBase:' });
    expect(!notJson.ok && notJson.errors[0]).toMatch(/^AUDIT_TRUSTED_ISSUERS: must be JSON/);
    const empty = loadAuditConfig({ AUDIT_TRUSTED_ISSUERS: '[]' });
    expect(!empty.ok && empty.errors[0]).toBe('AUDIT_TRUSTED_ISSUERS: must list at least one issuer');
  });
});

describe('the audit server configuration, as documented and as the process reads it', () => {
  it('reads only variables the README documents, each under its documented name', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('#### Configuration (environment variables'));
    const table = section.slice(0, section.indexOf('\n####'));
    const documented = new Set([...table.matchAll(/^\| ([^|]+)\|/gm)].flatMap((row) => [...(row[1] ?? '').matchAll(/`([A-Z_]+)`/g)].map((m) => m[1])));
    expect(AUDIT_ENVIRONMENT_VARIABLES.length).toBeGreaterThan(15);
    for (const name of AUDIT_ENVIRONMENT_VARIABLES) expect(documented, name).toContain(name);
  });

  it('stops the process with one line per bad variable, naming it, before opening anything', { timeout: 60_000 }, async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/main.ts'], {
      cwd: REPO_ROOT,
      env: { ...process.env, DATABASE_URL: '', AUDIT_SQLITE_PATH: ':memory:', AUDIT_TRUSTED_ISSUERS: issuers, AUDIT_PORT: 'eighty', AUDIT_LOG_LEVEL: 'loud' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([
      'The audit server is misconfigured:',
      '  - AUDIT_PORT: must be a whole number from 0 to 65535',
      expect.stringMatching(/^ {2}- AUDIT_LOG_LEVEL: /),
    ]);
  });
});
