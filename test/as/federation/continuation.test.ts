/**
 * Where a sign-in at an upstream IdP may return (src/as/federation/continuation.ts): a path of this server from a
 * fixed allow-list, never a URL. Pure rules, checked here over every known open-redirect trick and, with fast-check,
 * over arbitrary strings: whatever is accepted resolves to the issuer's own origin and exactly the listed path.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { returnLocation, safeReturnTo } from '../../../src/as/federation/continuation.js';
import { classify } from '../../../src/admin/console/stats.js';
import { AUDIT_EVENT_TYPES, SUBJECT_FIELD } from '../../../src/audit/types.js';

const ROOT = { issuer: 'https://as.example', issuerPath: '' };
const PATHED = { issuer: 'https://idp.example/auth', issuerPath: '/auth' };

const ALLOWED = ['/account', '/admin', '/admin/users', '/admin/clients/view?id=https%3A%2F%2Fapp.example%2Fcimd.json', '/admin/audit?type=login.*&range=24h', '/device', '/device/approve'];

const REFUSED = [
  '',
  'https://evil.example/',
  'http://evil.example/account',
  '//evil.example',
  '//evil.example/account',
  '/\\evil.example',
  '\\\\evil.example',
  '/\\/evil.example/account',
  '/%2F%2Fevil.example',
  '/%2f%2fevil.example',
  '%2F%2Fevil.example',
  '%252F%252Fevil.example',
  '/%5Cevil.example',
  '/%09/evil.example',
  '/\t/evil.example',
  '/\n/evil.example',
  ' /account',
  '/account ',
  'javascript:alert(1)',
  'data:text/html,x',
  'http:/evil.example',
  '///evil.example',
  '/account/../admin',
  '/account/..',
  '/admin/..//evil.example',
  '/admin/%2e%2e/%2e%2e',
  '/account%2F..%2F..%2Fevil',
  '/account?next=//evil.example',
  '/account#//evil.example',
  '/device?user_code=ABCD-EFGH',
  '/device/approve/x',
  '/admin/api/v1/users',
  '/admin/api',
  '/adminx',
  '/accounts',
  '/ACCOUNT',
  '/account/',
  '/token',
  '/authorize?client_id=x',
  '/login/callback/google',
  '/interaction/abc',
  '/admin/ünïcode',
  '/admin/a/b/c/d/e',
  `/admin/${'a'.repeat(33)}`,
  '/admin?q=<script>',
  '/admin?q=a b',
];

describe('upstream sign-in return paths: a fixed allow-list, no open redirect (as.federation.no-open-redirect, RFC 9700 §4.11)', () => {
  test('the pages that sign users in are allowed, below the issuer path too', () => {
    for (const p of ALLOWED) assert.equal(safeReturnTo(ROOT, p), p, p);
    for (const p of ALLOWED) assert.equal(safeReturnTo(PATHED, `/auth${p}`), `/auth${p}`, p);
    assert.equal(returnLocation(PATHED, '/auth/account'), 'https://idp.example/auth/account');
  });

  test('absolute URLs, //host, /\\host, encoded, dot-segment, white-space and unlisted paths are refused', () => {
    for (const p of REFUSED) assert.equal(safeReturnTo(ROOT, p), null, JSON.stringify(p));
    // under an issuer path: the path must be below it
    for (const p of ['/account', '/admin', '/device', '/authx/account', '/auth//account', '/auth/../account']) assert.equal(safeReturnTo(PATHED, p), null, p);
    for (const v of [undefined, null, 42, ['/account'], { toString: () => '/account' }]) assert.equal(safeReturnTo(ROOT, v), null);
    assert.equal(safeReturnTo(ROOT, `/admin?${'a'.repeat(2000)}`), null, 'bounded');
  });

  test('property: whatever is accepted stays on the issuer origin with exactly an allowed path', () => {
    const pieces = fc.constantFrom('/', '//', '\\', '.', '..', '%2F', '%5C', '%2e', '?', '#', ':', '@', 'evil.example', 'account', 'admin', 'device', 'approve', 'users', 'api', 'http', 'https:', ' ', '\t', 'a', '=');
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.array(pieces, { maxLength: 8 }).map((xs) => xs.join(''))), (raw) => {
        for (const settings of [ROOT, PATHED]) {
          const ok = safeReturnTo(settings, raw);
          if (ok === null) continue;
          const u = new URL(returnLocation(settings, ok));
          assert.equal(u.origin, new URL(settings.issuer).origin);
          assert.ok(u.href.startsWith(`${settings.issuer}/`), u.href);
          assert.match(u.pathname.slice(settings.issuerPath.length), /^\/(account|admin(\/[a-z0-9-]+)*|device(\/approve)?)$/);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('audit types of every part are listed, and refusals count as denials (admin.console.denial-stats)', () => {
  test('ID-JAG and device events are built-in types with a subject field (the console type filter lists them)', () => {
    for (const t of ['idjag.accepted', 'idjag.rejected', 'idjag.issued', 'idjag.issue_refused', 'device.authorized', 'device.denied', 'device.user_code_rejected', 'login.upstream.success', 'login.upstream.failure']) {
      assert.ok((AUDIT_EVENT_TYPES as readonly string[]).includes(t), t);
      assert.ok(Object.hasOwn(SUBJECT_FIELD, t), t);
    }
  });

  test('the overview counts upstream login failures, refused ID-JAGs and issuance, and rejected user codes as denials', () => {
    for (const t of ['login.upstream.failure', 'idjag.rejected', 'idjag.issue_refused', 'device.user_code_rejected', 'device.denied', 'login.failure', 'consent.denied', 'tool.denied', 'token.reuse_detected']) {
      assert.equal(classify(t, {}), 'denials', t);
    }
    for (const t of ['login.upstream.success', 'idjag.accepted', 'device.authorized', 'login.success', 'consent.granted', 'admin.action', 'client.fetch']) assert.equal(classify(t, {}), null, t);
    assert.equal(classify('idjag.issued', {}), null);
    assert.equal(classify('tool.denied', { reason: 'insufficient_scope' }), 'stepups');
    // every built-in type lands in at most one series, and every refusal-named type is a denial
    for (const t of AUDIT_EVENT_TYPES) if (/(denied|failure|refused|rejected)$/.test(t)) assert.equal(classify(t, {}), 'denials', t);
  });
});
