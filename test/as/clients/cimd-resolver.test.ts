import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { CimdResolver, type CimdFetchEvent, type CimdResolverOptions } from '../../../src/as/clients/cimd.js';
import { ClientResolutionError } from '../../../src/as/clients/types.js';
import { SafeFetchError, type SafeFetchOptions, type SafeFetchResult } from '../../../src/net/types.js';
import { makeTestCa } from '../../helpers/tls.js';

const FIXTURES = new URL('../../../../shared/fixtures/cimd/', import.meta.url);
const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as Record<string, unknown>;

const URL_ = 'https://client.example/oauth/client.json';
const T0 = Date.UTC(2026, 10, 24);
const CIMD = { enabled: true, max_bytes: 5120, timeout_ms: 5000, cache_min_seconds: 60, cache_max_seconds: 3600 };
const validDoc = (o: Record<string, unknown> = {}) => ({ client_id: URL_, client_name: 'Example', redirect_uris: ['https://client.example/cb'], ...o });

type Reply = { status?: number; body?: unknown; raw?: string; headers?: Record<string, string> } | Error;

/** A fetch that answers from a queue (the last reply repeats), recording calls and options. */
function fakeFetch(...replies: Reply[]) {
  const calls: Array<{ url: string; opts: SafeFetchOptions }> = [];
  let gate: Promise<void> = Promise.resolve();
  const fn = async (url: string, opts: SafeFetchOptions): Promise<SafeFetchResult> => {
    calls.push({ url, opts });
    await gate;
    const r = replies[Math.min(calls.length - 1, replies.length - 1)]!;
    if (r instanceof Error) throw r;
    const text = r.raw ?? JSON.stringify(r.body ?? validDoc());
    return { status: r.status ?? 200, headers: new Headers({ 'content-type': 'application/json', ...r.headers }), body: new TextEncoder().encode(text), address: '93.184.215.14' };
  };
  return { fn, calls, hold(): () => void { let open!: () => void; gate = new Promise((r) => { open = r; }); return open; } };
}

function setup(fetch: ReturnType<typeof fakeFetch>, o: Partial<CimdResolverOptions> = {}) {
  let now = T0;
  const events: CimdFetchEvent[] = [];
  const resolver = new CimdResolver({ cimd: CIMD, dev: false, supportedGrantTypes: ['authorization_code', 'refresh_token'], fetch: fetch.fn, clock: () => now, log: (e) => events.push(e), ...o });
  return { resolver, events, advance: (s: number) => { now += s * 1000; } };
}

async function reason(p: Promise<unknown>): Promise<string> {
  const e = await p.then(() => assert.fail('expected failure'), (err: unknown) => err);
  assert.ok(e instanceof ClientResolutionError, String(e));
  return 'detail' in e.failure ? `${e.failure.reason}: ${e.failure.detail}` : e.failure.reason;
}

describe('CIMD §4.4: valid documents cached per Cache-Control within bounds (cimd.cache.honour-headers)', () => {
  it('max-age=300: served from cache until it expires, then fetched again', async () => {
    const f = fakeFetch({ headers: { 'cache-control': 'max-age=300' } });
    const { resolver, advance, events } = setup(f);
    await resolver.resolve(URL_);
    advance(299);
    await resolver.resolve(URL_);
    assert.equal(f.calls.length, 1);
    advance(2);
    await resolver.resolve(URL_);
    assert.equal(f.calls.length, 2);
    assert.equal(events.length, 2, 'cache hits are not fetches and are not logged');
  });
  it('max-age below cache_min_seconds is raised to it; above cache_max_seconds lowered to it', async () => {
    const low = fakeFetch({ headers: { 'cache-control': 'max-age=5' } });
    const a = setup(low);
    await a.resolver.resolve(URL_);
    a.advance(59);
    await a.resolver.resolve(URL_);
    assert.equal(low.calls.length, 1);
    const high = fakeFetch({ headers: { 'cache-control': 'max-age=999999' } });
    const b = setup(high);
    await b.resolver.resolve(URL_);
    b.advance(3601);
    await b.resolver.resolve(URL_);
    assert.equal(high.calls.length, 2);
    assert.equal(b.events[0]!.cache_seconds, 3600);
  });
  it('no-store and no-cache: never cached (documented choice)', async () => {
    for (const cc of ['no-store', 'no-cache']) {
      const f = fakeFetch({ headers: { 'cache-control': cc } });
      const { resolver } = setup(f);
      await resolver.resolve(URL_);
      await resolver.resolve(URL_);
      assert.equal(f.calls.length, 2, cc);
    }
  });
  it('revalidation after expiry picks up a changed document (the two published Claude versions)', async () => {
    const v1 = { ...fixture('claude-ai.keycloak-50362.json'), client_id: URL_ };
    const v2 = { ...fixture('claude-ai.2026-09-21.json'), client_id: URL_ };
    const f = fakeFetch({ body: v1, headers: { 'cache-control': 'max-age=600' } }, { body: v2, headers: { 'cache-control': 'max-age=600' } });
    const { resolver, advance } = setup(f);
    assert.equal((await resolver.resolve(URL_)).client_uri, 'https://claude.ai/');
    advance(599);
    assert.equal((await resolver.resolve(URL_)).client_uri, 'https://claude.ai/');
    advance(2);
    assert.equal((await resolver.resolve(URL_)).client_uri, 'https://claude.ai');
    assert.equal(f.calls.length, 2);
  });
  it('the cache is a bounded LRU', async () => {
    const f = fakeFetch({ headers: { 'cache-control': 'max-age=3600' } });
    const urls = ['a', 'b', 'c'].map((n) => `https://client.example/${n}.json`);
    const { resolver } = setup(f, { maxEntries: 2, fetch: async (url, o) => { const r = await f.fn(url, o); return { ...r, body: new TextEncoder().encode(JSON.stringify(validDoc({ client_id: url }))) }; } });
    await resolver.resolve(urls[0]!);
    await resolver.resolve(urls[1]!);
    await resolver.resolve(urls[0]!); // a is now the most recently used
    await resolver.resolve(urls[2]!); // evicts b
    assert.equal(f.calls.length, 3);
    await resolver.resolve(urls[0]!);
    await resolver.resolve(urls[2]!);
    assert.equal(f.calls.length, 3);
    await resolver.resolve(urls[1]!);
    assert.equal(f.calls.length, 4);
  });
});

