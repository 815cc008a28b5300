/**
 * Two `portcullis serve` processes on one PostgreSQL schema, as behind a load balancer (issue 6 item 3;
 * ARCHITECTURE "Deployment"): one issuer URL (A's) for both, the same PORTCULLIS_SECRET, separate data dirs.
 * The test talks to each instance's own port; tokens carry the shared issuer and resource.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../helpers/ports.js';
import { runCli, spawnPortcullis, type PortcullisProcess } from '../helpers/portcullis-process.js';
import { withPostgres } from '../store/pg-harness.js';
import { CLIENT, CLIENT_YAML, flow, kidOf, type Flow, type TokenSet } from './flow.js';

const GRACE_S = 2;
const env = { PORTCULLIS_SECRET: randomBytes(32).toString('base64url'), PORTCULLIS_LOG_LEVEL: 'warn' };

await withPostgres((h) => {
  describe('two instances on one PostgreSQL (ops.multi.two-instances)', { timeout: 120_000 }, () => {
    let dir: string;
    let config: string;
    let store: string;
    let a: PortcullisProcess | undefined;
    let b: PortcullisProcess | undefined;
    let A: string;
    let B: string;
    let f: Flow;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'pc-multi-'));
      config = join(dir, 'portcullis.yaml');
      // the races below send thousands of token requests from one address in seconds: the per-IP limits are lifted
      writeFileSync(
        config,
        `${CLIENT_YAML}tokens:\n  refresh_grace: ${GRACE_S}\nkeys:\n  publish_before_s: 3\n  reload_s: 1\nrate_limits:\n  authorize: { per_ip: { limit: 100000, window_s: 60 } }\n  token: { per_ip: { limit: 100000, window_s: 60 } }\n`,
      );
      store = (await h.schema()).url;
      const [pa, pb] = [await freePort(), await freePort()];
      A = `http://127.0.0.1:${pa}`;
      B = `http://127.0.0.1:${pb}`;
      const start = (port: number, name: string) =>
        spawnPortcullis({ args: ['serve', '--demo', '--config', config, '--store', store, '--issuer', A, '--port', String(port), '--data-dir', join(dir, name)], env });
      a = await start(pa, 'a'); // first: creates the schema, the signing key and the demo user
      b = await start(pb, 'b');
      assert.equal(b.banner.issuer, A);
      f = flow({ issuer: A, resource: `${A}/mcp`, username: 'demo', password: a.banner.demoPassword! });
    });
    after(async () => {
      await Promise.all([a, b].map((p) => p?.stop().catch(() => p.kill())));
      rmSync(dir, { recursive: true, force: true });
    });

    const tokens = async (at: string): Promise<TokenSet> => {
      const r = await f.redeem(at, await f.code());
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body as unknown as TokenSet;
    };

    /** polls `base`'s gateway until it refuses `token`; the milliseconds it took */
    async function refusedAt(base: string, token: string, limitMs = 3000): Promise<number> {
      const t0 = Date.now();
      while (Date.now() - t0 < limitMs) {
        if ((await f.mcp(base, token)) === 401) return Date.now() - t0;
        await sleep(25);
      }
      return assert.fail(`${base} still accepted the token after ${limitMs} ms`);
    }

    test('a code issued through A is redeemed at B; the token works at both gateways', async () => {
      const t = await tokens(B);
      assert.equal(await f.mcp(B, t.access_token), 200);
      assert.equal(await f.mcp(A, t.access_token), 200);
    });

    test('the same code sent to A and B at once succeeds exactly once (50 repetitions × 20 concurrent attempts)', async () => {
      for (let i = 0; i < 50; i++) {
        const c = await f.code();
        const results = await Promise.all(Array.from({ length: 20 }, (_, j) => f.redeem(j % 2 ? B : A, c)));
        const ok = results.filter((r) => r.status === 200);
        assert.equal(ok.length, 1, `repetition ${i}: ${JSON.stringify(results.map((r) => [r.status, r.body.error]))}`);
        for (const r of results.filter((x) => x.status !== 200)) assert.equal(r.body.error, 'invalid_grant');
      }
    });

    test('20 concurrent refreshes across A and B yield one rotation, 50 times over (ops.multi.refresh-race)', async () => {
      for (let i = 0; i < 50; i++) {
        const t = await tokens(i % 2 ? A : B);
        const results = await Promise.all(Array.from({ length: 20 }, (_, j) => f.refresh(j % 2 ? B : A, t.refresh_token)));
        const ok = results.filter((r) => r.status === 200);
        assert.ok(ok.length >= 1, `repetition ${i}: ${JSON.stringify(results.map((r) => r.body))}`);
        assert.equal(new Set(ok.map((r) => `${String(r.body.refresh_token)} ${String(r.body.access_token)}`)).size, 1, `repetition ${i}: every success is the identical pair`);
        for (const r of results.filter((x) => x.status !== 200)) assert.equal(r.body.error, 'invalid_grant');
      }
    });

    test('20 concurrent refreshes across A and B: one rotation; reuse after the grace revokes the grant', async () => {
      const t = await tokens(A);
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => f.refresh(i % 2 ? B : A, t.refresh_token)));
      const ok = results.filter((r) => r.status === 200);
      assert.ok(ok.length >= 1, JSON.stringify(results.map((r) => r.body)));
      assert.equal(new Set(ok.map((r) => `${String(r.body.refresh_token)} ${String(r.body.access_token)}`)).size, 1, 'every success is the identical pair');
      for (const r of results.filter((x) => x.status !== 200)) assert.equal(r.body.error, 'invalid_grant');
      const next = ok[0]!.body as unknown as TokenSet;
      assert.equal(await f.mcp(B, next.access_token), 200);

      await sleep(GRACE_S * 1000 + 500);
      const reuse = await f.refresh(B, t.refresh_token);
      assert.equal(reuse.status, 400);
      assert.equal(reuse.body.error, 'invalid_grant');
      assert.equal((await f.refresh(A, next.refresh_token)).body.error, 'invalid_grant', 'the whole grant is revoked');
      await refusedAt(A, next.access_token);
      await refusedAt(B, next.access_token);
    });

    test('POST /revoke at A: B refuses the access token within a second', async () => {
      const t = await tokens(A);
      assert.equal(await f.mcp(B, t.access_token), 200);
      const res = await fetch(`${A}/revoke`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: t.access_token, client_id: CLIENT }) });
      assert.equal(res.status, 200);
      assert.equal(await f.mcp(A, t.access_token), 401, 'immediate at A');
      const took = await refusedAt(B, t.access_token);
      console.log(`# revocation reached B after ${took} ms`);
      // the poller reads the store every 1 s; the margin is this test's polling and a loaded machine's latency
      assert.ok(took <= 1500, `B refused after ${took} ms`);
    });

    test('keys rotate: both instances publish the new key before it signs; a token it signed at A verifies at B (ops.keys.rotate)', async () => {
      const jwks = async (base: string) => ((await (await fetch(`${base}/jwks.json`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
      const before = await tokens(A);
      const oldKid = kidOf(before.access_token);
      const wrong = await runCli(['keys', 'rotate', '--config', config, '--store', store, '--data-dir', join(dir, 'cli')], { env: { ...env, PORTCULLIS_SECRET: 'w'.repeat(40) } });
      assert.equal(wrong.code, 1, 'a key sealed with another secret would be unusable: refused');
      assert.match(wrong.stderr, /does not open the existing keys/);
      const r = await runCli(['keys', 'rotate', '--json', '--config', config, '--store', store, '--data-dir', join(dir, 'cli')], { env });
      assert.equal(r.code, 0, r.stderr);
      const { added } = JSON.parse(r.stdout) as { added: { kid: string; activates_at: number } };
      for (const base of [A, B]) {
        for (let i = 0; !(await jwks(base)).includes(added.kid); i++) {
          assert.ok(i < 40, `${base} did not publish the new key`);
          await sleep(50);
        }
      }
      if (Date.now() < added.activates_at - 300) assert.equal(kidOf((await tokens(B)).access_token), oldKid, 'published, not yet signing');
      await sleep(Math.max(0, added.activates_at - Date.now() + 50));
      const fromA = await tokens(A);
      const fromB = await tokens(B);
      assert.equal(kidOf(fromA.access_token), added.kid);
      assert.equal(kidOf(fromB.access_token), added.kid);
      assert.equal(await f.mcp(B, fromA.access_token), 200);
      assert.equal(await f.mcp(A, fromB.access_token), 200);
      assert.equal(await f.mcp(B, before.access_token), 200, 'the old key verifies until its last token expires');
      for (const base of [A, B]) assert.deepEqual((await jwks(base)).sort(), [oldKid, added.kid].sort());
      const list = await runCli(['keys', 'list', '--config', config, '--store', store, '--data-dir', join(dir, 'cli')], { env });
      assert.match(list.stdout, new RegExp(`${added.kid} +signing`));
      assert.match(list.stdout, new RegExp(`${oldKid} +retiring`));
    });
  });
});
