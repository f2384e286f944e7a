import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bundle, AuditEvent } from '@medplum/fhirtypes';
import { GENESIS_HASH, type AuditBatchResponse, type AuditTimelinePage } from '../../src/shared/audit-event.ts';
import type { ChainVerification } from '../../src/server/store/types.ts';
import { aLogic, anEvent } from './support/events.ts';
import { harness, type Harness } from './support/harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.close();
});

describe('POST /api/audit/events', () => {
  it('stores a batch with 201, chaining each record to the one before and naming the verified actor', async () => {
    const events = [anEvent(), anEvent({ action: 'why-opened' }), anEvent({ action: 'confirmed' })];
    const res = await h.post(events);
    expect(res.statusCode).toBe(201);
    const body = res.json<AuditBatchResponse>();
    expect(body.results.map((r) => r.status)).toEqual(['created', 'created', 'created']);
    const [a, b, c] = body.results.map((r) => r.record);
    expect(a?.seq).toBe(1);
    expect(a?.prevHash).toBe(GENESIS_HASH);
    expect(b?.prevHash).toBe(a?.hash);
    expect(c?.prevHash).toBe(b?.hash);
    expect(a?.actor).toEqual({ sub: 'user-blackwell', fhirUser: 'Practitioner/blackwell', clientId: 'careloop', issuer: h.issuer.fhirBase });
    expect(a?.serverTime).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(await h.store.count()).toBe(3);
  });

  it('returns the stored record with 200 and stores nothing new when the same event is replayed', async () => {
    const event = anEvent();
    const first = (await h.post([event])).json<AuditBatchResponse>();
    const replay = await h.post([event]);
    expect(replay.statusCode).toBe(200);
    const body = replay.json<AuditBatchResponse>();
    expect(body.results[0]?.status).toBe('duplicate');
    expect(body.results[0]?.record).toEqual(first.results[0]?.record);
    expect(await h.store.count()).toBe(1);
  });

  it('answers with receipts only (id, status, seq, hash) when asked with Prefer: return=minimal', async () => {
    const event = anEvent();
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/audit/events',
      headers: { authorization: `Bearer ${h.token}`, prefer: 'return=minimal' },
      payload: { events: [event] },
    });
    expect(res.statusCode).toBe(201);
    expect(res.headers['preference-applied']).toBe('return=minimal');
    const stored = (await h.get('/api/audit/events?patient=ada')).json<AuditTimelinePage>().records[0];
    expect(res.json()).toEqual({ results: [{ id: event.id, status: 'created', seq: 1, hash: stored?.hash }] });
  });

  it('treats null and absent optional fields as the same body on replay', async () => {
    const event = anEvent({ outcome: null });
    await h.post([event]);
    const { outcome: _o, ...withoutOutcome } = event;
    expect((await h.post([withoutOutcome])).statusCode).toBe(200);
  });

  it('refuses the same id with a different body with 409 and stores nothing of that batch', async () => {
    const event = anEvent();
    await h.post([event]);
    const fresh = anEvent();
    const res = await h.post([fresh, { ...event, action: 'dismissed' }]);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ error: 'conflict', conflictingIds: [event.id] });
    expect(await h.store.count()).toBe(1);
    expect(await h.rejected('conflict')).toBe(1);
  });

  it('stores exactly one record when the same event is replayed 50 times concurrently', async () => {
    const event = anEvent();
    const responses = await Promise.all(Array.from({ length: 50 }, () => h.post([event])));
    expect(responses.filter((r) => r.statusCode === 201)).toHaveLength(1);
    expect(responses.filter((r) => r.statusCode === 200)).toHaveLength(49);
    expect(await h.store.count()).toBe(1);
    expect((await h.verify()).json<ChainVerification>()).toMatchObject({ ok: true, records: 1 });
  });

  it('answers 400 naming the field when an event does not match the schema', async () => {
    const res = await h.post([{ ...anEvent(), action: 'deleted-history', patient: 'not a fhir id!' }]);
    expect(res.statusCode).toBe(400);
    const body = res.json<{ error: string; issues: Array<{ path: string }> }>();
    expect(body.error).toBe('invalid-request');
    expect(body.issues.map((i) => i.path).sort()).toEqual(['events.0.action', 'events.0.patient']);
    expect(await h.store.count()).toBe(0);
  });

  it('stores and returns the logic that decided (library, version, ELM digest, source), on the record and in the timeline', async () => {
    const confirmed = anEvent({ action: 'confirmed', logic: aLogic() });
    const official = anEvent({ action: 'dismissed', reason: 'not-applicable', logic: aLogic({ library: 'CervicalCancerScreeningFHIR', version: '0.3.000', source: 'measure-package' }) });
    const res = await h.post([confirmed, official, anEvent({ action: 'launch' })]);
    expect(res.statusCode).toBe(201);
    expect(res.json<AuditBatchResponse>().results.map((r) => r.record.logic)).toEqual([aLogic(), official.logic, null]);
    const page = (await h.get('/api/audit/events?patient=ada')).json<AuditTimelinePage>();
    expect(page.records.map((r) => r.logic)).toEqual([null, official.logic, aLogic()]);
    // A replay with the same logic is a duplicate; another library under the same id is a conflict.
    expect((await h.post([confirmed])).statusCode).toBe(200);
    expect((await h.post([{ ...confirmed, logic: aLogic({ elmDigest: 'd'.repeat(64) }) }])).statusCode).toBe(409);
    expect((await h.verify()).json()).toMatchObject({ ok: true, records: 3 });
  });

  it.each([
    ['library', { library: 'Careloop Statin; DROP' }],
    ['library', { library: '9Lives' }],
    ['version', { version: 'latest and greatest' }],
    ['version', { version: '1.0.0\n' }],
    ['elmDigest', { elmDigest: 'C'.repeat(64) }],
    ['elmDigest', { elmDigest: 'c'.repeat(63) }],
    ['source', { source: 'someone-else' }],
  ])('answers 400 naming events.0.logic.%s for a bad value, and stores nothing', async (field, change) => {
    const res = await h.post([{ ...anEvent({ action: 'confirmed' }), logic: { ...aLogic(), ...change } }]);
    expect(res.statusCode).toBe(400);
    expect(res.json<{ issues: Array<{ path: string }> }>().issues.map((i) => i.path)).toEqual([`events.0.logic.${field}`]);
    expect(await h.store.count()).toBe(0);
  });

  it('answers 400 for a logic object with a field it does not know, or without its digest', async () => {
    expect((await h.post([{ ...anEvent(), logic: { ...aLogic(), note: 'free text' } }])).statusCode).toBe(400);
    const { elmDigest: _d, ...noDigest } = aLogic();
    const res = await h.post([{ ...anEvent(), logic: noDigest }]);
    expect(res.json<{ issues: Array<{ path: string }> }>().issues.map((i) => i.path)).toEqual(['events.0.logic.elmDigest']);
  });

  describe('every string field is a code with a grammar', () => {
    const html = '<img src=x onerror=alert(1)>';
    it.each([
      ['appVersion', { appVersion: 'Ada Lovelace' }],
      ['appVersion', { appVersion: '1.0' }],
      ['appVersion', { appVersion: '1.0.0\nrm -rf' }],
      ['ruleId', { ruleId: 'Ada_Lovelace' }],
      ['ruleId', { ruleId: 'measure:Ada Lovelace' }],
      ['ruleVersion', { ruleVersion: 'v1 by Dr. Blackwell' }],
      ['reason', { reason: 'Ada_Lovelace_refuses_HIV_test' }],
      ['reason', { reason: 'patient declined' }],
      ['reason', { reason: 'done--elsewhere' }],
      ['reason', { reason: 'write-refused::x' }],
      ['reason', { reason: 'x'.repeat(65) }],
      ['evidence.0.version', { evidence: [{ reference: 'Procedure/ada-colonoscopy', version: 'Ada Lovelace' }] }],
      ['evidence.0.version', { evidence: [{ reference: 'Procedure/ada-colonoscopy', version: 'a\u0000b' }] }],
      ['evidence.0.version', { evidence: [{ reference: 'Procedure/ada-colonoscopy', version: html }] }],
      ['outcome.version', { action: 'written' as const, outcome: { reference: 'Task/t1', version: 'second try, see note' } }],
      ['outcome.error', { action: 'write-failed' as const, outcome: { error: 'Not saved: the EHR refused the order' } }],
    ])('answers 400 naming events.0.%s for free text, and stores nothing', async (field, change) => {
      const res = await h.post([{ ...anEvent(), ...change }]);
      expect(res.statusCode).toBe(400);
      expect(res.json<{ issues: Array<{ path: string }> }>().issues.map((i) => i.path)).toEqual([`events.0.${field}`]);
      expect(await h.store.count()).toBe(0);
    });

    it('accepts the codes Careloop sends: semantic versions, versionIds, kebab-case codes', async () => {
      const res = await h.post([
        anEvent({ appVersion: '0.0.0-dev', ruleVersion: '13.0.000', evidence: [{ reference: 'Observation/ada-bp', version: 'W-3.1' }] }),
        anEvent({ appVersion: '1.4.0+build.7', action: 'dismissed', reason: 'done-elsewhere' }),
        anEvent({ ruleId: 'measure:CMS125FHIRBreastCancerScreening', ruleVersion: '0.3.000' }),
        anEvent({ action: 'write-failed', outcome: { status: 412, error: 'outreach-task-changed' } }),
        anEvent({ action: 'launch-error', reason: 'write-refused:fhir-user-not-clinician', ruleId: null }),
      ]);
      expect(res.statusCode).toBe(201);
    });

    it('answers 400 for a body that is not valid UTF-8 instead of storing U+FFFD', async () => {
      const json = Buffer.from(JSON.stringify({ events: [anEvent({ reason: 'other' })] }));
      const at = json.indexOf('other');
      const bad = Buffer.concat([json.subarray(0, at), Buffer.from([0xff, 0xfe]), json.subarray(at)]);
      const res = await h.app.inject({
        method: 'POST',
        url: '/api/audit/events',
        headers: { authorization: `Bearer ${h.token}`, 'content-type': 'application/json' },
        payload: bad,
      });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: 'invalid-request', message: expect.stringMatching(/UTF-8/) });
      expect(await h.store.count()).toBe(0);
      expect(await h.rejected('invalid-request')).toBe(1);
      // An overlong encoding of '/' is invalid UTF-8 too.
      const overlong = Buffer.concat([json.subarray(0, at), Buffer.from([0xc0, 0xaf]), json.subarray(at)]);
      expect((await h.app.inject({ method: 'POST', url: '/api/audit/events', headers: { authorization: `Bearer ${h.token}`, 'content-type': 'application/json' }, payload: overlong })).statusCode).toBe(400);
    });
  });

  it('answers 400 for a field the schema does not know (free text is not accepted)', async () => {
    const res = await h.post([{ ...anEvent(), note: 'patient said she is afraid of the procedure' }]);
    expect(res.statusCode).toBe(400);
  });

  it('answers 400 for an empty batch, a batch of 101 and a body that is not JSON', async () => {
    expect((await h.post([])).statusCode).toBe(400);
    expect((await h.post(Array.from({ length: 101 }, () => anEvent()))).statusCode).toBe(400);
    const notJson = await h.app.inject({
      method: 'POST',
      url: '/api/audit/events',
      headers: { authorization: `Bearer ${h.token}`, 'content-type': 'application/json' },
      payload: '{"events": [',
    });
    expect(notJson.statusCode).toBe(400);
  });

  it('refuses a body over the size limit with 413', async () => {
    const small = await harness({ bodyLimitBytes: 2048 });
    try {
      const events = Array.from({ length: 20 }, () => anEvent());
      const res = await small.post(events);
      expect(res.statusCode).toBe(413);
      expect(await small.rejected('body-too-large')).toBe(1);
    } finally {
      await small.close();
    }
  });

  it('offers no route to update or delete a record', async () => {
    const event = anEvent();
    await h.post([event]);
    for (const method of ['PUT', 'PATCH', 'DELETE'] as const) {
      const res = await h.app.inject({ method, url: `/api/audit/events/${event.id}`, headers: { authorization: `Bearer ${h.token}` }, payload: {} });
      expect(res.statusCode).toBe(404);
    }
    expect(await h.store.count()).toBe(1);
  });
});

