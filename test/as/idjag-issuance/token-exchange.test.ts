import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import type { Harness } from '../../helpers/as-harness.js';
import { storeFingerprint } from '../../helpers/store-fingerprint.js';
import {
  AGENT_AUDIENCE,
  AGENT_RESOURCE,
  APP,
  appAuth,
  basic,
  CHAT_AT_TARGET,
  CHAT_AUDIENCE,
  CHAT_RESOURCE,
  exchange,
  ID_JAG_TYPE,
  ISSUER,
  OTHER,
  OTHER_SECRET,
  post,
  PUBLIC_CLIENT,
  REFRESH_TOKEN_TYPE,
  signIn,
  startIdp,
  TOKEN_EXCHANGE_GRANT,
} from './setup.js';

const FIXTURES = '/work/shared/fixtures/idjag';
const fixtureJson = (name: string): Record<string, unknown> => JSON.parse(readFileSync(`${FIXTURES}/${name}`, 'utf8')) as Record<string, unknown>;
/** the JSON body of an .http fixture */
const fixtureBody = (name: string): Record<string, unknown> => {
  const text = readFileSync(`${FIXTURES}/${name}`, 'utf8');
  const body = text.slice(text.indexOf('{'));
  return JSON.parse(body.trim().endsWith('}') ? body : `${body}}`) as Record<string, unknown>;
};

let h: Harness;
before(async () => {
  h = await startIdp();
});
after(() => h.close());

const lastAudit = async (type: string) => {
  const [row] = await h.store.listAudit({ types: [type], order: 'desc', limit: 1 });
  assert.ok(row, `no ${type} audit entry`);
  return { ...row, data: JSON.parse(row.data) as Record<string, unknown> };
};

/** a refusal: the exact OAuth error, no-store, nothing written to the store, and an audit entry naming the reason */
async function refused(form: Record<string, string | string[] | undefined>, error: string, o: { headers?: Record<string, string>; status?: number; audited?: boolean; reason?: RegExp } = {}) {
  const before = storeFingerprint(h.store);
  const auditBefore = (await h.store.getAuditHead())?.seq ?? 0;
  const { res, body } = await exchange(h, form, o.headers);
  assert.equal(body.error, error, JSON.stringify(body));
  assert.equal(res.status, o.status ?? 400);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.equal(body.access_token, undefined);
  assert.equal(storeFingerprint(h.store), before, 'the store changed');
  if (o.audited !== false) {
    const a = await lastAudit('idjag.issue_refused');
    assert.ok(a.seq > auditBefore, 'refusal not audited');
    assert.equal(a.data.error, error);
    if (o.reason) assert.match(String(a.data.reason), o.reason);
    // never a token in the audit log
    assert.doesNotMatch(JSON.stringify(a), /eyJ/);
  }
  return body;
}

