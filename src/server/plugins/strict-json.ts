/**
 * JSON bodies must be valid UTF-8, and not empty: fastify's own parser would store U+FFFD for a
 * bad byte instead of refusing the body.
 */
import type { FastifyInstance } from 'fastify';

function refusal(message: string, code: string): Error {
  return Object.assign(new Error(message), { statusCode: 400, code });
}

/** Replaces the app's `application/json` parser (call it on the root instance). */
export function registerStrictJson(app: FastifyInstance): void {
  const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body: Buffer, done) => {
    let text: string;
    try {
      text = utf8.decode(body);
    } catch {
      return done(refusal('The body is not valid UTF-8.', 'FST_ERR_CTP_INVALID_UTF8'), undefined);
    }
    if (text.trim() === '') return done(refusal('The body is empty.', 'FST_ERR_CTP_EMPTY_JSON_BODY'), undefined);
    try {
      return done(null, JSON.parse(text) as unknown);
    } catch {
      return done(refusal('The body is not JSON.', 'FST_ERR_CTP_INVALID_JSON'), undefined);
    }
  });
}
