import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startGateway, type GatewayHarness } from './helpers/harness.js';
import { startUpstream, statefulMcp, statelessMcp, type Upstream } from './helpers/upstream.js';

async function connect(h: GatewayHarness, token: string): Promise<Client> {
  const client = new Client({ name: 'gateway-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(h.url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  return client;
}

const text = (r: Awaited<ReturnType<Client['callTool']>>) => (r.content as { type: string; text: string }[])[0]!.text;

for (const mode of ['json', 'sse', 'stateful'] as const) {
  describe(`MCP SDK client through the gateway, upstream ${mode} (gw.proxy.sdk-${mode})`, () => {
    let upstream: Upstream;
    let h: GatewayHarness;
    before(async () => {
      upstream = await startUpstream(mode === 'stateful' ? statefulMcp() : statelessMcp(mode));
      h = await startGateway({ upstream: upstream.url });
    });
    after(async () => {
      await h.close();
      await upstream.close();
    });

    it('lists and calls tools', async () => {
      const client = await connect(h, await h.token());
      try {
        const { tools } = await client.listTools();
        assert.deepEqual(tools.map((t) => t.name).sort(), ['echo', 'write_note']);
        assert.equal(text(await client.callTool({ name: 'echo', arguments: { text: 'héllo' } })), 'héllo');
        assert.equal(text(await client.callTool({ name: 'write_note', arguments: { text: 'n1' } })), 'saved: n1');
      } finally {
        await client.close();
      }
    });

    it('MCP [SEC] "Token Passthrough": Authorization never reaches the upstream (gw.proxy.no-token-passthrough)', () => {
      assert.ok(upstream.seen.length >= 3, 'the upstream was reached');
      for (const r of upstream.seen) assert.equal(r.headers.authorization, undefined, `${r.method} ${r.body}`);
    });

    it('host set to the upstream, x-forwarded-* describe the public request (gw.proxy.forwarded)', () => {
      const r = upstream.seen[0]!;
      assert.equal(r.headers.host, new URL(upstream.url).host);
      assert.equal(r.headers['x-forwarded-proto'], 'http');
      assert.equal(r.headers['x-forwarded-host'], new URL(h.url).host);
      assert.equal(r.headers['x-forwarded-for'], '127.0.0.1');
    });

    it('MCP "Runtime Insufficient Scope Errors": a tools/call the token lacks scope for is refused, never forwarded (gw.policy.tools-call)', async () => {
      const before = upstream.seen.length;
      const client = await connect(h, await h.token({ scope: 'notes:read' }));
      try {
        assert.equal(text(await client.callTool({ name: 'echo', arguments: { text: 'ok' } })), 'ok');
        await assert.rejects(client.callTool({ name: 'write_note', arguments: { text: 'no' } }), /insufficient_scope/);
      } finally {
        await client.close();
      }
      const forwarded = upstream.seen.slice(before).map((r) => r.body);
      assert.ok(forwarded.some((b) => b.includes('"echo"')));
      assert.ok(!forwarded.some((b) => b.includes('write_note')), 'the refused call never reached the upstream');
    });
  });
}
