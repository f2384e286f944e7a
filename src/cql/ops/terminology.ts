/**
 * Terminology (CQL 1.5 §23 Clinical Operators, §9.11) and data access: `Retrieve`, references to
 * code systems, value sets, codes and concepts, and membership tests.
 */
import { child, clause, str } from '../elm.ts';
import type { ElmNode } from '../elm.ts';
import type { CompileEnv, Evaluator, NodeCompiler, RetrieveRequest, Runtime, Terminology } from '../compile/types.ts';
import { CqlCode, CqlConcept } from '../values/code.ts';
import { CqlInterval } from '../values/interval.ts';
import { CqlCodeSystem, CqlValueSet } from '../values/terminology.ts';

/** A value set given statically (a ValueSetRef) or computed (an expression). */
type ValueSetSource = { readonly url: string } | { readonly expr: Evaluator };

function valueSetSource(node: ElmNode, env: CompileEnv, key: string, exprKey: string): ValueSetSource {
  // A static value set reference may come without a `type` (ELM's InValueSet.valueset is a ValueSetRef).
  const vsNode = clause(node, key) ?? child(node, exprKey);
  if (!vsNode) return env.fail(node, `${node.type} without a value set`);
  if (vsNode.type === 'ValueSetRef' || vsNode.type === key) {
    return { url: env.program.valueSetRef(env.libraryName, str(vsNode, 'libraryName'), str(vsNode, 'name') ?? '', vsNode).id };
  }
  return { expr: env.compile(vsNode) };
}

function urlOf(src: ValueSetSource, rt: Runtime): string | null {
  if ('url' in src) return src.url;
  const v = src.expr(rt);
  return v instanceof CqlValueSet ? v.id : typeof v === 'string' ? v : null;
}

/** Codes of a Code, a Concept, a string (code in any system) or a list of them. */
function codesOf(v: unknown): CqlCode[] {
  if (v === null || v === undefined) return [];
  if (v instanceof CqlCode) return [v];
  if (v instanceof CqlConcept) return [...v.codes];
  if (typeof v === 'string') return [new CqlCode(v, null)];
  if (Array.isArray(v)) return v.flatMap(codesOf);
  return [];
}

function inValueSet(v: unknown, url: string, terminology: Terminology): boolean | null {
  if (v === null || v === undefined) return false;
  if (typeof v === 'string') {
    const expansion = terminology.expand(url) ?? [];
    return expansion.some((c) => c.code === v);
  }
  for (const c of codesOf(v)) if (terminology.inValueSet(c, url)) return true;
  return false;
}

function retrieveCodes(node: ElmNode, env: CompileEnv): ((rt: Runtime) => RetrieveRequest['codes']) | undefined {
  const codes = child(node, 'codes');
  if (!codes) return undefined;
  if (codes.type === 'ValueSetRef') {
    const vs = env.program.valueSetRef(env.libraryName, str(codes, 'libraryName'), str(codes, 'name') ?? '', codes);
    const req = { valueSet: vs.id };
    return () => req;
  }
  const e = env.compile(codes);
  return (rt) => {
    const v = e(rt);
    if (v instanceof CqlValueSet) return { valueSet: v.id };
    return { list: codesOf(v) };
  };
}