describe('GET /api/audit/events', () => {
  it('pages the timeline newest first and follows the cursor to the end', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const e = anEvent();
      ids.push(e.id);
      await h.post([e]);
    }
    await h.post([anEvent({ patient: 'grace' })], await h.issuer.token({ patient: 'grace' }));

    const seen: string[] = [];
    let url: string | null = '/api/audit/events?patient=ada&limit=2';
    let pages = 0;
    while (url) {
      const res = await h.get(url);
      expect(res.statusCode).toBe(200);
      const page: AuditTimelinePage = res.json<AuditTimelinePage>();
      seen.push(...page.records.map((r) => r.id));
      pages += 1;
      url = page.nextCursor ? `/api/audit/events?patient=ada&limit=2&cursor=${page.nextCursor}` : null;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
  });

  it('filters by action, so snoozes and dismissals can be read back at launch', async () => {
    await h.post([anEvent(), anEvent({ action: 'snoozed', snoozeUntil: '2027-01-15', reason: 'patient-request' }), anEvent({ action: 'dismissed', reason: 'done-elsewhere' })]);
    const page = (await h.get('/api/audit/events?patient=ada&action=snoozed,dismissed')).json<AuditTimelinePage>();
    expect(page.records.map((r) => r.action)).toEqual(['dismissed', 'snoozed']);
    expect(page.records[1]?.snoozeUntil).toBe('2027-01-15');
  });

  it('filters by server time with from (inclusive) and to (exclusive)', async () => {
    await h.post([anEvent()]);
    const future = new Date(Date.now() + 60_000).toISOString();
    const past = new Date(Date.now() - 60_000).toISOString();
    expect((await h.get(`/api/audit/events?patient=ada&from=${future}`)).json<AuditTimelinePage>().records).toHaveLength(0);
    expect((await h.get(`/api/audit/events?patient=ada&from=${past}&to=${future}`)).json<AuditTimelinePage>().records).toHaveLength(1);
  });

  it('answers 400 for a bad cursor or date', async () => {
    expect((await h.get('/api/audit/events?patient=ada&cursor=abc')).statusCode).toBe(400);
    expect((await h.get('/api/audit/events?patient=ada&from=yesterday')).statusCode).toBe(400);
    expect((await h.get('/api/audit/events')).statusCode).toBe(400);
  });
});

