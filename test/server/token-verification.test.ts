import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { redactUrl } from '../../src/server/log-redaction.ts';
import { normalizeAuditEvent, type AuditTimelinePage } from '../../src/shared/audit-event.ts';
import { anEvent } from './support/events.ts';
import { harness, type Harness } from './support/harness.ts';
import { startTestIssuer } from './support/issuer.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function expectRejected(res: { statusCode: number; headers: Record<string, unknown>; json: () => unknown }, status: number, reason: string): Promise<void> {
  expect(res.statusCode).toBe(status);
  expect(res.json()).toMatchObject({ error: reason });
  if (status === 401) expect(String(res.headers['www-authenticate'])).toMatch(/^Bearer /);
  expect(await h?.rejected(reason)).toBe(1);
  expect(await h?.store.count()).toBe(0);
}

describe('a call to the audit API', () => {
  it('is refused with 401 when it carries no token', async () => {
    h = await harness();
    await expectRejected(await h.post([anEvent()], null), 401, 'missing-token');
  });

  it('is refused with 401 when the token is signed by another key', async () => {
    h = await harness();
    await expectRejected(await h.post([anEvent()], await h.issuer.token({}, { forged: true })), 401, 'bad-signature');
  });

  it('is refused with 401 when the token has expired', async () => {
    h = await harness();
    await expectRejected(await h.post([anEvent()], await h.issuer.token({}, { expiresIn: -60 })), 401, 'expired');
  });

  it('is refused with 401 when the token comes from an issuer that is not configured', async () => {
    h = await harness();
    const stranger = await startTestIssuer();
    try {
      await expectRejected(await h.post([anEvent()], await stranger.token()), 401, 'unknown-issuer');
      expect(stranger.hits.discovery).toBe(0);
    } finally {
      await stranger.close();
    }
  });

  it('is refused with 401 when a trusted issuer’s token is meant for another audience', async () => {
    h = await harness({ issuers: (i) => [{ fhirBase: i.fhirBase, mode: 'jwks', issuer: i.base }] });
    await expectRejected(await h.post([anEvent()], await h.issuer.token({ aud: 'http://127.0.0.1:9/other-fhir' })), 401, 'wrong-audience');
  });

  it('is refused with 401 when the token claims a configured audience but a different issuer', async () => {
    h = await harness();
    await expectRejected(await h.post([anEvent()], await h.issuer.token({ iss: 'http://127.0.0.1:9' })), 401, 'unknown-issuer');
  });

  it('is refused with 403 when an event is for another patient than the token’s', async () => {
    h = await harness();
    await expectRejected(await h.post([anEvent(), anEvent({ patient: 'grace' })]), 403, 'patient-mismatch');
  });

  it('is refused with 403 when the token has no patient in context', async () => {
    h = await harness();
    await expectRejected(await h.post([anEvent()], await h.issuer.token({ patient: undefined })), 403, 'patient-mismatch');
  });

  it('is refused with 403 when reading another patient’s timeline or AuditEvents', async () => {
    h = await harness();
    expect((await h.get('/api/audit/events?patient=grace')).statusCode).toBe(403);
    expect((await h.get('/api/audit/AuditEvent?patient=grace')).statusCode).toBe(403);
    expect(await h.rejected('patient-mismatch')).toBe(2);
  });

  it('fetches the JWKS once through the smart-configuration and reuses the verification', async () => {
    h = await harness();
    for (let i = 0; i < 3; i++) expect((await h.post([anEvent()])).statusCode).toBe(201);
    expect(h.issuer.hits.discovery).toBe(1);
    expect(h.issuer.hits.jwks).toBe(1);
  });
});

