/**
 * OpenID Connect Core §2 auth_time after a sign-in through an upstream IdP (a real oidc-provider): the session the
 * callback starts carries the authentication time — the IdP's auth_time when it reports one, never later than the
 * callback (here oidc-provider reports none without max_age, so the callback's) — and codes approved from that
 * session later still carry it. The IdP's own auth_time: test/as/federation/upstream-login.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { startHarness, PUBLIC_CLIENT, RESOURCE, pkcePair, type Harness } from '../../helpers/as-harness.js';
import { driveAuthorization } from '../../helpers/browserless.js';
import { IDP_CLIENT_ID, type TestIdp } from '../../helpers/oidc-idp.js';
import { authorizeUrl, tokenRequest } from '../flow.js';
import { CLIENT_REDIRECT, finish, startIdp, toCallback } from './driver.js';

const HOUR = 3600_000;

describe('upstream IdP sign-in: auth_time is the sign-in the callback recorded, not a later approval (as.oidc.auth-time)', () => {
  let google: TestIdp;
  let h: Harness;
  before(async () => {
    google = await startIdp('google');
    h = await startHarness({ login: { upstream_idps: [{ id: 'google', issuer: google.configuredIssuer, client_id: IDP_CLIENT_ID, client_secret_env: 'TEST_IDP_SECRET' }] } });
  });
  after(async () => {
    await h?.close();
    await google?.close();
  });

  const redeem = async (location: URL | string, code_verifier: string): Promise<Record<string, unknown>> => {
    const code = new URL(location).searchParams.get('code');
    assert.ok(code, String(location));
    const res = await tokenRequest(h, { grant_type: 'authorization_code', code, code_verifier, redirect_uri: CLIENT_REDIRECT, client_id: PUBLIC_CLIENT, resource: RESOURCE });
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(res.status, 200, JSON.stringify(body));
    return decodeJwt(body.access_token as string);
  };

  test('signed in at Google at T0; a code approved three hours later from that session carries T0 (as.oidc.auth-time)', async () => {
    const at = await toCallback(h, 'google', 'uma');
    const t0 = h.clock.now;
    const first = await finish(at);
    assert.equal((await redeem(first.location!, at.verifier)).auth_time, Math.floor(t0 / 1000));

    h.clock.advance(3 * HOUR);
    const { verifier, challenge } = pkcePair();
    const { location, pages } = await driveAuthorization((u, i) => h.request(u, i), authorizeUrl(challenge, { redirect_uri: CLIENT_REDIRECT, scope: 'notes:read' }), { username: '-', password: '-', jar: at.b.jar });
    assert.equal(pages.length, 1, 'only the consent page (a loopback client is asked every time): no sign-in');
    const later = await redeem(location, verifier);
    assert.equal(later.iat, Math.floor(h.clock.now / 1000));
    assert.equal(later.auth_time, Math.floor(t0 / 1000), 'the upstream sign-in, not this consent');
  });
});
