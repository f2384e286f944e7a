import Accordion from '@mui/material/Accordion';
import AccordionDetails from '@mui/material/AccordionDetails';
import AccordionSummary from '@mui/material/AccordionSummary';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import LinearProgress from '@mui/material/LinearProgress';
import List from '@mui/material/List';
import ListItem from '@mui/material/ListItem';
import ListItemText from '@mui/material/ListItemText';
import Skeleton from '@mui/material/Skeleton';
import SvgIcon from '@mui/material/SvgIcon';
import Typography from '@mui/material/Typography';
import { lazy, Suspense, useCallback, useEffect, useMemo, useRef } from 'react';
import { useStore } from 'zustand';
import { ProblemError } from '../../shared/problem.ts';
import { useSession } from '../../fhir/session-context.tsx';
import { isClinician, writeBlock } from '../../smart/permissions.ts';
import type { ConfirmOutcome } from './use-confirm.ts';
import { problemCopy } from '../../shared/problem-copy.ts';
import { CareGapCard } from './care-gap-card.tsx';
import { reasonLabel } from './snooze-reasons.ts';
import type { GapView } from './gap-views.ts';
import type { OpenGap } from '../../writeback/builders.ts';
import { summaryOf, writtenWords } from './gap-views.ts';
import { careGapUiStore, panelSelectors } from './ui-store.ts';
import { useDecisionEvents } from './decision-events.ts';
import { useCareGaps, type NotAssessed } from './use-care-gaps.ts';
import { useLiveUpdates, type LiveView } from '../live-updates/live-updates-provider.tsx';
import type { PackResult } from '../../rules/index.ts';
import { isOpenGap, isOpenGapStatus } from '../../rules/types.ts';
import { keepDates } from '../shared/dates.tsx';

/**
 * The dialogs (and MUI's dialog, form and text-field components) load when first opened, so the
 * first card neither downloads nor evaluates them (vite.config.ts keeps them out of the preloads).
 */
const SnoozeDialog = lazy(() => import('./snooze-dialog.tsx').then((m) => ({ default: m.SnoozeDialog })));


/**
 * `YYYY-MM-DD` plus n days, in UTC (calendar arithmetic only). Not the rules' `addDays`: importing
 * it here would pull the lazily loaded rule engine into the card's chunk.
 */
