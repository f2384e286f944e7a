/** Value set and code system references as run-time values (CQL 1.5 §2.9, §9.11 ValueSet, CodeSystem). */

/** A value set by canonical URL (what a ValueSetRef evaluates to). */
export class CqlValueSet {
  constructor(
    readonly id: string,
    readonly version: string | null,
  ) {}
}

/** A code system by URI (what a CodeSystemRef evaluates to). */
export class CqlCodeSystem {
  constructor(
    readonly id: string,
    readonly version: string | null,
  ) {}
}
