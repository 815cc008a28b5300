import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';

export { DEMO_ROLES, DEMO_SCOPE_IMPLIES, DEMO_SCOPES, DEMO_TOOL_SCOPES, demoResource } from './config.js';

// issue 9: the MCP SDK side loads at the first MCP request (a few hundred ms of start-up otherwise)
let mcp: Promise<typeof import('./notes-mcp.js')> | undefined;
const loadMcp = (): Promise<typeof import('./notes-mcp.js')> => (mcp ??= import('./notes-mcp.js'));

interface Note {
  id: number;
  title: string;
  body: string;
  created_at: string;
}

class NoteBook {
  private notes: Note[] = [];
  constructor(private readonly file: string | null) {
    if (file && existsSync(file)) this.notes = JSON.parse(readFileSync(file, 'utf8')) as Note[];
    if (this.notes.length === 0) this.notes.push({ id: 1, title: 'Welcome', body: 'This note lives in the Portcullis demo notes server.', created_at: new Date().toISOString() });
  }
  list(): Note[] {
    return this.notes;
  }
  get(id: number): Note | undefined {
    return this.notes.find((n) => n.id === id);
  }
  add(title: string, body: string): Note {
    const note = { id: Math.max(0, ...this.notes.map((n) => n.id)) + 1, title, body, created_at: new Date().toISOString() };
    this.notes.push(note);
    this.save();
    return note;
  }
  clear(): number {
    const n = this.notes.length;
    this.notes = [];
    this.save();
    return n;
  }
  private save(): void {
    if (this.file) writeFileSync(this.file, JSON.stringify(this.notes, null, 2));
  }
}

export interface DemoServer {
  url: string;
  close(): Promise<void>;
}

/** Starts the demo notes MCP server (official SDK, stateless Streamable HTTP) on loopback. */
export async function startDemoNotesServer(opts: { dataDir?: string; port?: number } = {}): Promise<DemoServer> {
  const book = new NoteBook(opts.dataDir ? join(opts.dataDir, 'demo-notes.json') : null);
  const http: Server = createServer((req, res) => {
    if (!req.url?.startsWith('/mcp')) {
      res.writeHead(404).end();
      return;
    }
    // Stateless: a fresh server and transport per request (SDK pattern for sessionless servers).
    loadMcp()
      .then(({ buildServer, StreamableHTTPServerTransport }) => {
        const server = buildServer(book);
        const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: false });
        res.on('close', () => {
          void transport.close();
          void server.close();
        });
        return server.connect(transport).then(() => transport.handleRequest(req, res));
      })
      .catch(() => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' }).end('{"jsonrpc":"2.0","error":{"code":-32603,"message":"internal error"},"id":null}');
      });
  });
  await new Promise<void>((resolve) => http.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}
