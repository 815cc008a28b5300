import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runChecker } from '../../src/checker/run.js';
import { CHECKS } from '../../src/checker/checks/index.js';
import type { Report } from '../../src/checker/types.js';
import { DEFECTS, type Defect } from './fixtures/defects.js';
import { FIXTURE_CLIENT_ID, startDefectiveServer } from './fixtures/defective-server.js';

function problems(r: Report): string[] {
  return r.results.filter((x) => x.verdict === 'fail' || x.verdict === 'warn').map((x) => `${x.verdict} ${x.id}: ${x.detail}`);
}

async function check(defect?: Defect): Promise<Report> {
  const server = await startDefectiveServer(defect);
  try {
    return await runChecker(server.url, { clientId: FIXTURE_CLIENT_ID, timeoutMs: 5_000 });
  } finally {
    await server.close();
  }
}

describe('checker: seeded defects are each reported with exactly their requirement id (issue 5 "How it is shown")', () => {
  it('the fixture without a defect passes every check (checker.fixture.clean)', async () => {
    const r = await check();
    assert.deepEqual(problems(r), []);
    const login = new Set(CHECKS.filter((c) => c.phase === 'login').map((c) => c.id));
    const skipped = r.results.filter((x) => x.verdict === 'skip' && !login.has(x.id)).map((x) => x.id);
    assert.deepEqual(skipped, ['rs.prm.root-resource'], 'only the optional root PRM (and, without --login, the login checks) is absent');
  });

  it(`covers at least 15 different defects and every seeded id is a registered check`, () => {
    assert.ok(Object.keys(DEFECTS).length >= 15);
    const ids = new Set(CHECKS.map((c) => c.id));
    for (const d of Object.values(DEFECTS)) assert.ok(ids.has(d.id), d.id);
  });

  for (const [defect, want] of Object.entries(DEFECTS) as [keyof typeof DEFECTS, (typeof DEFECTS)[keyof typeof DEFECTS]][]) {
    const level = CHECKS.find((c) => c.id === want.id)?.level;
    it(`${defect} → ${want.verdict} ${want.id} (${want.id}, ${level} ${CHECKS.find((c) => c.id === want.id)?.source})`, async () => {
      const r = await check(defect);
      assert.deepEqual(problems(r).map((p) => p.split(':')[0]), [`${want.verdict} ${want.id}`], problems(r).join('\n'));
    });
  }
});
