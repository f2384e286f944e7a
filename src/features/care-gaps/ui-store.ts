import { createJSONStorage, persist, type StateStorage } from 'zustand/middleware';
import { storageAvailable } from '../../smart/storage-available.ts';
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { PackResult } from '../../rules/index.ts';
import type { OpenGap } from '../../writeback/builders.ts';
import type { ConfirmOutcome } from './use-confirm.ts';

/** The UI state's store when sessionStorage is denied: lives as long as the page. */
const pageMemoryValues = new Map<string, string>();
const pageMemory: StateStorage = {
  getItem: (name) => pageMemoryValues.get(name) ?? null,
  setItem: (name, value) => void pageMemoryValues.set(name, value),
  removeItem: (name) => void pageMemoryValues.delete(name),
};

/** A snooze or dismissal the clinician is filling in. */
export interface SnoozeDraft {
  rule: string;
  kind: 'snooze' | 'dismiss';
  /** A reason code (see snooze-dialog.tsx). */
  reason: string;
  until: string;
}

/**
 * A snooze, dismissal or undo made in this browser session. It overrides what the audit trail said
 * for that rule at launch, at once and until the next launch reads the trail again: the card never
 * waits for the audit outbox to deliver (which it does, durably, in the background).
 */
export type LocalDecision =
  | { kind: 'snoozed'; reason: string; until: string }
  | { kind: 'dismissed'; reason: string }
  /** Undo: the rule is offered again, whatever the trail said. */
  | { kind: 'unsnoozed' };

/** The last gap snoozed or dismissed, for the "… snoozed until … — Undo" line (not kept across a reload). */
export interface LastDecided {
  rule: string;
  title: string;
  decision: Exclude<LocalDecision, { kind: 'unsnoozed' }>;
  /** The decision's correlation id, which its Undo (`unsnoozed`) shares. */
  correlationId: string;
}

/** Where the keyboard focus goes after the render that follows an action (a closing dialog would drop it on <body>). */
export type FocusRequest = 'card' | 'result' | 'last-decided';

/** The last confirm that wrote to the EHR, for the "Saved to the EHR" line. */
export interface Written {
  outcome: ConfirmOutcome;
  action: OpenGap['action'];
}

/**
 * The care-gap panel's state, all of it in one store (read through selectors): which gap is in
 * focus, an open confirm, typed reasons, decisions made here, and the page's own state (what was
 * written, what to announce, where focus goes next). The decision and draft state is kept per
 * patient and user in sessionStorage, so it survives a reload or relaunch for the same patient and
 * user in the same browser session and never appears for another patient; the page's own state
 * is not kept (see `partialize`).
 */
export interface CareGapUiState {
  focusRule: string | null;
  confirmRule: string | null;
  /** The rule whose Why panel is open: a new gap in focus starts with it closed. */
  whyRule: string | null;
  snoozeDraft: SnoozeDraft | null;
  /** Snoozes, dismissals and undos made here, per rule (see LocalDecision). */
  decided: Record<string, LocalDecision>;
  lastDecided: LastDecided | null;
  /** Correlation id of the decision in progress, per rule. */
  correlation: Record<string, string>;
  focus(rule: string): void;
  toggleWhy(rule: string): void;
  openConfirm(rule: string): void;
  closeConfirm(): void;
  startSnooze(rule: string, kind: SnoozeDraft['kind'], defaults: Pick<SnoozeDraft, 'until'>): void;
  editSnooze(patch: Partial<Omit<SnoozeDraft, 'rule' | 'kind'>>): void;
  closeSnooze(): void;
  /** Records a snooze or dismissal here and shows it with Undo. */
  decide(entry: LastDecided): void;
  /** Offers the rule again (Undo). */
  undoDecision(rule: string): void;
  clearLastDecided(): void;
  correlationFor(rule: string): string;

  // The page's own state: not kept across a reload.
  /** The last change of the chart, in words, for the polite live region ('' until there is one). */
  announcement: string;
  /** The rule pack's result the panel last showed, to word what a re-read changed. */
  seenResult: PackResult | null;
  /** The last confirm that wrote, until its line is closed. */
  written: Written | null;
  /** Whether the "What is not shown" list is open. */
  showExcluded: boolean;
  focusRequest: FocusRequest | null;
  /** The decisions whose card was shown (by correlation id): `card-shown` is recorded once per decision. */
  shown: Record<string, true>;
  /** The panel showed `result`; `announcement` says what changed since the last one (null: nothing to say). */
  sawResult(result: PackResult, announcement: string | null): void;
  /** A confirm wrote to the EHR: shows the result and moves the focus to it. */
  wrote(entry: Written): void;
  closeWritten(): void;
  toggleExcluded(): void;
  /** The focus request was carried out. */
  focusMoved(): void;
  /** Marks the decision's card as shown; true the first time only. */
  markShown(correlationId: string): boolean;
}

