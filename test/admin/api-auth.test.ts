import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { ISSUER, RESOURCE, type Harness } from '../helpers/as-harness.js';
import { adminToken, api, clientCredentials, MACHINE_CLIENT, MACHINE_SECRET, sessionCookie, startAdminHarness } from '../helpers/admin-harness.js';
import { storeFingerprint } from '../helpers/store-fingerprint.js';

let h: Harness;
let token: string;
before(async () => {
  h = await startAdminHarness();
  token = await adminToken(h);
  await h.store.createUser({ id: 'user-2', username: 'bob', password_hash: 'x', roles: ['reader'], disabled: false, created_at: h.clock.now });
});
after(() => h.close());

describe('issue 3 admin API authentication (admin.api.auth)', () => {
  it('no credentials → 401 with a Bearer challenge naming the scope', async () => {
    const { res, body } = await api(h, 'GET', 'users');
    assert.equal(res.status, 401);
    assert.equal(body.error, 'invalid_token');
    assert.match(res.headers.get('www-authenticate')!, /^Bearer realm="portcullis-admin", scope="portcullis:admin"$/);
  });

  it('a token for another audience (an MCP resource) → 401 invalid_token', async () => {
    const mcp = await clientCredentials(h, { client_id: MACHINE_CLIENT, client_secret: MACHINE_SECRET, resource: RESOURCE }, '');
    const { res, body } = await api(h, 'GET', 'users', { token: mcp.body.access_token as string });
    assert.equal(res.status, 401);
    assert.equal(body.error, 'invalid_token');
    assert.match(res.headers.get('www-authenticate')!, /error="invalid_token"/);
  });

  it('a token without portcullis:admin → 403 insufficient_scope', async () => {
    const key = h.ctx.keys.signingKey();
    const now = Math.floor(h.clock.now / 1000);
    const noScope = await new SignJWT({ client_id: 'test-admin', scope: 'notes:read', grant_id: 'g-none' })
      .setProtectedHeader({ alg: key.alg, typ: 'at+jwt', kid: key.kid })
      .setIssuer(ISSUER).setSubject('test-admin').setAudience(`${ISSUER}/admin`).setIssuedAt(now).setExpirationTime(now + 60).setJti('j1')
      .sign(key.privateKey);
    await h.store.createGrant({ id: 'g-none', user_id: 'test-admin', client_id: 'test-admin', resource: `${ISSUER}/admin`, scope: ['notes:read'], created_at: h.clock.now, auth_time: null, revoked_at: null, revoked_reason: null });
    const { res, body } = await api(h, 'GET', 'users', { token: noScope });
    assert.equal(res.status, 403);
    assert.equal(body.error, 'insufficient_scope');
    assert.match(res.headers.get('www-authenticate')!, /error="insufficient_scope"/);
  });

  it('a garbage token, a malformed header, an expired token → 401/400, never 500', async () => {
    assert.equal((await api(h, 'GET', 'users', { token: 'not.a.jwt' })).res.status, 401);
    assert.equal((await api(h, 'GET', 'users', { headers: { authorization: 'Bearer a b' } })).res.status, 400);
    h.clock.advance(3_600_000);
    assert.equal((await api(h, 'GET', 'users', { token })).res.status, 401);
    h.clock.advance(-3_600_000);
  });

  it('a revoked admin grant is refused at once', async () => {
    const t = await adminToken(h);
    assert.equal((await api(h, 'GET', 'users', { token: t })).res.status, 200);
    const grantId = JSON.parse(Buffer.from(t.split('.')[1]!, 'base64url').toString()).grant_id as string;
    await h.store.revokeGrant(grantId, h.clock.now, 'test');
    assert.equal((await api(h, 'GET', 'users', { token: t })).res.status, 401);
    // the client's earlier token shares its standing grant (as.cc.standing-grant): refused too; a new one works
    assert.equal((await api(h, 'GET', 'users', { token })).res.status, 401);
    token = await adminToken(h);
    assert.equal((await api(h, 'GET', 'users', { token })).res.status, 200);
  });

  it('session of a non-admin user → 403; admin session reads freely but writes only with X-CSRF-Token', async () => {
    const bob = await sessionCookie(h, 'user-2');
    assert.equal((await api(h, 'GET', 'users', { headers: { cookie: bob } })).res.status, 403);
    const alice = await sessionCookie(h, 'user-1');
    const who = await api(h, 'GET', 'session', { headers: { cookie: alice } });
    assert.equal(who.res.status, 200);
    assert.equal(who.body.username, 'alice');
    const csrf = who.body.csrf_token as string;
    const before = storeFingerprint(h.store);
    const body = { username: 'carol', password: 'carol-password', roles: ['reader'] };
    const missing = await api(h, 'POST', 'users', { headers: { cookie: alice }, body });
    assert.equal(missing.res.status, 403);
    assert.equal(missing.body.error, 'access_denied');
    const wrong = await api(h, 'POST', 'users', { headers: { cookie: alice, 'x-csrf-token': csrf.slice(1) + 'A' }, body });
    assert.equal(wrong.res.status, 403);
    assert.equal(storeFingerprint(h.store), before, 'nothing written without the CSRF header');
    const ok = await api(h, 'POST', 'users', { headers: { cookie: alice, 'x-csrf-token': csrf }, body });
    assert.equal(ok.res.status, 201, JSON.stringify(ok.body));
    const entry = (await h.store.listAudit({ types: ['admin.action'], order: 'desc', limit: 1 }))[0]!;
    assert.equal(entry.user_id, 'user-1');
    assert.equal(JSON.parse(entry.data).detail.via, 'session');
  });

  it('unknown endpoints 404 and wrong methods 405 only after authentication', async () => {
    assert.equal((await api(h, 'GET', 'nope')).res.status, 401);
    assert.equal((await api(h, 'GET', 'nope', { token })).res.status, 404);
    const m = await api(h, 'PUT', 'users', { token });
    assert.equal(m.res.status, 405);
    assert.match(m.res.headers.get('allow')!, /GET/);
  });
});
