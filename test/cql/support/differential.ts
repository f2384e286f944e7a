/**
 * The differential harness: the same ELM, the same patients, the same value sets and evaluation
 * time through Careloop's engine and the reference (cql-execution + cql-exec-fhir); every define of
 * every library compared in the comparable normal form.
 */
import { readFileSync } from 'node:fs';
import { CODE_SYSTEM_ALIASES, createFhirProgram, createTerminology, CqlCode, CqlDateTime, evaluateFhir } from '../../../src/cql/index.ts';
import type { ElmLibrary, Program } from '../../../src/cql/index.ts';
import { parseDateTime } from '../../../src/cql/values/datetime.ts';
import { measurementPeriod } from '../../../src/rules/measure-package.ts';
import { BUILT_IN_VALUE_SETS } from '../../../src/rules/valuesets.ts';
import { compare } from '../../../src/cql/values/equality.ts';
import { diffComparable, isEvaluationError } from './comparable.ts';
import type { Comparable } from './comparable.ts';
import { engineToComparable } from './engine.ts';
import { applyReferenceCorrections } from './reference-patches.ts';
import { runReference } from './reference.ts';
import type { ReferenceValueSets } from './reference.ts';

/** One disagreement between the engines. */
export interface Disagreement {
  readonly library: string;
  readonly patient: string;
  readonly define: string;
  readonly detail: string;
  /** Set when the engine's list holds the reference's elements in a different order, itself sorted by CQL's ordering. */
  readonly reordered?: boolean;
  /** Set when the only difference is a whole Decimal written `9.0` (engine) where the reference writes `9`. */
  readonly decimalText?: boolean;
  /** The patient's birth date as recorded, for divergences that depend on it. */
  readonly birthDate?: string;
}

/** The value's JSON with whole decimals in text (`9.0 %`) written as integers (`9 %`). */
function withoutPointZero(v: Comparable): string {
  return JSON.stringify(v).replace(/(\d)\.0(?!\d)/g, '$1');
}

/** Whether the list is in CQL order (ascending or descending; uncertain neighbours allowed). */
function inCqlOrder(list: readonly unknown[]): boolean {
  const ok = (sign: number): boolean => list.every((v, i) => i === 0 || (compare(list[i - 1], v) ?? 0) * sign <= 0);
  return ok(1) || ok(-1);
}

function sameElements(a: Comparable, b: Comparable): boolean {
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  const key = (x: Comparable): string => JSON.stringify(x);
  const sa = a.map(key).sort();
  const sb = b.map(key).sort();
  return sa.every((x, i) => x === sb[i]);
}

/** Reads ELM JSON files. */
export function readElm(paths: readonly string[]): ElmLibrary[] {
  return paths.map((p) => JSON.parse(readFileSync(p, 'utf8')) as ElmLibrary);
}

/**
 * The built-in value sets (starter subsets) for both engines. Careloop matches a code system under
 * any of its URIs (CODE_SYSTEM_ALIASES); the reference compares URIs as strings, so its expansions
 * list each code under every alias of its system — the same membership, stated for each engine.
 */
export function builtInValueSets(): { engine: Map<string, CqlCode[]>; reference: ReferenceValueSets } {
  const engine = new Map<string, CqlCode[]>();
  const reference: ReferenceValueSets = {};
  const aliasesOf = (system: string): readonly string[] => CODE_SYSTEM_ALIASES.find((a) => a.includes(system)) ?? [system];
  for (const [url, vs] of Object.entries(BUILT_IN_VALUE_SETS)) {
    engine.set(url, vs.codes.map((c) => new CqlCode(c.code, c.system, null, c.display ?? null)));
    reference[url] = { '': vs.codes.flatMap((c) => aliasesOf(c.system).map((system) => ({ code: c.code, system }))) };
  }
  return { engine, reference };
}

/**
 * Disagreements the specification does not settle, where Careloop deliberately differs from the
 * reference. Each is counted and reported, never silently dropped.
 */
export const KNOWN_DIVERGENCES: readonly { readonly id: string; readonly matches: (d: Disagreement) => boolean; readonly why: string }[] = [
  {
    id: 'non-ucum-display-unit',
    matches: (d) => /^reference error "Invalid UCUM unit/.test(d.detail),
    why:
      'A FHIR Quantity with no code falls back to its display unit (FHIRHelpers ToQuantity); when that text is not UCUM (e.g. "mmHg"), ' +
      'cql-execution throws while building the Quantity. CQL 1.5 (§1.4.6 Quantity, §2.5) defines no run-time check of units that come from data; ' +
      'Careloop keeps the Quantity and every comparison with it is null (not comparable), so the rule reports missing data instead of failing.',
  },
  {
    id: 'sort-with-null',
    matches: (d) => /^reference error "Cannot read properties of null \(reading 'isQuantity'\)"/.test(d.detail),
    why: 'Sorting a list that holds null: CQL 1.5 §5.2.5 sorts nulls first ascending (last descending); cql-execution crashes.',
  },
  {
    id: 'leap-day-age',
    matches: (d) => d.birthDate !== undefined && d.birthDate.endsWith('-02-29'),
    why:
      'Ages of someone born on 29 February: CQL 1.5 Appendix H ("Calculating Duration in Years/Months") counts whole periods, so ' +
      'born 1996-02-29 is 20 on 2017-02-28 (the HL7 Java engine agrees); cql-execution says 21. Counted for every value of such a patient.',
  },
  {
    id: 'decimal-to-string',
    matches: (d) => d.decimalText === true,
    why:
      'ToString of a whole Decimal: CQL 1.5 (Type Operators › ToString) formats a Decimal as (+|-)?#0.0#######, so 9.0 is "9.0"; ' +
      'cql-execution writes "9". Only text built from numbers differs (a reason such as "HbA1c 9.0 %").',
  },
  {
    id: 'sort-order',
    matches: (d) => d.reordered === true,
    why:
      'Sorting dates and times: CQL 1.5 §5.2.5 sorts by the type\'s ordering (instants compared across offsets); cql-execution compares ' +
      'DateTime objects with JavaScript\'s `<`, i.e. by their text. The engine\'s list holds the same elements, in CQL order.',
  },
];

