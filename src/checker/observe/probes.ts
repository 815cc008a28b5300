/** Fixed values the observers send, named so checks and tests can refer to them. */
export const BROWSER_ORIGIN = 'http://localhost:6274'; // MCP Inspector's origin: a real browser client
export const FOREIGN_ORIGIN = 'https://attacker.portcullis-check.invalid';
export const BOGUS_TOKEN = 'portcullis-check.not-a-valid-token';
export const UNKNOWN_RESOURCE = 'https://unknown-resource.portcullis-check.invalid/mcp';
export const EVIL_REDIRECT = 'https://attacker.portcullis-check.invalid/callback';

export const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'portcullis-check', version: '0.1.0' } },
});

export function mcpPost(extra: Record<string, string> = {}, body: string = INITIALIZE): RequestInit {
  return { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...extra }, body };
}
