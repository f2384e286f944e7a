import { describe, expect, it } from 'vitest';
import { ProblemError, isTransient, problemFromStatus, retryAfterMs, retryAfterSeconds, statusOf, toProblem, type Problem } from '../../src/shared/problem';

/** fhirclient's HttpError, as far as the normaliser relies on it: an Error with `status` and the `response`. */
function httpError(status: number, headers: Record<string, string> = {}): Error {
  return Object.assign(new Error(`${status} Some Status\nURL: https://ehr.example.org/fhir/Patient/ada`), { name: 'HttpError', status, response: new Response(null, { status, headers }) });
}

describe('problemFromStatus', () => {
  it.each([
    [400, { kind: 'invalid', status: 400 }, false],
    [401, { kind: 'unauthorized' }, false],
    [403, { kind: 'forbidden', missingScope: null }, false],
    [404, { kind: 'not-found' }, false],
    [408, { kind: 'timeout' }, true],
    [409, { kind: 'conflict' }, false],
    [410, { kind: 'not-found' }, false],
    [412, { kind: 'precondition-failed' }, false],
    [422, { kind: 'invalid', status: 422 }, false],
    [425, { kind: 'rate-limited', status: 425 }, true],
    [429, { kind: 'rate-limited', status: 429, retryAfter: null }, true],
    [500, { kind: 'server-error', status: 500 }, true],
    [502, { kind: 'server-error', status: 502 }, true],
    [503, { kind: 'server-error', status: 503 }, true],
  ] as const)('%i is %o, transient: %s', (status, problem, transient) => {
    const p = problemFromStatus(status, { what: 'Task' });
    expect(p).toMatchObject({ ...problem, what: 'Task' });
    expect(isTransient(p)).toBe(transient);
  });

  it('keeps Retry-After (seconds or an HTTP date) on 429 and 503', () => {
    expect(problemFromStatus(429, { headers: new Headers({ 'retry-after': '7' }) })).toMatchObject({ kind: 'rate-limited', retryAfter: 7 });
    expect(retryAfterMs(problemFromStatus(503, { headers: new Headers({ 'retry-after': '2' }) }))).toBe(2000);
    expect(retryAfterSeconds('Wed, 21 Oct 2026 07:28:30 GMT', Date.parse('Wed, 21 Oct 2026 07:28:00 GMT'))).toBe(30);
    expect(retryAfterMs(problemFromStatus(500))).toBeNull();
  });
});

describe('toProblem: every thrown shape', () => {
  it('reads a ProblemError back whole, whichever layer threw it', () => {
    const problem: Problem = { kind: 'forbidden', what: 'Observation', missingScope: 'patient/Observation.rs' };
    expect(toProblem(new ProblemError(problem))).toBe(problem);
    expect(new ProblemError(problem).message).toBe('forbidden (HTTP 403)');
  });

  it('classifies an HTTP error by its status, with the headers of its response', () => {
    expect(toProblem(httpError(429, { 'retry-after': '5' }), { what: 'Patient' })).toEqual({ kind: 'rate-limited', what: 'Patient', status: 429, retryAfter: 5 });
    expect(toProblem(httpError(404), { what: 'Patient' })).toEqual({ kind: 'not-found', what: 'Patient' });
  });

  it('classifies a thrown Response', () => {
    expect(toProblem(new Response(null, { status: 503, headers: { 'retry-after': '3' } }), { what: 'the audit trail' })).toEqual({ kind: 'server-error', what: 'the audit trail', status: 503, retryAfter: 3 });
  });

  it.each([
    ['not-found', 'not-found'],
    ['conflict', 'conflict'],
    ['throttled', 'rate-limited'],
    ['login', 'unauthorized'],
    ['forbidden', 'forbidden'],
    ['timeout', 'timeout'],
    ['exception', 'server-error'],
    ['invalid', 'invalid'],
  ] as const)('reads a thrown OperationOutcome with issue code %s as %s', (code, kind) => {
    expect(toProblem({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics: 'said the server' }] })).toMatchObject({ kind });
  });

  it('calls a TimeoutError a timeout and a SyntaxError (a body that is not JSON) a bad response', () => {
    expect(toProblem(new DOMException('The operation timed out.', 'TimeoutError'), { what: 'Task' })).toEqual({ kind: 'timeout', what: 'Task' });
    expect(toProblem(new SyntaxError('Unexpected end of JSON input'), { what: 'Task' })).toMatchObject({ kind: 'bad-response', what: 'Task', status: null });
  });

  it('calls fetch’s network failure offline, and any other TypeError unknown', () => {
    for (const message of ['Failed to fetch', 'NetworkError when attempting to fetch resource.', 'Load failed', 'fetch failed']) {
      expect(toProblem(new TypeError(message), { url: 'https://ehr.example.org/fhir' })).toEqual({ kind: 'offline', url: 'https://ehr.example.org/fhir' });
    }
    expect(toProblem(new TypeError("Cannot read properties of undefined (reading 'entry')"))).toMatchObject({ kind: 'unknown' });
    expect(isTransient(toProblem(new TypeError('x is not a function')))).toBe(false);
  });

  it('keeps at most 200 characters of anything else', () => {
    expect(toProblem(new Error('x'.repeat(500)))).toEqual({ kind: 'unknown', detail: 'x'.repeat(200) });
    expect(toProblem('plain string')).toEqual({ kind: 'unknown', detail: 'plain string' });
    expect(toProblem(undefined)).toEqual({ kind: 'unknown', detail: 'Unexpected error' });
    expect(toProblem({ some: 'object' })).toEqual({ kind: 'unknown', detail: 'Unexpected error' });
  });
});

describe('statusOf', () => {
  it('gives back the status a Problem stands for, and null where there was none', () => {
    expect(statusOf({ kind: 'precondition-failed', what: 'Task' })).toBe(412);
    expect(statusOf({ kind: 'bad-response', what: 'Task', status: 201, detail: 'x' })).toBe(201);
    expect(statusOf({ kind: 'timeout', what: 'Task' })).toBeNull();
  });
});
