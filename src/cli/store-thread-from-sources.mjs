/**
 * The entry point of the SQLite store's threads (src/server/store/sqlite-thread.ts) when the server
 * runs from its TypeScript sources (tsx, vitest, `npm start`): development tooling, so it lives here
 * and not in src/server — the compiled server starts its bundled `store-thread.js` and never needs
 * tsx (a production install has none). In plain JavaScript so that
 * Node can start it without a TypeScript loader: Node 20 does not apply an `--import` loader from a
 * worker's execArgv to the worker's own entry module, and under vitest a worker inherits no loader
 * at all. So the thread registers tsx for itself, then loads the module of its role.
 */
import { workerData } from 'node:worker_threads';

const role = typeof workerData === 'object' && workerData !== null ? workerData.role : undefined;
if (role !== 'writer' && role !== 'checkpointer' && role !== 'verifier') throw new Error(`store-thread-from-sources.mjs: unknown role ${String(role)}`);
// The writer's packages load before tsx is registered: Node's own loader reads kysely's ~280
// modules in half the time it takes through a loader's hooks (which run on another thread).
if (role === 'writer' || role === 'verifier') await Promise.all([import('kysely'), import('better-sqlite3'), import('pg')]);
const { register } = await import('tsx/esm/api');
register();
await import(role === 'writer' ? '../server/store/sqlite-thread-worker.ts' : role === 'verifier' ? '../server/store/sqlite-verifier.ts' : '../server/store/sqlite-checkpointer.ts');
