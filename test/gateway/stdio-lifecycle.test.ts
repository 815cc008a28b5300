/**
 * issue 7 item 1: stdio children's lifecycle — idle stop, max_children, call timeout, per-session children for
 * legacy clients, shutdown — and the configuration that must fail at start.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { configSchema } from '../../src/config/schema.js';
import { resolveSettings } from '../../src/config/resolve.js';
import { splitCommandLine } from '../../src/config/command-line.js';
import { ConfigError } from '../../src/core/errors.js';
import { createGateway } from '../../src/gateway/proxy.js';
import { createAccessTokenVerifier } from '../../src/rs/verify.js';
import { MCP_HEADERS, recordingLog, toolCall } from './helpers/harness.js';
import { alive, connectSdk, startStdioGateway, toolText, waitFor } from './helpers/stdio-harness.js';

const post = (url: string, token: string, body: unknown, signal?: AbortSignal) =>
  fetch(url, { method: 'POST', headers: { ...MCP_HEADERS, authorization: `Bearer ${token}` }, body: JSON.stringify(body), ...(signal ? { signal } : {}) });
const pidOf = async (res: Response) => Number(((await res.json()) as { result: { content: { text: string }[] } }).result.content[0]!.text);

describe('issue 7: stdio children lifecycle (gw.stdio.lifecycle)', () => {
  it('idle children are stopped after idle_timeout_s; the next request starts a new one; shutdown kills the rest (gw.stdio.idle-stop, gw.stdio.shutdown)', async () => {
    const h = await startStdioGateway({ idle_timeout_s: 1 });
    try {
      const token = await h.token({ sub: 'idle-user' });
      const first = await pidOf(await post(h.url, token, toolCall('whoami', 1, {})));
      assert.ok(alive(first));
      assert.ok((await waitFor(() => !alive(first), 5000)) >= 0, 'the idle child was never stopped');
      assert.ok(h.log.entries.some((e) => e.msg === 'stopping stdio server' && e.obj.why === 'idle'));
      const second = await pidOf(await post(h.url, token, toolCall('whoami', 2, {})));
      assert.notEqual(second, first);

      // a request in flight keeps its child: not idle while busy
      const slow = post(h.url, token, toolCall('slow', 3, { ms: 2500, tag: 'busy' }));
      await new Promise((r) => setTimeout(r, 1800));
      assert.ok(alive(second), 'a busy child was stopped as idle');
      assert.equal(((await (await slow).json()) as { result: { content: { text: string }[] } }).result.content[0]!.text, 'done');

      // graceful shutdown: children get SIGTERM (then SIGKILL) and are gone when close() returns
      const other = await pidOf(await post(h.url, await h.token({ sub: 'other-user' }), toolCall('whoami', 4, {})));
      await h.close();
      assert.ok(!alive(second) && !alive(other), 'children survived the gateway');
    } finally {
      await h.close().catch(() => {});
    }
  });

  it('MCP [stdio] "Shutdown": a child that ignores closed stdin and SIGTERM is SIGKILLed (gw.stdio.shutdown)', async () => {
    const h = await startStdioGateway({ env: { FIXTURE_STUBBORN: '1' } });
    const pid = await pidOf(await post(h.url, await h.token({ sub: 'stubborn' }), toolCall('whoami', 1, {})));
    const started = Date.now();
    await h.close();
    const took = Date.now() - started;
    assert.ok(!alive(pid), 'the stubborn child survived');
    assert.ok(took >= 2000 && took < 6000, `stdin close + SIGTERM grace, then SIGKILL: took ${took} ms`);
    assert.ok(h.log.entries.some((e) => String(e.obj.stderr ?? '').includes('ignoring SIGTERM')), 'SIGTERM was sent first');
  });

  it('stderr reaches the log rate-limited: a flood of 500 lines logs at most 20 per 10 s (gw.stdio.output-contained)', async () => {
    const h = await startStdioGateway();
    try {
      const token = await h.token({ sub: 'flooder' });
      const res = await post(h.url, token, toolCall('stderr_flood', 1, { n: 500 }));
      assert.equal(res.status, 200);
      assert.doesNotMatch(await res.text(), /FIXTURE-STDERR-MARKER/);
      await new Promise((r) => setTimeout(r, 300));
      const logged = h.log.entries.filter((e) => e.obj.sub === 'flooder' && (e.obj.stderr !== undefined || e.obj.stdout !== undefined));
      assert.ok(logged.length > 0 && logged.length <= 20, `${logged.length} lines logged`);
    } finally {
      await h.close();
    }
  });

  it('max_children: a new user past the limit gets 503 + JSON-RPC error while all are busy; the oldest idle child is evicted first (gw.stdio.max-children)', async () => {
    const h = await startStdioGateway({ max_children: 2 });
    try {
      const [a, b, c] = await Promise.all(['u-a', 'u-b', 'u-c'].map((sub) => h.token({ sub })));
      const pa = await pidOf(await post(h.url, a!, toolCall('whoami', 1, {})));
      const pb = await pidOf(await post(h.url, b!, toolCall('whoami', 1, {})));
      // both busy: c is refused, clearly
      const busyA = post(h.url, a!, toolCall('slow', 2, { ms: 1500, tag: 'a' }));
      const busyB = post(h.url, b!, toolCall('slow', 2, { ms: 1500, tag: 'b' }));
      await new Promise((r) => setTimeout(r, 300));
      const refused = await post(h.url, c!, toolCall('whoami', 'c1', {}));
      assert.equal(refused.status, 503);
      assert.ok(refused.headers.get('retry-after'));
      const body = (await refused.json()) as { jsonrpc: string; id: string; error: { code: number; message: string } };
      assert.equal(body.jsonrpc, '2.0');
      assert.equal(body.id, 'c1');
      assert.match(body.error.message, /too many MCP server processes/);
      await Promise.all([busyA, busyB]);
      // a used more recently than b? b was used last (its slow call ended last or together): make a the most recent
      await pidOf(await post(h.url, a!, toolCall('whoami', 3, {})));
      const pc = await pidOf(await post(h.url, c!, toolCall('whoami', 'c2', {})));
      assert.ok(pc > 0);
      assert.ok((await waitFor(() => !alive(pb), 3000)) >= 0, 'the least recently used idle child (b) was not stopped');
      assert.ok(alive(pa), 'a, used more recently, was evicted instead of b');
      assert.ok(h.log.entries.some((e) => e.msg === 'stopping stdio server' && e.obj.why === 'limit' && e.obj.pid === pb));
    } finally {
      await h.close();
    }
  });

  it('call_timeout_s: an unanswered request is cancelled on the child and answered with a JSON-RPC error (gw.stdio.call-timeout)', async () => {
    const h = await startStdioGateway({ call_timeout_s: 1 });
    try {
      const token = await h.token({ sub: 'timeout-user' });
      const started = Date.now();
      const res = await post(h.url, token, toolCall('slow', 9, { ms: 10_000, tag: 't' }));
      const took = Date.now() - started;
      assert.equal(res.status, 200);
      const body = (await res.json()) as { id: number; error: { code: number; message: string } };
      assert.equal(body.id, 9);
      assert.equal(body.error.code, -32001);
      assert.match(body.error.message, /timed out/);
      assert.ok(took < 4000, `took ${took} ms`);
    } finally {
      await h.close();
    }
  });

  it('a command that cannot be started → 502 JSON-RPC error, logged, no stack trace (gw.stdio.spawn-failure)', async () => {
    const h = await startGateway404();
    try {
      const res = await post(h.url, await h.token(), toolCall('whoami', 'x', {}));
      assert.equal(res.status, 502);
      const text = await res.text();
      assert.doesNotMatch(text, /ENOENT|\bat \S+ \(/);
      assert.equal((JSON.parse(text) as { id: string }).id, 'x');
      assert.ok(h.log.entries.some((e) => e.msg === 'stdio server could not be started'));
    } finally {
      await h.close();
    }
  });

  it('per: session — each legacy session (Mcp-Session-Id) gets its own child, bound to its subject; DELETE stops it (gw.stdio.per-session)', async () => {
    const h = await startStdioGateway({ per: 'session' });
    try {
      const token = await h.token({ sub: 'sess-user' });
      const one = await connectSdk(h.url, token);
      const two = await connectSdk(h.url, token);
      const p1 = Number(toolText(await one.callTool({ name: 'whoami' })));
      const p2 = Number(toolText(await two.callTool({ name: 'whoami' })));
      assert.notEqual(p1, p2, 'two sessions of one user share a process');
      const t1 = one.transport as unknown as { sessionId?: string; terminateSession(): Promise<void> };
      assert.ok(t1.sessionId, 'the gateway issued a session id');
      // another subject cannot use the session
      const stolen = await fetch(h.url, {
        method: 'POST',
        headers: { ...MCP_HEADERS, authorization: `Bearer ${await h.token({ sub: 'mallory' })}`, 'mcp-session-id': t1.sessionId },
        body: JSON.stringify(toolCall('whoami', 1, {})),
      });
      assert.equal(stolen.status, 404);
      // no session, no initialize → 400
      const orphan = await post(h.url, token, toolCall('whoami', 2, {}));
      assert.equal(orphan.status, 400);
      await t1.terminateSession();
      assert.ok((await waitFor(() => !alive(p1), 3000)) >= 0, 'DELETE did not stop the session’s child');
      assert.ok(alive(p2));
      await Promise.all([one.close(), two.close()]);
    } finally {
      await h.close();
    }
  });
});

/** a gateway whose stdio command does not exist */
async function startGateway404() {
  return startStdioGatewayWith({ command: '/nonexistent/portcullis-test-server', args: [] });
}
async function startStdioGatewayWith(upstream_stdio: { command: string; args: string[] }) {
  const { startGateway } = await import('./helpers/harness.js');
  return startGateway({ upstream: 'http://127.0.0.1:9/unused', config: { resources: [{ path: '/mcp', upstream_stdio, scopes: ['notes:read'] }] } });
}

