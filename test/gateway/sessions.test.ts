import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SessionBindings } from '../../src/gateway/sessions.js';
import { INIT, MCP_HEADERS, startGateway, type GatewayHarness } from './helpers/harness.js';
import { startUpstream, statefulMcp, type Upstream } from './helpers/upstream.js';

const APP = 'https://app.example.com';
let upstream: Upstream;
let h: GatewayHarness;
let alice: string;
let bob: string;
before(async () => {
  upstream = await startUpstream(statefulMcp());
  h = await startGateway({ upstream: upstream.url, allowedOrigins: [APP] });
  alice = await h.token({ sub: 'alice' });
  bob = await h.token({ sub: 'bob', grant_id: 'grant-bob' });
});
after(async () => {
  await h.close();
  await upstream.close();
});

const LIST = { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} };
function send(token: string, method: string, session?: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { ...MCP_HEADERS, authorization: `Bearer ${token}`, 'mcp-protocol-version': '2025-06-18' };
  if (session) headers['mcp-session-id'] = session;
  return fetch(h.url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}
async function openSession(token: string): Promise<string> {
  const res = await send(token, 'POST', undefined, INIT);
  assert.equal(res.status, 200);
  await res.text();
  const id = res.headers.get('mcp-session-id');
  assert.ok(id, 'the upstream issued a session');
  assert.equal((await send(token, 'POST', id, { jsonrpc: '2.0', method: 'notifications/initialized' })).status, 202);
  return id;
}
const seenWith = (session: string) => upstream.seen.filter((r) => r.headers['mcp-session-id'] === session).length;

async function expect404NotForwarded(token: string, method: string, session: string, body?: unknown) {
  const before = seenWith(session);
  const res = await send(token, method, session, body);
  assert.equal(res.status, 404, `${method} ${session}`);
  assert.deepEqual(await res.json(), { jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null });
  assert.equal(seenWith(session), before, 'never forwarded');
}

describe('2025-11-25 Security Best Practices "Session Hijacking": legacy sessions bound to the token subject (gw.session.bound-to-sub)', () => {
  it('the owner uses the session; Mcp-Session-Id is exposed to browsers', async () => {
    const res = await fetch(h.url, { method: 'POST', headers: { ...MCP_HEADERS, origin: APP, authorization: `Bearer ${alice}` }, body: JSON.stringify(INIT) });
    assert.ok(res.headers.get('mcp-session-id'));
    assert.match(res.headers.get('access-control-expose-headers')!, /Mcp-Session-Id/);
    await res.text();
    const s = await openSession(alice);
    const list = await send(alice, 'POST', s, LIST);
    assert.equal(list.status, 200);
    assert.equal((await list.json()).result.tools.length, 2);
  });

  it('another subject presenting the session id gets 404 for POST, GET and DELETE, never forwarded', async () => {
    const s = await openSession(alice);
    await expect404NotForwarded(bob, 'POST', s, LIST);
    await expect404NotForwarded(bob, 'GET', s);
    await expect404NotForwarded(bob, 'DELETE', s);
    assert.equal((await send(alice, 'POST', s, LIST)).status, 200, "bob's attempts leave alice's session intact");
  });

  it('an unknown session id gets 404, never forwarded', async () => {
    await expect404NotForwarded(alice, 'POST', 'made-up-session', LIST);
  });

  it('DELETE by the owner ends the session and removes the binding', async () => {
    const s = await openSession(alice);
    const del = await send(alice, 'DELETE', s);
    assert.equal(del.status, 200);
    await expect404NotForwarded(alice, 'POST', s, LIST);
  });
});

describe('SessionBindings: bounded, idle TTL (gw.session.bounded)', () => {
  const make = (maxEntries = 3, ttlMs = 1000) => {
    const clock = { now: 0 };
    return { clock, b: new SessionBindings({ maxEntries, ttlMs, clock: () => clock.now }) };
  };

  it('binds, refuses to rebind to another subject, deletes', () => {
    const { b } = make();
    assert.equal(b.bind('s1', 'alice'), true);
    assert.equal(b.bind('s1', 'alice'), true);
    assert.equal(b.bind('s1', 'bob'), false);
    assert.equal(b.owner('s1'), 'alice');
    b.delete('s1');
    assert.equal(b.owner('s1'), undefined);
  });

  it('idle entries expire; use extends them', () => {
    const { b, clock } = make(3, 1000);
    b.bind('s1', 'alice');
    b.bind('s2', 'alice');
    clock.now = 900;
    assert.equal(b.owner('s1'), 'alice'); // extended to 1900
    clock.now = 1000;
    assert.equal(b.owner('s2'), undefined);
    clock.now = 1899;
    assert.equal(b.owner('s1'), 'alice');
  });

  it('never holds more than maxEntries; the least recently used goes first', () => {
    const { b } = make(3);
    for (const s of ['s1', 's2', 's3']) b.bind(s, 'alice');
    b.owner('s1'); // s2 is now the least recently used
    b.bind('s4', 'alice');
    assert.equal(b.size, 3);
    assert.equal(b.owner('s2'), undefined);
    assert.equal(b.owner('s1'), 'alice');
    for (let i = 0; i < 100; i++) b.bind(`x${i}`, 'bob');
    assert.equal(b.size, 3);
  });

  it('expired entries are dropped before live ones are evicted', () => {
    const { b, clock } = make(2, 1000);
    b.bind('old', 'alice');
    clock.now = 600;
    b.bind('live', 'alice');
    clock.now = 1200; // "old" expired, "live" not
    b.bind('new', 'alice');
    assert.equal(b.owner('live'), 'alice');
    assert.equal(b.owner('new'), 'alice');
  });
});
