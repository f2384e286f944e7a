/**
 * String operators (CQL 1.5 Appendix B "String Operators"), plus Length and Indexer on lists.
 * Characters are UTF-16 code units, as in JavaScript (and the Java reference engine). Regular
 * expressions use the JavaScript dialect with the `u` flag; Matches is a partial match, as the
 * specification's text says ("use partial matching"; `^`/`$` anchor the whole string). cql-execution
 * matches the whole string instead (listed in test/cql/support/spec-over-reference.ts).
 */
import { child, children } from '../elm.ts';
import type { ElmNode } from '../elm.ts';
import type { CompileEnv, Evaluator, NodeCompiler } from '../compile/types.ts';
import { CqlRuntimeError } from '../errors.ts';
import { binaryNull, operandsN } from './util.ts';

function need(node: ElmNode, env: CompileEnv, key: string): Evaluator {
  const n = child(node, key);
  if (!n) return env.fail(node, `missing ${key}`);
  return env.compile(n);
}

const isStr = (v: unknown): v is string => typeof v === 'string';

function expectString(node: ElmNode, v: unknown): string {
  if (typeof v !== 'string') throw new CqlRuntimeError(`${node.type}: expected a String`);
  return v;
}

function expectInt(node: ElmNode, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new CqlRuntimeError(`${node.type}: expected an Integer`);
  return v;
}

/** Compiled regular expressions, by pattern (patterns are usually literals). */
const regexCache = new Map<string, RegExp | null>();

/** The pattern as a JavaScript RegExp (`flags` added), or null when the pattern is invalid. */
function regex(pattern: string, flags: string): RegExp | null {
  const key = `${flags}/${pattern}`;
  const hit = regexCache.get(key);
  if (hit !== undefined) return hit;
  let r: RegExp | null;
  try {
    r = new RegExp(pattern, `u${flags}`);
  } catch {
    try {
      r = new RegExp(pattern, flags);
    } catch {
      r = null;
    }
  }
  regexCache.set(key, r);
  return r;
}

function regexOrFail(node: ElmNode, pattern: string, flags: string): RegExp {
  const r = regex(pattern, flags);
  if (!r) throw new CqlRuntimeError(`${node.type}: invalid regular expression ${JSON.stringify(pattern)}`);
  return r;
}

/** Converts a CQL/Java-style substitution (`$1`, `\$`) to JavaScript's replace syntax. */
function substitution(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && i + 1 < s.length) {
      const n = s[i + 1] ?? '';
      out += n === '$' ? '$$' : n;
      i++;
    } else out += c;
  }
  return out;
}

const concatenate: NodeCompiler = (node, env) => {
  const ops = children(node, 'operand').map((o) => env.compile(o));
  return (rt) => {
    let out = '';
    for (const op of ops) {
      const v = op(rt) ?? null;
      if (v === null) return null;
      out += expectString(node, v);
    }
    return out;
  };
};

const combine: NodeCompiler = (node, env) => {
  const source = need(node, env, 'source');
  const sep = env.compileOptional(child(node, 'separator'));
  return (rt) => {
    const list = source(rt) ?? null;
    if (list === null) return null;
    if (!Array.isArray(list)) throw new CqlRuntimeError('Combine: expected a list');
    const parts = list.filter(isStr);
    if (parts.length === 0) return null;
    const s = sep ? (sep(rt) ?? null) : null;
    return parts.join(s === null ? '' : expectString(node, s));
  };
};

const split: NodeCompiler = (node, env) => {
  const source = need(node, env, 'stringToSplit');
  const sep = env.compileOptional(child(node, 'separator'));
  return (rt) => {
    const s = source(rt) ?? null;
    if (s === null) return null;
    const str = expectString(node, s);
    const p = sep ? (sep(rt) ?? null) : null;
    if (p === null || p === '') return [str];
    return str.split(expectString(node, p));
  };
};

const splitOnMatches: NodeCompiler = (node, env) => {
  const source = need(node, env, 'stringToSplit');
  const pat = need(node, env, 'separatorPattern');
  return (rt) => {
    const s = source(rt) ?? null;
    if (s === null) return null;
    const str = expectString(node, s);
    const p = pat(rt) ?? null;
    if (p === null) return [str];
    return str.split(regexOrFail(node, expectString(node, p), 'g'));
  };
};

