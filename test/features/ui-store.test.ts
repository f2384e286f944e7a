/**
 * The card's UI state (focus, open dialogs, decisions made here) is kept per patient and user in
 * sessionStorage; where the browser denies the EHR's iframe its storage, in page memory instead,
 * quietly (no warning on every update).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { careGapUiStore, panelSelectors, resetCareGapUiStores, uiStoreKey } from '../../src/features/care-gaps/ui-store.ts';
import type { ConfirmOutcome } from '../../src/features/care-gaps/use-confirm.ts';
import type { PackResult } from '../../src/rules/index.ts';
import { denyBrowserStorage } from '../support/deny-storage.ts';

afterEach(() => {
  resetCareGapUiStores();
  vi.restoreAllMocks();
});

describe('the care-gap UI store', () => {
  it('keeps decisions in sessionStorage, so a relaunch for the same patient and user finds them', () => {
    careGapUiStore('ada', 'Practitioner/blackwell').getState().decide({ rule: 'colorectal-cancer-screening', title: 'Colorectal cancer screening', decision: { kind: 'snoozed', reason: 'next-visit', until: '2026-12-23' }, correlationId: 'c1' });
    resetCareGapUiStores();
    expect(careGapUiStore('ada', 'Practitioner/blackwell').getState().decided['colorectal-cancer-screening']).toMatchObject({ kind: 'snoozed', until: '2026-12-23' });
  });

  it('works from page memory, without a warning per update, where the browser denies the iframe its storage', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const restore = denyBrowserStorage();
    try {
      const store = careGapUiStore('grace', 'Practitioner/blackwell');
      store.getState().openConfirm('cervical-cancer-screening');
      store.getState().decide({ rule: 'cervical-cancer-screening', title: 'Cervical cancer screening', decision: { kind: 'dismissed', reason: 'done-elsewhere' }, correlationId: 'c2' });
      expect(store.getState().decided['cervical-cancer-screening']).toMatchObject({ kind: 'dismissed' });
      expect(warn).not.toHaveBeenCalled();
    } finally {
      restore();
    }
  });

  it('holds the page’s own state too (written, announced, focus to move), and never keeps it in sessionStorage', () => {
    const store = careGapUiStore('ada', 'Practitioner/blackwell');
    const outcome = { write: { kind: 'written', reference: 'Task/t1/_history/1', created: true }, closed: null } as unknown as ConfirmOutcome;
    store.getState().wrote({ outcome, action: { resourceType: 'Task', code: { system: 'http://snomed.info/sct', code: '1' }, text: 'Order', reason: 'Due' } as never });
    store.getState().sawResult({ results: [] } as unknown as PackResult, 'Chart updated at 10:40. New gap: Flu.');
    store.getState().toggleExcluded();
    expect(panelSelectors.written(store.getState())?.outcome).toBe(outcome);
    expect(panelSelectors.focusRequest(store.getState())).toBe('result');
    expect(panelSelectors.announcement(store.getState())).toBe('Chart updated at 10:40. New gap: Flu.');
    expect(panelSelectors.showExcluded(store.getState())).toBe(true);
    const kept = sessionStorage.getItem(uiStoreKey('ada', 'Practitioner/blackwell')) ?? '';
    for (const field of ['written', 'announcement', 'seenResult', 'showExcluded', 'focusRequest', 'shown', 'Task/t1']) expect(kept).not.toContain(field);
    resetCareGapUiStores();
    expect(careGapUiStore('ada', 'Practitioner/blackwell').getState()).toMatchObject({ written: null, announcement: '', focusRequest: null, showExcluded: false });
  });

  it('marks a decision’s card as shown once, so card-shown is recorded once per decision', () => {
    const store = careGapUiStore('ada', 'Practitioner/blackwell');
    expect(store.getState().markShown('c1')).toBe(true);
    expect(store.getState().markShown('c1')).toBe(false);
    expect(store.getState().markShown('c2')).toBe(true);
  });

  it('asks for the focus on the card after a gap is snoozed or dismissed or brought back, until the panel has moved it', () => {
    const store = careGapUiStore('ada', 'Practitioner/blackwell');
    store.getState().decide({ rule: 'colorectal-cancer-screening', title: 'Colorectal cancer screening', decision: { kind: 'dismissed', reason: 'done-elsewhere' }, correlationId: 'c1' });
    expect(panelSelectors.focusRequest(store.getState())).toBe('card');
    store.getState().focusMoved();
    expect(panelSelectors.focusRequest(store.getState())).toBeNull();
    store.getState().undoDecision('colorectal-cancer-screening');
    expect(store.getState()).toMatchObject({ focusRequest: 'card', focusRule: 'colorectal-cancer-screening', lastDecided: null });
  });

  it("mints a rule's correlation id once, on first use, and gives the same one after", () => {
    let n = 0;
    const store = careGapUiStore('ada', 'Practitioner/blackwell', () => `minted-${++n}`);
    expect(store.getState().correlation['colorectal-cancer-screening']).toBeUndefined();
    expect(store.getState().correlationFor('colorectal-cancer-screening')).toBe('minted-1');
    expect(store.getState().correlationFor('colorectal-cancer-screening')).toBe('minted-1');
    expect(store.getState().correlationFor('breast-cancer-screening')).toBe('minted-2');
  });
});
