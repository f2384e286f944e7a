import { http, HttpResponse, type JsonBodyType } from 'msw';
import { setupServer } from 'msw/node';
import { APP_ORIGIN } from './fake-ehr.ts';

/** The deployment config the app loads, as an admin would write it. */
export const validConfig = {
  clientId: 'careloop',
  scopes: ['openid', 'fhirUser', 'patient/Patient.r', 'patient/Encounter.r', 'patient/Task.rs', 'patient/Task.cu'],
  redirectUri: 'index.html',
  auditApiBaseUrl: null,
  rulePack: 'careloop-preventive',
  fhir: { pageSize: 2, maxPages: 2, timeoutMs: 5000 },
};

export const configHandler = (body: JsonBodyType = validConfig) => http.get(`${APP_ORIGIN}/careloop.config.json`, () => HttpResponse.json(body));

/** One msw server for the dom tests; each test adds the handlers it needs with server.use(). */
export const server = setupServer(configHandler());

/** Empty search results for the record types the rules read (a patient with no clinical data). */
export const emptyRecord = (base: string) =>
  http.get(`${base}/:type`, ({ params }) =>
    params.type === 'Task' ? undefined : HttpResponse.json({ resourceType: 'Bundle', type: 'searchset', total: 0, entry: [] }),
  );
