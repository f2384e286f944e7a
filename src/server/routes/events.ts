/**
 * `POST /api/audit/events` (append a batch) and `GET /api/audit/events` (a page of the patient's
 * timeline), under the SMART-token hook of audit-api.ts.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { auditBatchSchema, normalizeAuditEvent, type AuditActor, type AuditBatchReceipt, type AuditBatchResponse, type AuditTimelinePage } from '../../shared/audit-event.ts';
import type { VerifiedToken } from '../auth/token-verifier.ts';
import type { AppendBatchOutcome, AppendOutcome, AppendReceipt } from '../store/types.ts';
import { refusePatient, verifiedToken } from './authenticate.ts';
import { readTimelinePage, zodIssues } from './timeline.ts';

/** The routes of `/events` (registered with the `/api/audit` prefix). */
export async function eventsRoutes(app: FastifyInstance): Promise<void> {
  const { auditStore: store, auditMetrics: metrics } = app;

  /** Counts and logs an append; answers 409 (and returns null) when it conflicted. */
  function settle<R extends AppendReceipt>(
    result: AppendBatchOutcome<R>,
    request: FastifyRequest,
    reply: FastifyReply,
    token: VerifiedToken,
  ): { results: Array<AppendOutcome<R>>; created: number } | null {
    if (result.kind === 'conflict') {
      metrics.reject('conflict', result.conflictingIds.length);
      request.log.info({ conflictingIds: result.conflictingIds }, 'audit events conflict with stored records');
      void reply.code(409).send({
        error: 'conflict',
        message: 'An event id was already stored with a different body; nothing in this batch was stored.',
        conflictingIds: result.conflictingIds,
      });
      return null;
    }
    let created = 0;
    for (const r of result.results) if (r.status === 'created') created += 1;
    metrics.accepted += created;
    metrics.duplicates += result.results.length - created;
    request.log.info({ eventIds: result.results.map((r) => r.record.id), created, clientId: token.clientId }, 'audit events stored');
    return { results: result.results, created };
  }

  app.post('/events', async (request, reply) => {
    const parsed = auditBatchSchema.safeParse(request.body);
    if (!parsed.success) {
      metrics.reject('invalid-request');
      return reply.code(400).send({ error: 'invalid-request', message: 'The batch does not match the audit event schema.', issues: zodIssues(parsed.error) });
    }
    const token = verifiedToken(request);
    if (parsed.data.events.some((e) => e.patient !== token.patient)) return refusePatient(reply, metrics);

    const events = parsed.data.events.map(normalizeAuditEvent);
    const actor: AuditActor = { sub: token.sub, fhirUser: token.fhirUser, clientId: token.clientId, issuer: token.fhirBase };
    // `Prefer: return=minimal` (RFC 7240): the receipt only (id, status, seq, hash), not the records.
    if (/\breturn=minimal\b/.test(String(request.headers['prefer'] ?? ''))) {
      const stored = settle(await store.append(events, actor, { returning: 'receipts' }), request, reply, token);
      if (!stored) return reply;
      const minimal: AuditBatchReceipt = { results: stored.results.map((r) => ({ id: r.record.id, status: r.status, seq: r.record.seq, hash: r.record.hash })) };
      return reply.code(stored.created > 0 ? 201 : 200).header('preference-applied', 'return=minimal').send(minimal);
    }
    const stored = settle(await store.append(events, actor), request, reply, token);
    if (!stored) return reply;
    const body: AuditBatchResponse = { results: stored.results.map((r) => ({ id: r.record.id, status: r.status, record: r.record })) };
    return reply.code(stored.created > 0 ? 201 : 200).send(body);
  });

  app.get('/events', async (request, reply) => {
    const page = await readTimelinePage(request, reply);
    if (!page) return reply;
    const body: AuditTimelinePage = { records: page.records, nextCursor: page.next };
    return reply.send(body);
  });
}
