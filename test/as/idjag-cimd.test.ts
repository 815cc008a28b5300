/**
 * Issue 4 item 1 / [EMA] §5: a client with no registration here presents its Client ID Metadata Document URL as
 * client_id. It may use the jwt-bearer grant only when its document declares it in grant_types, and — being
 * public — only with an IdP whose allow_public_clients says so ([IDJAG] §8.1 vs [EMA] §5, spec-checklist §4.8).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { ISSUER, startHarness, type Harness } from '../helpers/as-harness.js';
import { storeFingerprint } from '../helpers/store-fingerprint.js';
import { fixturePayload, idpKey, jwtBearerForm, mintIdJag, type IdpKey } from '../helpers/idjag.js';
import { JWT_BEARER_GRANT_TYPE } from '../../src/as/idjag/constants.js';
import { CIMD_URL, cimdDoc, serveCimd } from './trust/helpers.js';

const OPEN_IDP = 'https://open.idp.example';
const STRICT_IDP = 'https://strict.idp.example';
const UNDECLARED = 'https://app.example.com/oauth/undeclared.json';

let h: Harness;
let open: IdpKey;
let strict: IdpKey;

before(async () => {
  open = await idpKey();
  strict = await idpKey();
  h = await startHarness({
    enterprise: {
      trusted_issuers: [
        { issuer: OPEN_IDP, jwks: { keys: [open.jwk] }, clients: [CIMD_URL, UNDECLARED], allow_public_clients: true, provision: true },
        { issuer: STRICT_IDP, jwks: { keys: [strict.jwk] }, clients: [CIMD_URL], provision: true },
      ],
    },
  });
  serveCimd(
    h,
    new Map([
      [CIMD_URL, cimdDoc({ grant_types: ['authorization_code', JWT_BEARER_GRANT_TYPE] })],
      [UNDECLARED, cimdDoc({ client_id: UNDECLARED })],
    ]),
  );
});
after(() => h.close());

const mint = (key: IdpKey, iss: string, client_id = CIMD_URL) =>
  mintIdJag({ ...fixturePayload('draft-ai-agent.id-jag'), iss, aud: ISSUER, resource: `${ISSUER}/mcp`, client_id, scope: 'notes:read' }, { key, now: Math.floor(h.clock.now / 1000) });

async function token(assertion: string, client_id = CIMD_URL) {
  const res = await h.request('/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: jwtBearerForm(assertion, { client_id }) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('CIMD clients and the jwt-bearer grant ([EMA] §5) (as.idjag.public-clients)', () => {
  it('a CIMD client declaring the grant is accepted by an IdP allowing public clients (as.idjag.public-clients)', async () => {
    const { status, body } = await token(await mint(open, OPEN_IDP));
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(decodeJwt(body.access_token as string).client_id, CIMD_URL);
  });

  it('refused by an IdP that does not allow public clients: unauthorized_client, store unchanged, audited (as.idjag.public-clients)', async () => {
    const before = storeFingerprint(h.store);
    const { body } = await token(await mint(strict, STRICT_IDP));
    assert.equal(body.error, 'unauthorized_client');
    assert.equal(storeFingerprint(h.store), before);
    const [row] = await h.store.listAudit({ types: ['idjag.rejected'], order: 'desc', limit: 1 });
    assert.equal(JSON.parse(row!.data).reason, 'public_client');
  });

  it('a CIMD client whose document does not declare the grant: unauthorized_client before the assertion is looked at (as.idjag.audit)', async () => {
    const { body } = await token(await mint(open, OPEN_IDP, UNDECLARED), UNDECLARED);
    assert.equal(body.error, 'unauthorized_client');
    const [row] = await h.store.listAudit({ types: ['idjag.rejected'], order: 'desc', limit: 1 });
    const data = JSON.parse(row!.data) as Record<string, unknown>;
    assert.equal(data.reason, 'request');
    assert.equal(data.iss, OPEN_IDP, 'the unverified issuer is recorded for context');
  });
});
