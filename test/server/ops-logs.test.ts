import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MCP_HEADERS, toolCall } from '../gateway/helpers/harness.js';
import { statelessMcp, startUpstream, type Upstream } from '../gateway/helpers/upstream.js';
import { exchange, tokenRequest } from '../as/flow.js';
import { CONFIDENTIAL_CLIENT, CONFIDENTIAL_SECRET, ISSUER, PUBLIC_CLIENT } from '../helpers/as-harness.js';
import { ALICE_PASSWORD, CC_SECRET, captureLog, ccToken, startOps, type OpsHarness } from './ops-harness.js';

let upstream: Upstream;
let h: OpsHarness;
const logs = captureLog('trace');
before(async () => {
  upstream = await startUpstream(statelessMcp('sse'));
  h = await startOps(upstream.url, {}, logs.log);
});
after(async () => {
  await h.close();
  await upstream.close();
});

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

describe('issue 6 "Operations": structured logs', () => {
  it('issue 6: no secret or token in the logs (ops.logs.no-secrets)', async () => {
    const secrets: Record<string, string> = { password: ALICE_PASSWORD, cc_secret: CC_SECRET, confidential_secret: CONFIDENTIAL_SECRET };
    // authorization code flow: login with a password, consent, code redemption with PKCE
    const first = await exchange(h.asHarness, { scope: 'notes:read notes:write' });
    assert.equal(first.res.status, 200, JSON.stringify(first.body));
    Object.assign(secrets, { code: first.code, code_verifier: first.verifier, access_token: String(first.body.access_token), refresh_token: String(first.body.refresh_token) });
    // the code again (reuse: grant revoked, logged as a warning)
    await tokenRequest(h.asHarness, { grant_type: 'authorization_code', code: first.code, code_verifier: first.verifier, client_id: PUBLIC_CLIENT });
    // a second grant: refresh, then reuse of the rotated refresh token after the grace
    const second = await exchange(h.asHarness, { scope: 'notes:read' });
    const rotated = await tokenRequest(h.asHarness, { grant_type: 'refresh_token', refresh_token: String(second.body.refresh_token), client_id: PUBLIC_CLIENT });
    const rotatedBody = (await rotated.json()) as Record<string, string>;
    assert.equal(rotated.status, 200, JSON.stringify(rotatedBody));
    Object.assign(secrets, { code2: second.code, access_token2: String(second.body.access_token), refresh_token2: String(second.body.refresh_token), access_token3: rotatedBody.access_token!, refresh_token3: rotatedBody.refresh_token! });
    // client secrets: right (client_credentials) and wrong (basic and post)
    secrets.access_token_cc = await ccToken(h);
    await h.request('/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(CONFIDENTIAL_CLIENT, `${CONFIDENTIAL_SECRET}-wrong`) }, body: 'grant_type=authorization_code&code=abc&code_verifier=' + 'v'.repeat(43) });
    await tokenRequest(h.asHarness, { grant_type: 'client_credentials', client_id: CONFIDENTIAL_CLIENT, client_secret: `${CONFIDENTIAL_SECRET}-post` });
    secrets.wrong_secret = `${CONFIDENTIAL_SECRET}-wrong`;
    secrets.post_secret = `${CONFIDENTIAL_SECRET}-post`;
    // the gateway: a good token through to the upstream (SSE), a tampered one, one in the query string, a revoked one
    const call = (token: string, query = '') => h.request(`/mcp${query}`, { method: 'POST', headers: { ...MCP_HEADERS, authorization: `Bearer ${token}`, 'x-request-id': 'trace-me-1' }, body: JSON.stringify(toolCall('echo')) });
    const ok = await call(secrets.access_token3!);
    assert.equal(ok.status, 200);
    await ok.text();
    await call(`${secrets.access_token3!.slice(0, -4)}AAAA`);
    await h.request(`/mcp?access_token=${secrets.access_token_cc}`, { method: 'POST', headers: MCP_HEADERS, body: JSON.stringify(toolCall('echo')) });
    await tokenRequest(h.asHarness, { token: secrets.refresh_token3!, client_id: PUBLIC_CLIENT }).catch(() => undefined);
    await h.request('/revoke', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: secrets.refresh_token3!, client_id: PUBLIC_CLIENT }).toString() });
    await call(secrets.access_token3!);
    // a wrong password at login
    await h.request(`${ISSUER}/account/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ username: 'alice', password: 'wrong-password-XYZ' }).toString() });
    secrets.wrong_password = 'wrong-password-XYZ';

    const text = logs.text();
    assert.ok(logs.lines.length > 30, `expected a full flow in the logs, got ${logs.lines.length} lines`);
    for (const [name, secret] of Object.entries(secrets)) {
      assert.ok(secret.length >= 8, `${name} captured`);
      assert.ok(!text.includes(secret), `${name} appears in the logs`);
      // JWTs: no part of a token (e.g. its signature) either
      for (const part of secret.split('.')) if (part.length >= 16) assert.ok(!text.includes(part), `part of ${name} appears in the logs`);
    }
    for (const line of logs.lines) JSON.parse(line); // JSON lines, every one
  });

  it('every request has a request id, bound to each log line written while serving it', () => {
    const entries = logs.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const requests = entries.filter((e) => e.event === 'http_request');
    assert.ok(requests.length > 10);
    for (const r of requests) assert.match(String(r.req_id), /^[A-Za-z0-9._-]{1,64}$/);
    const traced = entries.filter((e) => e.req_id === 'trace-me-1');
    assert.ok(traced.some((e) => e.msg === 'access token rejected'), 'the gateway log line carries the inbound request id');
    assert.ok(traced.filter((e) => e.event === 'http_request').every((e) => e.route === '/mcp'));
    assert.ok(entries.some((e) => e.event === 'token_issued' && typeof e.req_id === 'string'), 'AS log lines carry req_id');
  });

  it('redaction covers credentials at any depth, keeping system error codes', () => {
    const cap = captureLog('info');
    cap.log.info({ authorization: 'Bearer top-secret-1', headers: { authorization: 'Bearer top-secret-2', cookie: 'sid=top-secret-3' }, body: { password: 'top-secret-4', client_assertion: 'top-secret-5', code: 'top-secret-6' }, token: 'top-secret-7' }, 'x');
    cap.log.warn({ err: { code: 'ECONNREFUSED', message: 'connect failed' } }, 'upstream unreachable');
    const text = cap.text();
    assert.doesNotMatch(text, /top-secret/);
    assert.match(text, /ECONNREFUSED/);
  });

  it('redaction (ops.logs.no-secrets): every secret name at depth 0–2, in arrays, in errors and child bindings; other fields and the caller\'s object untouched', () => {
    const cap = captureLog('info');
    const names = ['authorization', 'cookie', 'password', 'client_secret', 'refresh_token', 'access_token', 'id_token', 'token', 'code', 'code_verifier', 'client_assertion', 'assertion', 'subject_token', 'actor_token', 'user_code', 'device_code', 'secret'];
    for (const [i, k] of names.entries()) {
      const v = (d: number) => `leak-${i}-${d}`;
      cap.log.info({ [k]: v(0), a: { [k]: v(1), keep: 'visible-1' }, b: { c: { [k]: v(2) } }, list: [{ [k]: v(3) }] }, 'line');
    }
    const err = Object.assign(new Error('upstream said no'), { code: 'leak-err-code', headers: { cookie: 'leak-err-cookie' }, status: 502 });
    cap.log.error({ err }, 'failed');
    cap.log.error(Object.assign(new Error('bare error'), { token: 'leak-bare-error' }), 'failed bare');
    const child = cap.log.child({ client_secret: 'leak-binding', tenant: 'visible-2' });
    child.info({ detail: { nested: { ok: 'visible-3' } } }, 'child');
    const caller = { headers: { authorization: 'Bearer leak-not-mutated' } };
    cap.log.info(caller, 'caller');
    const text = cap.text();
    assert.doesNotMatch(text, /leak-/);
    for (const shown of ['visible-1', 'visible-2', 'visible-3', 'upstream said no', 'bare error', '"status":502', '"type":"Error"']) assert.ok(text.includes(shown), shown);
    // the error keeps its stack (serialized before redaction, not turned into a plain object)
    const failed = cap.lines.map((l) => JSON.parse(l) as { msg: string; err?: { stack?: string } }).find((l) => l.msg === 'failed');
    assert.match(failed?.err?.stack ?? '', /upstream said no/);
    // redaction copies: the object the caller logged still holds its value
    assert.equal(caller.headers.authorization, 'Bearer leak-not-mutated');
  });

  it('redaction (ops.logs.no-secrets): interpolated values, setBindings, and what a class serializes itself to (toJSON)', () => {
    const cap = captureLog('info');
    cap.log.info('request %j and %o', { token: 'leak-interp-1', ok: 'visible-4' }, { nested: { password: 'leak-interp-2' } });
    cap.log.info({ msg2: 'x' }, 'with object first %j', { client_secret: 'leak-interp-3' });
    const child = cap.log.child({ tenant: 'visible-5' });
    child.setBindings({ refresh_token: 'leak-set-bindings' });
    child.info('after setBindings');
    class Credentials {
      constructor(
        readonly user: string,
        readonly other: string,
        readonly password: string,
      ) {}
      toJSON() {
        return { user: this.user, password: this.password };
      }
    }
    class Opaque {
      readonly secret = 'leak-own-field';
      readonly label = 'visible-6';
    }
    cap.log.info({ creds: new Credentials('visible-7', 'hidden-by-toJSON', 'leak-class'), thing: new Opaque(), when: new Date(0), url: new URL('https://visible-8.example/') }, 'classes');
    // a toJSON that renames a secret member (pino's paths censored the member before toJSON read it), and one that returns itself
    class Renamed {
      constructor(readonly token: string) {}
      toJSON() {
        return { kind: 'bearer', value: this.token };
      }
    }
    class Itself {
      readonly password = 'leak-itself';
      readonly name = 'visible-9';
      toJSON() {
        return this;
      }
    }
    cap.log.info({ renamed: new Renamed('leak-renamed'), itself: new Itself() }, 'self-serializing');
    cap.log.info('interpolated %j', new Itself());
    child.setBindings(null as never);
    const text = cap.text();
    assert.doesNotMatch(text, /leak-/);
    assert.doesNotMatch(text, /hidden-by-toJSON/, 'what toJSON leaves out stays out');
    assert.ok(text.includes('visible-9') && text.includes('"kind":"bearer"'));
    for (const shown of ['visible-4', 'visible-5', 'visible-6', 'visible-7', '1970-01-01T00:00:00.000Z', 'https://visible-8.example/']) assert.ok(text.includes(shown), shown);
  });
});
