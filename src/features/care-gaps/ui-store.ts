import { createJSONStorage, persist, type StateStorage } from 'zustand/middleware';
import { storageAvailable } from '../../smart/storage-available';
import { createStore, type StoreApi } from 'zustand/vanilla';

/** The UI state's store when sessionStorage is denied: lives as long as the page. */
const pageMemoryValues = new Map<string, string>();
const pageMemory: StateStorage = {
  getItem: (name) => pageMemoryValues.get(name) ?? null,
  setItem: (name, value) => void pageMemoryValues.set(name, value),
  removeItem: (name) => void pageMemoryValues.delete(name),
};

/** A snooze or dismissal the clinician is filling in. */
export interface DeferDraft {
  rule: string;
  kind: 'snooze' | 'dismiss';
  /** A reason code (see defer-dialog.tsx). */
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

/** The last gap set aside, for the "Set aside until … — Undo" line (not kept across a reload). */
export interface SetAside {
  rule: string;
  title: string;
  decision: Exclude<LocalDecision, { kind: 'unsnoozed' }>;
  /** The decision's correlation id, which its Undo (`unsnoozed`) shares. */
  correlationId: string;
}

/**
 * UI and draft state of the care-gap panel: which gap is in focus, an open confirm, typed reasons.
 * Kept per patient and user in sessionStorage, so it survives a reload or relaunch for the same
 * patient and user in the same browser session and never appears for another patient.
 */
export interface CareGapUiState {
  focusRule: string | null;
  confirmRule: string | null;
  /** The rule whose Why panel is open: a new gap in focus starts with it closed. */
  whyRule: string | null;
  defer: DeferDraft | null;
  /** Snoozes, dismissals and undos made here, per rule (see LocalDecision). */
  decided: Record<string, LocalDecision>;
  setAside: SetAside | null;
  /** Correlation id of the decision in progress, per rule. */
  correlation: Record<string, string>;
  focus(rule: string): void;
  toggleWhy(rule: string): void;
  openConfirm(rule: string): void;
  closeConfirm(): void;
  startDefer(rule: string, kind: DeferDraft['kind'], defaults: Pick<DeferDraft, 'until'>): void;
  editDefer(patch: Partial<Omit<DeferDraft, 'rule' | 'kind'>>): void;
  closeDefer(): void;
  /** Records a snooze or dismissal here and shows it with Undo. */
  setAsideGap(entry: SetAside): void;
  /** Offers the rule again (Undo). */
  undoSetAside(rule: string): void;
  clearSetAside(): void;
  correlationFor(rule: string): string;
}

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
        defer: null,
        decided: {},
        setAside: null,
        correlation: {},
        focus: (rule) => set({ focusRule: rule, whyRule: null }),
        toggleWhy: (rule) => set((s) => ({ whyRule: s.whyRule === rule ? null : rule })),
        openConfirm: (rule) => set({ confirmRule: rule }),
        closeConfirm: () => set({ confirmRule: null }),
        startDefer: (rule, kind, defaults) => set({ defer: { rule, kind, reason: '', until: defaults.until } }),
        editDefer: (patch) => set((s) => (s.defer ? { defer: { ...s.defer, ...patch } } : {})),
        closeDefer: () => set({ defer: null }),
        setAsideGap: (entry) =>
          set((s) => ({
            defer: null,
            setAside: entry,
            decided: { ...s.decided, [entry.rule]: entry.decision },
            focusRule: s.focusRule === entry.rule ? null : s.focusRule,
            whyRule: null,
            // The next decision on this rule is a new one.
            correlation: Object.fromEntries(Object.entries(s.correlation).filter(([rule]) => rule !== entry.rule)),
          })),
        undoSetAside: (rule) =>
          set((s) => ({
            setAside: null,
            decided: { ...s.decided, [rule]: { kind: 'unsnoozed' } },
            focusRule: rule,
            whyRule: null,
          })),
        clearSetAside: () => set({ setAside: null }),
        correlationFor: (rule) => {
          const known = get().correlation[rule];
          if (known) return known;
          const id = newId();
          set((s) => ({ correlation: { ...s.correlation, [rule]: id } }));
          return id;
        },
      }),
      {
        name: key,
        // sessionStorage, or page memory where the browser denies the EHR's iframe its storage.
        storage: createJSONStorage(() => (storageAvailable() ? sessionStorage : pageMemory)),
        // The Why panel's open state is not kept: a relaunch shows every gap with it closed.
        partialize: (s) => ({ focusRule: s.focusRule, confirmRule: s.confirmRule, defer: s.defer, decided: s.decided, correlation: s.correlation }),
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
