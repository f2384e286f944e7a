/**
 * Benchmark: the audit server on loopback against SQLite, with token verification, dedup and the
 * hash chain on, at a fixed concurrency; beside it, in the same run, a raw better-sqlite3 insert
 * loop of the same rows with the same durability settings (WAL, synchronous=FULL, one transaction
 * per batch). Prints events/s, request p50/p99 and the ratio.
 *
 * Targets on the reference machine: ≥ 5,000 events/s, and ≥ 0.5× the raw loop.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent } from 'node:http';
import { resolve } from 'node:path';
import { anEvent } from '../server/support/events.ts';
import { percentile, type Benchmark } from './benchmark.ts';
import { postBody } from './post-body.ts';
import { rawSqliteInsertRate } from './raw-insert.ts';
import { startTestIssuer } from '../server/support/issuer.ts';

const CONCURRENCY = 16;
const BATCH = 50;
const REQUESTS = 600;
const WARMUP_REQUESTS = 40;
const ROUNDS = 3;


async function drive(url: string, tokens: readonly string[], requests: number): Promise<{ seconds: number; latencies: number[]; failures: number; clientCpuSeconds: number }> {
  const latencies: number[] = [];
  let next = 0;
  let failures = 0;
  // Bodies are built before the clock starts: the load generator must not be what is measured.
  const bodies = Array.from({ length: requests }, () => JSON.stringify({ events: Array.from({ length: BATCH }, () => anEvent()) }));
  const target = new URL('/api/audit/events', url);
  // One connection per client, kept alive, as a browser's would be.
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const started = performance.now();
  const cpu = process.cpuUsage();
  try {
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, worker) => {
        const token = tokens[worker % tokens.length] ?? '';
        while (next < requests) {
          const body = bodies[next] ?? '';
          next += 1;
          const t0 = performance.now();
          const status = await postBody(agent, target, { authorization: `Bearer ${token}`, 'content-type': 'application/json', prefer: 'return=minimal' }, body);
          latencies.push(performance.now() - t0);
          if (status !== 201) failures += 1;
        }
      }),
    );
  } finally {
    agent.destroy();
  }
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { seconds, latencies: latencies.sort((a, b) => a - b), failures, clientCpuSeconds: (used.user + used.system) / 1e6 };
}

/** The raw loop: the first `count` rows the server stored, inserted into a fresh file; events/s. */
function rawLoop(serverPath: string, rawPath: string, count: number): number {
  const source = new Database(serverPath, { readonly: true });
  const rows = source.prepare('SELECT * FROM audit_event ORDER BY seq LIMIT ?').all(count) as Array<Record<string, unknown>>;
  const schema = (source.prepare("SELECT sql FROM sqlite_master WHERE name IN ('audit_event', 'audit_event_patient_seq')").all() as Array<{ sql: string }>).map((r) => r.sql);
  source.close();
  return rawSqliteInsertRate(rawPath, schema, 'audit_event', rows, BATCH);
}

/** The admin credential the bench's server is started with, for `GET /api/audit/verify`. */
const BENCH_ADMIN_TOKEN = 'audit-bench-admin-credential-0123456789abcdef';

/** Starts `src/server/main.ts` as its own process (the load generator must not share its CPU). */
function startServerProcess(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const profile = process.env['AUDIT_BENCH_CPU_PROF'] ? ['--cpu-prof', `--cpu-prof-dir=${process.env['AUDIT_BENCH_CPU_PROF']}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', 'src/server/main.ts'], {
    cwd: resolve(import.meta.dirname, '../..'),
    env: { ...process.env, AUDIT_PORT: '0', AUDIT_LOG_LEVEL: 'silent', AUDIT_RATE_LIMIT_PER_SECOND: '0', AUDIT_CLIENT_RATE_LIMIT_PER_SECOND: '0', AUDIT_ADMIN_TOKEN: BENCH_ADMIN_TOKEN, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((done, fail) => {
    let out = '';
    const onData = (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const m = /Audit: (http:\/\/\S+)/.exec(out);
      if (m?.[1]) done({ child, url: m[1] });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => fail(new Error(`audit server exited with ${code}: ${out}`)));
  });
}

/**
 * Append latency (one event per request, one at a time) idle, then while five chain verifications
 * run at once on the chain the rounds built (~90,000 records). Target: p50 during ≤ 2× p50 idle.
 */
async function verifyUnderLoad(url: string, token: string, records: number): Promise<void> {
  const append = async (): Promise<number> => {
    const started = performance.now();
    const res = await fetch(`${url}/api/audit/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', prefer: 'return=minimal' },
      body: JSON.stringify({ events: [anEvent()] }),
    });
    await res.arrayBuffer();
    if (res.status !== 201) throw new Error(`audit bench: append answered ${res.status}`);
    return performance.now() - started;
  };
  const idle: number[] = [];
  for (let i = 0; i < 100; i++) idle.push(await append());
  let running = true;
  const started = performance.now();
  const verifies = Promise.all(
    Array.from({ length: 5 }, async () => {
      const res = await fetch(`${url}/api/audit/verify`, { headers: { authorization: `Bearer ${BENCH_ADMIN_TOKEN}` } });
      return (await res.json()) as { ok: boolean };
    }),
  ).finally(() => {
    running = false;
  });
  const during: number[] = [];
  while (running) during.push(await append());
  const verdicts = await verifies;
  const seconds = (performance.now() - started) / 1000;
  if (!verdicts.every((v) => v.ok)) throw new Error('audit bench: a verification failed');
  idle.sort((a, b) => a - b);
  during.sort((a, b) => a - b);
  const p50Idle = percentile(idle, 50);
  const p50During = percentile(during, 50);
  console.info(
    `verify under load: 5 concurrent verifies of ${records.toLocaleString('en-US')} records took ${seconds.toFixed(2)} s; one-event appends p50 ${p50Idle.toFixed(1)} ms idle, ${p50During.toFixed(1)} ms during (${(p50During / p50Idle).toFixed(2)}x; p99 ${percentile(idle, 99).toFixed(1)} → ${percentile(during, 99).toFixed(1)} ms; ${during.length} appends)   (target: p50 within 2x idle)`,
  );
}

