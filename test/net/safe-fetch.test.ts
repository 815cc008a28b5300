import assert from 'node:assert/strict';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { classifyAddress, pinnedLookup, safeFetch } from '../../src/net/safe-fetch.js';
import { SafeFetchError, type Resolver, type SafeFetchFailureReason, type SafeFetchOptions } from '../../src/net/types.js';
import { makeTestCa, type TestCa } from '../helpers/tls.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
interface TestServer { port: number; close(): Promise<void> }

let ca: TestCa;
const servers: TestServer[] = [];

function listen(server: ReturnType<typeof createHttpServer>, host: string, port: number): Promise<TestServer> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const s: TestServer = {
        port: (server.address() as AddressInfo).port,
        close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
      };
      servers.push(s);
      resolve(s);
    });
  });
}
const https = (handler: Handler, host = '127.0.0.1', port = 0): Promise<TestServer> =>
  listen(createHttpsServer({ key: ca.keyPem, cert: ca.certPem }, handler) as never, host, port);
const http = (handler: Handler): Promise<TestServer> => listen(createHttpServer(handler), '127.0.0.1', 0);

/** A resolver that maps every name to `addresses`, counting its calls. */
function fixedResolver(...answers: string[][]): Resolver & { calls: number } {
  const r = Object.assign(
    async (_host: string) => {
      const a = answers[Math.min(r.calls, answers.length - 1)] ?? [];
      r.calls += 1;
      return a.map((address) => ({ address, family: (address.includes(':') ? 6 : 4) as 4 | 6 }));
    },
    { calls: 0 },
  );
  return r;
}

const base = (o: Partial<SafeFetchOptions> = {}): SafeFetchOptions => ({
  allowLoopback: true, maxBytes: 5120, timeoutMs: 3000, ca: [ca.caPem], resolver: fixedResolver(['127.0.0.1']), ...o,
});

async function refused(p: Promise<unknown>, reason: SafeFetchFailureReason): Promise<SafeFetchError> {
  const err = await p.then(() => assert.fail(`expected ${reason}`), (e: unknown) => e);
  assert.ok(err instanceof SafeFetchError, String(err));
  assert.equal(err.reason, reason, err.message);
  return err;
}

const json: Handler = (req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'x-seen-cookie': String(req.headers.cookie ?? 'none'), 'x-seen-ua': String(req.headers['user-agent']), 'x-seen-accept': String(req.headers.accept) });
  res.end('{"ok":true}');
};

before(() => { ca = makeTestCa(['client.example', 'localhost', '127.0.0.1', '127.0.0.2']); });
after(async () => { await Promise.all(servers.map((s) => s.close())); });

