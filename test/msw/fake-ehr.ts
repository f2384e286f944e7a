import { http, HttpResponse, type HttpHandler } from 'msw';

/**
 * A fake SMART EHR for msw: discovery, token endpoint (authorization code + PKCE S256 check,
 * refresh), and a FHIR API over an in-memory list of resources. Enough of the protocol to test
 * the app's side of it; the real authorization server lives in src/sandbox.
 */
export const ISS = 'https://ehr.example.org/fhir';
export const APP_ORIGIN = 'http://localhost:3000';

export interface Grant {
  patient?: string;
  encounter?: string;
  fhirUser?: string;
  needPatientBanner?: boolean;
  smartStyleUrl?: string;
  expiresIn?: number;
  refresh?: boolean;
  scope?: string;
}

interface PendingCode {
  challenge: string;
  redirectUri: string;
  clientId: string;
  grant: Grant;
  scope: string;
}

function b64url(bytes: ArrayBuffer): string {
  return Buffer.from(bytes).toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function idToken(fhirUser: string): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ iss: 'https://ehr.example.org', sub: 'u1', aud: 'careloop', fhirUser, exp: 4102444800 })}.sig`;
}

export class FakeEhr {
  constructor(readonly iss: string = ISS) {
    this.smartConfiguration = {
      issuer: `${new URL(this.iss).origin}/auth`,
      authorization_endpoint: `${new URL(this.iss).origin}/auth/authorize`,
      token_endpoint: this.tokenUrl,
      capabilities: ['launch-ehr', 'launch-standalone', 'client-public', 'context-ehr-patient', 'permission-v2', 'permission-v1', 'sso-openid-connect'],
      scopes_supported: ['openid', 'fhirUser', 'launch', 'launch/patient', 'patient/*.rs', 'patient/Task.cu'],
      code_challenge_methods_supported: ['S256'],
    };
  }
  get tokenUrl(): string {
    return `${new URL(this.iss).origin}/auth/token`;
  }
  readonly codes = new Map<string, PendingCode>();
  readonly tokenRequests: URLSearchParams[] = [];
  readonly fhirRequests: { method: string; url: string; authorization: string | null }[] = [];
  resources: { resourceType: string; id: string; [k: string]: unknown }[] = [];
  smartConfiguration: Record<string, unknown>;
  private counter = 0;
  private accessTokens = new Set<string>();

  /** Plays the authorization server's part: reads the app's authorize URL, returns the redirect with a code. */
  approve(authorizeUrl: string, grant: Grant): string {
    const url = new URL(authorizeUrl);
    const code = `code-${++this.counter}`;
    this.codes.set(code, {
      challenge: url.searchParams.get('code_challenge') ?? '',
      redirectUri: url.searchParams.get('redirect_uri') ?? '',
      clientId: url.searchParams.get('client_id') ?? '',
      grant,
      scope: grant.scope ?? url.searchParams.get('scope') ?? '',
    });
    const back = new URL(url.searchParams.get('redirect_uri') ?? '');
    back.searchParams.set('code', code);
    back.searchParams.set('state', url.searchParams.get('state') ?? '');
    return back.pathname + back.search;
  }

  private issue(grant: Grant, scope: string) {
    const accessToken = `at-${++this.counter}`;
    this.accessTokens.add(accessToken);
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: grant.expiresIn ?? 3600,
      scope,
      ...(grant.patient ? { patient: grant.patient } : {}),
      ...(grant.encounter ? { encounter: grant.encounter } : {}),
      ...(grant.needPatientBanner !== undefined ? { need_patient_banner: grant.needPatientBanner } : {}),
      ...(grant.smartStyleUrl ? { smart_style_url: grant.smartStyleUrl } : {}),
      ...(grant.fhirUser ? { id_token: idToken(grant.fhirUser) } : {}),
      ...(grant.refresh ? { refresh_token: `rt-${this.counter}` } : {}),
    };
  }

  private refreshGrants = new Map<string, { grant: Grant; scope: string }>();

  handlers(): HttpHandler[] {
    return [
      http.get(`${this.iss}/.well-known/smart-configuration`, () => HttpResponse.json(this.smartConfiguration)),
      http.post(this.tokenUrl, async ({ request }) => {
        const form = new URLSearchParams(await request.text());
        this.tokenRequests.push(form);
        if (form.get('grant_type') === 'refresh_token') {
          const held = this.refreshGrants.get(form.get('refresh_token') ?? '');
          if (!held) return HttpResponse.json({ error: 'invalid_grant' }, { status: 400 });
          const body = this.issue({ ...held.grant, expiresIn: 3600 }, held.scope);
          if (body.refresh_token) this.refreshGrants.set(body.refresh_token, held);
          return HttpResponse.json(body);
        }
        const pending = this.codes.get(form.get('code') ?? '');
        if (!pending) return HttpResponse.json({ error: 'invalid_grant', error_description: 'unknown code' }, { status: 400 });
        this.codes.delete(form.get('code') ?? '');
        const verifier = form.get('code_verifier') ?? '';
        const digest = b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
        if (digest !== pending.challenge || form.get('redirect_uri') !== pending.redirectUri || form.get('client_id') !== pending.clientId) {
          return HttpResponse.json({ error: 'invalid_grant', error_description: 'PKCE or redirect_uri mismatch' }, { status: 400 });
        }
        const body = this.issue(pending.grant, pending.scope);
        if (body.refresh_token) this.refreshGrants.set(body.refresh_token, { grant: pending.grant, scope: pending.scope });
        return HttpResponse.json(body);
      }),
      http.get(`${this.iss}/:type/:id`, ({ request, params }) => {
        this.fhirRequests.push({ method: 'GET', url: request.url, authorization: request.headers.get('authorization') });
        const denied = this.checkToken(request);
        if (denied) return denied;
        const found = this.resources.find((r) => r.resourceType === params.type && r.id === params.id);
        return found
          ? HttpResponse.json(found)
          : HttpResponse.json({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found' }] }, { status: 404 });
      }),
      http.get(`${this.iss}/:type`, ({ request, params }) => {
        this.fhirRequests.push({ method: 'GET', url: request.url, authorization: request.headers.get('authorization') });
        const denied = this.checkToken(request);
        if (denied) return denied;
        const url = new URL(request.url);
        const patient = url.searchParams.get('patient');
        const statuses = (url.searchParams.get('status') ?? '').split(',').filter(Boolean);
        const count = Number(url.searchParams.get('_count') ?? '100');
        const offset = Number(url.searchParams.get('_offset') ?? '0');
        const subjectOf = (r: { [k: string]: unknown }) => ((r.for ?? r.subject ?? r.patient) as { reference?: string } | undefined)?.reference;
        const all = this.resources.filter(
          (r) => r.resourceType === params.type && subjectOf(r) === patient && (!statuses.length || statuses.includes(String(r.status))),
        );
        const page = all.slice(offset, offset + count);
        const link = [{ relation: 'self', url: request.url }];
        if (offset + count < all.length) {
          const next = new URL(url);
          next.searchParams.set('_offset', String(offset + count));
          link.push({ relation: 'next', url: next.href });
        }
        return HttpResponse.json({ resourceType: 'Bundle', type: 'searchset', total: all.length, link, entry: page.map((resource) => ({ resource })) });
      }),
    ];
  }

  private checkToken(request: Request): Response | null {
    const auth = request.headers.get('authorization') ?? '';
    const token = auth.replace(/^Bearer /, '');
    if (!this.accessTokens.has(token)) {
      return HttpResponse.json({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'login' }] }, { status: 401 });
    }
    return null;
  }
}
