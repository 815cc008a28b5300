import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { configSchema } from '../../src/config/schema.js';

const BIN = new URL('../../bin/portcullis.js', import.meta.url).pathname;
const run = (args: string[], opts: { input?: string; cwd?: string; env?: Record<string, string> } = {}) =>
  spawnSync(process.execPath, [BIN, ...args], { input: opts.input ?? '', cwd: opts.cwd, encoding: 'utf8', timeout: 30_000, env: { ...process.env, PORTCULLIS_LOG_LEVEL: 'silent', ...opts.env } });
const tmp = () => mkdtempSync(join(tmpdir(), 'pc-cli-'));

describe('portcullis init writes a commented starter config without secrets (cli.init)', () => {
  it('the file parses against the schema and holds no secret', () => {
    const dir = tmp();
    const r = run(['init'], { cwd: dir });
    assert.equal(r.status, 0, r.stderr);
    const text = readFileSync(join(dir, 'portcullis.yaml'), 'utf8');
    assert.match(text, /^# /m);
    assert.doesNotMatch(text, /client_secret:\s*\S|PORTCULLIS_SECRET=\S/);
    configSchema.parse(parse(text));
    assert.equal(run(['init'], { cwd: dir }).status, 1, 'refuses to overwrite');
  });
});

describe('portcullis users add NAME stores an argon2id hash (cli.users-add)', () => {
  it('password from stdin; a duplicate name is refused', () => {
    const dir = tmp();
    const r = run(['users', 'add', 'bob', '--role', 'reader', '--data-dir', dir], { input: 'bob-password-123\n' });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(existsSync(join(dir, 'portcullis.db')));
    const db = readFileSync(join(dir, 'portcullis.db'));
    assert.ok(db.includes(Buffer.from('$argon2id$')), 'argon2id PHC string stored');
    assert.ok(!db.includes(Buffer.from('bob-password-123')), 'plain password never stored');
    const again = run(['users', 'add', 'bob', '--data-dir', dir], { input: 'another-password\n' });
    assert.equal(again.status, 1);
    assert.match(again.stderr, /already exists/);
  });
  it('a short password is refused', () => {
    const r = run(['users', 'add', 'carol', '--data-dir', tmp()], { input: 'short\n' });
    assert.equal(r.status, 1);
  });
});

describe('ARCHITECTURE "Two error channels": misconfiguration fails at start naming the option (cli.config-errors)', () => {
  it('serve with nothing to protect → exit 78 naming resources', () => {
    const r = run(['serve', '--data-dir', tmp(), '--port', '0', '--dev']);
    assert.equal(r.status, 78);
    assert.match(r.stderr, /resources: nothing to protect/);
  });
  it('http issuer on a non-loopback host → exit 78 naming issuer', () => {
    const r = run(['serve', '--data-dir', tmp(), '--issuer', 'http://mcp.example.com', '--upstream', 'http://127.0.0.1:1/mcp', '--dev']);
    assert.equal(r.status, 78);
    assert.match(r.stderr, /issuer:/);
  });
  it('an unknown flag → usage error, exit 2', () => {
    const r = run(['serve', '--prot', '1']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /Usage/);
  });
});
