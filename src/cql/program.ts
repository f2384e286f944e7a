/**
 * Loading ELM libraries into a program: includes resolved by name and version, every statement
 * compiled once (an unsupported node fails here, naming node, library and locator), and
 * evaluation per patient against a data source and a terminology.
 *
 * @example
 * const program = loadProgram([mainElm, fhirHelpersElm], { model: fhirModel });
 * const values = program.evaluate({ data, terminology, now, parameters: { 'Measurement Period': period } });
 * values.get('Numerator'); // true
 */
import type { ElmLibrary, ElmLibraryBody, ElmNode, ElmStatement, ElmTypeSpecifier } from './elm.ts';
import { createEnv, SlotAllocator } from './compile/environment.ts';
import { UNSET } from './compile/types.ts';
import type { CompileEnv, DataSource, Evaluator, FunctionMemo, ModelAccess, ProgramServices, Runtime, Terminology } from './compile/types.ts';
import { ElmLoadError } from './errors.ts';
import { CqlCode } from './values/code.ts';
import type { CqlDateTime } from './values/datetime.ts';
import { operators } from './ops/index.ts';
import { isOfType, typeKey } from './ops/types.ts';

/**
 * A function implemented by the host instead of its ELM body (e.g. FHIRHelpers' conversions). A
 * one-operand function may carry `unary`, the same function called without an argument list.
 */
export type NativeFunction = ((args: readonly unknown[], rt: Runtime) => unknown) & { readonly unary?: (arg: unknown, rt: Runtime) => unknown };

/** Looks up a native implementation by library name, function name and operand type keys. */
export type NativeLookup = (libraryName: string, functionName: string, operandTypes: readonly string[]) => NativeFunction | undefined;

/** Options for `loadProgram`. */
export interface LoadOptions {
  /** The data model (FHIR): property access and type tests. */
  readonly model: ModelAccess;
  /** Native replacements for library functions, looked up by library and function name. */
  readonly natives?: NativeLookup;
  /** The main library's name; default: the first library given. */
  readonly main?: string;
}

interface DefEntry {
  readonly index: number;
  readonly node: ElmStatement;
  body: Evaluator | undefined;
  /** Compiles the body on first use (the load has already checked every node type). */
  compile: (() => Evaluator) | undefined;
}

interface FunctionEntry {
  readonly node: ElmStatement;
  readonly operandTypes: readonly string[];
  readonly operandSpecs: readonly (ElmTypeSpecifier | string | undefined)[];
  slots: number[] | undefined;
  body: Evaluator | undefined;
  compile: (() => Evaluator) | undefined;
  native: NativeFunction | undefined;
  /** Its table in `Runtime.memo` when its results are remembered (see `memoizable`). */
  memo: number | undefined;
}

interface ParamEntry {
  readonly index: number;
  readonly name: string;
  defaultValue: Evaluator | undefined;
  compileDefault: (() => Evaluator) | undefined;
}

/** A library once loaded. */
export interface LoadedLibrary {
  readonly name: string;
  readonly version: string | undefined;
  readonly body: ElmLibraryBody;
  readonly includes: Map<string, LoadedLibrary>;
  readonly defs: Map<string, DefEntry>;
  readonly functions: Map<string, FunctionEntry[]>;
  readonly parameters: Map<string, ParamEntry>;
  readonly codeSystems: Map<string, { readonly id: string; readonly version: string | null }>;
  readonly valueSets: Map<string, { readonly id: string; readonly version: string | null }>;
  readonly codes: Map<string, CqlCode>;
  readonly concepts: Map<string, { readonly codes: readonly CqlCode[]; readonly display: string | null }>;
}

