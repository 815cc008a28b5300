/**
 * Crash safety (issue 6 item 6) on the embedded SQLite store and on PostgreSQL: `serve --demo` under sustained token and gateway
 * load is SIGKILLed and restarted on the same data dir, twice. Afterwards every grant whose token response the
 * client received still works, and no code or refresh token is accepted twice. SQLite runs in WAL mode: a commit
 * has reached the WAL file (the OS) before the response is sent, so a process crash loses nothing committed
 * (a power loss could lose the last commits under synchronous = NORMAL; see src/store/sqlite/schema.ts).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../helpers/ports.js';
import { spawnPortcullis, type PortcullisProcess } from '../helpers/portcullis-process.js';
import { withPostgres } from '../store/pg-harness.js';
import { CLIENT_YAML, flow, type Flow, type TokenSet } from './flow.js';

const WORKERS = 6;
const LOAD_MS = 2500;

interface Ledger {
  /** per grant: the newest token pair whose response was received */
  grants: TokenSet[];
  /** codes redeemed with a 200 received */
  usedCodes: { code: string; verifier: string }[];
  /** codes sent but no response received (the kill came first): may have been redeemed, at most once */
  unknownCodes: { code: string; verifier: string }[];
  /** rotated refresh tokens and the pair their rotation answered */
  rotated: { old: string; pair: TokenSet }[];
  /** requests sent (all kinds) */
  requests: number;
  /** requests the kill cut, by kind */
  cut: Record<string, number>;
}

/** the same crash test on each store: the embedded SQLite file, and PostgreSQL (issue 6 "How it is shown") */
function crashSuite(storeName: string, storeArgs: () => Promise<string[]>): void {
describe(`SIGKILL under load, restart, ${storeName} (ops.crash.sigkill)`, { timeout: 90_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'pc-crash-'));
  let server: PortcullisProcess | undefined;
  after(() => {
    server?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  test('every grant received before the kill still works; no code or refresh token is accepted twice', async () => {
    const config = join(dir, 'portcullis.yaml');
    // the load is far above the default per-IP limits on /token and /authorize: crash safety, not rate limits, is tested
    writeFileSync(config, `${CLIENT_YAML}tokens:\n  refresh_grace: 30\nrate_limits:\n  enabled: false\n`);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const extra = await storeArgs();
    const start = () =>
      spawnPortcullis({ args: ['serve', '--demo', '--config', config, '--issuer', base, '--port', String(port), '--data-dir', join(dir, 'data'), ...extra], env: { PORTCULLIS_LOG_LEVEL: 'warn' } });
    server = await start();
    const password = server.banner.demoPassword!;
    const ledger: Ledger = { grants: [], usedCodes: [], unknownCodes: [], rotated: [], requests: 0, cut: {} };
    const flows: Flow[] = Array.from({ length: WORKERS }, () => flow({ issuer: base, resource: `${base}/mcp`, username: 'demo', password }));
    await Promise.all(flows.map((f) => f.code())); // sign in once per worker (argon2) before the load starts
    let killed = false;
    const cut = (kind: string) => (e: unknown) => {
      if (!killed) throw e; // only the kill may cut a request
      ledger.cut[kind] = (ledger.cut[kind] ?? 0) + 1;
      return null;
    };

    for (let cycle = 0; cycle < 2; cycle++) {
      const t0 = Date.now();
      let stop = false;
      const worker = async (f: Flow): Promise<void> => {
        while (!stop) {
          const c = await f.code().catch(cut('authorize'));
          if (!c) return;
          ledger.requests++;
          const r = await f.redeem(base, c).catch(cut('code'));
          if (!r) return void ledger.unknownCodes.push(c);
          assert.equal(r.status, 200, JSON.stringify(r.body));
          ledger.usedCodes.push(c);
          const slot = ledger.grants.push(r.body as unknown as TokenSet) - 1;
          for (let i = 0; i < 4 && !stop; i++) {
            const cur = ledger.grants[slot]!;
            ledger.requests += 2;
            const status = await f.mcp(base, cur.access_token).catch(cut('gateway'));
            if (status === null) return;
            assert.equal(status, 200);
            const n = await f.refresh(base, cur.refresh_token).catch(cut('refresh'));
            if (!n) return; // the grant keeps `cur`: after the restart it refreshes, or gets the grace pair
            assert.equal(n.status, 200, JSON.stringify(n.body));
            ledger.grants[slot] = n.body as unknown as TokenSet;
            ledger.rotated.push({ old: cur.refresh_token, pair: ledger.grants[slot] });
          }
        }
      };
      // a request cut by the kill rejects (fetch failed); the worker ends there
      const running = flows.map((f) => worker(f));
      await sleep(LOAD_MS);
      killed = stop = true;
      server.proc.kill('SIGKILL');
      await Promise.all(running);
      await server.stop('SIGKILL').catch(() => undefined);
      console.log(`# cycle ${cycle}: ${ledger.requests} requests in ${Date.now() - t0} ms; ${ledger.grants.length} grants so far; killed, cutting ${JSON.stringify(ledger.cut)}`);
      const r0 = Date.now();
      server = await start();
      killed = false;
      console.log(`# restarted in ${Date.now() - r0} ms`);

      // every grant received is usable: its access token at the gateway, its refresh token (or its grace pair)
      const f = flows[0]!;
      for (const [i, g] of ledger.grants.entries()) {
        assert.equal(await f.mcp(base, g.access_token), 200, `grant ${i}: access token refused after the restart`);
        const n = await f.refresh(base, g.refresh_token);
        assert.equal(n.status, 200, `grant ${i}: refresh failed after the restart: ${JSON.stringify(n.body)}`);
        ledger.rotated.push({ old: g.refresh_token, pair: n.body as unknown as TokenSet });
        ledger.grants[i] = n.body as unknown as TokenSet;
      }
    }

    // nothing accepted twice: received codes are spent; a code cut by the kill redeems at most once
    const f = flows[0]!;
    for (const c of ledger.usedCodes) assert.equal((await f.redeem(base, c)).body.error, 'invalid_grant', 'a redeemed code was accepted again');
    for (const c of ledger.unknownCodes) {
      const [first, second] = [await f.redeem(base, c), await f.redeem(base, c)];
      assert.equal(second.body.error, 'invalid_grant');
      assert.ok(first.status === 200 || first.body.error === 'invalid_grant');
    }
    // a rotated refresh token replayed: refused, or (within the grace) the very pair its rotation gave, never a new one
    for (const { old, pair } of ledger.rotated) {
      const r = await f.refresh(base, old);
      if (r.status === 200) assert.equal(r.body.refresh_token, pair.refresh_token, 'a refresh token was spent twice');
      else assert.equal(r.body.error, 'invalid_grant');
    }
    console.log(`# ${ledger.grants.length} grants, ${ledger.usedCodes.length} codes, ${ledger.rotated.length} rotations checked; ${ledger.unknownCodes.length} codes cut by a kill`);
    assert.ok(ledger.grants.length >= WORKERS, 'the load produced grants');
  });
});
}

crashSuite('SQLite', async () => []);
await withPostgres((h) => crashSuite('PostgreSQL', async () => ['--store', (await h.schema()).url]));
