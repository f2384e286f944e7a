/** Snooze and dismiss reasons: their own module, so the card can name a reason without loading the dialog. */

/**
 * Override reasons in the style of CDS Hooks' `overrideReasons`: coded, so the audit trail stores a
 * code and never free text (which could carry PHI).
 */
export const DISMISS_REASONS = [
  { code: 'patient-declined', display: 'Patient declined' },
  { code: 'done-elsewhere', display: 'Already done elsewhere' },
  { code: 'not-appropriate', display: 'Not clinically appropriate for this patient' },
  { code: 'specialist-care', display: 'Patient is under a specialist’s care for this' },
  { code: 'other', display: 'Other reason' },
] as const;

export const SNOOZE_REASONS = [
  { code: 'next-visit', display: 'Address at the next visit' },
  { code: 'awaiting-results', display: 'Waiting for results' },
  { code: 'patient-later', display: 'Patient asked to discuss later' },
  { code: 'other', display: 'Other reason' },
] as const;

/**
 * The words for a reason code (codes read back from the audit trail included). A code Careloop does
 * not know is shown as "Other reason", never as it was stored: the trail holds codes, and a
 * code-shaped string can still carry a name.
 */
export function reasonLabel(code: string): string {
  return [...DISMISS_REASONS, ...SNOOZE_REASONS].find((r) => r.code === code)?.display ?? 'Other reason';
}
