import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite/index.js';

const BIN = new URL('../../bin/portcullis.js', import.meta.url).pathname;
const run = (args: string[], input = '') => spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', timeout: 30_000, env: { ...process.env, PORTCULLIS_LOG_LEVEL: 'silent' } });

describe('Issue 3: taking a role away or disabling a user revokes grants already issued (cli.users-roles)', () => {
  it('roles narrowed → grants holding removed scopes revoked; disable → every grant revoked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pc-users-'));
    const cfg = join(dir, 'portcullis.yaml');
    writeFileSync(cfg, `data_dir: ${dir}\nroles:\n  reader: [notes:read]\n  editor: [notes:write]\nresources:\n  - path: /mcp\n    scopes: [notes:read, notes:write]\n    scope_implies: { "notes:write": [notes:read] }\n`);
    assert.equal(run(['users', 'add', 'eve', '--role', 'editor', '--config', cfg], 'eve-password-1\n').status, 0);
    const store = openSqliteStore(join(dir, 'portcullis.db'));
    await store.migrate();
    const eve = (await store.getUserByName('eve'))!;
    const grant = (id: string, scope: string[]) => ({ id, user_id: eve.id, client_id: 'c', resource: 'https://x/mcp', scope, created_at: Date.now(), auth_time: null, revoked_at: null, revoked_reason: null });
    const code = (g: string) => ({ code_hash: `h-${g}`, grant_id: g, client_id: 'c', user_id: eve.id, redirect_uri: 'https://c/cb', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' as const, scope: [], resource: 'https://x/mcp', nonce: null, auth_time: 0, created_at: 0, expires_at: Date.now() + 60_000, consumed_at: null });
    await store.createGrantWithCode(grant('g-write', ['notes:write']), code('g-write'));
    await store.createGrantWithCode(grant('g-read', ['notes:read']), code('g-read'));
    await store.close();

    const r = run(['users', 'roles', 'eve', '--role', 'reader', '--config', cfg]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /1 grant\(s\) revoked/);
    const s2 = openSqliteStore(join(dir, 'portcullis.db'));
    assert.notEqual((await s2.getGrant('g-write'))!.revoked_at, null, 'write grant revoked');
    assert.equal((await s2.getGrant('g-read'))!.revoked_at, null, 'read grant kept');
    await s2.close();

    assert.equal(run(['users', 'roles', 'eve', '--role', 'wizard', '--config', cfg]).status, 2, 'unknown role refused');
    const d = run(['users', 'disable', 'eve', '--config', cfg]);
    assert.match(d.stdout, /disabled; 1 grant\(s\) revoked/);
    const s3 = openSqliteStore(join(dir, 'portcullis.db'));
    assert.notEqual((await s3.getGrant('g-read'))!.revoked_at, null);
    assert.equal((await s3.getUserByName('eve'))!.disabled, true);
    await s3.close();
    assert.match(run(['users', 'list', '--config', cfg]).stdout, /eve\tdisabled\treader/);
  });
});

describe('Issue 3: in a demo data dir the admin commands use the demo roles and hierarchy (cli.users-roles-demo)', () => {
  it('downgrading an editor to reader revokes the write grant, keeps the read grant; unknown roles refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pc-users-demo-'));
    writeFileSync(join(dir, 'demo-password'), 'x');
    assert.equal(run(['users', 'add', 'dora', '--role', 'editor', '--data-dir', dir], 'dora-password-1\n').status, 0);
    const store = openSqliteStore(join(dir, 'portcullis.db'));
    await store.migrate();
    const dora = (await store.getUserByName('dora'))!;
    const mk = (id: string, scope: string[]) =>
      store.createGrantWithCode(
        { id, user_id: dora.id, client_id: 'c', resource: 'http://127.0.0.1:1/mcp', scope, created_at: Date.now(), auth_time: null, revoked_at: null, revoked_reason: null },
        { code_hash: `h-${id}`, grant_id: id, client_id: 'c', user_id: dora.id, redirect_uri: 'https://c/cb', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256', scope, resource: 'http://127.0.0.1:1/mcp', nonce: null, auth_time: 0, created_at: 0, expires_at: Date.now() + 60_000, consumed_at: null },
      );
    await mk('w', ['notes:read', 'notes:write']);
    await mk('r', ['notes:read']);
    await store.close();
    assert.equal(run(['users', 'roles', 'dora', '--role', 'nonesuch', '--data-dir', dir]).status, 2);
    const r = run(['users', 'roles', 'dora', '--role', 'reader', '--data-dir', dir]);
    assert.match(r.stdout, /1 grant\(s\) revoked/, r.stderr);
    const s2 = openSqliteStore(join(dir, 'portcullis.db'));
    assert.notEqual((await s2.getGrant('w'))!.revoked_at, null);
    assert.equal((await s2.getGrant('r'))!.revoked_at, null);
    await s2.close();
  });
});
