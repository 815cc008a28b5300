/**
 * Issue 10 attack suite — ID-JAG validation at /token, black-box (jwt-bearer grant; [EMA] §5.1, §7.4; [IDJAG]
 * §4.4.1; spec-checklist §4.5). Each forgery gets 400 invalid_grant with Cache-Control: no-store, writes nothing
 * (the jti is not consumed), and is audited as idjag.rejected with its reason — never with the assertion.
 * test/as/idjag-*.test.ts cover the grant in depth in-process; these are the attacks over HTTP.
 * `[bites: <control>]`: see scripts/mutation-run.mjs.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { decodeJwt } from 'jose';
import { idpKey, jwtBearerForm, mintIdJag, unsecuredJwt } from '../helpers/idjag.js';
import { basicAuth, EMA_CLIENT, EMA_OTHER_CLIENT, EMA_SECRET, expectOAuthError, IDP, postToken, refusedWithoutWrite, startTarget, type AttackTarget } from './harness.js';

let t: AttackTarget;
before(async () => {
  t = await startTarget();
});
after(() => t.close());

const now = (): number => Math.floor(t.clock.now / 1000);
const base = (): Record<string, unknown> => ({ iss: IDP, sub: 'employee-42', aud: t.issuer, client_id: EMA_CLIENT, resource: t.resource, scope: 'notes:read' });
const mint = (claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}, key = t.idp): Promise<string> => mintIdJag(base(), { key, now: now(), claims, header });
const send = (assertion: string, auth = basicAuth(EMA_CLIENT, EMA_SECRET)): Promise<Response> => postToken(t, jwtBearerForm(assertion), { authorization: auth });

/** refused with invalid_grant, nothing written, audited as idjag.rejected with `reason`, the assertion not recorded */
async function rejected(assertion: string, reason: string): Promise<void> {
  const { result, audit } = await refusedWithoutWrite(t, () => send(assertion));
  assert.equal(result.headers.get('cache-control'), 'no-store');
  await expectOAuthError(result, 400, 'invalid_grant');
  const entry = audit.find((a) => a.type === 'idjag.rejected');
  assert.ok(entry, `idjag.rejected audited: ${JSON.stringify(audit)}`);
  assert.equal(entry.data.reason, reason);
  assert.ok(!JSON.stringify(entry.data).includes(assertion.split('.')[2] || assertion), 'the assertion is never recorded');
}

