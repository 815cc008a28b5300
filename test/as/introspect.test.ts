import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { configSchema } from '../../src/config/schema.js';
import { resolveSettings } from '../../src/config/resolve.js';
import { ConfigError } from '../../src/core/errors.js';
import { CONFIDENTIAL_CLIENT, CONFIDENTIAL_SECRET, ISSUER, PUBLIC_CLIENT, REDIRECT, RESOURCE, startHarness, type Harness } from '../helpers/as-harness.js';
import { exchange, tokenRequest } from './flow.js';

const RS = 'notes-rs';
const RS_SECRET = 'resource-server-secret-1234';
const RS_POST = 'notes-rs-post';

let h: Harness;
before(async () => {
  process.env.TEST_RS_SECRET = RS_SECRET;
  h = await startHarness({
    clients: [
      { client_id: PUBLIC_CLIENT, client_name: 'Public test client', redirect_uris: [REDIRECT, 'https://app.example/cb'] },
      { client_id: CONFIDENTIAL_CLIENT, redirect_uris: ['https://app.example/cb'], token_endpoint_auth_method: 'client_secret_basic', client_secret_env: 'TEST_CONFIDENTIAL_SECRET' },
      { client_id: RS, redirect_uris: ['https://rs.example/unused'], token_endpoint_auth_method: 'client_secret_basic', client_secret_env: 'TEST_RS_SECRET', grant_types: [], introspection: true },
      { client_id: RS_POST, redirect_uris: ['https://rs.example/unused'], token_endpoint_auth_method: 'client_secret_post', client_secret_env: 'TEST_RS_SECRET', grant_types: [], introspection: true },
    ],
  });
});
after(() => h.close());

const basic = (id: string, secret: string): string => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const RS_AUTH = { authorization: basic(RS, RS_SECRET) };

