/**
 * One page of a patient's audit timeline, as `GET /api/audit/events` and `GET /api/audit/AuditEvent`
 * both read it: the query's grammar, the patient check against the token, the cursor.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AUDIT_ACTIONS, type AuditEntry } from '../../shared/audit-event.ts';
import { FHIR_ID } from '../../shared/ids.ts';
import { refusePatient } from './authenticate.ts';

const DEFAULT_PAGE = 50;
const MAX_PAGE = 200;

const timelineQuerySchema = z.strictObject({
  patient: z.string().regex(FHIR_ID, 'must be a FHIR id'),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  action: z
    .string()
    .transform((s) => s.split(',').filter(Boolean))
    .pipe(z.array(z.enum(AUDIT_ACTIONS)))
    .optional(),
  /** `careloop`: only records whose verified actor is a configured Careloop client (how the app reads decisions back). */
  actor: z.literal('careloop').optional(),
  cursor: z.string().regex(/^[1-9]\d{0,15}$/, 'is not a cursor this server issued').optional(),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).optional(),
  _count: z.coerce.number().int().min(1).max(MAX_PAGE).optional(),
});

/** A zod error's issues as the API reports them: `{ path: 'events.0.id', message }`. */
export function zodIssues(error: z.ZodError): Array<{ path: string; message: string }> {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
}

/** A page of the timeline: the records, the next (older) page's cursor, and the query without its cursor. */
export interface TimelinePage {
  records: AuditEntry[];
  next: string | null;
  query: URLSearchParams;
}

/**
 * Reads the page the request asks for. Answers 400 (bad query) or 403 (another patient than the
 * token's) itself and returns null.
 */
export async function readTimelinePage(request: FastifyRequest, reply: FastifyReply): Promise<TimelinePage | null> {
  const { auditStore: store, auditMetrics: metrics, tokenVerifier: verifier } = request.server;
  const parsed = timelineQuerySchema.safeParse(request.query);
  if (!parsed.success) {
    metrics.reject('invalid-request');
    await reply.code(400).send({ error: 'invalid-request', message: 'Bad query parameters.', issues: zodIssues(parsed.error) });
    return null;
  }
  const q = parsed.data;
  if (q.patient !== request.auditToken?.patient) {
    await refusePatient(reply, metrics);
    return null;
  }
  const limit = q.limit ?? q._count ?? DEFAULT_PAGE;
  const rows = await store.timeline({
    patient: q.patient,
    from: q.from === undefined ? undefined : new Date(q.from).toISOString(),
    to: q.to === undefined ? undefined : new Date(q.to).toISOString(),
    actions: q.action,
    beforeSeq: q.cursor === undefined ? undefined : Number(q.cursor),
    actors: q.actor === 'careloop' ? verifier.careloopClients() : undefined,
    limit: limit + 1,
  });
  const records = rows.slice(0, limit);
  const last = records[records.length - 1];
  const next = rows.length > limit && last ? String(last.seq) : null;
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(request.query as Record<string, unknown>)) if (typeof v === 'string' && k !== 'cursor') query.set(k, v);
  return { records, next, query };
}
