/**
 * Issue 4 item 1: an IdP's keys from its configured jwks_uri ([EMA] §7.4.1): fetched with undici, cached, an unknown
 * kid refetches at most once per cooldown, a rotated-out key is never used again (no rollback), and keys that
 * cannot be had refuse the assertion (audited) rather than fail the server.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JWK } from 'jose';
import { ISSUER, startHarness, type Harness } from '../helpers/as-harness.js';
import { basicAuth, fixturePayload, idpKey, jwtBearerForm, mintIdJag, type IdpKey } from '../helpers/idjag.js';
import { JWT_BEARER_GRANT_TYPE } from '../../src/as/idjag/constants.js';

const RESOURCE = `${ISSUER}/mcp`;
const APP = 'ema-app';
const APP_SECRET = 'ema-app-secret-0123456789';

let h: Harness;
let server: Server;
let served: { keys: JWK[] } = { keys: [] };
let status = 200;
let fetches = 0;
let a: IdpKey;
let b: IdpKey;
let idp: string;

before(async () => {
  a = await idpKey('key-a');
  b = await idpKey('key-b');
  served = { keys: [a.jwk] };
  server = createServer((req, res) => {
    fetches++;
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(served));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  idp = `http://127.0.0.1:${port}`;
  process.env.TEST_EMA_APP_SECRET = APP_SECRET;
  h = await startHarness({
    clients: [{ client_id: APP, grant_types: [JWT_BEARER_GRANT_TYPE], token_endpoint_auth_method: 'client_secret_basic', client_secret_env: 'TEST_EMA_APP_SECRET' }],
    enterprise: {
      trusted_issuers: [
        { issuer: idp, jwks_uri: `${idp}/jwks`, clients: [APP], provision: true, jwks_cooldown_s: 1 },
        // nothing listens on port 9 of loopback: the keys cannot be fetched
        { issuer: 'http://127.0.0.1:9/idp', jwks_uri: 'http://127.0.0.1:9/jwks', clients: [APP], provision: true },
      ],
    },
  });
});
after(async () => {
  await h.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const now = (): number => Math.floor(h.clock.now / 1000);
const mint = (key: IdpKey, iss = idp): Promise<string> => mintIdJag({ ...fixturePayload('draft-ai-agent.id-jag'), iss, aud: ISSUER, resource: RESOURCE, client_id: APP, scope: 'notes:read' }, { key, now: now() });

async function token(assertion: string): Promise<{ status: number; error?: string }> {
  const res = await h.request('/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(APP, APP_SECRET) }, body: jwtBearerForm(assertion) });
  const body = (await res.json()) as { error?: string };
  return { status: res.status, ...(body.error ? { error: body.error } : {}) };
}

async function lastRejection(): Promise<string> {
  const [row] = await h.store.listAudit({ types: ['idjag.rejected'], order: 'desc', limit: 1 });
  return JSON.parse(row!.data).reason as string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('ID-JAG issuer keys from jwks_uri ([EMA] §7.4.1) (as.idjag.jwks-rotation)', () => {
  it('fetched once and cached; a rotated key is picked up on its unknown kid after the cooldown (as.idjag.jwks-rotation)', async () => {
    assert.equal((await token(await mint(a))).status, 200);
    assert.equal((await token(await mint(a))).status, 200);
    assert.equal(fetches, 1, 'the key set is cached');
    // the IdP rotates: only key B is published now
    served = { keys: [b.jwk] };
    await sleep(1100);
    assert.equal((await token(await mint(b))).status, 200, 'the unknown kid refetched the set');
    assert.equal(fetches, 2);
  });

  it('a key the IdP removed is never used again, and unknown kids refetch at most once per cooldown (as.idjag.jwks-rotation)', async () => {
    const before = fetches;
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await token(await mint(a)));
    assert.deepEqual(results.map((r) => r.error), Array(5).fill('invalid_grant'));
    assert.equal(await lastRejection(), 'signature');
    assert.ok(fetches - before <= 1, `at most one refetch within the cooldown, saw ${fetches - before}`);
    await sleep(1100);
    assert.equal((await token(await mint(a))).error, 'invalid_grant', 'no rollback after a refetch either');
    // even if the IdP serves an error for a while, the last good set stays in use (B still verifies)
    status = 500;
    await sleep(1100);
    assert.equal((await token(await mint(b))).status, 200);
    status = 200;
  });

  it('keys that cannot be fetched refuse the assertion with invalid_grant, audited as keys_unavailable (as.idjag.iss-signature)', async () => {
    const res = await token(await mint(a, 'http://127.0.0.1:9/idp'));
    assert.equal(res.status, 400);
    assert.equal(res.error, 'invalid_grant');
    assert.equal(await lastRejection(), 'keys_unavailable');
  });
});
