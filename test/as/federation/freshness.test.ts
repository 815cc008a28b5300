/**
 * The upstream sign-in's own state and freshness (a real oidc-provider dressed as Google): the login state sealed
 * under the master secret and the state; an MCP client's prompt=login / max_age sent upstream as max_age and the
 * IdP's auth_time held to it; the session starting at the IdP's auth_time.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sha256 } from '../../../src/core/random.js';
import { KeyRing } from '../../../src/as/keys.js';
import { takeLoginState } from '../../../src/as/federation/login-state.js';
import { staleAuthentication } from '../../../src/as/federation/callback.js';
import { startHarness, type Harness } from '../../helpers/as-harness.js';
import { IDP_CLIENT_ID, type TestIdp } from '../../helpers/oidc-idp.js';
import { expectRefused, finish, startIdp, toCallback, upstreamAudits, type AtCallback } from './driver.js';

describe('upstream login state and freshness (issue 4 item 3; OIDC Core §3.1.2.1, §3.1.3.7)', () => {
  let google: TestIdp;
  let h: Harness;
  before(async () => {
    google = await startIdp('google');
    h = await startHarness({ login: { upstream_idps: [{ id: 'google', display_name: 'Google', issuer: google.configuredIssuer, client_id: IDP_CLIENT_ID, client_secret_env: 'TEST_IDP_SECRET', token_endpoint_auth_method: 'client_secret_post' }] } });
  });
  after(async () => {
    await h?.close();
    await google?.close();
  });

  const lastFailure = async () => (await upstreamAudits(h, 'login.upstream.failure'))[0]?.data;
  const refused = (at: AtCallback, callback: URL, status: number, reason: string) => expectRefused(h, at, callback, status, reason);

  test('the upstream login state is stored sealed under the master secret and the state, which the store never holds (as.federation.login-state-sealed)', async () => {
    const at = await toCallback(h, 'google', 'gina');
    const state = at.upstreamAuthorize.searchParams.get('state')!;
    const nonce = at.upstreamAuthorize.searchParams.get('nonce')!;
    const row = await h.store.getInteraction(`upstream-login.${sha256(state)}`, h.clock.now);
    assert.ok(row, 'the login state row, keyed by the state hash');
    const stored = JSON.stringify(row);
    for (const secret of [nonce, state, 'google', 'gina']) assert.ok(!stored.includes(`"${secret}"`) && !stored.includes(nonce), `${secret === nonce ? 'nonce' : secret} not in clear`);
    const loginState = (row.params as unknown as { upstream_login: Record<string, unknown> }).upstream_login;
    assert.deepEqual(Object.keys(loginState), ['sealed'], 'nothing of the record in clear (IdP, continuation, nonce, verifier, max_age)');
    const { location } = await finish(at);
    assert.ok(location?.searchParams.get('code'), 'the sign-in completes: the state opens its row');
    const verifier = google.tokenRequests.at(-1)!.get('code_verifier')!;
    assert.equal(verifier.length, 43);
    assert.ok(!stored.includes(verifier), 'the verifier the IdP received was never in the store in clear');

    // the state alone does not open it (an intercepted callback plus read access to the store): the master secret is needed
    const other = await toCallback(h, 'google', 'gina');
    const otherState = other.upstreamAuthorize.searchParams.get('state')!;
    const key = `upstream-login.${sha256(otherState)}`;
    const copy = (await h.store.getInteraction(key, h.clock.now))!;
    assert.equal(await takeLoginState(new KeyRing(h.store, Buffer.from('another-master-secret-0123456789ab'), h.clock.fn), h.store, otherState, h.clock.now), null);
    await h.store.putInteraction(copy);

    // a row whose sealed part does not open under the presented state is refused like an unknown state
    const taken = (await h.store.takeInteraction(key, h.clock.now))!;
    const sealedOf = (r: { params: unknown }) => (r.params as { upstream_login: { sealed: string } }).upstream_login;
    // the first sign-in's sealed record (sealed under its own state) moved into this row
    await h.store.putInteraction({ ...taken, params: { ...taken.params, upstream_login: { sealed: sealedOf(row).sealed } } as never });
    await refused(other, other.callback, 400, 'state_unknown');
  });

  test('prompt=login from the MCP client: max_age=0 goes upstream, and the fresh upstream sign-in completes (as.federation.max-age-upstream, oidc.prompt.login)', async () => {
    const at = await toCallback(h, 'google', 'gina', { extra: { prompt: 'login' } });
    assert.equal(at.upstreamAuthorize.searchParams.get('max_age'), '0');
    assert.equal(at.upstreamAuthorize.searchParams.has('prompt'), false, 'Google refuses prompt=login: max_age is what every OP supports');
    const { location } = await finish(at);
    assert.ok(location?.searchParams.get('code'), 'signed in');
    const account = await toCallback(h, 'google', 'gina', { extra: { prompt: 'select_account' } });
    assert.equal(account.upstreamAuthorize.searchParams.get('max_age'), '0', 'select_account asks for a sign-in too');
    const plain = await toCallback(h, 'google', 'gina', { extra: { max_age: '900' } });
    assert.equal(plain.upstreamAuthorize.searchParams.get('max_age'), '900', "the client's max_age as is");
    const none = await toCallback(h, 'google', 'gina');
    assert.equal(none.upstreamAuthorize.searchParams.has('max_age'), false, 'nothing asked, nothing sent');
    assert.equal(none.upstreamAuthorize.searchParams.has('login_hint'), false);
    const hinted = await toCallback(h, 'google', 'gina', { extra: { login_hint: 'gina@example.test' } });
    assert.equal(hinted.upstreamAuthorize.searchParams.get('login_hint'), 'gina@example.test', "the client's login_hint goes on (oidc.login-hint)");
  });

  test('an upstream ID token whose auth_time is older than the max_age sent allows is refused (as.federation.max-age-upstream)', async () => {
    // our clock 60 s ahead of the IdP's: for max_age=0 (30 s tolerance) its fresh sign-in is already too old
    h.clock.now = Date.now() + 60_000;
    const at = await toCallback(h, 'google', 'gina', { extra: { prompt: 'login' } });
    await refused(at, at.callback, 400, 'reauthentication_missing');
    assert.match(String((await lastFailure())?.detail), /older than max_age 0 allows/);
  });

  test('the session starts at the upstream auth_time; with max_age sent, a missing auth_time is refused (as.federation.max-age-upstream, as.oidc.auth-time)', async () => {
    const saved = { idp: 'google', continuation: { kind: 'page', return_to: '/account' }, nonce: 'n', code_verifier: 'v', created_at: 1_800_000_000_000 } as const;
    assert.equal(staleAuthentication(saved, undefined, 30), null, 'nothing asked: nothing checked');
    assert.match(staleAuthentication({ ...saved, max_age: 0 }, undefined, 30) ?? '', /no auth_time/);
    assert.equal(staleAuthentication({ ...saved, max_age: 0 }, 1_800_000_000 - 30, 30), null, 'within the tolerance');
    assert.match(staleAuthentication({ ...saved, max_age: 0 }, 1_800_000_000 - 31, 30) ?? '', /older/);
    assert.equal(staleAuthentication({ ...saved, max_age: 600 }, 1_800_000_000 - 600, 30), null);
    assert.match(staleAuthentication({ ...saved, max_age: 600 }, 1_800_000_000 - 631, 30) ?? '', /older/);

    // an IdP sign-in older than our clock's now: the session (and the ID token's auth_time) keep the IdP's time
    h.clock.now = Date.now() + 3_600_000;
    // (max_age makes the IdP send auth_time; the sign-in it reports is an hour old by our clock, within 2 h)
    const at = await toCallback(h, 'google', 'gina', { extra: { max_age: '7200' } });
    const { location } = await finish(at);
    assert.ok(location?.searchParams.get('code'));
    const session = /(?:^|; )portcullis_session=([^;]+)/.exec(at.b.jar.header())![1]!;
    const record = await h.store.getSession(sha256(session), h.clock.now);
    assert.ok(record && record.created_at < h.clock.now - 3_000_000, `the session's sign-in is the IdP's auth_time, an hour before our clock: ${record?.created_at} vs ${h.clock.now}`);
  });

});
