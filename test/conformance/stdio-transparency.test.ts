/**
 * issue 7 "How it is shown": the official conformance suite's server scenarios run through the gateway against a
 * stdio fixture, with the same per-scenario pass/fail as the HTTP fixture run directly, and the same check counts
 * except in the scenarios listed in FEWER_CHECKS, each with its reason (those lists may only shrink). Two wires:
 *
 * - --requirements 2025-11-25 (initialize + sessions) against stdio-fixture.ts (the HTTP fixture's McpServer behind
 *   the SDK's StdioServerTransport, a legacy server), with `per: session` so that each suite session gets its own
 *   child, as a legacy client's would;
 * - --requirements 2026-07-28 (stateless, SEP-2575) against stdio-modern-fixture.ts (the HTTP fixture's stateless
 *   core over newline-delimited stdio, a modern server), one child per user (the default): every HTTP-layer
 *   behaviour the suite scores (header checks, status codes, SSE, subscriptions/listen streams) is then the
 *   gateway's (src/gateway/stdio/modern.ts).
 *
 * Requirement: conf.stdio-transparency, conf.stdio-transparency-modern. Source: @modelcontextprotocol/conformance
 * 0.2.0-alpha.12.
 */
import { after, before, describe, it, type TestContext } from 'node:test';
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
const STDIO_MODERN_FIXTURE = fileURLToPath(new URL('./stdio-modern-fixture.ts', import.meta.url));
const SCOPES = ['fixture:read', 'fixture:write', 'fixture:admin'];
const SUITE_TIMEOUT_MS = 300_000; // each legacy session starts a child (node + tsx): slow on a loaded machine

/**
 * 2025-11-25: scenario → why it scores fewer checks through the stdio bridge (it passes either way). Both concern
 * optional SEP-1699 behaviour of the HTTP fixture's SDK transport that the bridge does not reproduce: resumable SSE
 * (priming event with an id, `retry`, replay after GET with Last-Event-ID) needs an event store, and the bridge
 * keeps no replay log; and the bridge answers a lone response as JSON rather than SSE, which the suite scores as
 * INFO ("SSE streaming is optional") instead of checking stream function.
 */
const FEWER_CHECKS: Record<string, string> = {
  'server-sse-polling': 'SEP-1699 priming event, retry field and Last-Event-ID resume are SHOULDs the bridge does not implement (warnings, not failures)',
  'server-sse-multiple-streams': 'concurrent tools/list answered as JSON (allowed), so the SSE-stream check is INFO instead of SUCCESS',
};
/** 2026-07-28: the same, for the stateless wire (empty: every scenario scores the same checks through the bridge) */
const FEWER_CHECKS_MODERN: Record<string, string> = {};

type Outcome = Record<string, 'pass' | 'fail'>;
function outcomes(checks: Map<string, Check[]>): Outcome {
  const out: Outcome = {};
  for (const [name, cs] of [...checks].sort(([a], [b]) => a.localeCompare(b))) out[name] = cs.some((c) => c.status === 'FAILURE') ? 'fail' : 'pass';
  return out;
}
/** scenario → "passed/failed" check counts, leaving out the listed scenarios */
const counts = (checks: Map<string, Check[]>, fewer: Record<string, string>) =>
  Object.fromEntries([...checks].filter(([n]) => !(n in fewer)).map(([n, cs]) => [n, `${cs.filter((c) => c.status === 'SUCCESS').length}/${cs.filter((c) => c.status === 'FAILURE').length}`]));

