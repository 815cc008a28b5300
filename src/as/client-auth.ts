import { controlDisabled } from '../core/controls.js';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { OAuthError } from '../core/errors.js';
import { constantTimeEqual, sha256 } from '../core/random.js';
import { epochSeconds } from '../core/time.js';
import type { OAuthClient, TokenEndpointAuthMethod } from './clients/types.js';
import { ClientResolutionError } from './clients/types.js';
import { CLIENT_ASSERTION_ALGS, type AsContext } from './context.js';
import type { Params } from './params.js';

export type JwksFetcher = (client: OAuthClient) => Promise<JSONWebKeySet>;

export interface AuthenticatedClient {
  client: OAuthClient;
  method: TokenEndpointAuthMethod;
  /** the client tried HTTP Basic: an invalid_client answer carries WWW-Authenticate (RFC 6749 §5.2) */
  usedBasic: boolean;
}

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** longest client assertion lifetime we accept (exp - iat), seconds */
const MAX_ASSERTION_LIFETIME = 300;

/** invalid_client with the wire kept generic and the reason kept for logs */
const invalidClient = (internal: string): OAuthError => new OAuthError('invalid_client', 'client authentication failed', internal);

/**
 * Client authentication at the token endpoint (OAuth 2.1 §2.4): none, client_secret_basic,
 * client_secret_post, private_key_jwt (RFC 7523 §2.2). Exactly one method per request.
 */
export async function authenticateClient(ctx: AsContext, req: Request, params: Params): Promise<AuthenticatedClient> {
  const basic = parseBasic(req.headers.get('authorization'));
  const usedBasic = basic !== null;
  const bodyId = params.one('client_id', { max: 2048 });
  const bodySecret = params.one('client_secret', { max: 512 });
  const assertionType = params.one('client_assertion_type', { max: 256 });
  const assertion = params.one('client_assertion', { max: 16384 });

  // OAuth 2.1 §2.4: a client MUST NOT use more than one authentication method per request.
  const methods = [basic !== null, bodySecret !== undefined, assertion !== undefined || assertionType !== undefined].filter(Boolean);
  if (methods.length > 1 && !controlDisabled('token.single-auth-method')) throw new OAuthError('invalid_request', 'use exactly one client authentication method');

  let method: TokenEndpointAuthMethod;
  let clientId: string | undefined;
  if (basic) {
    method = 'client_secret_basic';
    clientId = basic.id;
  } else if (bodySecret !== undefined) {
    method = 'client_secret_post';
    clientId = bodyId;
  } else if (assertion !== undefined || assertionType !== undefined) {
    method = 'private_key_jwt';
    if (assertionType !== ASSERTION_TYPE) throw new OAuthError('invalid_request', `client_assertion_type must be ${ASSERTION_TYPE}`);
    if (assertion === undefined) throw new OAuthError('invalid_request', 'client_assertion is required');
    clientId = bodyId ?? assertionSubject(assertion);
  } else {
    method = 'none';
    clientId = bodyId;
  }
  if (!clientId) throw new OAuthError('invalid_request', 'client_id is required');
  if (bodyId !== undefined && bodyId !== clientId) throw new OAuthError('invalid_request', 'client_id does not match the authenticated client');

  let client: OAuthClient;
  try {
    client = await ctx.clients.resolve(clientId);
  } catch (e) {
    if (e instanceof ClientResolutionError) throw invalidClient(e.message);
    throw e;
  }
  if (client.token_endpoint_auth_method !== method) {
    throw invalidClient(`client registered ${client.token_endpoint_auth_method}, used ${method}`);
  }
  switch (method) {
    case 'none':
      break;
    case 'client_secret_basic':
    case 'client_secret_post': {
      const secret = basic ? basic.secret : bodySecret!;
      if (!controlDisabled('token.client-secret') && (!client.client_secret_hash || !constantTimeEqual(sha256(secret), client.client_secret_hash))) {
        throw invalidClient('wrong client secret');
      }
      break;
    }
    case 'private_key_jwt':
      await verifyClientAssertion(ctx, client, assertion!);
      break;
  }
  return { client, method, usedBasic };
}

/** RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic encoding. */
function parseBasic(header: string | null): { id: string; secret: string } | null {
  if (!header) return null;
  const m = /^Basic\s+([A-Za-z0-9+/=._~-]+)\s*$/i.exec(header);
  if (!m) {
    if (/^Basic\b/i.test(header)) throw new OAuthError('invalid_request', 'malformed Basic authorization header');
    return null; // another scheme (e.g. Bearer) is not client authentication
  }
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) throw new OAuthError('invalid_request', 'malformed Basic credentials');
  try {
    return { id: decodeURIComponent(decoded.slice(0, i).replace(/\+/g, ' ')), secret: decodeURIComponent(decoded.slice(i + 1).replace(/\+/g, ' ')) };
  } catch {
    throw new OAuthError('invalid_request', 'malformed Basic credentials');
  }
}

function assertionSubject(assertion: string): string | undefined {
  try {
    const payload = JSON.parse(Buffer.from(assertion.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub?: unknown };
    return typeof payload.sub === 'string' ? payload.sub : undefined;
  } catch {
    throw new OAuthError('invalid_client', 'client authentication failed', 'client_assertion is not a JWT');
  }
}

/** RFC 7515 §4.1.9: typ is a media type, compared case-insensitively, "application/" optional */
function isClientAssertionTyp(typ: string | undefined): boolean {
  if (typ === undefined) return true;
  const t = typ.toLowerCase().replace(/^application\//, '');
  return t === 'jwt' || t === 'client-authentication+jwt';
}

/** RFC 7523 §3: iss = sub = client_id, aud = this AS, exp required, jti single-use; signed with the client's key. */
async function verifyClientAssertion(ctx: AsContext, client: OAuthClient, assertion: string): Promise<void> {
  let alg: string | undefined;
  let typ: string | undefined;
  try {
    ({ alg, typ } = decodeProtectedHeader(assertion));
  } catch {
    throw invalidClient('client_assertion header is not decodable');
  }
  // issue 4 / spec-checklist §4.8: client assertions are told apart from ID-JAGs (and access or other typed tokens)
  // by typ: none, JWT, or draft-ietf-oauth-rfc7523bis' client-authentication+jwt; an oauth-id-jag+jwt is refused
  if (!isClientAssertionTyp(typ)) throw invalidClient(`client_assertion typ ${typ} is not a client assertion`);
  if (!alg || !(CLIENT_ASSERTION_ALGS as readonly string[]).includes(alg)) throw invalidClient(`client_assertion alg ${alg} not allowed`);
  let jwks: JSONWebKeySet;
  try {
    jwks = client.jwks ?? (await ctx.fetchJwks(client));
  } catch (e) {
    throw invalidClient(`client jwks unavailable: ${(e as Error).message}`);
  }
  const { settings } = ctx;
  let payload;
  try {
    ({ payload } = await jwtVerify(assertion, createLocalJWKSet(jwks), {
      algorithms: [...CLIENT_ASSERTION_ALGS],
      issuer: client.client_id,
      subject: client.client_id,
      // draft-ietf-oauth-rfc7523bis: the issuer identifier; the URL of the endpoint called is accepted for older clients.
      audience: controlDisabled('token.assertion-aud') ? undefined : [settings.issuer, settings.endpoints.token, settings.endpoints.revocation, settings.endpoints.introspection],
      currentDate: new Date(ctx.clock()),
      clockTolerance: settings.config.tokens.clock_skew,
      requiredClaims: ['exp', 'jti'],
    }));
  } catch (e) {
    throw invalidClient(`client_assertion rejected: ${(e as Error).message}`);
  }
  const now = epochSeconds(ctx.clock);
  const exp = payload.exp!;
  // RFC 7523 §3: an exp unreasonably far in the future MAY be refused; measured from now too, so a future iat cannot hide it.
  if (exp - (payload.iat ?? now) > MAX_ASSERTION_LIFETIME || exp - now > MAX_ASSERTION_LIFETIME + settings.config.tokens.clock_skew) {
    throw invalidClient('client_assertion lifetime too long');
  }
  const fresh = await ctx.store.useJti(`client:${client.client_id}`, String(payload.jti), (exp + settings.config.tokens.clock_skew) * 1000, ctx.clock());
  if (!fresh && !controlDisabled('token.assertion-jti')) throw invalidClient('client_assertion jti replayed');
}
