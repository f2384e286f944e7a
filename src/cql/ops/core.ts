/**
 * The core of the language: literals, selectors, references, logic, nullological and conditional
 * operators, comparison, and property access (CQL 1.5 §1–§5, §10–§12).
 */
import { child, children, clause, splitQName, str } from '../elm.ts';
import type { ElmNode } from '../elm.ts';
import type { Evaluator, ModelAccess, NodeCompiler, Runtime } from '../compile/types.ts';
import { CqlRuntimeError } from '../errors.ts';
import { CqlCode, CqlConcept } from '../values/code.ts';
import { compare, compareUncertain, equal, equivalent } from '../values/equality.ts';
import { CqlInterval } from '../values/interval.ts';
import { CqlQuantity, CqlRatio } from '../values/quantity.ts';
import { CqlTuple } from '../values/tuple.ts';
import { binary, operandsN } from './util.ts';

const SYSTEM_LITERALS: Readonly<Record<string, (text: string) => unknown>> = {
  Boolean: (t) => t === 'true',
  Integer: (t) => Number.parseInt(t, 10),
  Long: (t) => Number.parseInt(t.replace(/L$/, ''), 10),
  Decimal: (t) => Number.parseFloat(t),
  String: (t) => t,
};

function literal(node: ElmNode, env: Parameters<NodeCompiler>[1]): Evaluator {
  const valueType = str(node, 'valueType') ?? '';
  const raw = node['value'];
  if (raw === undefined || raw === null) return () => null;
  const parse = SYSTEM_LITERALS[splitQName(valueType).name];
  if (!parse) return env.fail(node, `literal of unsupported type ${valueType}`);
  const v = parse(String(raw));
  if (typeof v === 'number' && Number.isNaN(v)) return env.fail(node, `literal "${String(raw)}" is not a ${valueType}`);
  return () => v;
}

/** Reads one step of a path on a system value (tuple, interval, code, quantity …); undefined when not a system value. */
function systemProperty(v: object, name: string): unknown {
  if (v instanceof CqlTuple) return Object.hasOwn(v.elements, name) ? v.elements[name] : null;
  if (v instanceof CqlInterval) {
    if (name === 'low' || name === 'high' || name === 'lowClosed' || name === 'highClosed') return v[name];
    return null;
  }
  if (v instanceof CqlCode) return name === 'code' || name === 'system' || name === 'version' || name === 'display' ? v[name] : null;
  if (v instanceof CqlConcept) return name === 'codes' ? v.codes : name === 'display' ? v.display : null;
  if (v instanceof CqlQuantity) return name === 'value' ? v.value : name === 'unit' ? v.unit : null;
  if (v instanceof CqlRatio) return name === 'numerator' ? v.numerator : name === 'denominator' ? v.denominator : null;
  return undefined;
}

/** A reader for a (possibly dotted) property path over system and model values; lists are mapped and flattened. */
export function propertyReader(path: string, model: ModelAccess): (value: unknown, rt: Runtime) => unknown {
  const steps = path.split('.').map((name) => {
    const modelRead = model.property(name);
    const read = (v: unknown, rt: Runtime): unknown => {
      if (v === null || v === undefined) return null;
      if (Array.isArray(v)) {
        const out: unknown[] = [];
        for (const x of v) {
          const r = read(x, rt);
          if (Array.isArray(r)) out.push(...r);
          else if (r !== null && r !== undefined) out.push(r);
        }
        return out;
      }
      if (typeof v !== 'object') return null;
      // Model values first: most property reads in measure logic are on FHIR data.
      const m = modelRead(v, rt);
      if (m !== undefined) return m;
      return systemProperty(v, name) ?? null;
    };
    return read;
  });
  if (steps.length === 1) return steps[0] as (value: unknown, rt: Runtime) => unknown;
  return (value, rt) => {
    let v = value;
    for (const step of steps) v = step(v, rt);
    return v;
  };
}

function and3(a: unknown, b: unknown): boolean | null {
  if (a === false || b === false) return false;
  if (a === null || b === null || a === undefined || b === undefined) return null;
  return true;
}

function or3(a: unknown, b: unknown): boolean | null {
  if (a === true || b === true) return true;
  if (a === null || b === null || a === undefined || b === undefined) return null;
  return false;
}

function compareOp(test: (c: number) => boolean): NodeCompiler {
  return binary((a, b) => {
    const u = compareUncertain(a, b, test);
    if (u !== undefined) return u;
    const c = compare(a, b);
    return c === null ? null : test(c);
  });
}

