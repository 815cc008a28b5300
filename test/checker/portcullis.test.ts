import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runChecker } from '../../src/checker/run.js';
import { CHECKS } from '../../src/checker/checks/index.js';
import type { Report } from '../../src/checker/types.js';
import { setupE2eEnv, type E2eEnv } from '../helpers/e2e-env.js';
import { nativeClientDocument } from '../helpers/oauth-provider.js';
import { CLI, serveDemo, type PortcullisProcess } from '../helpers/portcullis-process.js';
import { freePort } from '../helpers/ports.js';

const run = promisify(execFile);

/** Without --login the login checks skip (login-portcullis.test.ts runs them); root PRM is optional. */
const ALLOWED_SKIPS = new Set(['rs.prm.root-resource', ...CHECKS.filter((c) => c.phase === 'login').map((c) => c.id)]);

function notPassing(r: Report): string[] {
  return r.results.filter((x) => x.verdict !== 'pass' && !(x.verdict === 'skip' && ALLOWED_SKIPS.has(x.id))).map((x) => `${x.verdict} ${x.id}: ${x.detail}`);
}

describe('checker against Portcullis itself: every check passes (issue 5 "How it is shown")', () => {
  let env: E2eEnv;
  let server: PortcullisProcess;
  let mcpUrl: string;
  let clientId: string;

  before(async () => {
    env = await setupE2eEnv();
    server = await serveDemo({ port: await freePort(), dataDir: env.newDir('data'), caFile: env.caFile });
    mcpUrl = server.banner.mcpUrls[0]!;
    clientId = env.https.url('/checker-client.json');
    env.https.route('/checker-client.json', { body: nativeClientDocument(clientId, 'portcullis check (test)') });
  });
  after(async () => {
    await server?.stop().catch(() => server.kill());
    await env?.cleanup();
  });

  it('passive and active checks with a CIMD client all pass (gw.auth.401-challenge, rs.prm.path-inserted, as.metadata, as.authorize.pkce-s256-required, as.authorize.redirect-exact, as.authorize.resource, as.authorize.iss)', async () => {
    const r = await runChecker(mcpUrl, { clientId, timeoutMs: 10_000 });
    assert.deepEqual(notPassing(r), []);
    assert.ok(r.results.length >= 30);
  });

  it('without a client, the active checks skip and name --client-id; nothing fails', async () => {
    const r = await runChecker(mcpUrl, { timeoutMs: 10_000 });
    assert.equal(r.summary.fail + r.summary.warn, 0, notPassing(r).join('\n'));
    const active = new Set(CHECKS.filter((c) => c.phase === 'active').map((c) => c.id));
    const skipped = r.results.filter((x) => x.verdict === 'skip' && active.has(x.id));
    assert.equal(skipped.length, 5);
    for (const s of skipped) assert.match(s.detail, /--client-id/);
  });

  it('the CLI: text on stdout, progress on stderr, --json, --html, exit 0; usage errors exit 2', async () => {
    const html = join(env.dir, 'report.html');
    const text = await run(process.execPath, [CLI, 'check', mcpUrl, '--client-id', clientId, '--html', html], { timeout: 30_000 });
    assert.match(text.stdout, /^PASS {2}gw\.auth\.401-challenge/m);
    assert.match(text.stdout, /0 fail/);
    assert.match(text.stderr, /mcp\.no-token +POST/);
    const page = readFileSync(html, 'utf8');
    assert.match(page, /<svg[^>]*role="img"/);
    assert.doesNotMatch(page, /<script|<link|src="http/i, 'self-contained, no script or external assets');
    const json = await run(process.execPath, [CLI, 'check', mcpUrl, '--json'], { timeout: 30_000 });
    const report = JSON.parse(json.stdout) as Report;
    assert.equal(report.summary.fail, 0);
    assert.ok(report.exchanges.some((x) => x.key === 'prm.header'));
    await assert.rejects(run(process.execPath, [CLI, 'check']), (e: { code?: number }) => e.code === 2);
    await assert.rejects(run(process.execPath, [CLI, 'check', 'ftp://x', '--json']), (e: { code?: number }) => e.code === 2);
  });
});
