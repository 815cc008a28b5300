/**
 * The conformance fixture's stateless 2026-07-28 server (stateless-core.ts, the same core the HTTP fixture serves)
 * over stdio as MCP 2026-07-28 [stdio] binds it: one JSON-RPC message per line on stdin and stdout, no header layer
 * (all request metadata is in `_meta`), notifications of one request before its response, listen-stream
 * notifications tagged with their subscription id, cancellation by `notifications/cancelled` (after which nothing
 * more is written for that request), exit when stdin closes ("Shutdown"). It writes no requests: server-to-client
 * input goes in InputRequiredResult (MRTR). A "modern" server: it answers `server/discover`, not `initialize`.
 *
 * Run: node --import tsx test/conformance/stdio-modern-fixture.ts
 */
import { createInterface } from 'node:readline';
import { buildMcpServer } from './fixture-mcp.js';
import { createStatelessCore, type Json, type RpcMessage, type StatelessOut } from './stateless-core.js';

const core = createStatelessCore(buildMcpServer);
const send = (m: Json): void => void process.stdout.write(`${JSON.stringify(m)}\n`);
/** in-flight requests by JSON id: what cancelling each one does */
const inFlight = new Map<string, () => void>();
const key = (id: unknown): string => JSON.stringify(id ?? null);

function lineOut(id: string | number): StatelessOut {
  let done = false;
  const cancels: (() => void)[] = [];
  inFlight.set(key(id), () => {
    done = true; // [stdio] "Cancellation": MUST NOT send any further messages for it
    for (const fn of cancels.splice(0)) fn();
  });
  const out: StatelessOut = {
    notify: (m) => {
      if (!done) send(m);
    },
    respond: (m) => {
      if (done) return;
      done = true;
      inFlight.delete(key(id));
      send(m);
    },
    reject: (error) => out.respond({ jsonrpc: '2.0', id, error }),
    onCancel: (fn) => void cancels.push(fn),
  };
  return out;
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.trim() === '') return;
  let msg: RpcMessage;
  try {
    msg = JSON.parse(line) as RpcMessage;
  } catch {
    return send({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
  }
  if (msg.method === 'notifications/cancelled') {
    const id = (msg.params as { requestId?: unknown } | undefined)?.requestId;
    inFlight.get(key(id))?.();
    inFlight.delete(key(id));
    return;
  }
  if (typeof msg.method !== 'string' || msg.id === undefined || msg.id === null) return; // other notifications: nothing to do
  const out = lineOut(msg.id);
  core.handle(msg, out).catch((e: unknown) => out.respond({ jsonrpc: '2.0', id: msg.id, error: { code: -32603, message: String(e) } }));
});
lines.on('close', () => process.exit(0));