describe('CIMD §4.4: error responses and invalid documents MUST NOT be cached (cimd.cache.never-invalid)', () => {
  it('an invalid document is refused, not cached, and a corrected one is accepted on the next resolution', async () => {
    const f = fakeFetch({ body: validDoc({ client_id: `${URL_}/` }), headers: { 'cache-control': 'max-age=3600' } }, { headers: { 'cache-control': 'max-age=3600' } });
    const { resolver, events } = setup(f);
    assert.equal(await reason(resolver.resolve(URL_)), 'cimd_document_invalid: client_id does not equal the document URL');
    assert.equal((await resolver.resolve(URL_)).client_id, URL_);
    assert.equal(f.calls.length, 2);
    assert.deepEqual(events.map((e) => e.outcome), ['document_invalid', 'ok']);
  });
  it('fetch errors (non-200, network, timeout) are never cached', async () => {
    const f = fakeFetch({ status: 404, headers: { 'cache-control': 'max-age=3600' } }, new SafeFetchError('timeout', 'no complete response within 5000 ms'), { status: 500 }, {});
    const { resolver, events } = setup(f);
    assert.equal(await reason(resolver.resolve(URL_)), 'cimd_fetch_failed: HTTP 404');
    assert.match(await reason(resolver.resolve(URL_)), /^cimd_fetch_failed: timeout/);
    assert.equal(await reason(resolver.resolve(URL_)), 'cimd_fetch_failed: HTTP 500');
    assert.equal((await resolver.resolve(URL_)).client_id, URL_);
    assert.deepEqual(events.map((e) => e.outcome), ['http_status', 'timeout', 'http_status', 'ok']);
  });
});

describe('CIMD §4 (-01): only 200 with a JSON content type is a document (cimd.fetch.status-200)', () => {
  for (const status of [201, 203, 204, 304, 401, 403, 410, 503]) {
    it(`HTTP ${status} → cimd_fetch_failed`, async () => {
      const { resolver } = setup(fakeFetch({ status }));
      assert.equal(await reason(resolver.resolve(URL_)), `cimd_fetch_failed: HTTP ${status}`);
    });
  }
  for (const ct of ['application/json; charset=utf-8', 'application/client-metadata+json', 'APPLICATION/JSON']) {
    it(`accepts content-type ${ct}`, async () => {
      const { resolver } = setup(fakeFetch({ headers: { 'content-type': ct } }));
      assert.equal((await resolver.resolve(URL_)).client_id, URL_);
    });
  }
  for (const ct of ['text/html', 'text/plain', 'application/javascript', 'application/jsonp', '']) {
    it(`refuses content-type "${ct}"`, async () => {
      const { resolver } = setup(fakeFetch({ headers: { 'content-type': ct } }));
      assert.match(await reason(resolver.resolve(URL_)), /^cimd_document_invalid: content-type .* is not JSON/);
    });
  }
  it('refuses a body that is not JSON, or not UTF-8', async () => {
    assert.equal(await reason(setup(fakeFetch({ raw: '{"client_id":' })).resolver.resolve(URL_)), 'cimd_document_invalid: body is not valid JSON');
    const f = fakeFetch({});
    const { resolver } = setup(f, { fetch: async (u, o) => ({ ...(await f.fn(u, o)), body: new Uint8Array([0x7b, 0xff, 0x7d]) }) });
    assert.equal(await reason(resolver.resolve(URL_)), 'cimd_document_invalid: body is not valid JSON');
  });
  it('refuses a bad URL without fetching', async () => {
    const f = fakeFetch({});
    const { resolver } = setup(f);
    assert.equal(await reason(resolver.resolve('https://client.example/')), 'cimd_url_invalid: has no path');
    assert.equal(f.calls.length, 0);
  });
  it('fetches with the configured caps, https only, loopback only in --dev', async () => {
    const f = fakeFetch({});
    await setup(f, { cimd: { ...CIMD, max_bytes: 2048, timeout_ms: 700 } }).resolver.resolve(URL_);
    assert.deepEqual(f.calls[0], { url: URL_, opts: { allowLoopback: false, allowHttp: false, maxBytes: 2048, timeoutMs: 700 } });
    await setup(f, { dev: true }).resolver.resolve(URL_);
    assert.equal(f.calls[1]!.opts.allowLoopback, true);
  });
});

