/**
 * The entry point of the SQLite store's threads (see sqlite-thread.ts), in plain JavaScript so that
 * Node can start it without a TypeScript loader: Node 20 does not apply an `--import` loader from a
 * worker's execArgv to the worker's own entry module, and under vitest a worker inherits no loader
 * at all. So the thread registers tsx for itself, then loads the module of its role.
 */
import { workerData } from 'node:worker_threads';

const role = typeof workerData === 'object' && workerData !== null ? workerData.role : undefined;
if (role !== 'writer' && role !== 'checkpointer' && role !== 'verifier') throw new Error(`sqlite-thread-entry.mjs: unknown role ${String(role)}`);
// The writer's packages load before tsx is registered: Node's own loader reads kysely's ~280
// modules in half the time it takes through a loader's hooks (which run on another thread).
if (role === 'writer' || role === 'verifier') await Promise.all([import('kysely'), import('better-sqlite3'), import('pg')]);
const { register } = await import('tsx/esm/api');
register();
await import(role === 'writer' ? './sqlite-thread-worker.ts' : role === 'verifier' ? './sqlite-verifier.ts' : './sqlite-checkpointer.ts');
