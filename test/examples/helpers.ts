import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { hashPassword } from '../../src/as/passwords.js';
import type { Store } from '../../src/store/types.js';
import { driveAuthorization } from '../helpers/browserless.js';
import { expectError } from '../helpers/mcp.js';
import { TestOAuthProvider } from '../helpers/oauth-provider.js';
import { freePort } from '../helpers/ports.js';

export async function addUser(store: Store, username: string, roles: string[]): Promise<string> {
  const password = `pw-${username}-long-enough`;
  await store.createUser({ id: `id-${username}`, username, password_hash: await hashPassword(password), roles, disabled: false, created_at: Date.now() });
  return password;
}

/** the official SDK client connected to `mcpUrl` after discovery, login and consent as `username` (static public client) */
export async function sdkConnect(mcpUrl: string, clientId: string, username: string, password: string): Promise<Client> {
  let callback: URL | undefined;
  const provider = new TestOAuthProvider({
    clientMetadataUrl: 'https://unused.example/client.json',
    redirectUrl: `http://127.0.0.1:${await freePort()}/callback`,
    onRedirect: async (url) => {
      callback = new URL((await driveAuthorization(fetch, url.href, { username, password, decision: 'approve' })).location);
    },
  });
  provider.saveClientInformation({ client_id: clientId });
  const probe = new Client({ name: 'examples-test', version: '1.0.0' });
  await assert.rejects(probe.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider })), expectError(UnauthorizedError));
  await probe.close();
  const code = callback?.searchParams.get('code');
  assert.ok(code, `an authorization code: ${callback?.href}`);
  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider });
  await transport.finishAuth(code);
  const client = new Client({ name: 'examples-test', version: '1.0.0' });
  await client.connect(transport);
  return client;
}