describe('ID-JAG §4.3 / EMA §4: token exchange issues an ID-JAG (idp.idjag.exchange)', () => {
  it('the fixture request with an ID token: 200 no-store, issued_token_type id-jag, token_type N_A, scope, expires_in 300, no refresh_token', async () => {
    const s = await signIn(h);
    const { res, body } = await exchange(h, { subject_token: s.id_token });
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(res.headers.get('cache-control'), 'no-store');
    // same members as draft-token-exchange-response.http
    const expected = fixtureBody('draft-token-exchange-response.http');
    assert.deepEqual(Object.keys(body).sort(), Object.keys(expected).sort());
    assert.equal(body.issued_token_type, ID_JAG_TYPE);
    assert.equal(body.token_type, 'N_A');
    assert.equal(body.scope, 'chat.read chat.history');
    assert.equal(body.expires_in, 300);
    assert.equal(body.refresh_token, undefined);
  });

  it('the ID-JAG: typ oauth-id-jag+jwt, ES256 with our published key; iss, sub, aud, client_id at the target, jti, exp ≤ 300 s, iat, resource, scope, auth_time; no email (idp.idjag.claims)', async () => {
    const s = await signIn(h);
    const { body } = await exchange(h, { subject_token: s.id_token });
    const jag = body.access_token as string;
    const header = decodeProtectedHeader(jag);
    assert.equal(header.typ, 'oauth-id-jag+jwt');
    assert.equal(header.alg, 'ES256');
    const jwks = createLocalJWKSet((await (await h.request('/jwks.json')).json()) as { keys: [] });
    const { payload } = await jwtVerify(jag, jwks, { issuer: ISSUER, audience: CHAT_AUDIENCE, typ: 'oauth-id-jag+jwt', currentDate: new Date(h.clock.now) });
    assert.equal(payload.sub, 'user-1');
    assert.equal(payload.aud, CHAT_AUDIENCE);
    assert.equal(payload.client_id, CHAT_AT_TARGET);
    assert.equal(payload.resource, CHAT_RESOURCE);
    assert.equal(payload.scope, 'chat.read chat.history');
    assert.equal(payload.auth_time, decodeJwt(s.id_token).auth_time);
    assert.ok(payload.exp! - payload.iat! <= 300);
    assert.equal(typeof payload.jti, 'string');
    assert.equal('email' in payload, false);
    // every member of the draft's issued ID-JAG that we can assert (amr: we keep no authentication methods)
    const fixture = fixtureJson('draft-issued-id-jag.payload.json');
    for (const k of Object.keys(fixture).filter((k) => k !== 'amr')) assert.ok(k in payload, k);
    assert.deepEqual(fixtureJson('draft-issued-id-jag.header.json'), { typ: header.typ });
  });

  it('each exchange mints a fresh jti; the issuance is audited by jti, never with the token', async () => {
    const s = await signIn(h);
    const a = await exchange(h, { subject_token: s.id_token });
    const b = await exchange(h, { subject_token: s.id_token });
    const [ja, jb] = [decodeJwt(a.body.access_token as string).jti, decodeJwt(b.body.access_token as string).jti];
    assert.notEqual(ja, jb);
    const entry = await lastAudit('idjag.issued');
    assert.equal(entry.subject, jb);
    assert.equal(entry.client_id, APP);
    assert.equal(entry.user_id, 'user-1');
    assert.deepEqual(entry.data.scope, ['chat.read', 'chat.history']);
    assert.equal(entry.data.audience, CHAT_AUDIENCE);
    assert.doesNotMatch(JSON.stringify(entry), /eyJ/);
  });

  it('a refresh token subject (ID-JAG §4.3.3): accepted, and NOT rotated or consumed — it still refreshes afterwards', async () => {
    const s = await signIn(h);
    const { res, body } = await exchange(h, { subject_token: s.refresh_token!, subject_token_type: REFRESH_TOKEN_TYPE });
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(decodeJwt(body.access_token as string).sub, 'user-1');
    const again = await exchange(h, { subject_token: s.refresh_token!, subject_token_type: REFRESH_TOKEN_TYPE });
    assert.equal(again.res.status, 200);
    const refreshed = await post(h, '/token', { grant_type: 'refresh_token', refresh_token: s.refresh_token! }, appAuth());
    assert.equal(refreshed.status, 200);
  });

  it('EMA §7.2.1: the scope granted is the intersection of the request and the policy; no scope requested → the policy scopes', async () => {
    const s = await signIn(h);
    const some = await exchange(h, { subject_token: s.id_token, scope: 'chat.read admin.everything' });
    assert.equal(some.body.scope, 'chat.read');
    assert.equal(decodeJwt(some.body.access_token as string).scope, 'chat.read');
    const none = await exchange(h, { subject_token: s.id_token, scope: undefined });
    assert.equal(none.body.scope, 'chat.read chat.history');
  });

  it('a second target by username (the draft ai-agent request), client_id at the target defaults to ours', async () => {
    const s = await signIn(h, { username: 'bob' });
    const { res, body } = await exchange(h, { subject_token: s.id_token, audience: AGENT_AUDIENCE, resource: AGENT_RESOURCE, scope: 'agent.read agent.write' });
    assert.equal(res.status, 200, JSON.stringify(body));
    const claims = decodeJwt(body.access_token as string);
    assert.equal(claims.client_id, APP);
    assert.equal(claims.aud, AGENT_AUDIENCE);
  });
});

