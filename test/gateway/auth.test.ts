import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { INIT, MCP_HEADERS, startGateway, toolCall, type GatewayHarness } from './helpers/harness.js';
import { rawRequest } from './helpers/raw.js';
import { startUpstream, statelessMcp, type Upstream } from './helpers/upstream.js';

let upstream: Upstream;
let h: GatewayHarness;
let bare: GatewayHarness; // a resource without scopes
before(async () => {
  upstream = await startUpstream(statelessMcp('json'));
  h = await startGateway({
    upstream: upstream.url,
    tools: { write_note: 'notes:write', echo: 'notes:read' },
    gateway: { maxBodyBytes: 4096 },
  });
  bare = await startGateway({ upstream: upstream.url, scopes: [], tools: {} });
});
after(async () => {
  await h.close();
  await bare.close();
  await upstream.close();
});

const post = (g: GatewayHarness, body: unknown, headers: Record<string, string> = {}, url = g.url) =>
  fetch(url, { method: 'POST', headers: { ...MCP_HEADERS, ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

/** Run `fn` and assert the upstream saw no request meanwhile. */
async function notForwarded<T>(fn: () => Promise<T>): Promise<T> {
  const n = upstream.seen.length;
  const out = await fn();
  assert.equal(upstream.seen.length, n, 'the upstream must not be reached');
  return out;
}

describe('MCP "Authorization Server Location" / RFC 9728 §5.1: 401 without credentials (gw.auth.401-challenge)', () => {
  it('401 with exactly resource_metadata and the resource scopes, no error (rs.challenge.no-error-without-credentials)', async () => {
    const res = await notForwarded(() => post(h, INIT));
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), `Bearer resource_metadata="${h.resource.metadataUrl}", scope="notes:read notes:write"`);
    assert.equal(h.resource.metadataUrl, `${h.issuer}/.well-known/oauth-protected-resource/mcp`);
    assert.equal(res.headers.get('cache-control'), 'no-store');
  });

  it('scope omitted when the resource has none (rs.challenge.scope-omitted)', async () => {
    const res = await notForwarded(() => post(bare, INIT));
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), `Bearer resource_metadata="${bare.resource.metadataUrl}"`);
  });

  it('GET and DELETE need the token too (MCP "Token Requirements": every request)', async () => {
    for (const method of ['GET', 'DELETE']) {
      const res = await notForwarded(() => fetch(h.url, { method, headers: { accept: 'text/event-stream' } }));
      assert.equal(res.status, 401, method);
    }
  });
});

describe('MCP "Token Handling": invalid tokens get 401 invalid_token, the reason only in the log (gw.auth.invalid-token)', () => {
  const expected = () =>
    `Bearer error="invalid_token", scope="notes:read notes:write", resource_metadata="${h.resource.metadataUrl}", error_description="The access token is invalid"`;

  const cases: [string, () => Promise<string>, string][] = [
    ['garbage', async () => 'not-a-jwt', 'malformed'],
    ['another resource (RFC 8707)', () => h.token({ aud: 'http://127.0.0.1:1/other' }), 'wrong_audience'],
    ['expired', () => h.token({ exp: Math.floor(Date.now() / 1000) - 120 }), 'expired'],
    ['another issuer', () => h.token({ iss: 'https://evil.example' }), 'wrong_issuer'],
    ['revoked grant', () => h.token({ grant_id: 'revoked-grant' }), 'revoked'],
  ];
  for (const [title, mint, reason] of cases) {
    it(`${title} → 401, log reason ${reason}, never the token`, async () => {
      h.revoked.add('revoked-grant');
      const token = await mint();
      h.log.entries.length = 0;
      const res = await notForwarded(() => post(h, INIT, bearer(token)));
      assert.equal(res.status, 401);
      assert.equal(res.headers.get('www-authenticate'), expected());
      assert.deepEqual(await res.json(), { error: 'invalid_token', error_description: 'The access token is invalid' });
      assert.equal(h.log.entries[0]?.obj.reason, reason);
      assert.ok(!JSON.stringify(h.log.entries).includes(token), 'token logged');
    });
  }
});

