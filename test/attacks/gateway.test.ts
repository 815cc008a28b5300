/**
 * Issue 10 attack suite — the gateway (MCP [SEC] Token Passthrough; [HTTP] Security / Server Validation; RFC 9110
 * §7.6.1; MCP [AUTH] Runtime Insufficient Scope). The upstream MCP fixture records every request it receives: a
 * refused attack never reaches it, and no client token or Portcullis cookie ever arrives there.
 * `[bites: <control>]`: see scripts/mutation-run.mjs.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { Agent } from 'undici';
import { ALLOWED_ORIGIN, mcp, obtainTokens, refusedWithoutWrite, startTarget, toolsCall, type AttackTarget } from './harness.js';

let t: AttackTarget;
let reader: string; // notes:read only
let writer: string; // notes:read notes:write
before(async () => {
  t = await startTarget();
  reader = (await obtainTokens(t, { scope: 'notes:read' })).access_token;
  writer = (await obtainTokens(t, { scope: 'notes:read notes:write' })).access_token;
});
after(() => t.close());

/** a JSON-RPC error from the gateway: status, code, the upstream never reached, nothing stored */
async function refusedByGateway(send: () => Promise<Response>, status: number, code: number): Promise<Response> {
  const before = t.upstream.length;
  const { result } = await refusedWithoutWrite(t, send);
  const text = await result.clone().text();
  assert.equal(result.status, status, text);
  assert.equal((JSON.parse(text) as { error: { code: number } }).error.code, code, text);
  assert.equal(t.upstream.length, before, 'the upstream was never reached');
  return result;
}

/** the last request the upstream saw */
const lastUpstream = () => t.upstream[t.upstream.length - 1]!;

/** raw HTTP on a socket: what a fetch client cannot send. Resolves with what the server answered, or '' on close. */
function rawRequest(chunks: Array<string | { wait: number }>, timeoutMs = 5000): Promise<{ response: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const { port } = new URL(t.base);
    const socket = connect(Number(port), '127.0.0.1');
    let response = '';
    let stop = false;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (response += d));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      stop = true;
      clearTimeout(timer);
      resolve({ response, ms: Date.now() - started });
    });
    socket.on('connect', async () => {
      for (const c of chunks) {
        if (stop) return;
        if (typeof c === 'string') socket.write(c);
        else await new Promise((r) => setTimeout(r, c.wait));
      }
    });
  });
}