describe('a token the EHR issued to another app, or without Careloop’s scopes', () => {
  it('is refused with 403 untrusted-client when it was issued to another client, even with every scope', async () => {
    h = await harness();
    await expectRejected(await h.post([anEvent({ action: 'dismissed', reason: 'not-indicated' })], await h.issuer.token({ client_id: 'some-other-app', sub: 'user-mallory', scope: 'patient/Observation.rs' })), 403, 'untrusted-client');
    expect((await h.get('/api/audit/events?patient=ada', await h.issuer.token({ client_id: 'some-other-app' }))).statusCode).toBe(403);
    expect(await h.rejected('untrusted-client')).toBe(2);
  });

  it('is refused with 403 untrusted-client when it names no client', async () => {
    h = await harness();
    const noClient = await h.issuer.token({ client_id: '' });
    await expectRejected(await h.post([anEvent()], noClient), 403, 'untrusted-client');
  });

  it('is refused with 403 insufficient-scope when Careloop’s own token lacks openid, fhirUser or a launch context', async () => {
    h = await harness();
    for (const scope of ['patient/Observation.rs', 'openid launch patient/*.rs', 'fhirUser launch patient/*.rs', 'openid fhirUser patient/*.rs']) {
      const res = await h.post([anEvent()], await h.issuer.token({ scope }));
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ error: 'insufficient-scope' });
      expect(String(res.headers['www-authenticate'])).toMatch(/error="insufficient_scope"/);
    }
    expect(await h.rejected('insufficient-scope')).toBe(4);
    expect(await h.store.count()).toBe(0);
    // A standalone launch (launch/patient) is a launch context too.
    expect((await h.post([anEvent()], await h.issuer.token({ scope: 'openid fhirUser launch/patient patient/*.rs' }))).statusCode).toBe(201);
  });

  it('accepts only the client ids configured for that issuer', async () => {
    h = await harness({ issuers: (i) => [{ fhirBase: i.fhirBase, mode: 'jwks', clientIds: ['careloop-prod', 'careloop-test'] }] });
    await expectRejected(await h.post([anEvent()], await h.issuer.token({ client_id: 'careloop' })), 403, 'untrusted-client');
    expect((await h.post([anEvent()], await h.issuer.token({ client_id: 'careloop-test' }))).statusCode).toBe(201);
  });

  it('checks the client of an introspected opaque token too', async () => {
    h = await harness();
    await expectRejected(await h.post([anEvent()], h.issuer.opaqueToken({ client_id: 'some-other-app' })), 403, 'untrusted-client');
  });

  it('reads decisions back only from records whose verified actor is a Careloop client', async () => {
    h = await harness();
    // A dismissal another app managed to store before clients were checked, and Careloop's own snooze.
    const foreign = anEvent({ action: 'dismissed', ruleId: 'cervical-cancer-screening', reason: 'not-indicated' });
    await h.store.append([normalizeAuditEvent(foreign)], { sub: 'user-mallory', fhirUser: null, clientId: 'some-other-app', issuer: h.issuer.fhirBase });
    const own = anEvent({ action: 'snoozed', snoozeUntil: '2027-01-15', reason: 'next-visit' });
    expect((await h.post([own])).statusCode).toBe(201);
    const all = (await h.get('/api/audit/events?patient=ada&action=snoozed,dismissed')).json<AuditTimelinePage>();
    expect(all.records.map((r) => r.id)).toEqual([own.id, foreign.id]);
    const careloop = (await h.get('/api/audit/events?patient=ada&action=snoozed,dismissed&actor=careloop')).json<AuditTimelinePage>();
    expect(careloop.records.map((r) => r.id)).toEqual([own.id]);
    expect((await h.get('/api/audit/events?patient=ada&actor=anyone')).statusCode).toBe(400);
  });
});

