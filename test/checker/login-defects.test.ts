import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runChecker } from '../../src/checker/run.js';
import { CHECKS } from '../../src/checker/checks/index.js';
import type { Report } from '../../src/checker/types.js';
import { driveAuthorization } from '../helpers/browserless.js';
import { LOGIN_DEFECTS, type Defect } from './fixtures/defects.js';
import { FIXTURE_CLIENT_ID, startDefectiveServer } from './fixtures/defective-server.js';

function problems(r: Report): string[] {
  return r.results.filter((x) => x.verdict === 'fail' || x.verdict === 'warn').map((x) => `${x.verdict} ${x.id}: ${x.detail}`);
}

/** the fixture's consent page is one form; the scripted user agent approves it and delivers the redirect */
async function userAgent(url: string): Promise<void> {
  const { location } = await driveAuthorization(fetch, url, { username: 'unused', password: 'unused' });
  await fetch(location);
}

async function check(defect?: Defect): Promise<Report> {
  const server = await startDefectiveServer(defect);
  try {
    return await runChecker(server.url, {
      clientId: FIXTURE_CLIENT_ID, login: true, userAgent, timeoutMs: 5_000,
      scope: 'mcp:tools', stepUpTool: 'write_note', otherResource: `${server.origin}/other`,
    });
  } finally {
    await server.close();
  }
}

describe('checker --login: seeded login-phase defects are each reported with exactly their id (issue 5 item 2)', () => {
  it('the fixture without a defect passes every login check; only the optional root PRM skips', async () => {
    const r = await check();
    assert.deepEqual(problems(r), []);
    assert.deepEqual(r.results.filter((x) => x.verdict === 'skip').map((x) => `${x.id}: ${x.detail}`), [`rs.prm.root-resource: ${r.results.find((x) => x.id === 'rs.prm.root-resource')!.detail}`]);
    assert.ok(CHECKS.filter((c) => c.phase === 'login').length >= 15);
  });

  for (const [defect, want] of Object.entries(LOGIN_DEFECTS) as [keyof typeof LOGIN_DEFECTS, (typeof LOGIN_DEFECTS)[keyof typeof LOGIN_DEFECTS]][]) {
    const c = CHECKS.find((x) => x.id === want.id);
    it(`${defect} → ${want.verdict} ${want.id} (${c?.level} ${c?.source})`, async () => {
      const r = await check(defect);
      assert.deepEqual(problems(r).map((p) => p.split(':')[0]), [`${want.verdict} ${want.id}`], problems(r).join('\n'));
    });
  }
});
