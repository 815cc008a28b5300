/**
 * The MCP server both SDK examples serve (express-sdk-server, hono-sdk-server), built with the official SDK: three
 * notes tools, `whoami` echoing the identity Portcullis handed the tool. Nothing in it knows about OAuth; the
 * examples' `server.ts` put it behind `portcullis/resource-server`. Copy it next to `server.ts` in your project.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';

/** a new server over `notes` (stateless HTTP: one per request, the notes shared) */
export function notesMcpServer(name: string, notes: string[]): McpServer {
  const server = new McpServer({ name, version: '1.0.0' });
  server.registerTool('list_notes', { description: 'List the notes' }, async () => ({ content: [{ type: 'text', text: notes.join('\n') }] }));
  server.registerTool('add_note', { description: 'Add a note', inputSchema: { text: z.string() } }, async ({ text }) => {
    notes.push(text);
    return { content: [{ type: 'text', text: `added note #${notes.length}` }] };
  });
  // the verified identity reaches every tool handler as the SDK's authInfo
  server.registerTool('whoami', { description: 'Who is calling' }, async (extra) => ({
    content: [{ type: 'text', text: JSON.stringify({ sub: extra.authInfo?.extra?.sub, client_id: extra.authInfo?.clientId, scopes: extra.authInfo?.scopes }) }],
  }));
  return server;
}
