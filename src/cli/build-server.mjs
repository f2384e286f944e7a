/**
 * `npm run build:server`: compiles the audit server (src/server/main.ts and its SQLite threads' entry)
 * into plain JavaScript under dist/server/ with esbuild, packages left as imports. Node runs the
 * result with the production dependencies only: no tsx, no TypeScript at run time. Fails when the
 * bundle imports a package that is not in package.json's `dependencies` (it would be missing after
 * `npm ci --omit=dev`).
 */
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const outdir = process.argv[2] ?? join(root, 'dist/server');

const result = await build({
  absWorkingDir: root,
  entryPoints: { main: 'src/server/main.ts', 'store-thread': 'src/server/store/sqlite-thread-bundle-entry.ts' },
  outdir,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  packages: 'external',
  define: { __CARELOOP_SERVER_BUNDLE__: 'true' },
  // No source maps: stack traces name the bundle's lines, which stay readable (not minified).
  sourcemap: false,
  metafile: true,
  logLevel: 'warning',
  legalComments: 'none',
});

/** The package a bare import names: `@scope/name/sub` → `@scope/name`. */
function packageOf(path) {
  const parts = path.split('/');
  return path.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}
const builtins = new Set(builtinModules);
const imported = new Set();
for (const output of Object.values(result.metafile.outputs)) {
  for (const { path, external } of output.imports) {
    if (!external || path.startsWith('node:') || builtins.has(path) || path.startsWith('.')) continue;
    imported.add(packageOf(path));
  }
}
const missing = [...imported].filter((name) => !(name in (pkg.dependencies ?? {}))).sort();
if (missing.length > 0) {
  console.error(`The server imports packages that are not in package.json's "dependencies": ${missing.join(', ')}`);
  process.exit(1);
}
console.info(`Server: ${outdir} (imports ${[...imported].sort().join(', ')})`);
