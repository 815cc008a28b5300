/**
 * Active probes of the authorization endpoint without a login: one valid request (the control) and one request
 * per defect an AS must refuse. Only the first response of each is recorded; no redirect is followed.
 */
import * as oauth from 'oauth4webapi';
import { challengeOf, jsonBody, one, strings } from '../wire.js';
import type { ClientConfig } from './client.js';
import { EVIL_REDIRECT, UNKNOWN_RESOURCE } from './probes.js';
import type { Recorder } from './recorder.js';

export interface AuthorizeParams {
  client: ClientConfig;
  resource: string;
  scope?: string;
  code_challenge?: string;
  code_challenge_method?: string;
  redirect_uri?: string;
  state?: string;
}

export function authorizationUrl(endpoint: string, p: AuthorizeParams): string {
  const u = new URL(endpoint);
  u.searchParams.set('response_type', 'code');
  u.searchParams.set('client_id', p.client.id);
  u.searchParams.set('redirect_uri', p.redirect_uri ?? p.client.redirectUri);
  if (p.scope) u.searchParams.set('scope', p.scope);
  u.searchParams.set('state', p.state ?? oauth.generateRandomState());
  u.searchParams.set('resource', p.resource);
  if (p.code_challenge !== undefined) u.searchParams.set('code_challenge', p.code_challenge);
  if (p.code_challenge_method !== undefined) u.searchParams.set('code_challenge_method', p.code_challenge_method);
  return u.toString();
}

/** MCP [AUTH] Scope Selection Strategy: the challenge's scope, else PRM scopes_supported, else none. */
export function selectScope(rec: Recorder): string | undefined {
  const fromChallenge = challengeOf(one(rec.obs, 'mcp.no-token'))?.params.scope;
  if (fromChallenge) return fromChallenge;
  const prmKey = rec.obs.facts['prm.key'];
  return prmKey ? strings(jsonBody(one(rec.obs, prmKey))?.scopes_supported)?.join(' ') : undefined;
}

export async function observeAuthorize(rec: Recorder, client: ClientConfig | undefined): Promise<void> {
  const endpoint = rec.obs.facts.authorization_endpoint;
  const keys = ['authorize.control', 'authorize.no-pkce', 'authorize.plain', 'authorize.evil-redirect', 'authorize.unknown-resource'];
  if (!endpoint || !client) {
    const why = !endpoint ? 'no authorization_endpoint known' : 'no client to act as: pass --client-id (a CIMD URL or a pre-registered id)';
    for (const k of keys) rec.note(k, why);
    return;
  }
  rec.progress('authorization endpoint (no login)');
  const verifier = oauth.generateRandomCodeVerifier();
  const challenge = await oauth.calculatePKCECodeChallenge(verifier);
  // the canonical MCP URL, not the PRM's value: a mismatched PRM is its own finding (rs.prm.resource-exact)
  const base: AuthorizeParams = { client, resource: rec.obs.target, ...(selectScope(rec) ? { scope: selectScope(rec)! } : {}) };
  const s256 = { code_challenge: challenge, code_challenge_method: 'S256' };
  const get = (key: string, p: AuthorizeParams) => rec.send(key, 'AS', authorizationUrl(endpoint, p), { headers: { accept: 'text/html' } });
  await get('authorize.control', { ...base, ...s256 });
  await get('authorize.no-pkce', base);
  await get('authorize.plain', { ...base, code_challenge: verifier, code_challenge_method: 'plain' });
  await get('authorize.evil-redirect', { ...base, ...s256, redirect_uri: EVIL_REDIRECT });
  await get('authorize.unknown-resource', { ...base, ...s256, resource: UNKNOWN_RESOURCE });
  rec.fact('redirect_uri', client.redirectUri);
}