describe('RFC 6890 special-use addresses are refused, CIMD §6.5 (net.safe-fetch.special-use-refused)', () => {
  const table: Array<[string, 'ok' | 'loopback' | 'blocked']> = [
    ['93.184.215.14', 'ok'], ['8.8.8.8', 'ok'], ['2606:4700::1111', 'ok'], ['2a00:1450:4001::1', 'ok'],
    ['127.0.0.1', 'loopback'], ['127.255.0.9', 'loopback'], ['::1', 'loopback'], ['::ffff:127.0.0.1', 'loopback'],
    ['0.0.0.0', 'blocked'], ['0.1.2.3', 'blocked'], ['10.1.2.3', 'blocked'], ['100.64.0.1', 'blocked'],
    ['100.127.255.254', 'blocked'], ['169.254.169.254', 'blocked'], ['172.16.0.1', 'blocked'], ['172.31.255.1', 'blocked'],
    ['192.0.0.8', 'blocked'], ['192.0.2.1', 'blocked'], ['192.88.99.1', 'blocked'], ['192.168.1.1', 'blocked'],
    ['198.18.0.1', 'blocked'], ['198.19.255.1', 'blocked'], ['198.51.100.7', 'blocked'], ['203.0.113.9', 'blocked'],
    ['224.0.0.1', 'blocked'], ['239.255.255.250', 'blocked'], ['240.0.0.1', 'blocked'], ['255.255.255.255', 'blocked'],
    ['::', 'blocked'], ['::ffff:10.0.0.1', 'blocked'], ['::ffff:169.254.169.254', 'blocked'], ['::ffff:0:0', 'blocked'],
    ['::10.0.0.1', 'blocked'], ['::ffff:0:8.8.8.8', 'blocked'], ['64:ff9b::a00:1', 'blocked'], ['64:ff9b::7f00:1', 'blocked'],
    ['64:ff9b::808:808', 'ok'], ['64:ff9b:1::1', 'blocked'], ['100::1', 'blocked'], ['2001::1', 'blocked'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'blocked'], ['2001:2::1', 'blocked'], ['2001:db8::1', 'blocked'],
    ['2002:a00:1::1', 'blocked'], ['2002:7f00:1::1', 'blocked'], ['2002:808:808::1', 'ok'], ['3fff::1', 'blocked'],
    ['fc00::1', 'blocked'], ['fd12:3456::1', 'blocked'], ['fe80::1', 'blocked'], ['fe80::1%eth0', 'blocked'],
    ['fec0::1', 'blocked'], ['ff02::1', 'blocked'], ['5f00::1', 'blocked'], ['4000::1', 'blocked'],
    ['not-an-ip', 'blocked'], ['0x7f.1', 'blocked'], ['017.0.0.1', 'blocked'],
  ];
  for (const [ip, expected] of table) {
    it(`${ip} → ${expected}`, () => assert.equal(classifyAddress(ip), expected));
  }

  it('refuses a name whose only answer is private, even with allowLoopback (private ranges stay refused)', async () => {
    await refused(safeFetch('https://client.example/x', base({ resolver: fixedResolver(['192.168.1.10']) })), 'address_blocked');
  });
  it('refuses a name when ANY answer is blocked, whichever comes first (does not pick the good one)', async () => {
    for (const answers of [['8.8.8.8', '10.0.0.1'], ['10.0.0.1', '8.8.8.8'], ['2606:4700::1111', 'fd00::1']]) {
      await refused(safeFetch('https://client.example/x', base({ allowLoopback: false, resolver: fixedResolver(answers) })), 'address_blocked');
    }
  });
  it('refuses loopback answers unless allowLoopback (--dev)', async () => {
    await refused(safeFetch('https://client.example/x', base({ allowLoopback: false })), 'address_blocked');
  });
  it('refuses IP-literal URLs without asking the resolver', async () => {
    const resolver = fixedResolver(['8.8.8.8']);
    await refused(safeFetch('https://169.254.169.254/latest/meta-data', base({ resolver })), 'address_blocked');
    await refused(safeFetch('https://[::ffff:10.0.0.1]/x', base({ resolver })), 'address_blocked');
    await refused(safeFetch('https://[::1]/x', base({ resolver, allowLoopback: false })), 'address_blocked');
    await refused(safeFetch('https://0x7f.1/x', base({ resolver, allowLoopback: false })), 'address_blocked');
    assert.equal(resolver.calls, 0);
  });
  it('reports DNS failures and empty answers as dns_failed', async () => {
    await refused(safeFetch('https://client.example/x', base({ resolver: async () => { throw new Error('ENOTFOUND'); } })), 'dns_failed');
    await refused(safeFetch('https://client.example/x', base({ resolver: fixedResolver([]) })), 'dns_failed');
  });
});

describe('DNS is resolved once and the connection is pinned to that address, BP "DNS Resolution Considerations" (net.safe-fetch.pinned)', () => {
  it('fetches from the pinned loopback address while TLS verifies the certificate for the hostname (SNI)', async () => {
    const s = await https(json);
    const res = await safeFetch(`https://client.example:${s.port}/client.json`, base());
    assert.equal(res.status, 200);
    assert.equal(res.address, '127.0.0.1');
    assert.equal(new TextDecoder().decode(res.body), '{"ok":true}');
    assert.equal(res.headers.get('content-type'), 'application/json');
    assert.equal(res.headers.get('x-seen-accept'), 'application/json');
    assert.equal(res.headers.get('x-seen-ua'), 'portcullis');
    assert.equal(res.headers.get('x-seen-cookie'), 'none');
  });
  it('a rebinding resolver (127.0.0.1, then 127.0.0.2) is asked once; the request reaches the first answer', async () => {
    const a = await https((_q, r) => r.end('A'), '127.0.0.1');
    await https((_q, r) => r.end('B'), '127.0.0.2', a.port);
    const resolver = fixedResolver(['127.0.0.1'], ['127.0.0.2'], ['10.0.0.1']);
    const res = await safeFetch(`https://client.example:${a.port}/`, base({ resolver }));
    assert.equal(new TextDecoder().decode(res.body), 'A');
    assert.equal(res.address, '127.0.0.1');
    assert.equal(resolver.calls, 1);
  });
  it('the connect-time lookup answers only the pinned address, whatever the hostname', () => {
    const lookup = pinnedLookup({ address: '127.0.0.1', family: 4 });
    lookup('evil.example', { all: true }, (err, addrs) => assert.deepEqual([err, addrs], [null, [{ address: '127.0.0.1', family: 4 }]]));
    lookup('evil.example', {}, (err, addr, family) => assert.deepEqual([err, addr, family], [null, '127.0.0.1', 4]));
  });
  it('refuses a certificate that does not name the hostname, or that no trusted CA signed', async () => {
    const s = await https(json);
    await refused(safeFetch(`https://other.example:${s.port}/x`, base()), 'network_error');
    await refused(safeFetch(`https://client.example:${s.port}/x`, base({ ca: [] })), 'network_error');
  });
});