/** One evaluation's inputs. */
export interface EvaluationRequest {
  /** The library whose definitions are evaluated; default: the main library. */
  readonly library?: string;
  /** The definitions to evaluate; default: every expression definition of the library. */
  readonly defines?: readonly string[];
  readonly data: DataSource;
  readonly terminology: Terminology;
  /** The evaluation request's timestamp (Now(), Today(), default time-zone offset). */
  readonly now: CqlDateTime;
  /** Parameter values by name, for every library that declares the name. */
  readonly parameters?: Readonly<Record<string, unknown>>;
  /** The context value (the patient), for `context Patient` definitions that read it. */
  readonly contextValue?: unknown;
}

/** Evaluations that share one context and its cache of definition results. */
export interface EvaluationSession {
  /** Evaluates a library's definitions (default: all): each value, or the error it raised. */
  evaluateEach(library: string, defines?: readonly string[]): Map<string, { readonly value: unknown } | { readonly error: Error }>;
}

/** A loaded, compiled set of libraries. */
export interface Program {
  readonly main: LoadedLibrary;
  readonly libraries: ReadonlyMap<string, LoadedLibrary>;
  /** Evaluates definitions; a failing definition throws (callers decide how to report it). */
  evaluate(request: EvaluationRequest): Map<string, unknown>;
  /** Evaluates definitions one by one: each value, or the error it raised. */
  evaluateEach(request: EvaluationRequest): Map<string, { readonly value: unknown } | { readonly error: Error }>;
  /**
   * One evaluation context (one patient, one time, one set of parameters) for several libraries:
   * definitions are evaluated once however many libraries refer to them (a shared library's
   * exclusions are computed once for every rule that includes it).
   */
  session(request: Omit<EvaluationRequest, 'library' | 'defines'>): EvaluationSession;
  /** Value sets every library refers to (canonical URL). */
  readonly valueSetUrls: readonly string[];
}

const libKey = (name: string, version: string | undefined): string => `${name}|${version ?? ''}`;

function defsOf<T>(section: { readonly def?: readonly T[] } | undefined): readonly T[] {
  return section?.def ?? [];
}

/**
 * Loads and compiles ELM libraries. Each include must be among `libraries` with the same name and
 * (when the include names one) version.
 *
 * @throws {ElmLoadError} naming the library and node when a library is malformed, an include or a
 *   referenced definition is missing, or a node is not supported.
 */
