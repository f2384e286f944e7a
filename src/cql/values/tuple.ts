/** CQL tuples: named elements, compared element by element. */

/** A CQL Tuple value. The prototype-free record keeps element lookups simple and safe. */
export class CqlTuple {
  constructor(readonly elements: Readonly<Record<string, unknown>>) {}
}
