/**
 * MCP 2026-07-28 [stdio] "Transport": messages are newline-delimited JSON-RPC and MUST NOT contain embedded
 * newlines; stderr is for logging, never protocol. Checked on StdioChild itself against a real child process that
 * echoes what it read and writes its messages in awkward chunks.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StdioChild, type JsonRpcMessage } from '../../src/gateway/stdio/child.js';
import type { GatewayLog } from '../../src/gateway/proxy.js';

/** echoes every stdin line back as an `echo` notification carrying the raw line (and how many lines came so far) */
const ECHO_CHILD = `
let buf = '', lines = 0;
process.stdin.on('data', (c) => {
  buf += c;
  for (let nl; (nl = buf.indexOf('\\n')) !== -1; ) {
    const line = buf.slice(0, nl);
    buf = buf.slice(nl + 1);
    process.stdout.write(JSON.stringify({ jsonrpc: '2.0', method: 'echo', params: { line, n: ++lines } }) + '\\n');
  }
});`;

/** writes one message split across two writes, two in one write, one CRLF-terminated, noise, and a JSON-RPC-looking stderr line */
const CHUNKING_CHILD = `
const m = (id) => JSON.stringify({ jsonrpc: '2.0', id, result: { id } });
const half = m(1).length >> 1;
process.stdout.write(m(1).slice(0, half));
setTimeout(() => {
  process.stdout.write(m(1).slice(half) + '\\n' + m(2) + '\\n' + m(3) + '\\n');
  process.stderr.write(m(99) + '\\n');
  process.stdout.write('not json-rpc\\n' + m(4) + '\\r\\n');
  setTimeout(() => process.exit(0), 50);
}, 50);`;

function capture(): { log: GatewayLog; entries: { obj: Record<string, unknown>; msg: string }[] } {
  const entries: { obj: Record<string, unknown>; msg: string }[] = [];
  const push = (obj: object, msg: string): void => void entries.push({ obj: obj as Record<string, unknown>, msg });
  return { log: { debug: push, info: push, warn: push, error: push }, entries };
}

async function run(script: string, messages: JsonRpcMessage[], until: (got: JsonRpcMessage[]) => boolean) {
  const { log, entries } = capture();
  const got: JsonRpcMessage[] = [];
  let exited!: () => void;
  const exit = new Promise<void>((resolve) => (exited = resolve));
  let wake = (): void => {};
  const child = await StdioChild.start({
    spec: { command: process.execPath, args: ['-e', script], env: {} },
    log,
    logContext: {},
    onMessage: (m) => {
      got.push(m);
      wake();
    },
    onExit: () => exited(),
  });
  try {
    for (const m of messages) assert.equal(child.send(m), true);
    const deadline = Date.now() + 5000;
    while (!until(got) && Date.now() < deadline) await Promise.race([new Promise<void>((r) => (wake = r)), new Promise((r) => setTimeout(r, 100)), exit]);
  } finally {
    await child.stop(500);
  }
  return { got, entries };
}

describe('MCP 2026-07-28 [stdio] framing: newline-delimited, no embedded newlines, stderr is not protocol (gw.stdio.framing)', () => {
  it('each message reaches the child as exactly one line, even when its strings hold newlines, CR or U+2028 (gw.stdio.framing)', async () => {
    const sent = [
      { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'note_add', arguments: { text: 'line 1\nline 2\r\nline 3\u2028end' } } },
      { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1, reason: 'a\n\nb' } },
    ];
    const { got } = await run(ECHO_CHILD, sent, (g) => g.length >= sent.length);
    assert.equal(got.length, sent.length, 'one line per message, no more');
    got.forEach((echo, i) => {
      const { line, n } = echo.params as { line: string; n: number };
      assert.equal(n, i + 1);
      assert.doesNotMatch(line, /[\r\n]/, 'no embedded newline');
      assert.deepEqual(JSON.parse(line), sent[i], 'the line is the whole message');
    });
  });

  it('messages from the child are split on newlines only: one across two writes, several in one, CRLF tolerated; stderr and non-JSON-RPC lines never become messages (gw.stdio.framing, gw.stdio.output-contained)', async () => {
    const { got, entries } = await run(CHUNKING_CHILD, [], (g) => g.length >= 4);
    assert.deepEqual(got.map((m) => m.id), [1, 2, 3, 4]);
    assert.ok(got.every((m) => (m.result as { id: number }).id === m.id));
    assert.ok(entries.some((e) => String(e.obj.stderr ?? '').includes('"id":99')), 'the stderr line went to the log');
    assert.ok(entries.some((e) => e.obj.stdout === 'not json-rpc'), 'stdout noise went to the log');
  });
});
