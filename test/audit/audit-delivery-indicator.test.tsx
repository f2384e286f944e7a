import { act, render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { AuditDeliveryStatus } from '../../src/audit/audit-client.ts';
import { AuditDeliveryIndicator, type AuditStatusSource } from '../../src/features/audit/audit-delivery-indicator.tsx';

function fakeSource(initial: AuditDeliveryStatus) {
  let status = initial;
  const listeners = new Set<() => void>();
  const source: AuditStatusSource & { set(next: Partial<AuditDeliveryStatus>): void } = {
    getStatus: () => status,
    subscribe(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    set(next) {
      status = { ...status, ...next };
      for (const l of listeners) l();
    },
  };
  return source;
}

const healthy: AuditDeliveryStatus = { pending: 0, rejected: 0, failures: 0, lastError: null, nextAttemptAt: null, behind: false };

describe('the audit delivery indicator', () => {
  it('shows nothing while delivery keeps up', () => {
    render(<AuditDeliveryIndicator source={fakeSource({ ...healthy, pending: 2 })} />);
    expect(screen.queryByRole('status', { name: 'Audit delivery is behind' })).not.toBeInTheDocument();
  });

  it('says delivery is behind while events wait and delivery fails, and goes away when it recovers', () => {
    const source = fakeSource(healthy);
    render(<AuditDeliveryIndicator source={source} />);
    act(() => source.set({ pending: 3, failures: 2, lastError: 'network', behind: true }));
    expect(screen.getByRole('status', { name: 'Audit delivery is behind' })).toHaveTextContent('3 events waiting');
    act(() => source.set({ pending: 0, failures: 0, lastError: null, behind: false }));
    expect(screen.queryByRole('status', { name: 'Audit delivery is behind' })).not.toBeInTheDocument();
  });
});
