/**
 * POST /revoked-grants (issue 11): the revocation list an embedded resource server polls so that revoked grants'
 * tokens are refused within seconds (ARCHITECTURE "Revocation"). Only introspection-enabled static clients
 * (resource servers) may read it, authenticated as at /introspect (RFC 7662 §2.1 by analogy).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CONFIDENTIAL_CLIENT, CONFIDENTIAL_SECRET, ISSUER, REDIRECT, startHarness, type Harness } from '../helpers/as-harness.js';

const RS_CLIENT = 'notes-rs';
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

describe('AS: revoked-grants list for embedded resource servers (as.revoked-grants.endpoint)', () => {
  let h: Harness;
  const post = (body: string, authorization?: string, method = 'POST') =>
    h.request('/revoked-grants', { method, headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authorization ? { authorization } : {}) }, ...(method === 'POST' ? { body } : {}) });

  before(async () => {
    h = await startHarness({
      clients: [
        { client_id: 'test-public', redirect_uris: [REDIRECT] },
        { client_id: CONFIDENTIAL_CLIENT, redirect_uris: ['https://app.example/cb'], token_endpoint_auth_method: 'client_secret_basic', client_secret_env: 'TEST_CONFIDENTIAL_SECRET' },
        { client_id: RS_CLIENT, token_endpoint_auth_method: 'client_secret_basic', client_secret_env: 'TEST_CONFIDENTIAL_SECRET', grant_types: [], introspection: true },
      ],
    });
    for (const id of ['g-old', 'g-new', 'g-live']) {
      await h.store.createGrant({ id, user_id: 'user-1', client_id: 'test-public', resource: `${ISSUER}/mcp`, scope: ['notes:read'], created_at: h.clock.now, auth_time: null, revoked_at: null, revoked_reason: null });
    }
    // one revocation older than the longest access token (600 s + 30 s skew): no longer worth reporting
    await h.store.revokeGrant('g-old', h.clock.now - 700_000, 'test');
    await h.store.revokeGrant('g-new', h.clock.now - 5_000, 'test');
  });
  after(() => h.close());

  test('an introspection client gets the grants revoked within the last access-token lifetime, as_of and retain_seconds', async () => {
    const res = await post('', basic(RS_CLIENT, CONFIDENTIAL_SECRET));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const body = (await res.json()) as { revoked_grants: string[]; as_of: number; retain_seconds: number };
    assert.deepEqual(body.revoked_grants, ['g-new']);
    assert.equal(body.as_of, h.clock.now);
    assert.equal(body.retain_seconds, 630);
    // since = a later as_of: only what was revoked after it
    const later = (await (await post(`since=${h.clock.now - 1000}`, basic(RS_CLIENT, CONFIDENTIAL_SECRET))).json()) as { revoked_grants: string[] };
    assert.deepEqual(later.revoked_grants, []);
  });

  test('no credentials, wrong secret, a client not marked introspection → 401 invalid_client with nothing listed (RFC 7662 §2.1, RFC 6749 §5.2)', async () => {
    for (const auth of [undefined, basic(RS_CLIENT, 'wrong'), basic(CONFIDENTIAL_CLIENT, CONFIDENTIAL_SECRET), basic('test-public', '')]) {
      const res = await post('', auth);
      assert.equal(res.status, 401, String(auth));
      const body = (await res.json()) as Record<string, unknown>;
      assert.equal(body.error, 'invalid_client');
      assert.equal(body.revoked_grants, undefined);
    }
  });

  test('bad since, or GET → 400 invalid_request', async () => {
    for (const since of ['yesterday', '-5', '1e9', '99999999999999999999']) {
      const res = await post(`since=${since}`, basic(RS_CLIENT, CONFIDENTIAL_SECRET));
      assert.equal(res.status, 400, since);
      assert.equal(((await res.json()) as { error: string }).error, 'invalid_request');
    }
    const get = await post('', basic(RS_CLIENT, CONFIDENTIAL_SECRET), 'GET');
    assert.equal(get.status, 400);
    await get.body?.cancel();
  });
});
