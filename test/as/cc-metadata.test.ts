/**
 * spec-checklist §2B item 25 ([CC] "Server Metadata Requirements"): the AS metadata lists
 * token_endpoint_auth_methods_supported with private_key_jwt (and client_secret_basic), and, since JWT client
 * authentication is supported, token_endpoint_auth_signing_alg_values_supported. What is advertised is what /token
 * accepts: a client_credentials request authenticated with each advertised alg succeeds; an unadvertised alg (HS256,
 * none) is invalid_client with nothing written.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { ISSUER, RESOURCE, startHarness, type Harness } from '../helpers/as-harness.js';
import { storeFingerprint } from '../helpers/store-fingerprint.js';
import { unsecuredJwt } from '../helpers/idjag.js';

const ADVERTISED = ['ES256', 'ES384', 'RS256', 'PS256', 'EdDSA'];
const clientFor = (alg: string): string => `svc-${alg.toLowerCase()}`;

let h: Harness;
const keys = new Map<string, CryptoKey>();

before(async () => {
  const clients = [];
  for (const alg of ADVERTISED) {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    keys.set(alg, privateKey);
    clients.push({ client_id: clientFor(alg), token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg }] }, grant_types: ['client_credentials'] });
  }
  h = await startHarness({ clients } as never);
});
after(async () => h?.close());

function assertionClaims(clientId: string): Record<string, unknown> {
  const now = Math.floor(h.clock.now / 1000);
  return { iss: clientId, sub: clientId, aud: ISSUER, jti: randomUUID(), iat: now, exp: now + 60 };
}

const sign = (alg: string, clientId = clientFor(alg)): Promise<string> =>
  new SignJWT(assertionClaims(clientId)).setProtectedHeader({ alg, kid: 'k1' }).sign(keys.get(alg)!);

const ccRequest = (clientId: string, assertion: string): Promise<Response> =>
  h.request('/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
      resource: RESOURCE,
    }),
  });

describe('[CC] Server Metadata Requirements; RFC 8414 §2 (as.cc.metadata)', () => {
  it('token_endpoint_auth_methods_supported lists private_key_jwt and client_secret_basic; the signing algs are listed, asymmetric only (as.cc.metadata)', async () => {
    const m = (await (await h.request('/.well-known/oauth-authorization-server')).json()) as Record<string, unknown>;
    const methods = m.token_endpoint_auth_methods_supported as string[];
    assert.ok(methods.includes('private_key_jwt'), JSON.stringify(methods));
    assert.ok(methods.includes('client_secret_basic'), JSON.stringify(methods));
    assert.deepEqual(m.token_endpoint_auth_signing_alg_values_supported, ADVERTISED);
  });

  for (const alg of ADVERTISED) {
    it(`a client assertion signed with the advertised ${alg} authenticates a client_credentials request (as.cc.metadata)`, async () => {
      const res = await ccRequest(clientFor(alg), await sign(alg));
      assert.equal(res.status, 200, await res.clone().text());
      const body = (await res.json()) as { access_token?: string; token_type?: string };
      assert.equal(body.token_type, 'Bearer');
      assert.ok(body.access_token);
    });
  }

  it('an unadvertised alg (HS256 with the client id as secret, or none) is invalid_client, nothing written (as.cc.metadata)', async () => {
    const id = clientFor('ES256');
    const hs256 = await new SignJWT(assertionClaims(id)).setProtectedHeader({ alg: 'HS256', kid: 'k1' }).sign(new TextEncoder().encode(id.padEnd(32, 'x')));
    const none = unsecuredJwt({ alg: 'none', kid: 'k1' }, assertionClaims(id));
    for (const assertion of [hs256, none]) {
      const before = storeFingerprint(h.store);
      const res = await ccRequest(id, assertion);
      assert.equal(res.status, 401);
      assert.equal(((await res.json()) as { error: string }).error, 'invalid_client');
      assert.equal(storeFingerprint(h.store), before);
    }
  });
});
