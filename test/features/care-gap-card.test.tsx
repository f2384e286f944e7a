import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import { memoryAuditPort } from '../../src/features/care-gaps/audit-port.ts';
import { resetCareGapUiStores } from '../../src/features/care-gaps/ui-store.ts';
import { careloopPreventive } from '../../src/rules/index.ts';
import { noAxeViolations } from '../support/axe.ts';
import { castStore, DOCTOR, line, renderChart } from './render-chart.tsx';


const card = () => screen.findByRole('region', { name: /Colorectal cancer screening/ });

beforeEach(() => resetCareGapUiStores());

describe('the care-gap card', () => {
  it('shows Ada’s most important gap: colorectal screening overdue, with source and one named action', async () => {
    castStore();
    renderChart('ada');
    const next = await card();
    expect(within(next).getByRole('heading', { level: 2 })).toHaveTextContent(/^Colorectal cancer screening: /);
    expect(within(next).getByText(line('Overdue since 2024-11-23'))).toBeInTheDocument();
    expect(within(next).getByText(/USPSTF 2021/)).toBeInTheDocument();
    expect(within(next).getByRole('button', { name: 'Propose colorectal cancer screening' })).toBeInTheDocument();
    expect(within(next).getByText(/^As of \d{2}:\d{2}$/)).toBeInTheDocument();
    expect(screen.getAllByRole('region', { name: /screening|vaccination|Tobacco/i })).toHaveLength(1);
    expect((within(next).getByRole('heading', { level: 2 }).textContent ?? '').length).toBeLessThanOrEqual(140);
  });

  it('mounts on reads already in hand straight to the card, as at launch: never "No open care gaps" first; the card is recorded once', async () => {
    castStore();
    // The launch prefetches the reads and the engine before the UI mounts: fill a query client so.
    const warm = renderChart('ada');
    await card();
    warm.unmount();
    // A new launch: a new tab, with nothing of the first one's in its sessionStorage.
    sessionStorage.clear();
    resetCareGapUiStores();
    // Every text the panel puts in the page on the way, even for one frame: what is added, and
    // what is taken out again (an added subtree's text is read when the observer runs, by then final).
    const seen: string[] = [];
    const observer = new MutationObserver((records) => {
      for (const r of records) for (const n of [...r.addedNodes, ...r.removedNodes]) seen.push(n.textContent ?? '');
    });
    observer.observe(document.body, { childList: true, subtree: true, characterData: true });
    const audit = memoryAuditPort();
    renderChart('ada', { queryClient: warm.queryClient, audit });
    await card();
    observer.disconnect();
    expect(seen.filter((t) => /No open care gaps/.test(t))).toEqual([]);
    await waitFor(() => expect(audit.events.filter((e) => e.action === 'card-shown')).toHaveLength(1));
  });

  it('opens the evidence on "Why?": the colonoscopy with its date and code, the rule id and version, and the logic that decided', async () => {
    castStore();
    const { audit } = renderChart('ada');
    const next = await card();
    await userEvent.click(within(next).getByRole('button', { name: 'Why?' }));
    const why = within(next).getByRole('region', { name: 'Why this is recommended' });
    expect(why).toHaveTextContent(/Colonoscopy|45378|73761001/);
    expect(why).toHaveTextContent(/\d{4}-\d{2}-\d{2}/);
    expect(why).toHaveTextContent('Rule colorectal-cancer-screening v');
    // The loaded content (the pack with its value sets and measure packages), as the audit trail pins it.
    expect(why).toHaveTextContent(`content ${careloopPreventive.digest.slice(0, 12)}`);
    expect(why).toHaveTextContent(/Decided by Careloop logic CareloopColorectalCancerScreening \d+\.\d+\.\d+ · ELM [0-9a-f]{12}/);
    expect((audit as ReturnType<typeof memoryAuditPort>).events.map((e) => e.action)).toEqual(['card-shown', 'why-opened']);
  });

  it('writes units and code systems as clinicians do: mmHg, SNOMED CT, LOINC — never a URL or mm[Hg]', async () => {
    castStore();
    renderChart('barbara');
    const bp = await screen.findByRole('region', { name: /^Controlling high blood pressure/ });
    expect(within(bp).getByRole('heading', { level: 2 })).toHaveTextContent('150/95 mmHg');
    await userEvent.click(within(bp).getByRole('button', { name: 'Why?' }));
    const why = within(bp).getByRole('region', { name: 'Why this is recommended' });
    expect(why).toHaveTextContent(/\(LOINC 85354-9\)/);
    expect(why).toHaveTextContent(/\(ICD-10-CM I10\)/);
    expect(why).toHaveTextContent('150/95 mmHg');
    expect(why).not.toHaveTextContent(/mm\[Hg\]|https?:\/\/|loinc\.org|snomed\.info|Observation\//);
  });

  it('folds the other open gaps and lets any of them become the focus', async () => {
    castStore();
    renderChart('ada');
    await card();
    await userEvent.click(screen.getByRole('button', { name: '3 other open gaps' }));
    await userEvent.click(screen.getByRole('button', { name: 'Focus on Cervical cancer screening' }));
    expect(await screen.findByRole('region', { name: /Cervical cancer screening/ })).toBeInTheDocument();
    expect(screen.queryByRole('region', { name: /^Colorectal cancer screening/ })).not.toBeInTheDocument();
  });

  it('words due dates as the record allows: nothing on record has no invented date; flu is late only after its season’s due-by day', async () => {
    castStore();
    renderChart('ada');
    await card();
    await userEvent.click(screen.getByRole('button', { name: /other open gaps/ }));
    await userEvent.click(screen.getByRole('button', { name: 'Focus on Cervical cancer screening' }));
    const cervical = await screen.findByRole('region', { name: /^Cervical cancer screening/ });
    expect(within(cervical).getByText('Due · nothing on record')).toBeInTheDocument();
    expect(within(cervical).getByRole('heading', { level: 2 })).toHaveTextContent('No cervical cytology or high-risk HPV test on record (eligible since 21).');
    expect(cervical).not.toHaveTextContent(/overdue|since \d{4}/i);
    const others = screen.getByRole('button', { name: /other open gaps/ });
    if (others.getAttribute('aria-expanded') !== 'true') await userEvent.click(others);
    await userEvent.click(screen.getByRole('button', { name: 'Focus on Annual influenza vaccination' }));
    const flu = await screen.findByRole('region', { name: /^Annual influenza vaccination/ });
    expect(within(flu).getByText(line('Overdue · was due by 2026-10-31'))).toBeInTheDocument();
  });

  it('says in one line when there is no open gap, and on demand what an exclusion hides', async () => {
    castStore();
    renderChart('margaret');
    expect(await screen.findByText('No open care gaps as of 2026-11-23.')).toBeInTheDocument();
    const disclose = screen.getByRole('button', { name: 'What is not shown' });
    expect(disclose).toHaveAttribute('aria-expanded', 'false');
    await userEvent.click(disclose);
    expect(screen.getByRole('button', { name: 'Hide what is not shown' })).toHaveAttribute('aria-expanded', 'true');
    expect(screen.getByRole('listitem')).toHaveTextContent(/^Not shown: hospice care since 2026-09-23 \(Colorectal cancer screening, Breast cancer screening/);
  });

  it('shows a rule the record cannot decide in the card’s place when it outranks the next gap, with a review task', async () => {
    const store = castStore();
    renderChart('katherine');
    const review = await screen.findByRole('region', { name: /^Diabetes: HbA1c\/GMI above 9% or missing: Could not be assessed/ });
    expect(within(review).getByRole('heading', { level: 2 })).toHaveTextContent('Could not be assessed: An HbA1c/GMI result has no usable date.');
    expect(within(review).getByText('Needs review · could not be assessed')).toBeInTheDocument();
    const folded = screen.getByRole('button', { name: /other open gaps · 1 could not be assessed/ });
    expect(folded).toHaveAttribute('aria-expanded', 'false');
    await userEvent.click(folded);
    expect(folded).toHaveAttribute('aria-expanded', 'true');
    const list = screen.getByRole('list', { name: 'Rules that could not be assessed' });
    expect(list).toHaveTextContent('Diabetes: HbA1c/GMI above 9% or missing: An HbA1c/GMI result has no usable date.');
    expect(list).toHaveTextContent('What is missing: effective date: no date');
    await userEvent.click(within(review).getByRole('button', { name: 'Create a task to review the result' }));
    await userEvent.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Confirm' }));
    await screen.findByRole('list', { name: 'Care gaps in progress' });
    const tasks = store.all('Task').filter((t) => (t.code as { coding?: { code?: string }[] } | undefined)?.coding?.some((c) => c.code === 'review-result'));
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ for: { reference: 'Patient/katherine' }, intent: 'proposal' });
  });

  it('writes nothing until confirm, and the confirm dialog shows exactly what will be written', async () => {
    const store = castStore();
    renderChart('ada');
    const next = await card();
    await userEvent.click(within(next).getByRole('button', { name: 'Propose colorectal cancer screening' }));
    const dialog = await screen.findByRole('dialog', { name: 'Confirm: Propose colorectal cancer screening' });
    expect(dialog).toHaveTextContent('A proposal for screening for malignant neoplasm of colon (a ServiceRequest with intent “proposal”, not an order)');
    expect(dialog).toHaveTextContent('Screening for malignant neoplasm of colon (SNOMED CT 275978004)');
    expect(dialog).not.toHaveTextContent(/https?:|snomed\.info/);
    expect(dialog).toHaveTextContent('Ada Lovelace');
    expect(dialog).toHaveTextContent('Requester' + 'Dr. Elizabeth Blackwell');
    expect(dialog).toHaveTextContent(/colorectal-cancer-screening v\d+\.\d+\.\d+/);
    expect(store.writes).toEqual([]);
    await userEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(store.writes).toEqual([]);
  });

  it('confirms into exactly one ServiceRequest and one Provenance, then shows the gap in progress', async () => {
    const store = castStore();
    const { audit } = renderChart('ada');
    const next = await card();
    await userEvent.click(within(next).getByRole('button', { name: 'Propose colorectal cancer screening' }));
    const dialog = await screen.findByRole('dialog');
    const confirm = within(dialog).getByRole('button', { name: 'Confirm' });
    await userEvent.dblClick(confirm);
    const saved = await screen.findByText(/^Saved to the EHR: a proposal for/);
    const result = saved.closest('[role="status"]') as HTMLElement;
    // The written resource in words, with no link the browser could not open (the FHIR URL needs a token).
    expect(result).toHaveTextContent('Saved to the EHR: a proposal for screening for malignant neoplasm of colon');
    expect(within(result).queryByRole('link')).toBeNull();
    expect(result).not.toHaveTextContent(/ServiceRequest\//);
    // Focus moves to the result message, a live region, rather than falling to <body>.
    expect(document.activeElement).toBe(result);
    const orders = store.all('ServiceRequest').filter((r) => (r.identifier as { value?: string }[] | undefined)?.some((i) => i.value?.startsWith('colorectal-cancer-screening:ada:')));
    expect(orders).toHaveLength(1);
    expect(orders[0]).toMatchObject({ subject: { reference: 'Patient/ada' }, requester: { reference: DOCTOR }, status: 'active' });
    expect(store.all('Provenance')).toHaveLength(1);
    expect(await screen.findByRole('list', { name: 'Care gaps in progress' })).toHaveTextContent('Colorectal cancer screening');
    const events = (audit as ReturnType<typeof memoryAuditPort>).events;
    expect(events.map((e) => e.action)).toEqual(expect.arrayContaining(['card-shown', 'confirmed', 'written']));
    const written = events.find((e) => e.action === 'written');
    expect(written?.outcome?.reference).toMatch(/^ServiceRequest\/servicerequest-\d+\/_history\/1$/);
    expect(new Set(events.filter((e) => e.rule === 'colorectal-cancer-screening').map((e) => e.correlationId)).size).toBe(1);
  });

  it('keeps the draft and offers retry when the EHR refuses, then saves once on retry', async () => {
    const store = castStore();
    store.faults.push({ method: 'POST', type: 'ServiceRequest', kind: 'status', status: 403, headers: { 'www-authenticate': 'Bearer error="insufficient_scope", scope="patient/ServiceRequest.c"' } });
    renderChart('ada');
    const next = await card();
    await userEvent.click(within(next).getByRole('button', { name: 'Propose colorectal cancer screening' }));
    const dialog = await screen.findByRole('dialog');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Confirm' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('Not saved: the EHR refused the order (missing permission patient/ServiceRequest.c).');
    expect(store.all('ServiceRequest').filter((r) => r.identifier)).toHaveLength(0);
    await userEvent.click(within(dialog).getByRole('button', { name: 'Confirm' }));
    expect(await screen.findByText(/^Saved to the EHR: a proposal for/)).toBeInTheDocument();
    expect(store.all('ServiceRequest').filter((r) => r.identifier)).toHaveLength(1);
  });

  it('reopens an interrupted confirm after a reload for the same patient and user', async () => {
    castStore();
    const first = renderChart('ada');
    await userEvent.click(within(await card()).getByRole('button', { name: 'Propose colorectal cancer screening' }));
    expect(await screen.findByRole('dialog')).toBeInTheDocument();
    first.unmount();
    resetCareGapUiStores();

    renderChart('ada');
    expect(await screen.findByRole('dialog', { name: 'Confirm: Propose colorectal cancer screening' })).toBeInTheDocument();
  });

  it('does not show one patient’s open confirm in another patient’s chart', async () => {
    castStore();
    const first = renderChart('ada');
    await userEvent.click(within(await card()).getByRole('button', { name: 'Propose colorectal cancer screening' }));
    await screen.findByRole('dialog');
    first.unmount();
    resetCareGapUiStores();
    renderChart('donald');
    expect(await screen.findByRole('region', { name: /Colorectal cancer screening/ })).toBeInTheDocument();
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });

  it('snoozes with a date and reason, records it, and the gap stays snoozed at the next launch', async () => {
    castStore();
    const audit = memoryAuditPort();
    const first = renderChart('ada', { audit });
    await userEvent.click(within(await card()).getByRole('button', { name: 'Not now' }));
    const dialog = await screen.findByRole('dialog', { name: 'Not now: Colorectal cancer screening' });
    await userEvent.click(within(dialog).getByRole('radio', { name: 'Address at the next visit' }));
    await userEvent.click(within(dialog).getByRole('button', { name: 'Snooze' }));
    expect(audit.events.find((e) => e.action === 'snoozed')).toMatchObject({ rule: 'colorectal-cancer-screening', decision: { reason: 'next-visit', until: '2026-12-23' } });
    first.unmount();
    resetCareGapUiStores();

    const next = memoryAuditPort(await audit.decisions());
    renderChart('ada', { audit: next });
    expect(await screen.findByRole('list', { name: 'Care gaps snoozed or dismissed' })).toHaveTextContent(/Colorectal cancer screening\s*Until 2026-12-23/);
    expect(screen.queryByRole('region', { name: /^Colorectal cancer screening/ })).not.toBeInTheDocument();

    // Brought back at this later launch: recorded as unsnoozed, and the card returns with the focus.
    await userEvent.click(screen.getByRole('button', { name: 'Bring back Colorectal cancer screening' }));
    const back = await card();
    expect(document.activeElement).toBe(within(back).getByRole('heading', { level: 2 }));
    expect(next.events.map((e) => e.action)).toContain('unsnoozed');
    expect(await next.decisions()).toEqual([]);
  });

  it('keeps a snooze made here across a relaunch, even before the trail has it', async () => {
    castStore();
    const first = renderChart('ada');
    await userEvent.click(within(await card()).getByRole('button', { name: 'Not now' }));
    const dialog = await screen.findByRole('dialog');
    await userEvent.click(within(dialog).getByRole('radio', { name: 'Waiting for results' }));
    await userEvent.click(within(dialog).getByRole('button', { name: 'Snooze' }));
    expect(screen.getByRole('status', { name: '' })).toBeDefined();
    expect(screen.getByText(line('Colorectal cancer screening: snoozed until 2026-12-23'))).toBeInTheDocument();
    first.unmount();
    resetCareGapUiStores();

    // The audit trail read at this launch does not have the snooze yet.
    renderChart('ada', { audit: memoryAuditPort() });
    expect(await screen.findByRole('list', { name: 'Care gaps snoozed or dismissed' })).toHaveTextContent(/Colorectal cancer screening\s*Until 2026-12-23/);
    expect(screen.queryByRole('region', { name: /^Colorectal cancer screening/ })).not.toBeInTheDocument();
  });

  it('opens Why? per gap: closed on the next gap and after a relaunch, and every opening is recorded', async () => {
    castStore();
    const audit = memoryAuditPort();
    const first = renderChart('ada', { audit });
    const next = await card();
    await userEvent.click(within(next).getByRole('button', { name: 'Why?' }));
    await userEvent.click(within(next).getByRole('button', { name: 'Hide why' }));
    await userEvent.click(within(next).getByRole('button', { name: 'Why?' }));
    expect(audit.events.filter((e) => e.action === 'why-opened')).toHaveLength(2);
    await userEvent.click(screen.getByRole('button', { name: /other open gaps/ }));
    await userEvent.click(screen.getByRole('button', { name: 'Focus on Cervical cancer screening' }));
    const cervical = await screen.findByRole('region', { name: /^Cervical cancer screening/ });
    expect(within(cervical).getByRole('button', { name: 'Why?' })).toHaveAttribute('aria-expanded', 'false');
    await userEvent.click(within(cervical).getByRole('button', { name: 'Why?' }));
    expect(audit.events.filter((e) => e.action === 'why-opened').map((e) => e.rule)).toEqual(['colorectal-cancer-screening', 'colorectal-cancer-screening', 'cervical-cancer-screening']);
    first.unmount();
    resetCareGapUiStores();
    renderChart('ada');
    expect(within(await screen.findByRole('region', { name: /^Cervical cancer screening/ })).getByRole('button', { name: 'Why?' })).toHaveAttribute('aria-expanded', 'false');
  });

  it('takes the snooze day as YYYY-MM-DD, and its reasons are one Tab stop chosen with the arrow keys', async () => {
    castStore();
    const audit = memoryAuditPort();
    renderChart('ada', { audit });
    await userEvent.click(within(await card()).getByRole('button', { name: 'Not now' }));
    const dialog = await screen.findByRole('dialog', { name: 'Not now: Colorectal cancer screening' });
    const day = within(dialog).getByRole('textbox', { name: 'Remind me on' });
    expect(day).toHaveValue('2026-12-23');
    const radios = within(dialog).getAllByRole('radio');
    expect(radios.filter((r) => r.tabIndex === 0)).toHaveLength(1);
    const user = userEvent.setup();
    await user.click(radios[0] as HTMLElement);
    await user.keyboard('{ArrowDown}');
    expect(within(dialog).getByRole('radio', { name: 'Waiting for results' })).toBeChecked();
    expect(radios.filter((r) => r.tabIndex === 0)).toHaveLength(1);
    await user.clear(day);
    await user.type(day, '12/30/2026');
    expect(within(dialog).getByText('A day after 2026-11-23, as YYYY-MM-DD')).toBeInTheDocument();
    expect(within(dialog).getByRole('button', { name: 'Snooze' })).toBeDisabled();
    await user.clear(day);
    await user.type(day, '2026-12-30');
    await user.click(within(dialog).getByRole('button', { name: 'Snooze' }));
    expect(audit.events.find((e) => e.action === 'snoozed')).toMatchObject({ decision: { reason: 'awaiting-results', until: '2026-12-30' } });
    expect(screen.getByText(line('Colorectal cancer screening: snoozed until 2026-12-30'))).toBeInTheDocument();
  });

  it('names a dismissal reason from the trail through the known reasons, never as it was stored', async () => {
    castStore();
    renderChart('ada', {
      audit: memoryAuditPort([
        { rule: 'colorectal-cancer-screening', kind: 'dismissed', reason: 'Ada_Lovelace_refuses_HIV_test', until: null },
        { rule: 'breast-cancer-screening', kind: 'dismissed', reason: 'done-elsewhere', until: null },
      ]),
    });
    const lastDecided = await screen.findByRole('list', { name: 'Care gaps snoozed or dismissed' });
    expect(lastDecided).toHaveTextContent(/Colorectal cancer screening\s*Dismissed: Other reason/);
    expect(screen.queryByText(/Ada_Lovelace/)).not.toBeInTheDocument();
  });

  it('dismisses only with a reason from the list', async () => {
    castStore();
    const audit = memoryAuditPort();
    renderChart('ada', { audit });
    await userEvent.click(within(await card()).getByRole('button', { name: 'Dismiss' }));
    const dialog = await screen.findByRole('dialog', { name: 'Dismiss: Colorectal cancer screening' });
    expect(within(dialog).getByRole('button', { name: 'Dismiss' })).toBeDisabled();
    await userEvent.click(within(dialog).getByRole('radio', { name: 'Already done elsewhere' }));
    await userEvent.click(within(dialog).getByRole('button', { name: 'Dismiss' }));
    expect(audit.events.find((e) => e.action === 'dismissed')).toMatchObject({ rule: 'colorectal-cancer-screening', decision: { reason: 'done-elsewhere' } });
    await waitFor(() => expect(screen.queryByRole('region', { name: /^Colorectal cancer screening/ })).not.toBeInTheDocument());
  });

  it('works from the keyboard alone: focus the action, open confirm, confirm', async () => {
    const store = castStore();
    renderChart('ada');
    const next = await card();
    const action = within(next).getByRole('button', { name: 'Propose colorectal cancer screening' });
    const user = userEvent.setup();
    while (document.activeElement !== action) await user.tab();
    await user.keyboard('{Enter}');
    const dialog = await screen.findByRole('dialog');
    const confirm = within(dialog).getByRole('button', { name: 'Confirm' });
    while (document.activeElement !== confirm) await user.tab();
    await user.keyboard('{Enter}');
    expect(await screen.findByText(/^Saved to the EHR: a proposal for/)).toBeInTheDocument();
    expect(store.all('Provenance')).toHaveLength(1);
  });

  it('has no axe violations while loading, on the card, with why open, in the confirm dialog and after saving', async () => {
    castStore();
    const { container } = renderChart('ada');
    await noAxeViolations(container);
    const next = await card();
    await noAxeViolations(container);
    await userEvent.click(within(next).getByRole('button', { name: 'Why?' }));
    await noAxeViolations(container);
    await userEvent.click(within(next).getByRole('button', { name: 'Propose colorectal cancer screening' }));
    const dialog = await screen.findByRole('dialog');
    await noAxeViolations(dialog);
    await userEvent.click(within(dialog).getByRole('button', { name: 'Confirm' }));
    await screen.findByText(/^Saved to the EHR: a proposal for/);
    await noAxeViolations(container);
  });

  it('has no axe violations when a write fails', async () => {
    const store = castStore();
    store.faults.push({ method: 'POST', type: 'ServiceRequest', kind: 'status', status: 500 }, { method: 'POST', type: 'ServiceRequest', kind: 'status', status: 500 }, { method: 'POST', type: 'ServiceRequest', kind: 'status', status: 500 });
    renderChart('ada');
    await userEvent.click(within(await card()).getByRole('button', { name: 'Propose colorectal cancer screening' }));
    const dialog = await screen.findByRole('dialog');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Confirm' }));
    await within(dialog).findByRole('alert', {}, { timeout: 15_000 });
    await noAxeViolations(dialog);
  }, 20_000);
});

describe('closing an outreach task', () => {
  it('orders the screening and closes Donald’s outreach task on the version the clinician saw', async () => {
    const store = castStore();
    renderChart('donald');
    await userEvent.click(within(await card()).getByRole('button', { name: 'Propose colorectal cancer screening' }));
    const dialog = await screen.findByRole('dialog');
    expect(dialog).toHaveTextContent('Close the open task “Call patient to arrange colorectal cancer screening');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Confirm' }));
    expect(await screen.findByText(/The outreach task was closed\./)).toBeInTheDocument();
    const put = store.writes.find((w) => w.method === 'PUT' && w.type === 'Task');
    expect(put?.headers['if-match']).toBe('W/"1"');
    const task = store.all('Task').find((t) => t.id === 'donald-outreach');
    expect(task).toMatchObject({ status: 'completed', meta: { versionId: '2' }, output: [{ valueReference: { reference: expect.stringMatching(/^ServiceRequest\//) } }] });
    expect(store.all('ServiceRequest').filter((r) => r.identifier && (r.subject as { reference: string }).reference === 'Patient/donald')).toHaveLength(1);
  });

  it('does not overwrite an outreach task someone changed meanwhile (412) and shows its new state', async () => {
    const store = castStore();
    renderChart('donald');
    await userEvent.click(within(await card()).getByRole('button', { name: 'Propose colorectal cancer screening' }));
    const dialog = await screen.findByRole('dialog');
    // A nurse picks the task up in the EHR while the dialog is open.
    const index = store.resources.findIndex((r) => r.id === 'donald-outreach');
    const before = store.resources[index];
    if (!before) throw new Error('no task');
    store.resources[index] = { ...before, status: 'in-progress', meta: { versionId: '2', lastUpdated: '2026-11-23T10:00:00Z' } };
    await userEvent.click(within(dialog).getByRole('button', { name: 'Confirm' }));
    expect(await screen.findByText(/changed in the EHR since Careloop read it \(now in-progress\); it was left as it is/)).toBeInTheDocument();
    expect(store.all('Task').find((t) => t.id === 'donald-outreach')).toMatchObject({ status: 'in-progress', meta: { versionId: '2' } });
  });
});
