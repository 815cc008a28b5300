/**
 * The device grant on PostgreSQL (ARCHITECTURE "Deployment": device code polling is atomic in the database):
 * the same runtime as device-flow.test.ts with `store: postgres://…` in a schema of its own, driven by openid-client.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import * as client from 'openid-client';
import { driveDevice } from '../../helpers/device-driver.js';
import { withPostgres } from '../../store/pg-harness.js';
import { CLI_CLIENT, DEVICE_GRANT, OTHER_CLIENT, PASSWORD, startDeviceServer, USER, type DeviceServer } from './harness.js';

await withPostgres((pg) => {
  describe('RFC 8628 on PostgreSQL (as.device.single-use, as.device.slow-down, as.device.client-binding)', () => {
    let s: DeviceServer;
    before(async () => {
      s = await startDeviceServer({ store: (await pg.schema()).url });
    });
    after(() => s?.close());

    const poll = async (clientId: string, device_code: string) => {
      const res = await s.request('/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: DEVICE_GRANT, device_code, client_id: clientId }).toString() });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };

    it('pending, slow_down (+5 s stored), another client refused, then twenty concurrent polls after approval: one gets tokens', async () => {
      const config = await s.oidc(CLI_CLIENT);
      const da = await client.initiateDeviceAuthorization(config, { scope: 'notes:read', resource: s.resource });
      assert.equal((await poll(CLI_CLIENT, da.device_code)).body.error, 'authorization_pending');
      assert.equal((await poll(CLI_CLIENT, da.device_code)).body.error, 'slow_down');
      assert.equal((await s.runtime.store.getDeviceCodeByUserCode(da.user_code.replace('-', ''), s.clock.fn()))?.interval, 6);
      const { last } = await driveDevice((u, i) => fetch(u, i), da.verification_uri_complete!, { username: USER, password: PASSWORD, decision: 'approve' });
      assert.match(last.html, /Device connected/);
      assert.equal((await poll(OTHER_CLIENT, da.device_code)).body.error, 'invalid_grant');
      const results = await Promise.all(Array.from({ length: 20 }, () => poll(CLI_CLIENT, da.device_code)));
      const ok = results.filter((r) => r.status === 200);
      assert.equal(ok.length, 1, JSON.stringify(results.map((r) => r.body.error ?? 'ok')));
      assert.ok(results.filter((r) => r.status !== 200).every((r) => r.body.error === 'invalid_grant'));
      assert.equal(decodeJwt(ok[0]!.body.access_token as string).aud, s.resource);
    });

    it('openid-client polls through pending to the tokens; a denied code is access_denied', async () => {
      const config = await s.oidc(CLI_CLIENT);
      const da = await client.initiateDeviceAuthorization(config, { scope: 'notes:read', resource: s.resource });
      const polling = client.pollDeviceAuthorizationGrant(config, da);
      await driveDevice((u, i) => fetch(u, i), da.verification_uri_complete!, { username: USER, password: PASSWORD, decision: 'approve' });
      assert.ok((await polling).access_token);
      const denied = await client.initiateDeviceAuthorization(config, { scope: 'notes:read', resource: s.resource });
      await driveDevice((u, i) => fetch(u, i), denied.verification_uri_complete!, { username: USER, password: PASSWORD, decision: 'deny' });
      await assert.rejects(client.pollDeviceAuthorizationGrant(config, denied), (e: unknown) => e instanceof client.ResponseBodyError && e.error === 'access_denied');
    });
  });
});
