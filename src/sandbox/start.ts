/**
 * `npm start`: the sandbox EHR, the app and the audit backend on this machine. Prints one line each
 * for the EHR's patient list, the FHIR base (the iss), the app and the audit API. Ctrl-C stops
 * everything.
 */
import { PortInUseError, startSandbox } from './index.ts';

function port(name: 'EHR_PORT' | 'APP_PORT' | 'AUDIT_PORT', fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    console.error(`${name} must be a port number (0-65535), got "${raw}".`);
    process.exit(1);
  }
  return n;
}

/** `AUDIT_ADMIN_TOKEN`, as the audit server reads it: unset, or 32–512 printable characters. */
function adminToken(): string | null {
  const raw = process.env['AUDIT_ADMIN_TOKEN'];
  if (raw === undefined || raw === '') return null;
  if (!/^[\x21-\x7e]{32,512}$/.test(raw)) {
    console.error('AUDIT_ADMIN_TOKEN must be 32–512 printable characters without spaces (e.g. openssl rand -hex 32).');
    process.exit(1);
  }
  return raw;
}

async function main(): Promise<void> {
  const admin = adminToken();
  const mode = process.env['APP_MODE'] === 'build' ? 'build' : process.env['APP_MODE'] === 'none' ? 'none' : 'dev';
  try {
    const sandbox = await startSandbox({
      ehrPort: port('EHR_PORT', 4000),
      appPort: port('APP_PORT', 5173),
      app: mode,
      ...(process.env['SANDBOX_REFERENCE_DATE'] ? { referenceDate: process.env['SANDBOX_REFERENCE_DATE'] } : {}),
      audit: {
        port: port('AUDIT_PORT', 4100),
        ...(process.env['AUDIT_SQLITE_PATH'] ? { sqlitePath: process.env['AUDIT_SQLITE_PATH'] } : {}),
        ...(process.env['DATABASE_URL'] ? { databaseUrl: process.env['DATABASE_URL'] } : {}),
        ...(admin ? { adminToken: admin } : {}),
      },
    });
    console.info(`EHR: ${sandbox.ehrUrl}`);
    console.info(`FHIR: ${sandbox.fhirBase}`);
    console.info(`App: ${sandbox.appUrl}`);
    if (sandbox.auditUrl) console.info(`Audit: ${sandbox.auditUrl}/api/audit`);
    let closing = false;
    const stop = () => {
      if (closing) return;
      closing = true;
      void sandbox.close().finally(() => process.exit(0));
      setTimeout(() => process.exit(0), 3000).unref();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  } catch (err) {
    if (err instanceof PortInUseError) {
      console.error(err.message);
    } else {
      console.error(`Could not start the sandbox: ${err instanceof Error ? err.message : String(err)}`);
    }
    process.exit(1);
  }
}

void main();
