import { parentPort, workerData } from 'node:worker_threads';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { openLog } from './helpers.js';

/** One instance of the cross-process append test: its own connection and AuditLog, released by the barrier. */
const { file, n, racer, barrier } = workerData as { file: string; n: number; racer: number; barrier: SharedArrayBuffer };
const gate = new Int32Array(barrier);
const store = openSqliteStore(file);
const log = openLog(store, { batchMax: 7 });
Atomics.add(gate, 1, 1);
Atomics.wait(gate, 0, 0);
for (let i = 0; i < n; i++) {
  if (i % 3 === 0) log.recordBatched('tool.allowed', { resource: 'r', tool: `t-${racer}-${i}` }, { user_id: `racer-${racer}` });
  else await log.record('token.issued', { grant_type: 'refresh_token', jti: `jti-${racer}-${i}`, scope: [], audience: 'r' }, { user_id: `racer-${racer}` });
}
await log.close();
await store.close();
parentPort?.postMessage('done');
