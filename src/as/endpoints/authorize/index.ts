import { controlDisabled } from '../../../core/controls.js';
import { OAuthError } from '../../../core/errors.js';
import { randomToken } from '../../../core/random.js';
import type { AuthorizationRequestSnapshot } from '../../../store/types.js';
import { ClientResolutionError, type OAuthClient } from '../../clients/types.js';
import type { AsContext } from '../../context.js';
import { errorPage } from '../../pages/error.js';
import { awaitingApprovalPage, trustDeniedPage } from '../../pages/trust.js';
import { trustPolicy } from '../../trust/policy.js';
import { Params, parseScope } from '../../params.js';
import { interactionCookie, setCookie } from '../cookies.js';
import { readFormBody } from '../form.js';
import { checkPkce } from './check-pkce.js';
import { INTERACTION_TTL_MS } from './ttl.js';
import { redirectWithError } from './response.js';
import { checkPrompt } from './check-prompt.js';
import { silentAuthorization } from './silent.js';
import { redirectUriMatches } from './check-redirect-uri.js';
import { checkResource } from './check-resource.js';
import { checkScope } from './check-scope.js';


/**
 * /authorize (OAuth 2.1 §4.1.1): code flow only. Errors found before the client and its redirect URI are
 * validated are shown on a page, never redirected (OAuth 2.1 §4.1.2.1); later errors go back to the client
 * with state and iss.
 */