describe('attack: token passthrough and header smuggling through the gateway (MCP [SEC] Token Passthrough; RFC 9110 §7.6.1)', () => {
  it('the client\'s bearer token never reaches the upstream (gw.proxy.no-token-passthrough) [bites: gw.token-strip]', async () => {
    const res = await mcp(t, writer, toolsCall('add_note'));
    assert.equal(res.status, 200, await res.text());
    const seen = lastUpstream();
    assert.equal(seen.headers.authorization, undefined);
    assert.ok(!JSON.stringify(seen).includes(writer.split('.')[2]!), 'no part of the token anywhere in what the upstream received');
  });

  it('a Proxy-Authorization header carrying the token is not forwarded (gw.proxy.no-token-passthrough)', async () => {
    await mcp(t, reader, toolsCall('list_notes'), { 'proxy-authorization': `Bearer ${reader}` });
    assert.equal(lastUpstream().headers['proxy-authorization'], undefined);
    assert.ok(!JSON.stringify(lastUpstream().headers).includes(reader.split('.')[2]!));
  });

  it('Portcullis session cookies sent to /mcp are not forwarded to the upstream (gw.proxy.no-token-passthrough)', async () => {
    await mcp(t, reader, toolsCall('list_notes'), { cookie: '__Host-portcullis-session=stolen; other=1' });
    assert.equal(lastUpstream().headers.cookie, undefined);
  });

  it('spoofed X-Forwarded-For/Host/Proto and Forwarded are replaced by the gateway\'s own (gw.proxy.no-token-passthrough)', async () => {
    await mcp(t, reader, toolsCall('list_notes'), { 'x-forwarded-for': '10.9.9.9', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'gopher', forwarded: 'for=10.9.9.9;host=evil.example', 'x-real-ip': '10.9.9.9' });
    const h = lastUpstream().headers;
    assert.equal(h['x-forwarded-for'], '127.0.0.1');
    assert.equal(h['x-forwarded-host'], new URL(t.base).host);
    assert.equal(h['x-forwarded-proto'], 'http');
    assert.equal(h.forwarded, undefined);
    assert.equal(h['x-real-ip'], undefined);
  });

  it('a header the client names in Connection (hop-by-hop) is dropped (gw.proxy.no-token-passthrough)', async () => {
    const body = JSON.stringify(toolsCall('list_notes'));
    const { response } = await rawRequest([`POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${reader}\r\nContent-Type: application/json\r\nConnection: close, x-smuggled\r\nX-Smuggled: yes\r\nContent-Length: ${body.length}\r\n\r\n${body}`]);
    assert.match(response, /^HTTP\/1\.1 200/);
    assert.equal(lastUpstream().headers['x-smuggled'], undefined);
  });

  it('the upstream\'s Set-Cookie never reaches the client (cannot shadow Portcullis cookies) (gw.proxy.no-token-passthrough)', async () => {
    const res = await mcp(t, reader, toolsCall('list_notes'));
    assert.equal(res.status, 200);
    assert.deepEqual(res.headers.getSetCookie(), []);
  });

  it('request smuggling: Transfer-Encoding and Content-Length together are refused before the gateway (gw.proxy.no-token-passthrough)', async () => {
    const before = t.upstream.length;
    const body = JSON.stringify(toolsCall('list_notes'));
    const { response } = await rawRequest([`POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${reader}\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`]);
    assert.match(response, /^HTTP\/1\.1 400/);
    assert.equal(t.upstream.length, before);
  });

  it('a request body smuggled with an obsolete line-folded header is refused (gw.proxy.no-token-passthrough)', async () => {
    const before = t.upstream.length;
    const { response } = await rawRequest([`POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${reader}\r\nX-A: 1\r\n Transfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n{}`]);
    assert.match(response, /^HTTP\/1\.1 400/);
    assert.equal(t.upstream.length, before);
  });
});

