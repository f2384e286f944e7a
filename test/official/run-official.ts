/**
 * `npx tsx test/official/run-official.ts <content-dir> [--strip-profiles] [--measure NAME]... [--library FILE]... [--out report.json] [--show N]`
 *
 * Runs the official CMS eCQM content (the cqframework `ecqm-content-qicore-*` layout: Measures,
 * ELM Libraries, ValueSets with expansions, MADiE test cases with their expected MeasureReports)
 * through Careloop's measure-package path — the functions `rules measure` composes:
 * `loadMeasurePackages` on a package Bundle, `evaluateMeasure` per patient, `measureReport` — and
 * compares each group's population counts with the expected MeasureReport of each test case.
 *
 * - The package Bundle holds the Measure, its main Library and every Library its ELM includes
 *   (transitively, by name), and the ValueSets those libraries declare.
 * - A test case is the case folder's resources, one per file; the MeasureReport is the expectation
 *   (its period is the Measurement Period) and Bundle files (the same resources again) are skipped.
 *   A case with only a Bundle file is that Bundle's entries, its MeasureReport the expectation.
 * - `--strip-profiles` removes every `meta.profile` from the test data first: real EHR data carry
 *   none, and the answers must not change.
 * - `--library FILE` adds a Library resource from outside the content (e.g. one whose ELM the
 *   content's mirror lacks); the report lists each one used.
 * - `--valuesets-from DIR` (repeatable, in order of preference) supplies the ValueSets the content
 *   lacks from another content folder or Git directory; the table counts them per measure.
 * - `--measure NAME` keeps the measures whose file name starts with NAME (repeatable).
 * - `--workarounds` works around engine findings recorded in .tmp/official-findings.md so the rest
 *   can be measured (today: F1, namespace-qualified include paths are rewritten to bare names).
 * - `--dump DIR` writes each package Bundle (`<measure>.package.json`) and each case's patient
 *   Bundle (`<measure>/<case>.json`, as evaluated) for a closer look.
 * - `<content-dir>` is a folder with `input/` or a Git directory without a work tree.
 *
 * Prints a table per measure (cases, agreeing, disagreeing, errors, with the first messages) and
 * the totals; measures whose package cannot load are listed with the reason. Exit 0 when it ran.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { basename } from 'node:path';
import { evaluateMeasure, loadMeasurePackages, measureReport, MeasurePackageError } from '../../src/rules/measure-package.ts';
import type { MeasurePackage } from '../../src/rules/measure-package.ts';
import { CqlDateTime } from '../../src/cql/index.ts';
import { knowsProfile, profilesOf } from '../../src/cql/fhir-r4/qicore.ts';
import { openContent } from './content.ts';
import type { ContentSource } from './content.ts';

type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Args {
  dir: string;
  strip: boolean;
  measures: string[];
  libraries: string[];
  out: string | undefined;
  show: number;
  workarounds: boolean;
  valueSetSources: string[];
  dump: string | undefined;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { dir: '', strip: false, measures: [], libraries: [], out: undefined, show: 3, workarounds: false, valueSetSources: [], dump: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--strip-profiles') args.strip = true;
    else if (a === '--measure') args.measures.push(value());
    else if (a === '--library') args.libraries.push(value());
    else if (a === '--out') args.out = value();
    else if (a === '--show') args.show = Number(value());
    else if (a === '--workarounds') args.workarounds = true;
    else if (a === '--valuesets-from') args.valueSetSources.push(value());
    else if (a === '--dump') args.dump = value();
    else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else args.dir = a;
  }
  if (!args.dir) throw new Error('usage: run-official.ts <content-dir> [--strip-profiles] [--measure NAME]... [--library FILE]... [--out report.json] [--show N]');
  return args;
}

/** A Library resource as found: its ELM's name and version when the ELM is there, else why not. */
interface LibraryEntry {
  readonly resource: Json;
  readonly file: string;
  readonly name: string;
  readonly elmVersion: string | undefined;
  readonly elm: Json | undefined;
  readonly missing: string | undefined;
  readonly external: boolean;
}