export function loadProgram(libraries: readonly ElmLibrary[], options: LoadOptions): Program {
  const byKey = new Map<string, LoadedLibrary>();
  const byName = new Map<string, LoadedLibrary[]>();
  let defCount = 0;
  let paramCount = 0;
  let memoCount = 0;
  const slots = new SlotAllocator();

  for (const doc of libraries) {
    const body = (doc as { library?: ElmLibraryBody } | null)?.library;
    const name = body?.identifier?.id;
    if (!body || typeof name !== 'string') throw new ElmLoadError('not an ELM library (no library.identifier.id)', { library: '?' });
    const version = body.identifier.version;
    const lib: LoadedLibrary = {
      name,
      version,
      body,
      includes: new Map(),
      defs: new Map(),
      functions: new Map(),
      parameters: new Map(),
      codeSystems: new Map(),
      valueSets: new Map(),
      codes: new Map(),
      concepts: new Map(),
    };
    const key = libKey(name, version);
    if (byKey.has(key)) continue;
    byKey.set(key, lib);
    byName.set(name, [...(byName.get(name) ?? []), lib]);
    for (const st of defsOf(body.statements)) {
      if (st.type === 'FunctionDef') {
        const operands = st.operand ?? [];
        const entry: FunctionEntry = {
          node: st,
          operandTypes: operands.map((o) => typeKey(o.operandTypeSpecifier ?? o.operandType)),
          operandSpecs: operands.map((o) => o.operandTypeSpecifier ?? o.operandType),
          slots: undefined,
          body: undefined,
          compile: undefined,
          native: undefined,
          memo: undefined,
        };
        lib.functions.set(st.name, [...(lib.functions.get(st.name) ?? []), entry]);
      } else {
        lib.defs.set(st.name, { index: defCount++, node: st, body: undefined, compile: undefined });
      }
    }
    for (const p of defsOf(body.parameters)) lib.parameters.set(p.name, { index: paramCount++, name: p.name, defaultValue: undefined, compileDefault: undefined });
    for (const cs of defsOf(body.codeSystems)) lib.codeSystems.set(cs.name, { id: cs.id, version: cs.version ?? null });
    for (const vs of defsOf(body.valueSets)) lib.valueSets.set(vs.name, { id: vs.id, version: vs.version ?? null });
  }
  if (byKey.size === 0) throw new ElmLoadError('no libraries given', { library: '?' });

  // Includes, then codes and concepts (which refer to code systems, possibly in included libraries).
  for (const lib of byKey.values()) {
    for (const inc of defsOf(lib.body.includes)) {
      // A library in a namespace is included by `namespace-uri/Name` (ELM IncludeDef.path).
      const candidates = byName.get(inc.path) ?? byName.get(inc.path.slice(inc.path.lastIndexOf('/') + 1)) ?? [];
      const target = inc.version === undefined ? candidates[0] : candidates.find((c) => c.version === inc.version);
      if (!target) {
        const have = candidates.map((c) => c.version ?? 'unversioned').join(', ');
        throw new ElmLoadError(`include ${inc.path}${inc.version ? ` version '${inc.version}'` : ''} is missing${have ? ` (loaded: ${have})` : ''}`, { library: lib.name });
      }
      lib.includes.set(inc.localIdentifier, target);
    }
  }
  const resolveLib = (from: LoadedLibrary, alias: string | undefined, node: ElmNode): LoadedLibrary => {
    if (alias === undefined || alias === from.name) return from;
    const inc = from.includes.get(alias);
    if (!inc) throw new ElmLoadError(`no included library "${alias}"`, { library: from.name, node });
    return inc;
  };
  for (const lib of byKey.values()) {
    for (const c of defsOf(lib.body.codes)) {
      const cs = resolveLib(lib, c.codeSystem.libraryName, { type: 'CodeDef' }).codeSystems.get(c.codeSystem.name);
      if (!cs) throw new ElmLoadError(`code "${c.name}" names an unknown code system "${c.codeSystem.name}"`, { library: lib.name });
      lib.codes.set(c.name, new CqlCode(c.id, cs.id, cs.version, c.display ?? null));
    }
    for (const c of defsOf(lib.body.concepts)) {
      const codes = c.code.map((ref) => {
        const code = resolveLib(lib, ref.libraryName, { type: 'ConceptDef' }).codes.get(ref.name);
        if (!code) throw new ElmLoadError(`concept "${c.name}" names an unknown code "${ref.name}"`, { library: lib.name });
        return code;
      });
      lib.concepts.set(c.name, { codes, display: c.display ?? null });
    }
  }

  const mainName = options.main;
  const main = mainName === undefined ? [...byKey.values()][0] : byName.get(mainName)?.[0];
  if (!main) throw new ElmLoadError(`main library ${mainName ?? ''} is not among the libraries`, { library: mainName ?? '?' });

  const find = <T>(from: string, alias: string | undefined, node: ElmNode, what: string, pick: (l: LoadedLibrary) => T | undefined, name: string): T => {
    const lib = libraryOf(from);
    const target = resolveLib(lib, alias, node);
    const hit = pick(target);
    if (hit === undefined) throw new ElmLoadError(`unknown ${what} "${name}" in library ${target.name}`, { library: from, node });
    return hit;
  };
  const libraryOf = (name: string): LibraryWithEnv => {
    const lib = envs.get(name);
    if (!lib) throw new ElmLoadError(`library ${name} is not loaded`, { library: name });
    return lib;
  };

  const services: ProgramServices = {
    model: options.model,
    expressionRef(from, alias, name, node) {
      const def = find(from, alias, node, 'expression', (l) => l.defs.get(name), name);
      const i = def.index;
      return (rt) => {
        const cached = rt.cache[i];
        if (cached !== UNSET) return cached;
        const body = def.body ?? bodyOf(def);
        const v = body(rt);
        rt.cache[i] = v;
        return v;
      };
    },
    functionRef(from, alias, name, args, node, env) {
      const target = resolveLib(libraryOf(from), alias, node);
      const candidates = (target.functions.get(name) ?? []).filter((f) => (f.node.operand?.length ?? 0) === args.length);
      if (candidates.length === 0) {
        const native = options.natives?.(target.name, name, []);
        if (native) return nativeCall(native, args);
        throw new ElmLoadError(`unknown function ${target.name}.${name} with ${args.length} argument(s)`, { library: from, node });
      }
      const signature = Array.isArray(node['signature']) ? (node['signature'] as (ElmTypeSpecifier | string)[]).map((s) => typeKey(s)) : undefined;
      let chosen = candidates.length === 1 ? candidates : signature ? candidates.filter((c) => sameKeys(c.operandTypes, signature)) : [];
      if (chosen.length === 0) chosen = candidates;
      if (chosen.length === 1) {
        const fn = chosen[0] as FunctionEntry;
        return callFunction(fn, target, args, env);
      }
      // Overloads the ELM does not disambiguate: choose by the arguments' run-time types.
      for (const fn of chosen) prepareFunction(fn, target, env);
      return (rt) => {
        const values = args.map((a) => a(rt));
        for (const fn of chosen) {
          if (fn.operandSpecs.every((spec, i) => spec === undefined || isOfType(values[i] ?? null, spec, options.model) !== false)) {
            return invoke(fn, values, rt);
          }
        }
        throw new ElmLoadError(`no overload of ${target.name}.${name} matches the arguments`, { library: from, node });
      };
    },
    parameterRef(from, alias, name, node) {
      const p = find(from, alias, node, 'parameter', (l) => l.parameters.get(name), name);
      return (rt) => {
        const v = rt.parameters[p.index];
        if (v !== UNSET) return v;
        if (!p.defaultValue && p.compileDefault) p.defaultValue = p.compileDefault();
        const d = p.defaultValue ? p.defaultValue(rt) : null;
        rt.parameters[p.index] = d;
        return d;
      };
    },
    codeSystemRef: (from, alias, name, node) => find(from, alias, node, 'code system', (l) => l.codeSystems.get(name), name),
    valueSetRef: (from, alias, name, node) => find(from, alias, node, 'value set', (l) => l.valueSets.get(name), name),
    codeRef: (from, alias, name, node) => find(from, alias, node, 'code', (l) => l.codes.get(name), name),
    conceptRef: (from, alias, name, node) => find(from, alias, node, 'concept', (l) => l.concepts.get(name), name),
  };

  /** A function's compiled body, compiled on first use. */
  function functionBody(fn: FunctionEntry): Evaluator {
    const body = fn.body ?? (fn.compile ? (fn.body = fn.compile()) : undefined);
    if (!body) throw new ElmLoadError(`function ${fn.node.name} has no body`, { library: '?', node: fn.node });
    return body;
  }

  function invoke(fn: FunctionEntry, values: readonly unknown[], rt: Runtime): unknown {
    if (fn.native) return fn.native(values, rt);
    const s = fn.slots as number[];
    const body = fn.body ?? functionBody(fn);
    for (let i = 0; i < s.length; i++) rt.slots[s[i] as number] = values[i] ?? null;
    return body(rt);
  }

  /** Resolves a native implementation, and refuses an external function that has none. */
  function prepareFunction(fn: FunctionEntry, target: LoadedLibrary, env: CompileEnv): void {
    if (fn.native === undefined && fn.body === undefined) {
      const native = options.natives?.(target.name, fn.node.name, fn.operandTypes);
      if (native) fn.native = native;
    }
    if (fn.native === undefined && fn.node.external === true) {
      env.fail(fn.node, `external function ${target.name}.${fn.node.name} has no implementation`);
    }
  }

  function callFunction(fn: FunctionEntry, target: LoadedLibrary, args: readonly Evaluator[], env: CompileEnv): Evaluator {
    prepareFunction(fn, target, env);
    const n = args.length;
    if (n === 1 && fn.native === undefined && fn.memo !== undefined) {
      // Remembered by argument, per evaluation context (a function is pure: its operand, the
      // context's definitions and parameters, and Now() decide its value).
      const a0 = args[0] as Evaluator;
      const m = fn.memo;
      const { memoType, memoData } = options.model;
      return (rt) => {
        const v = a0(rt);
        const tables = rt.memo;
        let table: Map<unknown, unknown> | undefined;
        let key: unknown = v;
        // Only by a primitive (a FHIR primitive's JSON, a string, a number): those repeat across a
        // record (the same day on many resources); a resource or an element object seldom does, and
        // remembering it would cost more than it saves.
        const type = typeof v === 'object' && v !== null ? memoType?.(v) : undefined;
        if (type !== undefined) key = (memoData as (value: unknown) => unknown)(v);
        if (tables !== undefined && key !== null && key !== undefined && typeof key !== 'object') {
          let memo = tables[m];
          if (memo === undefined) tables[m] = memo = { model: new Map(), plain: new Map(), lastType: undefined, lastTable: undefined };
          table = memo.plain;
          if (type !== undefined) {
            if (memo.lastType === type && memo.lastTable !== undefined) table = memo.lastTable;
            else {
              let byData = memo.model.get(type);
              if (byData === undefined) memo.model.set(type, (byData = new Map()));
              memo.lastType = type;
              memo.lastTable = table = byData;
            }
          }
          const hit = table.get(key);
          // Undefined is kept as its own marker, so a hit costs one lookup.
          if (hit !== undefined) return hit === UNDEFINED_RESULT ? undefined : hit;
        }
        const body = fn.body ?? functionBody(fn);
        rt.slots[(fn.slots as number[])[0] as number] = v ?? null;
        const r = body(rt);
        table?.set(key, r === undefined ? UNDEFINED_RESULT : r);
        return r;
      };
    }
    if (n === 1 && fn.native === undefined) {
      // One operand of a CQL-bodied function: the argument goes straight into its slot.
      const a0 = args[0] as Evaluator;
      return (rt) => {
        const v = a0(rt);
        const body = fn.body ?? functionBody(fn);
        rt.slots[(fn.slots as number[])[0] as number] = v ?? null;
        return body(rt);
      };
    }
    if (n === 2 && fn.native === undefined) {
      // Both arguments first, then the slots: an argument may call this very function.
      const [a0, a1] = args as [Evaluator, Evaluator];
      return (rt) => {
        const v0 = a0(rt);
        const v1 = a1(rt);
        const body = fn.body ?? functionBody(fn);
        const s = fn.slots as number[];
        rt.slots[s[0] as number] = v0 ?? null;
        rt.slots[s[1] as number] = v1 ?? null;
        return body(rt);
      };
    }
    if (n === 1) {
      const a0 = args[0] as Evaluator;
      // A native conversion (FHIRHelpers' ToString, ToDateTime …) with no argument list per call.
      const unary = fn.native?.unary;
      if (unary !== undefined) return (rt) => unary(a0(rt), rt);
      return (rt) => invoke(fn, [a0(rt)], rt);
    }
    return (rt) => {
      const values = new Array<unknown>(n);
      for (let i = 0; i < n; i++) values[i] = (args[i] as Evaluator)(rt);
      return invoke(fn, values, rt);
    };
  }

  interface LibraryWithEnv extends LoadedLibrary {
    readonly env: CompileEnv;
  }
  const envs = new Map<string, LibraryWithEnv>();
  for (const lib of byKey.values()) {
    // Libraries are referred to by name inside one program (two versions of one library would need two programs).
    envs.set(lib.name, Object.assign(lib, { env: createEnv(lib.name, operators, services, slots) }));
  }
  // Every node type is checked now, so an unsupported node fails the load naming node, library and
  // locator; each body is compiled into closures the first time it is evaluated (most of a shared
  // library such as FHIRHelpers is never used by a given program).
  for (const lib of envs.values()) {
    for (const p of defsOf(lib.body.parameters)) {
      const entry = lib.parameters.get(p.name);
      if (!entry || !p.default) continue;
      checkNodeTypes(p.default, lib.name);
      const expression = p.default;
      entry.compileDefault = () => lib.env.compile(expression);
    }
    for (const st of defsOf(lib.body.statements)) {
      if (st.type === 'FunctionDef') {
        const entry = (lib.functions.get(st.name) ?? []).find((f) => f.node === st);
        if (!entry) continue;
        const { env, slots: operandSlots } = lib.env.withSlots((st.operand ?? []).map((o) => ({ kind: 'operand' as const, name: o.name })));
        entry.slots = operandSlots;
        if (entry.native === undefined) entry.native = options.natives?.(lib.name, st.name, entry.operandTypes);
        if (entry.native === undefined && st.external !== true) {
          const expression = st.expression;
          if (!expression) throw new ElmLoadError(`function "${st.name}" has no body`, { library: lib.name, node: st });
          checkNodeTypes(expression, lib.name);
          entry.compile = () => env.compile(expression);
          if (memoizable(st)) entry.memo = memoCount++;
        }
      } else {
        const entry = lib.defs.get(st.name);
        if (!entry) continue;
        const expression = st.expression;
        if (!expression) throw new ElmLoadError(`definition "${st.name}" has no expression`, { library: lib.name, node: st });
        checkNodeTypes(expression, lib.name);
        entry.compile = () => lib.env.compile(expression);
      }
    }
  }

  function bodyOf(def: DefEntry): Evaluator {
    if (!def.body) {
      if (!def.compile) throw new ElmLoadError(`definition "${def.node.name}" has no body`, { library: '?', node: def.node });
      def.body = def.compile();
    }
    return def.body;
  }

  const valueSetUrls = [...new Set([...byKey.values()].flatMap((l) => [...l.valueSets.values()].map((v) => v.id)))].sort();

  function runtimeFor(request: EvaluationRequest): Runtime {
    const cache = new Array<unknown>(defCount).fill(UNSET);
    const parameters = new Array<unknown>(paramCount).fill(UNSET);
    if (request.parameters) {
      for (const lib of byKey.values()) {
        for (const [name, p] of lib.parameters) {
          if (Object.hasOwn(request.parameters, name)) parameters[p.index] = request.parameters[name] ?? null;
        }
      }
    }
    return {
      slots: new Array<unknown>(slots.size).fill(null),
      cache,
      parameters,
      data: request.data,
      terminology: request.terminology,
      now: request.now,
      contextValue: request.contextValue ?? null,
      memo: new Array<FunctionMemo | undefined>(memoCount),
    };
  }

  function targetDefs(request: EvaluationRequest): { lib: LoadedLibrary; names: string[] } {
    const lib = request.library === undefined ? main : byName.get(request.library)?.[0];
    if (!lib) throw new ElmLoadError(`library ${request.library ?? ''} is not loaded`, { library: request.library ?? '?' });
    const names = request.defines ? [...request.defines] : [...lib.defs.keys()];
    for (const n of names) if (!lib.defs.has(n)) throw new ElmLoadError(`no definition "${n}"`, { library: lib.name });
    return { lib, names };
  }

  const evalDef = (lib: LoadedLibrary, name: string, rt: Runtime): unknown => {
    const def = lib.defs.get(name) as DefEntry;
    const cached = rt.cache[def.index];
    if (cached !== UNSET) return cached;
    const v = bodyOf(def)(rt);
    rt.cache[def.index] = v;
    return v;
  };

  function evaluateNames(lib: LoadedLibrary, names: readonly string[], rt: Runtime): Map<string, { readonly value: unknown } | { readonly error: Error }> {
    const out = new Map<string, { readonly value: unknown } | { readonly error: Error }>();
    for (const n of names) {
      try {
        out.set(n, { value: evalDef(lib, n, rt) });
      } catch (e) {
        out.set(n, { error: e instanceof Error ? e : new Error(String(e)) });
      }
    }
    return out;
  }

  return {
    main,
    libraries: byKey,
    valueSetUrls,
    evaluate(request) {
      const { lib, names } = targetDefs(request);
      const rt = runtimeFor(request);
      const out = new Map<string, unknown>();
      for (const n of names) out.set(n, evalDef(lib, n, rt));
      return out;
    },
    evaluateEach(request) {
      const { lib, names } = targetDefs(request);
      return evaluateNames(lib, names, runtimeFor(request));
    },
    session(request) {
      const rt = runtimeFor(request);
      return {
        evaluateEach(library, defines) {
          const { lib, names } = targetDefs({ ...request, library, ...(defines ? { defines } : {}) });
          return evaluateNames(lib, names, rt);
        },
      };
    },
  };
}

