/**
 * The SQLite store threads' entry in the compiled server (`dist/server/store-thread.js`): the same
 * dispatch by role as src/cli/store-thread-from-sources.mjs does, without tsx, as the roles' modules are bundled in.
 */
import { workerData } from 'node:worker_threads';
import { isStoreThreadData } from './sqlite-thread-protocol.ts';

if (!isStoreThreadData(workerData)) throw new Error('store-thread.js: unknown role');
switch (workerData.role) {
  case 'writer':
    await import('./sqlite-thread-worker.ts');
    break;
  case 'verifier':
    await import('./sqlite-verifier.ts');
    break;
  case 'checkpointer':
    await import('./sqlite-checkpointer.ts');
    break;
}