function elmOf(lib: Json): Json | undefined {
  const content = Array.isArray(lib['content']) ? (lib['content'] as unknown[]).filter(isObj) : [];
  const c = content.find((x) => x['contentType'] === 'application/elm+json' && typeof x['data'] === 'string');
  if (!c) return undefined;
  return JSON.parse(Buffer.from(c['data'] as string, 'base64').toString('utf8')) as Json;
}

function libraryEntry(file: string, text: string | undefined, external: boolean): LibraryEntry {
  const fallbackName = basename(file).replace(/\.json$/, '');
  if (text === undefined) return { resource: {}, file, name: fallbackName, elmVersion: undefined, elm: undefined, missing: 'its file is absent from the content (not in the mirror)', external };
  const resource = JSON.parse(text) as Json;
  const elm = elmOf(resource);
  const id = elm && isObj(elm['library']) && isObj(elm['library']['identifier']) ? elm['library']['identifier'] : undefined;
  const name = typeof id?.['id'] === 'string' ? id['id'] : typeof resource['name'] === 'string' ? resource['name'] : fallbackName;
  return {
    resource,
    file,
    name,
    elmVersion: typeof id?.['version'] === 'string' ? id['version'] : undefined,
    elm,
    missing: elm ? undefined : 'the Library has no application/elm+json content',
    external,
  };
}

/** F1 workaround: the Library with its ELM's include paths reduced to bare library names. */
function withBareIncludePaths(lib: LibraryEntry): Json {
  if (!lib.elm) return lib.resource;
  const elm = structuredClone(lib.elm);
  const body = elm['library'];
  const defs = isObj(body) && isObj(body['includes']) ? body['includes']['def'] : undefined;
  if (Array.isArray(defs)) for (const d of defs.filter(isObj)) d['path'] = String(d['path']).split('/').pop() ?? d['path'];
  const content = (Array.isArray(lib.resource['content']) ? (lib.resource['content'] as unknown[]).filter(isObj) : []).map((c) =>
    c['contentType'] === 'application/elm+json' ? { ...c, data: Buffer.from(JSON.stringify(elm), 'utf8').toString('base64') } : c,
  );
  return { ...lib.resource, content };
}

function includesOf(elm: Json): { name: string; version: string | undefined }[] {
  const lib = elm['library'];
  const inc = isObj(lib) && isObj(lib['includes']) ? lib['includes']['def'] : undefined;
  if (!Array.isArray(inc)) return [];
  return inc.filter(isObj).map((d) => ({ name: String(d['path']).split('/').pop() ?? '', version: typeof d['version'] === 'string' ? d['version'] : undefined }));
}

function valueSetUrlsOf(elm: Json): string[] {
  const lib = elm['library'];
  const defs = isObj(lib) && isObj(lib['valueSets']) ? lib['valueSets']['def'] : undefined;
  return Array.isArray(defs) ? defs.filter(isObj).map((d) => String(d['id'])) : [];
}

interface CaseResult {
  readonly measure: string;
  readonly caseId: string;
  readonly title: string | undefined;
  readonly outcome: 'agree' | 'disagree' | 'error';
  readonly detail: string | undefined;
  /** Resources whose declared profile their content does not meet. */
  readonly tagConflicts: readonly string[];
}

interface MeasureSummary {
  readonly measure: string;
  readonly status: 'ran' | 'cannot-load' | 'unsupported' | 'no-tests';
  readonly reason: string | undefined;
  readonly cases: number;
  readonly agree: number;
  readonly disagree: number;
  readonly errors: number;
  readonly messages: string[];
  /** Value sets taken from `--valuesets-from` sources. */
  readonly borrowedValueSets: number;
  /** Cases with a resource whose declared profile its content does not meet; of those, how many disagree. */
  readonly tagConflictCases: number;
  readonly tagConflictDisagree: number;
}

