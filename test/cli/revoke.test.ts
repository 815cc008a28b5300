/**
 * `portcullis revoke` and `grants list` against a real `portcullis serve --demo` (issue 3 items 5–6): a separate
 * process writes revoked_at into the same data dir and the running gateway refuses the still-unexpired access
 * token within about a second, through its revoked-grant poller (ARCHITECTURE "Revocation").
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { driveAuthorization } from '../helpers/browserless.js';
import { pkcePair } from '../helpers/as-harness.js';
import { freePort } from '../helpers/ports.js';
import { CLI, spawnPortcullis, type PortcullisProcess } from '../helpers/portcullis-process.js';

const CLIENT = 'cli-revoke-test';
const REDIRECT = 'http://127.0.0.1:53999/callback';

const cli = (args: string[], input = '') =>
  spawnSync(process.execPath, [CLI, ...args], { input, encoding: 'utf8', timeout: 30_000, env: { ...process.env, PORTCULLIS_LOG_LEVEL: 'silent' } });

describe('portcullis revoke against a running serve (as.revocation.cli, as.revocation.bulk)', { timeout: 120_000 }, () => {
  let dir: string;
  let server: PortcullisProcess | undefined;
  let issuer: string;
  let mcpUrl: string;
  let password: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pc-revoke-'));
    const config = join(dir, 'portcullis.yaml');
    writeFileSync(config, `clients:\n  - client_id: ${CLIENT}\n    client_name: CLI revoke test\n    redirect_uris: ["http://127.0.0.1/callback"]\n`);
    const port = await freePort();
    server = await spawnPortcullis({ args: ['serve', '--demo', '--port', String(port), '--data-dir', join(dir, 'data'), '--config', config], env: { PORTCULLIS_LOG_LEVEL: 'warn' } });
    issuer = server.banner.issuer;
    mcpUrl = server.banner.mcpUrls[0]!;
    password = server.banner.demoPassword!;
  });
  after(async () => {
    await server?.stop().catch(() => server?.kill());
    rmSync(dir, { recursive: true, force: true });
  });

  /** login + consent as the demo user, then the code exchange: a fresh grant */
  async function tokens(): Promise<{ access_token: string; refresh_token: string }> {
    const { verifier, challenge } = pkcePair();
    const u = new URL(`${issuer}/authorize`);
    for (const [k, v] of Object.entries({ response_type: 'code', client_id: CLIENT, redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: 'S256', state: 's', scope: 'notes:read', resource: mcpUrl })) u.searchParams.set(k, v);
    const { location } = await driveAuthorization((url, init) => fetch(url, init), u.toString(), { username: 'demo', password });
    const code = new URL(location).searchParams.get('code')!;
    const res = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT, client_id: CLIENT, resource: mcpUrl }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()) as { access_token: string; refresh_token: string };
  }

  const mcpStatus = async (token: string): Promise<number> => {
    const res = await fetch(mcpUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
    });
    await res.body?.cancel();
    return res.status;
  };

  /** polls until the gateway answers 401; returns the milliseconds it took */
  async function refusedWithin(token: string, limitMs: number): Promise<number> {
    const start = Date.now();
    while (Date.now() - start < limitMs) {
      if ((await mcpStatus(token)) === 401) return Date.now() - start;
      await sleep(50);
    }
    assert.fail(`the gateway still accepted the token after ${limitMs} ms`);
  }

  test('ARCHITECTURE "Revocation": a revoked grant\'s access token is refused by the gateway within 1 s (as.revocation.gateway)', async () => {
    const t = await tokens();
    assert.notEqual(await mcpStatus(t.access_token), 401, 'the token works before revocation');
    const r = cli(['revoke', '--user', 'demo', '--data-dir', join(dir, 'data')]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /revoked grant \S+ {2}user demo {2}client cli-revoke-test/);
    const took = await refusedWithin(t.access_token, 2500);
    assert.ok(took <= 1500, `refused after ${took} ms (poller interval 1 s)`);
    const listed = cli(['grants', 'list', '--user', 'demo', '--all', '--data-dir', join(dir, 'data'), '--json']);
    assert.equal(listed.status, 0, listed.stderr);
    const grants = JSON.parse(listed.stdout) as { client_id: string; revoked_at: number | null }[];
    assert.ok(grants.length >= 1 && grants.every((g) => g.revoked_at !== null));
    assert.match(cli(['grants', 'list', '--data-dir', join(dir, 'data')]).stdout, /\(no grants\)/);
  });

  test('revoke --token - (a refresh token on stdin) and --grant; grants list shows live grants', async () => {
    const a = await tokens();
    const b = await tokens();
    const list = cli(['grants', 'list', '--client', CLIENT, '--data-dir', join(dir, 'data')]);
    assert.equal(list.status, 0, list.stderr);
    const ids = [...list.stdout.matchAll(/^([0-9a-f-]{36}) +demo +cli-revoke-test/gm)].map((m) => m[1]!);
    assert.equal(ids.length, 2, list.stdout);
    const r = cli(['revoke', '--token', '-', '--data-dir', join(dir, 'data')], `${a.refresh_token}\n`);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /1 grant revoked/);
    await refusedWithin(a.access_token, 2500);
    assert.notEqual(await mcpStatus(b.access_token), 401, 'the other grant still works');
    const other = ids.find((id) => !r.stdout.includes(id))!;
    const g = cli(['revoke', '--grant', other, '--data-dir', join(dir, 'data')]);
    assert.equal(g.status, 0, g.stderr);
    await refusedWithin(b.access_token, 2500);
    assert.match(cli(['revoke', '--grant', other, '--data-dir', join(dir, 'data')]).stdout, /already revoked/);
  });

  test('ARCHITECTURE "Revocation": POST /revoke is immediate on the instance that revokes (as.revocation.gateway)', async () => {
    const t = await tokens();
    const res = await fetch(`${issuer}/revoke`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: t.access_token, client_id: CLIENT }) });
    assert.equal(res.status, 200);
    assert.equal(await mcpStatus(t.access_token), 401, 'refused on the very next request');
  });

  test('usage errors: no target, two targets, unknown user/grant/token', () => {
    const d = join(dir, 'data');
    assert.equal(cli(['revoke', '--data-dir', d]).status, 2);
    assert.equal(cli(['revoke', '--user', 'demo', '--client', 'x', '--data-dir', d]).status, 2);
    assert.equal(cli(['revoke', '--user', 'nobody', '--data-dir', d]).status, 1);
    assert.equal(cli(['revoke', '--grant', 'nope', '--data-dir', d]).status, 1);
    assert.equal(cli(['revoke', '--token', 'not-a-token', '--data-dir', d]).status, 1);
    assert.equal(cli(['grants', 'frobnicate']).status, 2);
  });
});
