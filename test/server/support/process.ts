/** The audit server as a real process (`node --import tsx src/server/main.ts`), for durability and operations tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '../../..');

export interface AuditProcess {
  process: ChildProcess;
  /** The base URL the server printed (`Audit: http://…`). */
  url: string;
  /** Everything it wrote to stdout and stderr so far. */
  output: () => string;
  /** Resolves with its exit code. */
  exited: Promise<number | null>;
}

/** Starts the server with `env` over this process's environment; resolves once it prints its URL, rejects if it exits first or takes 30 s. */
export function startAuditProcess(env: Record<string, string>): Promise<AuditProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/main.ts'], {
    cwd: REPO_ROOT,
    env: { ...process.env, AUDIT_PORT: '0', AUDIT_LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`audit server did not start: ${out}`)), 30_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const match = /Audit: (http:\/\/\S+)/.exec(out);
      if (match?.[1]) {
        clearTimeout(timer);
        resolvePromise({ process: child, url: match[1], output: () => out, exited });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`audit server exited with ${code}: ${out}`));
    });
  });
}
