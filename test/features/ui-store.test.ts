/**
 * The card's UI state (focus, open dialogs, decisions made here) is kept per patient and user in
 * sessionStorage; where the browser denies the EHR's iframe its storage, in page memory instead,
 * quietly (no warning on every update).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { careGapUiStore, resetCareGapUiStores } from '../../src/features/care-gaps/ui-store';
import { denyBrowserStorage } from '../support/deny-storage';

afterEach(() => {
  resetCareGapUiStores();
  vi.restoreAllMocks();
});

describe('the care-gap UI store', () => {
  it('keeps decisions in sessionStorage, so a relaunch for the same patient and user finds them', () => {
    careGapUiStore('ada', 'Practitioner/blackwell').getState().setAsideGap({ rule: 'colorectal-cancer-screening', title: 'Colorectal cancer screening', decision: { kind: 'snoozed', reason: 'next-visit', until: '2026-12-23' }, correlationId: 'c1' });
    resetCareGapUiStores();
    expect(careGapUiStore('ada', 'Practitioner/blackwell').getState().decided['colorectal-cancer-screening']).toMatchObject({ kind: 'snoozed', until: '2026-12-23' });
  });

  it('works from page memory, without a warning per update, where the browser denies the iframe its storage', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const restore = denyBrowserStorage();
    try {
      const store = careGapUiStore('grace', 'Practitioner/blackwell');
      store.getState().openConfirm('cervical-cancer-screening');
      store.getState().setAsideGap({ rule: 'cervical-cancer-screening', title: 'Cervical cancer screening', decision: { kind: 'dismissed', reason: 'done-elsewhere' }, correlationId: 'c2' });
      expect(store.getState().decided['cervical-cancer-screening']).toMatchObject({ kind: 'dismissed' });
      expect(warn).not.toHaveBeenCalled();
    } finally {
      restore();
    }
  });
});
