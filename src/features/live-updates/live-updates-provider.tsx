/**
 * The live chart in the sidebar: runs {@link createLiveUpdates} for the patient in context and, on
 * a change, re-reads the record and the open Tasks (their queries are invalidated, so the card
 * re-renders from fresh data). While the clinician has a dialog or the Why panel open, or the
 * keyboard focus on the card, the update waits — nothing they are using is closed, moved or pulled
 * from under the focus — and a notice offers it; it is applied as soon as they close it or move on.
 */
import type { Resource } from '@medplum/fhirtypes';
import { useQueryClient } from '@tanstack/react-query';
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { getChanges, initialCursor, type ChangeCursor } from '../../fhir/get-changes.ts';
import type { RecordRead } from '../../fhir/get-record.ts';
import { fhirKeys } from '../../fhir/keys.ts';
import type { PagedList } from '../../fhir/paging.ts';
import { useSession } from '../../fhir/session-context.tsx';
import { careGapUiStore, type CareGapUiState } from '../care-gaps/ui-store.ts';
import { createLiveUpdates, type LiveChannelConfig, type LiveStatus, type LiveTiming } from './live-updates.ts';

/** What the app's entry gives the sidebar: the server's live channel (null: none) and timing overrides. */
export interface LiveSource {
  readonly channel: LiveChannelConfig | null;
  readonly timing?: Partial<LiveTiming>;
}

export interface LiveView {
  readonly status: LiveStatus;
  /** When a change arrived that waits for a dialog or the Why panel to close (ms), else null. */
  readonly heldSince: number | null;
  /** Applies a waiting change now. */
  applyHeld(): void;
}

const LiveContext = createContext<LiveView | null>(null);

/** The live chart's state; null outside a {@link LiveUpdatesProvider} (then the card is as of its read). */
export function useLiveUpdates(): LiveView | null {
  return useContext(LiveContext);
}

/** Marks what a change must not pull from under the keyboard (the card): `data-live-hold`. */
export const LIVE_HOLD = { 'data-live-hold': '' } as const;

function somethingOpen(ui: CareGapUiState): boolean {
  return ui.confirmRule !== null || ui.snoozeDraft !== null || ui.whyRule !== null;
}

/** The clinician's keyboard focus is on the card (in this frame, while it has the focus). */
function focusOnCard(): boolean {
  if (typeof document === 'undefined' || !document.hasFocus()) return false;
  const active = document.activeElement;
  return active instanceof Element && active.closest('[data-live-hold]') !== null;
}

export function LiveUpdatesProvider({ source, children }: { source: LiveSource; children: ReactNode }) {
  const { context, fhir } = useSession();
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<LiveStatus>({ kind: 'starting' });
  const [heldSince, setHeldSince] = useState<number | null>(null);
  const held = useRef(false);
  const store = useMemo(() => careGapUiStore(context.patientId, context.fhirUser), [context.patientId, context.fhirUser]);
  const { patientId, scopes } = context;

  const refresh = useCallback(() => {
    held.current = false;
    setHeldSince(null);
    void queryClient.invalidateQueries({ queryKey: fhirKeys.record(patientId) });
    void queryClient.invalidateQueries({ queryKey: fhirKeys.tasks(patientId) });
  }, [queryClient, patientId]);

  useEffect(() => {
    let cursor: ChangeCursor | null = null;
    const live = createLiveUpdates({
      patientId,
      channel: source.channel,
      ...(source.timing ? { timing: source.timing } : {}),
      onStatus: setStatus,
      poll: async (signal) => {
        if (!cursor) {
          // The versions the card shows are no change.
          const record = queryClient.getQueryState<RecordRead>(fhirKeys.record(patientId));
          const tasks = queryClient.getQueryData<PagedList<Resource>>(fhirKeys.tasks(patientId));
          cursor = initialCursor(record?.dataUpdatedAt || Date.now(), [...(record?.data?.resources ?? []), ...(tasks?.items ?? [])]);
        }
        const round = await getChanges(fhir, patientId, cursor, scopes, signal);
        cursor = round.cursor;
        return round.changed;
      },
      onChange: () => {
        if (somethingOpen(store.getState()) || focusOnCard()) {
          if (!held.current) {
            held.current = true;
            setHeldSince(Date.now());
          }
          return;
        }
        refresh();
      },
    });
    return live.start();
  }, [source, patientId, scopes, fhir, queryClient, store, refresh]);

  // A waiting change is applied once the dialog or the Why panel is closed and the focus has left the card.
  useEffect(() => {
    const check = () => {
      if (held.current && !somethingOpen(store.getState()) && !focusOnCard()) refresh();
    };
    const unsubscribe = store.subscribe(check);
    document.addEventListener('focusin', check);
    window.addEventListener('blur', check);
    return () => {
      unsubscribe();
      document.removeEventListener('focusin', check);
      window.removeEventListener('blur', check);
    };
  }, [store, refresh]);

  const value = useMemo<LiveView>(() => ({ status, heldSince, applyHeld: refresh }), [status, heldSince, refresh]);
  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>;
}
