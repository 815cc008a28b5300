/**
 * A stdio MCP server for the stdio gateway tests (SDK StdioServerTransport), with per-process state so that
 * tests can tell processes apart: `whoami` (pid), `counter_inc`, `note_add` / `notes_list`, plus tools that
 * misbehave on purpose: `crash`, `slow` (records its cancellation in $FIXTURE_CANCEL_LOG), `noise` (non-JSON
 * stdout and stderr), `env` (its environment), `stdin_log` (all it read), `stderr_flood`, `progress` (notifications before the result), `flood` (many large ones), `ask` (an
 * elicitation request to the client). FIXTURE_STUBBORN=1 makes it ignore SIGTERM and closed stdin. Prints noise on stdout and a marker on stderr at start, as real servers do.
 *
 * Run: node --import tsx test/gateway/helpers/stdio-server.ts
 */
import { appendFileSync } from 'node:fs';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';
import { STDERR_MARKER, STDOUT_NOISE } from './stdio-markers.js';


const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });
let stdinSeen = '';
process.stdin.on('data', (c: Buffer) => void (stdinSeen += c.toString('utf8')));
let counter = 0;
const notes: string[] = [];

const server = new McpServer({ name: 'stdio-fixture', version: '1.0.0' }, { capabilities: { logging: {} } });
server.registerTool('whoami', { description: 'The server process id' }, async () => text(String(process.pid)));
server.registerTool('counter_inc', { description: 'Increment this process’s counter' }, async () => text(String(++counter)));
server.registerTool('note_add', { description: 'Save a note', inputSchema: { text: z.string() } }, async ({ text: t }) => {
  notes.push(t);
  return text(`saved: ${t}`);
});
server.registerTool('notes_list', { description: 'This process’s notes' }, async () => text(JSON.stringify(notes)));
server.registerTool('write_note', { description: 'Needs notes:write at the gateway', inputSchema: { text: z.string() } }, async ({ text: t }) => text(`wrote: ${t}`));
server.registerTool('crash', { description: 'Exit at once' }, async () => {
  process.stderr.write(`${STDERR_MARKER} crashing\n`);
  process.exit(3);
});
server.registerTool('slow', { description: 'Wait, unless cancelled', inputSchema: { ms: z.number(), tag: z.string() } }, async ({ ms, tag }, extra) => {
  await new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    extra.signal.addEventListener('abort', () => {
      clearTimeout(t);
      if (process.env.FIXTURE_CANCEL_LOG) appendFileSync(process.env.FIXTURE_CANCEL_LOG, `${tag} ${Date.now()}\n`);
      resolve();
    });
  });
  return text(extra.signal.aborted ? 'cancelled' : 'done');
});
server.registerTool('noise', { description: 'Write garbage to stdout and stderr' }, async () => {
  process.stdout.write(`${STDOUT_NOISE}\n{"not":"json-rpc"}\n`);
  process.stderr.write(`${STDERR_MARKER} noisy stderr line\n`);
  return text('noisy');
});
server.registerTool('stdin_log', { description: 'Everything this process read on stdin' }, async () => text(stdinSeen));
server.registerTool('stderr_flood', { description: 'Write n lines to stderr', inputSchema: { n: z.number() } }, async ({ n }) => {
  for (let i = 0; i < n; i++) process.stderr.write(`${STDERR_MARKER} flood line ${i}\n`);
  return text(`wrote ${n}`);
});
server.registerTool('env', { description: 'This process’s environment' }, async () => text(JSON.stringify(process.env)));
server.registerTool('progress', { description: 'Two progress notifications, then the result' }, async (extra) => {
  const token = extra._meta?.progressToken;
  for (const progress of [1, 2]) {
    if (token !== undefined) await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress, total: 2 } });
  }
  return text('progressed');
});
server.registerTool('flood', { description: 'Progress notifications of 64 KiB each, `mb` MiB in all, then the result', inputSchema: { mb: z.number() } }, async ({ mb }, extra) => {
  const token = extra._meta?.progressToken;
  const pad = 'x'.repeat(64 * 1024);
  const n = mb * 16;
  for (let i = 0; i < n && token !== undefined; i++) {
    await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: i, total: n, message: pad } });
  }
  return text(`flooded ${n}`);
});
server.registerTool('ask', { description: 'Ask the client (elicitation)' }, async () => {
  const r = await server.server.elicitInput({ message: 'Your name?', requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } });
  return text(r.action === 'accept' ? `hello ${String(r.content?.name)}` : r.action);
});

// FIXTURE_STUBBORN=1: ignore SIGTERM and stay up after stdin closes, so that only SIGKILL ends it
if (process.env.FIXTURE_STUBBORN === '1') {
  process.on('SIGTERM', () => process.stderr.write(`${STDERR_MARKER} ignoring SIGTERM\n`));
  setInterval(() => undefined, 1000);
}
process.stdout.write(`${STDOUT_NOISE}\n`);
process.stderr.write(`${STDERR_MARKER} started pid ${process.pid}\n`);
await server.connect(new StdioServerTransport());
