/**
 * Issue 10 attack suite — Client ID Metadata Documents as an attack surface (CIMD §3, §4, §6.5–6.6; MCP [BP]
 * SSRF Against Authorization Servers; RFC 6890). An attacker controls the client_id URL, its DNS and the document.
 * SSRF and DNS-rebinding cases run offline: the safe fetch's resolver is the harness's fake DNS. Each refusal is a
 * page at /authorize (never a redirect), nothing stored, and a client.fetch audit entry with the reason where a
 * fetch was attempted. `[bites: <control>]`: see scripts/mutation-run.mjs.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { APP_REDIRECT, authorizeUrl, CIMD_HOST, pkcePair, refusedWithoutWrite, startTarget, type AttackTarget, type AuditEntry } from './harness.js';

let t: AttackTarget;
let prod: AttackTarget;
before(async () => {
  t = await startTarget();
  prod = await startTarget({}, { productionMode: true });
});
after(async () => {
  await t.close();
  await prod.close();
});

let n = 0;
/** a fresh document path (refusals are never cached, but fresh paths keep cases independent) */
const fresh = (name: string): string => `/${name}-${++n}.json`;
const doc = (clientId: string, o: Record<string, unknown> = {}): Record<string, unknown> => ({ client_id: clientId, client_name: 'Evil tool', redirect_uris: [APP_REDIRECT], ...o });

/** GET /authorize with this client_id: refused on a page, nothing stored; returns the page and the audit entries */
async function refusedClient(target: AttackTarget, client_id: string, text: RegExp = /Unknown or invalid application|not allowed/): Promise<{ html: string; audit: AuditEntry[] }> {
  const url = authorizeUrl(target, { client_id, code_challenge: pkcePair().challenge });
  const { result, audit } = await refusedWithoutWrite(target, () => target.fetch(url));
  const html = await result.text();
  assert.equal(result.status, 400, html.slice(0, 300));
  assert.equal(result.headers.get('location'), null, 'never redirected');
  assert.match(html, text);
  return { html, audit };
}

/** the fetch was audited as client.fetch with this reason */
function fetchAudited(audit: AuditEntry[], reason: string): void {
  const entry = audit.find((a) => a.type === 'client.fetch');
  assert.ok(entry, `a client.fetch audit entry: ${JSON.stringify(audit)}`);
  assert.equal(entry.data.reason, reason, JSON.stringify(entry.data));
}

describe('attack: client_id URL grammar (CIMD §3)', () => {
  // third member: whether validateCimdUrl is the only layer (userinfo is refused again by the safe fetch; length and
  // non-ASCII before the URL is parsed), i.e. whether switching off cimd.url-grammar lets a fetch happen
  const urls: Array<[string, (base: string) => string, boolean]> = [
    ['a fragment', (b) => `${b}/doc.json#frag`, true],
    ['userinfo', (b) => b.replace('https://', 'https://user:pw@') + '/doc.json', false],
    ['a query', (b) => `${b}/doc.json?x=1`, true],
    ['no path', (b) => b, true],
    ['a dot-dot segment', (b) => `${b}/a/../doc.json`, true],
    ['a percent-encoded dot-dot segment', (b) => `${b}/a/%2e%2E/doc.json`, true],
    ['a backslash', (b) => `${b}\\doc.json`, true],
    ['a non-ASCII character', (b) => `${b}/dóc.json`, false],
    ['a length over 2048', (b) => `${b}/${'a'.repeat(2100)}.json`, false],
  ];
  for (const [name, make, only] of urls) {
    it(`a client_id URL with ${name} is refused without any fetch (cimd.url-grammar)${only ? ' [bites: cimd.url-grammar]' : ''}`, async () => {
      const calls = t.dnsCalls.get(CIMD_HOST) ?? 0;
      const requests = t.cimd.requests.length;
      await refusedClient(t, make(`https://${CIMD_HOST}:${t.cimd.port}`), /Unknown or invalid application|Invalid authorization request/);
      assert.equal(t.dnsCalls.get(CIMD_HOST) ?? 0, calls, 'no DNS lookup');
      assert.equal(t.cimd.requests.length, requests, 'no fetch');
    });
  }

  it('an http (not https) client_id URL is not treated as a metadata document (cimd.url-grammar)', async () => {
    await refusedClient(t, `http://${CIMD_HOST}:${t.cimd.port}/doc.json`, /not registered/);
  });

  it('a loopback client_id host is refused without --dev (cimd.url-grammar)', async () => {
    await refusedClient(prod, 'https://localhost/doc.json');
    await refusedClient(prod, 'https://127.0.0.1/doc.json');
  });
});

