/**
 * One POST of a prebuilt body over a keep-alive connection; resolves with the status once the
 * response is read. node:http rather than fetch: on the 2-core reference machine, fetch (undici)
 * used most of a core at the benchmarks' request rates, CPU the server then did not have.
 */
import { request, type Agent } from 'node:http';

export function postBody(agent: Agent, url: URL, headers: Readonly<Record<string, string>>, body: string): Promise<number> {
  return new Promise((done, fail) => {
    const req = request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } });
    req.on('response', (res) => {
      res.on('error', fail);
      res.on('end', () => done(res.statusCode ?? 0));
      res.resume();
    });
    req.on('error', fail);
    req.end(body);
  });
}