describe(`conformance ${SUITE_VERSION} server scenarios through the gateway against a stdio fixture: same results as direct (conf.stdio-transparency)`, { timeout: 800_000 }, () => {
  const children = new Set<ChildProcess>();
  const tmp = mkdtempSync(join(tmpdir(), 'portcullis-conf-stdio-'));
  const closers: (() => Promise<void>)[] = [];
  let fixture: FixtureServer | undefined;

  before(async () => {
    fixture = await startFixtureServer();
  });

  after(async () => {
    for (const c of children) killTree(c, 'SIGKILL');
    for (const close of closers.reverse()) await close();
    await fixture?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  /** a gateway whose one resource runs `fixture` as its stdio upstream, behind a proxy that adds a token with every scope */
  async function gatewayTo(fixturePath: string, stdio: Record<string, unknown>): Promise<{ h: GatewayHarness; url: string }> {
    const h = await startGateway({
      upstream: 'http://127.0.0.1:9/unused',
      config: {
        resources: [
          {
            path: '/mcp',
            name: 'Conformance fixture (stdio)',
            scopes: SCOPES,
            tools: { test_sampling: 'fixture:write', test_elicitation: 'fixture:write', test_error_handling: 'fixture:admin', test_input_required_result_multi_round: 'fixture:write' },
            upstream_stdio: { command: process.execPath, args: ['--import', 'tsx', fixturePath], idle_timeout_s: 60, ...stdio },
          },
        ],
      },
    });
    closers.push(() => h.close());
    const token = await h.token({ scope: SCOPES.join(' ') });
    const proxy = await startTokenProxy(new URL(h.url).origin, () => token);
    closers.push(() => proxy.close());
    return { h, url: `${proxy.url}/mcp` };
  }

  /** the suite direct against the HTTP fixture, then through the gateway; per-scenario pass/fail and check counts compared */
  async function compare(t: TestContext, wire: string, gatewayUrl: string, fewer: Record<string, string>): Promise<{ a: Map<string, Check[]>; b: Map<string, Check[]> }> {
    const direct = await runSuite(['server', '--url', fixture!.url, '--requirements', wire, '-o', join(tmp, `direct-${wire}`)], { timeoutMs: SUITE_TIMEOUT_MS, track: children });
    const gated = await runSuite(['server', '--url', gatewayUrl, '--requirements', wire, '-o', join(tmp, `stdio-${wire}`)], { timeoutMs: SUITE_TIMEOUT_MS, track: children });
    assert.equal(direct.timedOut || gated.timedOut, false, 'a suite run ran out of time');
    const a = readChecks(join(tmp, `direct-${wire}`));
    const b = readChecks(join(tmp, `stdio-${wire}`));
    const report = `--- HTTP fixture direct (${direct.ms} ms) ---\n${summarize(a)}\n\n--- gateway → stdio fixture (${gated.ms} ms) ---\n${summarize(b)}`;
    t.diagnostic(`${wire}: direct ${direct.ms} ms, through the gateway to a stdio child ${gated.ms} ms`);
    for (const line of summarize(b).split('\n')) t.diagnostic(`stdio ${line}`);
    const oa = outcomes(a);
    const ob = outcomes(b);
    const differing = Object.keys({ ...oa, ...ob }).filter((k) => oa[k] !== ob[k]).sort();
    t.diagnostic(`differing scenarios: ${differing.join(', ') || '(none)'}`);
    assert.deepEqual(differing, [], `per-scenario pass/fail differs\n${report}`);
    // stricter: the same number of passed and failed checks in every scenario not listed
    assert.deepEqual(counts(b, fewer), counts(a, fewer), `per-check counts differ\n${report}`);
    assert.equal(gated.code, direct.code, report);
    return { a, b };
  }

  it(`conformance ${SUITE_VERSION} server --requirements 2025-11-25: per-scenario pass/fail through the gateway to a stdio child equals the HTTP fixture direct (conf.stdio-transparency, gw.stdio.sse, gw.stdio.server-requests)`, async (t) => {
    const { h, url } = await gatewayTo(STDIO_FIXTURE, { per: 'session', max_children: 200 });
    const { a } = await compare(t, '2025-11-25', url, FEWER_CHECKS);
    assert.ok(a.size >= 30, `expected the full 2025-11-25 requirement set, got ${a.size}`);
    // the children's stderr stayed in the log and no request made the gateway fail
    assert.deepEqual(h.log.entries.filter((e) => e.level === 'error').map((e) => e.msg), []);
  });

  it(`conformance ${SUITE_VERSION} server --requirements 2026-07-28: per-scenario pass/fail through the gateway to a modern stdio child (one per user) equals the HTTP fixture direct (conf.stdio-transparency-modern, gw.stdio.modern.headers, gw.stdio.modern.status, gw.stdio.modern.listen)`, async (t) => {
    const { h, url } = await gatewayTo(STDIO_MODERN_FIXTURE, {});
    const { a, b } = await compare(t, '2026-07-28', url, FEWER_CHECKS_MODERN);
    assert.ok(a.size >= 45, `expected the full 2026-07-28 requirement set, got ${a.size}`);
    // the stateless scenario really ran through the bridge, and every one of its checks passed there
    const stateless = b.get('server-stateless') ?? [];
    assert.ok(stateless.length >= 25 && stateless.every((c) => c.status === 'SUCCESS'), summarize(new Map([['server-stateless', stateless]])));
    // one user: one child, probed once as modern; nothing made the gateway fail
    assert.equal(h.log.entries.filter((e) => e.msg === 'stdio server started').length, 1, 'one child for the one user');
    assert.deepEqual(h.log.entries.filter((e) => e.level === 'error').map((e) => e.msg), []);
  });
});
