import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { pkcePair, startHarness, type Harness } from '../helpers/as-harness.js';
import { authorizeUrl, exchange } from '../as/flow.js';
import { CIMD_URL, cimdDoc, serveCimd } from '../as/trust/helpers.js';

/** Runs the built CLI (`npm run build` first, as `npm test` does). */
const BIN = new URL('../../bin/portcullis.js', import.meta.url).pathname;
const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, PORTCULLIS_LOG_LEVEL: 'silent', ...env } });

const harnesses: Harness[] = [];
after(() => Promise.all(harnesses.map((h) => h.close())));

/** the AS in-process on a SQLite file that the CLI (another process) opens too */
async function reviewHarness(): Promise<{ h: Harness; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'pc-clients-'));
  const h = await startHarness({ trust: { mode: 'review' } } as never, { store: openSqliteStore(join(dir, 'portcullis.db')) });
  harnesses.push(h);
  return { h, dir };
}
const authorize = (h: Harness) => h.request(authorizeUrl(pkcePair().challenge, { client_id: CIMD_URL }), { redirect: 'manual' });

describe('issue 3: portcullis clients pending|approve|deny|list (cli.clients)', () => {
  it('review mode → pending page → clients approve → flow completes → document changed → pending again (as.trust.document-change)', async () => {
    const { h, dir } = await reviewHarness();
    const { docs } = serveCimd(h);
    assert.equal((await authorize(h)).status, 403);

    const pending = run(['clients', 'pending', '--data-dir', dir]);
    assert.equal(pending.status, 0, pending.stderr);
    assert.match(pending.stdout, new RegExp(`^${CIMD_URL.replace(/[.]/g, '\\.')}$`, 'm'));
    assert.match(pending.stdout, /name: Example App/);
    assert.match(pending.stdout, /redirect_uris: http:\/\/127\.0\.0\.1\/callback/);

    const approve = run(['clients', 'approve', CIMD_URL, '--data-dir', dir, '--by', 'alice-admin']);
    assert.equal(approve.status, 0, approve.stderr);
    assert.match(approve.stdout, /approved .* by alice-admin/);
    const rec = (await h.store.getClientTrust(CIMD_URL))!;
    assert.deepEqual([rec.status, rec.decided_by, rec.decided_version], ['approved', 'alice-admin', rec.version]);
    assert.equal((await exchange(h, { client_id: CIMD_URL })).res.status, 200);

    docs.set(CIMD_URL, cimdDoc({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }] } }));
    const changed = await authorize(h);
    assert.equal(changed.status, 403);
    assert.match(await changed.text(), /changed since an administrator approved it/);
    const again = run(['clients', 'pending', '--data-dir', dir]);
    assert.match(again.stdout, /document changed since it was approved by alice-admin/);
    assert.match(again.stdout, /auth method: private_key_jwt/);
  });

  it('the OS user is recorded when --by is not given; deny works for a never-seen client; list shows every decision', async () => {
    const { h, dir } = await reviewHarness();
    const other = 'https://other.example/c.json';
    serveCimd(h, new Map([[CIMD_URL, cimdDoc()], [other, cimdDoc({ client_id: other })]]));
    await authorize(h);
    const approve = run(['clients', 'approve', CIMD_URL, '--data-dir', dir]);
    assert.equal(approve.status, 0, approve.stderr);
    assert.ok((await h.store.getClientTrust(CIMD_URL))?.decided_by, 'someone is recorded');
    const deny = run(['clients', 'deny', other, '--data-dir', dir, '--by', 'ops']);
    assert.equal(deny.status, 0, deny.stderr);
    const list = run(['clients', 'list', '--data-dir', dir]);
    assert.equal(list.status, 0, list.stderr);
    assert.match(list.stdout, /^approved +https:\/\/app\.example\.com\/oauth\/client\.json by /m);
    assert.match(list.stdout, /^denied +https:\/\/other\.example\/c\.json by ops/m);
    const res = await h.request(authorizeUrl(pkcePair().challenge, { client_id: other }), { redirect: 'manual' });
    assert.equal(res.status, 403);
    assert.match(await res.text(), /not allowed here/);
  });

  it('approving a client that never connected fails (exit 1); bad usage exits 2', async () => {
    const { dir } = await reviewHarness();
    const r = run(['clients', 'approve', 'https://never.example/c.json', '--data-dir', dir]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /has not tried to connect/);
    assert.equal(run(['clients', 'approve', '--data-dir', dir]).status, 2);
    assert.equal(run(['clients', 'frobnicate']).status, 2);
  });
});
