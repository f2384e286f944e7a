/**
 * Two corrections to the reference engine (cql-execution 3.3.2) where Careloop holds the CQL 1.5
 * specification over it, applied before any differential run. Everything else the reference answers
 * is its own. Each correction is also a documented disagreement of the conformance corpus
 * (test/cql/support/spec-over-reference.ts), where the uncorrected reference is compared.
 *
 * - Sort (CQL 1.5 §5.2.5 and Queries › Sort): a later sort item decides only between elements equal
 *   on the earlier ones. cql-execution's `ByExpression` treats two equal, distinct Date objects as
 *   "greater" both ways, so ties never fall through and come out in merge order.
 * - Flatten (List Operators › Flatten): the elements of the inner lists; a null element is a list
 *   with no elements. cql-execution leaves a list holding null unflattened.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface Context {
  childContext(value: unknown): Context;
}
interface Executable {
  execute(ctx: Context): Promise<unknown>;
}
interface SortItem {
  readonly expression: Executable;
  exec(this: SortItem, ctx: Context, a: unknown, b: unknown): Promise<number>;
}
interface FlattenNode {
  execArgs(ctx: Context): Promise<unknown>;
  exec(this: FlattenNode, ctx: Context): Promise<unknown>;
}

const query = require('cql-execution/lib/elm/query.js') as { ByExpression: { prototype: SortItem } };
const list = require('cql-execution/lib/elm/list.js') as { Flatten: { prototype: FlattenNode } };
const comparison = require('cql-execution/lib/util/comparison.js') as { equals(a: unknown, b: unknown): boolean | null };

let applied = false;

/** Applies the two corrections once per process. */
export function applyReferenceCorrections(): void {
  if (applied) return;
  applied = true;
  const sortExec = query.ByExpression.prototype.exec;
  query.ByExpression.prototype.exec = async function (this: SortItem, ctx: Context, a: unknown, b: unknown): Promise<number> {
    const av = await this.expression.execute(ctx.childContext(a));
    const bv = await this.expression.execute(ctx.childContext(b));
    const quantities = (av as { isQuantity?: unknown } | null)?.isQuantity === true && (bv as { isQuantity?: unknown } | null)?.isQuantity === true;
    if (av !== null && av !== undefined && bv !== null && bv !== undefined && !quantities && comparison.equals(av, bv) === true) return 0;
    return sortExec.call(this, ctx, a, b);
  };
  list.Flatten.prototype.exec = async function (this: FlattenNode, ctx: Context): Promise<unknown> {
    const arg = await this.execArgs(ctx);
    if (arg === null || arg === undefined || !Array.isArray(arg)) return arg ?? null;
    const out: unknown[] = [];
    for (const inner of arg as unknown[]) {
      if (inner === null || inner === undefined) continue;
      if (Array.isArray(inner)) out.push(...(inner as unknown[]));
      else out.push(inner);
    }
    return out;
  };
}
