/**
 * `portcullis users|grants|revoke|clients … --remote URL` against a real `portcullis serve` (issue 3 item 7): the
 * CLI drives a remote Portcullis through the admin API with a client_credentials token carrying portcullis:admin.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../helpers/ports.js';
import { CLI, spawnPortcullis, type PortcullisProcess } from '../helpers/portcullis-process.js';

const SECRET = 'ops-secret-for-remote-test';

describe('portcullis CLI --remote drives a running serve through the admin API (admin.cli.remote)', { timeout: 120_000 }, () => {
  let dir: string;
  let server: PortcullisProcess | undefined;
  let issuer: string;
  let token: string;
  const cli = (args: string[], opts: { input?: string; token?: string | null } = {}) => {
    const env: NodeJS.ProcessEnv = { ...process.env, PORTCULLIS_LOG_LEVEL: 'silent' };
    delete env.PORTCULLIS_ADMIN_TOKEN;
    if (opts.token !== null) env.PORTCULLIS_ADMIN_TOKEN = opts.token ?? token;
    return spawnSync(process.execPath, [CLI, ...args, '--remote', issuer], { input: opts.input ?? '', encoding: 'utf8', timeout: 30_000, env });
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pc-remote-'));
    const config = join(dir, 'portcullis.yaml');
    writeFileSync(config, `clients:\n  - client_id: ops\n    grant_types: [client_credentials]\n    token_endpoint_auth_method: client_secret_basic\n    client_secret_env: OPS_SECRET\n    scopes: ["portcullis:admin"]\n`);
    const port = await freePort();
    server = await spawnPortcullis({ args: ['serve', '--demo', '--port', String(port), '--data-dir', join(dir, 'data'), '--config', config], env: { PORTCULLIS_LOG_LEVEL: 'warn', OPS_SECRET: SECRET } });
    issuer = server.banner.issuer;
    const res = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`ops:${SECRET}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource: `${issuer}/admin`, scope: 'portcullis:admin' }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    token = ((await res.json()) as { access_token: string }).access_token;
  });
  after(async () => {
    await server?.stop().catch(() => server?.kill());
    rmSync(dir, { recursive: true, force: true });
  });

  test('users add/list/roles/disable, grants list, revoke, clients pending/deny — remotely', () => {
    const add = cli(['users', 'add', 'frank', '--role', 'reader'], { input: 'frank-password-1\n' });
    assert.equal(add.status, 0, add.stderr);
    assert.match(add.stdout, /added user frank with roles reader/);
    assert.match(cli(['users', 'list']).stdout, /frank\tactive\treader/);
    assert.match(cli(['users', 'roles', 'frank', '--role', 'editor']).stdout, /frank: roles editor; 0 grant\(s\) revoked/);
    assert.match(cli(['users', 'disable', 'frank']).stdout, /frank: disabled; 0 grant\(s\) revoked/);
    const grants = cli(['grants', 'list', '--all']);
    assert.equal(grants.status, 0, grants.stderr);
    assert.match(grants.stdout, /GRANT\s+USER/);
    assert.match(grants.stdout, /ops\s+ops/, "the CLI's own client_credentials grant is listed");
    const revoke = cli(['revoke', '--user', 'demo']);
    assert.equal(revoke.status, 0, revoke.stderr);
    assert.match(revoke.stdout, /nothing to revoke/);
    assert.match(cli(['clients', 'pending']).stdout, /no clients awaiting approval/);
    const deny = cli(['clients', 'deny', 'https://bad.example/client.json']);
    assert.equal(deny.status, 0, deny.stderr);
    assert.match(deny.stdout, /denied https:\/\/bad\.example\/client\.json .*by client:ops; 0 grant\(s\) revoked/);
    assert.match(cli(['users', 'roles', 'nobody', '--role', 'reader']).stderr, /404 not_found/);
  });

  test('without a token the CLI says what to set; a wrong token is refused by the server', () => {
    const none = cli(['users', 'list'], { token: null });
    assert.equal(none.status, 2);
    assert.match(none.stderr, /PORTCULLIS_ADMIN_TOKEN/);
    const bad = cli(['users', 'list'], { token: 'garbage' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /401 invalid_token/);
    const file = join(dir, 'token');
    writeFileSync(file, `${token}\n`);
    const viaFile = cli(['users', 'list', '--token-file', file], { token: null });
    assert.equal(viaFile.status, 0, viaFile.stderr);
    assert.match(viaFile.stdout, /demo\tactive/);
  });

  test('revoking the CLI token remotely makes the next call fail at once', () => {
    const r = cli(['revoke', '--client', 'ops']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /1 grant revoked/);
    assert.match(cli(['users', 'list']).stderr, /401 invalid_token/);
  });
});