describe('issue 7: stdio configuration fails at start with a ConfigError naming the option (gw.stdio.config)', () => {
  const base = { issuer: 'http://127.0.0.1:8080', dev: true };
  const resolve = (extra: Record<string, unknown>) => resolveSettings(configSchema.parse({ ...base, ...extra }));
  const option = (fn: () => unknown): string => {
    try {
      fn();
    } catch (e) {
      if (e instanceof ConfigError) return e.option;
      throw e;
    }
    return '(no error)';
  };
  const gateway = (resource: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) => () => {
    const settings = resolve({ resources: [{ path: '/mcp', ...resource }] });
    const verifier = createAccessTokenVerifier({ issuer: base.issuer, getKey: async () => { throw new Error('unused'); }, clock: Date.now, skewSeconds: 30, isGrantRevoked: () => false, algorithms: ['ES256'] });
    return createGateway({ settings, resource: settings.resources[0]!, verifier, log: recordingLog(), env });
  };
  const cmd = { command: 'node', args: ['server.js'] };

  it('exactly one of upstream / upstream_stdio per resource', () => {
    assert.equal(option(() => resolve({ resources: [{ upstream: 'http://127.0.0.1:1/mcp', upstream_stdio: cmd }] })), 'resources[0].upstream_stdio');
    assert.equal(option(() => resolve({ upstream: 'http://127.0.0.1:1/mcp', upstream_stdio: 'node s.js' })), 'upstream_stdio');
    assert.equal(option(() => resolve({ upstream_stdio: 'node "s.js' })), 'upstream_stdio');
    assert.equal(option(() => resolve({ upstream_stdio: '   ' })), 'upstream_stdio');
    assert.equal(option(() => resolve({ resources: [{ upstream_stdio: cmd, identity: { mode: 'assertion' } }] })), 'resources[0].identity.mode');
    assert.equal(option(() => resolve({ resources: [{ upstream_stdio: { ...cmd, env: { A: '1' }, env_from: { A: { env: 'X' } } } }] })), 'resources[0].upstream_stdio.env_from.A');
    assert.throws(() => configSchema.parse({ resources: [{ upstream_stdio: { ...cmd, per: 'client' } }] }));
    assert.throws(() => configSchema.parse({ resources: [{ upstream_stdio: { ...cmd, env_from: { A: { value: 'literal' } } } }] }), 'no literal secrets');
  });

  it('--upstream-stdio "command args…" becomes resources[0].upstream_stdio, quotes grouping words, no shell', () => {
    const s = resolve({ upstream_stdio: `npx -y "@org/server name" --flag='a b' \\$HOME` });
    assert.deepEqual({ command: s.resources[0]!.upstreamStdio!.command, args: s.resources[0]!.upstreamStdio!.args }, { command: 'npx', args: ['-y', '@org/server name', '--flag=a b', '$HOME'] });
    assert.equal(s.resources[0]!.upstreamStdio!.per, 'user');
    assert.equal(s.resources[0]!.upstream, undefined);
    assert.deepEqual(splitCommandLine(`a "b \\" c" 'd\\e' ''`), ['a', 'b " c', 'd\\e', '']);
  });

  it('env_from secrets must exist at start; cwd must be a directory', () => {
    assert.equal(option(gateway({ upstream_stdio: { ...cmd, env_from: { TOKEN: { env: 'MISSING_VAR' } } } })), 'resources[0].upstream_stdio.env_from.TOKEN');
    assert.equal(option(gateway({ upstream_stdio: { ...cmd, env_from: { TOKEN: { file: '/nonexistent/secret' } } } })), 'resources[0].upstream_stdio.env_from.TOKEN');
    assert.equal(option(gateway({ upstream_stdio: { ...cmd, cwd: '/nonexistent/dir' } })), 'resources[0].upstream_stdio.cwd');
    const ok = gateway({ upstream_stdio: { ...cmd, env_from: { TOKEN: { env: 'PRESENT' } } } }, { PRESENT: 'x' })();
    void ok.close();
  });
});

