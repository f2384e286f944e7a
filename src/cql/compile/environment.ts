/**
 * The compile environment: one per library, with lexical scopes for query aliases, lets and
 * function operands, each bound to a slot of the runtime's slot array.
 */
import type { ElmNode } from '../elm.ts';
import { ElmLoadError } from '../errors.ts';
import type { CompileEnv, Evaluator, NodeCompiler, ProgramServices } from './types.ts';

type SlotKind = 'alias' | 'let' | 'operand';

interface Scope {
  readonly kind: SlotKind;
  readonly name: string;
  readonly slot: number;
  readonly parent: Scope | undefined;
}

/** Allocates slot numbers program-wide: each lexical binding site gets its own. */
export class SlotAllocator {
  private next = 0;
  allocate(): number {
    return this.next++;
  }
  get size(): number {
    return this.next;
  }
}

/** Creates the environment a library's statements are compiled in. */
export function createEnv(
  libraryName: string,
  operators: Readonly<Record<string, NodeCompiler>>,
  program: ProgramServices,
  slots: SlotAllocator,
): CompileEnv {
  return makeEnv(libraryName, operators, program, slots, undefined);
}

function makeEnv(
  libraryName: string,
  operators: Readonly<Record<string, NodeCompiler>>,
  program: ProgramServices,
  slots: SlotAllocator,
  scope: Scope | undefined,
): CompileEnv {
  const env: CompileEnv = {
    libraryName,
    program,
    compile(node: ElmNode): Evaluator {
      const compiler = Object.hasOwn(operators, node.type) ? operators[node.type] : undefined;
      if (!compiler) throw new ElmLoadError(`unsupported ELM node ${node.type}`, { library: libraryName, node });
      return compiler(node, env);
    },
    compileOptional(node: ElmNode | undefined): Evaluator | undefined {
      return node ? env.compile(node) : undefined;
    },
    fail(node: ElmNode, message: string): never {
      throw new ElmLoadError(message, { library: libraryName, node });
    },
    lookupSlot(kind: SlotKind, name: string, node: ElmNode): number {
      for (let s = scope; s; s = s.parent) {
        if (s.name === name && (s.kind === kind || kind === 'alias' || s.kind === 'alias')) return s.slot;
      }
      // A let may be referenced as an identifier and an operand as an alias in some translators' output.
      for (let s = scope; s; s = s.parent) if (s.name === name) return s.slot;
      return env.fail(node, `no ${kind} named "${name}" in scope`);
    },
    withSlots(bindings) {
      let s = scope;
      const allocated: number[] = [];
      for (const b of bindings) {
        const slot = slots.allocate();
        allocated.push(slot);
        s = { kind: b.kind, name: b.name, slot, parent: s };
      }
      return { env: makeEnv(libraryName, operators, program, slots, s), slots: allocated };
    },
  };
  return env;
}
