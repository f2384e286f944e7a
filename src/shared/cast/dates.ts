/**
 * Date arithmetic for the synthetic cast, all in UTC and relative to a reference date passed in,
 * so the cast (and every test built on it) is the same on any day it runs.
 */

/** `YYYY-MM-DD` of a Date, in UTC. */
export function isoDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** Parses `YYYY-MM-DD` (or a full ISO instant) to a UTC midnight Date. */
export function parseReferenceDate(ref: string | Date): Date {
  const d = typeof ref === 'string' ? new Date(`${ref.slice(0, 10)}T00:00:00Z`) : new Date(Date.UTC(ref.getUTCFullYear(), ref.getUTCMonth(), ref.getUTCDate()));
  if (Number.isNaN(d.getTime())) throw new Error(`Invalid reference date: ${String(ref)}`);
  return d;
}

/** Shifts a date by whole years, months and days (negative = earlier). */
export function shift(ref: Date, { years = 0, months = 0, days = 0 }: { years?: number; months?: number; days?: number }): Date {
  const d = new Date(ref.getTime());
  d.setUTCFullYear(d.getUTCFullYear() + years, d.getUTCMonth() + months, d.getUTCDate() + days);
  return d;
}

/** An ISO instant at a fixed clock time on a shifted day, e.g. `2014-05-02T09:30:00Z`. */
export function instant(ref: Date, delta: { years?: number; months?: number; days?: number }, time = '09:30:00'): string {
  return `${isoDate(shift(ref, delta))}T${time}Z`;
}
