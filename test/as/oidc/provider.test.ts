import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import type { Harness } from '../../helpers/as-harness.js';
import type { CustomFetch } from 'openid-client';
import { APP, APP_SECRET, appAuth, ISSUER, OTHER, post, RESOURCE, signIn, startIdp } from '../idjag-issuance/setup.js';
import { rotateOptions } from '../../../src/as/keys.js';
import { configSchema } from '../../../src/config/schema.js';

const USERINFO = `${ISSUER}/userinfo`;
let h: Harness;
before(async () => {
  h = await startIdp();
});
after(() => h.close());

const jwks = async () => createLocalJWKSet((await (await h.request('/jwks.json')).json()) as { keys: [] });
const userinfo = (token: string | null, init: RequestInit = {}) =>
  h.request('/userinfo', { ...init, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.headers as Record<string, string>) } });

describe('OpenID Connect Core §3.1.3.3: the code flow with scope openid returns an ID token (as.oidc.id-token)', () => {
  it('ES256, typ JWT, iss, sub = user id, aud = client_id, exp, iat, auth_time, nonce; verifiable with our JWKS', async () => {
    const s = await signIn(h, { scope: 'openid', nonce: 'n-0S6_WzA2Mj' });
    assert.equal(s.status, 200, JSON.stringify(s.body));
    const header = decodeProtectedHeader(s.id_token);
    assert.equal(header.alg, 'ES256');
    assert.equal(header.typ, 'JWT');
    const { payload } = await jwtVerify(s.id_token, await jwks(), { issuer: ISSUER, audience: APP, currentDate: new Date(h.clock.now), typ: 'JWT' });
    assert.equal(payload.sub, 'user-1');
    assert.equal(payload.nonce, 'n-0S6_WzA2Mj');
    assert.equal(payload.auth_time, Math.floor(h.clock.now / 1000));
    assert.equal(payload.exp! - payload.iat!, h.ctx.settings.config.tokens.access_token_ttl);
    // no profile or email scope: no such claims
    assert.equal(payload.name, undefined);
    assert.equal(payload.email, undefined);
  });

  it('tokens.id_token_ttl sets the ID token lifetime (default: the access token lifetime); key rotation keeps a retired key published as long as either token lives (as.oidc.id-token, ops.keys.rotate)', async () => {
    const own = await startIdp({ tokens: { access_token_ttl: 300, id_token_ttl: 3600 } } as never);
    try {
      const s = await signIn(own, { scope: 'openid' });
      assert.equal(s.status, 200, JSON.stringify(s.body));
      const idt = decodeJwt(s.id_token);
      assert.equal(idt.exp! - idt.iat!, 3600);
      const at = decodeJwt(String(s.body.access_token));
      assert.equal(at.exp! - at.iat!, 300, 'the access token keeps its own lifetime');
      assert.equal(rotateOptions(own.ctx.settings.config).longestTokenMs, (3600 + own.ctx.settings.config.tokens.clock_skew) * 1000);
      assert.equal(rotateOptions(h.ctx.settings.config).longestTokenMs, (h.ctx.settings.config.tokens.access_token_ttl + h.ctx.settings.config.tokens.clock_skew) * 1000);
    } finally {
      await own.close();
    }
    assert.throws(() => configSchema.parse({ tokens: { id_token_ttl: 30 } }), /id_token_ttl/);
    assert.throws(() => configSchema.parse({ tokens: { id_token_ttl: 86401 } }), /id_token_ttl/);
  });

  it('without nonce in the request there is none in the ID token; profile adds name and preferred_username', async () => {
    const s = await signIn(h, { scope: 'openid profile' });
    const claims = decodeJwt(s.id_token);
    assert.equal('nonce' in claims, false);
    assert.equal(claims.name, 'alice');
    assert.equal(claims.preferred_username, 'alice');
  });

  it('email only with the email scope, from the identity an IdP asserted', async () => {
    await h.store.linkUserIdentity({ issuer: 'https://idp.example', subject: 'ext-bob', user_id: 'user-bob', email: 'bob@example.com', created_at: h.clock.now, last_seen_at: h.clock.now });
    const withEmail = decodeJwt((await signIn(h, { username: 'bob', scope: 'openid email' })).id_token);
    assert.equal(withEmail.email, 'bob@example.com');
    const without = decodeJwt((await signIn(h, { username: 'bob', scope: 'openid profile' })).id_token);
    assert.equal(without.email, undefined);
  });

  it('no openid scope: no ID token (an MCP resource request is unchanged)', async () => {
    const s = await signIn(h, { scope: 'notes:read', resource: RESOURCE });
    assert.equal(s.status, 200, JSON.stringify(s.body));
    assert.equal(s.body.id_token, undefined);
    assert.equal(decodeJwt(s.access_token).aud, RESOURCE);
  });
});