describe('attack: SSRF through the client_id URL (CIMD §6.5; RFC 6890; MCP [BP] SSRF)', () => {
  const targets: Array<[string, string[]]> = [
    ['a private 10/8 address', ['10.0.0.5']],
    ['a private 172.16/12 address', ['172.16.3.4']],
    ['a private 192.168/16 address', ['192.168.1.1']],
    ['a link-local address', ['169.254.10.10']],
    ['the cloud metadata service 169.254.169.254', ['169.254.169.254']],
    ['an IPv4-mapped IPv6 metadata address (::ffff:169.254.169.254)', ['::ffff:169.254.169.254']],
    ['an IPv4-mapped private address (::ffff:10.0.0.1)', ['::ffff:10.0.0.1']],
    ['an IPv6 unique-local address (fd00::1)', ['fd00::1']],
    ['an IPv6 link-local address (fe80::1)', ['fe80::1']],
    ['the unspecified address 0.0.0.0', ['0.0.0.0']],
    ['carrier-grade NAT space (100.64/10)', ['100.64.0.1']],
    ['a NAT64 prefix embedding a private address', ['64:ff9b::a00:1']],
    ['a public and a private answer together (the whole name is refused)', ['93.184.215.14', '10.0.0.1']],
  ];
  for (const [name, answers] of targets) {
    it(`a host resolving to ${name} is refused before connecting (net.safe-fetch.special-use-refused) [bites: cimd.address-blocking]`, async () => {
      const host = `ssrf-${++n}.example`;
      t.dns.set(host, [answers]);
      const { audit } = await refusedClient(t, `https://${host}/client.json`);
      fetchAudited(audit, 'address_blocked');
    });
  }

  it('a metadata-service IP literal in the URL is refused (net.safe-fetch.special-use-refused) [bites: cimd.address-blocking]', async () => {
    const { audit } = await refusedClient(t, 'https://169.254.169.254/latest/meta-data.json');
    fetchAudited(audit, 'address_blocked');
  });

  it('a decimal-encoded metadata IP (https://2852039166/) is refused (net.safe-fetch.special-use-refused) [bites: cimd.address-blocking]', async () => {
    const { audit } = await refusedClient(t, 'https://2852039166/meta.json');
    fetchAudited(audit, 'address_blocked');
  });

  it('an IPv6-mapped metadata literal (https://[::ffff:a9fe:a9fe]/) is refused (net.safe-fetch.special-use-refused) [bites: cimd.address-blocking]', async () => {
    const { audit } = await refusedClient(t, 'https://[::ffff:a9fe:a9fe]/meta.json');
    fetchAudited(audit, 'address_blocked');
  });

  it('a loopback answer is refused without --dev (net.safe-fetch.special-use-refused)', async () => {
    prod.dns.set('loop.example', [['127.0.0.1']]);
    const { audit } = await refusedClient(prod, 'https://loop.example/client.json');
    fetchAudited(audit, 'address_blocked');
  });

  it('DNS rebinding: the first answer is public-ish, the next private — one lookup, the connection pinned to the vetted address (net.safe-fetch.pinned)', async () => {
    const path = fresh('rebind');
    const url = `https://rebind.example:${t.cimd.port}${path}`;
    t.cimd.route(path, { body: doc(url), headers: { 'cache-control': 'no-store' } });
    t.dns.set('rebind.example', [['127.0.0.1'], ['169.254.169.254']]);
    const before = t.dnsCalls.get('rebind.example') ?? 0;
    const res = await t.fetch(authorizeUrl(t, { client_id: url, code_challenge: pkcePair().challenge }));
    assert.equal(res.status, 303, await res.text());
    assert.equal((t.dnsCalls.get('rebind.example') ?? 0) - before, 1, 'resolved exactly once: no second lookup at connect time');
    const [entry] = await t.store.listAudit({ types: ['client.fetch'], order: 'desc', limit: 1 });
    assert.equal((JSON.parse(entry!.data) as { address: string }).address, '127.0.0.1', 'connected to the vetted address');
  });

  it('DNS rebinding the other way: a private first answer is refused even if later answers are public (net.safe-fetch.special-use-refused) [bites: cimd.address-blocking]', async () => {
    t.dns.set('rebind2.example', [['10.1.1.1'], ['127.0.0.1']]);
    const { audit } = await refusedClient(t, 'https://rebind2.example/client.json');
    fetchAudited(audit, 'address_blocked');
  });
});