/**
 * Runs `patients` through both engines for every library in `libraries` that has Patient-context
 * definitions (FHIRHelpers has none) and returns the disagreements.
 */
export async function compareEngines(opts: {
  readonly libraries: readonly ElmLibrary[];
  readonly patients: readonly Record<string, unknown>[][];
  readonly periodStart: string;
  readonly periodEnd: string;
  readonly executionDateTime: string;
  /**
   * `point-of-care` (default): the pack's "As Of" is the period's last day. `measure`: "As Of" is
   * null, as the pack's measure mode sets it, so the measure defines decide.
   */
  readonly mode?: 'point-of-care' | 'measure';
}): Promise<{ disagreements: Disagreement[]; comparisons: number }> {
  // The reference with its two documented sort and Flatten bugs corrected (reference-patches.ts).
  applyReferenceCorrections();
  const vs = builtInValueSets();
  const terminology = createTerminology(vs.engine);
  const now = parseDateTime(opts.executionDateTime, 0);
  if (!now) throw new Error('bad execution time');
  const period = measurementPeriod(opts.periodStart, opts.periodEnd, 0);
  const [ey, em, ed] = opts.periodEnd.split('-').map(Number) as [number, number, number];
  const asOf = new CqlDateTime([ey, em, ed], 0);
  const disagreements: Disagreement[] = [];
  let comparisons = 0;
  for (const elm of opts.libraries) {
    const name = elm.library.identifier.id;
    const defs = (elm.library.statements?.def ?? []).filter((d) => d.type !== 'FunctionDef' && d.context !== 'Unfiltered').map((d) => d.name);
    if (defs.length === 0) continue;
    const program: Program = createFhirProgram(opts.libraries, { main: name });
    const reference = await runReference({
      libraries: opts.libraries,
      main: name,
      patients: opts.patients,
      valueSets: vs.reference,
      parameters: {
        'Measurement Period': { type: 'Interval', low: { type: 'DateTime', value: `${opts.periodStart}T00:00:00.000`, offset: 0 }, high: { type: 'DateTime', value: `${opts.periodEnd}T23:59:59.999`, offset: 0 }, lowClosed: true, highClosed: true },
        // Careloop's pack also reads the point-of-care day (its define contract): the period's last day.
        'As Of': opts.mode === 'measure' ? null : { type: 'DateTime', value: opts.periodEnd, offset: 0 },
      },
      executionDateTime: opts.executionDateTime,
    });
    for (const resources of opts.patients) {
      const id = String(resources[0]?.['id']);
      const born = resources.find((r) => r['resourceType'] === 'Patient')?.['birthDate'];
      const birth = typeof born === 'string' ? { birthDate: born } : {};
      const ours = evaluateFhir(program, resources, { now, terminology, parameters: { 'Measurement Period': period, 'As Of': opts.mode === 'measure' ? null : asOf }, library: name, defines: defs });
      const refValues = reference.get(id);
      const refErrors = reference.errors.get(id);
      for (const define of defs) {
        comparisons++;
        const mine = ours.get(define);
        const refError = refErrors?.get(define);
        const refValue = refValues?.get(define);
        if (refError && isEvaluationError(refError)) {
          if (!mine || !('error' in mine)) disagreements.push({ ...birth, library: name, patient: id, define, detail: `reference error "${refError.error}", engine ${mine && 'value' in mine ? safe(mine.value) : 'nothing'}` });
          continue;
        }
        if (!mine) {
          disagreements.push({ ...birth, library: name, patient: id, define, detail: 'engine gave nothing' });
          continue;
        }
        if ('error' in mine) {
          disagreements.push({ ...birth, library: name, patient: id, define, detail: `engine error "${mine.error.message}", reference ${JSON.stringify(refValue)}` });
          continue;
        }
        let got: Comparable;
        try {
          got = engineToComparable(mine.value);
        } catch (e) {
          disagreements.push({ ...birth, library: name, patient: id, define, detail: `engine value not comparable: ${e instanceof Error ? e.message : String(e)}` });
          continue;
        }
        const diff = diffComparable(refValue ?? null, got);
        if (diff !== undefined) {
          const reordered = Array.isArray(mine.value) && sameElements(refValue ?? null, got) && inCqlOrder(mine.value);
          const decimalText = withoutPointZero(refValue ?? null) === withoutPointZero(got);
          disagreements.push({ ...birth, library: name, patient: id, define, detail: diff, ...(reordered ? { reordered } : {}), ...(decimalText ? { decimalText } : {}) });
        }
      }
    }
  }
  return { disagreements, comparisons };
}

function safe(v: unknown): string {
  try {
    return JSON.stringify(engineToComparable(v));
  } catch {
    return String(v);
  }
}
