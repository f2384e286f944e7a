/** A `fetch` that answers from a fastify app through `inject`, for tests without sockets. */
import type { FastifyInstance } from 'fastify';

export function injectFetch(app: FastifyInstance): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const req = new Request(input, init);
    const url = new URL(req.url);
    const headers: Record<string, string> = {};
    req.headers.forEach((v, k) => {
      headers[k] = v;
    });
    const payload = req.body ? await req.text() : undefined;
    const res = await app.inject({ method: req.method as 'GET', url: `${url.pathname}${url.search}`, headers, ...(payload !== undefined ? { payload } : {}) });
    const out = new Headers();
    for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) out.set(k, Array.isArray(v) ? v.join(', ') : String(v));
    return new Response(res.statusCode === 204 || res.statusCode === 304 ? null : res.body, { status: res.statusCode, headers: out });
  }) as typeof fetch;
}