function introspect(form: Record<string, string>, headers: Record<string, string> = RS_AUTH): Promise<Response> {
  return h.request('/introspect', { method: 'POST', body: new URLSearchParams(form).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
}

async function answer(res: Response): Promise<Record<string, unknown>> {
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  return (await res.json()) as Record<string, unknown>;
}

async function issued(): Promise<{ access: string; refresh: string; grant_id: string }> {
  const { body } = await exchange(h, { scope: 'notes:read notes:write' });
  const access = body.access_token as string;
  return { access, refresh: body.refresh_token as string, grant_id: JSON.parse(Buffer.from(access.split('.')[1]!, 'base64url').toString()).grant_id as string };
}

describe('RFC 7662 §2.1: introspection requires caller authentication (as.introspect.auth)', () => {
  const refusals: [string, Record<string, string>, Record<string, string>][] = [
    ['no credentials', { token: 'x' }, {}],
    ['no credentials, not even a token', {}, {}],
    ['a public client (client_id only)', { token: 'x', client_id: PUBLIC_CLIENT }, {}],
    ['a confidential client that is not a resource server', { token: 'x' }, { authorization: basic(CONFIDENTIAL_CLIENT, CONFIDENTIAL_SECRET) }],
    ['the resource server with a wrong secret', { token: 'x' }, { authorization: basic(RS, 'wrong') }],
    ['an unknown client', { token: 'x', client_id: 'nobody', client_secret: 'x' }, {}],
    ['a Bearer token instead of client credentials', { token: 'x' }, { authorization: 'Bearer abc' }],
  ];
  for (const [label, form, headers] of refusals) {
    it(`${label} → 401 invalid_client`, async () => {
      const res = await introspect(form, headers);
      assert.equal(res.status, 401);
      assert.equal(((await res.json()) as { error: string }).error, 'invalid_client');
      assert.equal(res.headers.get('cache-control'), 'no-store');
    });
  }
  it('client_secret_basic and client_secret_post resource servers are answered', async () => {
    assert.deepEqual(await answer(await introspect({ token: 'x' })), { active: false });
    assert.deepEqual(await answer(await introspect({ token: 'x', client_id: RS_POST, client_secret: RS_SECRET }, {})), { active: false });
  });
  it('ARCHITECTURE "Two error channels": introspection: true on a public client fails at start-up naming the option', () => {
    const config = configSchema.parse({ issuer: ISSUER, dev: true, clients: [{ client_id: 'rs', redirect_uris: ['https://rs.example/cb'], introspection: true }] });
    assert.throws(() => resolveSettings(config), (e: Error) => e instanceof ConfigError && e.option === 'clients[0].introspection');
  });
});

describe('RFC 7662 §2.2: an active token is described by its claims (as.introspect.active)', () => {
  it('access token: active, scope, client_id, sub, aud, iss, exp, iat, token_type, jti', async () => {
    const t = await issued();
    const claims = JSON.parse(Buffer.from(t.access.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    const body = await answer(await introspect({ token: t.access, token_type_hint: 'access_token' }));
    assert.deepEqual(body, {
      active: true, scope: 'notes:read notes:write', client_id: PUBLIC_CLIENT, sub: 'user-1', aud: RESOURCE, iss: ISSUER,
      exp: claims.exp, iat: claims.iat, token_type: 'Bearer', jti: claims.jti,
    });
  });
  it('refresh token: active, scope, client_id, sub, exp (a wrong hint still finds it)', async () => {
    const t = await issued();
    const body = await answer(await introspect({ token: t.refresh, token_type_hint: 'access_token' }));
    assert.equal(body.active, true);
    assert.equal(body.scope, 'notes:read notes:write');
    assert.equal(body.client_id, PUBLIC_CLIENT);
    assert.equal(body.sub, 'user-1');
    assert.equal(body.exp, Math.floor(h.clock.now / 1000) + 14 * 86400);
    assert.equal(body.token_type, undefined);
  });
});

describe('RFC 7662 §2.2: anything not active is exactly {"active": false} (as.introspect.inactive)', () => {
  it('unknown and malformed tokens (oversized ones are invalid_request: see bad-input-revocation)', async () => {
    for (const token of ['unknown', 'a.b.c', 'eyJhbGciOiJub25lIn0.e30.', 'x'.repeat(8000)]) assert.deepEqual(await answer(await introspect({ token })), { active: false });
  });
  it('a revoked grant: its access and refresh tokens', async () => {
    const t = await issued();
    await h.store.revokeGrant(t.grant_id, h.clock.now, 'test');
    assert.deepEqual(await answer(await introspect({ token: t.access })), { active: false });
    assert.deepEqual(await answer(await introspect({ token: t.refresh })), { active: false });
  });
  it('a rotated refresh token (spent) while its successor is active', async () => {
    const t = await issued();
    const res = await tokenRequest(h, { grant_type: 'refresh_token', refresh_token: t.refresh, client_id: PUBLIC_CLIENT });
    const next = ((await res.json()) as { refresh_token: string }).refresh_token;
    assert.deepEqual(await answer(await introspect({ token: t.refresh })), { active: false });
    assert.equal((await answer(await introspect({ token: next }))).active, true);
  });
  it('an expired access token (past exp + clock skew), and a disabled user\'s tokens', async () => {
    const t = await issued();
    h.clock.advance((600 + 30) * 1000);
    assert.deepEqual(await answer(await introspect({ token: t.access })), { active: false });
    assert.equal((await answer(await introspect({ token: t.refresh }))).active, true, 'the refresh token lives on');
    const db = (h.store as unknown as { db: { prepare(s: string): { run(...a: unknown[]): void } } }).db;
    db.prepare('UPDATE users SET disabled = 1 WHERE id = ?').run('user-1');
    try {
      assert.deepEqual(await answer(await introspect({ token: t.refresh })), { active: false });
    } finally {
      db.prepare('UPDATE users SET disabled = 0 WHERE id = ?').run('user-1');
    }
  });
});

describe('RFC 8414 §2: metadata advertises the introspection endpoint and its auth methods (as.introspect.metadata)', () => {
  it('introspection_endpoint; auth methods without "none"', async () => {
    const m = (await (await h.request('/.well-known/oauth-authorization-server')).json()) as Record<string, unknown>;
    assert.equal(m.introspection_endpoint, `${ISSUER}/introspect`);
    assert.deepEqual(m.introspection_endpoint_auth_methods_supported, ['client_secret_basic', 'client_secret_post', 'private_key_jwt']);
  });
});
