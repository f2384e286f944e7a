/**
 * Where undelivered audit events wait: sessionStorage, one key per launch (never localStorage:
 * events name a patient, and sessionStorage dies with the tab). Tokens are never stored here.
 */
import { z } from 'zod';
import { auditEventInputSchema, type AuditEventInput } from '../shared/audit-event.ts';

/** The outbox's persisted state. */
export interface OutboxState {
  /** Waiting for delivery, oldest first. */
  pending: AuditEventInput[];
  /** Refused by the server for good (400/403/409): kept for diagnosis, never resent. */
  rejected: Array<{ event: AuditEventInput; status: number; error: string }>;
}

/** Persistence for the outbox. `save` must be synchronous-durable enough to survive a reload. */
export interface OutboxStorage {
  load(): OutboxState;
  save(state: OutboxState): void;
}

const stateSchema = z.object({
  pending: z.array(z.unknown()),
  rejected: z.array(z.unknown()).default([]),
});
const rejectedSchema = z.object({ event: auditEventInputSchema, status: z.number(), error: z.string() });

/** The sessionStorage key of a launch's outbox. */
export function outboxKey(launchKey: string): string {
  return `careloop.audit-outbox.v1.${launchKey}`;
}

/**
 * An outbox in sessionStorage under one key per launch (e.g. the launch's `state`), so two
 * launches in one tab never mix their events. Entries that no longer parse are dropped on load.
 *
 * @example
 * const storage = sessionOutboxStorage(launchState);
 */
export function sessionOutboxStorage(launchKey: string, storage: Storage = sessionStorage): OutboxStorage {
  const key = outboxKey(launchKey);
  return {
    load() {
      const raw = storage.getItem(key);
      if (!raw) return { pending: [], rejected: [] };
      try {
        const parsed = stateSchema.parse(JSON.parse(raw));
        return {
          pending: parsed.pending.flatMap((e) => {
            const r = auditEventInputSchema.safeParse(e);
            return r.success ? [r.data] : [];
          }),
          rejected: parsed.rejected.flatMap((e) => {
            const r = rejectedSchema.safeParse(e);
            return r.success ? [r.data] : [];
          }),
        };
      } catch {
        return { pending: [], rejected: [] };
      }
    },
    save(state) {
      if (state.pending.length === 0 && state.rejected.length === 0) storage.removeItem(key);
      else storage.setItem(key, JSON.stringify(state));
    },
  };
}

/** An outbox that lives only as long as the page (tests, or when storage is unavailable). */
export function memoryOutboxStorage(initial: OutboxState = { pending: [], rejected: [] }): OutboxStorage & { state: OutboxState } {
  const box = {
    state: structuredClone(initial),
    load: () => structuredClone(box.state),
    save: (state: OutboxState) => {
      box.state = structuredClone(state);
    },
  };
  return box;
}
