import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StoreConflictError, type DeviceCodeRecord, type Store, type UserIdentityRecord } from '../../src/store/types.js';
import { freshStore, grant, MIN, T0, uid, user } from './fixtures.js';

const identity = (user_id: string, o: Partial<UserIdentityRecord> = {}): UserIdentityRecord => ({
  issuer: 'https://login.example/tenant/v2.0',
  subject: uid('sub'),
  user_id,
  email: 'ada@example.com',
  created_at: T0,
  last_seen_at: T0,
  ...o,
});

const device = (o: Partial<DeviceCodeRecord> = {}): DeviceCodeRecord => ({
  device_code_hash: uid('dch'),
  user_code: uid('UC').toUpperCase(),
  client_id: 'https://cli.example/client.json',
  scope: ['notes:read'],
  resource: 'https://mcp.example/mcp',
  status: 'pending',
  user_id: null,
  grant_id: null,
  interval: 5,
  last_polled_at: null,
  created_at: T0,
  expires_at: T0 + 10 * MIN,
  consumed_at: null,
  ...o,
});

/** Issue 4: external identities (upstream OIDC login, ID-JAG subjects) and RFC 8628 device codes. */
export function enterpriseContract(open: () => Promise<Store>): void {
  describe('external identities (issue 4: upstream IdP login, ID-JAG subjects)', () => {
    const store = freshStore(open);

    test('JIT provisioning writes the user and the link together; lookups by identity and by user', async () => {
      const s = store();
      const u = user({ password_hash: '' });
      const i = identity(u.id);
      await s.linkUserIdentity(i, u);
      assert.deepEqual(await s.getUser(u.id), u);
      assert.deepEqual(await s.getUserIdentity(i.issuer, i.subject), i);
      assert.deepEqual(await s.listUserIdentities(u.id), [i]);
      assert.equal(await s.getUserIdentity(i.issuer, 'other'), null);
      assert.equal(await s.getUserIdentity('https://other.example', i.subject), null, 'identities are per issuer');
    });

    test('a second link of the same (issuer, subject) is a StoreConflictError and writes no user (concurrent first logins)', async () => {
      const s = store();
      const first = user();
      const i = identity(first.id);
      await s.linkUserIdentity(i, first);
      const racer = user();
      await assert.rejects(s.linkUserIdentity(identity(racer.id, { subject: i.subject }), racer), StoreConflictError);
      assert.equal(await s.getUser(racer.id), null, 'the losing JIT user was rolled back with its link');
      assert.equal((await s.getUserIdentity(i.issuer, i.subject))?.user_id, first.id);
    });

    test('a taken username rolls the link back; linking to an existing user needs no user row', async () => {
      const s = store();
      const existing = user();
      await s.createUser(existing);
      const clash = user({ username: existing.username });
      const i = identity(clash.id);
      await assert.rejects(s.linkUserIdentity(i, clash), StoreConflictError);
      assert.equal(await s.getUserIdentity(i.issuer, i.subject), null);
      const linked = identity(existing.id, { issuer: 'idjag:https://idp.example' });
      await s.linkUserIdentity(linked);
      assert.deepEqual(await s.listUserIdentities(existing.id), [linked]);
    });

    test('touch records the latest login and email', async () => {
      const s = store();
      const u = user();
      const i = identity(u.id);
      await s.linkUserIdentity(i, u);
      await s.touchUserIdentity(i.issuer, i.subject, 'new@example.com', T0 + MIN);
      assert.deepEqual(await s.getUserIdentity(i.issuer, i.subject), { ...i, email: 'new@example.com', last_seen_at: T0 + MIN });
    });
  });

  describe('device codes (RFC 8628)', () => {
    const store = freshStore(open);

    test('put, then found by user code until it expires; a live user code is unique', async () => {
      const s = store();
      const d = device();
      await s.putDeviceCode(d);
      assert.deepEqual(await s.getDeviceCodeByUserCode(d.user_code, T0), d);
      assert.equal(await s.getDeviceCodeByUserCode(d.user_code, d.expires_at), null);
      assert.equal(await s.getDeviceCodeByUserCode('NOPE', T0), null);
      await assert.rejects(s.putDeviceCode(device({ user_code: d.user_code })), StoreConflictError);
    });

    test('an expired code gives its user code up to a new one', async () => {
      const s = store();
      const old = device();
      await s.putDeviceCode(old);
      const next = device({ user_code: old.user_code, created_at: old.expires_at, expires_at: old.expires_at + 10 * MIN });
      await s.putDeviceCode(next);
      assert.deepEqual(await s.getDeviceCodeByUserCode(old.user_code, next.created_at), next);
    });

    test('RFC 8628 §3.5: pending, then slow_down with the interval raised by 5 s when polled too fast', async () => {
      const s = store();
      const d = device();
      await s.putDeviceCode(d);
      const first = await s.pollDeviceCode(d.device_code_hash, T0 + 1000);
      assert.equal(first.kind, 'pending');
      const fast = await s.pollDeviceCode(d.device_code_hash, T0 + 2000);
      assert.equal(fast.kind, 'slow_down');
      assert.equal(fast.kind === 'slow_down' && fast.device.interval, 10);
      // the next poll is measured against the raised interval
      assert.equal((await s.pollDeviceCode(d.device_code_hash, T0 + 2000 + 6000)).kind, 'slow_down');
      assert.equal((await s.pollDeviceCode(d.device_code_hash, T0 + 8000 + 15_001)).kind, 'pending');
      assert.equal((await s.getDeviceCodeByUserCode(d.user_code, T0))?.interval, 15);
    });

    test('approval writes the grant and binds it; the first poll redeems it, a second gets not_found (single use)', async () => {
      const s = store();
      const d = device();
      await s.putDeviceCode(d);
      const g = grant({ client_id: d.client_id, resource: d.resource, scope: ['notes:read'] });
      const decided = await s.decideDeviceCode(d.user_code, { status: 'approved', user_id: g.user_id, scope: ['notes:read'], grant: g }, T0 + 1);
      assert.deepEqual(decided, { ...d, status: 'approved', user_id: g.user_id, grant_id: g.id, scope: ['notes:read'] });
      assert.deepEqual(await s.getGrant(g.id), g);
      const redeemed = await s.pollDeviceCode(d.device_code_hash, T0 + 2);
      assert.equal(redeemed.kind, 'approved');
      assert.equal(redeemed.kind === 'approved' && redeemed.device.grant_id, g.id);
      assert.deepEqual(await s.pollDeviceCode(d.device_code_hash, T0 + 3), { kind: 'not_found' });
    });

    test('a decided code cannot be decided again, nor an expired one; nothing is written then', async () => {
      const s = store();
      const d = device();
      await s.putDeviceCode(d);
      assert.equal((await s.decideDeviceCode(d.user_code, { status: 'denied' }, T0 + 1))?.status, 'denied');
      const g = grant();
      assert.equal(await s.decideDeviceCode(d.user_code, { status: 'approved', user_id: g.user_id, scope: [], grant: g }, T0 + 2), null);
      assert.equal(await s.getGrant(g.id), null, 'a refused approval wrote no grant');
      assert.equal((await s.pollDeviceCode(d.device_code_hash, T0 + 3)).kind, 'denied');

      const late = device();
      await s.putDeviceCode(late);
      assert.equal(await s.decideDeviceCode(late.user_code, { status: 'denied' }, late.expires_at), null);
      assert.deepEqual(await s.pollDeviceCode(late.device_code_hash, late.expires_at), { kind: 'expired' });
      assert.deepEqual(await s.pollDeviceCode('unknown', T0), { kind: 'not_found' });
    });

    test('concurrent approvals: exactly one wins; concurrent polls of an approval: exactly one redeems', async () => {
      const s = store();
      const d = device();
      await s.putDeviceCode(d);
      const grants = Array.from({ length: 6 }, () => grant({ client_id: d.client_id }));
      const decisions = await Promise.allSettled(
        grants.map((g) => s.decideDeviceCode(d.user_code, { status: 'approved', user_id: g.user_id, scope: [], grant: g }, T0 + 1)),
      );
      const won = decisions.filter((r) => r.status === 'fulfilled' && r.value !== null);
      assert.equal(won.length, 1);
      const written = (await Promise.all(grants.map((g) => s.getGrant(g.id)))).filter((g) => g !== null);
      assert.equal(written.length, 1, 'only the winning approval wrote its grant');
      const polls = await Promise.all(Array.from({ length: 6 }, () => s.pollDeviceCode(d.device_code_hash, T0 + 2)));
      assert.equal(polls.filter((p) => p.kind === 'approved').length, 1);
      assert.equal(polls.filter((p) => p.kind === 'not_found').length, 5);
    });

    test('purgeExpired removes expired device codes', async () => {
      const s = store();
      const d = device();
      await s.putDeviceCode(d);
      assert.ok((await s.purgeExpired(d.expires_at)) >= 1);
      assert.deepEqual(await s.pollDeviceCode(d.device_code_hash, T0), { kind: 'not_found' });
    });
  });
}