describe('attack: hostile metadata documents and servers (CIMD §4, §4.1, §6.6)', () => {
  it('a redirect to another document is not followed (net.safe-fetch.no-redirects)', async () => {
    const path = fresh('redirect');
    t.cimd.route(path, { status: 302, headers: { location: t.cimdUrl('/elsewhere.json') } });
    const { audit } = await refusedClient(t, t.cimdUrl(path));
    fetchAudited(audit, 'redirect_refused');
  });

  it('a 307 redirect to the metadata service is not followed (net.safe-fetch.no-redirects)', async () => {
    const path = fresh('redirect-meta');
    t.cimd.route(path, { status: 307, headers: { location: 'http://169.254.169.254/latest/meta-data/' } });
    const { audit } = await refusedClient(t, t.cimdUrl(path));
    fetchAudited(audit, 'redirect_refused');
  });

  it('an oversized document (declared length over 5 KB) is refused (net.safe-fetch.size-cap) [bites: cimd.size-cap]', async () => {
    const path = fresh('big');
    t.cimd.route(path, { body: doc(t.cimdUrl(path), { client_name: 'x'.repeat(150), logo_pad: 'y'.repeat(6000) }) });
    const { audit } = await refusedClient(t, t.cimdUrl(path));
    fetchAudited(audit, 'too_large');
  });

  it('an oversized chunked document (no Content-Length) is cut off at 5 KB (net.safe-fetch.size-cap) [bites: cimd.size-cap]', async () => {
    const path = fresh('big-chunked');
    const body = JSON.stringify(doc(t.cimdUrl(path), { pad: 'y'.repeat(8000) }));
    t.cimd.route(path, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      for (let i = 0; i < body.length; i += 1000) res.write(body.slice(i, i + 1000));
      res.end();
    });
    const { audit } = await refusedClient(t, t.cimdUrl(path));
    fetchAudited(audit, 'too_large');
  });

  it('a server that never answers is abandoned at the fetch timeout (net.safe-fetch.timeout)', async () => {
    const path = fresh('slow');
    t.cimd.route(path, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"client_id":');
      setTimeout(() => res.destroy(), 5000).unref();
    });
    const started = Date.now();
    const { audit } = await refusedClient(t, t.cimdUrl(path));
    assert.ok(Date.now() - started < 4000, 'gave up at the configured timeout');
    fetchAudited(audit, 'timeout');
  });

  it('a document whose client_id is another URL is refused (cimd.client-id-exact) [bites: cimd.client-id-match]', async () => {
    const path = fresh('mismatch');
    t.cimd.route(path, { body: doc('https://trusted-client.example/client.json') });
    const { audit } = await refusedClient(t, t.cimdUrl(path));
    fetchAudited(audit, 'document_invalid');
  });

  it('a document whose client_id differs only by a trailing slash is refused (cimd.client-id-exact) [bites: cimd.client-id-match]', async () => {
    const path = fresh('mismatch-slash');
    t.cimd.route(path, { body: doc(`${t.cimdUrl(path)}/`) });
    await refusedClient(t, t.cimdUrl(path));
  });

  it('a document asking for a shared secret (client_secret_basic) is refused (cimd.document-valid) [bites: cimd.no-shared-secrets]', async () => {
    const path = fresh('secret-method');
    t.cimd.route(path, { body: doc(t.cimdUrl(path), { token_endpoint_auth_method: 'client_secret_basic' }) });
    await refusedClient(t, t.cimdUrl(path), /shared-secret method/);
  });

  it('a document carrying a client_secret is refused (cimd.document-valid) [bites: cimd.no-shared-secrets]', async () => {
    const path = fresh('secret');
    t.cimd.route(path, { body: doc(t.cimdUrl(path), { client_secret: 'let-me-in' }) });
    await refusedClient(t, t.cimdUrl(path), /client_secret must not be present/);
  });

  it('a document whose jwks holds a private key member is refused (cimd.document-valid)', async () => {
    const path = fresh('private-jwk');
    t.cimd.route(path, { body: doc(t.cimdUrl(path), { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'a', y: 'b', d: 'c' }] } }) });
    await refusedClient(t, t.cimdUrl(path), /private member/);
  });

  it('a document with a non-https redirect URI is refused (cimd.document-valid)', async () => {
    const path = fresh('http-redirect');
    t.cimd.route(path, { body: doc(t.cimdUrl(path), { redirect_uris: ['http://evil.example/cb'] }) });
    await refusedClient(t, t.cimdUrl(path));
  });

  it('a document served as text/html is refused (cimd.document-valid)', async () => {
    const path = fresh('html');
    t.cimd.route(path, { body: JSON.stringify(doc(t.cimdUrl(path))), headers: { 'content-type': 'text/html' } });
    const { audit } = await refusedClient(t, t.cimdUrl(path));
    fetchAudited(audit, 'content_type');
  });

  it('a document that is not JSON is refused (cimd.document-valid)', async () => {
    const path = fresh('not-json');
    t.cimd.route(path, { body: '{"client_id": "', headers: { 'content-type': 'application/json' } });
    const { audit } = await refusedClient(t, t.cimdUrl(path));
    fetchAudited(audit, 'json_invalid');
  });

  it('a deeply nested document is refused without a 500 (cimd.document-valid)', async () => {
    const path = fresh('nested');
    t.cimd.route(path, { body: `{"client_id":"${t.cimdUrl(path)}","x":${'['.repeat(2000)}${']'.repeat(2000)}}`, headers: { 'content-type': 'application/json' } });
    await refusedClient(t, t.cimdUrl(path));
  });

  it('a 404 for the document is refused and not cached (cimd.cache.never-invalid)', async () => {
    const path = fresh('missing');
    const { audit } = await refusedClient(t, t.cimdUrl(path));
    fetchAudited(audit, 'http_status');
  });
});
