/**
 * Reading FHIR ValueSet resources (official expansions an admin loads) into Careloop's value set
 * definitions: `expansion.contains` (nested too), else enumerated `compose.include.concept`.
 */
import { isObject } from './record.ts';
import type { CodeRef, ValueSetDefinition } from './types.ts';

/** Thrown by `withValueSets` for input that is not ValueSet resources or a Bundle of them. */
export class ValueSetLoadError extends Error {
  override readonly name = 'ValueSetLoadError';
}

function collectContains(list: unknown, out: CodeRef[]): void {
  if (!Array.isArray(list)) return;
  for (const c of list) {
    if (!isObject(c)) continue;
    if (typeof c['system'] === 'string' && typeof c['code'] === 'string' && c['abstract'] !== true && c['inactive'] !== true) {
      out.push(typeof c['display'] === 'string' ? { system: c['system'], code: c['code'], display: c['display'] } : { system: c['system'], code: c['code'] });
    }
    collectContains(c['contains'], out);
  }
}

function codesOf(vs: Record<string, unknown>): CodeRef[] {
  const out: CodeRef[] = [];
  const expansion = vs['expansion'];
  if (isObject(expansion)) {
    collectContains(expansion['contains'], out);
    return out;
  }
  // No expansion: enumerated compose.include concepts (no filters) are the expansion.
  const compose = vs['compose'];
  if (isObject(compose) && Array.isArray(compose['include'])) {
    for (const inc of compose['include']) {
      if (!isObject(inc) || typeof inc['system'] !== 'string' || !Array.isArray(inc['concept'])) continue;
      if (inc['filter'] !== undefined || inc['valueSet'] !== undefined) {
        throw new ValueSetLoadError(`ValueSet ${String(vs['url'])} has filters or imports but no expansion`);
      }
      for (const c of inc['concept']) {
        if (isObject(c) && typeof c['code'] === 'string') {
          out.push(typeof c['display'] === 'string' ? { system: inc['system'], code: c['code'], display: c['display'] } : { system: inc['system'], code: c['code'] });
        }
      }
    }
  }
  return out;
}

/**
 * Reads official expansions (ValueSet resources, arrays of them, or Bundles of them) into value set
 * definitions by canonical URL (any `|version` suffix dropped).
 *
 * @throws {ValueSetLoadError} as `withValueSets` does.
 */
export function parseValueSets(valueSetResources: unknown): Map<string, ValueSetDefinition> {
  const loaded = new Map<string, ValueSetDefinition>();
  const take = (item: unknown): void => {
    if (Array.isArray(item)) return item.forEach(take);
    if (!isObject(item)) throw new ValueSetLoadError('expected a ValueSet resource or a Bundle');
    if (item['resourceType'] === 'Bundle') {
      const entries = item['entry'];
      if (!Array.isArray(entries)) return;
      for (const e of entries) take(isObject(e) ? e['resource'] : e);
      return;
    }
    if (item['resourceType'] !== 'ValueSet') throw new ValueSetLoadError(`expected a ValueSet, got ${String(item['resourceType'])}`);
    const rawUrl = item['url'];
    if (typeof rawUrl !== 'string') throw new ValueSetLoadError('ValueSet without a url');
    const url = rawUrl.split('|')[0] ?? rawUrl;
    const codes = codesOf(item);
    if (codes.length === 0) throw new ValueSetLoadError(`ValueSet ${url} has no expansion codes`);
    const version = typeof item['version'] === 'string' ? item['version'] : isObject(item['expansion']) && typeof item['expansion']['timestamp'] === 'string' ? item['expansion']['timestamp'] : 'unversioned';
    const name = typeof item['title'] === 'string' ? item['title'] : typeof item['name'] === 'string' ? item['name'] : url;
    loaded.set(url, { url, name, version, source: 'loaded', codes });
  };
  take(valueSetResources);
  return loaded;
}
