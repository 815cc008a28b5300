import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runChecker } from '../../src/checker/run.js';
import { CHECKS } from '../../src/checker/checks/index.js';
import type { Report } from '../../src/checker/types.js';
import { driveAuthorization } from '../helpers/browserless.js';
import { setupE2eEnv, type E2eEnv } from '../helpers/e2e-env.js';
import { nativeClientDocument } from '../helpers/oauth-provider.js';
import { spawn } from 'node:child_process';
import { CLI, serveDemo, type PortcullisProcess } from '../helpers/portcullis-process.js';
import { freePort } from '../helpers/ports.js';

const LOGIN_IDS = CHECKS.filter((c) => c.phase === 'login').map((c) => c.id);

function notPassing(r: Report, allowedSkips: string[]): string[] {
  return r.results.filter((x) => x.verdict !== 'pass' && !(x.verdict === 'skip' && allowedSkips.includes(x.id))).map((x) => `${x.verdict} ${x.id}: ${x.detail}`);
}

describe('checker --login against Portcullis itself (issue 5 item 2: active checks with a real login)', () => {
  let env: E2eEnv;
  let server: PortcullisProcess;
  let mcpUrl: string;
  let clientId: string;
  // a scripted user agent: logs in as the demo user, approves, then delivers the redirect to the loopback callback
  const userAgent = async (url: string): Promise<void> => {
    const { location } = await driveAuthorization(fetch, url, { username: server.banner.demoUser!, password: server.banner.demoPassword! });
    await fetch(location);
  };

  before(async () => {
    env = await setupE2eEnv();
    // a 1 s refresh grace so the reuse-after-grace run stays short
    server = await serveDemo({ port: await freePort(), dataDir: env.newDir('data'), caFile: env.caFile, env: { PORTCULLIS_TOKENS__REFRESH_GRACE: '1' } });
    mcpUrl = server.banner.mcpUrls[0]!;
    clientId = env.https.url('/checker-login-client.json');
    env.https.route('/checker-login-client.json', { body: nativeClientDocument(clientId, 'portcullis check --login (test)') });
  });
  after(async () => {
    await server?.stop().catch(() => server.kill());
    await env?.cleanup();
  });

  it('every check passes; the login checks pass or skip with a reason (as.authorize.iss-callback, as.token.code-single-use, as.token.refresh-rotation, as.token.jwt-profile, rs.token.aud-exact, gw.policy.insufficient-scope, as.revocation.gateway)', async () => {
    const lines: string[] = [];
    const r = await runChecker(mcpUrl, { clientId, login: true, userAgent, scope: 'notes:read', stepUpTool: 'add_note', timeoutMs: 10_000, progress: (l) => lines.push(l) });
    assert.deepEqual(notPassing(r, ['rs.prm.root-resource', 'rs.token.aud-exact']), []);
    assert.match(r.results.find((x) => x.id === 'rs.token.aud-exact')!.detail, /--other-resource/);
    for (const id of ['as.token.code-single-use', 'as.token.refresh-rotation', 'as.token.jwt-profile', 'as.token.jwt-aud', 'gw.policy.insufficient-scope', 'gw.policy.step-up-retry', 'as.revocation.gateway', 'as.authorize.iss-callback']) {
      assert.equal(r.results.find((x) => x.id === id)?.verdict, 'pass', id);
    }
    assert.ok(lines.some((l) => l.includes('/authorize?')), 'the authorization URL is printed');
    const keys = r.exchanges.map((x) => x.key);
    for (const k of ['login.callback', 'login.token', 'login.mcp', 'login.refresh', 'login.revoke', 'login.token.replay']) assert.ok(keys.includes(k), k);
    const json = JSON.stringify(r.exchanges);
    assert.doesNotMatch(json, /"access_token":"ey/, 'issued tokens are redacted from the report');
  });

  it('--refresh-grace-wait: reuse of the rotated refresh token after the grace is refused (as.token.refresh-reuse)', async () => {
    const r = await runChecker(mcpUrl, { clientId, login: true, userAgent, refreshGraceWaitMs: 1_500, timeoutMs: 10_000 });
    const reuse = r.results.find((x) => x.id === 'as.token.refresh-reuse')!;
    assert.equal(reuse.verdict, 'pass', reuse.detail);
    assert.match(reuse.detail, /invalid_grant after waiting/);
    assert.deepEqual(notPassing(r, ['rs.prm.root-resource', ...LOGIN_IDS]), []);
  });

  it('the CLI: `check --login` prints the authorization URL on stderr, takes the code on its loopback callback, exits 0; login-only flags need --login (exit 2)', async () => {
    const child = spawn(process.execPath, [CLI, 'check', mcpUrl, '--login', '--client-id', clientId, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        err += d;
        const m = /^\s+(http\S+\/authorize\?\S+)$/m.exec(err);
        if (m) resolve(m[1]!);
      });
      child.once('exit', () => reject(new Error(`exited before printing the URL:\n${err}`)));
    });
    await userAgent(url);
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 0, err);
    const report = JSON.parse(out) as Report;
    assert.equal(report.results.find((x) => x.id === 'as.token.code-single-use')?.verdict, 'pass');
    const usage = spawn(process.execPath, [CLI, 'check', mcpUrl, '--step-up-tool', 'x'], { stdio: 'ignore' });
    assert.equal(await new Promise<number | null>((resolve) => usage.once('exit', resolve)), 2);
  });
});
