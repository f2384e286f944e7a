/**
 * At start, the audit server checks the clinical content the served app's `careloop.config.json`
 * names (`valueSetBundles`, `measurePackages`: files next to the app), so a bad file stops the
 * deployment with one line per file instead of leaving clinicians on the starter subsets.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { checkContentFile, type ContentKind } from '../shared/content-files.ts';

/** A content file that passed, as the start-up log and the runbook name it. */
export interface LoadedContentFile {
  /** As configured, e.g. `content/vsac-2025.json`. */
  path: string;
  kind: ContentKind;
  /** SHA-256 of the file's bytes (what to compare against the publisher's). */
  sha256: string;
  /** The ValueSets' or Measures' canonical URLs with `|version`. */
  canonicals: string[];
}

/** The result of {@link checkAppContent}. */
export type AppContentResult = { ok: true; files: LoadedContentFile[] } | { ok: false; errors: string[] };

const FIELDS: ReadonlyArray<[field: 'valueSetBundles' | 'measurePackages', kind: ContentKind]> = [
  ['valueSetBundles', 'value-set-bundle'],
  ['measurePackages', 'measure-package'],
];

/**
 * Checks every content file the app's configuration in `staticDir` names. No configuration file,
 * or none named: nothing to check.
 */
export async function checkAppContent(staticDir: string): Promise<AppContentResult> {
  const root = resolve(staticDir);
  let configText: string;
  try {
    configText = await readFile(resolve(root, 'careloop.config.json'), 'utf8');
  } catch {
    return { ok: true, files: [] };
  }
  let config: unknown;
  try {
    config = JSON.parse(configText) as unknown;
  } catch {
    return { ok: false, errors: ['careloop.config.json: is not JSON'] };
  }
  const errors: string[] = [];
  const files: LoadedContentFile[] = [];
  for (const [field, kind] of FIELDS) {
    const listed = typeof config === 'object' && config !== null ? (config as Record<string, unknown>)[field] : undefined;
    if (listed === undefined) continue;
    if (!Array.isArray(listed) || !listed.every((p): p is string => typeof p === 'string' && p !== '')) {
      errors.push(`careloop.config.json: ${field} must be a list of file paths`);
      continue;
    }
    for (const path of listed) {
      const where = `${field}: ${path}`;
      const url = new URL(path, 'http://app.invalid/index.html');
      const file = resolve(root, `.${decodeURIComponent(url.pathname)}`);
      if (url.origin !== 'http://app.invalid' || !file.startsWith(root + sep)) {
        errors.push(`${where}: must be a file next to the app (a path relative to index.html), not another origin or outside the folder`);
        continue;
      }
      let bytes: Buffer;
      try {
        bytes = await readFile(file);
      } catch {
        errors.push(`${where}: no such file in ${root}`);
        continue;
      }
      let json: unknown;
      try {
        json = JSON.parse(bytes.toString('utf8')) as unknown;
      } catch {
        errors.push(`${where}: is not JSON`);
        continue;
      }
      const check = checkContentFile(kind, json);
      if (!check.ok) {
        for (const problem of check.problems) errors.push(`${where}: ${problem}`);
        continue;
      }
      files.push({ path, kind, sha256: createHash('sha256').update(bytes).digest('hex'), canonicals: check.summary.canonicals });
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, files };
}