/** Whether the ELM types the operand of Length as a list (Length of a null list is 0, CQL 1.5 List Length). */
function listOperand(node: ElmNode): boolean {
  const sig = node['signature'];
  const first: unknown = Array.isArray(sig) ? sig[0] : undefined;
  if (typeof first === 'object' && first !== null && (first as { type?: unknown }).type === 'ListTypeSpecifier') return true;
  const op = children(node, 'operand')[0];
  if (!op) return false;
  if (op.type === 'List') return true;
  const spec = op['asTypeSpecifier'] ?? op['resultTypeSpecifier'];
  return typeof spec === 'object' && spec !== null && (spec as { type?: unknown }).type === 'ListTypeSpecifier';
}

const length: NodeCompiler = (node, env) => {
  const [a] = operandsN(node, env, 1) as [Evaluator];
  const nullLength = listOperand(node) ? 0 : null;
  return (rt) => {
    const v = a(rt) ?? null;
    if (v === null) return nullLength;
    if (typeof v === 'string' || Array.isArray(v)) return v.length;
    throw new CqlRuntimeError('Length: expected a String or a List');
  };
};

const caseOp =
  (upper: boolean): NodeCompiler =>
  (node, env) => {
    const [a] = operandsN(node, env, 1) as [Evaluator];
    return (rt) => {
      const v = a(rt) ?? null;
      if (v === null) return null;
      const s = expectString(node, v);
      return upper ? s.toUpperCase() : s.toLowerCase();
    };
  };

const indexer: NodeCompiler = binaryNull((v, i, node) => {
  const idx = expectInt(node, i);
  if (typeof v === 'string') return idx >= 0 && idx < v.length ? v.charAt(idx) : null;
  if (Array.isArray(v)) return idx >= 0 && idx < v.length ? ((v[idx] as unknown) ?? null) : null;
  throw new CqlRuntimeError('Indexer: expected a String or a List');
});

const positionOf =
  (last: boolean): NodeCompiler =>
  (node, env) => {
    const pattern = need(node, env, 'pattern');
    const string = need(node, env, 'string');
    return (rt) => {
      const p = pattern(rt) ?? null;
      if (p === null) return null;
      const s = string(rt) ?? null;
      if (s === null) return null;
      const ps = expectString(node, p);
      const ss = expectString(node, s);
      return last ? ss.lastIndexOf(ps) : ss.indexOf(ps);
    };
  };

const substring: NodeCompiler = (node, env) => {
  const source = need(node, env, 'stringToSub');
  const start = need(node, env, 'startIndex');
  const len = env.compileOptional(child(node, 'length'));
  return (rt) => {
    const s = source(rt) ?? null;
    if (s === null) return null;
    const st = start(rt) ?? null;
    if (st === null) return null;
    const str = expectString(node, s);
    const from = expectInt(node, st);
    if (from < 0 || from >= str.length) return null;
    if (!len) return str.slice(from);
    const l = len(rt) ?? null;
    if (l === null) return str.slice(from);
    const n = expectInt(node, l);
    return n <= 0 ? '' : str.slice(from, from + n);
  };
};

const affix =
  (f: (s: string, p: string) => boolean): NodeCompiler =>
  (node, env) => {
    const [a, b] = operandsN(node, env, 2) as [Evaluator, Evaluator];
    return (rt) => {
      const s = a(rt) ?? null;
      if (s === null) return null;
      const p = b(rt) ?? null;
      if (p === null) return null;
      return f(expectString(node, s), expectString(node, p));
    };
  };

// Single-line mode: `.` matches a newline too (flag `s`).
const matches: NodeCompiler = binaryNull((s, p, node) => regexOrFail(node, expectString(node, p), 's').test(expectString(node, s)));

const replaceMatches: NodeCompiler = (node, env) => {
  const [a, b, c] = operandsN(node, env, 3) as [Evaluator, Evaluator, Evaluator];
  return (rt) => {
    const s = a(rt) ?? null;
    if (s === null) return null;
    const p = b(rt) ?? null;
    if (p === null) return null;
    const r = c(rt) ?? null;
    if (r === null) return null;
    return expectString(node, s).replace(regexOrFail(node, expectString(node, p), 'gs'), substitution(expectString(node, r)));
  };
};

/** The string family's compilers, keyed by ELM node type. */
export const stringOperators: Record<string, NodeCompiler> = {
  Concatenate: concatenate,
  Combine: combine,
  Split: split,
  SplitOnMatches: splitOnMatches,
  Length: length,
  Upper: caseOp(true),
  Lower: caseOp(false),
  Indexer: indexer,
  PositionOf: positionOf(false),
  LastPositionOf: positionOf(true),
  Substring: substring,
  StartsWith: affix((s, p) => s.startsWith(p)),
  EndsWith: affix((s, p) => s.endsWith(p)),
  Matches: matches,
  ReplaceMatches: replaceMatches,
};