describe('CIMD §4 (-01): redirects are never followed (net.safe-fetch.no-redirects)', () => {
  for (const status of [301, 302, 303, 307, 308]) {
    it(`${status} → redirect_refused`, async () => {
      let hits = 0;
      const s = await https((req, res) => { hits += 1; res.writeHead(status, { location: `/elsewhere${req.url}` }); res.end(); });
      await refused(safeFetch(`https://client.example:${s.port}/x`, base()), 'redirect_refused');
      assert.equal(hits, 1);
    });
  }
  it('returns other statuses to the caller (CIMD decides that only 200 is success)', async () => {
    const s = await https((_q, r) => { r.writeHead(404); r.end('nope'); });
    assert.equal((await safeFetch(`https://client.example:${s.port}/x`, base())).status, 404);
  });
});

describe('CIMD §6.6: the response size is capped (net.safe-fetch.size-cap)', () => {
  it('refuses early by Content-Length', async () => {
    const s = await https((_q, r) => { r.writeHead(200, { 'content-length': '10000' }); r.end('x'.repeat(10000)); });
    const e = await refused(safeFetch(`https://client.example:${s.port}/x`, base()), 'too_large');
    assert.match(e.message, /content-length 10000/);
  });
  it('aborts a chunked body once it passes maxBytes', async () => {
    const s = await https((_q, r) => {
      r.writeHead(200, { 'content-type': 'application/json' });
      const timer = setInterval(() => r.write('x'.repeat(1000)), 5);
      r.on('close', () => clearInterval(timer));
    });
    const e = await refused(safeFetch(`https://client.example:${s.port}/x`, base()), 'too_large');
    assert.match(e.message, /body exceeds 5120/);
  });
  it('accepts a body of exactly maxBytes', async () => {
    const s = await https((_q, r) => { r.write('x'.repeat(2000)); r.end('y'.repeat(3120)); });
    assert.equal((await safeFetch(`https://client.example:${s.port}/x`, base())).body.byteLength, 5120);
  });
});

describe('CIMD §3.3 step 3 (rec.): short total timeout (net.safe-fetch.timeout)', () => {
  it('a server that never answers → timeout', async () => {
    const s = await https(() => undefined);
    const t0 = Date.now();
    await refused(safeFetch(`https://client.example:${s.port}/x`, base({ timeoutMs: 300 })), 'timeout');
    assert.ok(Date.now() - t0 < 2000);
  });
  it('a body that stalls after the headers → timeout', async () => {
    const s = await https((_q, r) => { r.writeHead(200); r.write('{"a":'); });
    await refused(safeFetch(`https://client.example:${s.port}/x`, base({ timeoutMs: 300 })), 'timeout');
  });
  it('a resolver that never answers → timeout (DNS counts against the cap)', async () => {
    await refused(safeFetch('https://client.example/x', base({ timeoutMs: 200, resolver: () => new Promise(() => undefined) })), 'timeout');
  });
});

describe('CIMD §3: https only, no userinfo (net.safe-fetch.https-only)', () => {
  it('refuses http unless allowHttp, and then only to a loopback host', async () => {
    const s = await http(json);
    await refused(safeFetch(`http://127.0.0.1:${s.port}/x`, base()), 'scheme_not_allowed');
    const ok = await safeFetch(`http://127.0.0.1:${s.port}/x`, base({ allowHttp: true }));
    assert.equal(ok.status, 200);
    await refused(safeFetch(`http://client.example:${s.port}/x`, base({ allowHttp: true })), 'scheme_not_allowed');
    await refused(safeFetch(`http://localhost:${s.port}/x`, base({ allowHttp: true, resolver: fixedResolver(['8.8.8.8']) })), 'scheme_not_allowed');
  });
  it('refuses other schemes, userinfo and non-URLs', async () => {
    await refused(safeFetch('ftp://client.example/x', base()), 'scheme_not_allowed');
    await refused(safeFetch('file:///etc/passwd', base()), 'scheme_not_allowed');
    await refused(safeFetch('https://user:pw@client.example/x', base()), 'bad_url');
    await refused(safeFetch('https://@client.example/x', base()), 'bad_url');
    await refused(safeFetch('/relative', base()), 'bad_url');
  });
});
