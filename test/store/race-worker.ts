import { parentPort, workerData } from 'node:worker_threads';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { RACE_NOW, raceNext, type RaceOutcome, type RaceSetup } from './race.js';

/**
 * One racer of the cross-connection test: its own connection to the shared file, released by the barrier
 * together with the others, then redeems every code, rotates every token and uses every jti once.
 */
const { file, n, racer, barrier } = workerData as RaceSetup & { racer: number };
const gate = new Int32Array(barrier);
const store = openSqliteStore(file);
Atomics.add(gate, 1, 1);
Atomics.wait(gate, 0, 0);

const outcome: RaceOutcome = { codes: [], rotations: [], jtis: [] };
for (let i = 0; i < n; i++) {
  outcome.codes.push((await store.consumeAuthorizationCode(`code-${i}`, RACE_NOW)).kind);
  const rotated = await store.rotateRefreshToken(`rt-${i}`, raceNext(i, racer), `sealed-${racer}`, RACE_NOW, 10_000);
  outcome.rotations.push(rotated.kind);
  outcome.jtis.push(await store.useJti('https://idp.example', `jti-${i}`, RACE_NOW + 60_000, RACE_NOW));
}
await store.close();
parentPort?.postMessage(outcome);
