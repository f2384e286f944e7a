/**
 * Type tests and casts: `Is`, `As`, and the run-time type check behind them and behind overload
 * choice (CQL 1.5 §9 Type Operators). System types are recognised by their JavaScript shape, model
 * types (FHIR) by the model.
 */
import { child, splitQName, SYSTEM_NS } from '../elm.ts';
import type { ElmNode, ElmTypeSpecifier } from '../elm.ts';
import type { ModelAccess, NodeCompiler } from '../compile/types.ts';
import { CqlRuntimeError } from '../errors.ts';
import { CqlCode, CqlConcept } from '../values/code.ts';
import { CqlDate, CqlDateTime, CqlTime } from '../values/datetime.ts';
import { CqlInterval } from '../values/interval.ts';
import { CqlQuantity, CqlRatio } from '../values/quantity.ts';
import { CqlCodeSystem, CqlValueSet } from '../values/terminology.ts';
import { CqlTuple } from '../values/tuple.ts';

/** A canonical text for a type specifier or type name, e.g. `List<{http://hl7.org/fhir}Observation>`. */
export function typeKey(spec: ElmTypeSpecifier | string | undefined): string {
  if (spec === undefined) return '?';
  if (typeof spec === 'string') return spec;
  switch (spec.type) {
    case 'NamedTypeSpecifier':
      return typeof spec.name === 'string' ? spec.name : '?';
    case 'ListTypeSpecifier':
      return `List<${typeKey(spec.elementType)}>`;
    case 'IntervalTypeSpecifier':
      return `Interval<${typeKey(spec.pointType)}>`;
    case 'ChoiceTypeSpecifier': {
      const choices = (spec.choice ?? (spec['type'] === 'ChoiceTypeSpecifier' ? (spec as { type_?: readonly ElmTypeSpecifier[] }).type_ : undefined) ?? []) as readonly (ElmTypeSpecifier | string)[];
      return `Choice<${choices.map((c) => typeKey(c)).join(',')}>`;
    }
    case 'TupleTypeSpecifier':
      return `Tuple{${(spec.element ?? []).map((e) => `${e.name}:${typeKey(e.elementType ?? e.type)}`).join(',')}}`;
    default:
      return '?';
  }
}

function systemIs(value: unknown, name: string): boolean | undefined {
  switch (name) {
    case 'Any':
      return true;
    case 'Boolean':
      return typeof value === 'boolean';
    case 'Integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'Long':
      return typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value));
    case 'Decimal':
      return typeof value === 'number';
    case 'String':
      return typeof value === 'string';
    case 'Date':
      return value instanceof CqlDate;
    case 'DateTime':
      return value instanceof CqlDateTime;
    case 'Time':
      return value instanceof CqlTime;
    case 'Quantity':
      return value instanceof CqlQuantity;
    case 'Ratio':
      return value instanceof CqlRatio;
    case 'Code':
      return value instanceof CqlCode;
    case 'Concept':
      return value instanceof CqlConcept;
    case 'ValueSet':
      return value instanceof CqlValueSet;
    case 'CodeSystem':
      return value instanceof CqlCodeSystem;
    case 'Vocabulary':
      return value instanceof CqlValueSet || value instanceof CqlCodeSystem;
    default:
      return undefined;
  }
}

/** A compiled type test: true, false, or undefined when the type is unknown to the engine and the model. */
export type TypeTester = (value: unknown) => boolean | undefined;

/**
 * Compiles a type test once (names split, model lookups resolved), for `Is`, `As` and overload
 * choice: measure logic tests the type of every resource and choice element it reads. Null is of
 * no type (CQL: `null is T` is false).
 */
export function typeTester(spec: ElmTypeSpecifier | string, model: ModelAccess): TypeTester {
  const inner = innerTester(spec, model);
  return (value) => (value === null || value === undefined ? false : inner(value));
}

