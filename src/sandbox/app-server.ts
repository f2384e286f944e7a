/**
 * Serves the real Careloop app on `http://localhost:<port>`, a different site from the EHR
 * (`127.0.0.1`), so the chart's iframe is cross-site as at a hospital. Either Vite's dev server (for
 * `npm start`) or a production build served as static files (deterministic, for end-to-end tests).
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { registerSecurityHeaders, SANDBOX_EHR_ORIGIN, securityHeaders, type SecurityHeaderPolicy } from '../server/security-headers.ts';
import { registerStaticApp } from '../server/static-app.ts';
import { proxyApi, type ApiTarget } from './api-proxy.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export type AppMode = 'dev' | 'build' | 'none' | { readonly staticDir: string };

export interface RunningApp {
  readonly url: string;
  close(): Promise<void>;
}

/** Thrown when a port is taken, with a message fit for one line on a terminal. */
export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    readonly variable: 'EHR_PORT' | 'APP_PORT' | 'AUDIT_PORT',
  ) {
    super(`Port ${port} is already in use (${variable}). Stop whatever uses it or set ${variable} to a free port.`);
    this.name = 'PortInUseError';
  }
}

export function isAddressInUse(err: unknown): boolean {
  return typeof err === 'object' && err !== null && ((err as { code?: string }).code === 'EADDRINUSE' || /already in use/i.test(String((err as Error).message)));
}

/** Builds the app with the repo's vite.config.ts into a fresh temporary directory. */
export async function buildApp(): Promise<string> {
  const { build } = await import('vite');
  const outDir = await mkdtemp(join(tmpdir(), 'careloop-app-'));
  await build({ configFile: join(REPO_ROOT, 'vite.config.ts'), root: REPO_ROOT, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  return outDir;
}

/** The sandbox's policy until the EHR is listening: framed by the EHR on its default port. */
export function sandboxHeaderPolicy(): SecurityHeaderPolicy {
  return { frameAncestors: [SANDBOX_EHR_ORIGIN], connectSrc: [SANDBOX_EHR_ORIGIN] };
}

/**
 * `api`: where the app's `/api/*` requests go (the audit backend), if anywhere. `headers`: the
 * security headers' policy, read at every answer (the sandbox fills in the EHR's origin once it
 * listens), the same headers the audit server sends in production.
 */
export async function startApp(mode: AppMode, port: number, api: ApiTarget = { url: null }, headers: SecurityHeaderPolicy = sandboxHeaderPolicy()): Promise<RunningApp> {
  if (mode === 'none') return { url: `http://localhost:${port}`, close: async () => {} };
  if (mode === 'dev') return startDevServer(port, api, headers);
  const dir = mode === 'build' ? await buildApp() : mode.staticDir;
  return serveStatic(dir, port, api, headers);
}

async function startDevServer(port: number, api: ApiTarget, headers: SecurityHeaderPolicy): Promise<RunningApp> {
  const { createServer } = await import('vite');
  const server = await createServer({
    configFile: join(REPO_ROOT, 'vite.config.ts'),
    root: REPO_ROOT,
    logLevel: 'warn',
    clearScreen: false,
    server: { port, host: 'localhost', strictPort: true },
    plugins: [
      {
        name: 'careloop-api-proxy',
        configureServer(dev) {
          dev.middlewares.use((_req, res, next) => {
            for (const [name, value] of Object.entries(securityHeaders({ ...headers, dev: true }, false))) res.setHeader(name, value);
            next();
          });
          dev.middlewares.use((req, res, next) => (req.url?.startsWith('/api/') ? proxyApi(req, res, api) : next()));
        },
      },
    ],
  });
  try {
    await server.listen();
  } catch (err) {
    await server.close();
    if (isAddressInUse(err)) throw new PortInUseError(port, 'APP_PORT');
    throw err;
  }
  const address = server.httpServer?.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  return { url: `http://localhost:${actual}`, close: () => server.close() };
}


/** Serves a built app directory on localhost (both IPv4 and IPv6 loopback). */
export async function serveStatic(dir: string, port: number, api: ApiTarget = { url: null }, headers: SecurityHeaderPolicy = sandboxHeaderPolicy()): Promise<RunningApp> {
  const root = resolve(dir);
  const app = Fastify({ logger: false });
  registerSecurityHeaders(app, headers);
  // Bodies are piped to the backend untouched, so no content-type parsing here.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, _payload, done) => done(null));
  app.all('/api/*', (req, reply) => {
    reply.hijack();
    proxyApi(req.raw, reply.raw, api);
  });
  // The same file serving the audit backend does in production.
  registerStaticApp(app, root);
  try {
    await app.listen({ port, host: 'localhost' });
  } catch (err) {
    await app.close();
    if (isAddressInUse(err)) throw new PortInUseError(port, 'APP_PORT');
    throw err;
  }
  const address = app.server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  return { url: `http://localhost:${actual}`, close: () => app.close() };
}