describe('attack: cross-origin and DNS-rebinding requests (MCP [HTTP] Security: validate Origin)', () => {
  const origins: Array<[string, string]> = [
    ['a foreign origin', 'https://evil.example'],
    ['the opaque origin "null"', 'null'],
    ['an allowed origin with another scheme', 'http://app.example'],
    ['an allowed origin with another port', 'https://app.example:8443'],
    ['a look-alike subdomain of an allowed origin', 'https://app.example.evil.example'],
    ['an origin with a path', 'https://app.example/x'],
  ];
  for (const [name, origin] of origins) {
    it(`${name} is refused with 403 before any token check (gw.origin.validate) [bites: gw.origin]`, async () => {
      await refusedByGateway(() => mcp(t, reader, toolsCall('list_notes'), { origin }), 403, -32000);
    });
  }

  it('a CORS preflight from a foreign origin is refused with 403 (gw.origin.validate) [bites: gw.origin]', async () => {
    const { result } = await refusedWithoutWrite(t, () => t.fetch('/mcp', { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' } }));
    assert.equal(result.status, 403);
    assert.equal(result.headers.get('access-control-allow-origin'), null);
  });

  it('the configured origin passes (gw.origin.validate)', async () => {
    const res = await mcp(t, reader, toolsCall('list_notes'), { origin: ALLOWED_ORIGIN });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), ALLOWED_ORIGIN);
  });
});

describe('attack: bodies the gateway must not pass uninspected (MCP [HTTP] Server Validation; ARCHITECTURE Wire revisions)', () => {
  it('an oversized body (4 MiB + 1) is refused with 413 and never forwarded (gw.body.cap) [bites: gw.body-cap]', async () => {
    const big = JSON.stringify({ ...toolsCall('list_notes'), pad: 'x'.repeat(4 * 1024 * 1024) });
    await refusedByGateway(() => mcp(t, reader, big), 413, -32600);
  });

  it('an oversized chunked body (no Content-Length) is refused with 413 (gw.body.cap) [bites: gw.body-cap]', async () => {
    const chunk = 'x'.repeat(1024 * 1024);
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_notes"},"pad":"`));
        for (let i = 0; i < 5; i++) c.enqueue(new TextEncoder().encode(chunk));
        c.enqueue(new TextEncoder().encode('"}'));
        c.close();
      },
    });
    // its own connection pool: the server answers before reading the rest and closes that connection
    const pool = new Agent();
    try {
      await refusedByGateway(() => t.fetch('/mcp', { method: 'POST', headers: { authorization: `Bearer ${reader}`, 'content-type': 'application/json' }, body: stream, duplex: 'half', dispatcher: pool } as RequestInit), 413, -32600);
    } finally {
      await pool.close().catch(() => undefined);
    }
  });

  it('a body that is not JSON is refused with a parse error, not forwarded (gw.body.cap)', async () => {
    await refusedByGateway(() => mcp(t, reader, '{"jsonrpc":"2.0","method":"tools/call",'), 400, -32700);
  });

  it('invalid UTF-8 in the body is refused with a parse error (gw.body.cap)', async () => {
    await refusedByGateway(() => t.fetch('/mcp', { method: 'POST', headers: { authorization: `Bearer ${reader}`, 'content-type': 'application/json' }, body: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]) }), 400, -32700);
  });

  it('Mcp-Method header disagreeing with the body method is refused with -32020 (gw.mcp-headers.consistent) [bites: gw.header-mismatch]', async () => {
    await refusedByGateway(() => mcp(t, writer, toolsCall('add_note'), { 'mcp-method': 'tools/list' }), 400, -32020);
  });

  it('Mcp-Name header disagreeing with the tool called is refused with -32020 (gw.mcp-headers.consistent) [bites: gw.header-mismatch]', async () => {
    await refusedByGateway(() => mcp(t, writer, toolsCall('add_note'), { 'mcp-method': 'tools/call', 'mcp-name': 'list_notes' }), 400, -32020);
  });

  it('Mcp-Method/Mcp-Name headers on a batch are refused with -32020 (gw.mcp-headers.consistent) [bites: gw.header-mismatch]', async () => {
    await refusedByGateway(() => mcp(t, writer, [toolsCall('list_notes', 1), toolsCall('add_note', 2)], { 'mcp-method': 'tools/call', 'mcp-name': 'list_notes' }), 400, -32020);
  });

  it('a base64-encoded Mcp-Name that decodes to another tool is refused (gw.mcp-headers.consistent) [bites: gw.header-mismatch]', async () => {
    const encoded = `=?base64?${Buffer.from('list_notes').toString('base64')}?=`;
    await refusedByGateway(() => mcp(t, writer, toolsCall('add_note'), { 'mcp-method': 'tools/call', 'mcp-name': encoded }), 400, -32020);
  });
});

describe('attack: per-tool policy evasion (MCP [AUTH] Runtime Insufficient Scope; ARCHITECTURE Wire revisions)', () => {
  /** 403 insufficient_scope (RFC 6750 §3.1) naming the scope, never forwarded; the denial audited */
  async function insufficientScope(message: unknown, scope: RegExp): Promise<void> {
    const before = t.upstream.length;
    const { result } = await refusedWithoutWrite(t, () => mcp(t, reader, message));
    await t.audit.flush();
    assert.equal(result.status, 403, await result.text());
    const challenge = result.headers.get('www-authenticate') ?? '';
    assert.match(challenge, /error="insufficient_scope"/);
    assert.match(challenge, scope);
    assert.equal(t.upstream.length, before);
    const [denied] = await t.store.listAudit({ types: ['tool.denied'], order: 'desc', limit: 1 });
    assert.ok(denied, 'tool.denied audited');
  }

  it('calling a tool outside the token\'s scopes is refused with 403 insufficient_scope (gw.policy.insufficient-scope) [bites: gw.scope-policy]', async () => {
    await insufficientScope(toolsCall('add_note'), /scope="[^"]*notes:write/);
  });

  it('a forbidden call hidden in a batch refuses the whole batch, nothing forwarded (gw.policy.insufficient-scope) [bites: gw.scope-policy]', async () => {
    await insufficientScope([toolsCall('list_notes', 1), toolsCall('add_note', 2)], /notes:write/);
  });

  it('duplicate JSON keys: the name the policy checks is the name forwarded (gw.policy.insufficient-scope) [bites: gw.scope-policy]', async () => {
    await insufficientScope('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_notes","name":"add_note"}}', /notes:write/);
  });

  it('unicode-escaped method and tool name are decoded before the policy (gw.policy.insufficient-scope) [bites: gw.scope-policy]', async () => {
    await insufficientScope('{"jsonrpc":"2.0","id":1,"method":"tools\\u002fcall","params":{"name":"add\\u005fnote"}}', /notes:write/);
  });

  it('a tool no role grants (notes:admin) is refused even to a writer (gw.policy.insufficient-scope) [bites: gw.scope-policy]', async () => {
    const before = t.upstream.length;
    const res = await mcp(t, writer, toolsCall('delete_all'));
    assert.equal(res.status, 403);
    assert.match(res.headers.get('www-authenticate') ?? '', /notes:admin/);
    assert.equal(t.upstream.length, before);
  });

  it('tools/list shows only the tools the token may call (gw.policy.list-filtered) [bites: gw.scope-policy]', async () => {
    const res = await mcp(t, reader, { jsonrpc: '2.0', id: 7, method: 'tools/list' });
    const body = (await res.json()) as { result: { tools: Array<{ name: string }> } };
    assert.deepEqual(body.result.tools.map((x) => x.name), ['list_notes']);
  });

  it('a legacy session id not bound to this subject is answered as unknown, not forwarded (gw.session.bound-to-sub) [bites: gw.session-binding]', async () => {
    await refusedByGateway(() => mcp(t, reader, toolsCall('list_notes'), { 'mcp-session-id': 'someone-elses-session' }), 404, -32001);
  });
});

describe('attack: slow clients (slowloris) (issue 10; src/server/timeouts.ts)', () => {
  it('headers trickled forever are cut off with 408 by the headers timeout, never forwarded (gw.slow-clients)', async () => {
    const before = t.upstream.length;
    const chunks: Array<string | { wait: number }> = ['POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n'];
    for (let i = 0; i < 40; i++) chunks.push({ wait: 100 }, `X-Slow-${i}: 1\r\n`);
    const { response, ms } = await rawRequest(chunks, 6000);
    assert.ok(response === '' || /^HTTP\/1\.1 408/.test(response), response.slice(0, 100));
    assert.ok(ms < 4000, `cut off after ${ms} ms`);
    assert.equal(t.upstream.length, before);
  });

  it('a body trickled one byte at a time is cut off by the request timeout, never forwarded (gw.slow-clients)', async () => {
    const before = t.upstream.length;
    const chunks: Array<string | { wait: number }> = [`POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${reader}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n`];
    for (let i = 0; i < 60; i++) chunks.push({ wait: 100 }, ' ');
    const { response, ms } = await rawRequest(chunks, 8000);
    assert.ok(response === '' || /^HTTP\/1\.1 408/.test(response), response.slice(0, 100));
    assert.ok(ms < 5000, `cut off after ${ms} ms`);
    assert.equal(t.upstream.length, before);
  });
});
