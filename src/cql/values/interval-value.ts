/**
 * The CqlInterval value class, alone in a module without imports (see values/interval.ts for why);
 * import it from values/interval.ts.
 */

/** The point types an interval may have (CQL 1.5 §19: any ordered type with successor and predecessor). */
export type PointType = 'Integer' | 'Long' | 'Decimal' | 'Quantity' | 'Date' | 'DateTime' | 'Time';

/** System.Interval<T>. */
export class CqlInterval {
  /**
   * The point type, when the compiler knows it (from the ELM) or the value was built from typed
   * parts. Integers and Decimals are both JavaScript numbers, so `Interval[1.0, 2.0)` needs it to
   * take the Decimal predecessor of 2.0; without it a whole number is taken as an Integer.
   */
  readonly pointType: PointType | undefined;

  constructor(
    readonly low: unknown,
    readonly high: unknown,
    readonly lowClosed: boolean,
    readonly highClosed: boolean,
    pointType?: PointType,
  ) {
    this.pointType = pointType;
  }
}
