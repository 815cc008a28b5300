import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MCP_HEADERS, startGateway, type GatewayHarness } from './helpers/harness.js';
import { startUpstream, statelessMcp, type Upstream } from './helpers/upstream.js';

/** Through the real gateway in front of a real SDK upstream, JSON and SSE response modes. */
for (const mode of ['json', 'sse'] as const) {
  describe(`Issue 3: tools/list filtered and policy enforced through the gateway, ${mode} responses (gw.policy.list-filter, gw.headers.mismatch)`, () => {
    let upstream: Upstream;
    let h: GatewayHarness;
    before(async () => {
      upstream = await startUpstream(statelessMcp(mode));
      h = await startGateway({ upstream: upstream.url, tools: { write_note: 'notes:write', echo: 'notes:read' }, config: {} });
    });
    after(async () => {
      await h.close();
      await upstream.close();
    });
    const post = async (token: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(h.url, { method: 'POST', headers: { ...MCP_HEADERS, authorization: `Bearer ${token}`, ...headers }, body: JSON.stringify(body) });
    const messages = async (res: Response) => {
      const text = await res.text();
      if (!(res.headers.get('content-type') ?? '').includes('event-stream')) return [JSON.parse(text)];
      return text.split(/\n\n/).filter((e) => e.includes('data:')).map((e) => JSON.parse(e.split('data: ')[1]!));
    };

    it('a read-only token sees only echo in tools/list', async () => {
      const res = await post(await h.token({ scope: 'notes:read' }), { jsonrpc: '2.0', id: 3, method: 'tools/list', params: {} });
      assert.equal(res.status, 200);
      const msg = (await messages(res)).find((m) => m.id === 3);
      assert.deepEqual(msg.result.tools.map((t: { name: string }) => t.name), ['echo']);
    });
    it('a write token sees both', async () => {
      const res = await post(await h.token({ scope: 'notes:read notes:write' }), { jsonrpc: '2.0', id: 4, method: 'tools/list', params: {} });
      const msg = (await messages(res)).find((m) => m.id === 4);
      assert.deepEqual(msg.result.tools.map((t: { name: string }) => t.name).sort(), ['echo', 'write_note']);
    });
    it('Mcp-Name disagreeing with the body → 400 HeaderMismatch (-32020), never forwarded', async () => {
      const n = upstream.seen.length;
      const res = await post(await h.token({ scope: 'notes:read notes:write' }), { jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'write_note', arguments: { text: 'x' } } }, { 'mcp-method': 'tools/call', 'mcp-name': 'echo' });
      assert.equal(res.status, 400);
      assert.equal(((await res.json()) as { error: { code: number } }).error.code, -32020);
      assert.equal(upstream.seen.length, n);
    });
  });
}