describe('GET /api/audit/AuditEvent', () => {
  it('returns the records as a FHIR R4 searchset Bundle of AuditEvent', async () => {
    const written = anEvent({
      action: 'written',
      outcome: { reference: 'Task/t1', version: '2', status: 201 },
    });
    await h.post([written]);
    const res = await h.get('/api/audit/AuditEvent?patient=ada');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/application\/fhir\+json/);
    const bundle = res.json<Bundle<AuditEvent>>();
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'searchset' });
    const ae = bundle.entry?.[0]?.resource;
    expect(ae).toMatchObject({
      resourceType: 'AuditEvent',
      id: written.id,
      type: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110100' },
      subtype: [{ code: 'written' }],
      action: 'C',
      outcome: '0',
      purposeOfEvent: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'TREAT' }] }],
      agent: [{ who: { reference: 'Practitioner/blackwell' }, requestor: true }, { who: { identifier: { value: 'careloop' } }, requestor: false }],
      source: { observer: { display: 'Careloop audit backend' } },
    });
    const refs = ae?.entity?.map((e) => e.what?.reference ?? e.what?.identifier?.value);
    expect(refs).toEqual(expect.arrayContaining(['Patient/ada', 'Encounter/ada-visit', 'colorectal-cancer-screening', 'Procedure/ada-colonoscopy/_history/1', 'Task/t1/_history/2']));
    const ruleDetails = ae?.entity?.find((e) => e.what?.identifier?.value === 'colorectal-cancer-screening')?.detail?.map((d) => d.valueString);
    expect(ruleDetails).toEqual(['2021.1.0', 'a'.repeat(64), 'b'.repeat(64)]);
  });

  it('names the library that decided, with its version, ELM digest and source', async () => {
    await h.post([anEvent({ action: 'confirmed', logic: aLogic() }), anEvent({ action: 'launch' })]);
    const bundle = (await h.get('/api/audit/AuditEvent?patient=ada')).json<Bundle<AuditEvent>>();
    const [launch, confirmed] = (bundle.entry ?? []).map((e) => e.resource);
    const logic = confirmed?.entity?.find((e) => e.description === 'logic');
    expect(logic?.what).toEqual({ type: 'Library', identifier: { system: 'https://careloop.example/fhir/cql-library', value: 'CareloopColorectalCancerScreening' } });
    expect(logic?.detail?.map((d) => [d.type.split('/').pop(), d.valueString])).toEqual([
      ['library-version', '1.0.0'],
      ['elm-digest', 'c'.repeat(64)],
      ['logic-source', 'careloop'],
    ]);
    expect(launch?.entity?.some((e) => e.description === 'logic')).toBe(false);
  });
});

