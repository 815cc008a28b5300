/**
 * Issue 11 item 2, AS-only mode: `resources[].resource` registers an MCP server that serves its own HTTP (with
 * portcullis/resource-server); `portcullis serve` without any upstream is its authorization server. Each such
 * resource keeps its URL exactly as configured (it is the token audience), and misconfiguration names the option.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { configSchema, type ConfigInput } from '../../src/config/schema.js';
import { resolveSettings } from '../../src/config/resolve.js';
import { ConfigError } from '../../src/core/errors.js';
import { startRuntime } from '../../src/server/runtime.js';

const base = (resources: unknown[], dev = true): ConfigInput => ({ issuer: dev ? 'http://127.0.0.1:8080' : 'https://auth.example.com', dev, resources } as ConfigInput);
const settings = (input: ConfigInput) => resolveSettings(configSchema.parse(input));

function refused(input: ConfigInput, option: string, message: RegExp): void {
  assert.throws(() => settings(input), (e: unknown) => e instanceof ConfigError && e.option === option && message.test(e.message));
}

describe('config: AS-only mode, resources served elsewhere (as.as-only.resources)', () => {
  test('any number of resources, each with its own URL, scopes and tool policy; ids kept as written (scheme and host lowercased)', () => {
    const s = settings(
      base(
        [
          { resource: 'https://Notes.Example.com/mcp', scopes: ['notes:read'], tools: { list_notes: 'notes:read' } },
          { resource: 'https://crm.example.com/', scopes: ['crm:read', 'crm:write'], tools: { 'crm_*': 'crm:write' }, unlisted: 'deny' },
          { resource: 'https://crm.example.com/v2/mcp' },
        ],
        false,
      ),
    );
    assert.deepEqual(s.resources.map((r) => r.id), ['https://notes.example.com/mcp', 'https://crm.example.com/', 'https://crm.example.com/v2/mcp']);
    assert.deepEqual(s.resources.map((r) => r.metadataUrl), [
      'https://notes.example.com/.well-known/oauth-protected-resource/mcp',
      'https://crm.example.com/.well-known/oauth-protected-resource',
      'https://crm.example.com/.well-known/oauth-protected-resource/v2/mcp',
    ]);
    assert.ok(s.resources.every((r) => r.external === true && r.upstream === undefined));
    assert.deepEqual(s.resources[1]!.tools, { 'crm_*': 'crm:write' });
  });

  test('misconfiguration names the option', () => {
    refused(base([{ resource: 'http://notes.example.com/mcp' }], false), 'resources[0].resource', /https/);
    refused(base([{ resource: 'http://10.0.0.5/mcp' }]), 'resources[0].resource', /loopback/);
    refused(base([{ resource: 'https://notes.example.com/mcp?x=1' }], false), 'resources[0].resource', /query or fragment/);
    refused(base([{ resource: 'https://notes.example.com/mcp', upstream: 'http://127.0.0.1:9000/mcp' }], false), 'resources[0].resource', /not both/);
    refused(base([{ resource: 'https://notes.example.com/mcp', identity: { mode: 'static', static_headers_env: { 'x-key': 'K' } } }], false), 'resources[0].identity', /gateway upstream/);
    refused(base([{ resource: 'https://a.example.com/mcp' }, { resource: 'https://A.example.com/mcp' }], false), 'resources[1].resource', /duplicate/);
    refused(base([{ resource: 'https://a.example.com/mcp', scopes: ['a'], tools: { t: 'b' } }], false), 'resources[0].tools.t', /not in resources\[0\]\.scopes/);
    assert.throws(() => configSchema.parse(base([{ resource: 'not a url' }])), /resource/);
  });

  test('serve with no resources at all refuses to start, saying what to configure (ARCHITECTURE "Configuration")', async () => {
    await assert.rejects(
      startRuntime(configSchema.parse(base([]))),
      (e: unknown) => e instanceof ConfigError && e.option === 'resources' && /nothing to protect/.test(e.message) && /resource: the URL of an MCP server using portcullis\/resource-server/.test(e.message),
    );
  });
});
