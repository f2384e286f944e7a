/**
 * Evaluates small System-only CQL libraries through the engine's operator compilers, for the family
 * tests: CQL → ELM with the reference translator, then each define compiled on its own (no references
 * between defines) and run with a fixed evaluation time (2024-01-15T10:00:00.000+01:00).
 */
import { createEnv, SlotAllocator } from '../../../src/cql/compile/environment.ts';
import type { NodeCompiler, ProgramServices, Runtime } from '../../../src/cql/compile/types.ts';
import type { ElmLibrary, ElmStatement } from '../../../src/cql/elm.ts';
import { operators } from '../../../src/cql/ops/index.ts';
import { arithmeticOperators } from '../../../src/cql/ops/arithmetic.ts';
import { conversionOperators } from '../../../src/cql/ops/conversion.ts';
import { stringOperators } from '../../../src/cql/ops/string.ts';
import { child } from '../../../src/cql/elm.ts';
import { CqlDate, CqlDateTime, CqlTime } from '../../../src/cql/values/datetime.ts';
import { translateSystemLibrary } from '../support/translate-system.ts';

/** Date/DateTime/Time selectors for when the date/time family is not merged yet (test-only). */
const temporalSelector =
  (make: (f: number[], offset: number | null, rt: Runtime) => unknown, keys: readonly string[]): NodeCompiler =>
  (node, env) => {
    const parts = keys.map((k) => env.compileOptional(child(node, k)));
    const tz = env.compileOptional(child(node, 'timezoneOffset'));
    return (rt) => {
      const f: number[] = [];
      for (const p of parts) {
        const v = p ? p(rt) : null;
        if (typeof v !== 'number') break;
        f.push(v);
      }
      const o = tz ? tz(rt) : null;
      return make(f, typeof o === 'number' ? o : null, rt);
    };
  };

const DATE_KEYS = ['year', 'month', 'day', 'hour', 'minute', 'second', 'millisecond'] as const;
const fallbackTemporal: Record<string, NodeCompiler> = {
  Date: temporalSelector((f) => new CqlDate(f), DATE_KEYS.slice(0, 3)),
  DateTime: temporalSelector((f, o, rt) => new CqlDateTime(f, o ?? rt.now.offset), DATE_KEYS),
  Time: temporalSelector((f) => new CqlTime(f), DATE_KEYS.slice(3)),
};

const all: Record<string, NodeCompiler> = { ...fallbackTemporal, ...operators, ...arithmeticOperators, ...stringOperators, ...conversionOperators };

const unsupported = (): never => {
  throw new Error('not available in the family harness');
};

const program: ProgramServices = {
  expressionRef: unsupported,
  functionRef: unsupported,
  parameterRef: unsupported,
  codeSystemRef: unsupported,
  valueSetRef: unsupported,
  codeRef: unsupported,
  conceptRef: unsupported,
  model: { property: () => () => undefined, isType: () => undefined, knowsType: () => false },
};

/** The evaluation time of every harness run. */
export const NOW = new CqlDateTime([2024, 1, 15, 10, 0, 0, 0], 1);

function runtime(slots: number): Runtime {
  return {
    slots: new Array<unknown>(slots).fill(null),
    cache: [],
    parameters: [],
    data: { retrieve: () => [] },
    terminology: { inValueSet: () => false, expand: () => undefined, has: () => false },
    now: NOW,
    contextValue: null,
  };
}

/**
 * Translates `defines` (one `define "name": expr` per entry, keyed by name) and evaluates each.
 * A define that throws at run time yields `{ error: message }`.
 */
export function evaluateDefines(defines: Readonly<Record<string, string>>): Record<string, unknown> {
  const body = Object.entries(defines)
    .map(([name, expr]) => `define "${name}": ${expr}`)
    .join('\n');
  const t = translateSystemLibrary(`library FamilyTest version '1'\n${body}\n`);
  if (t.errors.length > 0) throw new Error(t.errors.map((e) => `${e.line ?? '?'}: ${e.message}`).join('\n'));
  const lib = t.elm as ElmLibrary;
  const slots = new SlotAllocator();
  const env = createEnv('FamilyTest', all, program, slots);
  const out: Record<string, unknown> = {};
  const defs = (lib.library.statements?.def ?? []) as readonly ElmStatement[];
  for (const def of defs) {
    if (!def.expression || def.name === 'Patient') continue;
    const ev = env.compile(def.expression);
    try {
      out[def.name] = ev(runtime(slots.size));
    } catch (e) {
      out[def.name] = { error: e instanceof Error ? e.message : String(e) };
    }
  }
  return out;
}
