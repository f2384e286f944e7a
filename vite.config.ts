/// <reference types="vitest/config" />
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin, type UserConfig } from 'vite';
import pkg from './package.json' with { type: 'json' };
import { lazyChunksPlugin } from './src/app/lazy-chunks-plugin.ts';
import { SANDBOX_EHR_ORIGIN, securityHeaders } from './src/server/security-headers.ts';

const root = fileURLToPath(new URL('.', import.meta.url));
/** Framed by the sandbox EHR, calling its FHIR server (the sandbox's own policy until it listens). */
const sandboxPolicy = { frameAncestors: [SANDBOX_EHR_ORIGIN], connectSrc: [SANDBOX_EHR_ORIGIN] };

/**
 * The hardening headers for `npm run dev` and `npm run preview` on their own: framed only by the
 * sandbox EHR (dev also allows React Refresh's inline preamble and the HMR socket). An answer that
 * already carries a policy keeps it: the sandbox's dev mode sets its own, with the EHR's real origin.
 */
function sandboxHeadersPlugin(): Plugin {
  const add = (dev: boolean) => (_req: unknown, res: { hasHeader(n: string): boolean; setHeader(n: string, v: string): unknown }, next: () => void) => {
    if (!res.hasHeader('content-security-policy')) for (const [name, value] of Object.entries(securityHeaders({ ...sandboxPolicy, dev }, false))) res.setHeader(name, value);
    next();
  };
  return {
    name: 'careloop-sandbox-headers',
    configureServer: (server) => void server.middlewares.use(add(true)),
    configurePreviewServer: (server) => void server.middlewares.use(add(false)),
  };
}

export default defineConfig(async ({ command }): Promise<UserConfig> => ({
  plugins: [
    react(),
    sandboxHeadersPlugin(),
    // index.html preloads its lazy chunks during the token exchange, except the dialogs, which load
    // when the clinician first opens one; launch.html prefetches the same while the EHR authorizes.
    lazyChunksPlugin(['index.html'], { onDemand: ['confirm-dialog', 'snooze-dialog'], prefetch: { from: 'launch.html', for: 'index.html' } }),
  ],
  resolve: {
    // fhirclient's Web Crypto polyfill for old browsers: never reached where Careloop runs.
    alias: { 'isomorphic-webcrypto': resolve(root, 'src/smart/webcrypto-shim.ts') },
  },
  // The version Careloop reports in Provenance and the audit trail.
  define: {
    'import.meta.env.VITE_APP_VERSION': JSON.stringify(pkg.version),
    // The built-in rule pack's digest, computed once here from the very modules being bundled
    // (see src/rules/pack.ts); the dev server and tests compute it at run time instead.
    ...(command === 'build'
      ? {
          __CARELOOP_PREVENTIVE_DIGEST__: JSON.stringify((await import('./src/rules/pack.ts')).careloopPreventive.digest),
          __CARELOOP_ELM_DIGESTS__: JSON.stringify((await import('./src/rules/pack.ts')).careloopPreventive.elmDigests),
          // fhirclient's build for current browsers: the window's own fetch, no cross-fetch polyfill.
          FHIRCLIENT_PURE: 'true',
        }
      : {}),
  },
  server: {
    fs: {
      // What the dev server must never serve from a checkout: Vite's own defaults (env files, keys,
      // package-manager credentials, git's metadata) and, beside them, the `.git` file of a worktree,
      // the audit server's data directory (`.data/`) and any SQLite database or its journal files.
      // This list replaces Vite's, so its defaults are repeated.
      deny: ['.env', '.env.*', '*.{crt,pem,key,p12,pfx,cer,der}', '.npmrc', '.yarnrc.yml', '.git', '**/.git/**', '.data', '**/.data/**', '*.sqlite', '*.sqlite-*', '*.db'],
    },
  },
  build: {
    // `npm run build`: the app in dist/app, the compiled server beside it in dist/server. No source
    // maps: the production files must not ship them (the static server refuses `.map` anyway).
    outDir: 'dist/app',
    emptyOutDir: true,
    sourcemap: false,
    rollupOptions: {
      // Two entry points, as the EHR sees them: the launch URL and the redirect URI.
      input: {
        index: resolve(root, 'index.html'),
        launch: resolve(root, 'launch.html'),
      },
    },
  },
  test: {
    // src/smart imports fhirclient's browser modules (lib/smart, lib/adapters/BrowserAdapter)
    // directly, so no alias to its browser entry is needed under vitest.
    projects: [
      {
        extends: true,
        test: {
          name: 'dom',
          environment: 'jsdom',
          include: ['test/{app,smart,fhir,features,writeback,audit}/**/*.test.{ts,tsx}'],
          setupFiles: ['test/setup-dom.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'node',
          environment: 'node',
          include: ['test/{rules,shared,server,sandbox,cli,cql}/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['test/e2e/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
}));
