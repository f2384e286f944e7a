/**
 * `GET /api/audit/AuditEvent`: the patient's timeline as a FHIR R4 searchset Bundle of AuditEvent
 * (fhir-audit-event.ts), under the SMART-token hook of audit-api.ts.
 */
import type { FastifyInstance } from 'fastify';
import { toFhirBundle } from '../fhir-audit-event.ts';
import { readTimelinePage } from './timeline.ts';

/** The route of `/AuditEvent` (registered with the `/api/audit` prefix). */
export async function auditEventRoutes(app: FastifyInstance): Promise<void> {
  app.get('/AuditEvent', async (request, reply) => {
    const page = await readTimelinePage(request, reply);
    if (!page) return reply;
    const base = `${request.protocol}://${request.host}/api/audit/AuditEvent`;
    const self = `${base}?${page.query.toString()}`;
    const nextQuery = new URLSearchParams(page.query);
    if (page.next) nextQuery.set('cursor', page.next);
    return reply.type('application/fhir+json; charset=utf-8').send(toFhirBundle(page.records, self, page.next ? `${base}?${nextQuery.toString()}` : null));
  });
}
