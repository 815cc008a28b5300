import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt, type JSONWebKeySet } from 'jose';
import { startHarness, type Harness } from '../../helpers/as-harness.js';
import { idpKey, jwtBearerForm } from '../../helpers/idjag.js';
import { storeFingerprint } from '../../helpers/store-fingerprint.js';
import { JWT_BEARER_GRANT_TYPE } from '../../../src/as/idjag/constants.js';
import { APP, APP_SECRET, basic, CHAT_AUDIENCE, exchange, idpConfig, ISSUER, signIn, startIdp } from './setup.js';

/**
 * spec-checklist §2D item 10 ([IDJAG] §8.3), with ID-JAGs minted by the real token exchange: this IdP never turns its
 * own ID-JAG into an access token, and an ID-JAG minted for one downstream authorization server is refused by another.
 */
const OTHER_IDP = 'https://idp.elsewhere.example';
const RAS_B = 'http://127.0.0.1:9998';
const RAS_B_CLIENT = 'ras-b-app';
const RAS_B_SECRET = 'ras-b-app-secret-0123456789';

let idp: Harness;
let rasB: Harness;

before(async () => {
  // the IdP also accepts ID-JAGs (from another IdP), so its jwt-bearer grant is on and its own client may use it
  const base = idpConfig();
  const clients = base.clients!.map((c) => (c.client_id === APP ? { ...c, grant_types: [...(c.grant_types ?? []), JWT_BEARER_GRANT_TYPE] } : c));
  const other = await idpKey('other-1');
  idp = await startIdp({ clients, enterprise: { ...base.enterprise, trusted_issuers: [{ issuer: OTHER_IDP, jwks: { keys: [other.jwk] }, clients: [APP] }] } });
  // a second authorization server that trusts this IdP with its published keys
  const jwks = (await (await idp.request('/jwks.json')).json()) as JSONWebKeySet;
  process.env.TEST_RAS_B_SECRET = RAS_B_SECRET;
  rasB = await startHarness({
    issuer: RAS_B,
    clients: [{ client_id: RAS_B_CLIENT, grant_types: [JWT_BEARER_GRANT_TYPE], token_endpoint_auth_method: 'client_secret_basic', client_secret_env: 'TEST_RAS_B_SECRET' }],
    enterprise: { trusted_issuers: [{ issuer: ISSUER, jwks: jwks as never, clients: [RAS_B_CLIENT] }] },
  });
});
after(async () => {
  await idp?.close();
  await rasB?.close();
});

/** an ID-JAG for the chat application, minted by the IdP's token exchange from alice's sign-in */
async function mintedIdJag(): Promise<string> {
  const s = await signIn(idp);
  const { res, body } = await exchange(idp, { subject_token: s.id_token });
  assert.equal(res.status, 200, JSON.stringify(body));
  const jag = body.access_token as string;
  assert.equal(decodeJwt(jag).aud, CHAT_AUDIENCE);
  return jag;
}

/** a jwt-bearer request at `h` is refused with invalid_grant, writes nothing, and is audited with `reason` */
async function refusedAt(h: Harness, assertion: string, auth: string, reason: string): Promise<void> {
  const before = storeFingerprint(h.store);
  const res = await h.request('/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: auth }, body: jwtBearerForm(assertion) });
  const body = (await res.json()) as Record<string, unknown>;
  assert.equal(res.status, 400, JSON.stringify(body));
  assert.equal(body.error, 'invalid_grant');
  assert.equal(body.access_token, undefined);
  assert.equal(storeFingerprint(h.store), before, 'the store is unchanged');
  const [row] = await h.store.listAudit({ types: ['idjag.rejected'], order: 'desc', limit: 1 });
  assert.ok(row, 'the refusal is audited');
  assert.equal((JSON.parse(row.data) as Record<string, unknown>).reason, reason);
}

describe('ID-JAG §8.3 (spec-checklist §2D item 10): an ID-JAG is never exchanged back, nor reused downstream elsewhere (idp.idjag.no-self-or-cross-use)', () => {
  it('an ID-JAG this server minted, presented to its own /token as a jwt-bearer assertion: invalid_grant (own_issuer) (idp.idjag.no-self-or-cross-use)', async () => {
    await refusedAt(idp, await mintedIdJag(), basic(APP, APP_SECRET), 'own_issuer');
  });

  it('an ID-JAG minted for one authorization server, presented at another that trusts this IdP: invalid_grant (aud) (idp.idjag.no-self-or-cross-use)', async () => {
    await refusedAt(rasB, await mintedIdJag(), basic(RAS_B_CLIENT, RAS_B_SECRET), 'aud');
  });
});