/** Literals, selectors, references, logic, nullological, conditional and comparison operators. */
export const coreOperators: Record<string, NodeCompiler> = {
  Literal: literal,
  Null: () => () => null,
  List(node, env) {
    const nodes = children(node, 'element');
    const elements = nodes.map((e) => env.compile(e));
    // A list of literals (`{ 'final', 'amended' }`) is one value: built once, frozen (no list
    // operator changes its operands), not per evaluation.
    if (nodes.every((e) => e.type === 'Literal')) {
      const constant: readonly unknown[] = Object.freeze(elements.map((e) => e(undefined as unknown as Runtime) ?? null));
      return () => constant;
    }
    return (rt) => elements.map((e) => e(rt) ?? null);
  },
  Tuple(node, env) {
    const raw = node['element'];
    const elements = (Array.isArray(raw) ? raw : []).map((e: { name?: unknown; value?: unknown }) => {
      if (typeof e.name !== 'string') return env.fail(node, 'tuple element without a name');
      const v = e.value as ElmNode | undefined;
      return { name: e.name, value: v ? env.compile(v) : (): unknown => null };
    });
    const names = [...new Set(elements.map((e) => e.name))].sort();
    return (rt) => {
      const out: Record<string, unknown> = {};
      for (const e of elements) out[e.name] = e.value(rt) ?? null;
      return new CqlTuple(out, names);
    };
  },
  Instance(node, env) {
    const classType = str(node, 'classType') ?? '';
    const raw = node['element'];
    const elements = (Array.isArray(raw) ? raw : []).map((e: { name?: unknown; value?: unknown }) => {
      if (typeof e.name !== 'string') return env.fail(node, 'instance element without a name');
      const v = e.value as ElmNode | undefined;
      return { name: e.name, value: v ? env.compile(v) : (): unknown => null };
    });
    const { name } = splitQName(classType);
    const get = (rt: Parameters<Evaluator>[0]): Record<string, unknown> => {
      const out: Record<string, unknown> = {};
      for (const e of elements) out[e.name] = e.value(rt) ?? null;
      return out;
    };
    switch (name) {
      case 'Code':
        return (rt) => {
          const o = get(rt);
          return new CqlCode(String(o['code'] ?? ''), (o['system'] as string | null) ?? null, (o['version'] as string | null) ?? null, (o['display'] as string | null) ?? null);
        };
      case 'Concept':
        return (rt) => {
          const o = get(rt);
          return new CqlConcept(((o['codes'] as CqlCode[] | null) ?? []).filter((c) => c instanceof CqlCode), (o['display'] as string | null) ?? null);
        };
      case 'Quantity':
        return (rt) => {
          const o = get(rt);
          return typeof o['value'] === 'number' ? new CqlQuantity(o['value'], typeof o['unit'] === 'string' ? o['unit'] : '1') : null;
        };
      case 'Ratio':
        return (rt) => {
          const o = get(rt);
          return o['numerator'] instanceof CqlQuantity && o['denominator'] instanceof CqlQuantity ? new CqlRatio(o['numerator'], o['denominator']) : null;
        };
      default:
        // Other classes (model types, or system types built field by field) as tuples.
        return (rt) => new CqlTuple(get(rt));
    }
  },
  Quantity(node, env) {
    const value = node['value'];
    if (typeof value !== 'number') return env.fail(node, 'Quantity without a numeric value');
    const q = new CqlQuantity(value, str(node, 'unit') ?? '1');
    return () => q;
  },
  Ratio(node, env) {
    const n = clause(node, 'numerator');
    const d = clause(node, 'denominator');
    if (!n || !d || typeof n['value'] !== 'number' || typeof d['value'] !== 'number') return env.fail(node, 'Ratio needs two quantities');
    const r = new CqlRatio(new CqlQuantity(n['value'], str(n, 'unit') ?? '1'), new CqlQuantity(d['value'], str(d, 'unit') ?? '1'));
    return () => r;
  },

  ExpressionRef: (node, env) => env.program.expressionRef(env.libraryName, str(node, 'libraryName'), str(node, 'name') ?? '', node),
  ParameterRef: (node, env) => env.program.parameterRef(env.libraryName, str(node, 'libraryName'), str(node, 'name') ?? '', node),
  FunctionRef(node, env) {
    const args = children(node, 'operand').map((o) => env.compile(o));
    return env.program.functionRef(env.libraryName, str(node, 'libraryName'), str(node, 'name') ?? '', args, node, env);
  },
  OperandRef(node, env) {
    const slot = env.lookupSlot('operand', str(node, 'name') ?? '', node);
    return (rt) => rt.slots[slot] ?? null;
  },
  AliasRef(node, env) {
    const slot = env.lookupSlot('alias', str(node, 'name') ?? '', node);
    return (rt) => rt.slots[slot] ?? null;
  },
  QueryLetRef(node, env) {
    const slot = env.lookupSlot('let', str(node, 'name') ?? '', node);
    return (rt) => rt.slots[slot] ?? null;
  },
  IdentifierRef(node, env) {
    // In a sort clause an identifier names a property of the element being sorted.
    const name = str(node, 'name') ?? '';
    const slot = env.lookupSlot('alias', '$this', node);
    if (name === '$this') return (rt) => rt.slots[slot] ?? null;
    const read = propertyReader(name, env.program.model);
    return (rt) => read(rt.slots[slot], rt);
  },
  Property(node, env) {
    const path = str(node, 'path');
    if (!path) return env.fail(node, 'Property without a path');
    const read = propertyReader(path, env.program.model);
    const scope = str(node, 'scope');
    const source = child(node, 'source');
    if (source) {
      const s = env.compile(source);
      return (rt) => read(s(rt), rt);
    }
    const slot = env.lookupSlot('alias', scope ?? '$this', node);
    return (rt) => read(rt.slots[slot], rt);
  },

  And: (node, env) => {
    const [a, b] = operandsN(node, env, 2) as [Evaluator, Evaluator];
    return (rt) => {
      const x = a(rt);
      if (x === false) return false;
      return and3(x, b(rt));
    };
  },
  Or: (node, env) => {
    const [a, b] = operandsN(node, env, 2) as [Evaluator, Evaluator];
    return (rt) => {
      const x = a(rt);
      if (x === true) return true;
      return or3(x, b(rt));
    };
  },
  Xor: binary((a, b) => (a === null || b === null ? null : a !== b)),
  Implies: binary((a, b) => (a === false || b === true ? true : a === null || b === null ? null : false)),
  Not: (node, env) => {
    const [a] = operandsN(node, env, 1) as [Evaluator];
    return (rt) => {
      const x = a(rt);
      return x === null || x === undefined ? null : !x;
    };
  },
  IsNull: (node, env) => {
    const [a] = operandsN(node, env, 1) as [Evaluator];
    return (rt) => {
      const x = a(rt);
      return x === null || x === undefined;
    };
  },
  IsTrue: (node, env) => {
    const [a] = operandsN(node, env, 1) as [Evaluator];
    return (rt) => a(rt) === true;
  },
  IsFalse: (node, env) => {
    const [a] = operandsN(node, env, 1) as [Evaluator];
    return (rt) => a(rt) === false;
  },
  Coalesce(node, env) {
    const ops = children(node, 'operand').map((o) => env.compile(o));
    return (rt) => {
      if (ops.length === 1) {
        // Coalesce(list): the first non-null element.
        const list = (ops[0] as Evaluator)(rt);
        if (Array.isArray(list)) {
          for (const x of list) if (x !== null && x !== undefined) return x;
          return null;
        }
        return list ?? null;
      }
      for (const o of ops) {
        const x = o(rt);
        if (x !== null && x !== undefined) return x;
      }
      return null;
    };
  },
  If(node, env) {
    const c = child(node, 'condition');
    const t = child(node, 'then');
    const e = child(node, 'else');
    if (!c || !t || !e) return env.fail(node, 'If needs condition, then and else');
    const cond = env.compile(c);
    const then = env.compile(t);
    const otherwise = env.compile(e);
    return (rt) => (cond(rt) === true ? then(rt) : otherwise(rt));
  },
  Case(node, env) {
    const comparandNode = child(node, 'comparand');
    const comparand = comparandNode ? env.compile(comparandNode) : undefined;
    const raw = node['caseItem'];
    const items = (Array.isArray(raw) ? raw : []).map((it: { when?: ElmNode; then?: ElmNode }) => {
      if (!it.when || !it.then) return env.fail(node, 'case item needs when and then');
      return { when: env.compile(it.when), then: env.compile(it.then) };
    });
    const elseNode = child(node, 'else');
    const otherwise = elseNode ? env.compile(elseNode) : (): unknown => null;
    if (comparand) {
      return (rt) => {
        const v = comparand(rt);
        for (const it of items) if (equal(v, it.when(rt)) === true) return it.then(rt);
        return otherwise(rt);
      };
    }
    return (rt) => {
      for (const it of items) if (it.when(rt) === true) return it.then(rt);
      return otherwise(rt);
    };
  },

  Equal: binary((a, b) => equal(a, b)),
  NotEqual: binary((a, b) => {
    const e = equal(a, b);
    return e === null ? null : !e;
  }),
  Equivalent: binary((a, b) => equivalent(a, b)),
  Less: compareOp((c) => c < 0),
  Greater: compareOp((c) => c > 0),
  LessOrEqual: compareOp((c) => c <= 0),
  GreaterOrEqual: compareOp((c) => c >= 0),

  Message(node, env) {
    const source = child(node, 'source');
    if (!source) return env.fail(node, 'Message without a source');
    const s = env.compile(source);
    const cond = env.compileOptional(child(node, 'condition'));
    const severity = env.compileOptional(child(node, 'severity'));
    const message = env.compileOptional(child(node, 'message'));
    return (rt) => {
      const v = s(rt);
      if (cond && cond(rt) === true && severity && String(severity(rt)).toLowerCase() === 'error') {
        throw new CqlRuntimeError(message ? String(message(rt)) : 'Message with severity Error');
      }
      return v;
    };
  },
};
