/**
 * Issue 4 item 1: accepting ID-JAGs at /token (RFC 7523 jwt-bearer grant; [EMA] §5; [IDJAG] §4.4). Every validation
 * step of spec-checklist §4.5 refused with its error, the store unchanged and the refusal audited with its reason;
 * acceptance with the payload shapes of the real examples in shared/fixtures/idjag.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt, SignJWT } from 'jose';
import { ISSUER, startHarness, type Harness } from '../helpers/as-harness.js';
import { storeFingerprint } from '../helpers/store-fingerprint.js';
import { basicAuth, fixturePayload, idpKey, jwtBearerForm, mintIdJag, unsecuredJwt, type IdpKey } from '../helpers/idjag.js';
import { identityNamespace, JWT_BEARER_GRANT_TYPE } from '../../src/as/idjag/constants.js';
import { verifyPassword } from '../../src/as/passwords.js';
import { userEmail } from '../../src/as/oidc/claims.js';
import { checkLogin } from '../../src/as/endpoints/session.js';
import { Params } from '../../src/as/params.js';

const RESOURCE = `${ISSUER}/mcp`;
const OTHER_RESOURCE = `${ISSUER}/mcp/other`;
/** the draft-ai-agent fixture's issuer, trailing slash kept: compared exactly */
const IDP = 'https://idp.cyberdyne-corp.example/';
/** the draft-sec3 fixture's issuer (no trailing slash): allows public clients, matches users by email */
const IDP_EMAIL = 'https://acme.idp.example';
const APP = 'ema-app';
const APP_SECRET = 'ema-app-secret-0123456789';
const OTHER = 'ema-other';
const OTHER_SECRET = 'ema-other-secret-0123456789';
const PUB = 'ema-public';

let h: Harness;
let k1: IdpKey;
let k2: IdpKey;
let stranger: IdpKey;

before(async () => {
  k1 = await idpKey('idp-1');
  k2 = await idpKey('idp-2');
  stranger = await idpKey('idp-1'); // same kid as k1, another key: a forged signature
  process.env.TEST_EMA_APP_SECRET = APP_SECRET;
  process.env.TEST_EMA_OTHER_SECRET = OTHER_SECRET;
  h = await startHarness({
    roles: { reader: ['notes:read'], writer: ['notes:write'], admin: ['notes:read', 'notes:write'] },
    resources: [
      { path: '/mcp', upstream: 'http://127.0.0.1:1/mcp', name: 'Notes', scopes: ['notes:read', 'notes:write'] },
      { path: '/mcp/other', upstream: 'http://127.0.0.1:1/other', name: 'Other', scopes: ['other:read'] },
    ],
    clients: [
      { client_id: APP, grant_types: [JWT_BEARER_GRANT_TYPE], token_endpoint_auth_method: 'client_secret_basic', client_secret_env: 'TEST_EMA_APP_SECRET', resources: [RESOURCE] },
      { client_id: OTHER, grant_types: [JWT_BEARER_GRANT_TYPE], token_endpoint_auth_method: 'client_secret_basic', client_secret_env: 'TEST_EMA_OTHER_SECRET' },
      { client_id: PUB, grant_types: [JWT_BEARER_GRANT_TYPE] },
    ],
    enterprise: {
      trusted_issuers: [
        { issuer: IDP, jwks: { keys: [k1.jwk] }, clients: [APP, PUB], provision: true, default_roles: ['reader'] },
        { issuer: IDP_EMAIL, jwks: { keys: [k2.jwk] }, clients: [APP, PUB], allow_public_clients: true, match: 'email', email_domains: ['acme.example'] },
      ],
    },
  });
  await h.store.createUser({ id: 'user-bob', username: 'bob@acme.example', password_hash: 'x', roles: ['writer'], disabled: false, created_at: h.clock.now });
  await h.store.createUser({ id: 'user-carol', username: 'carol@acme.example', password_hash: 'x', roles: ['admin'], disabled: true, created_at: h.clock.now });
  await h.store.createUser({ id: 'user-eve', username: 'eve@sub.acme.example', password_hash: 'x', roles: ['admin'], disabled: false, created_at: h.clock.now });
  await h.store.createUser({ id: 'user-dave', username: 'dave@elsewhere.example', password_hash: 'x', roles: ['admin'], disabled: false, created_at: h.clock.now });
});
after(() => h.close());

