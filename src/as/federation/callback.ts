import * as oauth from 'oauth4webapi';
import { importJWK } from 'jose';
import type { AsContext } from '../context.js';
import { constantTimeEqual, sha256 } from '../../core/random.js';
import { clearCookie, interactionCookie, readCookie, upstreamLoginCookie } from '../endpoints/cookies.js';
import { markSignedInFor, startSession } from '../endpoints/session.js';
import { mapClaims } from './claims.js';
import { returnLocation, safeReturnTo } from './continuation.js';
import { requestOptions } from './discovery.js';
import { aadstsCode, upstreamFailure, type FailureInfo, type UpstreamFailureReason } from './failure.js';
import { federationOf } from './federation.js';
import { authorizationResponseIssuer, idTokenIssuer, isTemplated } from './issuer.js';
import { takeLoginState, type UpstreamLoginState } from './login-state.js';
import { authTimeFromClaim } from '../auth-time.js';
import { userForIdentity } from './provision.js';
import type { UpstreamIdp } from './settings.js';
import type { InteractionRecord } from '../../store/types.js';
import { errorPage } from '../pages/error.js';

/**
 * `GET <issuer>/login/callback/<idp>`: the IdP's authorization response. In order: the browser's binding (the
 * interaction cookie, or for a page the upstream-login cookie), `state` (single use, bound to it), RFC 9207 `iss`, an IdP error, the code exchange with
 * the PKCE verifier, the ID token (signature, iss, aud, exp, iat, nonce — oauth4webapi; Entra tenant rules —
 * issuer.ts; auth_time against the max_age sent), the claims → local user, then a session starting at the IdP's
 * auth_time, with the proof that it was signed in for this request, and back to where the sign-in started: the interaction,
 * which goes on to consent exactly as after a password sign-in, or the page (continuation.ts: a path of this
 * server from a fixed list, checked again here). The IdP's tokens are dropped here: never stored, never shown.
 */
