/**
 * Rule packs: building one (with its digest), the built-in `careloopPreventive` pack, and loading
 * official value set expansions over the built-in starter subsets.
 */
import { digestOf } from '../shared/digest.ts';
import { breastCancerScreening } from './definitions/breast-cancer-screening.ts';
import { cervicalCancerScreening } from './definitions/cervical-cancer-screening.ts';
import { colorectalCancerScreening } from './definitions/colorectal-cancer-screening.ts';
import { controllingBloodPressure } from './definitions/controlling-blood-pressure.ts';
import { diabetesGlycemicStatus } from './definitions/diabetes-glycemic-status.ts';
import { influenzaVaccination } from './definitions/influenza-vaccination.ts';
import { pneumococcalVaccination } from './definitions/pneumococcal-vaccination.ts';
import { statinTherapyCvd } from './definitions/statin-therapy-cvd.ts';
import { tobaccoScreeningCessation } from './definitions/tobacco-screening-cessation.ts';
import { SHARED } from './context.ts';
import { isObject } from './record.ts';
import type { CodeRef, RuleDefinition, RulePack, ValueSetDefinition } from './types.ts';
import { BUILT_IN_VALUE_SETS } from './valuesets.ts';

/** Every value set URL a rule refers to (any string field naming a known value set), plus the shared exclusions'. */
export function valueSetUrlsOf(rules: readonly RuleDefinition[], known: Readonly<Record<string, unknown>>): string[] {
  const urls = new Set<string>();
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      if (Object.hasOwn(known, v)) urls.add(v);
    } else if (Array.isArray(v)) {
      v.forEach(walk);
    } else if (isObject(v)) {
      Object.values(v).forEach(walk);
    }
  };
  walk(rules);
  walk(SHARED);
  return [...urls].sort();
}

/**
 * Builds a pack: keeps only the value sets its rules use and digests id, version, rules and value
 * sets (canonical JSON, SHA-256).
 */
export function buildPack(
  id: string,
  version: string,
  rules: readonly RuleDefinition[],
  valueSets: Readonly<Record<string, ValueSetDefinition>>,
): RulePack {
  return assemblePack(id, version, rules, valueSets, undefined);
}

function assemblePack(
  id: string,
  version: string,
  rules: readonly RuleDefinition[],
  valueSets: Readonly<Record<string, ValueSetDefinition>>,
  builtDigest: string | undefined,
): RulePack {
  const inUse: Record<string, ValueSetDefinition> = {};
  for (const url of valueSetUrlsOf(rules, valueSets)) {
    const vs = valueSets[url];
    if (vs) inUse[url] = vs;
  }
  const digest = builtDigest ?? digestOf({ id, version, rules, valueSets: inUse });
  return { id, version, rules, valueSets: inUse, digest };
}

/**
 * The built-in pack's digest as the production build computed it (vite.config.ts), from these
 * same modules: hashing ~70 KB of canonical JSON costs a browser ~100 ms of main thread on every
 * launch, for a value fixed at build time. Undefined everywhere else (tests, Node, the dev
 * server), where the digest is computed here.
 */
declare const __CARELOOP_PREVENTIVE_DIGEST__: string | undefined;

/** The Careloop preventive-care pack. */
export const careloopPreventive: RulePack = assemblePack(
  'careloop-preventive',
  '1.1.0',
  [
    diabetesGlycemicStatus,
    controllingBloodPressure,
    statinTherapyCvd,
    colorectalCancerScreening,
    breastCancerScreening,
    cervicalCancerScreening,
    tobaccoScreeningCessation,
    influenzaVaccination,
    pneumococcalVaccination,
  ],
  BUILT_IN_VALUE_SETS,
  typeof __CARELOOP_PREVENTIVE_DIGEST__ === 'string' ? __CARELOOP_PREVENTIVE_DIGEST__ : undefined,
);

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

/**
 * Returns a new pack whose value sets are replaced, by canonical URL, with the given official
 * expansions (ValueSet resources, arrays of them, or Bundles of them). Value sets the pack does not
 * use are ignored; the digest is recomputed.
 *
 * @throws {ValueSetLoadError} when an item is not a ValueSet or a Bundle, or a ValueSet has no url
 *   or no usable expansion.
 * @example
 * const pack = withValueSets(careloopPreventive, JSON.parse(readFileSync('vsac-2025.json', 'utf8')));
 */
export function withValueSets(pack: RulePack, valueSetResources: unknown): RulePack {
  const loaded = parseValueSets(valueSetResources);
  const next: Record<string, ValueSetDefinition> = { ...pack.valueSets };
  for (const [url, vs] of loaded) if (Object.hasOwn(next, url)) next[url] = vs;
  return buildPack(pack.id, pack.version, pack.rules, next);
}
