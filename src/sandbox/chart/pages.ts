/**
 * The EHR's own pages: a patient list, and a patient chart with the app in a sidebar iframe
 * (EHR launch) and a panel of what the app wrote back.
 */
import type { Condition, Observation, Patient, Resource } from '@medplum/fhirtypes';
import type { FastifyInstance } from 'fastify';
import { ageOn } from '../../shared/age.ts';
import { CAST_MEMBERS, CAST_PRACTITIONER } from '../../shared/cast/index.ts';
import type { EhrState, MintLaunchOptions } from '../state.ts';
import { EHR_USER } from '../state.ts';
import { esc, page } from '../html.ts';
import { summarize } from '../fhir-api/routes.ts';
import { SIMULATED_RESULTS, simulateResult } from '../subscriptions/simulate.ts';

function nameOf(p: Patient): string {
  const n = p.name?.[0];
  return [...(n?.given ?? []), n?.family ?? ''].join(' ').trim() || (p.id ?? '');
}

/** Age in whole years on the sandbox's day, or "?" without a full birthDate. */
function ageText(birthDate: string | undefined, now: Date): string {
  const age = birthDate ? ageOn(birthDate, now.toISOString()) : null;
  return age === null ? '?' : String(age);
}

function header(ctx: EhrState): string {
  return `<header class="ehr"><strong><a href="/" style="color:#fff;text-decoration:none">Sandbox EHR</a></strong>
<span>Signed in as ${esc(CAST_PRACTITIONER.display)}</span><span class="muted" style="color:#cfe0f5">FHIR ${esc(ctx.fhirBase)}</span></header>`;
}

/** Launch URL of a client for a freshly minted launch bound to patient + encounter + user. */
export function launchUrlFor(ctx: EhrState, clientId: string, patient: string, encounter?: string, options: Omit<MintLaunchOptions, 'patient' | 'encounter' | 'clientId'> = {}): string | null {
  const client = ctx.clients.get(clientId);
  if (!client) return null;
  const launch = ctx.mintLaunch({ user: EHR_USER, ...options, patient, ...(encounter ? { encounter } : {}), clientId });
  const url = new URL(client.launchUrl);
  url.searchParams.set('iss', ctx.fhirBase);
  url.searchParams.set('launch', launch);
  return url.toString();
}

