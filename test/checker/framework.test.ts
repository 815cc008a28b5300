import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { CHECKS } from '../../src/checker/checks/index.js';
import { evaluateCheck } from '../../src/checker/evaluate.js';
import { htmlReport } from '../../src/checker/report/html.js';
import { textReport } from '../../src/checker/report/text.js';
import type { Check, Observations, Report } from '../../src/checker/types.js';
import { asMetadataUrls, parseChallenge, wellKnownInserted } from '../../src/checker/wire.js';

const empty = (): Observations => ({ target: 'https://mcp.example.com/mcp', exchanges: {}, notes: {}, facts: {} });
const unmetCheck = (level: Check['level']): Check => ({ id: 'x.y', level, source: 's', title: 't', needs: [], evaluate: () => ({ verdict: 'fail', detail: 'd', fix: 'f' }) });

describe('checker framework: checks are data, pure and level-aware (STYLE "checks are data")', () => {
  it('an unmet MUST fails, an unmet SHOULD warns, an unmet MAY is info', () => {
    assert.equal(evaluateCheck(unmetCheck('MUST'), empty()).verdict, 'fail');
    assert.equal(evaluateCheck(unmetCheck('SHOULD'), empty()).verdict, 'warn');
    assert.equal(evaluateCheck(unmetCheck('MAY'), empty()).verdict, 'info');
  });
  it('missing observations skip every check, with the recorded reason', () => {
    const obs = empty();
    obs.notes['authorize.control'] = 'no client to act as';
    for (const c of CHECKS) {
      const r = evaluateCheck(c, obs);
      if (c.needs.length) assert.equal(r.verdict, 'skip', c.id);
    }
    const pkce = evaluateCheck(CHECKS.find((c) => c.id === 'as.authorize.pkce-s256-required')!, obs);
    assert.equal(pkce.detail, 'no client to act as');
  });
  it('every check has a unique id, a level, a source and a module of its own in checks/', () => {
    const ids = CHECKS.map((c) => c.id);
    assert.equal(new Set(ids).size, ids.length);
    const files = readdirSync(new URL('../../src/checker/checks/', import.meta.url)).map((f) => f.replace(/\.ts$/, ''));
    for (const c of CHECKS) {
      assert.ok(files.includes(c.id), `src/checker/checks/${c.id}.ts`);
      assert.match(c.level, /^(MUST|SHOULD|MAY)$/);
      assert.ok(c.source.length > 3);
    }
  });
});

describe('checker wire helpers (RFC 9728 §3.1, RFC 8414 §3.1, RFC 9110 §11.6.1)', () => {
  it('inserts the well-known suffix between host and path', () => {
    assert.equal(wellKnownInserted('https://h.example/public/mcp', 'oauth-protected-resource'), 'https://h.example/.well-known/oauth-protected-resource/public/mcp');
    assert.equal(wellKnownInserted('https://h.example/', 'oauth-protected-resource'), 'https://h.example/.well-known/oauth-protected-resource');
  });
  it('AS metadata discovery order for path and root issuers (MCP [DISC])', () => {
    assert.deepEqual(asMetadataUrls('https://a.example/tenant1'), [
      'https://a.example/.well-known/oauth-authorization-server/tenant1',
      'https://a.example/.well-known/openid-configuration/tenant1',
      'https://a.example/tenant1/.well-known/openid-configuration',
    ]);
    assert.deepEqual(asMetadataUrls('https://a.example'), ['https://a.example/.well-known/oauth-authorization-server', 'https://a.example/.well-known/openid-configuration']);
  });
  it('parses a Bearer challenge with quoted, escaped and repeated parameters', () => {
    const c = parseChallenge('Bearer error="invalid_token", scope="a b", resource_metadata="https://x/\\"q", scope=c')!;
    assert.equal(c.scheme, 'Bearer');
    assert.equal(c.params.scope, 'a b');
    assert.equal(c.params.resource_metadata, 'https://x/"q');
    assert.deepEqual(c.names, ['error', 'scope', 'resource_metadata', 'scope']);
  });
});

describe('checker reports: text and self-contained, escaped HTML with a sequence diagram', () => {
  const report: Report = {
    target: 'https://mcp.example.com/mcp',
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 5,
    results: [{ id: 'gw.auth.401-challenge', level: 'MUST', source: 'RFC 9728 §5.1', title: 't', verdict: 'fail', detail: '<script>alert(1)</script>', fix: 'do "it"' }],
    exchanges: [{ key: 'mcp.no-token', peer: 'RS', request: { method: 'POST', url: 'https://mcp.example.com/mcp?<x>', headers: {} }, response: { status: 401, headers: { 'www-authenticate': 'Bearer <b>' }, body: '<img src=x>' }, ms: 1 }],
    summary: { pass: 0, warn: 0, fail: 1, skip: 0, info: 0 },
  };
  it('text: one line per check with verdict, id, level and source, and the fix hint', () => {
    assert.match(textReport(report), /^FAIL {2}gw\.auth\.401-challenge {2}\[MUST RFC 9728 §5\.1\]: <script>alert\(1\)<\/script> — fix: do "it"$/m);
  });
  it('html: everything observed is escaped; no script, no external assets; SVG sequence diagram', () => {
    const html = htmlReport(report);
    assert.doesNotMatch(html, /<script|<img|Bearer <b>/);
    assert.match(html, /&lt;script&gt;/);
    assert.match(html, /<svg[^>]*>[\s\S]*POST \/mcp\?%3Cx%3E|<svg[^>]*>[\s\S]*POST \/mcp\?&lt;x&gt;/);
    assert.doesNotMatch(html, /(src|href)="https?:/);
  });
});