function innerTester(spec: ElmTypeSpecifier | string, model: ModelAccess): TypeTester {
  if (typeof spec === 'string') return namedTester(spec, model);
  switch (spec.type) {
    case 'NamedTypeSpecifier':
      return typeof spec.name === 'string' ? namedTester(spec.name, model) : () => undefined;
    case 'ListTypeSpecifier': {
      const el = spec.elementType === undefined ? undefined : innerTester(spec.elementType, model);
      return (value) => {
        if (!Array.isArray(value)) return false;
        if (el === undefined) return true;
        for (const v of value as readonly unknown[]) if (v !== null && v !== undefined && el(v) === false) return false;
        return true;
      };
    }
    case 'IntervalTypeSpecifier': {
      const pt = spec.pointType === undefined ? undefined : innerTester(spec.pointType, model);
      return (value) => {
        if (!(value instanceof CqlInterval)) return false;
        if (pt === undefined) return true;
        const p: unknown = value.low ?? value.high;
        return p === null || p === undefined ? true : pt(p);
      };
    }
    case 'ChoiceTypeSpecifier': {
      const choices = ((spec.choice ?? []) as readonly (ElmTypeSpecifier | string)[]).map((c) => innerTester(c, model));
      return (value) => {
        let unknown = false;
        for (const c of choices) {
          const r = c(value);
          if (r === true) return true;
          if (r === undefined) unknown = true;
        }
        return unknown ? undefined : false;
      };
    }
    case 'TupleTypeSpecifier':
      return (value) => value instanceof CqlTuple;
    default:
      return () => undefined;
  }
}

function namedTester(qname: string, model: ModelAccess): TypeTester {
  const { ns, name } = splitQName(qname);
  const modelTest: TypeTester = model.typeTester ? model.typeTester(ns, name) : (value) => model.isType(value, ns, name);
  if (ns !== SYSTEM_NS && ns !== '') return modelTest;
  return (value) => {
    const r = systemIs(value, name);
    return r !== undefined ? r : modelTest(value);
  };
}

const testers = new WeakMap<object, TypeTester>();
const namedTesters = new WeakMap<ModelAccess, Map<string, TypeTester>>();

/**
 * Whether `value` is of the type, for a type known only at run time: the tester of an object
 * specifier is compiled once and kept with it.
 */
export function isOfType(value: unknown, spec: ElmTypeSpecifier | string, model: ModelAccess): boolean | undefined {
  if (typeof spec === 'string') {
    let byName = namedTesters.get(model);
    if (byName === undefined) namedTesters.set(model, (byName = new Map()));
    let named = byName.get(spec);
    if (named === undefined) byName.set(spec, (named = typeTester(spec, model)));
    return named(value);
  }
  let t = testers.get(spec);
  if (t === undefined) testers.set(spec, (t = typeTester(spec, model)));
  return t(value);
}

function typeOfNode(node: ElmNode, key: string, specKey: string): ElmTypeSpecifier | string | undefined {
  const name = node[key];
  if (typeof name === 'string') return name;
  return child(node, specKey) as ElmTypeSpecifier | undefined;
}

/** `Is`, `As` and their compile-time type lookups. */
export const typeOperators: Record<string, NodeCompiler> = {
  Is(node, env) {
    const operand = child(node, 'operand');
    if (!operand) return env.fail(node, 'Is without an operand');
    const a = env.compile(operand);
    const spec = typeOfNode(node, 'isType', 'isTypeSpecifier');
    if (spec === undefined) return env.fail(node, 'Is without a type');
    const test = typeTester(spec, env.program.model);
    return (rt) => test(a(rt)) === true;
  },
  As(node, env) {
    const operand = child(node, 'operand');
    if (!operand) return env.fail(node, 'As without an operand');
    const a = env.compile(operand);
    const spec = typeOfNode(node, 'asType', 'asTypeSpecifier');
    if (spec === undefined) return env.fail(node, 'As without a type');
    const strict = node['strict'] === true;
    const test = typeTester(spec, env.program.model);
    const key = typeKey(spec);
    return (rt) => {
      const v = a(rt);
      if (v === null || v === undefined) return null;
      const r = test(v);
      // Unknown to both the engine and the model: the translator vouched for the cast.
      if (r === true || r === undefined) return v;
      if (strict) throw new CqlRuntimeError(`cannot cast a value to ${key}`);
      return null;
    };
  },
};
