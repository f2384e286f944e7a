import type { ReactNode } from 'react';

const DAY = /(\d{4}-\d{2}-\d{2})/;

/**
 * Text with every `YYYY-MM-DD` kept on one line: a narrow sidebar would otherwise break a date at
 * its hyphens ("2026-" / "10-01"). The text is unchanged; only the line breaking is.
 */
export function keepDates(text: string): ReactNode {
  const parts = text.split(DAY);
  if (parts.length === 1) return text;
  return parts.map((part, i) =>
    i % 2 === 1 ? (
      <span key={i} style={{ whiteSpace: 'nowrap' }}>
        {part}
      </span>
    ) : (
      part
    ),
  );
}