describe('MCP 2026-07-28 "Versioning: Backward Compatibility": the gateway is transparent about the child’s era (gw.stdio.era)', () => {
  const MODERN = { 'mcp-protocol-version': '2026-07-28' };
  const meta = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };
  const modernCall = (id: number, name: string) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: { text: 'hi' }, _meta: meta } });
  const send = (url: string, token: string, body: unknown, headers: Record<string, string>) =>
    fetch(url, { method: 'POST', headers: { ...MCP_HEADERS, authorization: `Bearer ${token}`, ...MODERN, ...headers }, body: JSON.stringify(body) });

  it('a modern request for a legacy child: 400 without a modern error body (a dual-era client falls back), never forwarded; initialize then works (gw.stdio.era)', async () => {
    const h = await startStdioGateway();
    try {
      const token = await h.token({ sub: 'era-user' });
      const res = await send(h.url, token, modernCall(41, 'note_add'), { 'mcp-method': 'tools/call', 'mcp-name': 'note_add' });
      assert.equal(res.status, 400);
      const body = (await res.json()) as { id: number; error: { code: number; message: string } };
      assert.equal(body.id, 41);
      assert.notEqual(body.error.code, -32022, 'not a modern error: the client must fall back');
      assert.match(body.error.message, /initialize/);
      // the dual-era client falls back to initialize: the same child serves it; the modern call never reached it
      const legacy = await connectSdk(h.url, token);
      try {
        const seen = toolText(await legacy.callTool({ name: 'stdin_log' }));
        assert.match(seen, /"method":"server\/discover"/, 'the gateway probed the child');
        assert.doesNotMatch(seen, /note_add/, 'the modern request reached a legacy child');
      } finally {
        await legacy.close();
      }
    } finally {
      await h.close();
    }
  });

  it('a modern child gets modern requests as they are; policy and list filtering apply (gw.stdio.era, gw.stdio.policy)', async () => {
    const { fileURLToPath } = await import('node:url');
    const modern = fileURLToPath(new URL('./helpers/stdio-modern-server.ts', import.meta.url));
    const h = await startStdioGateway({ args: ['--import', 'tsx', modern] });
    try {
      const reader = await h.token({ sub: 'modern-user', scope: 'notes:read' });
      const res = await send(h.url, reader, modernCall(1, 'echo'), { 'mcp-method': 'tools/call', 'mcp-name': 'echo' });
      assert.equal(res.status, 200);
      const body = (await res.json()) as { id: number; result: { resultType: string; content: { text: string }[] } };
      assert.equal(body.id, 1);
      assert.equal(body.result.resultType, 'complete');
      assert.match(body.result.content[0]!.text, /^hi from \d+$/);
      const list = await send(h.url, reader, { jsonrpc: '2.0', id: 2, method: 'tools/list', params: { _meta: meta } }, { 'mcp-method': 'tools/list' });
      const tools = ((await list.json()) as { result: { tools: { name: string }[] } }).result.tools.map((t) => t.name);
      assert.deepEqual(tools, ['echo'], 'write_note hidden from a notes:read token');
      const refused = await send(h.url, reader, modernCall(3, 'write_note'), { 'mcp-method': 'tools/call', 'mcp-name': 'write_note' });
      assert.equal(refused.status, 403);
    } finally {
      await h.close();
    }
  });
});