function addDays(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/**
 * The local time the record was read, as `HH:MM` (24-hour, unambiguous on a ward). Not
 * `toLocaleTimeString`: a page's first date formatter loads the browser's locale data, ~50 ms of
 * main thread on the launch path for a five-character label.
 */
function timeLabel(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/**
 * How fresh the card is: when the record was read, and whether changes since would have reached it
 * ("updates live": the server's channel is open; "last checked …": the last polling round or
 * read; "could not check since …": polling is failing).
 */
export function freshnessLabel(readAt: number, live: LiveView | null): string {
  const read = timeLabel(readAt);
  const status = live?.status;
  switch (status?.kind) {
    case undefined:
    case 'starting':
    case 'stopped':
      return read;
    case 'live':
      return `${read} · updates live`;
    case 'polling':
      // Reading the record is a check too.
      if (status.failing) return `${read} · could not check since ${timeLabel(Math.max(status.checkedAt ?? 0, readAt))}`;
      return `${read} · last checked ${timeLabel(Math.max(status.checkedAt ?? 0, readAt))}`;
  }
}

/** What a re-read of the record changed for the clinician, in words (empty: nothing they would see). */
export function changeWords(before: PackResult, after: PackResult): string {
  const was = new Map(before.results.map((r) => [r.rule, r.status]));
  const closed: string[] = [];
  const opened: string[] = [];
  for (const r of after.results) {
    const prior = was.get(r.rule);
    if (prior === undefined) continue;
    if (isOpenGapStatus(prior) && !isOpenGap(r)) closed.push(r.title);
    if (!isOpenGapStatus(prior) && isOpenGap(r)) opened.push(r.title);
  }
  const parts = [closed.length ? `${closed.length === 1 ? 'Gap closed' : 'Gaps closed'}: ${closed.join('; ')}` : null, opened.length ? `${opened.length === 1 ? 'New gap' : 'New gaps'}: ${opened.join('; ')}` : null];
  return parts.filter(Boolean).join('. ');
}

/** A chevron for the folded list (MUI rotates it when the list opens). */
function ExpandIcon() {
  return (
    <SvgIcon fontSize="small" aria-hidden>
      <path d="M16.59 8.59 12 13.17 7.41 8.59 6 10l6 6 6-6z" />
    </SvgIcon>
  );
}

/** A scope query in words: `category=laboratory` → `category laboratory`. */
function queryWords(query: string): string {
  return [...new URLSearchParams(query)].map(([k, v]) => `${k} ${v}`).join(' and ');
}

/** What a rule not assessed needs: `Immunization`, or `all Observations; the EHR shared only those with category laboratory`. */
export function notAssessedNeeds(n: NotAssessed): string {
  const parts = n.unread.length ? [n.unread.join(', ')] : [];
  for (const p of n.partial) parts.push(`all ${p.type}s; the EHR shared only those with ${p.only.map(queryWords).join(' or ')}`);
  return parts.join('; ');
}

/**
 * One line per distinct need, naming every rule that has it: `Annual influenza vaccination,
 * Pneumococcal vaccination (65+) (need Immunization)` rather than the same need rule after rule.
 */
export function notAssessedLines(list: readonly NotAssessed[]): string[] {
  const byNeed = new Map<string, string[]>();
  for (const n of list) {
    const need = notAssessedNeeds(n);
    byNeed.set(need, [...(byNeed.get(need) ?? []), n.title]);
  }
  return [...byNeed].map(([need, titles]) => (titles.length === 1 ? `${titles[0] ?? ''} (needs ${need})` : `${titles.join(', ')} (need ${need})`));
}

/** "3 other open gaps · 1 could not be assessed". */
function foldedLabel(others: number, undecided: number): string {
  const parts = [others ? `${others} other open ${others === 1 ? 'gap' : 'gaps'}` : null, undecided ? `${undecided} could not be assessed` : null];
  return parts.filter(Boolean).join(' · ');
}

/** A rule's "missing" entry without the resource id it starts with (`Observation/x: no date` → `no date`). */
function missingWords(entry: string): string {
  return entry.replace(/^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]+:\s*/, '');
}

/**
 * One decision, one context, one action: the next-best open gap as a card, the other open gaps
 * folded below, and what is already in progress, snoozed or dismissed.
 */
export function CareGapPanel({ asOf, patientName, userName = null }: { asOf: string; patientName: string; userName?: string | null }) {
  const { context } = useSession();
  const events = useDecisionEvents();
  // All of the panel's state is in this store (ui-store.ts), read through its selectors; its
  // actions are stable functions, taken from the state once.
  const store = useMemo(() => careGapUiStore(context.patientId, context.fhirUser), [context.patientId, context.fhirUser]);
  const decided = useStore(store, panelSelectors.decided);
  const focusRuleWanted = useStore(store, panelSelectors.focusRule);
  const whyRule = useStore(store, panelSelectors.whyRule);
  const confirmRule = useStore(store, panelSelectors.confirmRule);
  const snoozeDraft = useStore(store, panelSelectors.snoozeDraft);
  const lastDecided = useStore(store, panelSelectors.lastDecided);
  const announcement = useStore(store, panelSelectors.announcement);
  const done = useStore(store, panelSelectors.written);
  const showExcluded = useStore(store, panelSelectors.showExcluded);
  const focusRequest = useStore(store, panelSelectors.focusRequest);
  const { focus: focusOn, toggleWhy, openConfirm, closeConfirm, startSnooze, editSnooze, closeSnooze, closeWritten, toggleExcluded, correlationFor } = store.getState();
  const gaps = useCareGaps(asOf, decided);
  const live = useLiveUpdates();
  const result = gaps.status === 'ready' ? gaps.result : null;
  const readAt = gaps.status === 'ready' ? gaps.readAt : 0;
  // A chart change re-read while the sidebar is open is announced politely (never by moving focus).
  useEffect(() => {
    if (!result) return;
    const before = store.getState().seenResult;
    if (before === result) return;
    const words = before ? changeWords(before, result) : '';
    store.getState().sawResult(result, words ? `Chart updated at ${timeLabel(readAt)}. ${words}.` : null);
  }, [result, readAt, store]);
  // DOM nodes that take the focus after an action (see focusRequest).
  const headingRef = useRef<HTMLHeadingElement | null>(null);
  const resultRef = useRef<HTMLDivElement | null>(null);
  const lastDecidedRef = useRef<HTMLDivElement | null>(null);
  const written = done?.outcome.write.kind === 'written' ? done.outcome.write : null;
  const closed = done?.outcome.closed ?? null;

  const views = gaps.status === 'ready' ? gaps.views : [];
  const open = views.filter((v): v is Extract<GapView, { state: 'open' }> => v.state === 'open');
  const focus = open.find((v) => v.gap.rule === focusRuleWanted) ?? open[0] ?? null;
  const focusRule = focus?.gap.rule ?? null;

  // A decision's correlation id is minted once, outside render (here, or by the first action on
  // the card), and kept with the draft state; the card itself renders without it.
  useEffect(() => {
    if (!focus) return;
    const correlationId = store.getState().correlationFor(focus.gap.rule);
    if (store.getState().markShown(correlationId)) events.cardShown(focus.gap, correlationId);
  }, [focus, events, store]);

  useEffect(() => {
    if (!focusRequest) return;
    // A card in focus may render a moment later (its correlation id is minted in an effect); with no
    // open gap left, the snoozed-or-dismissed line takes the focus instead.
    const card = headingRef.current ?? (focusRule ? null : lastDecidedRef.current);
    const target = focusRequest === 'card' ? card : focusRequest === 'result' ? resultRef.current : lastDecidedRef.current;
    if (!target) return;
    target.focus();
    store.getState().focusMoved();
  }, [focusRequest, focusRule, written, lastDecided, store]);

  const clinician = isClinician(context.fhirUser);
  const onWritten = useCallback((outcome: ConfirmOutcome, gap: OpenGap) => store.getState().wrote({ outcome, action: gap.action }), [store]);

  if (gaps.status === 'loading') {
    return (
      <Box role="status" aria-label="Evaluating care gaps" sx={{ p: 2 }}>
        <LinearProgress variant="determinate" value={gaps.progress} aria-label="Evaluating care gaps" />
        <Typography variant="body2" sx={{ mt: 1 }}>
          Checking the record for care gaps…
        </Typography>
        <Skeleton variant="rectangular" height={96} sx={{ mt: 1 }} />
      </Box>
    );
  }
  if (gaps.status === 'error') {
    const copy = problemCopy(gaps.error instanceof ProblemError ? gaps.error.problem : { kind: 'unknown', detail: 'record' });
    return (
      <Alert severity="warning" sx={{ m: 1 }} action={copy.retryable ? <Button onClick={gaps.retry}>Retry</Button> : undefined}>
        Care gaps could not be checked. {copy.title}. {copy.detail}
      </Alert>
    );
  }

  const others = open.filter((v) => v !== focus);
  const undecided = gaps.undecided;
  const inProgress = views.filter((v): v is Extract<GapView, { state: 'in-progress' }> => v.state === 'in-progress');
  const decidedViews = views.filter((v) => v.state === 'snoozed' || v.state === 'dismissed');
  const snoozeGap = snoozeDraft ? views.find((v) => v.gap.rule === snoozeDraft.rule)?.gap : undefined;

  // A snooze or dismissal changes the card at once: the decision is kept here (and survives a
  // reload in this browser session) while the outbox delivers it; the card never waits for that.
  const submitSnooze = () => {
    const ui = store.getState();
    const draft = ui.snoozeDraft;
    if (!draft || !snoozeGap) return;
    const id = ui.correlationFor(snoozeGap.rule);
    const decision = draft.kind === 'snooze' ? ({ kind: 'snoozed', reason: draft.reason, until: draft.until } as const) : ({ kind: 'dismissed', reason: draft.reason } as const);
    events.decided(snoozeGap, id, decision);
    ui.decide({ rule: snoozeGap.rule, title: snoozeGap.title, decision, correlationId: id });
  };

  // A gap snoozed or dismissed earlier (this launch or a past one) is offered again: recorded as `unsnoozed`.
  const bringBack = (gap: OpenGap) => {
    const ui = store.getState();
    const id = ui.lastDecided?.rule === gap.rule ? ui.lastDecided.correlationId : ui.correlationFor(gap.rule);
    events.unsnoozed(gap, id);
    ui.undoDecision(gap.rule);
  };

  const undoDecision = () => {
    const entry = store.getState().lastDecided;
    const gap = entry ? views.find((v) => v.gap.rule === entry.rule)?.gap : undefined;
    if (!entry || !gap) return;
    events.unsnoozed(gap, entry.correlationId);
    store.getState().undoDecision(entry.rule);
  };

  const block = focus ? writeBlock(context.fhirUser, context.scopes, focus.gap.action.resourceType) : null;

  return (
    <Box component="section" aria-label="Care gaps">
      <Typography aria-live="polite" aria-atomic="true" variant="caption" component="p" sx={announcement ? { mx: 2, mt: 1, fontWeight: 600 } : { position: 'absolute', width: 1, height: 1, overflow: 'hidden', clip: 'rect(0 0 0 0)' }}>
        {announcement}
      </Typography>
      {live?.heldSince ? (
        <Alert
          severity="info"
          role="status"
          sx={{ m: 1 }}
          action={
            <Button color="inherit" size="small" onClick={live.applyHeld}>
              Update now
            </Button>
          }
        >
          The chart changed at {timeLabel(live.heldSince)}. The care gaps update when you close what is open or move on.
        </Alert>
      ) : null}
      {clinician ? null : (
        <Alert severity="info" sx={{ m: 1 }}>
          Careloop&apos;s actions are for clinicians: the care gaps are shown read only.
        </Alert>
      )}
      {written ? (
        <Alert severity="success" role="status" ref={resultRef} tabIndex={-1} sx={{ m: 1 }} onClose={closeWritten}>
          {written.created ? 'Saved to the EHR' : 'Already in the EHR'}: {done ? writtenWords(done.action) : 'the action'}
          {closed?.kind === 'closed' ? '. The outreach task was closed.' : ''}
        </Alert>
      ) : null}
      {closed && closed.kind !== 'closed' ? (
        <Alert severity="warning" sx={{ m: 1 }}>
          {closed.kind === 'conflict'
            ? `The outreach task was changed in the EHR since Careloop read it (now ${closed.current.status}); it was left as it is. Review it in the EHR.`
            : `The outreach task was not closed. ${closed.message}`}
        </Alert>
      ) : null}
      {gaps.incomplete.length ? (
        <Alert severity="info" sx={{ m: 1 }}>
          The record was too long to read in full ({gaps.incomplete.join(', ')}); gaps were checked on what was read.
        </Alert>
      ) : null}
      {gaps.notAssessed.length ? (
        <Alert severity="info" sx={{ m: 1 }}>
          Not assessed, because the EHR did not let Careloop read what they need:
          <Box component="ul" sx={{ m: 0, pl: 2 }} aria-label="Rules not assessed">
            {notAssessedLines(gaps.notAssessed).map((line) => (
              <li key={line}>{line}</li>
            ))}
          </Box>
        </Alert>
      ) : null}
      {lastDecided ? (
        <Alert
          severity="info"
          role="status"
          ref={lastDecidedRef}
          tabIndex={-1}
          sx={{ m: 1 }}
          action={
            <Button color="inherit" size="small" onClick={undoDecision}>
              Undo
            </Button>
          }
        >
          {lastDecided.title}:{' '}
          {lastDecided.decision.kind === 'snoozed' ? keepDates(`snoozed until ${lastDecided.decision.until}`) : `dismissed (${reasonLabel(lastDecided.decision.reason)})`}
        </Alert>
      ) : null}
      {focus ? (
        <CareGapCard
          key={focus.gap.rule}
          gap={focus.gap}
          outreach={focus.outreach}
          correlationOf={correlationFor}
          patientName={patientName}
          requester={userName ?? context.fhirUser}
          whyOpen={whyRule === focus.gap.rule}
          headingRef={headingRef}
          confirmOpen={confirmRule === focus.gap.rule}
          asOfLabel={freshnessLabel(gaps.readAt, live)}
          writeBlock={block}
          canSnooze={clinician}
          onWhy={() => {
            // Every opening is recorded, for the gap it was opened on.
            if (whyRule !== focus.gap.rule) events.whyOpened(focus.gap, correlationFor(focus.gap.rule));
            toggleWhy(focus.gap.rule);
          }}
          onOpenConfirm={() => openConfirm(focus.gap.rule)}
          onCloseConfirm={closeConfirm}
          onSnooze={() => startSnooze(focus.gap.rule, 'snooze', { until: addDays(asOf, 30) })}
          onDismiss={() => startSnooze(focus.gap.rule, 'dismiss', { until: asOf })}
          onWritten={onWritten}
        />
      ) : (
        <Box sx={{ m: 2 }}>
          <Typography variant="body2">
            {gaps.notAssessed.length ? `No open care gaps among the rules assessed as of ${asOf}.` : `No open care gaps as of ${asOf}.`}
          </Typography>
          <Typography variant="caption" component="p" color="text.secondary">
            As of {freshnessLabel(gaps.readAt, live)}
          </Typography>
          {gaps.excluded.length ? (
            <>
              <Button size="small" sx={{ mt: 0.5, ml: -0.5 }} aria-expanded={showExcluded} aria-controls="not-shown" onClick={toggleExcluded}>
                {showExcluded ? 'Hide what is not shown' : 'What is not shown'}
              </Button>
              {showExcluded ? (
                <Box component="ul" id="not-shown" sx={{ m: 0, pl: 2 }}>
                  {gaps.excluded.map((g) => (
                    <Typography component="li" variant="body2" key={`${g.label}|${g.since ?? ''}`}>
                      Not shown: {g.label.charAt(0).toLowerCase() + g.label.slice(1)}
                      {g.since ? <> since {keepDates(g.since)}</> : null} ({g.titles.join(', ')})
                    </Typography>
                  ))}
                </Box>
              ) : null}
            </>
          ) : null}
        </Box>
      )}
      {others.length || undecided.length ? (
        // Folded gaps are rendered only when unfolded: the first card does not pay for a hidden list.
        <Accordion disableGutters elevation={0} sx={{ mx: 1 }} slotProps={{ transition: { unmountOnExit: true } }}>
          <AccordionSummary aria-controls="other-gaps" id="other-gaps-header" expandIcon={<ExpandIcon />}>
            <Typography variant="body2">{foldedLabel(others.length, undecided.length)}</Typography>
          </AccordionSummary>
          <AccordionDetails id="other-gaps">
            {others.length ? (
              <List dense disablePadding aria-label="Other open gaps">
                {others.map((v) => (
                  <ListItem key={v.gap.rule} disableGutters secondaryAction={<Button size="small" onClick={() => focusOn(v.gap.rule)} aria-label={`Focus on ${v.gap.title}`}>Focus</Button>}>
                    <ListItemText primary={keepDates(summaryOf(v.gap))} sx={{ pr: 7 }} />
                  </ListItem>
                ))}
              </List>
            ) : null}
            {undecided.length ? (
              <>
                <Typography component="h3" variant="caption" sx={{ fontWeight: 600, display: 'block', mt: others.length ? 1 : 0 }}>
                  Could not be assessed
                </Typography>
                <List dense disablePadding aria-label="Rules that could not be assessed">
                  {undecided.map((r) => (
                    <ListItem key={r.rule} disableGutters>
                      <ListItemText primary={keepDates(`${r.title}: ${r.reason || 'the record cannot decide it.'}`)} secondary={r.missing.length ? `What is missing: ${r.missing.map(missingWords).join('; ')}` : null} />
                    </ListItem>
                  ))}
                </List>
              </>
            ) : null}
          </AccordionDetails>
        </Accordion>
      ) : null}
      {inProgress.length ? (
        <Box sx={{ mx: 2, mt: 1 }}>
          <Typography component="h3" variant="caption" sx={{ fontWeight: 600 }}>
            In progress
          </Typography>
          <List dense disablePadding aria-label="Care gaps in progress">
            {inProgress.map((v) => (
              <ListItem key={v.gap.rule} disableGutters>
                <ListItemText primary={v.gap.title} secondary={keepDates(`${v.reference.startsWith('Task/') ? 'Task' : 'Proposal'} in the EHR since ${v.since?.slice(0, 10) ?? 'an earlier visit'}`)} />
              </ListItem>
            ))}
          </List>
        </Box>
      ) : null}
      {decidedViews.length ? (
        <Box sx={{ mx: 2, mt: 1 }}>
          <Typography component="h3" variant="caption" sx={{ fontWeight: 600 }}>
            Snoozed or dismissed
          </Typography>
          <List dense disablePadding aria-label="Care gaps snoozed or dismissed">
            {decidedViews.map((v) => (
              <ListItem
                key={v.gap.rule}
                disableGutters
                secondaryAction={
                  <Button size="small" onClick={() => bringBack(v.gap)} aria-label={`Bring back ${v.gap.title}`}>
                    Bring back
                  </Button>
                }
              >
                <ListItemText
                  primary={v.gap.title}
                  secondary={keepDates(v.state === 'snoozed' ? `Until ${v.until}` : `Dismissed: ${v.state === 'dismissed' ? reasonLabel(v.reason) : ''}`)}
                  sx={{ pr: 10 }}
                />
              </ListItem>
            ))}
          </List>
        </Box>
      ) : null}
      {snoozeDraft && snoozeGap ? (
        <Suspense fallback={null}>
          <SnoozeDialog draft={snoozeDraft} title={snoozeGap.title} minDate={asOf} onChange={editSnooze} onSubmit={submitSnooze} onCancel={closeSnooze} />
        </Suspense>
      ) : null}
    </Box>
  );
}
