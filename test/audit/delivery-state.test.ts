/**
 * The audit client's delivery state, one action at a time: the reducer is pure, so each step of
 * delivery (record, schedule, fail, acknowledge, refuse …) is checked without a server or a clock.
 */
import { describe, expect, it } from 'vitest';
import { backoffCap, deliveryReducer, initialDeliveryState, nextBatch, type DeliveryState } from '../../src/audit/delivery-state.ts';
import type { AuditEventInput } from '../../src/shared/audit-event.ts';

const event = (n: number): AuditEventInput => ({
  id: `00000000-0000-4000-8000-00000000000${n}`,
  clientTime: '2026-06-01T09:00:00.000Z',
  patient: 'ada',
  action: 'card-shown',
  appVersion: '0.1.0',
});

function withPending(n: number, overrides: Partial<Omit<DeliveryState, 'status' | 'outbox'>> = {}): DeliveryState {
  const base = initialDeliveryState({ pending: Array.from({ length: n }, (_, i) => event(i + 1)), rejected: [] }, true);
  return { ...base, ...overrides };
}

describe('the delivery reducer', () => {
  it('starts from the outbox an earlier page left, not behind while online', () => {
    const state = initialDeliveryState({ pending: [event(1)], rejected: [] }, true);
    expect(state.status).toEqual({ pending: 1, rejected: 0, failures: 0, lastError: null, nextAttemptAt: null, behind: false });
    expect(initialDeliveryState({ pending: [event(1)], rejected: [] }, false).status.behind).toBe(true);
  });

  it('recorded: appends the event to the pending events, oldest first, and notes connectivity', () => {
    const state = deliveryReducer(withPending(1), { type: 'recorded', event: event(2), online: false });
    expect(state.outbox.pending.map((e) => e.id)).toEqual([event(1).id, event(2).id]);
    expect(state.status).toMatchObject({ pending: 2, behind: true });
  });

  it('scheduled: sets when the next attempt is due', () => {
    expect(deliveryReducer(withPending(1), { type: 'scheduled', at: 5000 }).status.nextAttemptAt).toBe(5000);
  });

  it('due: clears the time of the attempt now starting', () => {
    const scheduled = deliveryReducer(withPending(1), { type: 'scheduled', at: 5000 });
    expect(deliveryReducer(scheduled, { type: 'due' }).nextAttemptAt).toBeNull();
  });

  it('offline: records the reason and counts as behind while events wait', () => {
    const state = deliveryReducer(withPending(1), { type: 'offline' });
    expect(state.status).toMatchObject({ lastError: 'offline', behind: true, failures: 0 });
  });

  it('online: resets the failures, so the retry is immediate rather than backed off', () => {
    const state = deliveryReducer(withPending(1, { failures: 4, online: false, lastError: 'offline' }), { type: 'online' });
    expect(state).toMatchObject({ failures: 0, online: true });
    expect(state.status.behind).toBe(false);
  });

  it('failed: counts the failure, keeps the events, and schedules the retry', () => {
    const state = deliveryReducer(deliveryReducer(withPending(2), { type: 'failed', error: 'network', retryAt: 100 }), { type: 'failed', error: 'http-503', retryAt: 300 });
    expect(state.status).toEqual({ pending: 2, rejected: 0, failures: 2, lastError: 'http-503', nextAttemptAt: 300, behind: true });
  });

  it('acknowledged: removes only the acknowledged events and clears the failures', () => {
    const failing = withPending(3, { failures: 2, lastError: 'network' });
    const state = deliveryReducer(failing, { type: 'acknowledged', ids: [event(1).id, event(3).id] });
    expect(state.outbox.pending.map((e) => e.id)).toEqual([event(2).id]);
    expect(state.status).toMatchObject({ pending: 1, failures: 0, lastError: null, behind: false });
  });

  it('acknowledged: counts down the events to send one at a time', () => {
    expect(deliveryReducer(withPending(3, { oneByOne: 3 }), { type: 'acknowledged', ids: [event(1).id] }).oneByOne).toBe(2);
  });

  it('batch-refused: sends the next events one at a time, and nothing leaves the outbox', () => {
    const state = deliveryReducer(withPending(3), { type: 'batch-refused', size: 3 });
    expect(state.oneByOne).toBe(3);
    expect(state.outbox.pending).toHaveLength(3);
    expect(nextBatch(state, 50)).toEqual([event(1)]);
    expect(nextBatch(withPending(3), 2)).toEqual([event(1), event(2)]);
  });

  it('rejected: sets the refused event aside with its status, never to be resent', () => {
    const state = deliveryReducer(withPending(2, { oneByOne: 2 }), { type: 'rejected', id: event(1).id, status: 400 });
    expect(state.outbox.pending).toEqual([event(2)]);
    expect(state.outbox.rejected).toEqual([{ event: event(1), status: 400, error: 'http-400' }]);
    expect(state).toMatchObject({ oneByOne: 1, status: { pending: 1, rejected: 1 } });
  });

  it('rejected: keeps the last 100 refused events only, and ignores an event no longer pending', () => {
    const full = initialDeliveryState({ pending: [event(1)], rejected: Array.from({ length: 100 }, () => ({ event: event(9), status: 400, error: 'http-400' })) }, true);
    const state = deliveryReducer(full, { type: 'rejected', id: event(1).id, status: 409 });
    expect(state.outbox.rejected).toHaveLength(100);
    expect(state.outbox.rejected.at(-1)).toMatchObject({ status: 409 });
    expect(deliveryReducer(state, { type: 'rejected', id: event(1).id, status: 409 })).toBe(state);
  });

  it('keeps the same status object when an action changes nothing the status shows', () => {
    const state = withPending(2);
    expect(deliveryReducer(state, { type: 'batch-refused', size: 2 }).status).toBe(state.status);
    expect(deliveryReducer(state, { type: 'due' }).status).toBe(state.status);
  });

  it('never changes the state it is given', () => {
    const state = withPending(2);
    const before = structuredClone(state);
    deliveryReducer(state, { type: 'acknowledged', ids: [event(1).id] });
    deliveryReducer(state, { type: 'rejected', id: event(2).id, status: 400 });
    expect(state).toEqual(before);
  });
});

describe('the backoff cap', () => {
  it.each([
    [1, 1000],
    [2, 2000],
    [3, 4000],
    [7, 60_000],
    [100, 60_000],
  ])('after failure %i, waits at most %i ms', (failures, cap) => {
    expect(backoffCap(failures, { baseMs: 1000, maxMs: 60_000 })).toBe(cap);
  });
});
