import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MCP_HEADERS, startGateway, toolCall, type GatewayHarness } from './helpers/harness.js';
import { startUpstream, statelessMcp, type Upstream } from './helpers/upstream.js';

interface Recorded {
  type: string;
  data: Record<string, unknown>;
  actor: Record<string, unknown> | undefined;
}

describe('Issue 3 "Audit log": tool calls allowed and denied are recorded (audit.tool-calls)', () => {
  let upstream: Upstream;
  let h: GatewayHarness;
  const recorded: Recorded[] = [];
  before(async () => {
    upstream = await startUpstream(statelessMcp('json'));
    const audit = { recordBatched: (type: string, data: unknown, actor?: unknown) => void recorded.push({ type, data: data as Record<string, unknown>, actor: actor as Record<string, unknown> }) };
    h = await startGateway({ upstream: upstream.url, tools: { write_note: 'notes:write', echo: 'notes:read' }, gateway: { audit: audit as never } });
  });
  after(async () => {
    await h.close();
    await upstream.close();
  });
  it('an allowed call and a denied call each leave one entry with user, client, tool and token id — never the token', async () => {
    const token = await h.token({ scope: 'notes:read', sub: 'user-9', client_id: 'client-9' });
    const post = (body: unknown) => fetch(h.url, { method: 'POST', headers: { ...MCP_HEADERS, authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
    assert.equal((await post(toolCall('echo', 1))).status, 200);
    assert.equal((await post(toolCall('write_note', 2))).status, 403);
    assert.deepEqual(recorded.map((r) => [r.type, r.data.tool]), [['tool.allowed', 'echo'], ['tool.denied', 'write_note']]);
    assert.equal(recorded[1]!.data.reason, 'insufficient_scope');
    assert.equal(recorded[1]!.data.required_scope, 'notes:write');
    assert.deepEqual(recorded[0]!.actor, { user_id: 'user-9', client_id: 'client-9' });
    assert.ok(typeof recorded[0]!.data.jti === 'string');
    assert.ok(!JSON.stringify(recorded).includes(token));
  });
});
