import { describe, expect, it } from 'vitest';
import { http, HttpResponse } from 'msw';
import { loadConfig, parseConfig } from '../../src/app/config';
import { server, validConfig } from '../msw/server';

const URL_ = 'http://localhost:3000/careloop.config.json';

describe('runtime configuration', () => {
  it('accepts the shipped example and fills defaults', () => {
    const result = parseConfig({ clientId: 'careloop', scopes: ['patient/Patient.r'] }, URL_);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.redirectUri).toBe('index.html');
    expect(result.config.auditApiBaseUrl).toBeNull();
    expect(result.config.fhir).toEqual({ pageSize: 100, maxPages: 5, recordPageSize: 500, recordMaxPages: 20, timeoutMs: 15_000 });
  });

  it('loads the file served next to the page', async () => {
    const result = await loadConfig('http://localhost:3000/launch.html?iss=x');
    expect(result).toMatchObject({ ok: true, config: { clientId: 'careloop' } });
  });

  it('reports a missing file with its URL', async () => {
    server.use(http.get(URL_, () => new HttpResponse('nope', { status: 404 })));
    expect(await loadConfig('http://localhost:3000/index.html')).toEqual({ ok: false, problem: { kind: 'config-missing', url: URL_, detail: 'HTTP 404' } });
  });

  it('reports a file that is not JSON', async () => {
    server.use(http.get(URL_, () => new HttpResponse('{ clientId: careloop', { headers: { 'content-type': 'application/json' } })));
    expect(await loadConfig('http://localhost:3000/index.html')).toMatchObject({ ok: false, problem: { kind: 'config-invalid', fields: ['(file): is not valid JSON'] } });
  });

  it.each([
    ['clientId', { clientId: '' }, 'clientId: must not be empty'],
    ['clientId type', { clientId: 42 }, 'clientId: '],
    ['scopes empty', { scopes: [] }, 'scopes: must list at least one scope'],
    ['a malformed scope', { scopes: ['patient/Task.rs', 'read everything'] }, 'scopes.1: is not a SMART scope'],
    ['redirectUri', { redirectUri: '' }, 'redirectUri: '],
    ['standaloneIss', { standaloneIss: 'not a url' }, 'standaloneIss: '],
    ['auditApiBaseUrl', { auditApiBaseUrl: 'ftp:/x y' }, 'auditApiBaseUrl: '],
    ['rulePack', { rulePack: 'unknown-pack' }, 'rulePack: '],
    ['identifierSystem', { identifierSystem: 'no' }, 'identifierSystem: '],
    ['fhir.pageSize', { fhir: { pageSize: 0, maxPages: 5, timeoutMs: 15000 } }, 'fhir.pageSize: '],
    ['fhir.maxPages', { fhir: { pageSize: 10, maxPages: 1000, timeoutMs: 15000 } }, 'fhir.maxPages: '],
    ['fhir.timeoutMs', { fhir: { pageSize: 10, maxPages: 5, timeoutMs: 10 } }, 'fhir.timeoutMs: '],
    ['an unknown key', { clientID: 'typo' }, '(top level): '],
  ])('names the field for an invalid %s', (_name, patch, expected) => {
    const result = parseConfig({ ...validConfig, ...patch }, URL_);
    expect(result.ok).toBe(false);
    if (result.ok || result.problem.kind !== 'config-invalid') return;
    expect(result.problem.fields.join('\n')).toContain(expected);
  });

  it.each([
    ['no permissions after the dot', 'patient/Task.', 'scopes.1: is not a SMART scope (e.g. "patient/Task.rs", "launch", "openid"): names no permissions after "."'],
    ['permissions out of cruds order', 'patient/Task.sr', 'scopes.1: is not a SMART scope (e.g. "patient/Task.rs", "launch", "openid"): "sr" is out of order: write "rs"'],
    ['a launch context Careloop does not know', 'launch/location', 'scopes.1: is not a SMART scope (e.g. "patient/Task.rs", "launch", "openid"): "launch/location" is not a launch context'],
  ])('refuses a scope with %s, saying what is wrong', (_name, bad, expected) => {
    const result = parseConfig({ ...validConfig, scopes: ['patient/Task.rs', bad] }, URL_);
    expect(result.ok === false && result.problem.kind === 'config-invalid' && result.problem.fields.join('\n')).toContain(expected);
  });

  it('accepts every form of SMART scope: v2 with a query, v1, and the named ones', () => {
    const scopes = [
      'launch', 'launch/patient', 'launch/encounter', 'openid', 'fhirUser', 'profile', 'online_access', 'offline_access',
      'patient/Task.cu', 'patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory', 'user/*.rs', 'patient/Task.read', 'patient/*.*',
    ];
    expect(parseConfig({ ...validConfig, scopes }, URL_)).toMatchObject({ ok: true, config: { scopes } });
  });

  it('names a missing required field', () => {
    const { clientId: _omitted, ...rest } = validConfig;
    const result = parseConfig(rest, URL_);
    expect(result.ok === false && result.problem.kind === 'config-invalid' && result.problem.fields[0]).toMatch(/^clientId: /);
  });

  it('the config shipped in public/ is valid', async () => {
    const { readFile } = await import('node:fs/promises');
    const raw: unknown = JSON.parse(await readFile('public/careloop.config.json', 'utf8'));
    expect(parseConfig(raw, URL_).ok).toBe(true);
  });
});