describe('GET /api/audit/verify, /api/health, /api/metrics', () => {
  it('reports an intact chain with its length and head', async () => {
    const res = (await h.post([anEvent(), anEvent()])).json<AuditBatchResponse>();
    expect((await h.verify()).json()).toEqual({ ok: true, records: 2, headHash: res.results[1]?.record.hash });
  });

  it('reports health without a token', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/api/health' });
    expect(res.json()).toEqual({ status: 'ok', store: 'sqlite' });
  });

  it('counts accepted events, duplicates, latency and store write time in Prometheus text', async () => {
    const e = anEvent();
    await h.post([e, anEvent()]);
    await h.post([e]);
    const text = (await h.app.inject({ method: 'GET', url: '/api/metrics' })).body;
    expect(text).toContain('careloop_audit_events_accepted_total 2');
    expect(text).toContain('careloop_audit_events_duplicate_total 1');
    expect(text).toMatch(/careloop_audit_request_duration_seconds_count\{method="POST",route="\/api\/audit\/events",status="201"\} 1/);
    expect(text).toMatch(/careloop_audit_store_write_seconds_count [1-9]/);
  });

  it('gives each replayed id the same record whatever the case of its UUID', async () => {
    const id = randomUUID();
    await h.post([anEvent({ id })]);
    const res = await h.post([anEvent({ id: id.toUpperCase() })]);
    // Same id, different body (new correlation id and clock): a conflict, not a second record.
    expect(res.statusCode).toBe(409);
    expect(await h.store.count()).toBe(1);
  });
});
