import { Worker } from 'node:worker_threads';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { RefreshTokenRecord } from '../../src/store/types.js';
import { code, grant, refresh, T0 } from './fixtures.js';

/** Shared by the cross-connection race test and its worker. */
export const RACE_NOW = T0 + 1;

export interface RaceSetup {
  file: string;
  n: number;
  barrier: SharedArrayBuffer;
}

export interface RaceOutcome {
  codes: string[];
  rotations: string[];
  jtis: boolean[];
}

const WORKER_BOOT = `import('tsx/esm/api').then(({ tsImport }) => tsImport(${JSON.stringify(
  new URL('./race-worker.ts', import.meta.url).href,
)}, ${JSON.stringify(import.meta.url)}))`;

const raceGrant = grant({ id: 'race-grant' });

export const raceNext = (i: number, racer: number): RefreshTokenRecord =>
  refresh(raceGrant, { token_hash: `rt-${i}-next-${racer}` });

/** Seeds `file` with n codes and n refresh tokens, then races `racers` worker threads over them. */
export async function race(file: string, n: number, racers: number): Promise<RaceOutcome[]> {
  const seed = openSqliteStore(file);
  for (let i = 0; i < n; i++) {
    await seed.createGrantWithCode(raceGrant, code(raceGrant, { code_hash: `code-${i}` }));
    await seed.putRefreshToken(refresh(raceGrant, { token_hash: `rt-${i}` }));
  }
  await seed.close();

  const barrier = new SharedArrayBuffer(8);
  const gate = new Int32Array(barrier);
  const workers = Array.from(
    { length: racers },
    (_, racer) =>
      // Node 20 does not hand a worker's .ts entry to tsx's loader; tsx's own API imports it instead
      new Worker(WORKER_BOOT, { eval: true, workerData: { file, n, racer, barrier } }),
  );
  const outcomes = workers.map(
    (w) =>
      new Promise<RaceOutcome>((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
        w.once('exit', (status) => reject(new Error(`racer exited with ${status} before reporting`)));
      }),
  );
  let failure: unknown;
  for (const o of outcomes) o.catch((e: unknown) => (failure ??= e));
  // release all racers at once, after each has opened its connection
  while (Atomics.load(gate, 1) < racers) {
    if (failure !== undefined) throw failure;
    await new Promise((r) => setTimeout(r, 10));
  }
  Atomics.store(gate, 0, 1);
  Atomics.notify(gate, 0);
  return Promise.all(outcomes);
}
