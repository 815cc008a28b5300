import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startGateway, type GatewayHarness } from './harness.js';

export const STDIO_FIXTURE = fileURLToPath(new URL('./stdio-server.ts', import.meta.url));

/** `node --import tsx stdio-server.ts` as the resource's upstream_stdio, plus `extra` options */
export function startStdioGateway(extra: Record<string, unknown> = {}, resource: Record<string, unknown> = {}): Promise<GatewayHarness> {
  return startGateway({
    upstream: 'http://127.0.0.1:9/unused',
    config: {
      resources: [
        {
          path: '/mcp',
          name: 'Notes (stdio)',
          upstream_stdio: { command: process.execPath, args: ['--import', 'tsx', STDIO_FIXTURE], ...extra },
          scopes: ['notes:read', 'notes:write'],
          tools: { write_note: 'notes:write' },
          ...resource,
        },
      ],
    },
  });
}

export async function connectSdk(url: string, token: string, opts: { elicitation?: boolean } = {}): Promise<Client> {
  const client = new Client({ name: 'stdio-test', version: '1.0.0' }, { capabilities: opts.elicitation ? { elicitation: {} } : {} });
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
  await client.connect(transport);
  return client;
}

export const toolText = (r: Awaited<ReturnType<Client['callTool']>>): string => (r.content as { type: string; text: string }[])[0]!.text;

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** poll `cond` every 25 ms until true or `ms` pass; returns the time it took, or -1 */
export async function waitFor(cond: () => boolean, ms: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < ms) {
    if (cond()) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 25));
  }
  return cond() ? Date.now() - started : -1;
}

export function linesOf(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}