/** A remembered `undefined` result. */
const UNDEFINED_RESULT: unique symbol = Symbol('undefined result');

/** System types whose values are equal exactly when identical (strings, numbers, booleans) or compare equal by value at one precision (dates and times). */
const SCALAR_RESULTS: ReadonlySet<string> = new Set(['Boolean', 'Integer', 'Long', 'Decimal', 'String', 'Date', 'DateTime', 'Time'].map((t) => `{urn:hl7-org:elm-types:r1}${t}`));

/**
 * Whether a function's results are remembered by argument: one operand, a CQL body, and a scalar
 * result (Boolean, Integer, Long, Decimal, String, Date, DateTime, Time) — a result handed out again
 * is a value of its own, never a list, tuple or model value whose identity a later operation (a
 * distinct, a union) could tell apart from an equal one computed afresh.
 */
function memoizable(st: ElmStatement): boolean {
  if ((st.operand?.length ?? 0) !== 1 || st.external === true) return false;
  const named = st.resultTypeSpecifier?.type === 'NamedTypeSpecifier' ? (st.resultTypeSpecifier as { name?: unknown }).name : undefined;
  const result = st.resultTypeName ?? (typeof named === 'string' ? named : undefined);
  return result !== undefined && SCALAR_RESULTS.has(result);
}

