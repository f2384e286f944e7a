/**
 * Every ELM node type the engine compiles, by family. Each family exports a record keyed by ELM node
 * type; a compiler reads its operands once, at load time, and returns a closure `(rt) => value`.
 * A node type missing here fails the load (naming node, library and locator), never a silent null.
 * Each node type has exactly one owner (`operatorOwners` lets a test check that).
 */
import type { NodeCompiler } from '../compile/types.ts';
import { aggregateOperators } from './aggregate.ts';
import { arithmeticOperators } from './arithmetic.ts';
import { conversionOperators } from './conversion.ts';
import { coreOperators } from './core.ts';
import { datetimeOperators } from './datetime.ts';
import { intervalOperators } from './interval.ts';
import { listOperators } from './list.ts';
import { queryOperators } from './query.ts';
import { stringOperators } from './string.ts';
import { terminologyOperators } from './terminology.ts';
import { typeOperators } from './types.ts';

const FAMILIES: Readonly<Record<string, Readonly<Record<string, NodeCompiler>>>> = {
  core: coreOperators,
  query: queryOperators,
  terminology: terminologyOperators,
  types: typeOperators,
  arithmetic: arithmeticOperators,
  string: stringOperators,
  conversion: conversionOperators,
  datetime: datetimeOperators,
  interval: intervalOperators,
  list: listOperators,
  aggregate: aggregateOperators,
};

/** Node type → the families that define it (more than one is a conflict). */
export function operatorOwners(): Map<string, string[]> {
  const owners = new Map<string, string[]>();
  for (const [family, ops] of Object.entries(FAMILIES)) {
    for (const type of Object.keys(ops)) owners.set(type, [...(owners.get(type) ?? []), family]);
  }
  return owners;
}

/** All operator compilers. */
export const operators: Readonly<Record<string, NodeCompiler>> = Object.assign({}, ...Object.values(FAMILIES)) as Record<string, NodeCompiler>;