describe('ID-JAG §4.3.3: the subject token MUST be validated (idp.idjag.subject-token)', () => {
  it('an ID token whose aud is another client: invalid_grant', async () => {
    const other = await signIn(h, { client_id: OTHER });
    await refused({ subject_token: other.id_token }, 'invalid_grant', { reason: /claim aud/ });
  });

  it('an expired ID token: invalid_grant', async () => {
    const s = await signIn(h);
    const t = h.ctx.settings.config.tokens;
    h.clock.advance((t.access_token_ttl + t.clock_skew + 1) * 1000);
    await refused({ subject_token: s.id_token }, 'invalid_grant', { reason: /expired/ });
  });

  it('a foreign ID token (same claims, signed by another key) and a forged one (payload changed): invalid_grant', async () => {
    const s = await signIn(h);
    const claims = decodeJwt(s.id_token);
    const header = decodeProtectedHeader(s.id_token);
    const { privateKey } = await generateKeyPair('ES256');
    const foreign = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: header.kid! }).sign(privateKey);
    await refused({ subject_token: foreign }, 'invalid_grant');
    const [h64, , sig] = s.id_token.split('.');
    const forged = `${h64}.${Buffer.from(JSON.stringify({ ...claims, sub: 'user-bob' })).toString('base64url')}.${sig}`;
    await refused({ subject_token: forged }, 'invalid_grant');
    const { privateKey: other } = await generateKeyPair('ES256');
    const unknownKid = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: 'no-such-kid' }).sign(other);
    await refused({ subject_token: unknownKid }, 'invalid_grant', { reason: /unknown kid/ });
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;
    await refused({ subject_token: none }, 'invalid_grant');
  });

  it('our access token, or an ID-JAG we issued, presented as an ID token: invalid_grant (typ)', async () => {
    const s = await signIn(h);
    await refused({ subject_token: s.access_token }, 'invalid_grant', { reason: /typ/ });
    const jag = (await exchange(h, { subject_token: s.id_token })).body.access_token as string;
    await refused({ subject_token: jag }, 'invalid_grant');
  });

  it("a refresh token of another client, an unknown one, a rotated one, an access token as refresh token: invalid_grant", async () => {
    const other = await signIn(h, { client_id: OTHER });
    await refused({ subject_token: other.refresh_token!, subject_token_type: REFRESH_TOKEN_TYPE }, 'invalid_grant', { reason: /another client/ });
    await refused({ subject_token: 'x'.repeat(43), subject_token_type: REFRESH_TOKEN_TYPE }, 'invalid_grant');
    const s = await signIn(h);
    const r = await post(h, '/token', { grant_type: 'refresh_token', refresh_token: s.refresh_token! }, appAuth());
    assert.equal(r.status, 200);
    await refused({ subject_token: s.refresh_token!, subject_token_type: REFRESH_TOKEN_TYPE }, 'invalid_grant', { reason: /rotated/ });
    await refused({ subject_token: s.access_token, subject_token_type: REFRESH_TOKEN_TYPE }, 'invalid_grant');
  });

  it('a refresh token of a grant without openid (not a sign-in): invalid_grant', async () => {
    const s = await signIn(h, { scope: 'notes:read offline_access', resource: 'http://127.0.0.1:9999/mcp' });
    assert.ok(s.refresh_token);
    await refused({ subject_token: s.refresh_token!, subject_token_type: REFRESH_TOKEN_TYPE }, 'invalid_grant', { reason: /openid/ });
  });

  it('a revoked grant: its ID token and its refresh token are refused (invalid_grant)', async () => {
    const s = await signIn(h);
    await h.store.revokeGrant(decodeJwt(s.id_token).grant_id as string, h.clock.now, 'test');
    await refused({ subject_token: s.id_token }, 'invalid_grant', { reason: /revoked/ });
    await refused({ subject_token: s.refresh_token!, subject_token_type: REFRESH_TOKEN_TYPE }, 'invalid_grant');
  });

  it('a disabled user: invalid_grant, for both subject token types', async () => {
    const s = await signIn(h, { username: 'bob' });
    await h.store.setUserDisabled('user-bob', true);
    try {
      await refused({ subject_token: s.id_token }, 'invalid_grant', { reason: /disabled/ });
      await refused({ subject_token: s.refresh_token!, subject_token_type: REFRESH_TOKEN_TYPE }, 'invalid_grant', { reason: /disabled/ });
    } finally {
      await h.store.setUserDisabled('user-bob', false);
    }
  });
});

describe('EMA §7.7 / ID-JAG §8.1: client authentication required, confidential clients only (idp.idjag.client-auth)', () => {
  it('a public client: unauthorized_client; no or wrong credentials: 401 invalid_client; each audited', async () => {
    const s = await signIn(h);
    await refused({ subject_token: s.id_token, client_id: PUBLIC_CLIENT }, 'unauthorized_client', { headers: {}, reason: /may not use grant_type/ });
    assert.equal((await lastAudit('idjag.issue_refused')).client_id, PUBLIC_CLIENT);
    await refused({ subject_token: s.id_token }, 'invalid_client', { headers: { authorization: basic(APP, 'wrong') }, status: 401, reason: /wrong client secret/ });
    await refused({ subject_token: s.id_token, client_id: APP }, 'invalid_client', { headers: {}, status: 401 });
  });

  it('client_secret_post works as well (the SDK sends its secret in the body)', async () => {
    const s = await signIn(h, { client_id: OTHER });
    // OTHER is not in the chat target: the request authenticates, then the policy refuses it (audited)
    await refused({ subject_token: s.id_token, client_id: OTHER, client_secret: OTHER_SECRET }, 'invalid_target', { headers: {}, reason: /not allowed/ });
  });
});