const POPULATIONS_COMPARED = new Set(['initial-population', 'denominator', 'denominator-exclusion', 'denominator-exception', 'numerator', 'numerator-exclusion', 'measure-population', 'measure-population-exclusion']);

function popCode(p: Json): string | undefined {
  const code = p['code'];
  if (!isObj(code) || !Array.isArray(code['coding'])) return undefined;
  const c = (code['coding'] as unknown[]).find(isObj);
  return typeof c?.['code'] === 'string' ? c['code'] : undefined;
}

/** Differences between expected and actual group population counts, as `group/code expected→actual`. */
export function compareReports(expected: Json, actual: Json): string[] {
  const diffs: string[] = [];
  const eg = Array.isArray(expected['group']) ? (expected['group'] as unknown[]).filter(isObj) : [];
  const ag = Array.isArray(actual['group']) ? (actual['group'] as unknown[]).filter(isObj) : [];
  eg.forEach((g, i) => {
    const a = (typeof g['id'] === 'string' ? ag.find((x) => x['id'] === g['id']) : undefined) ?? ag[i];
    const gname = typeof g['id'] === 'string' ? g['id'] : `group${i + 1}`;
    if (!a) {
      diffs.push(`${gname}: no such group in the result`);
      return;
    }
    const apops = Array.isArray(a['population']) ? (a['population'] as unknown[]).filter(isObj) : [];
    for (const p of Array.isArray(g['population']) ? (g['population'] as unknown[]).filter(isObj) : []) {
      const code = popCode(p);
      if (!code || !POPULATIONS_COMPARED.has(code)) continue;
      const want = typeof p['count'] === 'number' ? p['count'] : 0;
      const hit = apops.find((x) => popCode(x) === code);
      const got = hit && typeof hit['count'] === 'number' ? hit['count'] : undefined;
      if (got !== want) diffs.push(`${gname}/${code} ${want}→${got ?? 'absent'}`);
    }
  });
  return diffs;
}

function stripProfiles(resource: unknown): void {
  if (!isObj(resource)) return;
  const meta = resource['meta'];
  if (isObj(meta)) {
    delete meta['profile'];
    if (Object.keys(meta).length === 0) delete resource['meta'];
  }
  if (Array.isArray(resource['contained'])) for (const c of resource['contained']) stripProfiles(c);
}

function day(v: unknown): string | undefined {
  return typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v) ? v.slice(0, 10) : undefined;
}

const shortProfile = (url: string): string => url.split('/').pop() ?? url;

/**
 * Resources whose declared `meta.profile` names a profile their content does not meet (by
 * Careloop's QI-Core classifier): what a retrieve by tag and a retrieve by content see differently.
 */