/** Runs the audit benchmark and prints its figures. */
export async function runAuditBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'careloop-audit-bench-'));
  const issuer = await startTestIssuer();
  const server = await startServerProcess({
    AUDIT_SQLITE_PATH: join(dir, 'server.sqlite'),
    DATABASE_URL: '',
    AUDIT_TRUSTED_ISSUERS: JSON.stringify([{ fhirBase: issuer.fhirBase, mode: 'jwks' }]),
  });
  try {
    // One token per worker, as if each were a different clinician's session.
    const tokens = await Promise.all(Array.from({ length: CONCURRENCY }, (_, i) => issuer.token({ sub: `user-${i}`, client_id: 'careloop' })));
    await drive(server.url, tokens, WARMUP_REQUESTS);
    const f = (n: number) => Math.round(n).toLocaleString('en-US');
    console.info(`audit server (own process, HTTP loopback, SQLite WAL synchronous=FULL in a writer thread, JWT verified, dedup + hash chain)`);
    console.info(`  vs a raw better-sqlite3 loop inserting the same rows (prepared statement, same pragmas, one transaction per ${BATCH});`);
    console.info(`  load: ${CONCURRENCY} clients on keep-alive node:http connections from this process, request bodies built before the clock starts;`);
    console.info(`  ${ROUNDS} rounds, server then raw in each, so both see the same background load; the median round is the result.`);
    const rounds: Array<{ serverRate: number; rawRate: number; p50: number; p99: number }> = [];
    for (let round = 0; round < ROUNDS; round++) {
      const run = await drive(server.url, tokens, REQUESTS);
      if (run.failures > 0) throw new Error(`audit bench: ${run.failures} failed requests`);
      const serverRate = (REQUESTS * BATCH) / run.seconds;
      const rawRate = rawLoop(join(dir, 'server.sqlite'), join(dir, `raw-${round}.sqlite`), REQUESTS * BATCH);
      rounds.push({ serverRate, rawRate, p50: percentile(run.latencies, 50), p99: percentile(run.latencies, 99) });
      console.info(
        `  round ${round + 1}: server ${f(serverRate)} events/s (${REQUESTS} requests x ${BATCH} events, concurrency ${CONCURRENCY}; p50 ${percentile(run.latencies, 50).toFixed(1)} ms, p99 ${percentile(run.latencies, 99).toFixed(1)} ms; client CPU ${Math.round((100 * run.clientCpuSeconds) / run.seconds)}% of a core)   raw ${f(rawRate)} events/s   ratio ${(serverRate / rawRate).toFixed(2)}x`,
      );
    }
    const verify = (await (await fetch(`${server.url}/api/audit/verify`, { headers: { authorization: `Bearer ${BENCH_ADMIN_TOKEN}` } })).json()) as { ok: boolean; records: number };
    if (!verify.ok) throw new Error('audit bench: the chain does not verify');
    const metrics = await (await fetch(`${server.url}/api/metrics`)).text();
    const metric = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1] ?? NaN);
    const commits = metric('careloop_audit_store_write_seconds_count');
    const commitSeconds = metric('careloop_audit_store_write_seconds_sum');
    const accepted = metric('careloop_audit_events_accepted_total');
    const median = [...rounds].sort((a, b) => a.serverRate / a.rawRate - b.serverRate / b.rawRate)[Math.floor(ROUNDS / 2)];
    if (!median) return;
    console.info(`  store: ${f(commits)} group commits, ${(accepted / commits).toFixed(0)} events per commit on average, ${((commitSeconds / commits) * 1000).toFixed(1)} ms per commit; chain of ${f(verify.records)} verifies`);
    console.info(
      `result: ${f(median.serverRate)} events/s, p50 ${median.p50.toFixed(1)} ms, p99 ${median.p99.toFixed(1)} ms; raw ${f(median.rawRate)} events/s; ratio ${(median.serverRate / median.rawRate).toFixed(2)}x   (targets: >= 5,000 events/s and >= 0.5x)`,
    );
    await verifyUnderLoad(server.url, await issuer.token({ sub: 'user-verify', client_id: 'careloop' }), verify.records);
  } finally {
    await new Promise<void>((done) => {
      server.child.once('exit', () => done());
      server.child.kill('SIGTERM');
    });
    await issuer.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The benchmark as `test/bench/run.ts` lists them. */
export const auditBenchmark: Benchmark = { name: 'audit: server vs raw better-sqlite3', run: runAuditBench };

if (import.meta.url === `file://${process.argv[1]}`) await runAuditBench();