const now = (): number => Math.floor(h.clock.now / 1000);

/** the draft-ai-agent fixture payload, addressed to this server */
const base = (): Record<string, unknown> => ({ ...fixturePayload('draft-ai-agent.id-jag'), aud: ISSUER, resource: RESOURCE, client_id: APP, scope: 'notes:read' });

const mint = (o: { claims?: Record<string, unknown>; header?: Record<string, unknown>; key?: IdpKey } = {}): Promise<string> => mintIdJag(base(), { key: o.key ?? k1, now: now(), ...(o.claims ? { claims: o.claims } : {}), ...(o.header ? { header: o.header } : {}) });

async function token(assertion: string, auth: string | null = basicAuth(APP, APP_SECRET), extra: Record<string, string> = {}): Promise<{ res: Response; body: Record<string, unknown> }> {
  const res = await h.request('/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...(auth ? { authorization: auth } : {}) }, body: jwtBearerForm(assertion, extra) });
  return { res, body: (await res.json()) as Record<string, unknown> };
}

async function lastAudit(type: string): Promise<{ data: Record<string, unknown>; client_id: string | null; user_id: string | null; subject: string | null }> {
  const [row] = await h.store.listAudit({ types: [type], order: 'desc', limit: 1 });
  assert.ok(row, `an ${type} audit entry`);
  return { data: JSON.parse(row.data) as Record<string, unknown>, client_id: row.client_id, user_id: row.user_id, subject: row.subject };
}

/** the request is refused with `error`, writes nothing, and its refusal is audited with `reason` */
async function refused(assertion: string, error: string, reason: string, auth?: string | null, extra?: Record<string, string>): Promise<void> {
  const before = storeFingerprint(h.store);
  const [head] = await h.store.listAudit({ order: 'desc', limit: 1 });
  const { res, body } = await token(assertion, auth, extra);
  assert.equal(body.error, error, `${reason}: ${res.status} ${JSON.stringify(body)}`);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.equal(body.access_token, undefined);
  assert.equal(storeFingerprint(h.store), before, `${reason}: the store is unchanged`);
  const entry = await lastAudit('idjag.rejected');
  const [newest] = await h.store.listAudit({ order: 'desc', limit: 1 });
  assert.ok(newest!.seq > (head?.seq ?? 0), `${reason}: audited`);
  assert.equal(entry.data.reason, reason);
  assert.equal(entry.data.error, error);
  // the wire says nothing about why (ARCHITECTURE "Two error channels"); the assertion is never recorded
  assert.doesNotMatch(String(body.error_description ?? ''), new RegExp(reason));
  assert.ok(!JSON.stringify(entry.data).includes(assertion.split('.')[2] || assertion));
}

describe('ID-JAG accepted at /token ([EMA] §5; [IDJAG] §4.4; RFC 7523 §2.1) (as.idjag.grant)', () => {
  it('the draft-ai-agent fixture shape: access token bound to the resource, no refresh token, grant row, audited (as.idjag.grant, as.idjag.no-refresh, as.idjag.audit)', async () => {
    const assertion = await mint();
    const { res, body } = await token(assertion);
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.scope, 'notes:read');
    assert.equal(body.refresh_token, undefined, '[IDJAG] §4.4.3: no refresh token');
    const at = decodeJwt(body.access_token as string);
    assert.equal(at.aud, RESOURCE);
    assert.equal(at.iss, ISSUER);
    assert.equal(at.client_id, APP);
    const grant = await h.store.getGrant(at.grant_id as string);
    assert.equal(grant?.resource, RESOURCE);
    assert.equal(grant?.user_id, at.sub);
    assert.deepEqual(grant?.scope, ['notes:read']);
    const accepted = await lastAudit('idjag.accepted');
    assert.equal(accepted.data.iss, IDP);
    assert.equal(accepted.data.sub, base().sub);
    assert.equal(accepted.data.jti, decodeJwt(assertion).jti);
    assert.equal(accepted.data.user, 'provision');
    assert.equal(accepted.client_id, APP);
    const issued = await lastAudit('token.issued');
    assert.equal(issued.data.grant_type, JWT_BEARER_GRANT_TYPE);
    assert.equal(issued.data.refresh_token_issued, false);
  });

  it('the subject is provisioned once (no password), then found again by its link (as.idjag.users)', async () => {
    const sub = `emp-${Date.now()}`;
    const first = await token(await mint({ claims: { sub } }));
    assert.equal(first.res.status, 200, JSON.stringify(first.body));
    const userId = decodeJwt(first.body.access_token as string).sub!;
    const user = await h.store.getUser(userId);
    assert.equal(user?.password_hash, '', 'federated users have no local password');
    assert.deepEqual(user?.roles, ['reader']);
    assert.equal(user?.username, `${sub}@idp.cyberdyne-corp.example`);
    const link = await h.store.getUserIdentity(identityNamespace(IDP, undefined), sub);
    assert.equal(link?.user_id, userId);
    const second = await token(await mint({ claims: { sub } }));
    assert.equal(decodeJwt(second.body.access_token as string).sub, userId);
    assert.equal((await lastAudit('idjag.accepted')).data.user, 'linked');
    // a federated user can never sign in with a password (empty hash refused like an unknown user)
    assert.equal(await verifyPassword('', ''), false);
    assert.equal(await verifyPassword(user!.password_hash, 'anything'), false);
    for (const password of ['', 'anything']) {
      const login = await checkLogin(h.ctx, Params.fromForm(new URLSearchParams({ username: user!.username, password }).toString()));
      assert.equal(login.ok, false, 'the sign-in form refuses a federated user whatever the password');
    }
  });

  it('an email the IdP marks email_verified: false is never kept on the identity, so never re-asserted by us; a verified one is (as.idjag.unverified-email-not-kept)', async () => {
    const sub = `emp-email-${Date.now()}`;
    const email = async (email_verified: boolean): Promise<string | null | undefined> => {
      const { res, body } = await token(await mint({ claims: { sub, email: 'victim@acme.example', email_verified } }));
      assert.equal(res.status, 200, JSON.stringify(body));
      const userId = decodeJwt(body.access_token as string).sub!;
      const kept = (await h.store.getUserIdentity(identityNamespace(IDP, undefined), sub))?.email;
      assert.equal(await userEmail(h.store, userId), kept ?? undefined, 'what we assert is what the identity keeps');
      return kept;
    };
    assert.equal(await email(false), null, 'first sight (provisioned): not kept');
    assert.equal(await email(true), 'victim@acme.example', 'positive control: a verified email is kept');
    assert.equal(await email(false), null, 'a later unverified one replaces it (linked)');
  });

  it('match: email links the subject to the local user of that email (draft-sec3 fixture shape, tenant-scoped link) (as.idjag.users)', async () => {
    const sec3 = fixturePayload('draft-sec3-id-jag');
    const assertion = await mintIdJag({ ...sec3, aud: ISSUER, resource: RESOURCE, client_id: APP, email: 'bob@acme.example', tenant: 'acme', scope: 'notes:write' }, { key: k2, now: now() });
    const { res, body } = await token(assertion);
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(decodeJwt(body.access_token as string).sub, 'user-bob');
    assert.equal(body.scope, 'notes:write');
    assert.equal((await h.store.getUserIdentity(identityNamespace(IDP_EMAIL, 'acme'), sec3.sub as string))?.user_id, 'user-bob');
    assert.equal((await lastAudit('idjag.accepted')).data.user, 'link');
  });

  it('match: email never links an email outside email_domains, or one the IdP marks unverified: user_unknown, nothing written ([IDJAG] §6) (as.idjag.email-domains)', async () => {
    const sec3 = fixturePayload('draft-sec3-id-jag');
    const cases: [string, Record<string, unknown>][] = [
      ['another domain', { email: 'dave@elsewhere.example', sub: 'sub-other-domain' }],
      ['a subdomain of a listed domain', { email: 'eve@sub.acme.example', sub: 'sub-subdomain' }],
      ['email_verified: false', { email: 'bob@acme.example', email_verified: false, sub: 'sub-unverified' }],
    ];
    for (const [label, claims] of cases) {
      const before = storeFingerprint(h.store);
      const assertion = await mintIdJag({ ...sec3, aud: ISSUER, resource: RESOURCE, client_id: APP, scope: 'notes:read', tenant: 'acme', ...claims }, { key: k2, now: now() });
      const { res, body } = await token(assertion);
      assert.equal(res.status, 400, label);
      assert.equal(body.error, 'invalid_grant', `${label}: ${JSON.stringify(body)}`);
      assert.equal(storeFingerprint(h.store), before, `${label}: nothing written`);
      assert.equal((await lastAudit('idjag.rejected')).data.reason, 'user_unknown', label);
    }
  });

  it('scopes: request ∩ ID-JAG ∩ the user’s roles ([EMA] §7.2.1; spec-checklist §4.8) (as.idjag.scope)', async () => {
    const both = (extra: Record<string, string>, scope: string) =>
      mintIdJag({ ...fixturePayload('draft-sec3-id-jag'), aud: ISSUER, resource: RESOURCE, client_id: APP, email: 'bob@acme.example', scope }, { key: k2, now: now() }).then((a) => token(a, undefined, extra));
    // bob (writer) asks notes:write of an ID-JAG for notes:read notes:write: notes:write
    const narrowed = await both({ scope: 'notes:write' }, 'notes:read notes:write');
    assert.equal(narrowed.body.scope, 'notes:write', JSON.stringify(narrowed.body));
    // no scope in the request: the ID-JAG's, narrowed to bob's roles (writer: notes:write only)
    const implicit = await both({}, 'notes:read notes:write');
    assert.equal(implicit.body.scope, 'notes:write');
  });

  it('aud as a one-element array and resource as a one-element array are accepted ([IDJAG] §3.1) (as.idjag.aud-exact)', async () => {
    const { res, body } = await token(await mint({ claims: { aud: [ISSUER], resource: [RESOURCE] } }));
    assert.equal(res.status, 200, JSON.stringify(body));
  });

  it('a public client is accepted where the IdP allows it (as.idjag.public-clients)', async () => {
    const assertion = await mintIdJag({ ...fixturePayload('draft-sec3-id-jag'), aud: ISSUER, resource: RESOURCE, client_id: PUB, email: 'bob@acme.example', scope: 'notes:write' }, { key: k2, now: now() });
    const { res, body } = await token(assertion, null, { client_id: PUB });
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(decodeJwt(body.access_token as string).client_id, PUB);
  });
});