describe('RFC 8693 §2.1 / ID-JAG §4.3 parameters (idp.idjag.params)', () => {
  it('audience missing: invalid_request; resource missing: invalid_request; two of either: invalid_target', async () => {
    const s = await signIn(h);
    await refused({ subject_token: s.id_token, audience: undefined }, 'invalid_request');
    await refused({ subject_token: s.id_token, resource: undefined }, 'invalid_request');
    await refused({ subject_token: s.id_token, audience: [CHAT_AUDIENCE, AGENT_AUDIENCE] }, 'invalid_target');
    await refused({ subject_token: s.id_token, resource: [CHAT_RESOURCE, AGENT_RESOURCE] }, 'invalid_target');
  });

  it('requested_token_type other than id-jag, subject_token_type saml2 or absent, subject_token absent, actor_token: invalid_request', async () => {
    const s = await signIn(h);
    await refused({ subject_token: s.id_token, requested_token_type: 'urn:ietf:params:oauth:token-type:access_token' }, 'invalid_request');
    await refused({ subject_token: s.id_token, requested_token_type: undefined }, 'invalid_request');
    await refused({ subject_token: s.id_token, subject_token_type: 'urn:ietf:params:oauth:token-type:saml2' }, 'invalid_request');
    await refused({ subject_token: s.id_token, subject_token_type: undefined }, 'invalid_request');
    await refused({}, 'invalid_request');
    await refused({ subject_token: s.id_token, actor_token: s.id_token, actor_token_type: 'urn:ietf:params:oauth:token-type:id_token' }, 'invalid_request');
  });
});

describe('EMA §7.6.1: the (audience, resource) pairs and the admin policy on client, user and scope (idp.idjag.policy)', () => {
  it('an unknown audience, or a trailing-slash variant of a known one: invalid_target', async () => {
    const s = await signIn(h);
    await refused({ subject_token: s.id_token, audience: 'https://evil.example/' }, 'invalid_target', { reason: /unknown audience/ });
    await refused({ subject_token: s.id_token, audience: CHAT_AUDIENCE.replace(/\/$/, '') }, 'invalid_target');
  });

  it('a pair not in the policy (another audience’s resource): invalid_target', async () => {
    const s = await signIn(h);
    await refused({ subject_token: s.id_token, resource: AGENT_RESOURCE }, 'invalid_target', { reason: /pair/ });
  });

  it('a user the policy does not allow (role, then username): invalid_grant', async () => {
    const carol = await signIn(h, { username: 'carol' });
    await refused({ subject_token: carol.id_token }, 'invalid_grant', { reason: /not allowed/ });
    const alice = await signIn(h);
    await refused({ subject_token: alice.id_token, audience: AGENT_AUDIENCE, resource: AGENT_RESOURCE, scope: 'agent.read' }, 'invalid_grant', { reason: /not allowed/ });
  });

  it('only scopes outside the policy: invalid_scope', async () => {
    const s = await signIn(h);
    await refused({ subject_token: s.id_token, scope: 'agent.write' }, 'invalid_scope');
  });
});

describe('ID-JAG §7.1: metadata advertises token exchange and ID-JAG issuance only when configured (idp.idjag.metadata)', () => {
  it('grant_types_supported and identity_chaining_requested_token_types_supported', async () => {
    const m = (await (await h.request('/.well-known/oauth-authorization-server')).json()) as Record<string, string[]>;
    assert.ok(m.grant_types_supported!.includes(TOKEN_EXCHANGE_GRANT));
    assert.deepEqual(m.identity_chaining_requested_token_types_supported, [ID_JAG_TYPE]);
    const { startHarness } = await import('../../helpers/as-harness.js');
    const plain = await startHarness();
    try {
      const p = (await (await plain.request('/.well-known/oauth-authorization-server')).json()) as Record<string, string[]>;
      assert.equal(p.grant_types_supported!.includes(TOKEN_EXCHANGE_GRANT), false);
      assert.equal('identity_chaining_requested_token_types_supported' in p, false);
    } finally {
      await plain.close();
    }
  });
});
