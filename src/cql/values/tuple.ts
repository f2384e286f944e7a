/** CQL tuples: named elements, compared element by element. */

/** A CQL Tuple value. The prototype-free record keeps element lookups simple and safe. */
export class CqlTuple {
  #names: readonly string[] | undefined;
  #key: string | undefined;

  /** `names`: the element names sorted, when the caller knows them (a Tuple selector's are fixed). */
  constructor(
    readonly elements: Readonly<Record<string, unknown>>,
    names?: readonly string[],
  ) {
    this.#names = names;
  }

  /** The equality key (values/list.ts `equalityKey`), kept once computed: a tuple never changes. */
  get equalityKey(): string | undefined {
    return this.#key;
  }

  set equalityKey(key: string | undefined) {
    this.#key = key;
  }

  /** The element names, sorted. */
  get sortedNames(): readonly string[] {
    return (this.#names ??= Object.keys(this.elements).sort());
  }
}
