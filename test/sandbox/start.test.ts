import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PortInUseError, REPO_ROOT, startSandbox, type Sandbox } from '../../src/sandbox/index.ts';
import { BackendTokenSource } from '../../src/server/workflow/backend-token.ts';
import { REFERENCE_DATE } from './support.ts';

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ ehrPort: 0, appPort: 5999, app: 'none', referenceDate: REFERENCE_DATE, skipLargeRecord: true });
});
afterAll(async () => {
  await sandbox.close();
});

function occupy(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve({ server, port: typeof a === 'object' && a ? a.port : 0 });
    });
  });
}

describe('startSandbox', () => {
  it('registers the workflow service as a Backend Services client whose key pair was made at start', async () => {
    const { clientId, tokenEndpoint, scope, keys } = sandbox.workflowClient;
    expect(tokenEndpoint).toBe(`${sandbox.ehrUrl}auth/token`);
    const tokens = new BackendTokenSource({ tokenEndpoint, clientId, privateKey: keys.privateKey, kid: keys.kid, alg: keys.alg, scope });
    const res = await fetch(`${sandbox.fhirBase}/Observation?patient=ada&_count=1`, { headers: { authorization: `Bearer ${await tokens.token()}` } });
    expect(res.status).toBe(200);
    expect(tokens.grantedScope).toBe(scope);
  });

  it('serves the EHR on 127.0.0.1 and registers the app on localhost (another site)', async () => {
    expect(sandbox.fhirBase).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/fhir$/);
    expect(sandbox.appUrl).toBe('http://localhost:5999');
    const conf = (await (await fetch(`${sandbox.fhirBase}/.well-known/smart-configuration`)).json()) as { issuer: string };
    expect(conf.issuer).toBe(sandbox.fhirBase);
  });

  it('shows a patient list and a chart that launches the app in a sidebar iframe', async () => {
    const list = await (await fetch(sandbox.ehrUrl)).text();
    expect(list).toContain('Ada Lovelace');
    const chart = await (await fetch(sandbox.chartUrl('ada'))).text();
    const src = /<iframe[^>]*src="([^"]+)"/.exec(chart)?.[1]?.replaceAll('&amp;', '&') ?? '';
    const url = new URL(src);
    expect(`${url.origin}${url.pathname}`).toBe('http://localhost:5999/launch.html');
    expect(url.searchParams.get('iss')).toBe(sandbox.fhirBase);
    const launch = sandbox.ctx.launches.get(url.searchParams.get('launch') ?? '');
    expect(launch).toMatchObject({ patient: 'ada', encounter: 'ada-visit', user: 'Practitioner/blackwell', clientId: 'careloop' });
    expect(chart).toMatch(/width:380px/);
  });

  it('mints a new launch each time the chart opens (switching patient relaunches)', async () => {
    const a = /launch=([^"&]+)/.exec(await (await fetch(sandbox.chartUrl('grace'))).text())?.[1];
    const b = /launch=([^"&]+)/.exec(await (await fetch(sandbox.chartUrl('alan'))).text())?.[1];
    expect(a && b && a !== b).toBe(true);
    expect(sandbox.ctx.launches.get(b ?? '')?.patient).toBe('alan');
  });

  it('says clearly when the EHR port is in use', async () => {
    const { server, port } = await occupy();
    try {
      const err = await startSandbox({ ehrPort: port, app: 'none', skipLargeRecord: true }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PortInUseError);
      expect((err as Error).message).toBe(`Port ${port} is already in use (EHR_PORT). Stop whatever uses it or set EHR_PORT to a free port.`);
    } finally {
      server.close();
    }
  });
});

describe('npm start', () => {
  const run = (env: Record<string, string>) =>
    spawn(process.execPath, ['--import', 'tsx', 'src/sandbox/start.ts'], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });

  /** Starts `npm start` and resolves with what it printed once the `Audit:` line is out. */
  const started = async (env: Record<string, string>) => {
    const child = run(env);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no URLs printed: ${out}`)), 30_000);
      child.stdout.on('data', () => {
        if (/Audit: /.test(out)) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    return { child, out };
  };

  it('prints one line each for EHR, FHIR, App and Audit, and stops on Ctrl-C', async () => {
    const { child, out } = await started({ EHR_PORT: '0', APP_PORT: '5998', APP_MODE: 'none', AUDIT_PORT: '0' });
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^EHR: http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(lines[1]).toMatch(/^FHIR: http:\/\/127\.0\.0\.1:\d+\/fhir$/);
    expect(lines[2]).toBe('App: http://localhost:5998');
    expect(lines[3]).toMatch(/^Audit: http:\/\/127\.0\.0\.1:\d+\/api\/audit$/);
    const health = await fetch(`${lines[3]?.slice('Audit: '.length).replace(/\/api\/audit$/, '')}/api/health`);
    expect(await health.json()).toMatchObject({ status: 'ok' });
    const code = await new Promise<number | null>((resolve) => {
      child.on('exit', resolve);
      child.kill('SIGINT');
    });
    expect(code).toBe(0);
  }, 40_000);

  it('opens the workflow status page and audit verification with AUDIT_ADMIN_TOKEN, and refuses a bad one', async () => {
    const token = 'sandbox-admin-credential-0123456789abcdef';
    const { child, out } = await started({ EHR_PORT: '0', APP_PORT: '5997', APP_MODE: 'none', AUDIT_PORT: '0', AUDIT_ADMIN_TOKEN: token });
    try {
      expect(out).not.toContain(token);
      const audit = /Audit: (\S+)\/api\/audit/.exec(out)?.[1] ?? '';
      expect((await fetch(`${audit}/api/workflow/status`)).status).toBe(401);
      const status = await fetch(`${audit}/api/workflow/status`, { headers: { authorization: `Bearer ${token}` } });
      expect(status.status).toBe(200);
      expect(await status.text()).toMatch(/Careloop workflow service/);
      expect((await fetch(`${audit}/api/audit/verify`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    } finally {
      await new Promise((resolve) => {
        child.on('exit', resolve);
        child.kill('SIGINT');
      });
    }
    const bad = run({ EHR_PORT: '0', APP_PORT: '5996', APP_MODE: 'none', AUDIT_PORT: '0', AUDIT_ADMIN_TOKEN: 'short' });
    let err = '';
    bad.stderr.on('data', (d: Buffer) => (err += d.toString()));
    expect(await new Promise((resolve) => bad.on('exit', resolve))).toBe(1);
    expect(err.trim()).toBe('AUDIT_ADMIN_TOKEN must be 32–512 printable characters without spaces (e.g. openssl rand -hex 32).');
  }, 40_000);

  it('exits 1 with a one-line message when a port is in use', async () => {
    const { server, port } = await occupy();
    try {
      const child = run({ EHR_PORT: String(port), APP_MODE: 'none', AUDIT_PORT: '0' });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(code).toBe(1);
      expect(err.trim()).toBe(`Port ${port} is already in use (EHR_PORT). Stop whatever uses it or set EHR_PORT to a free port.`);
    } finally {
      server.close();
    }
  }, 40_000);
});
