/**
 * Keeps credentials out of the audit server's logs. Requests are logged by method and URL; a URL can
 * carry a token (`?access_token=…`, an OAuth `code`, an `id_token`) when a caller gets it wrong, and
 * such a request is refused, but its log line is still written. These helpers write the URL with
 * those values replaced, and the request without its headers.
 */
import type { FastifyRequest } from 'fastify';

/** Query parameters whose values are credentials (compared case-insensitively). */
export const CREDENTIAL_PARAMETERS: readonly string[] = ['access_token', 'code', 'id_token', 'refresh_token', 'client_secret', 'client_assertion', 'token', 'authorization'];

/** What replaces a credential in a log line. */
export const REDACTED = '[redacted]';

const CREDENTIAL = new Set(CREDENTIAL_PARAMETERS);

/**
 * The URL (path and query, as received) with the value of every credential parameter replaced.
 *
 * @example
 * redactUrl('/api/audit/events?patient=ada&access_token=eyJ…') // '/api/audit/events?patient=ada&access_token=[redacted]'
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const hash = url.indexOf('#', q);
  const query = url.slice(q + 1, hash < 0 ? undefined : hash);
  const parts = query.split(/([&;])/).map((part) => {
    if (part === '&' || part === ';') return part;
    const eq = part.indexOf('=');
    const rawName = eq < 0 ? part : part.slice(0, eq);
    let name: string;
    try {
      name = decodeURIComponent(rawName.replace(/\+/g, ' '));
    } catch {
      // A name that does not decode is not trusted either way: drop its value.
      return eq < 0 ? part : `${rawName}=${REDACTED}`;
    }
    return CREDENTIAL.has(name.trim().toLowerCase()) && eq >= 0 ? `${rawName}=${REDACTED}` : part;
  });
  return `${url.slice(0, q)}?${parts.join('')}`;
}

/** pino serializer for `req`: method, redacted URL and peer; never headers (Authorization, Cookie) or bodies. */
export function serializeRequest(request: FastifyRequest): { method: string; url: string; version?: string; hostname: string; remoteAddress: string; remotePort?: number } {
  const port = request.socket.remotePort;
  return {
    method: request.method,
    url: redactUrl(request.url),
    hostname: request.host,
    remoteAddress: request.ip,
    ...(port === undefined ? {} : { remotePort: port }),
  };
}
