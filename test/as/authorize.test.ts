import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ISSUER, LOOPBACK_CLIENT, PUBLIC_CLIENT, RESOURCE, pkcePair, startHarness, type Harness } from '../helpers/as-harness.js';
import { authorizeUrl, getCode } from './flow.js';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(() => h.close());

const get = (url: string) => h.request(url, { redirect: 'manual' });
const redirectParams = (res: Response) => new URL(res.headers.get('location')!).searchParams;

describe('OAuth 2.1 §4.1.2.1: errors before client and redirect URI are validated are shown, never redirected (as.authorize.no-redirect-before-validation)', () => {
  it('unknown client_id → 400 page, no Location', async () => {
    const res = await get(authorizeUrl(pkcePair().challenge, { client_id: 'nobody' }));
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('location'), null);
    assert.match(res.headers.get('content-type')!, /text\/html/);
    assert.match(await res.text(), /not registered/);
  });
  it('missing client_id → 400 page', async () => {
    const u = new URL(authorizeUrl(pkcePair().challenge));
    u.searchParams.delete('client_id');
    const res = await get(u.toString());
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('location'), null);
  });
  it('unregistered redirect_uri → 400 page, no Location (as.authorize.redirect-exact)', async () => {
    for (const bad of ['https://evil.example/cb', 'http://127.0.0.1/callback/x', 'http://localhost:5000/callback', 'https://app.example/cb/', 'https://app.example/cb?x=1']) {
      const res = await get(authorizeUrl(pkcePair().challenge, { redirect_uri: bad }));
      assert.equal(res.status, 400, bad);
      assert.equal(res.headers.get('location'), null, bad);
    }
  });
  it('duplicated client_id → page', async () => {
    const res = await get(`${authorizeUrl(pkcePair().challenge)}&client_id=${PUBLIC_CLIENT}`);
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('location'), null);
  });
});

describe('RFC 8252 §7.3: loopback redirect URIs match on any port (as.authorize.loopback-any-port)', () => {
  it('http://127.0.0.1:<any port>/callback is accepted for a registered portless loopback URI', async () => {
    const res = await get(authorizeUrl(pkcePair().challenge, { redirect_uri: 'http://127.0.0.1:61234/callback' }));
    assert.equal(res.status, 303);
    assert.match(res.headers.get('location')!, /\/interaction\//);
  });
});

describe('OAuth 2.1 §4.1.1 / RFC 7636: PKCE S256 required (as.authorize.pkce-s256-required)', () => {
  it('missing code_challenge → redirect with invalid_request, state and iss', async () => {
    const u = new URL(authorizeUrl('x'));
    u.searchParams.delete('code_challenge');
    const res = await get(u.toString());
    assert.equal(res.status, 303);
    const p = redirectParams(res);
    assert.equal(p.get('error'), 'invalid_request');
    assert.equal(p.get('state'), 'st-123');
    assert.equal(p.get('iss'), ISSUER);
  });
  it('code_challenge_method=plain → invalid_request', async () => {
    const res = await get(authorizeUrl(pkcePair().challenge, { extra: { code_challenge_method: 'plain' } }));
    assert.equal(redirectParams(res).get('error'), 'invalid_request');
  });
  it('absent code_challenge_method (means plain) → invalid_request', async () => {
    const u = new URL(authorizeUrl(pkcePair().challenge));
    u.searchParams.delete('code_challenge_method');
    assert.equal(redirectParams(await get(u.toString())).get('error'), 'invalid_request');
  });
});

describe('OAuth 2.1 §4.1.1: code flow only (as.authorize.code-only)', () => {
  it('response_type=token → unsupported_response_type', async () => {
    const res = await get(authorizeUrl(pkcePair().challenge, { extra: { response_type: 'token' } }));
    assert.equal(redirectParams(res).get('error'), 'unsupported_response_type');
  });
});

describe('RFC 8707 §2: one known resource per request (as.authorize.resource)', () => {
  it('two resources → invalid_target', async () => {
    const res = await get(authorizeUrl(pkcePair().challenge, { resource: [RESOURCE, `${ISSUER}/other`] }));
    assert.equal(redirectParams(res).get('error'), 'invalid_target');
  });
  it('unknown resource → invalid_target', async () => {
    const res = await get(authorizeUrl(pkcePair().challenge, { resource: `${ISSUER}/other` }));
    assert.equal(redirectParams(res).get('error'), 'invalid_target');
  });
  it('trailing-slash variant is a different resource → invalid_target', async () => {
    const res = await get(authorizeUrl(pkcePair().challenge, { resource: `${RESOURCE}/` }));
    assert.equal(redirectParams(res).get('error'), 'invalid_target');
  });
  it('uppercase scheme and host are accepted (MCP "Canonical Server URI")', async () => {
    const res = await get(authorizeUrl(pkcePair().challenge, { resource: RESOURCE.replace('http://', 'HTTP://') }));
    assert.match(res.headers.get('location')!, /\/interaction\//);
  });
  it('absent resource with one resource configured → that resource', async () => {
    const { params } = await getCode(h, { resource: null });
    assert.ok(params.get('code'));
  });
});

describe('scopes limited to what the resource offers (as.authorize.scope-limited)', () => {
  it('unknown scope → invalid_scope', async () => {
    const res = await get(authorizeUrl(pkcePair().challenge, { scope: 'notes:read admin:everything' }));
    assert.equal(redirectParams(res).get('error'), 'invalid_scope');
  });
});

describe('RFC 9207 §2: iss on every authorization response (as.authorize.iss)', () => {
  it('success carries code, state and iss exactly once', async () => {
    const { params } = await getCode(h, { scope: 'notes:read' });
    assert.equal(params.getAll('code').length, 1);
    assert.equal(params.getAll('state').length, 1);
    assert.deepEqual(params.getAll('iss'), [ISSUER]);
    assert.equal(params.get('state'), 'st-123');
  });
  it('deny → access_denied with state and iss', async () => {
    // a loopback-only client is asked every time, so the consent page is shown and Deny can be chosen
    const { params } = await getCode(h, { client_id: LOOPBACK_CLIENT, decision: 'deny' });
    assert.equal(params.get('error'), 'access_denied');
    assert.equal(params.get('iss'), ISSUER);
    assert.equal(params.get('state'), 'st-123');
  });
});
