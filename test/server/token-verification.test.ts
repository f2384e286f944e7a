import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
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

describe('an issuer configured for introspection', () => {
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
  it('answers 429 with Retry-After once a client exceeds its rate', async () => {
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
    // Another client of the same issuer has its own bucket.
    expect((await h.post([anEvent()], await h.issuer.token({ client_id: 'other-app' }))).statusCode).toBe(201);
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
});
