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

/**
 * Whether `value` is of the type: true, false, or undefined when the type is unknown to the engine
 * and the model. Null is of no type (CQL: `null is T` is false).
 */
export function isOfType(value: unknown, spec: ElmTypeSpecifier | string, model: ModelAccess): boolean | undefined {
  if (value === null || value === undefined) return false;
  if (typeof spec === 'string') return namedIs(value, spec, model);
  switch (spec.type) {
    case 'NamedTypeSpecifier':
      return typeof spec.name === 'string' ? namedIs(value, spec.name, model) : undefined;
    case 'ListTypeSpecifier': {
      if (!Array.isArray(value)) return false;
      const el = spec.elementType;
      if (el === undefined) return true;
      for (const v of value) if (v !== null && isOfType(v, el, model) === false) return false;
      return true;
    }
    case 'IntervalTypeSpecifier': {
      if (!(value instanceof CqlInterval)) return false;
      const pt = spec.pointType;
      if (pt === undefined) return true;
      const p = value.low ?? value.high;
      return p === null || p === undefined ? true : isOfType(p, pt, model);
    }
    case 'ChoiceTypeSpecifier': {
      const choices = (spec.choice ?? []) as readonly (ElmTypeSpecifier | string)[];
      let unknown = false;
      for (const c of choices) {
        const r = isOfType(value, c, model);
        if (r === true) return true;
        if (r === undefined) unknown = true;
      }
      return unknown ? undefined : false;
    }
    case 'TupleTypeSpecifier':
      return value instanceof CqlTuple;
    default:
      return undefined;
  }
}

function namedIs(value: unknown, qname: string, model: ModelAccess): boolean | undefined {
  const { ns, name } = splitQName(qname);
  if (ns === SYSTEM_NS || ns === '') {
    const r = systemIs(value, name);
    if (r !== undefined) return r;
  }
  return model.isType(value, ns, name);
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
    const model = env.program.model;
    return (rt) => isOfType(a(rt), spec, model) === true;
  },
  As(node, env) {
    const operand = child(node, 'operand');
    if (!operand) return env.fail(node, 'As without an operand');
    const a = env.compile(operand);
    const spec = typeOfNode(node, 'asType', 'asTypeSpecifier');
    if (spec === undefined) return env.fail(node, 'As without a type');
    const strict = node['strict'] === true;
    const model = env.program.model;
    const key = typeKey(spec);
    return (rt) => {
      const v = a(rt);
      if (v === null || v === undefined) return null;
      const r = isOfType(v, spec, model);
      // Unknown to both the engine and the model: the translator vouched for the cast.
      if (r === true || r === undefined) return v;
      if (strict) throw new CqlRuntimeError(`cannot cast a value to ${key}`);
      return null;
    };
  },
};
