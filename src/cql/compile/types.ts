/**
 * What the compiler produces and what it runs with. Each ELM expression compiles once into an
 * `Evaluator`, a closure over its compiled operands, called per patient with a `Runtime`.
 */
import type { ElmNode } from '../elm.ts';
import type { CqlCode } from '../values/code.ts';
import type { CqlDateTime } from '../values/datetime.ts';
import type { CqlInterval } from '../values/interval.ts';

/** A compiled expression. CQL null is `null`; lists are arrays. */
export type Evaluator = (rt: Runtime) => unknown;

/** What a Retrieve asks of the data. */
export interface RetrieveRequest {
  /** Qualified data type, e.g. `{http://hl7.org/fhir}Observation`. */
  readonly dataType: string;
  readonly templateId: string | undefined;
  readonly codeProperty: string | undefined;
  /** Codes to match: a value set's URL, or a list of codes. */
  readonly codes: { readonly valueSet: string } | { readonly list: readonly CqlCode[] } | undefined;
  readonly dateProperty: string | undefined;
  readonly dateRange: CqlInterval | undefined;
}

/** The patient's data, as the data model sees it. */
export interface DataSource {
  /** Resources (as model values) matching the request, for the current patient. */
  retrieve(request: RetrieveRequest, rt: Runtime): readonly unknown[];
}

/** Value set and code system membership. */
export interface Terminology {
  /** True when the code is in the value set; null when the code is null. */
  inValueSet(code: CqlCode, valueSetUrl: string): boolean;
  /** The value set's codes, or undefined when it is unknown. */
  expand(valueSetUrl: string): readonly CqlCode[] | undefined;
  /** Whether the value set is known. */
  has(valueSetUrl: string): boolean;
}

/** The state of one evaluation: one patient (or the unfiltered context), one evaluation time. */
export interface Runtime {
  /** Query aliases, let clauses and function operands, one slot per lexical site. */
  readonly slots: unknown[];
  /** Expression definition results, one per definition (UNSET until evaluated). */
  readonly cache: unknown[];
  /** Parameter values, one per parameter definition (UNSET until evaluated). */
  readonly parameters: unknown[];
  readonly data: DataSource;
  readonly terminology: Terminology;
  /** The evaluation request's timestamp: Now(), Today(), and the default time-zone offset. */
  readonly now: CqlDateTime;
  /** The context value (the Patient resource as a model value), or null. */
  readonly contextValue: unknown;
  /** Remembered results of functions (see program.ts `memoizable`), one table per function; absent: none kept. */
  readonly memo?: (FunctionMemo | undefined)[];
}

/** One function's remembered results in one evaluation context, by argument. */
export interface FunctionMemo {
  /** Model values by type, then by data. */
  readonly model: Map<string, Map<unknown, unknown>>;
  /** Other arguments, by identity (or value for primitives). */
  readonly plain: Map<unknown, unknown>;
  /** The model type last looked up, and its table (a function nearly always sees one type). */
  lastType: string | undefined;
  lastTable: Map<unknown, unknown> | undefined;
}

/** Marks a cache slot not evaluated yet. */
export const UNSET: unique symbol = Symbol('unset');

/** What a node compiler may use. */
export interface CompileEnv {
  /** The library being compiled (its name, for errors and for resolving unqualified references). */
  readonly libraryName: string;
  /** Compiles a child node in the same scope. */
  compile(node: ElmNode): Evaluator;
  /** Compiles an optional child: undefined when absent. */
  compileOptional(node: ElmNode | undefined): Evaluator | undefined;
  /** Fails the load naming this node, library and locator. */
  fail(node: ElmNode, message: string): never;
  /** Slot of a query alias, let or operand visible here. */
  lookupSlot(kind: 'alias' | 'let' | 'operand', name: string, node: ElmNode): number;
  /** A new environment with names bound to fresh slots. */
  withSlots(bindings: readonly { readonly kind: 'alias' | 'let' | 'operand'; readonly name: string }[]): { env: CompileEnv; slots: number[] };
  /** The program-wide services (references between libraries, the data model). */
  readonly program: ProgramServices;
}

/** References resolved across libraries while compiling. */
export interface ProgramServices {
  expressionRef(fromLibrary: string, libraryAlias: string | undefined, name: string, node: ElmNode): Evaluator;
  functionRef(fromLibrary: string, libraryAlias: string | undefined, name: string, args: readonly Evaluator[], node: ElmNode, env: CompileEnv): Evaluator;
  parameterRef(fromLibrary: string, libraryAlias: string | undefined, name: string, node: ElmNode): Evaluator;
  codeSystemRef(fromLibrary: string, libraryAlias: string | undefined, name: string, node: ElmNode): { readonly id: string; readonly version: string | null };
  valueSetRef(fromLibrary: string, libraryAlias: string | undefined, name: string, node: ElmNode): { readonly id: string; readonly version: string | null };
  codeRef(fromLibrary: string, libraryAlias: string | undefined, name: string, node: ElmNode): CqlCode;
  conceptRef(fromLibrary: string, libraryAlias: string | undefined, name: string, node: ElmNode): { readonly codes: readonly CqlCode[]; readonly display: string | null };
  /** Property access on a value of the data model or a system value. */
  readonly model: ModelAccess;
}

/** How the engine reads model values (FHIR resources and elements) and checks their types. */
export interface ModelAccess {
  /**
   * Returns a reader of the property `name` (one step of a path): null when the model value has no
   * such element, undefined when the value is not one of the model's (a system value, read by the engine).
   */
  property(name: string): (value: unknown, rt: Runtime) => unknown;
  /** Whether `value` is of the qualified type `{ns}Name` (including subtypes); undefined when the type is not the model's. */
  isType(value: unknown, ns: string, name: string): boolean | undefined;
  /** `isType` for one type, resolved once (compiled `Is`/`As`); defaults to calling `isType`. */
  typeTester?(ns: string, name: string): (value: unknown) => boolean | undefined;
  /** Whether the model knows the qualified type. */
  knowsType(ns: string, name: string): boolean;
  /**
   * For remembering a function's result by its argument: the type of a model value whose type and
   * data (`memoData`) alone make it up, so that two values with the same are interchangeable;
   * undefined for anything else (remembered by identity).
   */
  memoType?(value: unknown): string | undefined;
  /** The data of a value `memoType` answered for (compared by identity, or by value for primitives). */
  memoData?(value: unknown): unknown;
}

/** Compiles one ELM node kind. */
export type NodeCompiler = (node: ElmNode, env: CompileEnv) => Evaluator;
