/**
 * `npm run bench -- workflow`: the workflow inbox's intake of rest-hook notifications, durable and
 * deduplicated, through the real server process (`src/server/main.ts` with the workflow service
 * on) over HTTP — on SQLite, and on PostgreSQL (pg-boss) when one is available (`DATABASE_URL`, or
 * a throwaway cluster from this machine's `initdb`). Each notification is acknowledged only after
 * its group commit; 10 % are redeliveries, dropped as duplicates.
 *
 * Beside it, in the same run, a raw insert loop on the same store writes the same rows: one
 * durable transaction per row (what acknowledging each notification after its own commit costs),
 * and in transactions of the group commit's mean size (the store's ceiling at that batching).
 * Target: ≥ 2,000 notifications/s on 2 cores.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { exportJWK, generateKeyPair } from 'jose';
import pg from 'pg';
import { startAuditProcess, type AuditProcess } from '../server/support/process.ts';
import { testPostgres, uniqueSchema } from '../server/support/postgres.ts';
import { percentile, type Benchmark } from './benchmark.ts';
import { postBody } from './post-body.ts';
import { rawSqliteInsertRate } from './raw-insert.ts';

const CONCURRENCY = 64;
const NOTIFICATIONS = 6_000;
const WARMUP = 300;
const ROUNDS = 3;
const SECRET = 'workflow-bench-notification-secret-0123456789';
const NOTIFY_HEADERS = { authorization: `Bearer ${SECRET}`, 'content-type': 'application/fhir+json' };
const FHIR = 'http://127.0.0.1:9/fhir';
const TARGET = 2_000;

/** An id-only backport notification with one event (numbers unique per bench round). */
function notification(subscription: string, n: number): string {
  return JSON.stringify({
    resourceType: 'Bundle',
    type: 'history',
    entry: [
      {
        resource: {
          resourceType: 'Parameters',
          parameter: [
            { name: 'subscription', valueReference: { reference: subscription } },
            { name: 'topic', valueCanonical: 'http://careloop.dev/fhir/SubscriptionTopic/observation-change' },
            { name: 'status', valueCode: 'active' },
            { name: 'type', valueCode: 'event-notification' },
            { name: 'notification-event', part: [{ name: 'event-number', valueString: String(n) }, { name: 'focus', valueReference: { reference: `${FHIR}/Observation/obs-${n}/_history/1` } }] },
          ],
        },
      },
    ],
  });
}


