/**
 * Forwards `/api/*` from the app's origin to the audit backend, as production does by serving the
 * app from the backend: the app calls its API on its own origin (`auditApiBaseUrl: ""`).
 */
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';

/** Where `/api` goes; set once the audit server is listening (null: answer 503). */
export interface ApiTarget {
  url: string | null;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer', 'host']);

/** Pipes one request to the target and its answer back; never buffers bodies. */
export function proxyApi(req: IncomingMessage, res: ServerResponse, target: ApiTarget): void {
  if (!target.url) {
    res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' }).end('{"error":"the audit backend is not running"}');
    return;
  }
  const url = new URL(req.url ?? '/', target.url);
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
  const upstream = httpRequest(url, { method: req.method ?? 'GET', headers }, (answer) => {
    const out: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
    res.writeHead(answer.statusCode ?? 502, out);
    answer.pipe(res);
  });
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
    res.end('{"error":"the audit backend did not answer"}');
  });
  req.pipe(upstream);
}
