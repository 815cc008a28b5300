/**
 * What the login phase does with the tokens, in an order where each step leaves the grant usable for the next:
 * use at the MCP server, step-up, audience binding, refresh rotation, refresh reuse, revocation. (A good AS
 * revokes the grant on reuse detection or revocation, so those come last; the code replay follows in login.ts.)
 */
import * as oauth from 'oauth4webapi';
import type { Exchange } from '../types.js';
import { challengeOf, jsonBody, one } from '../wire.js';
import type { Callback } from './callback.js';
import { authorize, type LoginOptions } from './login.js';
import type { OAuthContext } from './oauth.js';
import { mcpPost } from './probes.js';
import type { Recorder } from './recorder.js';

export interface LoginTokens {
  access: string;
  refresh?: string;
}

/** appended to the resource to name one the grant never covered (RFC 8707 §2.2: a refresh may not widen) */
export const OTHER_RESOURCE_SUFFIX = '/__portcullis_check_other__';
const REVOKE_POLL_MS = 5_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const bearer = (t: string): Record<string, string> => ({ authorization: `Bearer ${t}` });

/** MCP [AUTH] Step-Up Authorization Flow: 403 insufficient_scope → authorize the union of scopes → retry once. */
async function stepUp(rec: Recorder, ctx: OAuthContext, cb: Callback, opts: LoginOptions, resource: string, access: string, tool: string): Promise<void> {
  const call = (key: string, token: string): Promise<Exchange> => rec.send(key, 'RS', rec.obs.target, mcpPost({ ...bearer(token), 'mcp-protocol-version': '2025-11-25' }, toolsCall(tool)));
  const x = await call('login.step-up', access);
  const c = challengeOf(x);
  if (x.response?.status !== 403 || c?.params.error !== 'insufficient_scope' || !c.params.scope) return rec.note('login.step-up.retry', 'no insufficient_scope challenge with a scope to step up to');
  const granted = jsonBody(one(rec.obs, 'login.token'))?.scope;
  const union = [...new Set([...String(granted ?? opts.scope ?? '').split(' '), ...c.params.scope.split(' ')].filter(Boolean))].join(' ');
  rec.progress(`login: step-up — authorize again with scope "${union}"`);
  const stepped = await authorize(rec, ctx, cb, opts, resource, 'login.step-up-auth', union);
  if (stepped) await call('login.step-up.retry', stepped.tokens.access);
  else rec.note('login.step-up.retry', rec.obs.notes['login.step-up-auth.callback'] ?? rec.obs.notes['login.step-up-auth.token'] ?? 'the step-up authorization did not complete');
}

export function toolsCall(name: string): string {
  return JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name, arguments: {} } });
}

export async function afterLogin(rec: Recorder, ctx: OAuthContext, cb: Callback, opts: LoginOptions, resource: string, t: LoginTokens): Promise<void> {
  const target = rec.obs.target;
  await rec.send('login.mcp', 'RS', target, mcpPost(bearer(t.access)));

  if (opts.stepUpTool) await stepUp(rec, ctx, cb, opts, resource, t.access, opts.stepUpTool);
  else rec.note('login.step-up', 'no tool named: pass --step-up-tool NAME (a tool the initial scope does not cover; it is called with empty arguments) and a narrow --scope');

  let refresh = t.refresh;
  const refreshAt = async (key: string, token: string, extra?: Record<string, string>): Promise<Record<string, unknown> | undefined> => {
    try {
      await oauth.refreshTokenGrantRequest(ctx.as, ctx.client, ctx.auth, token, ctx.opts(key, { resource, ...extra }));
    } catch (e) {
      rec.note(key, `the refresh request failed: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    }
    const body = jsonBody(one(rec.obs, key));
    rec.secret(typeof body?.access_token === 'string' ? body.access_token : undefined, `${key} access token`);
    rec.secret(typeof body?.refresh_token === 'string' ? body.refresh_token : undefined, `${key} refresh token`);
    return one(rec.obs, key)?.response?.status === 200 ? body : undefined;
  };

  // audience binding: a token for a resource other than this server must be refused here
  let other: string | undefined;
  if (refresh) {
    const widened = await refreshAt('login.refresh.other-resource', refresh, { resource: `${resource.replace(/\/$/, '')}${OTHER_RESOURCE_SUFFIX}` });
    if (widened && typeof widened.access_token === 'string') {
      other = widened.access_token;
      if (typeof widened.refresh_token === 'string') refresh = widened.refresh_token;
    }
  } else rec.note('login.refresh.other-resource', 'no refresh token was issued');
  if (!other && opts.otherResource) {
    const second = await authorize(rec, ctx, cb, opts, opts.otherResource, 'login.other');
    other = second?.tokens.access;
  }
  if (other) await rec.send('login.mcp.other-audience', 'RS', target, mcpPost(bearer(other)));
  else rec.note('login.mcp.other-audience', 'no token for another resource could be obtained (the AS refused to widen; pass --other-resource URL, a second resource of the same AS, to test this server\'s audience check)');

  // rotation, then reuse of the rotated token
  let access = t.access;
  if (!refresh) {
    for (const k of ['login.refresh', 'login.refresh.reuse']) rec.note(k, 'no refresh token was issued (the AS may decline to; MCP [AUTH] Refresh Tokens)');
  } else {
    const old = refresh;
    const next = await refreshAt('login.refresh', old);
    if (typeof next?.access_token === 'string') access = next.access_token;
    if (typeof next?.refresh_token === 'string' && next.refresh_token !== old) {
      if (opts.refreshGraceWaitMs) {
        rec.progress(`login: waiting ${Math.round(opts.refreshGraceWaitMs / 1000)} s past the AS's refresh retry grace`);
        await sleep(opts.refreshGraceWaitMs);
      }
      rec.fact('login.refresh.waited-ms', String(opts.refreshGraceWaitMs ?? 0));
      await refreshAt('login.refresh.reuse', old);
    } else rec.note('login.refresh.reuse', 'the refresh token was not rotated, so there is no old token to reuse (see as.token.refresh-rotation)');
  }

  // revocation: the revoked access token must stop working at the MCP server
  const endpoint = ctx.as.revocation_endpoint;
  if (!endpoint) return rec.note('login.revoke', 'no revocation_endpoint is advertised');
  const before = await rec.send('login.mcp.before-revoke', 'RS', target, mcpPost(bearer(access)));
  if (!before.response || before.response.status >= 300) {
    return rec.note('login.revoke', `the access token was already refused before revoking (${before.response?.status ?? before.error}); e.g. refresh reuse detection revoked the grant`);
  }
  rec.progress('login: revocation');
  try {
    await oauth.revocationRequest(ctx.as, ctx.client, ctx.auth, access, ctx.opts('login.revoke', { token_type_hint: 'access_token' }));
  } catch (e) {
    return rec.note('login.revoke', `the revocation request failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  const until = Date.now() + REVOKE_POLL_MS;
  for (;;) {
    const x = await rec.send('login.mcp.after-revoke', 'RS', target, mcpPost(bearer(access)));
    if ((x.response?.status ?? 0) === 401 || Date.now() >= until) break;
    await sleep(500);
  }
}
