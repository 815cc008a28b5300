import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OAuthClient } from '../../../src/as/clients/types.js';
import { clientHosts, decideTrust, hostMatches, refuseBeforeFetch, reviewVerdict, trustSettings } from '../../../src/as/trust/index.js';
import { configSchema } from '../../../src/config/schema.js';
import type { ClientTrustRecord } from '../../../src/store/types.js';

const CIMD = 'https://app.example.com/oauth/client.json';
const client = (o: Partial<OAuthClient> = {}): OAuthClient => ({
  client_id: CIMD,
  kind: 'cimd',
  client_name: 'App',
  client_uri: null,
  logo_uri: null,
  redirect_uris: ['http://127.0.0.1/cb'],
  token_endpoint_auth_method: 'none',
  grant_types: ['authorization_code'],
  jwks: null,
  jwks_uri: null,
  client_secret_hash: null,
  allowed_scopes: null,
  version: 'v1',
  loopback_only: true,
  ...o,
});
const record = (o: Partial<ClientTrustRecord> = {}): ClientTrustRecord => ({
  client_id: CIMD,
  status: 'pending',
  document: '{}',
  version: 'v1',
  first_seen_at: 0,
  updated_at: 0,
  decided_by: null,
  decided_at: null,
  decided_version: null,
  ...o,
});
const trust = (o: Record<string, unknown> = {}) => trustSettings({ trust: { mode: 'open', trusted_hosts: [], denied_hosts: [], ...o } as never });

describe('[SEC] Trust Policies: host patterns (as.trust.host-patterns)', () => {
  it('exact hosts match case-insensitively, without port; *.suffix matches subdomains only', () => {
    assert.ok(hostMatches('App.Example.com', ['app.example.com']));
    assert.ok(hostMatches('app.example.com.', ['app.example.com']));
    assert.ok(!hostMatches('evilapp.example.com', ['app.example.com']));
    assert.ok(hostMatches('a.example.com', ['*.example.com']));
    assert.ok(hostMatches('a.b.example.com', ['*.example.com']));
    assert.ok(!hostMatches('example.com', ['*.example.com']));
    assert.ok(!hostMatches('badexample.com', ['*.example.com']));
    assert.ok(hostMatches('[::1]', ['[::1]']));
  });
  it('the config refuses a malformed pattern, naming the option', () => {
    assert.throws(() => configSchema.parse({ trust: { trusted_hosts: ['https://x.example'] } }), /trusted_hosts/);
    assert.throws(() => configSchema.parse({ trust: { denied_hosts: ['a.*.example'] } }), /denied_hosts/);
    assert.throws(() => configSchema.parse({ registration: { allowed_redirect_hosts: ['x y'] } }), /allowed_redirect_hosts/);
    assert.equal(configSchema.parse({}).trust.mode, 'open');
    assert.equal(configSchema.parse({}).registration.enabled, false);
  });
  it('a CIMD client is judged by its client_id host, a registered one by its redirect URI hosts, a static one not at all', () => {
    assert.deepEqual(clientHosts(client()), ['app.example.com']);
    assert.deepEqual(clientHosts(client({ kind: 'dcr', client_id: 'dcr_x', redirect_uris: ['https://a.example/cb', 'https://a.example/cb2', 'http://127.0.0.1/cb'] })), ['a.example', '127.0.0.1']);
    assert.deepEqual(clientHosts(client({ kind: 'static', client_id: 'x' })), []);
  });
});

describe('CIMD §6.8 / [SEC] Trust Policies: the decision table (as.trust.denied, as.trust.allowlist)', () => {
  it('denied host first, in every mode, even when also trusted', () => {
    for (const mode of ['open', 'allowlist', 'review']) {
      assert.deepEqual(decideTrust(trust({ mode, denied_hosts: ['*.example.com'], trusted_hosts: ['app.example.com'] }), client(), null), { kind: 'denied', reason: 'denied_host' });
    }
  });
  it("an administrator's denial of the client_id beats a trusted host", () => {
    assert.deepEqual(decideTrust(trust({ trusted_hosts: ['app.example.com'] }), client(), record({ status: 'denied' })), { kind: 'denied', reason: 'admin_denied' });
  });
  it('open allows; allowlist allows trusted hosts only; review needs an approval of this exact version', () => {
    assert.deepEqual(decideTrust(trust(), client(), null), { kind: 'allowed', reason: 'open' });
    assert.deepEqual(decideTrust(trust({ mode: 'allowlist' }), client(), null), { kind: 'denied', reason: 'not_trusted' });
    assert.deepEqual(decideTrust(trust({ mode: 'allowlist', trusted_hosts: ['*.example.com'] }), client(), null), { kind: 'allowed', reason: 'trusted_host' });
    assert.equal(decideTrust(trust({ mode: 'review' }), client(), null), 'review');
    assert.deepEqual(decideTrust(trust({ mode: 'review' }), client(), record({ status: 'approved' })), { kind: 'allowed', reason: 'approved' });
    assert.equal(decideTrust(trust({ mode: 'review' }), client({ version: 'v2' }), record({ status: 'approved' })), 'review');
  });
  it('static clients are never judged', () => {
    assert.deepEqual(decideTrust(trust({ mode: 'allowlist', denied_hosts: ['*.example.com'] }), client({ kind: 'static', client_id: 's' }), null), { kind: 'allowed', reason: 'static' });
  });
  it('CIMD §3.3 step 2: denied and (allowlist) untrusted hosts are refused before any fetch', () => {
    assert.match(refuseBeforeFetch(trust({ denied_hosts: ['app.example.com'] }), CIMD) ?? '', /denied/);
    assert.match(refuseBeforeFetch(trust({ mode: 'allowlist' }), CIMD) ?? '', /not in trusted_hosts/);
    assert.equal(refuseBeforeFetch(trust({ mode: 'review' }), CIMD), null);
    assert.equal(refuseBeforeFetch(trust({ mode: 'allowlist', trusted_hosts: ['app.example.com'] }), CIMD), null);
  });
});

describe('issue 3: after a sighting is recorded (as.trust.review-pending, as.trust.document-change)', () => {
  it('new, changed since approval, approved, denied', () => {
    assert.equal(reviewVerdict(record(), client()).kind === 'pending' && reviewVerdict(record(), client()).reason, 'new');
    const changed = reviewVerdict(record({ version: 'v2', decided_version: 'v1', decided_by: 'ops' }), client({ version: 'v2' }));
    assert.equal(changed.kind === 'pending' && changed.reason, 'document_changed');
    assert.deepEqual(reviewVerdict(record({ status: 'approved' }), client()), { kind: 'allowed', reason: 'approved' });
    assert.deepEqual(reviewVerdict(record({ status: 'denied' }), client()), { kind: 'denied', reason: 'admin_denied' });
  });
});
