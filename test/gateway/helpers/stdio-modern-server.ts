/**
 * A minimal 2026-07-28 ("modern") stdio MCP server, raw newline-delimited JSON-RPC without the SDK (which speaks
 * only initialize-based versions): `server/discover`, `tools/list` (echo, write_note) and `tools/call echo`; the
 * process id in every result, so tests can tell processes apart. A legacy `initialize` gets -32601.
 *
 * For the gateway's 2026-07-28 HTTP layer (test/gateway/stdio-modern.test.ts) it also has `subscriptions/listen`
 * (acknowledged with the request's id as subscription id) and unlisted tools, some of which misbehave on purpose:
 * - `trigger`: tools/list_changed to every open listen, plus one untagged and one for an unknown subscription;
 * - `log` {ms}: a notifications/message whether or not the request set a log level, then the result after `ms`;
 * - `progress`: one notifications/progress for the request's token, then the result;
 * - `ask`: a server-to-client request (forbidden in 2026-07-28); the result says how the gateway answered it;
 * - `end_listens` {graceful}: ends every listen, by notifications/cancelled or by a response;
 * - `missing_cap` (-32021), `bad_state` (-32602, an application error), `seen` (requests received, cancellations),
 *   `crash` (exits at once).
 *
 * Run: node --import tsx test/gateway/helpers/stdio-modern-server.ts
 */
import { createInterface } from 'node:readline';

type Id = string | number;
interface Msg {
  id?: Id;
  method?: string;
  params?: { name?: string; arguments?: { text?: string; ms?: number; graceful?: boolean }; requestId?: Id; _meta?: Record<string, unknown> };
  result?: unknown;
  error?: { code: number };
}
const send = (m: unknown) => process.stdout.write(`${JSON.stringify(m)}\n`);
const TOOLS = [
  { name: 'echo', inputSchema: { type: 'object', properties: { text: { type: 'string' } } } },
  { name: 'write_note', inputSchema: { type: 'object', properties: { text: { type: 'string' } } } },
];
const SUB = 'io.modelcontextprotocol/subscriptionId';
const listens = new Set<Id>();
const seen: string[] = [];
const cancelled: Id[] = [];
const answers = new Map<Id, (m: Msg) => void>();

createInterface({ input: process.stdin }).on('line', (line) => {
  const msg = JSON.parse(line) as Msg;
  if (msg.method === undefined && msg.id !== undefined) return answers.get(msg.id)?.(msg); // a reply to `ask`
  if (msg.method === 'notifications/cancelled') {
    cancelled.push(msg.params!.requestId!);
    listens.delete(msg.params!.requestId!);
    return;
  }
  if (msg.id === undefined || msg.method === undefined) return;
  const id = msg.id;
  seen.push(msg.params?.name ? `${msg.method} ${msg.params.name}` : msg.method);
  const version = msg.params?._meta?.['io.modelcontextprotocol/protocolVersion'];
  const reply = (result: Record<string, unknown>) => send({ jsonrpc: '2.0', id, result: { resultType: 'complete', ...result } });
  const fail = (code: number, message: string, data?: unknown) => send({ jsonrpc: '2.0', id, error: { code, message, ...(data ? { data } : {}) } });
  const text = (t: string) => reply({ content: [{ type: 'text', text: t }] });
  if (msg.method !== 'initialize' && version !== '2026-07-28') {
    return fail(-32022, 'UnsupportedProtocolVersionError', { supported: ['2026-07-28'], requested: String(version) });
  }
  switch (msg.method) {
    case 'server/discover':
      return reply({ supportedVersions: ['2026-07-28'], capabilities: { tools: { listChanged: true } }, _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'modern-fixture', version: '1' } } });
    case 'tools/list':
      return reply({ tools: TOOLS });
    case 'subscriptions/listen':
      listens.add(id);
      return send({ jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged', params: { _meta: { [SUB]: id }, notifications: { toolsListChanged: true } } });
    case 'tools/call':
      break;
    default:
      return fail(-32601, 'Method not found');
  }
  const args = msg.params?.arguments ?? {};
  switch (msg.params?.name) {
    case 'trigger':
      for (const l of listens) send({ jsonrpc: '2.0', method: 'notifications/tools/list_changed', params: { _meta: { [SUB]: l } } });
      send({ jsonrpc: '2.0', method: 'notifications/tools/list_changed', params: {} });
      send({ jsonrpc: '2.0', method: 'notifications/resources/updated', params: { uri: 'x://y', _meta: { [SUB]: 987654 } } });
      return text(`triggered ${listens.size}`);
    case 'log':
      send({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: `log of ${String(id)}` } });
      return void setTimeout(() => text('logged'), args.ms ?? 0);
    case 'progress':
      send({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: msg.params?._meta?.progressToken, progress: 1, total: 2 } });
      return text('progressed');
    case 'ask':
      answers.set(`ask-${String(id)}`, (m) => text(`answered ${m.error ? `error ${m.error.code}` : 'with a result'}`));
      return send({ jsonrpc: '2.0', id: `ask-${String(id)}`, method: 'elicitation/create', params: { message: 'name?', requestedSchema: { type: 'object', properties: {} } } });
    case 'end_listens':
      for (const l of listens) {
        if (args.graceful) send({ jsonrpc: '2.0', id: l, result: { resultType: 'complete', _meta: { [SUB]: l } } });
        else send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: l, reason: 'shutting down' } });
      }
      listens.clear();
      return text('ended');
    case 'missing_cap':
      return fail(-32021, 'MissingRequiredClientCapabilityError', { requiredCapabilities: { sampling: {} } });
    case 'bad_state':
      return fail(-32602, 'requestState integrity check failed');
    case 'seen':
      return text(JSON.stringify({ seen, cancelled }));
    case 'crash':
      return process.exit(3);
    default:
      return text(`${args.text ?? ''} from ${process.pid}`);
  }
});