export async function upstreamCallback(ctx: AsContext, req: Request, idpId: string): Promise<Response> {
  const found = federationOf(ctx).find(idpId);
  if (!found) return errorPage(ctx.settings, 404, 'Unknown identity provider', 'This sign-in option does not exist.');
  const { idp, metadata } = found;
  const fail = (reason: UpstreamFailureReason, status: number, extra: Omit<FailureInfo, 'reason' | 'status'> = {}) => upstreamFailure(ctx, idp, { reason, status, ...extra });
  const now = ctx.clock();
  const params = new URL(req.url).searchParams;

  // the browser that started the sign-in: its interaction (authorization), or its upstream-login cookie (a page)
  const bound = readCookie(req, interactionCookie(ctx.settings));
  const pageBinding = readCookie(req, upstreamLoginCookie(ctx.settings));
  const sane = (v: string | undefined): v is string => v !== undefined && v.length > 0 && v.length <= 128;
  if (!sane(bound) && !sane(pageBinding)) return fail('no_interaction', 400);
  const state = params.get('state');
  if (!state) return fail('state_missing', 400);
  // [SEC] "Confused Deputy Problem": state matched server-side, single use (taken atomically), short-lived
  const saved = await takeLoginState(ctx.keys, ctx.store, state, now);
  if (!saved) return fail('state_unknown', 400);
  if (saved.idp !== idp.id) return fail('state_mismatch', 400, { detail: `state issued for ${saved.idp}` });
  const continuation = saved.continuation;
  let interaction: InteractionRecord | null = null;
  let returnTo: string | null = null;
  if (continuation.kind === 'interaction') {
    if (!sane(bound) || continuation.interaction_id !== bound) return fail('state_mismatch', 400, { detail: 'state of another interaction' });
    interaction = await ctx.store.getInteraction(continuation.interaction_id, now);
    if (!interaction) return fail('no_interaction', 400, { detail: 'interaction expired' });
  } else {
    if (!sane(pageBinding) || !saved.browser || !constantTimeEqual(sha256(pageBinding), saved.browser)) return fail('state_mismatch', 400, { detail: 'state of another browser' });
    // checked at the start already; checked again, as it decides where the browser goes
    returnTo = safeReturnTo(ctx.settings, continuation.return_to);
    if (!returnTo) return fail('state_mismatch', 400, { detail: 'return path not allowed' });
  }

  let as: oauth.AuthorizationServer;
  try {
    as = await metadata.get();
  } catch (err) {
    return fail('discovery_failed', 502, { detail: (err as Error).message });
  }
  const client: oauth.Client = { client_id: idp.config.client_id };

  // RFC 9207 §2.4 (mix-up): an `iss` in the response must be the IdP's; Entra's template is matched per tenant
  const issCheck = authorizationResponseIssuer(idp, as.issuer, params.get('iss'), as.authorization_response_iss_parameter_supported === true);
  if (!issCheck.ok) return fail(issCheck.reason, issCheck.reason === 'iss_mismatch' ? 400 : 403, { detail: `iss=${params.get('iss') ?? '(absent)'}` });
  const responseIssuer = params.get('iss');

  let callbackParams: URLSearchParams;
  try {
    callbackParams = oauth.validateAuthResponse({ ...as, issuer: issCheck.issuer }, client, params, state);
  } catch (err) {
    if (err instanceof oauth.AuthorizationResponseError) {
      const description = err.error_description ?? null;
      const aadsts = aadstsCode(description);
      return fail('idp_error', 400, { error: err.error, ...(aadsts ? { aadsts } : {}), ...(description ? { detail: description } : {}) });
    }
    return fail('iss_mismatch', 400, { detail: (err as Error).message });
  }
  if (!callbackParams.get('code')) return fail('code_missing', 400);

  let response: Response;
  try {
    const additionalParameters = idp.config.send_resource_parameter && idp.config.resource ? { resource: idp.config.resource } : undefined;
    response = await oauth.authorizationCodeGrantRequest(as, client, await clientAuth(idp), callbackParams, idp.redirectUri, saved.code_verifier, {
      ...requestOptions(idp),
      ...(additionalParameters ? { additionalParameters } : {}),
    });
  } catch (err) {
    return fail('token_request_failed', 502, { detail: (err as Error).message });
  }

  // the issuer this ID token must carry: the metadata's, or for Entra's template, the token's own tenant's
  let expectedIssuer = as.issuer;
  let tenant: string | null = null;
  if (response.ok) {
    const unverified = await peekIdToken(response);
    const check = idTokenIssuer(idp, as.issuer, unverified ?? {});
    if (!check.ok) return fail(check.reason, check.reason === 'iss_mismatch' ? 400 : 403, { detail: `iss=${String(unverified?.iss)} tid=${String(unverified?.tid)}` });
    if (responseIssuer !== null && responseIssuer !== check.issuer) return fail('iss_mismatch', 400, { detail: 'authorization response iss differs from the ID token iss' });
    expectedIssuer = check.issuer;
    tenant = check.tenant;
  }
  const tokenAs: oauth.AuthorizationServer = { ...as, issuer: expectedIssuer };
  let claims: oauth.IDToken;
  try {
    const result = await oauth.processAuthorizationCodeResponse(tokenAs, client, response, { expectedNonce: saved.nonce, requireIdToken: true });
    // OIDC Core §3.1.3.7: the signature too, against the IdP's JWKS (not only the TLS channel)
    await oauth.validateApplicationLevelSignature(tokenAs, response, { ...requestOptions(idp), [oauth.jwksCache]: metadata.jwks });
    claims = oauth.getValidatedIdTokenClaims(result)!;
  } catch (err) {
    return fail(...classify(err));
  }

  const stale = staleAuthentication(saved, claims.auth_time, ctx.settings.config.tokens.clock_skew);
  if (stale) return fail('reauthentication_missing', 400, { issuer: expectedIssuer, detail: stale });

  const mapped = mapClaims(idp.id, idp.config, claims as Record<string, unknown>);
  if (!mapped.ok) return fail(mapped.reason, 403, { issuer: expectedIssuer });
  const m = mapped.identity;
  const provisioned = await userForIdentity(ctx.store, idp, expectedIssuer, m, now);
  if (!provisioned.ok) return fail(provisioned.reason, 403, { issuer: expectedIssuer, detail: `subject ${m.subject}` });
  const user = provisioned.user;

  if (interaction) await ctx.store.setInteractionUser(interaction.id, user.id);
  ctx.log.info({ event: 'login', method: 'upstream', idp: idp.id, user_id: user.id, provisioned: provisioned.provisioned, ...(returnTo ? { return_to: returnTo } : {}) }, 'user signed in through an upstream IdP');
  await ctx.audit.record(
    'login.upstream.success',
    {
      username: user.username,
      idp: idp.id,
      issuer: expectedIssuer,
      subject: m.subject,
      provisioned: provisioned.provisioned,
      roles: user.roles,
      ...(provisioned.roles_changed ? { roles_changed: true } : {}),
      ...(isTemplated(as.issuer) || tenant ? { tenant } : {}),
      ...(m.groups_overage ? { groups_overage: true } : {}),
      ...(returnTo ? { return_to: returnTo } : {}),
    },
    interaction ? { user_id: user.id, client_id: interaction.params.client_id } : { user_id: user.id },
  );
  const location = interaction ? `${ctx.settings.endpoints.interaction}/${interaction.id}` : returnLocation(ctx.settings, returnTo!);
  const headers = new Headers({ location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
  if (!interaction) clearCookie(headers, upstreamLoginCookie(ctx.settings), ctx.settings.secureCookies);
  // OIDC Core §2: the user authenticated when the IdP says (its single sign-on session may be older than this visit)
  const { sid } = await startSession(ctx, headers, user, authTimeFromClaim(claims.auth_time) ?? undefined);
  // signed in on this authorization request's own login page, held to its max_age upstream (prompt=login, max_age)
  if (interaction) markSignedInFor(ctx, headers, sid, interaction.id);
  return new Response(null, { status: 303, headers });
}

/**
 * OIDC Core §3.1.2.1 / §3.1.3.7 item 13: max_age was sent (the MCP client asked for a fresh or recent sign-in), so the
 * ID token MUST carry auth_time, and it must be no earlier than max_age before we sent the user there (give or take
 * tokens.clock_skew): an earlier one means the IdP answered from an older single sign-on session. Refused, with the reason
 * (else null). An IdP that leaves auth_time out (Entra unless the optional claim is configured) cannot serve
 * prompt=login or max_age: the failure page and the audit say so.
 */
export function staleAuthentication(saved: UpstreamLoginState, authTime: number | undefined, skewS: number): string | null {
  if (saved.max_age === undefined) return null;
  if (typeof authTime !== 'number') return `max_age ${saved.max_age} was sent, and the ID token has no auth_time`;
  const earliest = Math.floor(saved.created_at / 1000) - saved.max_age - skewS;
  return authTime < earliest ? `auth_time ${authTime} is older than max_age ${saved.max_age} allows (earliest ${earliest})` : null;
}

async function clientAuth(idp: UpstreamIdp): Promise<oauth.ClientAuth> {
  switch (idp.config.token_endpoint_auth_method) {
    case 'client_secret_post':
      return oauth.ClientSecretPost(idp.clientSecret!);
    case 'private_key_jwt': {
      const key = (await importJWK(idp.privateKey!.export({ format: 'jwk' }), idp.config.private_key_alg)) as CryptoKey;
      const x5t = idp.config.private_key_x5t;
      // Entra identifies the certificate by its thumbprint in the assertion header
      return oauth.PrivateKeyJwt({ key, ...(idp.config.private_key_kid ? { kid: idp.config.private_key_kid } : {}) }, x5t ? { [oauth.modifyAssertion]: (header) => void (header.x5t = x5t) } : {});
    }
    default:
      return oauth.ClientSecretBasic(idp.clientSecret!);
  }
}

/** the ID token's claims before any check — only to learn which tenant's issuer to hold it to */
async function peekIdToken(response: Response): Promise<{ iss?: unknown; tid?: unknown } | null> {
  try {
    const body = (await response.clone().json()) as { id_token?: unknown };
    if (typeof body.id_token !== 'string') return null;
    const payload = body.id_token.split('.')[1];
    return payload ? (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { iss?: unknown; tid?: unknown }) : null;
  } catch {
    return null;
  }
}

/** oauth4webapi's error → the failure reason (the message names the claim that did not match) */
function classify(err: unknown): [UpstreamFailureReason, number, Omit<FailureInfo, 'reason' | 'status'>] {
  const detail = err instanceof Error ? err.message : String(err);
  if (err instanceof oauth.ResponseBodyError) {
    const aadsts = aadstsCode(err.error_description);
    return ['idp_error', 400, { error: err.error, ...(aadsts ? { aadsts } : {}), ...(err.error_description ? { detail: err.error_description } : {}) }];
  }
  if (err instanceof oauth.OperationProcessingError) {
    if (err.code === oauth.JWT_TIMESTAMP_CHECK) return ['id_token_expired', 400, { detail }];
    if (/"nonce"/.test(detail)) return ['nonce_mismatch', 400, { detail }];
    if (/"aud"|"azp"/.test(detail)) return ['aud_mismatch', 400, { detail }];
    if (/"iss"/.test(detail)) return ['iss_mismatch', 400, { detail }];
    if (/signature/i.test(detail) || err.code === oauth.KEY_SELECTION) return ['signature_invalid', 400, { detail }];
    return ['id_token_invalid', 400, { detail }];
  }
  return ['token_request_failed', 502, { detail }];
}