describe('ARCHITECTURE "resource": OIDC scopes only get tokens for the client and /userinfo, never an MCP resource (as.oidc.audience)', () => {
  it('openid profile email offline_access without resource: access token aud = the UserInfo endpoint, even with one MCP resource configured', async () => {
    const s = await signIn(h, { scope: 'openid profile email offline_access' });
    assert.equal(s.status, 200, JSON.stringify(s.body));
    const at = decodeJwt(s.access_token);
    assert.equal(at.aud, USERINFO);
    assert.notEqual(at.aud, RESOURCE);
    assert.equal(decodeJwt(s.id_token).aud, APP);
    assert.ok(s.refresh_token);
    const grant = await h.store.getGrant(at.grant_id as string);
    assert.equal(grant?.resource, USERINFO);
  });

  it('that access token is refused by the MCP resource verifier (wrong audience)', async () => {
    const s = await signIn(h, { scope: 'openid' });
    const { createAccessTokenVerifier, TokenRejected } = await import('../../../src/rs/verify.js');
    const v = createAccessTokenVerifier({ issuer: ISSUER, getKey: async (hd) => h.ctx.keys.publicKey(hd.kid)!, clock: h.clock.fn, skewSeconds: 0, algorithms: ['ES256'] });
    await assert.rejects(v.verify(s.access_token, RESOURCE), (e) => e instanceof TokenRejected && e.reason === 'wrong_audience');
  });

  it('OIDC scopes with an MCP resource, or mixed with MCP scopes: invalid_scope (never an MCP token carrying openid)', async () => {
    for (const o of [{ scope: 'openid', resource: RESOURCE }, { scope: 'openid notes:read' }]) {
      await assert.rejects(signIn(h, o), /error=invalid_scope/);
    }
  });

  it('the resource may name the UserInfo endpoint explicitly', async () => {
    const s = await signIn(h, { scope: 'openid', resource: USERINFO });
    assert.equal(decodeJwt(s.access_token).aud, USERINFO);
  });
});

describe('OpenID Connect Core §12.2: refreshing a sign-in returns a new ID token without nonce (as.oidc.refresh)', () => {
  it('new id_token: same iss, sub, aud, auth_time; no nonce; later iat', async () => {
    const s = await signIn(h, { scope: 'openid profile offline_access', nonce: 'abc' });
    const first = decodeJwt(s.id_token);
    h.clock.advance(5000);
    const res = await post(h, '/token', { grant_type: 'refresh_token', refresh_token: s.refresh_token! }, appAuth());
    const body = (await res.json()) as Record<string, string>;
    assert.equal(res.status, 200, JSON.stringify(body));
    const next = decodeJwt(body.id_token!);
    assert.deepEqual([next.iss, next.sub, next.aud, next.auth_time], [first.iss, first.sub, first.aud, first.auth_time]);
    assert.equal('nonce' in next, false);
    assert.equal(next.iat, first.iat! + 5);
    assert.equal(next.name, 'alice');
  });
});