describe('attack: forged and misused ID-JAGs at the jwt-bearer grant ([EMA] §7.4; [IDJAG] §4.4.1)', () => {
  it('control: a valid ID-JAG yields a token bound to its resource (as.idjag.grant)', async () => {
    const res = await send(await mint());
    const body = (await res.json()) as { access_token: string };
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(decodeJwt(body.access_token).aud, t.resource);
  });

  it('typ "JWT" (an ID token passed off as an ID-JAG) is refused (as.idjag.typ) [bites: idjag.typ]', async () => {
    await rejected(await mint({}, { typ: 'JWT' }), 'typ');
  });

  it('typ missing is refused (as.idjag.typ) [bites: idjag.typ]', async () => {
    await rejected(await mint({}, { typ: undefined }), 'typ');
  });

  it('an access token (typ at+jwt) presented as an ID-JAG is refused (as.idjag.typ) [bites: idjag.typ]', async () => {
    await rejected(await mint({}, { typ: 'at+jwt' }), 'typ');
  });

  it('alg none is refused (as.idjag.alg)', async () => {
    await rejected(unsecuredJwt({ alg: 'none', typ: 'oauth-id-jag+jwt' }, { ...base(), iat: now(), exp: now() + 60, jti: 'none-1' }), 'alg');
  });

  it('HS256 keyed with the IdP public key (key confusion) is refused (as.idjag.alg)', async () => {
    const enc = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const head = `${enc({ alg: 'HS256', typ: 'oauth-id-jag+jwt', kid: t.idp.kid })}.${enc({ ...base(), iat: now(), exp: now() + 60, jti: 'hs-1' })}`;
    await rejected(`${head}.${createHmac('sha256', JSON.stringify(t.idp.jwk)).update(head).digest('base64url')}`, 'alg');
  });

  it('an untrusted issuer is refused (as.idjag.iss-signature)', async () => {
    await rejected(await mint({ iss: 'https://evil-idp.example' }), 'untrusted_issuer');
  });

  it('an ID-JAG naming this server as its issuer is refused (as.idjag.own-issuer)', async () => {
    await rejected(await mint({ iss: t.issuer }), 'own_issuer');
  });

  it('signed by another key under the trusted kid is refused (as.idjag.iss-signature)', async () => {
    const stranger = await idpKey(t.idp.kid);
    const { result, audit } = await refusedWithoutWrite(t, async () => send(await mint({}, {}, stranger)));
    await expectOAuthError(result, 400, 'invalid_grant');
    assert.ok(audit.some((a) => a.type === 'idjag.rejected'));
  });

  it('aud of another server is refused (as.idjag.aud-exact) [bites: idjag.aud]', async () => {
    await rejected(await mint({ aud: 'https://other-as.example' }), 'aud');
  });

  it('aud with a trailing slash is refused: exact match (as.idjag.aud-exact) [bites: idjag.aud]', async () => {
    await rejected(await mint({ aud: `${t.issuer}/` }), 'aud');
  });

  it('aud as a two-element array containing us is refused (as.idjag.aud-exact) [bites: idjag.aud]', async () => {
    await rejected(await mint({ aud: [t.issuer, 'https://other-as.example'] }), 'aud');
  });

  it('aud that merely starts with our issuer is refused (as.idjag.aud-exact) [bites: idjag.aud]', async () => {
    await rejected(await mint({ aud: `${t.issuer}.evil.example` }), 'aud');
  });

  it('an expired ID-JAG is refused (as.idjag.time-bounds) [bites: idjag.time]', async () => {
    await rejected(await mint({ iat: now() - 600, exp: now() - 300 }), 'expired');
  });

  it('an ID-JAG issued in the future is refused (as.idjag.time-bounds) [bites: idjag.time]', async () => {
    await rejected(await mint({ iat: now() + 3600, exp: now() + 3700 }), 'iat_future');
  });

  it('an ID-JAG with a day-long lifetime is refused (as.idjag.time-bounds) [bites: idjag.time]', async () => {
    await rejected(await mint({ exp: now() + 86400 }), 'lifetime');
  });

  it('replay: the same ID-JAG (same jti) a second time is refused (as.idjag.jti-single-use) [bites: idjag.jti]', async () => {
    const assertion = await mint();
    assert.equal((await send(assertion)).status, 200);
    await rejected(assertion, 'replay');
  });

  it('an ID-JAG minted for another client is refused for this one (as.idjag.client-binding) [bites: idjag.client-binding]', async () => {
    await rejected(await mint({ client_id: EMA_OTHER_CLIENT }), 'client_mismatch');
  });

  it('an ID-JAG without jti is refused (as.idjag.jti-single-use)', async () => {
    await rejected(await mint({ jti: undefined }), 'missing_claim');
  });

  it('a resource this server does not protect is refused (as.idjag.resource)', async () => {
    await rejected(await mint({ resource: 'https://evil.example/mcp' }), 'resource_unknown');
  });

  it('a scope not registered for the resource is refused (as.idjag.scope)', async () => {
    await rejected(await mint({ scope: 'notes:read admin:all' }), 'scope_unknown');
  });

  it('a wrong client secret is refused with invalid_client before the assertion is looked at (as.idjag.client-binding)', async () => {
    const { result } = await refusedWithoutWrite(t, async () => send(await mint(), basicAuth(EMA_CLIENT, 'wrong')));
    await expectOAuthError(result, 401, 'invalid_client');
  });
});