/** ELM objects with a `type` that are not expressions: clauses and sort items (their expressions are checked). */
const NON_EXPRESSION_TYPES: ReadonlySet<string> = new Set(['ByDirection', 'ByExpression', 'ByColumn', 'With', 'Without']);
/** Keys whose values describe types or tooling, never expressions to evaluate. */
const NON_EXPRESSION_KEYS: ReadonlySet<string> = new Set(['annotation', 'signature', 'resultTypeSpecifier', 'asTypeSpecifier', 'isTypeSpecifier', 'toTypeSpecifier', 'operandTypeSpecifier', 'parameterTypeSpecifier', 'elementType', 'pointType', 'choice']);

/**
 * Checks that the engine compiles every node type in an expression tree, so an unsupported node
 * fails the load (naming node, library and locator) although bodies compile on first use.
 */
function checkNodeTypes(root: ElmNode, library: string): void {
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) {
      for (const x of v) walk(x);
      return;
    }
    if (typeof v !== 'object' || v === null) return;
    const o = v as Record<string, unknown>;
    const type = o['type'];
    if (typeof type === 'string') {
      if (type.endsWith('TypeSpecifier')) return;
      if (!NON_EXPRESSION_TYPES.has(type) && !Object.hasOwn(operators, type)) {
        throw new ElmLoadError(`unsupported ELM node ${type}`, { library, node: o as ElmNode });
      }
    }
    for (const [k, x] of Object.entries(o)) if (!NON_EXPRESSION_KEYS.has(k) && typeof x === 'object' && x !== null) walk(x);
  };
  walk(root);
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((k, i) => k === b[i]);
}

function nativeCall(native: NativeFunction, args: readonly Evaluator[]): Evaluator {
  return (rt) => native(args.map((a) => a(rt)), rt);
}
