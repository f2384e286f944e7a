import { createJSONStorage, persist } from 'zustand/middleware';
import { createStore, type StoreApi } from 'zustand/vanilla';

/** A snooze or dismissal the clinician is filling in. */
export interface DeferDraft {
  rule: string;
  kind: 'snooze' | 'dismiss';
  /** A reason code (see defer-dialog.tsx). */
  reason: string;
  until: string;
}

/**
 * UI and draft state of the care-gap panel: which gap is in focus, an open confirm, typed reasons.
 * Kept per patient and user in sessionStorage, so it survives a reload or relaunch for the same
 * patient and user in the same browser session and never appears for another patient.
 */
export interface CareGapUiState {
  focusRule: string | null;
  confirmRule: string | null;
  whyOpen: boolean;
  defer: DeferDraft | null;
  /** Correlation id of the decision in progress, per rule. */
  correlation: Record<string, string>;
  focus(rule: string): void;
  toggleWhy(): void;
  openConfirm(rule: string): void;
  closeConfirm(): void;
  startDefer(rule: string, kind: DeferDraft['kind'], defaults: Pick<DeferDraft, 'until'>): void;
  editDefer(patch: Partial<Omit<DeferDraft, 'rule' | 'kind'>>): void;
  closeDefer(): void;
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
        whyOpen: false,
        defer: null,
        correlation: {},
        focus: (rule) => set({ focusRule: rule, whyOpen: false }),
        toggleWhy: () => set((s) => ({ whyOpen: !s.whyOpen })),
        openConfirm: (rule) => set({ confirmRule: rule }),
        closeConfirm: () => set({ confirmRule: null }),
        startDefer: (rule, kind, defaults) => set({ defer: { rule, kind, reason: '', until: defaults.until } }),
        editDefer: (patch) => set((s) => (s.defer ? { defer: { ...s.defer, ...patch } } : {})),
        closeDefer: () => set({ defer: null }),
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
        storage: createJSONStorage(() => sessionStorage),
        partialize: (s) => ({ focusRule: s.focusRule, confirmRule: s.confirmRule, whyOpen: s.whyOpen, defer: s.defer, correlation: s.correlation }),
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
