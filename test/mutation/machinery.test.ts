/**
 * Issue 10 item 4: the mutation machinery itself, in npm test (the full run, `npm run mutation`, is too long for
 * it). One control is switched off through the loader hook and its attack case is shown to fail on its own
 * assertion; the same environment variable without the hook changes nothing.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { REPO_ROOT } from '../helpers/portcullis-process.js';

const CASES = 'bites: [^\\]]*authz\\.pkce-required[,\\]]';

function run(loader: boolean): { status: number | null; out: string } {
  const args = ['--import', 'tsx', ...(loader ? ['--import', './test/mutation/register.mjs'] : []), '--test', '--test-reporter=tap', `--test-name-pattern=${CASES}`, 'test/attacks/authorize.test.ts'];
  // a child test run of its own: without NODE_TEST_CONTEXT it does not report into this one
  const env: NodeJS.ProcessEnv = { ...process.env, PORTCULLIS_MUTATE: 'authz.pkce-required' };
  delete env.NODE_TEST_CONTEXT;
  const r = spawnSync(process.execPath, args, { cwd: REPO_ROOT, env, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('mutation machinery: a disabled control makes its cases fail (sec.mutation)', () => {
  it('with the loader hook, PORTCULLIS_MUTATE=authz.pkce-required makes every PKCE case fail on its assertion (sec.mutation)', () => {
    const { status, out } = run(true);
    assert.notEqual(status, 0, out.slice(-2000));
    const failed = [...out.matchAll(/^\s*not ok \d+ - (missing code_challenge.*|code_challenge_method=plain.*)$/gm)];
    assert.equal(failed.length, 2, out.slice(-3000));
    assert.match(out, /failureType: 'testCodeFailure'/);
    assert.doesNotMatch(out, /failureType: 'hookFailed'/);
  });

  it('without the hook the same variable does nothing: the cases pass (sec.mutation)', () => {
    const { status, out } = run(false);
    assert.equal(status, 0, out.slice(-2000));
    assert.match(out, /# pass 5/);
  });
});