describe('ID-JAG refusals, in the order of spec-checklist §4.5: right error, store unchanged, audited (as.idjag.audit)', () => {
  it('step 1: client authentication fails → invalid_client (as.token.client-auth)', async () => {
    await refused(await mint(), 'invalid_client', 'client_auth', basicAuth(APP, 'wrong'));
  });

  it('step 2: no assertion → invalid_request (RFC 7523 §2.1) (as.idjag.assertion-required)', async () => {
    const before = storeFingerprint(h.store);
    const res = await h.request('/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(APP, APP_SECRET) }, body: `grant_type=${encodeURIComponent(JWT_BEARER_GRANT_TYPE)}` });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_request');
    assert.equal(storeFingerprint(h.store), before);
    assert.equal((await lastAudit('idjag.rejected')).data.reason, 'request');
  });

  it('step 3: typ must be exactly oauth-id-jag+jwt — JWT, at+jwt, none, a near miss ([IDJAG] §3.1) (as.idjag.typ)', async () => {
    for (const typ of ['JWT', 'at+jwt', undefined, 'application/oauth-id-jag+jwt', 'OAUTH-ID-JAG+JWT', 'client-authentication+jwt']) {
      await refused(await mint({ header: { typ } }), 'invalid_grant', 'typ');
    }
  });

  it('step 3: a client assertion (iss = sub = client, no ID-JAG typ) presented as an ID-JAG is refused (as.cc.typ-separation)', async () => {
    const ca = await new SignJWT({ jti: crypto.randomUUID() }).setProtectedHeader({ alg: 'ES256', kid: k1.kid }).setIssuer(APP).setSubject(APP).setAudience(ISSUER).setIssuedAt(now()).setExpirationTime(now() + 60).sign(k1.privateKey);
    await refused(ca, 'invalid_grant', 'typ');
  });

  it('step 4: alg none and HS256 are refused ([EMA] §7.4.1; RFC 8725 §3.1) (as.idjag.alg)', async () => {
    await refused(unsecuredJwt({ alg: 'none', typ: 'oauth-id-jag+jwt' }, { ...base(), iss: IDP, jti: 'none-1', iat: now(), exp: now() + 60 }), 'invalid_grant', 'alg');
    const hs = await new SignJWT({ ...base(), jti: 'hs-1', iat: now(), exp: now() + 60 }).setProtectedHeader({ alg: 'HS256', typ: 'oauth-id-jag+jwt' }).sign(new TextEncoder().encode('k'.repeat(32)));
    await refused(hs, 'invalid_grant', 'alg');
    // an asymmetric alg this IdP is not configured for (default ES256, RS256)
    const es384 = await idpKey('idp-1', 'ES384');
    await refused(await mint({ key: es384 }), 'invalid_grant', 'alg');
  });

  it('step 5: an unknown issuer, a trailing-slash variant of a trusted one, and a bad signature (as.idjag.iss-signature)', async () => {
    await refused(await mint({ claims: { iss: 'https://evil.example/' } }), 'invalid_grant', 'untrusted_issuer');
    await refused(await mint({ claims: { iss: 'https://idp.cyberdyne-corp.example' } }), 'invalid_grant', 'untrusted_issuer');
    await refused(await mint({ key: stranger }), 'invalid_grant', 'signature');
    // signed by the other trusted IdP's key: not this issuer's key
    await refused(await mint({ key: { ...k2, kid: k1.kid } }), 'invalid_grant', 'signature');
  });

  it('step 5: an ID-JAG with this server as its issuer, signed with its own key, is never accepted (as.idjag.own-issuer)', async () => {
    const own = h.ctx.keys.signingKey();
    const assertion = await new SignJWT({ ...base(), iss: ISSUER, jti: 'own-1', iat: now(), exp: now() + 60 }).setProtectedHeader({ alg: own.alg, typ: 'oauth-id-jag+jwt', kid: own.kid }).sign(own.privateKey);
    await refused(assertion, 'invalid_grant', 'own_issuer');
    await refused(await mint({ claims: { iss: `${ISSUER}/` } }), 'invalid_grant', 'own_issuer');
  });

  it('step 6: aud must be our issuer exactly — trailing slash, two-element array, another AS, missing (as.idjag.aud-exact)', async () => {
    for (const aud of [`${ISSUER}/`, [ISSUER, 'https://other.example'], 'https://authorization-server.saas-tool.example/', undefined, [], RESOURCE]) {
      await refused(await mint({ claims: { aud } }), 'invalid_grant', 'aud');
    }
  });

  it('step 7: expired, issued in the future, not yet valid, too long-lived, no exp (as.idjag.time-bounds)', async () => {
    const t = now();
    await refused(await mint({ claims: { iat: t - 400, exp: t - 31 } }), 'invalid_grant', 'expired');
    await refused(await mint({ claims: { iat: t + 120, exp: t + 240 } }), 'invalid_grant', 'iat_future');
    await refused(await mint({ claims: { nbf: t + 120 } }), 'invalid_grant', 'nbf');
    await refused(await mint({ claims: { iat: t, exp: t + 3600 } }), 'invalid_grant', 'lifetime');
    await refused(await mint({ claims: { exp: undefined } }), 'invalid_grant', 'missing_claim');
    // the fixture's own times (2032) are far in the future of this clock
    await refused(await mintIdJag({ ...base() }, { key: k1, now: now(), claims: { iat: 1984445100, exp: 1984445160 } }), 'invalid_grant', 'iat_future');
  });

  it('step 8: a replayed jti is refused; a jti is required ([EMA] §7.4.2) (as.idjag.jti-single-use)', async () => {
    const assertion = await mint();
    assert.equal((await token(assertion)).res.status, 200);
    await refused(assertion, 'invalid_grant', 'replay');
    await refused(await mint({ claims: { jti: undefined } }), 'invalid_grant', 'missing_claim');
  });

  it('step 9: client_id must be the authenticated client, and one this IdP may speak for (as.idjag.client-binding)', async () => {
    await refused(await mint({ claims: { client_id: OTHER } }), 'invalid_grant', 'client_mismatch');
    await refused(await mint({ claims: { client_id: 'https://ai-agent-app.example/' } }), 'invalid_grant', 'client_mismatch');
    await refused(await mint({ claims: { client_id: undefined } }), 'invalid_grant', 'missing_claim');
    // OTHER authenticates fine and the claim names it, but the IdP is not trusted to speak for it
    await refused(await mint({ claims: { client_id: OTHER } }), 'invalid_grant', 'client_not_allowed', basicAuth(OTHER, OTHER_SECRET));
  });

  it('step 9: a public client is refused where the IdP does not allow public clients ([IDJAG] §8.1) (as.idjag.public-clients)', async () => {
    await refused(await mint({ claims: { client_id: PUB } }), 'unauthorized_client', 'public_client', null, { client_id: PUB });
  });

  it('step 10: sub is required; an unknown subject without provisioning and a disabled user are refused (as.idjag.sub, as.idjag.users)', async () => {
    await refused(await mint({ claims: { sub: undefined } }), 'invalid_grant', 'missing_sub');
    await refused(await mint({ claims: { sub: '' } }), 'invalid_grant', 'missing_sub');
    const email = (e: string | undefined) => mintIdJag({ ...fixturePayload('draft-sec3-id-jag'), aud: ISSUER, resource: RESOURCE, client_id: APP, email: e, sub: crypto.randomUUID(), scope: 'notes:read' }, { key: k2, now: now() });
    await refused(await email('nobody@acme.example'), 'invalid_grant', 'user_unknown');
    await refused(await email(undefined), 'invalid_grant', 'user_unknown');
    await refused(await email('carol@acme.example'), 'invalid_grant', 'user_disabled');
  });

  it('step 11: resource is required and must be ours — RAR-only fixture, the sec3 fixture’s resource, two values (as.idjag.resource)', async () => {
    const rar = fixturePayload('draft-issued-id-jag.rar');
    await refused(await mintIdJag({ ...rar, iss: IDP, aud: ISSUER, client_id: APP }, { key: k1, now: now() }), 'invalid_grant', 'resource_missing');
    await refused(await mint({ claims: { resource: fixturePayload('draft-sec3-id-jag').resource } }), 'invalid_grant', 'resource_unknown');
    await refused(await mint({ claims: { resource: [RESOURCE, OTHER_RESOURCE] } }), 'invalid_grant', 'resource_unknown');
    await refused(await mint({ claims: { resource: `${RESOURCE}/` } }), 'invalid_grant', 'resource_unknown');
    // a resource parameter that disagrees with the ID-JAG's
    await refused(await mint(), 'invalid_target', 'request', undefined, { resource: OTHER_RESOURCE });
  });

  it('step 11: one of our resources, but outside the client’s clients[].resources: refused whatever the IdP says (as.cc.resources)', async () => {
    await refused(await mint({ claims: { resource: OTHER_RESOURCE, scope: 'other:read' } }), 'invalid_grant', 'resource_not_allowed');
  });

  it('step 12: an ID-JAG scope not registered for the resource → invalid_grant; nothing permitted by policy → invalid_scope (as.idjag.scope)', async () => {
    await refused(await mint({ claims: { scope: 'notes:read other:read' } }), 'invalid_grant', 'scope_unknown');
    await refused(await mint({ claims: { scope: 'agent.read agent.write' } }), 'invalid_grant', 'scope_unknown');
    // provisioned users hold role reader: notes:write is outside their policy
    await refused(await mint({ claims: { scope: 'notes:write' } }), 'invalid_scope', 'scope_policy');
    // the request asks for a scope the ID-JAG does not carry: the intersection is empty
    await refused(await mint({ claims: { scope: 'notes:read' } }), 'invalid_scope', 'scope_policy', undefined, { scope: 'notes:write' });
    await refused(await mint(), 'invalid_scope', 'scope_policy', undefined, { scope: 'other:read' });
  });

  it('a refused request does not burn the assertion’s jti: the same jti is accepted once the request is right (as.idjag.jti-single-use)', async () => {
    const jti = `late-${Date.now()}`;
    await refused(await mint({ claims: { jti, scope: 'notes:write' } }), 'invalid_scope', 'scope_policy');
    const { res } = await token(await mint({ claims: { jti } }));
    assert.equal(res.status, 200);
  });
});