/** Selectors: what the panel reads from the store, each a plain function of the state. */
export const panelSelectors = {
  decided: (s: CareGapUiState) => s.decided,
  focusRule: (s: CareGapUiState) => s.focusRule,
  confirmRule: (s: CareGapUiState) => s.confirmRule,
  whyRule: (s: CareGapUiState) => s.whyRule,
  snoozeDraft: (s: CareGapUiState) => s.snoozeDraft,
  lastDecided: (s: CareGapUiState) => s.lastDecided,
  announcement: (s: CareGapUiState) => s.announcement,
  written: (s: CareGapUiState) => s.written,
  showExcluded: (s: CareGapUiState) => s.showExcluded,
  focusRequest: (s: CareGapUiState) => s.focusRequest,
} as const;

export function uiStoreKey(patientId: string, user: string | null): string {
  return `careloop:ui:${patientId}:${user ?? 'unknown-user'}`;
}

const stores = new Map<string, StoreApi<CareGapUiState>>();

/** The store for one patient and user (created once per key). */
export function careGapUiStore(patientId: string, user: string | null, newId: () => string = () => crypto.randomUUID()): StoreApi<CareGapUiState> {
  const key = uiStoreKey(patientId, user);
  const existing = stores.get(key);
  if (existing) return existing;
  const store = createStore<CareGapUiState>()(
    persist(
      (set, get) => ({
        focusRule: null,
        confirmRule: null,
        whyRule: null,
        snoozeDraft: null,
        decided: {},
        lastDecided: null,
        correlation: {},
        focus: (rule) => set({ focusRule: rule, whyRule: null }),
        toggleWhy: (rule) => set((s) => ({ whyRule: s.whyRule === rule ? null : rule })),
        openConfirm: (rule) => set({ confirmRule: rule }),
        closeConfirm: () => set({ confirmRule: null }),
        startSnooze: (rule, kind, defaults) => set({ snoozeDraft: { rule, kind, reason: '', until: defaults.until } }),
        editSnooze: (patch) => set((s) => (s.snoozeDraft ? { snoozeDraft: { ...s.snoozeDraft, ...patch } } : {})),
        closeSnooze: () => set({ snoozeDraft: null }),
        decide: (entry) =>
          set((s) => ({
            focusRequest: 'card',
            snoozeDraft: null,
            lastDecided: entry,
            decided: { ...s.decided, [entry.rule]: entry.decision },
            focusRule: s.focusRule === entry.rule ? null : s.focusRule,
            whyRule: null,
            // The next decision on this rule is a new one.
            correlation: Object.fromEntries(Object.entries(s.correlation).filter(([rule]) => rule !== entry.rule)),
          })),
        undoDecision: (rule) =>
          set((s) => ({
            focusRequest: 'card',
            lastDecided: null,
            decided: { ...s.decided, [rule]: { kind: 'unsnoozed' } },
            focusRule: rule,
            whyRule: null,
          })),
        clearLastDecided: () => set({ lastDecided: null }),
        correlationFor: (rule) => {
          const known = get().correlation[rule];
          if (known) return known;
          const id = newId();
          set((s) => ({ correlation: { ...s.correlation, [rule]: id } }));
          return id;
        },
        announcement: '',
        seenResult: null,
        written: null,
        showExcluded: false,
        focusRequest: null,
        shown: {},
        sawResult: (result, announcement) => set(announcement === null ? { seenResult: result } : { seenResult: result, announcement }),
        wrote: (entry) => set({ written: entry, focusRequest: 'result' }),
        closeWritten: () => set({ written: null }),
        toggleExcluded: () => set((s) => ({ showExcluded: !s.showExcluded })),
        focusMoved: () => set({ focusRequest: null }),
        markShown: (correlationId) => {
          if (get().shown[correlationId]) return false;
          set((s) => ({ shown: { ...s.shown, [correlationId]: true } }));
          return true;
        },
      }),
      {
        name: key,
        // sessionStorage, or page memory where the browser denies the EHR's iframe its storage.
        storage: createJSONStorage(() => (storageAvailable() ? sessionStorage : pageMemory)),
        // The Why panel's open state is not kept (a relaunch shows every gap with it closed), nor is
        // the page's own state: what was written, announced or shown is this page's.
        partialize: (s) => ({ focusRule: s.focusRule, confirmRule: s.confirmRule, snoozeDraft: s.snoozeDraft, decided: s.decided, correlation: s.correlation }),
      },
    ),
  );
  stores.set(key, store);
  return store;
}

/** Forget in-memory stores (tests; sessionStorage stays the source). */
export function resetCareGapUiStores(): void {
  stores.clear();
}