function tagConflicts(resources: readonly Json[]): string[] {
  const out: string[] = [];
  for (const r of resources) {
    const meta = r['meta'];
    const declared = isObj(meta) && Array.isArray(meta['profile']) ? (meta['profile'] as unknown[]).filter((p): p is string => typeof p === 'string') : [];
    if (declared.length === 0) continue;
    const content = profilesOf(r);
    const unmet = declared.filter((d) => !content.includes(d.split('|')[0] ?? d));
    if (unmet.length === 0) continue;
    const known = unmet.filter(knowsProfile);
    const label = known.length ? known.map(shortProfile).join('+') : `unknown ${unmet.map(shortProfile).join('+')}`;
    out.push(`${String(r['resourceType'])}/${String(r['id']).slice(0, 8)} tagged ${label}, content ${content.map(shortProfile).join('+') || 'none'}`);
  }
  return out;
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const content: ContentSource = openContent(args.dir);
  const started = performance.now();

  const libFiles = content.list('input/resources/library/').filter((p) => p.endsWith('.json'));
  const libTexts = content.readMany(libFiles);
  const libraries = new Map<string, LibraryEntry>();
  for (const f of libFiles) {
    const e = libraryEntry(f, libTexts.get(f), false);
    libraries.set(e.name, e);
  }
  const externals: string[] = [];
  for (const f of args.libraries) {
    const e = libraryEntry(f, readFileSync(f, 'utf8'), true);
    const had = libraries.get(e.name);
    if (had?.elm) continue; // the content's own ELM wins
    libraries.set(e.name, e);
    externals.push(`${e.name} ${e.elmVersion ?? ''} from ${f}`);
  }

  const readValueSets = (source: ContentSource): Map<string, Json> => {
    const found = new Map<string, Json>();
    const files = source.list('input/vocabulary/valueset/').filter((p) => p.endsWith('.json'));
    for (const [, text] of source.readMany(files)) {
      if (text === undefined) continue;
      try {
        const vs = JSON.parse(text) as Json;
        if (vs['resourceType'] === 'ValueSet' && typeof vs['url'] === 'string' && !found.has(vs['url'])) found.set(vs['url'], vs);
      } catch {
        // not JSON: not a value set
      }
    }
    return found;
  };
  const valueSets = readValueSets(content);
  const borrowed = new Map<string, Json>();
  for (const dir of args.valueSetSources) {
    for (const [url, vs] of readValueSets(openContent(dir))) if (!valueSets.has(url) && !borrowed.has(url)) borrowed.set(url, vs);
  }

  const measureFiles = content
    .list('input/resources/measure/')
    .filter((p) => p.endsWith('.json'))
    .filter((p) => args.measures.length === 0 || args.measures.some((m) => basename(p).toLowerCase().startsWith(m.toLowerCase())));
  const testDirs = [...new Set(content.list('input/tests/measure/').map((p) => p.split('/')[3] ?? ''))];
  const now = new CqlDateTime([...new Date().toISOString().slice(0, 10).split('-').map(Number), 12, 0, 0, 0], 0);

  const summaries: MeasureSummary[] = [];
  const cases: CaseResult[] = [];
  for (const [mf, mtext] of content.readMany(measureFiles)) {
    const mname = basename(mf).replace(/\.json$/, '');
    const summary = (status: MeasureSummary['status'], reason: string | undefined, rest: Partial<MeasureSummary> = {}): void => {
      summaries.push({ measure: mname, status, reason, cases: 0, agree: 0, disagree: 0, errors: 0, messages: [], borrowedValueSets: 0, tagConflictCases: 0, tagConflictDisagree: 0, ...rest });
    };
    if (mtext === undefined) {
      summary('cannot-load', 'the Measure file is absent from the content');
      continue;
    }
    const measure = JSON.parse(mtext) as Json;
    const libRef = Array.isArray(measure['library']) ? String((measure['library'] as unknown[])[0]) : '';
    const mainName = libRef.split('|')[0]?.split('/').pop() ?? '';

    // The main library and everything its ELM includes, by name.
    const closure: LibraryEntry[] = [];
    const problems: string[] = [];
    const visit = (name: string, wantVersion: string | undefined, from: string): void => {
      if (closure.some((l) => l.name === name)) return;
      const lib = libraries.get(name);
      if (!lib) {
        problems.push(`library ${name} (included by ${from}) is not in the content`);
        return;
      }
      if (!lib.elm) {
        problems.push(`library ${name}: ${lib.missing ?? 'no ELM'}`);
        return;
      }
      if (wantVersion !== undefined && lib.elmVersion !== wantVersion) problems.push(`${from} includes ${name} version ${wantVersion}; the content has ${lib.elmVersion ?? 'no version'}`);
      closure.push(lib);
      for (const inc of includesOf(lib.elm)) visit(inc.name, inc.version, name);
    };
    visit(mainName, undefined, mname);
    if (problems.length > 0) {
      summary('cannot-load', problems.join('; '));
      continue;
    }
    const vsUrls = [...new Set(closure.flatMap((l) => (l.elm ? valueSetUrlsOf(l.elm) : [])).map((u) => u.split('|')[0] ?? u))];
    const vsResources = vsUrls.map((u) => valueSets.get(u) ?? borrowed.get(u)).filter(isObj);
    const borrowedCount = vsUrls.filter((u) => !valueSets.has(u) && borrowed.has(u)).length;
    const bundle = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [measure, ...closure.map((l) => (args.workarounds ? withBareIncludePaths(l) : l.resource)), ...vsResources].map((resource) => ({ resource })),
    };
    if (args.dump) {
      mkdirSync(join(args.dump, mname), { recursive: true });
      writeFileSync(join(args.dump, `${mname}.package.json`), JSON.stringify(bundle));
    }
    let pkg: MeasurePackage;
    try {
      const loaded = loadMeasurePackages([bundle]);
      if (loaded.length !== 1 || !loaded[0]) throw new MeasurePackageError(`expected one measure, got ${loaded.length}`);
      pkg = loaded[0];
    } catch (e) {
      summary('cannot-load', errorText(e));
      continue;
    }
    const scorings = [...new Set(pkg.groups.map((g) => g.scoring))].filter((s) => s !== 'proportion');
    if (scorings.length > 0) {
      summary('unsupported', `scoring ${scorings.join(', ')} (Careloop scores proportion measures)`);
      continue;
    }

    const testDir = testDirs.find((d) => d === mname) ?? testDirs.find((d) => d.endsWith(mname) || mname.endsWith(d));
    const files = testDir ? content.list(`input/tests/measure/${testDir}/`).filter((p) => p.endsWith('.json') && p.split('/').length === 6) : [];
    if (files.length === 0) {
      summary('no-tests', testDir ? 'the test folder has no cases' : 'no test folder');
      continue;
    }
    const texts = content.readMany(files);
    const byCase = new Map<string, string[]>();
    for (const f of files) {
      const id = f.split('/')[4] ?? '';
      const list = byCase.get(id);
      if (list) list.push(f);
      else byCase.set(id, [f]);
    }
    let agree = 0;
    let disagree = 0;
    let errors = 0;
    let tagged = 0;
    let taggedDisagree = 0;
    const messages: string[] = [];
    for (const [caseId, caseFiles] of byCase) {
      let expected: Json | undefined;
      const resources: Json[] = [];
      const bundled: Json[] = [];
      let absent = 0;
      for (const f of caseFiles) {
        const t = texts.get(f);
        if (t === undefined) {
          absent++;
          continue;
        }
        const r = JSON.parse(t) as Json;
        if (r['resourceType'] === 'MeasureReport') expected = r;
        else if (r['resourceType'] === 'Bundle') bundled.push(...(Array.isArray(r['entry']) ? (r['entry'] as unknown[]).filter(isObj).map((e) => e['resource']).filter(isObj) : []));
        else resources.push(r);
      }
      // Some cases hold only a Bundle of the patient's resources with the MeasureReport among them.
      expected ??= bundled.find((r) => r['resourceType'] === 'MeasureReport');
      const data = resources.length > 0 ? resources : bundled.filter((r) => r['resourceType'] !== 'MeasureReport');
      const title = expected && Array.isArray(expected['extension']) ? (expected['extension'] as unknown[]).filter(isObj).find((x) => String(x['url']).endsWith('cqfm-testCaseDescription'))?.['valueMarkdown'] : undefined;
      const conflicts = tagConflicts(data);
      const result = (outcome: CaseResult['outcome'], detail: string | undefined): void => {
        cases.push({ measure: mname, caseId, title: typeof title === 'string' ? title : undefined, outcome, detail, tagConflicts: conflicts });
        if (conflicts.length) tagged++;
        if (outcome === 'disagree' && conflicts.length) taggedDisagree++;
        if (outcome === 'agree') agree++;
        else if (outcome === 'disagree') disagree++;
        else errors++;
        if (outcome !== 'agree' && messages.length < args.show) messages.push(`${caseId.slice(0, 8)} ${outcome}: ${detail ?? ''}${conflicts.length ? ` [${conflicts.slice(0, 2).join('; ')}]` : ''}`);
      };
      if (!expected) {
        result('error', `no MeasureReport in the case${absent ? ` (${absent} files absent)` : ''}`);
        continue;
      }
      const period = isObj(expected['period']) ? expected['period'] : {};
      const start = day(period['start']);
      const end = day(period['end']);
      if (!start || !end) {
        result('error', 'the expected MeasureReport has no period');
        continue;
      }
      if (args.strip) for (const r of data) stripProfiles(r);
      if (args.dump) writeFileSync(join(args.dump, mname, `${caseId}.json`), JSON.stringify({ resourceType: 'Bundle', type: 'collection', entry: [...data, expected].map((resource) => ({ resource })) }));
      const patient = data.find((r) => r['resourceType'] === 'Patient');
      const patientId = typeof patient?.['id'] === 'string' ? patient['id'] : caseId;
      try {
        const groups = evaluateMeasure(pkg, data, { periodStart: start, periodEnd: end, now });
        const report = measureReport(pkg, patientId, { start, end }, groups);
        const diffs = compareReports(expected, report);
        result(diffs.length === 0 ? 'agree' : 'disagree', diffs.length ? diffs.join(', ') : undefined);
      } catch (e) {
        result('error', errorText(e));
      }
    }
    summary('ran', undefined, { cases: byCase.size, agree, disagree, errors, messages, borrowedValueSets: borrowedCount, tagConflictCases: tagged, tagConflictDisagree: taggedDisagree });
  }

  const pad = (s: string | number, n: number): string => String(s).padEnd(n);
  const padl = (s: string | number, n: number): string => String(s).padStart(n);
  const out: string[] = [];
  out.push(`content: ${content.description}${args.strip ? ' — meta.profile stripped from the test data' : ' — test data as published'}${args.workarounds ? ' — with workarounds (F1)' : ''}`);
  if (externals.length) out.push(`libraries from outside the content: ${externals.join('; ')}`);
  out.push('');
  if (args.valueSetSources.length) out.push(`value sets the content lacks taken from: ${args.valueSetSources.join(', ')} (column vs+)`);
  out.push('tagged≠content: cases with a resource whose meta.profile names a profile its content does not meet (of them, disagreeing)');
  out.push(`${pad('measure', 66)} ${padl('cases', 5)} ${padl('agree', 5)} ${padl('differ', 6)} ${padl('error', 5)} ${padl('vs+', 4)}  tagged≠content`);
  const ran = summaries.filter((s) => s.status === 'ran').sort((a, b) => a.measure.localeCompare(b.measure));
  for (const s of ran) {
    out.push(`${pad(s.measure, 66)} ${padl(s.cases, 5)} ${padl(s.agree, 5)} ${padl(s.disagree, 6)} ${padl(s.errors, 5)} ${padl(s.borrowedValueSets || '', 4)}  ${s.tagConflictCases ? `${s.tagConflictCases} (${s.tagConflictDisagree})` : ''}`);
    for (const m of s.messages) out.push(`    ${m.length > 220 ? `${m.slice(0, 217)}...` : m}`);
  }
  const total = ran.reduce((t, s) => ({ cases: t.cases + s.cases, agree: t.agree + s.agree, disagree: t.disagree + s.disagree, errors: t.errors + s.errors }), { cases: 0, agree: 0, disagree: 0, errors: 0 });
  out.push(`${pad(`overall (${ran.length} measures run)`, 66)} ${padl(total.cases, 5)} ${padl(total.agree, 5)} ${padl(total.disagree, 6)} ${padl(total.errors, 5)}`);
  const notRun = summaries.filter((s) => s.status !== 'ran').sort((a, b) => a.measure.localeCompare(b.measure));
  if (notRun.length) {
    out.push('');
    out.push('not run:');
    for (const s of notRun) out.push(`  ${pad(s.measure, 64)} ${s.status}: ${(s.reason ?? '').slice(0, 400)}`);
  }
  out.push('');
  out.push(`${((performance.now() - started) / 1000).toFixed(1)} s`);
  process.stdout.write(`${out.join('\n')}\n`);
  if (args.out) writeFileSync(args.out, `${JSON.stringify({ content: content.description, strip: args.strip, externals, summaries, cases }, null, 1)}\n`);
}

main();
