/**
 * issue 7 "How it is shown": the official conformance suite's server scenarios run through the gateway against a
 * stdio fixture (stdio-fixture.ts: the same McpServer as fixture-server.ts, behind StdioServerTransport), with the
 * same per-scenario pass/fail as the HTTP fixture run directly, and the same check counts except in the
 * scenarios listed in FEWER_CHECKS, each with its reason (that list may only shrink).
 *
 * Wire: --requirements 2025-11-25 (initialize + sessions), with `per: session` so that each suite session gets
 * its own child, as a legacy client's would. The 2026-07-28 stateless scenarios are not compared here: the HTTP
 * fixture implements that wire in its HTTP layer (handleStateless), not in the McpServer a stdio child runs.
 *
 * Requirement: conf.stdio-transparency. Source: @modelcontextprotocol/conformance 0.2.0-alpha.12.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startGateway, type GatewayHarness } from '../gateway/helpers/harness.js';
import { startFixtureServer, type FixtureServer } from './fixture-server.js';
import { SUITE_VERSION, killTree, readChecks, runSuite, startTokenProxy, summarize, type Check } from './harness.js';

const STDIO_FIXTURE = fileURLToPath(new URL('./stdio-fixture.ts', import.meta.url));
const SCOPES = ['fixture:read', 'fixture:write', 'fixture:admin'];
const WIRE = '2025-11-25';
const SUITE_TIMEOUT_MS = 300_000; // each legacy session starts a child (node + tsx): slow on a loaded machine

/**
 * scenario → why it scores fewer checks through the stdio bridge (it passes either way). Both concern optional
 * SEP-1699 behaviour of the HTTP fixture's SDK transport that the bridge does not reproduce: resumable SSE
 * (priming event with an id, `retry`, replay after GET with Last-Event-ID) needs an event store, and the bridge
 * keeps no replay log; and the bridge answers a lone response as JSON rather than SSE, which the suite scores as
 * INFO ("SSE streaming is optional") instead of checking stream function.
 */
const FEWER_CHECKS: Record<string, string> = {
  'server-sse-polling': 'SEP-1699 priming event, retry field and Last-Event-ID resume are SHOULDs the bridge does not implement (warnings, not failures)',
  'server-sse-multiple-streams': 'concurrent tools/list answered as JSON (allowed), so the SSE-stream check is INFO instead of SUCCESS',
};

type Outcome = Record<string, 'pass' | 'fail'>;
function outcomes(checks: Map<string, Check[]>): Outcome {
  const out: Outcome = {};
  for (const [name, cs] of [...checks].sort(([a], [b]) => a.localeCompare(b))) out[name] = cs.some((c) => c.status === 'FAILURE') ? 'fail' : 'pass';
  return out;
}

describe(`conformance ${SUITE_VERSION} server scenarios through the gateway against a stdio fixture: same results as direct (conf.stdio-transparency)`, { timeout: 700_000 }, () => {
  const children = new Set<ChildProcess>();
  const tmp = mkdtempSync(join(tmpdir(), 'portcullis-conf-stdio-'));
  let fixture: FixtureServer | undefined;
  let h: GatewayHarness | undefined;
  let proxy: Awaited<ReturnType<typeof startTokenProxy>> | undefined;

  before(async () => {
    fixture = await startFixtureServer();
    h = await startGateway({
      upstream: 'http://127.0.0.1:9/unused',
      config: {
        resources: [
          {
            path: '/mcp',
            name: 'Conformance fixture (stdio)',
            scopes: SCOPES,
            tools: { test_sampling: 'fixture:write', test_elicitation: 'fixture:write', test_error_handling: 'fixture:admin' },
            upstream_stdio: { command: process.execPath, args: ['--import', 'tsx', STDIO_FIXTURE], per: 'session', max_children: 200, idle_timeout_s: 60 },
          },
        ],
      },
    });
    const token = await h.token({ scope: SCOPES.join(' ') });
    proxy = await startTokenProxy(new URL(h.url).origin, () => token);
  });

  after(async () => {
    for (const c of children) killTree(c, 'SIGKILL');
    await proxy?.close();
    await h?.close();
    await fixture?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it(`conformance ${SUITE_VERSION} server --requirements ${WIRE}: per-scenario pass/fail through the gateway to a stdio child equals the HTTP fixture direct (conf.stdio-transparency, gw.stdio.sse, gw.stdio.server-requests)`, async (t) => {
    const direct = await runSuite(['server', '--url', fixture!.url, '--requirements', WIRE, '-o', join(tmp, 'direct')], { timeoutMs: SUITE_TIMEOUT_MS, track: children });
    const gated = await runSuite(['server', '--url', `${proxy!.url}/mcp`, '--requirements', WIRE, '-o', join(tmp, 'stdio')], { timeoutMs: SUITE_TIMEOUT_MS, track: children });
    assert.equal(direct.timedOut || gated.timedOut, false, 'a suite run ran out of time');
    const a = readChecks(join(tmp, 'direct'));
    const b = readChecks(join(tmp, 'stdio'));
    const report = `--- HTTP fixture direct (${direct.ms} ms) ---\n${summarize(a)}\n\n--- gateway → stdio fixture (${gated.ms} ms) ---\n${summarize(b)}`;
    for (const line of summarize(b).split('\n')) t.diagnostic(`stdio ${line}`);
    assert.ok(a.size >= 30, `expected the full ${WIRE} requirement set, got ${a.size}\n${direct.stdout}`);
    const oa = outcomes(a);
    const ob = outcomes(b);
    const differing = Object.keys({ ...oa, ...ob }).filter((k) => oa[k] !== ob[k]).sort();
    t.diagnostic(`differing scenarios: ${differing.join(', ') || '(none)'}`);
    assert.deepEqual(differing, [], `per-scenario pass/fail differs\n${report}`);
    // stricter: the same number of passed and failed checks in every scenario not listed
    const counts = (checks: Map<string, Check[]>) =>
      Object.fromEntries([...checks].filter(([n]) => !(n in FEWER_CHECKS)).map(([n, cs]) => [n, `${cs.filter((c) => c.status === 'SUCCESS').length}/${cs.filter((c) => c.status === 'FAILURE').length}`]));
    assert.deepEqual(counts(b), counts(a), `per-check counts differ\n${report}`);
    assert.equal(gated.code, direct.code, report);
    // the children's stderr stayed in the log and no request made the gateway fail
    assert.deepEqual(h!.log.entries.filter((e) => e.level === 'error').map((e) => e.msg), []);
  });
});
