import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MCP_HEADERS, toolCall } from '../gateway/helpers/harness.js';
import { statelessMcp, startUpstream, type Upstream } from '../gateway/helpers/upstream.js';
import { exchange, tokenRequest } from '../as/flow.js';
import { PUBLIC_CLIENT } from '../helpers/as-harness.js';
import { ccToken, startOps, type OpsHarness } from './ops-harness.js';

let upstream: Upstream;
let h: OpsHarness;
before(async () => {
  upstream = await startUpstream(statelessMcp('json'));
  h = await startOps(upstream.url);
});
after(async () => {
  await h.close();
  await upstream.close();
});

/** `name{labels} value` samples of one metric from Prometheus text */
function samples(text: string, name: string): { labels: Record<string, string>; value: number }[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .map((l) => {
      const m = /^[^{ ]+(?:\{(.*)\})? (\S+)$/.exec(l)!;
      const labels = Object.fromEntries([...(m[1] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1]!, x[2]!]));
      return { labels, value: Number(m[2]) };
    });
}
const value = (text: string, name: string, want: Record<string, string>): number =>
  samples(text, name)
    .filter((s) => Object.entries(want).every(([k, v]) => s.labels[k] === v))
    .reduce((a, s) => a + s.value, 0);

describe('issue 6 "Operations": Prometheus metrics', () => {
  it('issue 6: metrics count tokens by grant and denials by reason (ops.metrics)', async () => {
    // tokens: authorization_code (+ refresh token), refresh_token, client_credentials
    const { body } = await exchange(h.asHarness, { scope: 'notes:read' });
    assert.ok(body.access_token, JSON.stringify(body));
    const refreshed = await tokenRequest(h.asHarness, { grant_type: 'refresh_token', refresh_token: String(body.refresh_token), client_id: PUBLIC_CLIENT });
    assert.equal(refreshed.status, 200);
    const cc = await ccToken(h, 'notes:read');
    // token denials by OAuth error code
    assert.equal((await tokenRequest(h.asHarness, { grant_type: 'authorization_code', code: 'nope', code_verifier: 'v'.repeat(43), client_id: PUBLIC_CLIENT })).status, 400);
    assert.equal((await tokenRequest(h.asHarness, { grant_type: 'password', client_id: PUBLIC_CLIENT })).status, 400);
    // gateway: no token, a bad token, a call the token's scope does not cover, and one allowed call
    const mcp = (token: string | null, msg: unknown) =>
      h.request('/mcp', { method: 'POST', headers: { ...MCP_HEADERS, ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(msg) });
    assert.equal((await mcp(null, toolCall('echo'))).status, 401);
    assert.equal((await mcp('not.a.jwt', toolCall('echo'))).status, 401);
    assert.equal((await mcp(cc, toolCall('write_note'))).status, 403);
    const allowed = await mcp(cc, toolCall('echo'));
    assert.equal(allowed.status, 200, await allowed.clone().text());

    const res = await h.request('/metrics');
    assert.equal(res.status, 200);
    const text = await res.text();
    const tokens = (g: string) => value(text, 'portcullis_tokens_issued_total', { grant_type: g });
    assert.equal(tokens('authorization_code'), 1);
    assert.equal(tokens('refresh_token'), 1);
    assert.equal(tokens('client_credentials'), 1);
    const denials = (r: string) => value(text, 'portcullis_denials_total', { reason: r });
    assert.equal(denials('token.invalid_grant'), 1);
    assert.equal(denials('token.unsupported_grant_type'), 1);
    assert.equal(denials('gateway.no_credentials'), 1);
    assert.equal(denials('gateway.invalid_token'), 1);
    assert.equal(denials('policy.insufficient_scope'), 1);

    // HTTP requests by route template, never raw paths (bounded cardinality)
    const routes = new Set(samples(text, 'portcullis_http_requests_total').map((s) => s.labels.route));
    assert.ok(routes.has('/token') && routes.has('/authorize') && routes.has('/mcp'), [...routes].join(' '));
    assert.ok(routes.has('/interaction/:id'), 'the interaction pages counted under their template');
    for (const r of routes) assert.doesNotMatch(r!, /[0-9a-f]{8}-|\?/, `raw path in a route label: ${r}`);
    assert.equal(value(text, 'portcullis_http_requests_total', { route: '/token', method: 'POST', status: '200' }), 3);
    assert.equal(value(text, 'portcullis_http_requests_total', { route: '/mcp', status: '403' }), 1);
    assert.ok(value(text, 'portcullis_http_request_duration_seconds_count', { route: '/token' }) >= 5);

    // upstream latency: only the forwarded call reached the upstream
    assert.equal(value(text, 'portcullis_upstream_request_duration_seconds_count', { resource: 'http://127.0.0.1:9999/mcp', status: '200' }), 1);
    assert.match(text, /# TYPE portcullis_cimd_fetches_total counter/);
    assert.match(text, /portcullis_process_cpu_seconds_total/, 'process metrics in the same registry');
  });

  it('each runtime has its own registry: a second runtime starts at zero', async () => {
    const other = await startOps(upstream.url);
    try {
      const text = await (await other.request('/metrics')).text();
      assert.equal(value(text, 'portcullis_tokens_issued_total', {}), 0);
    } finally {
      await other.close();
    }
  });
});
