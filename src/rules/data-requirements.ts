/**
 * Which FHIR resource types each rule of a pack reads: the `Retrieve`s reachable from the defines
 * of its library, following expression and function references into included libraries (so a rule
 * that uses the common hospice exclusion needs what that exclusion reads, and not what the rest of
 * the common library reads). The host uses it to say a rule was "not assessed" when the EHR did not
 * let Careloop read a type the rule needs, instead of deciding it on a record with a hole in it.
 */
import type { ElmLibrary } from '../cql/index.ts';

type Node = Record<string, unknown>;

const FHIR_TYPE = /^\{http:\/\/hl7\.org\/fhir\}([A-Za-z]+)$/;

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null;
}

function defsOf(library: ElmLibrary): readonly Node[] {
  const statements = (library.library as unknown as { statements?: { def?: unknown } }).statements;
  return Array.isArray(statements?.def) ? (statements.def as Node[]) : [];
}

function includesOf(library: ElmLibrary): Map<string, string> {
  const includes = (library.library as unknown as { includes?: { def?: unknown } }).includes;
  const out = new Map<string, string>();
  if (Array.isArray(includes?.def)) {
    for (const def of includes.def as Node[]) {
      if (typeof def['localIdentifier'] === 'string' && typeof def['path'] === 'string') out.set(def['localIdentifier'], def['path']);
    }
  }
  return out;
}

/**
 * The FHIR resource types a library's defines read, transitively through included libraries.
 * @param libraries every library of the pack, by name
 * @example dataTypesOf('CareloopPneumococcalVaccination', libraries) // ['Immunization', 'Patient']
 */
export function dataTypesOf(main: string, libraries: ReadonlyMap<string, ElmLibrary>): string[] {
  const types = new Set<string>();
  const seen = new Set<Node>();
  const queue: { library: string; def: Node }[] = [];
  // Every def of that name (a function's overloads share it), each walked once.
  const enqueue = (library: string, name: string | null) => {
    const elm = libraries.get(library);
    if (!elm) return;
    for (const def of defsOf(elm)) {
      if ((name !== null && def['name'] !== name) || seen.has(def)) continue;
      seen.add(def);
      queue.push({ library, def });
    }
  };
  enqueue(main, null);
  while (queue.length > 0) {
    const { library, def } = queue.pop() as { library: string; def: Node };
    const elm = libraries.get(library);
    const includes = elm ? includesOf(elm) : new Map<string, string>();
    const walk = (value: unknown): void => {
      if (Array.isArray(value)) {
        for (const item of value) walk(item);
        return;
      }
      if (!isNode(value)) return;
      const kind = value['type'];
      if (kind === 'Retrieve' && typeof value['dataType'] === 'string') {
        const type = FHIR_TYPE.exec(value['dataType'])?.[1];
        if (type) types.add(type);
      }
      if ((kind === 'ExpressionRef' || kind === 'FunctionRef') && typeof value['name'] === 'string') {
        const alias = value['libraryName'];
        const target = typeof alias === 'string' ? includes.get(alias) : library;
        if (target) enqueue(target, value['name']);
      }
      for (const child of Object.values(value)) if (isNode(child)) walk(child);
    };
    walk(def);
  }
  return [...types].sort();
}