describe('an issuer configured for introspection', () => {
  it("authenticates to the introspection endpoint with the audit server's client credentials when configured (HTTP Basic)", async () => {
    h = await harness({
      issuers: (issuer) => [{ fhirBase: issuer.introspectedFhirBase, mode: 'introspection', introspectionClient: { id: 'careloop-audit', secret: 's3cret:with/odd chars' } }],
    });
    expect((await h.post([anEvent()], h.issuer.opaqueToken())).statusCode).toBe(201);
    const sent = h.issuer.lastIntrospectionAuthorization ?? '';
    expect(sent).toMatch(/^Basic /);
    expect(Buffer.from(sent.slice('Basic '.length), 'base64').toString('utf8')).toBe('careloop-audit:s3cret%3Awith%2Fodd+chars');
  });

  it('sends no credentials to the introspection endpoint when none are configured', async () => {
    h = await harness();
    expect((await h.post([anEvent()], h.issuer.opaqueToken())).statusCode).toBe(201);
    expect(h.issuer.lastIntrospectionAuthorization).toBeNull();
  });

  it('accepts an active opaque token and records its actor', async () => {
    h = await harness();
    const token = h.issuer.opaqueToken({ sub: 'user-nightingale', fhirUser: 'Practitioner/nightingale' });
    const res = await h.post([anEvent()], token);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ results: [{ record: { actor: { sub: 'user-nightingale', fhirUser: 'Practitioner/nightingale', issuer: h.issuer.introspectedFhirBase } } }] });
    expect(h.issuer.hits.introspection).toBe(1);
  });

  it('introspects a JWT whose audience is the introspected FHIR base', async () => {
    h = await harness();
    const token = await h.issuer.token({ aud: h.issuer.introspectedFhirBase });
    expect((await h.post([anEvent()], token)).statusCode).toBe(201);
    expect(h.issuer.hits.introspection).toBe(1);
    expect(h.issuer.hits.jwks).toBe(0);
  });

  it('refuses an inactive token with 401', async () => {
    h = await harness();
    await expectRejected(await h.post([anEvent()], h.issuer.opaqueToken({}, { active: false })), 401, 'inactive');
  });

  it('refuses a token the introspection endpoint says has expired', async () => {
    h = await harness();
    await expectRejected(await h.post([anEvent()], h.issuer.opaqueToken({}, { expiresIn: -30 })), 401, 'expired');
  });

  it('refuses an introspected token for another audience', async () => {
    h = await harness();
    await expectRejected(await h.post([anEvent()], h.issuer.opaqueToken({ aud: 'http://127.0.0.1:9/fhir' })), 401, 'wrong-audience');
  });
});

