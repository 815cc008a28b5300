import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/core/errors.js';
import { createOriginCheck } from '../../src/gateway/origin.js';
import { INIT, MCP_HEADERS, startGateway, type GatewayHarness } from './helpers/harness.js';
import { startUpstream, statelessMcp, type Upstream } from './helpers/upstream.js';

const APP = 'https://app.example.com';
let upstream: Upstream;
let dev: GatewayHarness;
let prod: GatewayHarness; // same, but settings.dev = false
before(async () => {
  upstream = await startUpstream(statelessMcp('json'));
  dev = await startGateway({ upstream: upstream.url, allowedOrigins: [APP] });
  prod = await startGateway({ upstream: upstream.url, allowedOrigins: [`${APP}/`], dev: false });
});
after(async () => {
  await dev.close();
  await prod.close();
  await upstream.close();
});

const preflight = (g: GatewayHarness, origin: string) =>
  fetch(g.url, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type, mcp-protocol-version' },
  });
const post = async (g: GatewayHarness, headers: Record<string, string>) =>
  fetch(g.url, { method: 'POST', headers: { ...MCP_HEADERS, ...headers }, body: JSON.stringify(INIT) });

describe('ARCHITECTURE "Browser clients": CORS preflight answered by the gateway (gw.cors.preflight)', () => {
  it('allowed origin: 204 with methods, headers (Authorization, MCP-Protocol-Version, Mcp-Method…), expose, Vary', async () => {
    const n = upstream.seen.length;
    const res = await preflight(dev, APP);
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), APP);
    assert.equal(res.headers.get('access-control-allow-methods'), 'GET, POST, DELETE, OPTIONS');
    assert.equal(
      res.headers.get('access-control-allow-headers'),
      'Authorization, Content-Type, Accept, MCP-Protocol-Version, Mcp-Session-Id, Mcp-Method, Mcp-Name, Last-Event-ID',
    );
    assert.equal(res.headers.get('access-control-expose-headers'), 'WWW-Authenticate, Mcp-Session-Id');
    assert.match(res.headers.get('vary')!, /\bOrigin\b/);
    assert.equal(res.headers.get('access-control-allow-credentials'), null);
    assert.equal(upstream.seen.length, n, 'preflights are not forwarded');
  });

  it('refused origin: 403 without any access-control-allow-origin', async () => {
    const res = await preflight(dev, 'https://evil.example');
    assert.equal(res.status, 403);
    assert.equal(res.headers.get('access-control-allow-origin'), null);
  });
});

describe('spec-checklist §2A item 24: CORS headers on every response, challenges included (gw.cors.expose-challenge)', () => {
  it('401 from an allowed origin exposes WWW-Authenticate', async () => {
    const res = await post(dev, { origin: APP });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('access-control-allow-origin'), APP);
    assert.equal(res.headers.get('access-control-expose-headers'), 'WWW-Authenticate, Mcp-Session-Id');
    assert.match(res.headers.get('vary')!, /Origin/);
  });

  it('proxied 200 from an allowed origin carries the gateway CORS headers', async () => {
    const res = await post(dev, { origin: APP, authorization: `Bearer ${await dev.token()}` });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), APP);
    assert.equal(res.headers.get('access-control-expose-headers'), 'WWW-Authenticate, Mcp-Session-Id');
  });

  it('no Origin (not a browser): no access-control-allow-origin', async () => {
    const res = await post(dev, {});
    assert.equal(res.headers.get('access-control-allow-origin'), null);
  });
});

describe('MCP [HTTP] "Security Warning": Origin validated, 403 otherwise (gw.origin.validate)', () => {
  it('a foreign Origin → 403 JSON-RPC error, not forwarded, even with a valid token', async () => {
    const n = upstream.seen.length;
    const res = await post(dev, { origin: 'https://evil.example', authorization: `Bearer ${await dev.token()}` });
    assert.equal(res.status, 403);
    assert.equal(res.headers.get('access-control-allow-origin'), null);
    const body = await res.json();
    assert.equal(body.jsonrpc, '2.0');
    assert.equal(body.id, null);
    assert.equal(typeof body.error.code, 'number');
    assert.equal(upstream.seen.length, n);
  });

  it('the opaque origin "null" is refused', async () => {
    assert.equal((await post(dev, { origin: 'null' })).status, 403);
  });

  it('dev: loopback origins on any port pass (localhost, 127.0.0.1, [::1])', async () => {
    for (const o of ['http://localhost:5173', 'http://127.0.0.1:3000', 'http://[::1]:8080']) {
      const res = await post(dev, { origin: o });
      assert.equal(res.status, 401, o);
      assert.equal(res.headers.get('access-control-allow-origin'), o);
    }
  });

  it('not dev: loopback origins are refused; configured (trailing slash tolerated) and issuer origins pass', async () => {
    assert.equal((await post(prod, { origin: 'http://localhost:5173' })).status, 403);
    assert.equal((await post(prod, { origin: APP })).status, 401);
    assert.equal((await post(prod, { origin: prod.issuer })).status, 401);
  });
});

describe('origin policy unit (gw.origin.policy)', () => {
  const check = createOriginCheck({ allowedOrigins: ['https://App.Example.com:443'], dev: false, issuer: 'https://auth.example.com/tenant' });
  it('compares serialised origins', () => {
    assert.equal(check('https://app.example.com'), true);
    assert.equal(check('https://auth.example.com'), true);
    assert.equal(check('https://app.example.com.evil.com'), false);
    assert.equal(check('http://app.example.com'), false);
    assert.equal(check('https://app.example.com:8443'), false);
    assert.equal(check('https://app.example.com/path'), false);
    assert.equal(check('https://user@app.example.com'), false);
    assert.equal(check('null'), false);
    assert.equal(check(''), false);
  });
  it('a configured entry that is not an origin fails at start-up, naming the option', () => {
    for (const bad of ['*', 'app.example.com', 'https://app.example.com/path', 'file:///x']) {
      assert.throws(() => createOriginCheck({ allowedOrigins: [bad], dev: false, issuer: 'https://a.example' }), (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.equal(e.option, 'cors.allowed_origins[0]');
        return true;
      });
    }
  });
});
