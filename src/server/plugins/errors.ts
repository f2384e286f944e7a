/**
 * How the audit app answers what no route answers, and what a route throws: a 404 that never
 * echoes the URL, client errors by reason, server errors without their details. Every answer is
 * counted in the request metrics.
 */
import type { FastifyInstance } from 'fastify';
import { redactUrl } from '../log-redaction.ts';
import type { AuditMetrics } from '../metrics.ts';

/** Registers the not-found and error handlers and the request metric (call it on the root instance). */
export function registerErrorHandling(app: FastifyInstance, metrics: AuditMetrics): void {
  // fastify's own 404 logs and echoes the raw URL (query string and any token in it included).
  app.setNotFoundHandler((request, reply) => {
    request.log.info({ url: redactUrl(request.url) }, 'route not found');
    return reply.code(404).send({ error: 'not-found', message: 'No such route.' });
  });

  app.addHook('onResponse', async (request, reply) => {
    metrics.observeRequest(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
  });

  app.setErrorHandler((error: { statusCode?: number; code?: string; message: string }, request, reply) => {
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    if (status >= 500) {
      request.log.error({ err: { code: error.code, message: error.message } }, 'audit request failed');
      return reply.code(status).send({ error: 'internal', message: 'The audit server could not complete the request.' });
    }
    const reason = error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'body-too-large' : error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'unsupported-media-type' : 'invalid-request';
    metrics.reject(reason);
    return reply.code(status).send({ error: reason, message: error.message });
  });
}
