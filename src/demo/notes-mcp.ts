import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';
import { DEMO_TOOL_SCOPES } from './config.js';

/**
 * The demo notes server's MCP side (official SDK). issue 9: kept out of notes-server.ts so that the SDK (and its
 * zod schemas and ajv) load at the first MCP request, not during `serve --demo` start-up.
 */
export interface NoteBookLike {
  list(): { id: number; title: string; body: string }[];
  get(id: number): { id: number; title: string; body: string } | undefined;
  add(title: string, body: string): { id: number };
  clear(): number;
}

export { StreamableHTTPServerTransport };

export function buildServer(book: NoteBookLike): McpServer {
  const server = new McpServer({ name: 'portcullis-demo-notes', version: '1.0.0' });
  const text = (s: string) => ({ content: [{ type: 'text' as const, text: s }] });
  server.registerTool('list_notes', { title: 'List notes', description: `List every note (needs ${DEMO_TOOL_SCOPES.list_notes})`, inputSchema: {} }, async () =>
    text(book.list().map((n) => `#${n.id} ${n.title}`).join('\n') || '(no notes)'),
  );
  server.registerTool(
    'read_note',
    { title: 'Read a note', description: `Read one note by id (needs ${DEMO_TOOL_SCOPES.read_note})`, inputSchema: { id: z.number().int() } },
    async ({ id }) => {
      const n = book.get(id);
      return n ? text(`${n.title}\n\n${n.body}`) : { ...text(`no note #${id}`), isError: true };
    },
  );
  server.registerTool(
    'add_note',
    { title: 'Add a note', description: `Add a note (needs ${DEMO_TOOL_SCOPES.add_note})`, inputSchema: { title: z.string().min(1).max(200), body: z.string().max(10000) } },
    async ({ title, body }) => text(`added note #${book.add(title, body).id}`),
  );
  server.registerTool(
    'delete_all_notes',
    { title: 'Delete all notes', description: `Admin only: delete every note (needs ${DEMO_TOOL_SCOPES.delete_all_notes})`, inputSchema: {} },
    async () => text(`deleted ${book.clear()} notes`),
  );
  return server;
}