export async function authorizeEndpoint(ctx: AsContext, req: Request): Promise<Response> {
  let params: Params;
  if (req.method === 'GET') {
    params = new Params(new URL(req.url).searchParams);
  } else if (req.method === 'POST') {
    try {
      params = Params.fromForm(await readFormBody(req));
    } catch (e) {
      return errorPage(ctx.settings, 400, 'Invalid authorization request', (e as Error).message.replace(/^invalid_request: /, ''));
    }
  } else {
    return errorPage(ctx.settings, 405, 'Method not allowed', 'Use GET or POST.');
  }

  // Phase 1: client and redirect URI. Nothing here may redirect.
  let client: OAuthClient;
  let redirect_uri: string;
  try {
    const client_id = params.required('client_id');
    try {
      client = await ctx.clients.resolve(client_id);
    } catch (e) {
      if (e instanceof ClientResolutionError) {
        ctx.log.info({ event: 'client_rejected', client_id, reason: e.message }, 'authorization request from an unusable client');
        if (e.failure.reason === 'denied_by_policy') return trustDeniedPage(ctx.settings, client_id);
        return errorPage(ctx.settings, 400, 'Unknown or invalid application', clientFailureText(e));
      }
      throw e;
    }
    const given = params.one('redirect_uri');
    if (given === undefined) {
      // OAuth 2.1 §4.1.1: optional only when exactly one URI is registered (and a loopback one needs its port).
      if (client.redirect_uris.length !== 1 || client.loopback_only) throw new OAuthError('invalid_request', 'redirect_uri is required');
      redirect_uri = client.redirect_uris[0]!;
    } else {
      if (!controlDisabled('authz.redirect-uri-exact') && !redirectUriMatches(given, client.redirect_uris)) {
        ctx.log.info({ event: 'redirect_uri_mismatch', client_id, redirect_uri: given }, 'redirect_uri not registered');
        return errorPage(ctx.settings, 400, 'Invalid redirect URI', 'The redirect_uri is not registered for this application, so we will not send you there.');
      }
      redirect_uri = given;
    }
  } catch (e) {
    if (e instanceof OAuthError) return errorPage(ctx.settings, 400, 'Invalid authorization request', e.description ?? e.code);
    throw e;
  }

  // CIMD §6.8 / MCP [SEC] "Trust Policies" (issue 3): a refused or pending client never reaches login, and is
  // never redirected (the user is told here, not the client).
  const verdict = await trustPolicy(ctx).evaluate(client);
  if (verdict.kind !== 'allowed') {
    ctx.log.info({ event: 'client_trust', client_id: client.client_id, verdict: verdict.kind, reason: verdict.reason, version: client.version }, 'client not allowed by the trust policy');
    await ctx.audit.record('trust.decision', { decision: verdict.kind === 'denied' ? 'deny' : 'ask', policy: ctx.settings.config.trust.mode, reason: verdict.reason }, { client_id: client.client_id });
    if (verdict.kind === 'denied') return trustDeniedPage(ctx.settings, client.client_id);
    // prompt=none included: the page, never an automatic redirect to a redirect URI nobody has vetted yet (RFC 9700
    // §4.11.2: a silent request must not make this server an open redirector for an unreviewed client)
    return awaitingApprovalPage(ctx.settings, client, verdict.reason);
  }

  // Phase 2: everything else; errors go back to the client (with iss, RFC 9207 §2).
  let state: string | undefined;
  try {
    state = params.one('state', { max: 2048 });
    const response_type = params.one('response_type');
    if (response_type === undefined) throw new OAuthError('invalid_request', 'response_type is required');
    if (response_type !== 'code') throw new OAuthError('unsupported_response_type', 'only response_type=code is supported');
    if (!client.grant_types.includes('authorization_code')) throw new OAuthError('unauthorized_client', 'client may not use the authorization code grant');
    if (params.has('request') || params.has('request_uri')) throw new OAuthError('invalid_request', 'request objects are not supported');
    const pkce = checkPkce(params.one('code_challenge', { max: 128 }), params.one('code_challenge_method', { max: 32 }));
    const rawScope = params.one('scope', { max: 1024 });
    const resource = checkResource(ctx.settings, params.many('resource'), rawScope);
    const scope = checkScope(resource, client, parseScope(rawScope));
    const response_mode = params.one('response_mode');
    if (response_mode !== undefined && response_mode !== 'query') throw new OAuthError('invalid_request', 'only response_mode=query is supported');
    const session = checkPrompt(params.one('prompt', { max: 256 }), params.one('max_age', { max: 32 }));
    // OIDC Core §3.1.2.1: a hint only (what the user types wins); a control character refuses the request (Params)
    const login_hint = params.one('login_hint', { max: 256 })?.trim();

    const snapshot: AuthorizationRequestSnapshot = {
      client_id: client.client_id,
      client_name: client.client_name,
      redirect_uri,
      state: state ?? null,
      scope,
      resource: resource.id,
      ...pkce,
      nonce: params.one('nonce', { max: 512 }) ?? null,
      client_version: client.version,
      loopback_only: client.loopback_only,
      ...session,
      ...(login_hint ? { login_hint } : {}),
    };
    // OIDC Core §3.1.2.1: prompt=none is answered now, without a page or a stored interaction
    if (snapshot.prompt?.includes('none') && !controlDisabled('authz.prompt-none')) return await silentAuthorization(ctx, req, snapshot);
    const now = ctx.clock();
    const id = randomToken();
    await ctx.store.putInteraction({ id, params: snapshot, csrf: randomToken(), user_id: null, created_at: now, expires_at: now + INTERACTION_TTL_MS });
    const headers = new Headers({ location: `${ctx.settings.endpoints.interaction}/${id}`, 'cache-control': 'no-store' });
    setCookie(headers, interactionCookie(ctx.settings), id, { maxAge: INTERACTION_TTL_MS / 1000, secure: ctx.settings.secureCookies });
    return new Response(null, { status: 303, headers });
  } catch (e) {
    if (e instanceof OAuthError) return redirectWithError(ctx, redirect_uri, e, state);
    throw e;
  }
}

function clientFailureText(e: ClientResolutionError): string {
  switch (e.failure.reason) {
    case 'unknown_client':
      return 'This application is not registered with this server.';
    case 'cimd_url_invalid':
      return `The application's client_id is not a valid metadata document URL: ${e.failure.detail}.`;
    case 'cimd_fetch_failed':
      return "The application's metadata document could not be fetched, so we cannot tell who it is.";
    case 'cimd_document_invalid':
      return `The application's metadata document is invalid: ${e.failure.detail}.`;
    case 'registration_expired':
      return "This application's registration has expired. It must register again.";
    case 'denied_by_policy':
      return 'This application is not allowed here.';
  }
}
