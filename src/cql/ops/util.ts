/**
 * Building blocks for operator compilers: reading operands once at load time and wrapping the
 * common null-propagation shapes.
 */
import { children } from '../elm.ts';
import type { ElmNode } from '../elm.ts';
import type { CompileEnv, Evaluator, NodeCompiler } from '../compile/types.ts';

/** The node's `operand` (one node or an array), compiled. */
export function compileOperands(node: ElmNode, env: CompileEnv): Evaluator[] {
  return children(node, 'operand').map((n) => env.compile(n));
}

/** Exactly `n` compiled operands, or a load error naming the node. */
export function operandsN(node: ElmNode, env: CompileEnv, n: number): Evaluator[] {
  const ops = compileOperands(node, env);
  if (ops.length !== n) env.fail(node, `expected ${n} operand(s), found ${ops.length}`);
  return ops;
}

/** A unary operator that returns null when its operand is null. */
export function unaryNull(f: (a: unknown) => unknown): NodeCompiler {
  return (node, env) => {
    const [a] = operandsN(node, env, 1) as [Evaluator];
    return (rt) => {
      const x = a(rt);
      return x === null || x === undefined ? null : f(x);
    };
  };
}

/** A binary operator that returns null when either operand is null. */
export function binaryNull(f: (a: unknown, b: unknown, node: ElmNode) => unknown): NodeCompiler {
  return (node, env) => {
    const [a, b] = operandsN(node, env, 2) as [Evaluator, Evaluator];
    return (rt) => {
      const x = a(rt);
      if (x === null || x === undefined) return null;
      const y = b(rt);
      return y === null || y === undefined ? null : f(x, y, node);
    };
  };
}

/** A unary operator that handles null itself. */
export function unary(f: (a: unknown) => unknown): NodeCompiler {
  return (node, env) => {
    const [a] = operandsN(node, env, 1) as [Evaluator];
    return (rt) => f(a(rt) ?? null);
  };
}

/** A binary operator that handles null itself. */
export function binary(f: (a: unknown, b: unknown) => unknown): NodeCompiler {
  return (node, env) => {
    const [a, b] = operandsN(node, env, 2) as [Evaluator, Evaluator];
    return (rt) => f(a(rt) ?? null, b(rt) ?? null);
  };
}

/** The node's `precision` attribute as a lower-case unit name (`Year` → `year`), or undefined. */
export function precisionOf(node: ElmNode): string | undefined {
  const p = node['precision'];
  return typeof p === 'string' ? p.toLowerCase() : undefined;
}
