import { delay, http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { createQueryClient, retryDelay } from '../../src/app/query-client';
import { patientQuery } from '../../src/fhir/get-patient';
import type { PatientId } from '../../src/shared/ids';
import { ProblemError, type Problem } from '../../src/shared/problem';
import { testGateway } from '../msw/gateway';
import { server } from '../msw/server';

const BASE = 'https://ehr.example.org/fhir';
const outcome = (code: string, diagnostics: string) => ({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics }] });

type Answer = () => Response | Promise<Response>;

/**
 * Every way a read can fail, the Problem it becomes, and whether the query client sends it again
 * (twice more) — with the wait before the second attempt when it does.
 */
const table: [string, Answer, Partial<Problem> & { kind: Problem['kind'] }, { retried: false } | { retried: true; waitMs: number }][] = [
  ['401', () => HttpResponse.json(outcome('login', 'expired token'), { status: 401 }), { kind: 'unauthorized', what: 'Patient' }, { retried: false }],
  [
    '403 naming the missing scope',
    () => HttpResponse.json(outcome('forbidden', 'no'), { status: 403, headers: { 'www-authenticate': 'Bearer error="insufficient_scope", scope="patient/Patient.rs"' } }),
    { kind: 'forbidden', what: 'Patient', missingScope: 'patient/Patient.rs' },
    { retried: false },
  ],
  ['404', () => HttpResponse.json(outcome('not-found', 'gone'), { status: 404 }), { kind: 'not-found', what: 'Patient' }, { retried: false }],
  ['409', () => HttpResponse.json(outcome('conflict', 'busy'), { status: 409 }), { kind: 'conflict', what: 'Patient' }, { retried: false }],
  ['412', () => HttpResponse.json(outcome('conflict', 'stale'), { status: 412 }), { kind: 'precondition-failed', what: 'Patient' }, { retried: false }],
  [
    '429 with Retry-After: 7',
    () => HttpResponse.json(outcome('throttled', 'slow down'), { status: 429, headers: { 'retry-after': '7' } }),
    { kind: 'rate-limited', what: 'Patient', status: 429, retryAfter: 7 },
    { retried: true, waitMs: 7000 },
  ],
  ['500', () => HttpResponse.json(outcome('exception', 'boom'), { status: 500 }), { kind: 'server-error', what: 'Patient', status: 500 }, { retried: true, waitMs: 2000 }],
  ['502', () => HttpResponse.json(outcome('exception', 'bad gateway'), { status: 502 }), { kind: 'server-error', what: 'Patient', status: 502 }, { retried: true, waitMs: 2000 }],
  ['503', () => HttpResponse.json(outcome('transient', 'down'), { status: 503 }), { kind: 'server-error', what: 'Patient', status: 503, retryAfter: null }, { retried: true, waitMs: 2000 }],
  [
    'a malformed JSON body (200)',
    () => new HttpResponse('{"resourceType":"Patient","id":"ad', { status: 200, headers: { 'content-type': 'application/fhir+json' } }),
    { kind: 'bad-response', what: 'Patient' },
    { retried: false },
  ],
  [
    'another resource than the patient (200)',
    () => HttpResponse.json({ resourceType: 'Patient', id: 'someone-else' }),
    { kind: 'bad-response', what: 'Patient', status: 200 },
    { retried: false },
  ],
  [
    'no answer in time',
    async () => {
      await delay('infinite');
      return HttpResponse.json({});
    },
    { kind: 'timeout', what: 'Patient' },
    { retried: true, waitMs: 2000 },
  ],
  ['a dropped connection (offline)', () => HttpResponse.error(), { kind: 'offline' }, { retried: true, waitMs: 2000 }],
];

describe('the query client’s retries', () => {
  it.each(table)('a read answered with %s is that Problem, and retried only when transient', async (_name, answer, problem, retry) => {
    let requests = 0;
    server.use(
      http.get(`${BASE}/Patient/ada`, () => {
        requests += 1;
        return answer();
      }),
    );
    const client = createQueryClient();
    // The delays themselves are checked below through retryDelay; the test does not sit through them.
    client.setDefaultOptions({ queries: { ...client.getDefaultOptions().queries, retryDelay: 0 } });
    const error: unknown = await client.fetchQuery(patientQuery(testGateway(BASE, 150), 'ada' as PatientId)).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ProblemError);
    expect((error as ProblemError).problem).toMatchObject(problem);
    expect(requests).toBe(retry.retried ? 3 : 1);
    if (retry.retried) expect(retryDelay(1, error)).toBe(retry.waitMs);
  });

  it('waits no longer than 30 s whatever Retry-After asks', () => {
    expect(retryDelay(1, new ProblemError({ kind: 'rate-limited', what: 'Patient', status: 429, retryAfter: 3600 }))).toBe(30_000);
  });

  it('does not retry what is not a failure at a boundary (a programming error)', async () => {
    let runs = 0;
    const client = createQueryClient();
    await expect(
      client.fetchQuery({
        queryKey: ['bug'],
        queryFn: () => {
          runs += 1;
          throw new TypeError("Cannot read properties of undefined (reading 'entry')");
        },
      }),
    ).rejects.toThrow(TypeError);
    expect(runs).toBe(1);
  });
});
