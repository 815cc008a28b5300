/**
 * `createResourceServer` (issue 11 item 1) against a loopback RFC 8414 + JWKS + RFC 7662 issuer: challenges,
 * audience, per-tool scopes, JWKS rotation, introspection, revocation, and failing closed when the AS is away.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createResourceServer, type ResourceServer, type ResourceServerOptions, type RsDecisionEvent } from '../../src/rs/index.js';
import { newKey, startFakeIssuer, type FakeIssuer } from './helpers/issuer.js';

const RESOURCE = 'https://mcp.example.com/mcp';
const PRM = 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp';

let as: FakeIssuer;
const servers: ResourceServer[] = [];
before(async () => {
  as = await startFakeIssuer();
});
after(async () => {
  for (const s of servers) s.close();
  await as.close();
});

function rs(extra: Partial<ResourceServerOptions> = {}): ResourceServer {
  const s = createResourceServer({
    resource: RESOURCE,
    issuer: as.issuer,
    scopes: ['notes:read', 'notes:write', 'notes:admin'],
    scopeImplies: { 'notes:write': ['notes:read'] },
    tools: { list_notes: 'notes:read', add_note: 'notes:write', 'admin_*': 'notes:admin' },
    revocation: 'none',
    jwksCooldownSeconds: 0.2,
    ...extra,
  });
  servers.push(s);
  return s;
}

const call = (token: string | undefined, body: unknown = { jsonrpc: '2.0', id: 1, method: 'tools/list' }, init: RequestInit = {}, url = RESOURCE): Request =>
  new Request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.headers as Record<string, string>) }, body: JSON.stringify(body), ...init });
const toolCall = (token: string, name: string) => call(token, { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name, arguments: {} } });

async function refusal(s: ResourceServer, req: Request): Promise<{ status: number; challenge: string; body: Record<string, unknown> }> {
  const v = await s.handle(req);
  assert.equal(v.ok, false, 'refused');
  if (v.ok) throw new Error('unreachable');
  return { status: v.response.status, challenge: v.response.headers.get('www-authenticate') ?? '', body: (await v.response.json()) as Record<string, unknown> };
}

beforeEach(() => {
  as.down.clear();
  as.metadataOverride = {};
});

describe('resource server core: challenges and identity (RFC 6750, RFC 9728 §5.1, MCP "Token Requirements") (rs.protect.challenge)', () => {
  test('PRM document at the RFC 9728 §3.1 path-inserted URL; other paths are not metadata (rs.protect.prm)', async () => {
    const s = rs({ resourceName: 'Notes' });
    assert.equal(s.resourceMetadataUrl, PRM);
    const res = s.prm(new Request(PRM));
    assert.ok(res);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { resource: RESOURCE, authorization_servers: [as.issuer], bearer_methods_supported: ['header'], scopes_supported: ['notes:read', 'notes:write', 'notes:admin'], resource_name: 'Notes' });
    assert.equal(s.prm(new Request(RESOURCE)), null);
    assert.equal(s.prm(new Request('https://mcp.example.com/.well-known/oauth-protected-resource')), null);
  });

  test('no token → 401 with resource_metadata and scope, no error (RFC 6750 §3.1, MCP "Scope Selection Strategy") (rs.protect.challenge)', async () => {
    const r = await refusal(rs(), call(undefined));
    assert.equal(r.status, 401);
    assert.equal(r.challenge, `Bearer resource_metadata="${PRM}", scope="notes:read notes:write notes:admin"`);
  });

  test('token in the query or a form body → 400 invalid_request (RFC 6750 §2.2–2.3, MCP "Token Requirements") (rs.protect.challenge)', async () => {
    const s = rs();
    const token = await as.sign(as.keys[0]!, { aud: RESOURCE });
    assert.equal((await refusal(s, call(token, {}, {}, `${RESOURCE}?access_token=${token}`))).status, 400);
    const form = new Request(RESOURCE, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `access_token=${token}` });
    const r = await refusal(s, form);
    assert.equal(r.status, 400);
    assert.match(r.challenge, /^Bearer error="invalid_request"/);
  });

  test('valid token → identity and the SDK AuthInfo; the body the policy checked is handed on (rs.protect.identity)', async () => {
    const events: RsDecisionEvent[] = [];
    const s = rs({ onDecision: (e) => events.push(e) });
    const token = await as.sign(as.keys[0]!, { aud: RESOURCE, scope: 'notes:read', sub: 'u-1', client_id: 'https://client.example/c.json' });
    const v = await s.handle(call(token));
    assert.ok(v.ok, 'accepted');
    assert.deepEqual({ ...v.identity, claims: undefined }, { sub: 'u-1', client_id: 'https://client.example/c.json', scopes: ['notes:read'], claims: undefined, exp: v.identity.exp });
    assert.equal(v.identity.claims.aud, RESOURCE);
    assert.equal(v.authInfo.token, token);
    assert.equal(v.authInfo.clientId, 'https://client.example/c.json');
    assert.deepEqual(v.authInfo.scopes, ['notes:read']);
    assert.equal(v.authInfo.resource?.href, RESOURCE);
    assert.equal(typeof v.authInfo.expiresAt, 'number');
    assert.deepEqual(v.parsedBody, { jsonrpc: '2.0', id: 1, method: 'tools/list' });
    assert.deepEqual(events.map((e) => e.type), ['allowed']);
    assert.ok(!JSON.stringify(events).includes(token), 'the decision log never carries the token');
  });

  test('wrong audience, wrong typ, expired, wrong issuer, unknown kid → 401 invalid_token, reason only in the log (RFC 9068 §4) (rs.protect.audience-required)', async () => {
    const events: RsDecisionEvent[] = [];
    const s = rs({ onDecision: (e) => events.push(e) });
    const k = as.keys[0]!;
    const bad = [
      await as.sign(k, { aud: 'https://other.example.com/mcp' }),
      await as.sign(k, { aud: 'https://mcp.example.com/' }),
      await as.sign(k, { aud: 'https://mcp.example.com/mcp/' }),
      await as.sign(k, {}),
      await as.sign(k, { aud: RESOURCE }, { typ: 'JWT' }),
      await as.sign(k, { aud: RESOURCE }, { expSeconds: -120 }),
      await as.sign(k, { aud: RESOURCE, iss: 'https://evil.example' }),
      await as.sign(await newKey('k1'), { aud: RESOURCE }), // right kid, wrong key
      'opaque-token-without-introspection',
    ];
    for (const token of bad) {
      const r = await refusal(s, call(token));
      assert.equal(r.status, 401, token);
      assert.match(r.challenge, /^Bearer error="invalid_token", scope="[^"]+", resource_metadata="[^"]+", error_description="The access token is invalid"$/);
      assert.equal(r.body.error, 'invalid_token');
    }
    assert.deepEqual(events.map((e) => e.type), bad.map(() => 'invalid_token'));
    assert.ok(events.some((e) => e.reason === 'wrong_audience'));
    // an audience array that contains the resource is this resource's token (RFC 7519 §4.1.3)
    assert.ok((await s.handle(call(await as.sign(k, { aud: ['https://other.example', RESOURCE] })))).ok);
  });
});

describe('resource server core: per-tool scopes on JSON-RPC tools/call (MCP "Runtime Insufficient Scope Errors", "Step-Up Authorization Flow") (rs.protect.step-up)', () => {
  test('tools/call without the tool scope → 403 insufficient_scope naming the scope; hierarchy honoured; batches checked as a whole', async () => {
    const s = rs();
    const read = await as.sign(as.keys[0]!, { aud: RESOURCE, scope: 'notes:read' });
    const write = await as.sign(as.keys[0]!, { aud: RESOURCE, scope: 'notes:write' });
    assert.ok((await s.handle(toolCall(read, 'list_notes'))).ok);
    const r = await refusal(s, toolCall(read, 'add_note'));
    assert.equal(r.status, 403);
    assert.equal(r.challenge, `Bearer error="insufficient_scope", scope="notes:write", resource_metadata="${PRM}", error_description="The access token lacks a scope this request needs"`);
    assert.ok((await s.handle(toolCall(write, 'list_notes'))).ok, 'notes:write implies notes:read');
    assert.ok((await s.handle(toolCall(write, 'add_note'))).ok);
    assert.equal((await refusal(s, toolCall(write, 'admin_wipe'))).status, 403, 'glob policy');
    const batch = call(read, [
      { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_notes' } },
      { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'add_note' } },
    ]);
    assert.match((await refusal(s, batch)).challenge, /scope="notes:read notes:write"/);
    // the same policy for the server's own list filtering
    assert.deepEqual(['list_notes', 'add_note', 'admin_wipe', 'other'].filter((t) => s.allows({ scopes: ['notes:write'] }, 'tool', t)), ['list_notes', 'add_note', 'other']);
  });

  test('unlisted: deny → a tool outside the policy is a JSON-RPC 403, whatever the scopes; an unparseable body is refused (rs.protect.policy)', async () => {
    const s = rs({ unlisted: 'deny' });
    const token = await as.sign(as.keys[0]!, { aud: RESOURCE, scope: 'notes:read notes:write notes:admin' });
    const v = await s.handle(toolCall(token, 'rm_rf'));
    assert.equal(v.ok, false);
    if (v.ok) return;
    assert.equal(v.response.status, 403);
    assert.deepEqual(await v.response.json(), { jsonrpc: '2.0', error: { code: -32000, message: 'Forbidden: not permitted by the resource policy' }, id: 3 });
    const garbage = new Request(RESOURCE, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"jsonrpc":' });
    const g = await s.handle(garbage);
    assert.equal(g.ok, false);
    if (!g.ok) assert.equal(g.response.status, 400);
  });
});

describe('resource server core: the issuer and its keys (RFC 8414 §3, RFC 7517) (rs.protect.jwks)', () => {
  test('a new signing key (rotation) is fetched on its unknown kid; unknown kids refetch at most once per cooldown (rs.protect.jwks-rotation)', async () => {
    const s = rs({ jwksCooldownSeconds: 1 });
    await s.ready();
    const before = as.hits.jwks;
    const k2 = await newKey('k2');
    as.keys.push(k2);
    await sleep(1050);
    assert.ok((await s.handle(call(await as.sign(k2, { aud: RESOURCE })))).ok, 'the rotated-in key is found');
    assert.equal(as.hits.jwks, before + 1);
    const ghost = await newKey('ghost');
    for (let i = 0; i < 5; i++) assert.equal((await refusal(s, call(await as.sign(ghost, { aud: RESOURCE })))).status, 401);
    assert.equal(as.hits.jwks, before + 1, 'within the cooldown no unknown kid causes a fetch');
    as.keys.pop();
  });

  test('a failed JWKS refetch keeps the last good keys (no rollback to nothing) (rs.protect.jwks-rotation)', async () => {
    const s = rs();
    await s.ready();
    as.down.add('jwks');
    await sleep(250);
    assert.equal((await refusal(s, call(await as.sign(await newKey('new'), { aud: RESOURCE })))).status, 401);
    assert.ok((await s.handle(call(await as.sign(as.keys[0]!, { aud: RESOURCE })))).ok, 'the known key still verifies');
  });

  test('AS unreachable before any key was seen → 503 temporarily_unavailable, never a pass and never 401 (rs.protect.fail-closed)', async () => {
    as.down.add('metadata');
    const s = rs();
    await assert.rejects(s.ready(), /answered 503/);
    const v = await s.handle(call(await as.sign(as.keys[0]!, { aud: RESOURCE })));
    assert.equal(v.ok, false);
    if (v.ok) return;
    assert.equal(v.response.status, 503);
    assert.equal(((await v.response.json()) as { error: string }).error, 'temporarily_unavailable');
    as.down.clear();
    assert.ok((await s.handle(call(await as.sign(as.keys[0]!, { aud: RESOURCE })))).ok, 'recovers once the AS is back');
  });

  test('metadata whose issuer is not ours is not used (RFC 8414 §3.3) (rs.protect.discovery)', async () => {
    as.metadataOverride = { issuer: 'https://evil.example' };
    await assert.rejects(rs().ready(), /RFC 8414 §3\.3/);
  });
});

describe('resource server core: introspection and revocation (RFC 7662, ARCHITECTURE "Revocation") (rs.protect.revocation)', () => {
  const creds = { credentials: { clientId: 'rs', clientSecretEnv: 'RS_SECRET' }, env: { RS_SECRET: 'rs-secret' } };

  test('opaque tokens: introspected; active with this audience → identity; inactive, other or no audience → 401 (rs.protect.introspection)', async () => {
    const s = rs({ ...creds, introspection: true, revocation: 'none' });
    as.introspection.set('opaque-good', { active: true, aud: RESOURCE, sub: 'bob', client_id: 'c9', scope: 'notes:read', exp: Math.floor(Date.now() / 1000) + 60, iss: as.issuer });
    as.introspection.set('opaque-other', { active: true, aud: 'https://other.example/mcp', sub: 'bob', client_id: 'c9', scope: 'notes:read' });
    as.introspection.set('opaque-noaud', { active: true, sub: 'bob', client_id: 'c9', scope: 'notes:read' });
    const v = await s.handle(call('opaque-good'));
    assert.ok(v.ok);
    assert.equal(v.identity.sub, 'bob');
    assert.deepEqual(v.identity.scopes, ['notes:read']);
    for (const t of ['opaque-other', 'opaque-noaud', 'opaque-unknown']) assert.equal((await refusal(s, call(t))).status, 401, t);
  });

  test('introspection credentials refused by the AS → 503, not a pass (rs.protect.fail-closed)', async () => {
    const s = rs({ credentials: { clientId: 'rs', clientSecretEnv: 'RS_SECRET' }, env: { RS_SECRET: 'wrong' }, introspection: true, revocation: 'none' });
    as.introspection.set('opaque-good', { active: true, aud: RESOURCE, sub: 'bob', client_id: 'c9' });
    const v = await s.handle(call('opaque-good'));
    assert.equal(v.ok, false);
    if (!v.ok) assert.equal(v.response.status, 503);
  });

  test('revocation by introspection: a valid JWT whose grant the AS calls inactive is refused within the interval (rs.protect.revocation-introspection)', async () => {
    const s = rs({ ...creds, revocation: { mode: 'introspection', intervalSeconds: 0.3 } });
    const token = await as.sign(as.keys[0]!, { aud: RESOURCE, scope: 'notes:read' });
    as.introspection.set(token, { active: true, aud: RESOURCE, sub: 'alice', client_id: 'c1' });
    assert.ok((await s.handle(call(token))).ok);
    as.introspection.set(token, { active: false });
    await sleep(350);
    assert.equal((await refusal(s, call(token))).status, 401);
  });

  test('revocation by polled list: a revoked grant_id is refused within the poll interval; a token without grant_id is refused (rs.protect.revocation-poll)', async () => {
    const s = rs({ ...creds, revocation: { mode: 'poll', intervalSeconds: 0.2, endpoint: `${as.issuer}/revoked-grants` } });
    await s.ready();
    const token = await as.sign(as.keys[0]!, { aud: RESOURCE, grant_id: 'g-1' });
    assert.ok((await s.handle(call(token))).ok);
    as.revokedGrants.push('g-1');
    await sleep(500);
    assert.equal((await refusal(s, call(token))).status, 401);
    assert.equal((await refusal(s, call(await as.sign(as.keys[0]!, { aud: RESOURCE })))).status, 401, 'no grant_id: cannot be checked, refused');
  });

  test('revocation list stale (AS down longer than maxStalenessSeconds) → 503: fail closed (rs.protect.fail-closed)', async () => {
    const s = rs({ ...creds, revocation: { mode: 'poll', intervalSeconds: 0.1, maxStalenessSeconds: 1, endpoint: `${as.issuer}/revoked-grants` } });
    await s.ready();
    const token = await as.sign(as.keys[0]!, { aud: RESOURCE, grant_id: 'g-2' });
    assert.ok((await s.handle(call(token))).ok);
    as.down.add('revoked');
    await sleep(1200);
    const v = await s.handle(call(token));
    assert.equal(v.ok, false);
    if (!v.ok) assert.equal(v.response.status, 503);
    as.down.clear();
    await sleep(300);
    assert.ok((await s.handle(call(token))).ok, 'fresh again once the AS answers');
  });
});