/** Data access and terminology operators. */
export const terminologyOperators: Record<string, NodeCompiler> = {
  Retrieve(node, env) {
    const dataType = str(node, 'dataType');
    if (!dataType) return env.fail(node, 'Retrieve without a dataType');
    const codes = retrieveCodes(node, env);
    const dateRangeNode = child(node, 'dateRange');
    const dateRange = dateRangeNode ? env.compile(dateRangeNode) : undefined;
    if (child(node, 'context')) return env.fail(node, 'Retrieve with a context expression is not supported');
    const base = {
      dataType,
      templateId: str(node, 'templateId'),
      codeProperty: str(node, 'codeProperty'),
      dateProperty: str(node, 'dateProperty'),
    };
    if (!codes && !dateRange) {
      const req: RetrieveRequest = { ...base, codes: undefined, dateRange: undefined };
      return (rt) => rt.data.retrieve(req, rt);
    }
    return (rt) => {
      const c = codes ? codes(rt) : undefined;
      // A code filter that evaluates to no codes matches nothing (CQL 1.5 §5.1 Retrieve).
      if (c && 'list' in c && c.list.length === 0) return [];
      const range = dateRange ? dateRange(rt) : undefined;
      const req: RetrieveRequest = { ...base, codes: c, dateRange: range instanceof CqlInterval ? range : undefined };
      return rt.data.retrieve(req, rt);
    };
  },
  CodeSystemRef(node, env) {
    const cs = env.program.codeSystemRef(env.libraryName, str(node, 'libraryName'), str(node, 'name') ?? '', node);
    const v = new CqlCodeSystem(cs.id, cs.version);
    return () => v;
  },
  ValueSetRef(node, env) {
    const vs = env.program.valueSetRef(env.libraryName, str(node, 'libraryName'), str(node, 'name') ?? '', node);
    const v = new CqlValueSet(vs.id, vs.version);
    return () => v;
  },
  CodeRef(node, env) {
    const code = env.program.codeRef(env.libraryName, str(node, 'libraryName'), str(node, 'name') ?? '', node);
    return () => code;
  },
  ConceptRef(node, env) {
    const c = env.program.conceptRef(env.libraryName, str(node, 'libraryName'), str(node, 'name') ?? '', node);
    const v = new CqlConcept(c.codes, c.display);
    return () => v;
  },
  Code(node, env) {
    const sys = clause(node, 'system');
    const cs = sys ? env.program.codeSystemRef(env.libraryName, str(sys, 'libraryName'), str(sys, 'name') ?? '', sys) : undefined;
    const v = new CqlCode(str(node, 'code') ?? '', cs?.id ?? null, cs?.version ?? null, str(node, 'display') ?? null);
    return () => v;
  },
  Concept(node, env) {
    const raw = node['code'];
    const codes = (Array.isArray(raw) ? (raw as ElmNode[]) : []).map((c) => env.compile({ ...c, type: c.type || 'Code' }));
    const display = str(node, 'display') ?? null;
    return (rt) => new CqlConcept(codes.map((c) => c(rt)).filter((c): c is CqlCode => c instanceof CqlCode), display);
  },
  InValueSet(node, env) {
    const codeNode = child(node, 'code');
    if (!codeNode) return env.fail(node, 'InValueSet without a code');
    const code = env.compile(codeNode);
    const vs = valueSetSource(node, env, 'valueset', 'valuesetExpression');
    return (rt) => {
      const url = urlOf(vs, rt);
      if (url === null) return null;
      return inValueSet(code(rt), url, rt.terminology);
    };
  },
  AnyInValueSet(node, env) {
    const codesNode = child(node, 'codes');
    if (!codesNode) return env.fail(node, 'AnyInValueSet without codes');
    const codes = env.compile(codesNode);
    const vs = valueSetSource(node, env, 'valueset', 'valuesetExpression');
    return (rt) => {
      const url = urlOf(vs, rt);
      if (url === null) return null;
      const list = codes(rt);
      if (!Array.isArray(list)) return inValueSet(list, url, rt.terminology);
      return list.some((c) => inValueSet(c, url, rt.terminology) === true);
    };
  },
  InCodeSystem(node, env) {
    const codeNode = child(node, 'code');
    const csRef = clause(node, 'codesystem');
    const csNode = csRef ? { ...csRef, type: 'CodeSystemRef' } : child(node, 'codesystemExpression');
    if (!codeNode || !csNode) return env.fail(node, 'InCodeSystem needs a code and a code system');
    const code = env.compile(codeNode);
    const cs = env.compile(csNode);
    return (rt) => {
      const system = cs(rt);
      const id = system instanceof CqlCodeSystem ? system.id : null;
      if (id === null) return null;
      return codesOf(code(rt)).some((c) => c.system === id);
    };
  },
  ExpandValueSet(node, env) {
    const operand = child(node, 'operand');
    if (!operand) return env.fail(node, 'ExpandValueSet without an operand');
    const vs = env.compile(operand);
    return (rt) => {
      const v = vs(rt);
      return v instanceof CqlValueSet ? [...(rt.terminology.expand(v.id) ?? [])] : null;
    };
  },
};
