/**
 * The shapes of ELM JSON (CQL 1.5's Expression Logical Model) that the engine reads. ELM is input
 * from outside (a measure package, a translator), so nodes are typed loosely and every field is
 * checked where it is read.
 */

/** Any ELM node: `type` names the class (`Equal`, `Query`, `Retrieve` …). */
export interface ElmNode {
  readonly type: string;
  readonly localId?: string;
  readonly locator?: string;
  readonly resultTypeName?: string;
  readonly resultTypeSpecifier?: ElmTypeSpecifier;
  readonly [key: string]: unknown;
}

/** A type specifier: `NamedTypeSpecifier`, `ListTypeSpecifier`, `IntervalTypeSpecifier`, `ChoiceTypeSpecifier`, `TupleTypeSpecifier`. */
export interface ElmTypeSpecifier {
  readonly type: string;
  readonly name?: string;
  readonly elementType?: ElmTypeSpecifier | string;
  readonly pointType?: ElmTypeSpecifier | string;
  readonly choice?: readonly (ElmTypeSpecifier | string)[];
  readonly type_?: readonly ElmTypeSpecifier[];
  readonly element?: readonly { readonly name: string; readonly elementType?: ElmTypeSpecifier | string; readonly type?: ElmTypeSpecifier }[];
  readonly [key: string]: unknown;
}

/** `library.identifier` and the identifiers of includes. */
export interface ElmIdentifier {
  readonly id: string;
  readonly version?: string;
  readonly system?: string;
}

/** A top-level definition (`ExpressionDef` or `FunctionDef`). */
export interface ElmStatement extends ElmNode {
  readonly name: string;
  readonly context?: string;
  readonly accessLevel?: string;
  readonly expression?: ElmNode;
  readonly operand?: readonly { readonly name: string; readonly operandTypeSpecifier?: ElmTypeSpecifier; readonly operandType?: string }[];
  readonly external?: boolean;
  readonly fluent?: boolean;
}

/** The `library` object of an ELM JSON document. */
export interface ElmLibraryBody {
  readonly identifier: ElmIdentifier;
  readonly schemaIdentifier?: ElmIdentifier;
  readonly usings?: { readonly def?: readonly { readonly localIdentifier: string; readonly uri: string; readonly version?: string }[] };
  readonly includes?: { readonly def?: readonly { readonly localIdentifier: string; readonly path: string; readonly version?: string }[] };
  readonly parameters?: { readonly def?: readonly ElmParameterDef[] };
  readonly codeSystems?: { readonly def?: readonly { readonly name: string; readonly id: string; readonly version?: string }[] };
  readonly valueSets?: { readonly def?: readonly { readonly name: string; readonly id: string; readonly version?: string; readonly codeSystem?: readonly ElmNode[] }[] };
  readonly codes?: { readonly def?: readonly { readonly name: string; readonly id: string; readonly display?: string; readonly codeSystem: { readonly name: string; readonly libraryName?: string } }[] };
  readonly concepts?: { readonly def?: readonly { readonly name: string; readonly display?: string; readonly code: readonly { readonly name: string; readonly libraryName?: string }[] }[] };
  readonly contexts?: { readonly def?: readonly { readonly name: string }[] };
  readonly statements?: { readonly def?: readonly ElmStatement[] };
}

/** A parameter definition. */
export interface ElmParameterDef {
  readonly name: string;
  readonly default?: ElmNode;
  readonly parameterTypeSpecifier?: ElmTypeSpecifier;
  readonly parameterType?: string;
  readonly accessLevel?: string;
}

/** An ELM JSON document: `{ library: … }`. */
export interface ElmLibrary {
  readonly library: ElmLibraryBody;
}

/** True for an object that looks like an ELM node. */
export function isElmNode(v: unknown): v is ElmNode {
  return typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string';
}

/** The ELM node at `key`, or undefined. */
export function child(node: ElmNode, key: string): ElmNode | undefined {
  const v = node[key];
  return isElmNode(v) ? v : undefined;
}

/** The ELM nodes at `key` (an array, or a single node), or []. */
export function children(node: ElmNode, key: string): ElmNode[] {
  const v = node[key];
  if (Array.isArray(v)) return v.filter(isElmNode);
  return isElmNode(v) ? [v] : [];
}

/** The string at `key`, or undefined. */
export function str(node: ElmNode, key: string): string | undefined {
  const v = node[key];
  return typeof v === 'string' ? v : undefined;
}

/** Splits `{namespace}Name` into its parts; a bare name has namespace ''. */
export function splitQName(q: string): { readonly ns: string; readonly name: string } {
  if (q.startsWith('{')) {
    const end = q.indexOf('}');
    if (end > 0) return { ns: q.slice(1, end), name: q.slice(end + 1) };
  }
  const dot = q.indexOf('.');
  if (dot > 0) {
    const prefix = q.slice(0, dot);
    const ns = prefix === 'System' ? SYSTEM_NS : prefix === 'FHIR' ? FHIR_NS : prefix === 'QICore' ? QICORE_NS : prefix;
    return { ns, name: q.slice(dot + 1) };
  }
  return { ns: '', name: q };
}

/** The ELM system types' namespace. */
export const SYSTEM_NS = 'urn:hl7-org:elm-types:r1';
/** FHIR's model namespace. */
export const FHIR_NS = 'http://hl7.org/fhir';
/** QI-Core's model namespace. */
export const QICORE_NS = 'http://hl7.org/fhir/us/qicore';

/** The objects at `key` (ELM clauses such as query sources and lets carry no `type`), as nodes. */
export function clauses(node: ElmNode, key: string): ElmNode[] {
  const v = node[key];
  const list = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
  return list.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null).map((x) => ({ type: typeof x['type'] === 'string' ? x['type'] : key, ...x }) as ElmNode);
}

/** The object at `key` as a node (typed or not), or undefined. */
export function clause(node: ElmNode, key: string): ElmNode | undefined {
  return clauses(node, key)[0];
}