describe('the server around the API', () => {
  it('answers 429 with Retry-After once a user exceeds their rate for a patient', async () => {
    h = await harness({ rateLimit: { perSecond: 0.01, burst: 3 } });
    const statuses: number[] = [];
    let retryAfter: unknown;
    for (let i = 0; i < 4; i++) {
      const res = await h.post([anEvent()]);
      statuses.push(res.statusCode);
      if (res.statusCode === 429) retryAfter = res.headers['retry-after'];
    }
    expect(statuses).toEqual([201, 201, 201, 429]);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(await h.rejected('rate-limited')).toBe(1);
    // The same user on another patient, and another user on the same patient, have their own buckets.
    expect((await h.post([anEvent({ patient: 'grace' })], await h.issuer.token({ patient: 'grace' }))).statusCode).toBe(201);
    expect((await h.post([anEvent()], await h.issuer.token({ sub: 'user-okafor', fhirUser: 'Practitioner/okafor' }))).statusCode).toBe(201);
  });

  it('leaves another user’s writes unaffected while one user floods', async () => {
    h = await harness({ rateLimit: { perSecond: 5, burst: 10 } });
    const flooder = await h.issuer.token({ sub: 'user-mallory', fhirUser: 'Practitioner/mallory', patient: 'grace' });
    const colleague = await h.issuer.token({ sub: 'user-okafor', fhirUser: 'Practitioner/okafor', patient: 'ada' });
    const flood = Promise.all(Array.from({ length: 200 }, () => h?.post([anEvent({ patient: 'grace' })], flooder)));
    const mine: number[] = [];
    for (let i = 0; i < 10; i++) mine.push((await h.post([anEvent()], colleague)).statusCode);
    const flooded = (await flood).map((r) => r?.statusCode);
    expect(flooded.filter((s) => s === 429).length).toBeGreaterThan(150);
    expect(mine).toEqual(Array.from({ length: 10 }, () => 201));
  });

  it('caps a whole client with its own, higher ceiling, counted apart', async () => {
    h = await harness({ rateLimit: { perSecond: 0.01, burst: 3 }, clientRateLimit: { perSecond: 0.01, burst: 5 } });
    const users = await Promise.all(['a', 'b', 'c'].map((u) => h?.issuer.token({ sub: `user-${u}` })));
    const statuses: number[] = [];
    for (const token of users) for (let i = 0; i < 2; i++) statuses.push((await h.post([anEvent()], token)).statusCode);
    expect(statuses).toEqual([201, 201, 201, 201, 201, 429]);
    expect(await h.rejected('client-rate-limited')).toBe(1);
    expect(await h.rejected('rate-limited')).toBe(0);
  });

  it('allows CORS only for configured app origins', async () => {
    h = await harness({ corsOrigins: ['http://127.0.0.1:5173'] });
    const preflight = (origin: string) =>
      h!.app.inject({
        method: 'OPTIONS',
        url: '/api/audit/events',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,prefer' },
      });
    const allowed = await preflight('http://127.0.0.1:5173');
    expect(allowed.headers['access-control-allow-origin']).toBe('http://127.0.0.1:5173');
    expect(String(allowed.headers['access-control-allow-headers'])).toMatch(/authorization.*content-type.*prefer/);
    expect((await preflight('http://evil.example')).headers['access-control-allow-origin']).toBeUndefined();
  });

  it('logs event ids but never the token or the event body', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    h = await harness({ logger: { level: 'info', stream } });
    const event = anEvent({ ruleId: 'breast-cancer-screening' });
    await h.post([event]);
    await h.post([event], await h.issuer.token({}, { forged: true }));
    const log = lines.join('');
    expect(log).toContain(event.id);
    expect(log).not.toContain(h.token);
    expect(log).not.toContain('breast-cancer-screening');
    expect(log).not.toMatch(/Bearer/i);
  });

  it('writes no credential to the log when a token, code or id_token comes in the URL, a header or a 404', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    h = await harness({ logger: { level: 'trace', stream } });
    const token = await h.issuer.token();
    const code = 'SplxlOBeZQQYbYS6WxSbIA-authorization-code';
    const idToken = 'eyJhbGciOiJSUzI1NiJ9.id-token-payload.id-token-signature';
    const cookie = 'session=cookie-secret-value';
    const urls = [
      `/api/audit/events?patient=ada&access_token=${token}`,
      `/api/audit/events?ACCESS_TOKEN=${token}&patient=ada`,
      `/api/audit/events?patient=ada&code=${code}&id_token=${idToken}`,
      `/api/audit/verify?access_token=${encodeURIComponent(token)}`,
      `/no/such/route?access_token=${token}&code=${code}`,
      `/api/health?id_token=${idToken}`,
    ];
    for (const url of urls) await h.app.inject({ method: 'GET', url, headers: { cookie } });
    await h.app.inject({ method: 'GET', url: '/api/audit/events?patient=ada', headers: { authorization: `Bearer ${token}`, cookie } });
    await h.app.inject({ method: 'POST', url: `/api/audit/events?access_token=${token}`, headers: { authorization: `Bearer ${token}` }, payload: { events: [anEvent()] } });
    const log = lines.join('');
    expect(lines.length).toBeGreaterThan(10);
    for (const secret of [token, token.split('.')[2] ?? token, code, idToken, 'cookie-secret-value']) expect(log).not.toContain(secret);
    expect(log).not.toMatch(/Bearer/i);
    // The lines are still useful: the path and the other parameters stay.
    expect(log).toContain('/api/audit/events?patient=ada&access_token=[redacted]');
    expect(log).toContain('/no/such/route?access_token=[redacted]&code=[redacted]');
  });
});

describe('redactUrl', () => {
  it.each([
    ['/a?access_token=x&patient=ada', '/a?access_token=[redacted]&patient=ada'],
    ['/a?patient=ada', '/a?patient=ada'],
    ['/a', '/a'],
    ['/a?Code=x;id_token=y', '/a?Code=[redacted];id_token=[redacted]'],
    ['/a?access%5Ftoken=x', '/a?access%5Ftoken=[redacted]'],
    ['/a?%E0%A4%A=x&code=y#frag', '/a?%E0%A4%A=[redacted]&code=[redacted]'],
    ['/a?refresh_token=x&client_secret=y&token=z&authorization=w', '/a?refresh_token=[redacted]&client_secret=[redacted]&token=[redacted]&authorization=[redacted]'],
  ])('writes %s as %s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });
});
