import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runChecker } from '../../src/checker/run.js';
import { startMockScenario } from './conformance-mock.js';

/** Scenarios of the official suite whose mock servers carry a known defect, and the id the checker must fail. */
const CASES = [
  { scenario: 'auth/resource-mismatch', id: 'rs.prm.resource-exact', clientId: undefined },
  { scenario: 'auth/metadata-issuer-mismatch', id: 'as.metadata.issuer-exact', clientId: undefined },
  { scenario: 'auth/iss-wrong-issuer', id: 'as.authorize.iss-exact', clientId: 'portcullis-check' },
] as const;

describe('checker against the official conformance suite mock servers (@modelcontextprotocol/conformance 0.2.0-alpha.12)', () => {
  for (const c of CASES) {
    it(`${c.scenario} is reported as fail ${c.id} (${c.id})`, { timeout: 180_000 }, async (t) => {
      const mock = await startMockScenario(c.scenario);
      if (typeof mock === 'string') {
        t.skip(mock.split('\n')[0]!);
        return;
      }
      try {
        const r = await runChecker(mock.url, { timeoutMs: 10_000, ...(c.clientId ? { clientId: c.clientId } : {}) });
        const hit = r.results.find((x) => x.id === c.id);
        assert.equal(hit?.verdict, 'fail', JSON.stringify(hit));
      } finally {
        await mock.stop();
      }
    });
  }
});
