/**
 * The audit server's command line: `tsx src/server/main.ts`, configured by environment variables
 * (see config.ts). Prints `Audit: <url>` once listening; exits 1 with one line per bad variable.
 */
import { loadAuditConfig } from './config.ts';
import { startAuditServer } from './server.ts';

const loaded = loadAuditConfig(process.env);
if (!loaded.ok) {
  console.error('The audit server is misconfigured:');
  for (const message of loaded.errors) console.error(`  - ${message}`);
  process.exit(1);
}
const { config } = loaded;
const server = await startAuditServer({
  port: config.port,
  host: config.host,
  databaseUrl: config.databaseUrl,
  ...(config.pgSchema ? { pgSchema: config.pgSchema } : {}),
  sqlitePath: config.sqlitePath,
  trustedIssuers: config.trustedIssuers,
  corsOrigins: config.corsOrigins,
  bodyLimitBytes: config.bodyLimitBytes,
  rateLimit: config.rateLimit,
  clientRateLimit: config.clientRateLimit,
  adminToken: config.adminToken,
  staticDir: config.staticDir,
  logger: config.logLevel === 'silent' ? false : { level: config.logLevel },
  tokenCacheSeconds: config.tokenCacheSeconds,
});
console.info(`Audit: ${server.url} (${server.store.dialect})`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('audit server did not close cleanly', error instanceof Error ? error.message : error);
        process.exit(1);
      },
    );
  });
}