/** Sends `bodies` from CONCURRENCY keep-alive clients; notifications/s. */
async function drive(url: string, bodies: readonly string[]): Promise<{ rate: number; failures: number; p50: number; p99: number }> {
  const target = new URL('/api/workflow/notifications', url);
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const latencies: number[] = [];
  let next = 0;
  let failures = 0;
  const started = performance.now();
  try {
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < bodies.length) {
          const body = bodies[next++] ?? '';
          const t0 = performance.now();
          if ((await postBody(agent, target, NOTIFY_HEADERS, body)) !== 200) failures++;
          latencies.push(performance.now() - t0);
        }
      }),
    );
  } finally {
    agent.destroy();
  }
  return { rate: bodies.length / ((performance.now() - started) / 1000), failures, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/** One round's notifications: `count` events, every tenth delivered a second time (shuffled in). */
function round(subscription: string, from: number, count: number): string[] {
  const bodies: string[] = [];
  for (let n = from; n < from + count; n++) {
    bodies.push(notification(subscription, n));
    if (n % 10 === 0) bodies.splice(Math.max(0, bodies.length - 5), 0, notification(subscription, n));
  }
  return bodies;
}

interface RawRates {
  perRow: number;
  batched: number;
}

const RAW_COLUMNS = ['received_at', 'source', 'subscription', 'event_number', 'resource_type', 'resource_id', 'version_id', 'last_updated', 'patient', 'resource', 'correlation_id', 'status', 'next_attempt_at'];

function sqliteRaw(inboxPath: string, dir: string, count: number, batch: number, tag: string): RawRates {
  const source = new Database(inboxPath, { readonly: true });
  const rows = source.prepare(`SELECT ${RAW_COLUMNS.join(',')} FROM inbox_event ORDER BY id LIMIT ?`).all(count) as Array<Record<string, unknown>>;
  const ddl = (source.prepare("SELECT sql FROM sqlite_master WHERE tbl_name = 'inbox_event' AND sql IS NOT NULL").all() as Array<{ sql: string }>).map((r) => r.sql);
  source.close();
  const rate = (size: number, file: string) => rawSqliteInsertRate(join(dir, file), ddl, 'inbox_event', rows, size);
  return { perRow: rate(1, `raw-row-${tag}.sqlite`), batched: rate(Math.max(1, Math.round(batch)), `raw-batch-${tag}.sqlite`) };
}

async function pgRaw(url: string, schema: string, count: number, batch: number): Promise<RawRates> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const rows = (await client.query<Record<string, unknown>>(`SELECT ${RAW_COLUMNS.join(',')} FROM "${schema}".inbox_event ORDER BY id LIMIT $1`, [count])).rows;
    const rate = async (size: number) => {
      const raw = uniqueSchema('raw');
      await client.query(`CREATE SCHEMA ${raw}`);
      await client.query(`CREATE TABLE ${raw}.inbox_event (LIKE "${schema}".inbox_event INCLUDING ALL)`);
      const insert = `INSERT INTO ${raw}.inbox_event (${RAW_COLUMNS.join(',')}) VALUES (${RAW_COLUMNS.map((_, i) => `$${i + 1}`).join(',')})`;
      const t0 = performance.now();
      for (let i = 0; i < rows.length; i += size) {
        await client.query('BEGIN');
        for (const r of rows.slice(i, i + size)) await client.query({ text: insert, values: RAW_COLUMNS.map((c) => r[c]), name: `raw-insert-${raw}` });
        await client.query('COMMIT');
      }
      const seconds = (performance.now() - t0) / 1000;
      await client.query(`DROP SCHEMA ${raw} CASCADE`);
      return rows.length / seconds;
    };
    return { perRow: await rate(1), batched: await rate(Math.max(1, Math.round(batch))) };
  } finally {
    await client.end();
  }
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/api/workflow/metrics`)).text();
  return Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
}

const f = (n: number) => Math.round(n).toLocaleString('en-US');
const verdict = (ok: boolean) => (ok ? 'met' : 'NOT MET');

async function benchStore(label: string, env: Record<string, string>, raw: (count: number, batch: number, tag: string) => Promise<RawRates>, groupStats: (server: AuditProcess) => Promise<{ batches: number; items: number }>): Promise<void> {
  const server = await startAuditProcess(env);
  try {
    const subscription = `${FHIR}/Subscription/bench`;
    const warm = await drive(server.url, round(subscription, 1, WARMUP));
    if (warm.failures > 0) throw new Error(`workflow bench: ${warm.failures} failed notifications during warm-up:\n${server.output()}`);
    console.info(`${label}`);
    const results: Array<{ rate: number; ratio: number; ratioBatched: number; p50: number; p99: number; perCommit: number }> = [];
    let from = WARMUP + 1;
    for (let r = 0; r < ROUNDS; r++) {
      const before = await groupStats(server);
      const bodies = round(subscription, from, NOTIFICATIONS);
      const run = await drive(server.url, bodies);
      if (run.failures > 0) throw new Error(`workflow bench: ${run.failures} failed notifications`);
      const after = await groupStats(server);
      const perCommit = (after.items - before.items) / Math.max(1, after.batches - before.batches);
      const rates = await raw(NOTIFICATIONS, perCommit, `${r}`);
      from += NOTIFICATIONS;
      results.push({ rate: run.rate, ratio: run.rate / rates.perRow, ratioBatched: run.rate / rates.batched, p50: run.p50, p99: run.p99, perCommit });
      console.info(
        `  round ${r + 1}: ${f(run.rate)} notifications/s (${bodies.length} POSTs, 10 % redeliveries, concurrency ${CONCURRENCY}; ack p50 ${run.p50.toFixed(1)} ms, p99 ${run.p99.toFixed(1)} ms; ${perCommit.toFixed(1)} notifications per group commit)` +
          `   raw: ${f(rates.perRow)} rows/s one commit per row, ${f(rates.batched)} rows/s in commits of ${Math.round(perCommit)}   ratio ${(run.rate / rates.perRow).toFixed(2)}x / ${(run.rate / rates.batched).toFixed(2)}x`,
      );
    }
    const dropped = await metric(server.url, 'careloop_workflow_duplicates_dropped_total');
    const expected = ((WARMUP + ROUNDS * NOTIFICATIONS) / 10) | 0;
    if (Math.abs(dropped - expected) > 1) throw new Error(`workflow bench: ${dropped} duplicates dropped, expected ${expected}`);
    const median = [...results].sort((a, b) => a.rate - b.rate)[Math.floor(results.length / 2)];
    if (!median) return;
    console.info(
      `  result: ${f(median.rate)} notifications/s durable and deduplicated, ack p50 ${median.p50.toFixed(1)} ms; ${median.ratio.toFixed(2)}x a raw loop committing each row, ${median.ratioBatched.toFixed(2)}x one committing in the same batches — ${verdict(median.rate >= TARGET)} (target ≥ ${f(TARGET)}/s)`,
    );
  } finally {
    server.process.kill('SIGTERM');
    await server.exited;
  }
}

export const workflowBenchmark: Benchmark = {
  name: 'workflow: inbox intake of rest-hook notifications (SQLite, PostgreSQL)',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'careloop-workflow-bench-'));
    const { privateKey } = await generateKeyPair('ES384', { extractable: true });
    const keyFile = join(dir, 'key.json');
    writeFileSync(keyFile, JSON.stringify({ ...(await exportJWK(privateKey)), kid: 'bench', alg: 'ES384' }));
    const common = {
      AUDIT_TRUSTED_ISSUERS: JSON.stringify([{ fhirBase: FHIR, mode: 'jwks' }]),
      AUDIT_RATE_LIMIT_PER_SECOND: '0',
      AUDIT_CLIENT_RATE_LIMIT_PER_SECOND: '0',
      WORKFLOW_FHIR_BASE: FHIR,
      WORKFLOW_TOKEN_ENDPOINT: 'http://127.0.0.1:9/auth/token',
      WORKFLOW_PRIVATE_KEY_FILE: keyFile,
      WORKFLOW_NOTIFICATION_SECRET: SECRET,
      // Intake alone is measured: the instance takes no work from the inbox during the run.
      WORKFLOW_DRAIN_MS: '60000',
    };
    console.info('server process (src/server/main.ts, workflow on) on HTTP loopback; the load from this process; the median of 3 rounds is the result');
    const groupFromMetrics = async (server: AuditProcess) => ({
      batches: await metric(server.url, 'careloop_workflow_intake_commits_total'),
      items: await metric(server.url, 'careloop_workflow_intake_notifications_total'),
    });
    try {
      const sqlitePath = join(dir, 'audit.sqlite');
      await benchStore(
        'SQLite (WAL, synchronous=FULL), group commit',
        { ...common, DATABASE_URL: '', AUDIT_SQLITE_PATH: sqlitePath },
        async (count, batch, tag) => sqliteRaw(join(dir, 'audit.workflow.sqlite'), dir, count, batch, tag),
        groupFromMetrics,
      );
      const postgres = await testPostgres({ durable: true });
      try {
        if (!postgres.url) {
          console.info(`PostgreSQL: not run (${postgres.reason ?? 'unavailable'})`);
        } else {
          const schema = uniqueSchema('wfbench');
          await benchStore(
            'PostgreSQL (pg-boss job in the same transaction), group commit',
            { ...common, DATABASE_URL: postgres.url, AUDIT_PG_SCHEMA: uniqueSchema('auditbench'), WORKFLOW_PG_SCHEMA: schema },
            (count, batch) => pgRaw(postgres.url ?? '', schema, count, batch),
            groupFromMetrics,
          );
        }
      } finally {
        await postgres.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