describe('OpenID Connect Core §5.3 UserInfo; RFC 6750 §3 errors (as.oidc.userinfo)', () => {
  it('GET and POST with the Bearer header: sub and the claims of the scopes, no-store', async () => {
    const s = await signIn(h, { scope: 'openid profile' });
    for (const init of [{ method: 'GET' }, { method: 'POST', body: '', headers: { 'content-type': 'application/x-www-form-urlencoded' } }]) {
      const res = await userinfo(s.access_token, init);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.deepEqual(await res.json(), { sub: 'user-1', name: 'alice', preferred_username: 'alice' });
    }
  });

  it('no token: 401 with a Bearer challenge and no error code', async () => {
    const res = await userinfo(null);
    assert.equal(res.status, 401);
    const wa = res.headers.get('www-authenticate')!;
    assert.match(wa, /^Bearer realm="/);
    assert.doesNotMatch(wa, /error=/);
  });

  it('garbage, an MCP access token, an ID token, an expired token: 401 invalid_token', async () => {
    const mcp = await signIn(h, { scope: 'notes:read', resource: RESOURCE });
    const oidc = await signIn(h, { scope: 'openid' });
    for (const token of ['abc.def.ghi', mcp.access_token, oidc.id_token]) {
      const res = await userinfo(token);
      assert.equal(res.status, 401, token);
      assert.match(res.headers.get('www-authenticate')!, /error="invalid_token"/);
      assert.equal(((await res.json()) as { error: string }).error, 'invalid_token');
    }
    h.clock.advance((h.ctx.settings.config.tokens.access_token_ttl + h.ctx.settings.config.tokens.clock_skew + 1) * 1000);
    assert.equal((await userinfo(oidc.access_token)).status, 401);
  });

  it('a revoked grant or a disabled user: 401 invalid_token', async () => {
    const a = await signIn(h, { scope: 'openid' });
    await h.store.revokeGrant(decodeJwt(a.access_token).grant_id as string, h.clock.now, 'test');
    assert.match((await userinfo(a.access_token)).headers.get('www-authenticate')!, /invalid_token/);
    const b = await signIn(h, { username: 'carol', scope: 'openid' });
    await h.store.setUserDisabled('user-carol', true);
    try {
      assert.equal((await userinfo(b.access_token)).status, 401);
    } finally {
      await h.store.setUserDisabled('user-carol', false);
    }
  });

  it('a token in the query string: 400 invalid_request', async () => {
    const s = await signIn(h, { scope: 'openid' });
    const res = await h.request(`/userinfo?access_token=${s.access_token}`);
    assert.equal(res.status, 400);
    assert.match(res.headers.get('www-authenticate')!, /error="invalid_request"/);
  });
});

describe('OpenID Connect Discovery 1.0 §3 (as.oidc.discovery)', () => {
  it('openid-configuration lists userinfo_endpoint, ES256 ID tokens, public subjects, claims and the openid scopes', async () => {
    const m = (await (await h.request('/.well-known/openid-configuration')).json()) as Record<string, unknown>;
    assert.equal(m.userinfo_endpoint, USERINFO);
    assert.deepEqual(m.id_token_signing_alg_values_supported, ['ES256']);
    assert.deepEqual(m.subject_types_supported, ['public']);
    for (const c of ['sub', 'name', 'email', 'auth_time', 'nonce']) assert.ok((m.claims_supported as string[]).includes(c), c);
    for (const s of ['openid', 'profile', 'email', 'offline_access']) assert.ok((m.scopes_supported as string[]).includes(s), s);
  });
});

describe('the certified RP library openid-client v6 signs in, validates the ID token and reads UserInfo (as.oidc.id-token)', () => {
  it('discovery → authorization code + PKCE + nonce → ID token validated → userinfo', async () => {
    const oc = await import('openid-client');
    const customFetch = ((url: string, init: RequestInit) => h.request(url, init)) as unknown as CustomFetch;
    const config = await oc.discovery(new URL(ISSUER), APP, APP_SECRET, oc.ClientSecretBasic(APP_SECRET), { execute: [oc.allowInsecureRequests], [oc.customFetch]: customFetch });
    // the library checks exp/iat against its own clock: keep ours at the real time for this test
    h.clock.now = Date.now();
    const code_verifier = oc.randomPKCECodeVerifier();
    const nonce = oc.randomNonce();
    const url = oc.buildAuthorizationUrl(config, {
      redirect_uri: 'https://chat.example/cb',
      scope: 'openid profile',
      code_challenge: await oc.calculatePKCECodeChallenge(code_verifier),
      code_challenge_method: 'S256',
      nonce,
      state: 'xyz',
    });
    const { driveAuthorization } = await import('../../helpers/browserless.js');
    const { location } = await driveAuthorization((u, init) => h.request(u, init), url.toString(), { username: 'alice', password: 'alice-password' });
    const tokens = await oc.authorizationCodeGrant(config, new URL(location), { pkceCodeVerifier: code_verifier, expectedNonce: nonce, expectedState: 'xyz' });
    const claims = tokens.claims()!;
    assert.equal(claims.sub, 'user-1');
    assert.equal(claims.aud, APP);
    const info = await oc.fetchUserInfo(config, tokens.access_token, claims.sub);
    assert.equal(info.preferred_username, 'alice');
  });
});

describe('OpenID Connect Core §2: each app gets ID tokens for itself (as.oidc.id-token)', () => {
  it('a client_secret_post app signs in: aud is that app', async () => {
    const s = await signIn(h, { client_id: OTHER, scope: 'openid' });
    assert.equal(decodeJwt(s.id_token).aud, OTHER);
  });
});

describe('roles limit MCP scopes, never the OIDC identity scopes (as.oidc.audience)', () => {
  it('with roles configured, a user whose roles grant no MCP scope still signs in with openid profile email', async () => {
    const withRoles = await startIdp({ roles: { staff: ['notes:read'] } });
    try {
      const s = await signIn(withRoles, { username: 'carol', scope: 'openid profile email' });
      assert.equal(s.status, 200, JSON.stringify(s.body));
      assert.equal(s.body.scope, 'openid profile email');
      assert.equal(decodeJwt(s.id_token).sub, 'user-carol');
    } finally {
      await withRoles.close();
    }
  });
});
