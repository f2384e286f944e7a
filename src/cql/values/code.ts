/**
 * CQL's terminology values: `Code` and `Concept` (CQL 1.5 §2.9 and §9.11). Equality compares every
 * field that is present; equivalence compares code and system only (a Concept is equivalent to another
 * when any of their codes are).
 */

/** System.Code. */
export class CqlCode {
  constructor(
    readonly code: string,
    readonly system: string | null,
    readonly version: string | null = null,
    readonly display: string | null = null,
  ) {}
}

/** System.Concept: codes that mean the same thing. */
export class CqlConcept {
  constructor(
    readonly codes: readonly CqlCode[],
    readonly display: string | null = null,
  ) {}
}

/** Code equivalence: same code and same system (versions and displays ignored). */
export function codesEquivalent(a: CqlCode, b: CqlCode): boolean {
  return a.code === b.code && a.system === b.system;
}

/** Code equality: code, system, version and display, null propagating (CQL 1.5 Equal on Code). */
export function codesEqual(a: CqlCode, b: CqlCode): boolean | null {
  return a.code === b.code && a.system === b.system && a.version === b.version && a.display === b.display;
}
