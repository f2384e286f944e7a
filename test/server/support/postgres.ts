/**
 * A PostgreSQL for tests: the one `DATABASE_URL` names (CI sets it), else a throwaway cluster made
 * with this machine's `initdb` and `pg_ctl` in a temporary folder (trust auth, loopback and a socket
 * in that folder, a free port), removed by `stop()`. When neither exists, `reason` says why and
 * tests skip with it.
 *
 * @example
 * const pg = await testPostgres();
 * describe.skipIf(!pg.url)(`two instances (${pg.reason ?? 'PostgreSQL'})`, …);
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../../support/free-port.ts';

export interface TestPostgres {
  /** A connection string, or null when no PostgreSQL is available. */
  readonly url: string | null;
  /** Why there is none (the skip reason), or null. */
  readonly reason: string | null;
  stop(): Promise<void>;
}

/** The folder with `initdb` and `pg_ctl`: on PATH, else the newest Debian `/usr/lib/postgresql/N/bin`. */
function postgresBin(): string | null {
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  const found = which.status === 0 ? which.stdout.trim() : '';
  if (found) {
    // Debian's /usr/bin wrappers need a cluster; the real binaries live beside postgres.
    const real = spawnSync('readlink', ['-f', found], { encoding: 'utf8' }).stdout.trim();
    const dir = real.replace(/\/initdb$/, '');
    if (existsSync(join(dir, 'pg_ctl')) && existsSync(join(dir, 'postgres'))) return dir;
  }
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : null;
}

/**
 * PostgreSQL for this test file: `DATABASE_URL`, a throwaway cluster, or a reason to skip. The
 * throwaway cluster skips fsync unless `durable` (benchmarks measure durable commits).
 */
export async function testPostgres({ durable = false }: { durable?: boolean } = {}): Promise<TestPostgres> {
  const given = process.env['DATABASE_URL'];
  if (given) return { url: given, reason: null, stop: () => dropTestSchemas(given) };
  const bin = postgresBin();
  if (!bin) return { url: null, reason: 'no PostgreSQL binaries on this machine (initdb, pg_ctl) and no DATABASE_URL', stop: async () => {} };
  const dir = mkdtempSync(join(tmpdir(), 'careloop-pg-'));
  const data = join(dir, 'data');
  // initdb refuses to run as root: the cluster then belongs to the postgres account.
  const asRoot = process.getuid?.() === 0;
  const run = (cmd: string, args: string[]) =>
    asRoot ? execFileSync('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args], { stdio: 'pipe' }) : execFileSync(join(bin, cmd), args, { stdio: 'pipe' });
  if (asRoot) {
    chmodSync(dir, 0o755);
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const port = await freePort();
  try {
    run('initdb', ['-D', data, '-U', 'careloop', '--auth=trust', '--no-sync', '-E', 'UTF8']);
    run('pg_ctl', ['-D', data, '-w', '-l', join(dir, 'log'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1${durable ? '' : ' -c fsync=off'} -c max_connections=100`, 'start']);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = (e as { stderr?: Buffer }).stderr?.toString('utf8').trim();
    return { url: null, reason: `a throwaway PostgreSQL did not start: ${stderr || (e instanceof Error ? e.message : String(e))}`, stop: async () => {} };
  }
  return {
    url: `postgres://careloop@127.0.0.1:${port}/postgres`,
    reason: null,
    stop: async () => {
      try {
        run('pg_ctl', ['-D', data, '-w', '-m', 'immediate', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

const made = new Set<string>();

/** A schema name no other test uses (remembered for {@link dropTestSchemas}). */
export function uniqueSchema(prefix: string): string {
  const name = `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  made.add(name);
  return name;
}

/**
 * Drops the schemas this file made (and pg-boss's `<schema>_boss` beside each), so a shared
 * `DATABASE_URL` (CI's) does not collect them run after run.
 */
export async function dropTestSchemas(url: string | null): Promise<void> {
  if (!url || made.size === 0) return;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const name of made) await client.query(`DROP SCHEMA IF EXISTS "${name}", "${name}_boss" CASCADE`);
    made.clear();
  } finally {
    await client.end();
  }
}
