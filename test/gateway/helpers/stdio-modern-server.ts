/**
 * A minimal 2026-07-28 ("modern") stdio MCP server, raw newline-delimited JSON-RPC without the SDK (which speaks
 * only initialize-based versions): `server/discover`, `tools/list` (echo, write_note) and `tools/call echo`; the
 * process id in every result, so tests can tell processes apart. A legacy `initialize` gets -32601.
 *
 * Run: node --import tsx test/gateway/helpers/stdio-modern-server.ts
 */
import { createInterface } from 'node:readline';

const send = (m: unknown) => process.stdout.write(`${JSON.stringify(m)}\n`);
const TOOLS = [
  { name: 'echo', inputSchema: { type: 'object', properties: { text: { type: 'string' } } } },
  { name: 'write_note', inputSchema: { type: 'object', properties: { text: { type: 'string' } } } },
];

createInterface({ input: process.stdin }).on('line', (line) => {
  const msg = JSON.parse(line) as { id?: string | number; method?: string; params?: { name?: string; arguments?: { text?: string }; _meta?: Record<string, unknown> } };
  if (msg.id === undefined || msg.method === undefined) return;
  const version = msg.params?._meta?.['io.modelcontextprotocol/protocolVersion'];
  const reply = (result: Record<string, unknown>) => send({ jsonrpc: '2.0', id: msg.id, result: { resultType: 'complete', ...result } });
  if (msg.method !== 'initialize' && version !== '2026-07-28') {
    return send({ jsonrpc: '2.0', id: msg.id, error: { code: -32022, message: 'UnsupportedProtocolVersionError', data: { supported: ['2026-07-28'], requested: String(version) } } });
  }
  switch (msg.method) {
    case 'server/discover':
      return reply({ supportedVersions: ['2026-07-28'], capabilities: { tools: {} }, _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'modern-fixture', version: '1' } } });
    case 'tools/list':
      return reply({ tools: TOOLS });
    case 'tools/call':
      return reply({ content: [{ type: 'text', text: `${msg.params?.arguments?.text ?? ''} from ${process.pid}` }] });
    default:
      return send({ jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: 'Method not found' } });
  }
});