describe('Concurrent resolutions of one URL share one fetch (cimd.fetch.single-flight)', () => {
  it('five callers, one fetch, one answer', async () => {
    const f = fakeFetch({ headers: { 'cache-control': 'no-store' } });
    const open = f.hold();
    const { resolver } = setup(f);
    const pending = Array.from({ length: 5 }, () => resolver.resolve(URL_));
    await new Promise((r) => setImmediate(r));
    open();
    const clients = await Promise.all(pending);
    assert.equal(f.calls.length, 1);
    assert.ok(clients.every((c) => c === clients[0]));
    await resolver.resolve(URL_);
    assert.equal(f.calls.length, 2, 'no-store: the next resolution after the shared one fetches again');
  });
  it('a shared failure reaches every caller and is not remembered', async () => {
    const f = fakeFetch({ status: 500 }, {});
    const open = f.hold();
    const { resolver } = setup(f);
    const pending = Array.from({ length: 3 }, () => reason(resolver.resolve(URL_)));
    open();
    assert.deepEqual(await Promise.all(pending), Array(3).fill('cimd_fetch_failed: HTTP 500'));
    assert.equal((await resolver.resolve(URL_)).client_id, URL_);
    assert.equal(f.calls.length, 2);
  });
});

describe('Every fetch is logged without secrets (cimd.fetch.logged)', () => {
  it('logs url, status, bytes, ms, outcome, address — never the document', async () => {
    const f = fakeFetch({ headers: { 'cache-control': 'max-age=120' } });
    const { resolver, events } = setup(f);
    await resolver.resolve(URL_);
    assert.deepEqual(Object.keys(events[0]!).sort(), ['address', 'bytes', 'cache_seconds', 'ms', 'outcome', 'status', 'url']);
    assert.deepEqual({ ...events[0]!, ms: 0 }, { url: URL_, status: 200, bytes: JSON.stringify(validDoc()).length, ms: 0, outcome: 'ok', address: '93.184.215.14', cache_seconds: 120 });
  });
});

describe('Compatibility: a real client document served from loopback over https in --dev (cimd.compat.loopback)', () => {
  it('fetches the VS Code document through the safe fetch with a test CA', async () => {
    const ca = makeTestCa(['cimd.test']);
    const server = createServer({ key: ca.keyPem, cert: ca.certPem }, (req, res) => {
      const url = `https://cimd.test:${(server.address() as AddressInfo).port}${req.url}`;
      if (req.url === '/moved') { res.writeHead(302, { location: '/client.json' }); res.end(); return; }
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=60' });
      res.end(JSON.stringify({ ...fixture('vscode.json'), client_id: url }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      const resolver = new CimdResolver({
        cimd: CIMD, dev: true, supportedGrantTypes: ['authorization_code', 'refresh_token'],
        resolver: async () => [{ address: '127.0.0.1', family: 4 }], ca: [ca.caPem],
      });
      const c = await resolver.resolve(`https://cimd.test:${port}/client.json`);
      assert.equal(c.client_name, 'Visual Studio Code');
      assert.deepEqual(c.grant_types, ['authorization_code', 'refresh_token']);
      assert.match(await reason(resolver.resolve(`https://cimd.test:${port}/moved`)), /^cimd_fetch_failed: redirect_refused/);
      const prod = new CimdResolver({ cimd: CIMD, dev: false, supportedGrantTypes: ['authorization_code'], resolver: async () => [{ address: '127.0.0.1', family: 4 }], ca: [ca.caPem] });
      assert.match(await reason(prod.resolve(`https://cimd.test:${port}/client.json`)), /^cimd_fetch_failed: address_blocked/);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
