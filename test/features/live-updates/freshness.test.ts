/**
 * The card's "as of" says how fresh it is, and a re-read says in words what changed for the
 * clinician (only gaps that opened or closed; nothing when nothing they see changed).
 */
import { describe, expect, it } from 'vitest';
import { changeWords, freshnessLabel } from '../../../src/features/care-gaps/care-gap-panel.tsx';
import type { LiveView } from '../../../src/features/live-updates/live-updates-provider.tsx';
import type { PackResult } from '../../../src/rules/index.ts';

const at = (hhmm: string) => new Date(`2026-11-23T${hhmm}:00`).getTime();
const view = (status: LiveView['status']): LiveView => ({ status, heldSince: null, applyHeld: () => undefined });

describe('freshnessLabel', () => {
  it.each([
    ['no live chart', null, '10:40'],
    ['starting', view({ kind: 'starting' }), '10:40'],
    ['channel open', view({ kind: 'live', since: at('10:41') }), '10:40 · updates live'],
    ['polling, checked since the read', view({ kind: 'polling', reason: 'channel-down', checkedAt: at('10:47'), failing: false }), '10:40 · last checked 10:47'],
    ['polling, not yet checked', view({ kind: 'polling', reason: 'no-channel', checkedAt: null, failing: false }), '10:40 · last checked 10:40'],
    ['polling failing', view({ kind: 'polling', reason: 'channel-down', checkedAt: at('10:45'), failing: true }), '10:40 · could not check since 10:45'],
  ])('%s', (_name, live, label) => {
    expect(freshnessLabel(at('10:40'), live)).toBe(label);
  });
});

describe('changeWords', () => {
  const pack = (statuses: Record<string, string>) => ({ results: Object.entries(statuses).map(([rule, status]) => ({ rule, status, title: rule.toUpperCase() })) }) as unknown as PackResult;
  it('names gaps that closed and gaps that opened', () => {
    expect(changeWords(pack({ crc: 'overdue', flu: 'satisfied', bp: 'due' }), pack({ crc: 'satisfied', flu: 'due', bp: 'due' }))).toBe('Gap closed: CRC. New gap: FLU');
    expect(changeWords(pack({ a: 'due', b: 'overdue' }), pack({ a: 'excluded', b: 'not-applicable' }))).toBe('Gaps closed: A; B');
  });
  it('says nothing when no gap opened or closed', () => {
    expect(changeWords(pack({ crc: 'due' }), pack({ crc: 'overdue' }))).toBe('');
  });
});