describe('RFC 6750 §2 / MCP "Token Requirements": tokens only in the header (gw.auth.header-only)', () => {
  it('access_token in the query → 400 invalid_request, even with a valid header', async () => {
    const t = await h.token();
    const res = await notForwarded(() => post(h, INIT, bearer(t), `${h.url}?access_token=${t}`));
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error, 'invalid_request');
    assert.match(res.headers.get('www-authenticate')!, /^Bearer error="invalid_request", resource_metadata="/);
  });

  it('token in a form body → 400 invalid_request', async () => {
    const t = await h.token();
    const res = await notForwarded(() =>
      fetch(h.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `access_token=${t}` }),
    );
    assert.equal(res.status, 400);
  });

  it('two Authorization header lines → 400 invalid_request', async () => {
    const t = await h.token();
    const res = await notForwarded(() =>
      rawRequest(h.url, 'POST', [['authorization', `Bearer ${t}`], ['authorization', `Bearer ${t}`], ['content-type', 'application/json'], ['accept', MCP_HEADERS.accept]], JSON.stringify(INIT)),
    );
    assert.equal(res.status, 400);
  });
});

describe('MCP "Runtime Insufficient Scope Errors": 403 insufficient_scope, never forwarded (gw.policy.insufficient-scope)', () => {
  it('single tools/call: exact challenge', async () => {
    const res = await notForwarded(async () => post(h, toolCall('write_note'), bearer(await h.token({ scope: 'notes:read' }))));
    assert.equal(res.status, 403);
    assert.equal(
      res.headers.get('www-authenticate'),
      `Bearer error="insufficient_scope", scope="notes:write", resource_metadata="${h.resource.metadataUrl}", error_description="The access token lacks a scope this request needs"`,
    );
    assert.equal((await res.json()).error, 'insufficient_scope');
  });

  it('a batch is refused whole, naming every scope it needs in one challenge', async () => {
    const batch = [toolCall('echo', 1), toolCall('write_note', 2), { jsonrpc: '2.0', method: 'notifications/cancelled', params: {} }];
    const res = await notForwarded(async () => post(h, batch, bearer(await h.token({ scope: '' }))));
    assert.equal(res.status, 403);
    assert.match(res.headers.get('www-authenticate')!, /^Bearer error="insufficient_scope", scope="notes:read notes:write", /);
    // granted scopes are repeated too, so clients that replace scopes instead of adding them still converge
    const partial = await notForwarded(async () => post(h, batch, bearer(await h.token({ scope: 'notes:read' }))));
    assert.match(partial.headers.get('www-authenticate')!, /scope="notes:read notes:write"/);
  });

  it('a token holding the mapped scope passes', async () => {
    const n = upstream.seen.length;
    const res = await post(h, toolCall('echo'), bearer(await h.token({ scope: 'notes:read' })));
    assert.equal(res.status, 200);
    assert.equal(upstream.seen.length, n + 1);
  });
});

describe('request hygiene', () => {
  it('unparseable JSON → 400 -32700, not forwarded (policy must see every message)', async () => {
    const res = await notForwarded(async () => post(h, '{"jsonrpc":"2.0",', bearer(await h.token())));
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), { jsonrpc: '2.0', error: { code: -32700, message: 'Parse error' }, id: null });
  });

  it('a body over the cap → 413, not forwarded', async () => {
    const big = JSON.stringify({ ...toolCall('echo'), params: { name: 'echo', arguments: { text: 'x'.repeat(5000) } } });
    const res = await notForwarded(async () => post(h, big, bearer(await h.token())));
    assert.equal(res.status, 413);
    // without Content-Length (chunked), the cap holds while reading
    const token = await h.token();
    const chunked = await notForwarded(() =>
      fetch(h.url, {
        method: 'POST',
        headers: { ...MCP_HEADERS, ...bearer(token) },
        body: new Blob([big]).stream(),
        duplex: 'half',
      } as RequestInit),
    );
    assert.equal(chunked.status, 413);
  });

  it('methods other than GET, POST, DELETE, OPTIONS → 405 with Allow', async () => {
    const res = await notForwarded(async () => fetch(h.url, { method: 'PUT', headers: bearer(await h.token()), body: '{}' }));
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'GET, POST, DELETE, OPTIONS');
  });
});

describe('Per-tool policy applies to what the upstream receives (gw.policy.forward-what-was-checked)', () => {
  it('a body with duplicate keys is forwarded as the JSON the policy checked, not the original bytes', async () => {
    const token = await h.token({ scope: 'notes:read' });
    const raw = '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"write_note","name":"echo","arguments":{"text":"hi"}}}';
    const n = upstream.seen.length;
    const res = await post(h, raw, bearer(token));
    assert.equal(res.status, 200);
    const seen = upstream.seen.slice(n).find((s) => s.method === 'POST')!;
    assert.equal((seen.body.match(/"name"/g) ?? []).length, 1, 'one name key reaches the upstream');
    assert.match(seen.body, /"name":"echo"/);
  });
});
