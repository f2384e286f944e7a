/**
 * Serves the built app (vite's dist/app) in production, so the app and its audit API share one
 * origin and need no CORS. Only files inside the folder; `/` is index.html. Hashed assets are cached
 * for a year, everything else (the HTML pages, careloop.config.json, content files) revalidates.
 * Source maps and dot-files are never served, even when a build left them in the folder.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import type { FastifyInstance } from 'fastify';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Registers `GET /*` for the files of `dir` (the API routes take precedence). */
export function registerStaticApp(app: FastifyInstance, dir: string): void {
  const root = resolve(dir);
  app.get('/*', async (request, reply) => {
    const pathname = decodeURIComponent(new URL(request.url, 'http://x').pathname);
    const file = resolve(root, `.${pathname === '/' ? '/index.html' : pathname}`);
    if (file !== root && !file.startsWith(root + sep)) return reply.code(404).send({ error: 'not-found' });
    if (extname(file) === '.map' || pathname.split('/').some((segment) => segment.startsWith('.'))) return reply.code(404).send({ error: 'not-found' });
    try {
      if (!(await stat(file)).isFile()) return reply.code(404).send({ error: 'not-found' });
      const body = await readFile(file);
      const cache = pathname.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
      return reply.type(TYPES[extname(file)] ?? 'application/octet-stream').header('cache-control', cache).send(body);
    } catch {
      return reply.code(404).send({ error: 'not-found' });
    }
  });
}
