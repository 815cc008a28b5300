/**
 * Issue 7 item 2: many upstreams on one Portcullis. Two resources (`/mcp/github`, `/mcp/notes`) in front of two SDK
 * upstreams, through the real runtime (startRuntime) and the real AS: each has its own PRM, scopes and tool policy,
 * and a token minted for one is refused by the other.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { ISSUER, PUBLIC_CLIENT, pkcePair } from '../helpers/as-harness.js';
import { authorizeUrl, tokenRequest } from '../as/flow.js';
import { driveAuthorization } from '../helpers/browserless.js';
import { ALICE_PASSWORD, startOps, type OpsHarness } from '../server/ops-harness.js';
import { REDIRECT_URI, accessToken } from './helpers/runtime-flow.js';
import { MCP_HEADERS, toolCall } from './helpers/harness.js';
import { startUpstream, statelessMcp, type Upstream } from './helpers/upstream.js';

const A = `${ISSUER}/mcp/github`;
const B = `${ISSUER}/mcp/notes`;

describe('gateway: many upstreams, one AS (gw.upstreams.isolated)', () => {
  let gh: Upstream;
  let notes: Upstream;
  let h: OpsHarness;
  let tokenA: string;
  let tokenB: string;

  before(async () => {
    gh = await startUpstream(statelessMcp('json'));
    notes = await startUpstream(statelessMcp('json'));
    h = await startOps(gh.url, {
      resources: [
        { path: '/mcp/github', upstream: gh.url, name: 'GitHub', scopes: ['gh:read', 'gh:write'], tools: { write_note: 'gh:write' } },
        { path: '/mcp/notes', upstream: notes.url, name: 'Notes', scopes: ['notes:read', 'notes:write'], tools: { write_note: 'notes:write' } },
      ],
    });
    tokenA = await accessToken(h, A, 'gh:read gh:write');
    tokenB = await accessToken(h, B, 'notes:read');
  });
  after(async () => {
    await h?.close();
    await gh?.close();
    await notes?.close();
  });

  const call = (url: string, token: string, body: unknown) =>
    h.request(url, { method: 'POST', headers: { ...MCP_HEADERS, authorization: `Bearer ${token}` }, body: JSON.stringify(body) });

  test('each mount has its own PRM with its own resource and scopes (gw.upstreams.isolated)', async () => {
    for (const [id, scopes] of [[A, ['gh:read', 'gh:write']], [B, ['notes:read', 'notes:write']]] as const) {
      const path = new URL(id).pathname;
      const res = await h.request(`/.well-known/oauth-protected-resource${path}`);
      assert.equal(res.status, 200);
      const prm = (await res.json()) as { resource: string; scopes_supported: string[]; authorization_servers: string[] };
      assert.equal(prm.resource, id);
      assert.deepEqual(prm.scopes_supported, scopes);
      assert.deepEqual(prm.authorization_servers, [ISSUER]);
      const challenge = await h.request(path, { method: 'POST', headers: MCP_HEADERS, body: '{}' });
      assert.equal(challenge.status, 401);
      assert.match(challenge.headers.get('www-authenticate') ?? '', new RegExp(`resource_metadata="${ISSUER}/\\.well-known/oauth-protected-resource${path}"`));
    }
  });

  test('/authorize with resource=B issues a token for B only, with B scopes only (gw.upstreams.isolated)', async () => {
    const claims = decodeJwt(tokenB);
    assert.equal(claims.aud, B);
    assert.equal(claims.scope, 'notes:read');
    // a scope of the other resource is not granted for this one
    const { verifier, challenge } = pkcePair();
    const mixed = await driveAuthorization(h.request, authorizeUrl(challenge, { resource: B, scope: 'notes:read gh:write', redirect_uri: REDIRECT_URI }), { username: 'alice', password: ALICE_PASSWORD });
    assert.equal(new URL(mixed.location).searchParams.get('error'), 'invalid_scope', mixed.location);
    // a code issued for B cannot be redeemed for A
    const { location } = await driveAuthorization(h.request, authorizeUrl(challenge, { resource: B, scope: 'notes:read', redirect_uri: REDIRECT_URI }), { username: 'alice', password: ALICE_PASSWORD });
    const code = new URL(location).searchParams.get('code')!;
    const res = await tokenRequest(h.asHarness, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT_URI, client_id: PUBLIC_CLIENT, resource: A });
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.equal(body.access_token, undefined);
  });

  test('a token for A works at A and is refused (401 invalid_token) at B, and the reverse (gw.upstreams.isolated)', async () => {
    const okA = await call(A, tokenA, toolCall('write_note'));
    assert.equal(okA.status, 200);
    assert.match(await okA.text(), /saved: x/);
    const seenNotes = notes.seen.length;
    for (const [url, token] of [[B, tokenA], [A, tokenB]] as const) {
      const res = await call(url, token, toolCall('echo'));
      assert.equal(res.status, 401);
      assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
      assert.match(res.headers.get('www-authenticate') ?? '', new RegExp(`resource_metadata="[^"]*${new URL(url).pathname}"`));
      await res.body?.cancel();
    }
    assert.equal(notes.seen.length, seenNotes, 'nothing reached the other upstream');
    assert.ok(gh.seen.every((r) => r.url === new URL(gh.url).pathname));
  });

  test('each mount applies its own tool policy (gw.upstreams.isolated)', async () => {
    const okB = await call(B, tokenB, toolCall('echo'));
    assert.equal(okB.status, 200);
    assert.match(await okB.text(), /"text":"x"/);
    // write_note: allowed at A with gh:write; at B it needs notes:write, which tokenB lacks
    const before = notes.seen.length;
    const denied = await call(B, tokenB, toolCall('write_note'));
    assert.equal(denied.status, 403);
    const challenge = denied.headers.get('www-authenticate') ?? '';
    assert.match(challenge, /error="insufficient_scope"/);
    assert.match(challenge, /scope="notes:write"/);
    assert.match(challenge, /oauth-protected-resource\/mcp\/notes"/);
    await denied.body?.cancel();
    assert.equal(notes.seen.length, before, 'the refused call was not forwarded');
  });
});
