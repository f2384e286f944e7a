/**
 * The clinical content an admin loads by configuration (`careloop.config.json`'s `valueSetBundles`
 * and `measurePackages`, files next to the app): a structural check of each file shared by the
 * audit server, which refuses to start on a bad file, and the app. The app's loaders (src/rules)
 * still do the full reading (ELM, expansions); this catches the wrong file, a truncated download,
 * an expansion left out, before a clinician opens the sidebar.
 */

/** The two kinds of content file. */
export type ContentKind = 'value-set-bundle' | 'measure-package';

/** What a valid file holds, for the start-up log line and the runbook. */
export interface ContentSummary {
  kind: ContentKind;
  /** Canonical URLs with `|version`, of the ValueSets or the Measures. */
  canonicals: string[];
}

/** The outcome of {@link checkContentFile}: a summary, or every problem found. */
export type ContentCheck = { ok: true; summary: ContentSummary } | { ok: false; problems: string[] };

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The resources of a Bundle, a single resource, or an array of either. */
function resourcesOf(value: unknown): unknown[] {
  if (Array.isArray(value)) return value.flatMap(resourcesOf);
  if (isObject(value) && value['resourceType'] === 'Bundle') return Array.isArray(value['entry']) ? value['entry'].map((e) => (isObject(e) ? e['resource'] : e)) : [];
  return [value];
}

const canonicalOf = (r: Json): string => `${String(r['url'])}${typeof r['version'] === 'string' ? `|${r['version']}` : ''}`;

function hasCodes(list: unknown): boolean {
  return Array.isArray(list) && list.some((c) => isObject(c) && ((typeof c['system'] === 'string' && typeof c['code'] === 'string') || hasCodes(c['contains'])));
}

function valueSetProblems(vs: Json, where: string): string[] {
  if (typeof vs['url'] !== 'string' || vs['url'] === '') return [`${where}: a ValueSet without a url`];
  const expansion = vs['expansion'];
  if (isObject(expansion)) return hasCodes(expansion['contains']) ? [] : [`${where}: ValueSet ${vs['url']} has an empty expansion`];
  const compose = vs['compose'];
  const includes = isObject(compose) && Array.isArray(compose['include']) ? compose['include'] : [];
  if (includes.some((i) => isObject(i) && (i['filter'] !== undefined || i['valueSet'] !== undefined))) {
    return [`${where}: ValueSet ${vs['url']} has filters or imports but no expansion (export it with its expansion)`];
  }
  const enumerated = includes.some((i) => isObject(i) && typeof i['system'] === 'string' && Array.isArray(i['concept']) && i['concept'].length > 0);
  return enumerated ? [] : [`${where}: ValueSet ${vs['url']} has no expansion and no enumerated codes`];
}

/**
 * Checks one content file's parsed JSON.
 *
 * @example
 * checkContentFile('value-set-bundle', { resourceType: 'Bundle', entry: [] })
 * // { ok: false, problems: ['holds no ValueSet'] }
 */
export function checkContentFile(kind: ContentKind, value: unknown): ContentCheck {
  const resources = resourcesOf(value);
  const problems: string[] = [];
  const canonicals: string[] = [];
  if (kind === 'value-set-bundle') {
    resources.forEach((r, i) => {
      const where = `entry ${i}`;
      if (!isObject(r) || r['resourceType'] !== 'ValueSet') {
        problems.push(`${where}: a ${isObject(r) ? String(r['resourceType']) : typeof r}, not a ValueSet`);
        return;
      }
      const found = valueSetProblems(r, where);
      problems.push(...found);
      if (found.length === 0) canonicals.push(canonicalOf(r));
    });
    if (resources.length === 0 || (problems.length === 0 && canonicals.length === 0)) problems.push('holds no ValueSet');
  } else {
    const measures = resources.filter((r): r is Json => isObject(r) && r['resourceType'] === 'Measure');
    const libraries = resources.filter((r): r is Json => isObject(r) && r['resourceType'] === 'Library');
    if (!isObject(value) || value['resourceType'] !== 'Bundle') problems.push('is not a FHIR Bundle');
    if (measures.length === 0) problems.push('holds no Measure');
    for (const m of measures) {
      if (typeof m['url'] !== 'string') problems.push(`Measure ${String(m['name'] ?? m['id'])}: no url`);
      else canonicals.push(canonicalOf(m));
      if (!Array.isArray(m['library']) || m['library'].length === 0) problems.push(`Measure ${String(m['name'] ?? m['url'])}: names no Library`);
    }
    const withElm = libraries.filter((l) => Array.isArray(l['content']) && l['content'].some((c) => isObject(c) && c['contentType'] === 'application/elm+json' && typeof c['data'] === 'string'));
    if (withElm.length === 0) problems.push('holds no Library with ELM (content of type application/elm+json); export the package with its ELM');
    resources.forEach((r, i) => {
      if (isObject(r) && r['resourceType'] === 'ValueSet') problems.push(...valueSetProblems(r, `entry ${i}`));
    });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, summary: { kind, canonicals } };
}
