/**
 * Reads eCQM content laid out as the cqframework content repositories are (`input/resources/...`,
 * `input/vocabulary/...`, `input/tests/measure/<Measure>/<case>/*.json`), either from a folder with
 * those files or from a Git directory without a work tree (a bare clone or a mirror), whose blobs are
 * read in batches through `git cat-file --batch`. Files whose blobs a partial mirror lacks read as
 * absent, so the caller can say what is missing instead of failing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** Content files by path (relative to the content root, `/`-separated). */
export interface ContentSource {
  /** Every file path under `prefix` (a folder path ending in `/`, or '' for all). */
  list(prefix: string): string[];
  /** The files' texts, by path; a path whose content is absent maps to undefined. */
  readMany(paths: readonly string[]): Map<string, string | undefined>;
  /** Where the content comes from, for the report. */
  readonly description: string;
}

function folderSource(root: string): ContentSource {
  const all: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else all.push(relative(root, p).split(sep).join('/'));
    }
  };
  walk(root);
  all.sort();
  return {
    description: `folder ${root}`,
    list: (prefix) => all.filter((p) => p.startsWith(prefix)),
    readMany(paths) {
      const out = new Map<string, string | undefined>();
      for (const p of paths) {
        try {
          out.set(p, readFileSync(join(root, p), 'utf8'));
        } catch {
          out.set(p, undefined);
        }
      }
      return out;
    },
  };
}

function gitSource(gitDir: string): ContentSource {
  const git = (args: string[], input?: string): Buffer => {
    const r = spawnSync('git', ['--git-dir', gitDir, ...args], { input, maxBuffer: 1 << 30 });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr.toString().trim()}`);
    return r.stdout;
  };
  const head = git(['rev-parse', 'HEAD']).toString().trim();
  const blobs = new Map<string, string>();
  for (const line of git(['ls-tree', '-r', '-z', head]).toString().split('\0')) {
    const m = /^\d+ blob ([0-9a-f]+)\t(.*)$/s.exec(line);
    if (m && m[1] && m[2] !== undefined) blobs.set(m[2], m[1]);
  }
  const paths = [...blobs.keys()].sort();
  return {
    description: `git ${gitDir} at ${head.slice(0, 12)}`,
    list: (prefix) => paths.filter((p) => p.startsWith(prefix)),
    readMany(wanted) {
      const out = new Map<string, string | undefined>();
      const hashes = wanted.map((p) => blobs.get(p));
      const ask = hashes.filter((h): h is string => h !== undefined);
      const got = new Map<string, string>();
      if (ask.length > 0) {
        const buf = git(['cat-file', '--batch'], `${ask.join('\n')}\n`);
        let at = 0;
        while (at < buf.length) {
          const nl = buf.indexOf(10, at);
          if (nl < 0) break;
          const header = buf.subarray(at, nl).toString();
          at = nl + 1;
          const m = /^([0-9a-f]+) (\w+) (\d+)$/.exec(header);
          if (!m) continue; // `<hash> missing`: the mirror lacks this blob
          const size = Number(m[3]);
          got.set(m[1] as string, buf.subarray(at, at + size).toString('utf8'));
          at += size + 1;
        }
      }
      wanted.forEach((p, i) => {
        const h = hashes[i];
        out.set(p, h === undefined ? undefined : got.get(h));
      });
      return out;
    },
  };
}

/** A content source for a folder with `input/` or a Git directory (bare clone, mirror). */
export function openContent(dir: string): ContentSource {
  if (existsSync(join(dir, 'input')) && statSync(join(dir, 'input')).isDirectory()) return folderSource(dir);
  if (existsSync(join(dir, 'HEAD')) || existsSync(join(dir, '.git'))) return gitSource(existsSync(join(dir, '.git')) ? join(dir, '.git') : dir);
  throw new Error(`${dir} is neither a content folder (with input/) nor a Git directory`);
}
