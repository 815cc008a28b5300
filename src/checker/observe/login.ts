/**
 * `--login`: a real authorization-code + PKCE flow. The authorization URL is printed (and opened with `--open`, or
 * handed to an injected user agent in tests); the code arrives on the loopback callback; the token exchange and
 * every later request go through oauth4webapi with the recorder as its fetch, so the report shows the real flow.
 */
import * as oauth from 'oauth4webapi';
import { jsonBody, one } from '../wire.js';
import type { Callback } from './callback.js';
import { openInBrowser, withTimeout } from './callback.js';
import { authorizationUrl, selectScope } from './authorize.js';
import { afterLogin, type LoginTokens } from './login-after.js';
import type { OAuthContext } from './oauth.js';
import type { Recorder } from './recorder.js';

export interface LoginOptions {
  /** completes the authorization in tests (a scripted user agent); otherwise the user does, in a browser */
  userAgent?: (url: string) => Promise<void>;
  /** launch the system browser (execFile, never a shell) */
  open?: boolean;
  /** how long to wait for the user to finish logging in (default 5 min) */
  loginTimeoutMs?: number;
  /** wait this long past a refresh before reusing the old refresh token (beyond the AS's retry grace window) */
  refreshGraceWaitMs?: number;
  /** a tool to call for the insufficient_scope step-up check (it is called with empty arguments) */
  stepUpTool?: string;
  /** a second resource of the same AS: a token for it must be refused by the server under test */
  otherResource?: string;
  /** the scope to request instead of the challenge's (e.g. a narrow one, so that the step-up tool needs more) */
  scope?: string;
}

/** Every observation key of the login phase: when it does not run, checks needing them skip with the reason. */
export const LOGIN_KEYS = ['login.callback', 'login.token', 'login.mcp', 'login.token.replay', 'login.refresh', 'login.refresh.reuse', 'login.refresh.other-resource', 'login.mcp.other-audience', 'login.revoke', 'login.step-up', 'login.step-up.retry'];

export function noteLoginSkipped(rec: Recorder, why: string): void {
  for (const k of LOGIN_KEYS) rec.note(k, why);
}

export interface Authorized {
  tokens: LoginTokens;
  /** repeats the code exchange (for the replay check) */
  replay(): Promise<void>;
}

/** One authorization round trip: URL → user agent → callback → code exchange, recorded under `prefix`. */
export async function authorize(rec: Recorder, ctx: OAuthContext, cb: Callback, opts: LoginOptions, resource: string, prefix: string, scopeOverride?: string): Promise<Authorized | undefined> {
  const endpoint = String(ctx.as.authorization_endpoint);
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const scope = scopeOverride ?? opts.scope ?? selectScope(rec);
  const url = authorizationUrl(endpoint, {
    client: ctx.config, resource, ...(scope ? { scope } : {}), state, redirect_uri: cb.redirectUri,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  });
  rec.fact(`${prefix}.state`, state);
  rec.fact(`${prefix}.resource`, resource);
  rec.progress(`log in to continue — open this URL in a browser:\n\n  ${url}\n`);
  const started = Date.now();
  let got: URL;
  try {
    if (opts.open && !opts.userAgent) openInBrowser(url, (m) => rec.progress(m));
    const arrived = cb.next();
    const none = `no authorization response on ${cb.redirectUri}`;
    const ua = opts.userAgent ? Promise.race([arrived, opts.userAgent(url).then(() => withTimeout(arrived, 10_000, none))]) : arrived;
    got = await withTimeout(ua, opts.loginTimeoutMs ?? 300_000, none);
  } catch (e) {
    rec.note(`${prefix}.callback`, `the authorization did not complete: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
  rec.record({ key: `${prefix}.callback`, peer: 'UA', request: { method: 'GET', url: got.toString(), headers: {} }, response: { status: 200, headers: {}, body: '' }, ms: Date.now() - started });
  const p = got.searchParams;
  if (p.has('error')) {
    rec.note(`${prefix}.token`, `the authorization was refused: error=${p.get('error')} ${p.get('error_description') ?? ''}`.trim());
    return undefined;
  }
  if (p.get('state') !== state) {
    rec.note(`${prefix}.token`, 'the authorization response did not carry our state: the code was not redeemed (see as.authorize.state)');
    return undefined;
  }
  // RFC 9207 is judged by as.authorize.iss-callback; go on without it so the later checks still run
  const lenient = new URLSearchParams(p);
  lenient.delete('iss');
  const params = oauth.validateAuthResponse({ ...ctx.as, authorization_response_iss_parameter_supported: false }, ctx.client, lenient, state);
  const exchange = (key: string): Promise<Response> =>
    oauth.authorizationCodeGrantRequest(ctx.as, ctx.client, ctx.auth, params, cb.redirectUri, verifier, ctx.opts(key, { resource }));
  try {
    await exchange(`${prefix}.token`);
  } catch (e) {
    rec.note(`${prefix}.token`, `the token request failed: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
  // judged from the recording by the checks; here only what the next steps need
  const body = jsonBody(one(rec.obs, `${prefix}.token`));
  const access = typeof body?.access_token === 'string' ? body.access_token : undefined;
  const refresh = typeof body?.refresh_token === 'string' ? body.refresh_token : undefined;
  rec.secret(access, `${prefix} access token`);
  rec.secret(refresh, `${prefix} refresh token`);
  if (!access) {
    rec.note(`${prefix}.mcp`, 'the code exchange returned no access token (see as.token.response)');
    return undefined;
  }
  return {
    tokens: { access, ...(refresh ? { refresh } : {}) },
    replay: async () => {
      await exchange(`${prefix}.token.replay`).catch((e: unknown) => rec.note(`${prefix}.token.replay`, `the replay request failed: ${String(e)}`));
    },
  };
}

export async function observeLogin(rec: Recorder, ctx: OAuthContext, cb: Callback, opts: LoginOptions): Promise<void> {
  rec.progress('login: authorization code + PKCE');
  const resource = rec.obs.facts.resource ?? rec.obs.target;
  const first = await authorize(rec, ctx, cb, opts, resource, 'login');
  if (!first) return noteLoginSkipped(rec, rec.obs.notes['login.callback'] ?? rec.obs.notes['login.token'] ?? rec.obs.notes['login.mcp'] ?? 'the login did not complete');
  await afterLogin(rec, ctx, cb, opts, resource, first.tokens);
  // last: a good AS revokes what the code issued when it sees the code again (OAuth 2.1 §4.1.3)
  rec.progress('login: code replay');
  await first.replay();
}