export function registerChartRoutes(app: FastifyInstance, ctx: EhrState): void {
  app.get('/', async (_req, reply) => {
    const now = new Date(ctx.now());
    const rows: string[] = [];
    for (const id of ctx.store.patientIds()) {
      const [p] = (await ctx.store.all('Patient', id)) as Patient[];
      if (!p) continue;
      const m = CAST_MEMBERS.find((c) => c.id === id);
      rows.push(`<tr><td><a href="/chart/${encodeURIComponent(id)}">${esc(nameOf(p))}</a></td><td>${ageText(p.birthDate, now)}</td><td>${esc(p.gender ?? '')}</td>
<td class="muted">${esc(m?.demonstrates ?? '')}</td></tr>`);
    }
    return reply.type('text/html').send(
      page('Sandbox EHR: patients', `${header(ctx)}<main><h1>Patients</h1>
<table><thead><tr><th>Name</th><th>Age</th><th>Sex</th><th>What this chart demonstrates</th></tr></thead><tbody>${rows.join('\n')}</tbody></table></main>`),
    );
  });

  app.get<{ Params: { id: string }; Querystring: { app?: string } }>('/chart/:id', async (req, reply) => {
    const id = req.params.id;
    if (ctx.store.locate('Patient', id) === undefined) return reply.code(404).type('text/html').send(page('Not found', `${header(ctx)}<main><p>No patient ${esc(id)}.</p></main>`));
    const [p] = (await ctx.store.all('Patient', id)) as Patient[];
    if (!p) return reply.code(404).send();
    const encounter = ctx.store.locate('Encounter', `${id}-visit`) !== undefined ? `${id}-visit` : undefined;
    const clientId = req.query.app ?? 'careloop';
    const launchUrl = launchUrlFor(ctx, clientId, id, encounter);
    const conditions = (await ctx.store.all('Condition', id)) as Condition[];
    const observations = ((await ctx.store.all('Observation', id)) as Observation[])
      .sort((a, b) => (b.effectiveDateTime ?? '').localeCompare(a.effectiveDateTime ?? ''))
      .slice(0, 8);
    const options = [];
    for (const pid of ctx.store.patientIds()) {
      const [other] = (await ctx.store.all('Patient', pid)) as Patient[];
      if (other) options.push(`<option value="${esc(pid)}"${pid === id ? ' selected' : ''}>${esc(nameOf(other))}</option>`);
    }
    const mrn = p.identifier?.[0]?.value ?? '';
    const body = `${header(ctx)}
<div style="display:flex;min-height:calc(100vh - 37px)">
  <main style="flex:1;min-width:0">
    <section class="card" aria-label="Patient banner" style="display:flex;gap:24px;align-items:baseline;flex-wrap:wrap">
      <h1 style="margin:0;font-size:20px" data-testid="ehr-patient-name">${esc(nameOf(p))}</h1>
      <span>${esc(p.gender ?? '')}, ${ageText(p.birthDate, new Date(ctx.now()))} y (DOB ${esc(p.birthDate ?? '?')})</span><span class="muted">MRN ${esc(mrn)}</span>
      <label>Switch patient <select onchange="location.href='/chart/'+encodeURIComponent(this.value)">${options.join('')}</select></label>
      <a href="/">All patients</a>
    </section>
    <section class="card"><h2 style="margin-top:0;font-size:16px">Problems</h2><ul>${conditions.map((c) => `<li>${esc(c.code?.text ?? '')}</li>`).join('') || '<li class="muted">None recorded</li>'}</ul>
    <h2 style="font-size:16px">Recent observations</h2><ul>${observations.map((o) => `<li>${esc(o.code.text ?? '')} <span class="muted">${esc((o.effectiveDateTime ?? 'no date').slice(0, 10))}</span></li>`).join('') || '<li class="muted">None</li>'}</ul></section>
    ${SIMULATED_RESULTS[id] ? `<section class="card" aria-label="Simulate"><form method="post" action="/chart/${esc(id)}/simulate-result" id="simulate"><button type="submit" data-testid="simulate-result">${esc(SIMULATED_RESULTS[id].label)}</button> <span id="simulate-status" class="muted" role="status"></span></form></section>` : ''}
    <section class="card" aria-label="Written back by apps"><h2 style="margin-top:0;font-size:16px">Written back by apps</h2>
      <div id="writes" aria-live="polite"><p class="muted">Loading…</p></div></section>
  </main>
  <aside style="width:380px;flex:none;border-left:1px solid #c5cfdb;background:#fff;display:flex;flex-direction:column">
    ${launchUrl ? `<iframe id="app-frame" title="Careloop" name="careloop" src="${esc(launchUrl)}" style="border:0;flex:1;width:380px;min-height:600px" allow="clipboard-write"></iframe>` : `<p>No app "${esc(clientId)}" is registered.</p>`}
  </aside>
</div>
<script>
const patient = ${JSON.stringify(id)};
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'})[c]);
async function refresh() {
  try {
    const r = await fetch('/ehr/api/patients/' + encodeURIComponent(patient) + '/writeback');
    const data = await r.json();
    const rows = data.resources.map((x) => '<tr><td>' + esc(x.reference) + '</td><td>' + esc(x.summary) + '</td><td class="muted">' + esc(x.lastUpdated) + '</td></tr>').join('');
    const writes = data.writes.map((w) => '<li>' + esc(w.at.slice(11, 19)) + ' ' + esc(w.interaction) + ' ' + esc(w.reference) + ' <span class="muted">' + esc(w.summary) + ' (' + esc(w.clientId) + ')</span></li>').join('');
    document.getElementById('writes').innerHTML =
      '<table data-testid="writeback-resources"><thead><tr><th>Resource</th><th>Status / what</th><th>Last updated</th></tr></thead><tbody>' + (rows || '<tr><td colspan="3" class="muted">No Tasks, ServiceRequests or Provenance yet</td></tr>') + '</tbody></table>' +
      '<h3 style="font-size:14px">Write log</h3><ul data-testid="writeback-log">' + (writes || '<li class="muted">Nothing written in this session</li>') + '</ul>';
  } catch (e) { /* the next poll retries */ }
}
refresh();
setInterval(refresh, 1500);
// The result is filed without reloading the chart, so the app in the sidebar stays open as it would
// while a lab interface files a result.
const simulate = document.getElementById('simulate');
if (simulate) simulate.addEventListener('submit', async (event) => {
  event.preventDefault();
  const button = simulate.querySelector('button');
  const status = document.getElementById('simulate-status');
  button.disabled = true;
  try {
    const r = await fetch(simulate.action, { method: 'POST', headers: { accept: 'application/json' } });
    const data = r.ok ? await r.json() : null;
    status.textContent = data ? 'Filed ' + data.reference + ' at ' + new Date().toTimeString().slice(0, 8) : 'Could not file the result';
    refresh();
  } catch (e) {
    status.textContent = 'Could not file the result';
  } finally {
    button.disabled = false;
  }
});
</script>`;
    return reply.type('text/html').send(page(`Sandbox EHR: ${nameOf(p)}`, body));
  });

  // The EHR user files a result (POST, then back to the chart): the app sidebar may react to it.
  app.post<{ Params: { id: string } }>('/chart/:id/simulate-result', async (req, reply) => {
    const created = await simulateResult(ctx, req.params.id);
    if (!created) return reply.code(404).type('text/html').send(page('Not found', `${header(ctx)}<main><p>No simulated result for ${esc(req.params.id)}.</p></main>`));
    if ((req.headers.accept ?? '').includes('application/json')) return reply.code(201).send({ reference: `${created.resourceType}/${created.id ?? ''}` });
    return reply.redirect(`/chart/${encodeURIComponent(req.params.id)}`, 303);
  });

  app.get<{ Params: { id: string } }>('/ehr/api/patients/:id/writeback', async (req) => {
    const id = req.params.id;
    const resources: Resource[] = [];
    for (const type of ['Task', 'ServiceRequest', 'Provenance']) resources.push(...(await ctx.store.all(type, id)));
    return {
      resources: resources.map((r) => ({ reference: `${r.resourceType}/${r.id ?? ''}`, summary: summarize(r), lastUpdated: r.meta?.lastUpdated ?? '' })),
      writes: ctx.writes.filter((w) => w.patient === id),
    };
  });
}
