import { controlDisabled } from '../../core/controls.js';
import { compactVerify, decodeJwt, decodeProtectedHeader, errors as joseErrors } from 'jose';
import { IDJAG_ALGORITHMS } from '../../config/enterprise-schema.js';
import type { ProtectedResource, Settings } from '../../config/resolve.js';
import { isAbsoluteUriWithoutFragment, normalizeSchemeAndHost } from '../../core/urls.js';
import type { AuthenticatedClient } from '../client-auth.js';
import { isOwnIssuer } from './config.js';
import { IDJAG_TYP } from './constants.js';
import type { TrustedIssuer } from './keys.js';

/**
 * Why an ID-JAG was refused: the tagged reason goes to the log and the audit (`idjag.rejected`), the wire sees only
 * the generic OAuth error (ARCHITECTURE "Two error channels").
 */
export type IdJagReason =
  | 'malformed'
  | 'typ'
  | 'alg'
  | 'own_issuer'
  | 'untrusted_issuer'
  | 'signature'
  | 'keys_unavailable'
  | 'aud'
  | 'expired'
  | 'iat_future'
  | 'nbf'
  | 'lifetime'
  | 'missing_claim'
  | 'client_mismatch'
  | 'client_not_allowed'
  | 'public_client'
  | 'missing_sub'
  | 'resource_missing'
  | 'resource_unknown'
  | 'resource_not_allowed'
  | 'scope_unknown'
  | 'scope_policy'
  | 'replay'
  | 'user_unknown'
  | 'user_disabled';

export class IdJagRejected extends Error {
  constructor(
    readonly reason: IdJagReason,
    readonly detail: string,
    /** what is known of the assertion when it was refused (never the assertion itself) */
    readonly claims: { iss?: string; jti?: string; sub?: string } = {},
  ) {
    super(`${reason}: ${detail}`);
    this.name = 'IdJagRejected';
  }
}

/** An ID-JAG that passed every stateless check of spec-checklist §4.5 (steps 3–12 without the store). */
export interface VerifiedIdJag {
  issuer: TrustedIssuer;
  iss: string;
  sub: string;
  jti: string;
  exp: number;
  client_id: string;
  resource: ProtectedResource;
  /** the ID-JAG `scope`, every value registered for `resource`; undefined when the claim is absent */
  scope: string[] | undefined;
  email: string | undefined;
  /** the ID-JAG `email_verified` when it is a boolean */
  email_verified: boolean | undefined;
  tenant: string | undefined;
  auth_time: number | undefined;
}

export interface VerifyInput {
  assertion: string;
  auth: AuthenticatedClient;
  settings: Settings;
  issuers: ReadonlyMap<string, TrustedIssuer>;
  /** epoch seconds */
  now: number;
}

/** what a failed compactVerify means: a bad signature or unknown kid, or keys that could not be had */
function verifyFailure(e: unknown, iss: string): [IdJagReason, string] {
  const message = e instanceof Error ? e.message : String(e);
  if (e instanceof joseErrors.JWSSignatureVerificationFailed || e instanceof joseErrors.JWKSNoMatchingKey || e instanceof joseErrors.JWKSMultipleMatchingKeys) return ['signature', message];
  if (e instanceof joseErrors.JOSEAlgNotAllowed) return ['alg', message];
  if (e instanceof joseErrors.JWSInvalid || e instanceof joseErrors.JOSENotSupported) return ['malformed', message];
  // a timeout, a non-200 answer, an invalid key set, or a network error (not a JOSEError at all)
  return ['keys_unavailable', `keys of ${iss}: ${message}`];
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/**
 * Validates an ID-JAG in the order of spec-checklist §4.5 ([EMA] §5.1, §7.4, §7.6; [IDJAG] §4.4.1; RFC 7521 §5.2;
 * RFC 7523 §3). Step 1 (client authentication) and step 2 (grant_type, assertion present) were done by the caller;
 * step 8 (jti single use) needs the store and is done by the caller after every stateless check, so that a refused
 * request writes nothing. Throws IdJagRejected.
 */
export async function verifyIdJag({ assertion, auth, settings, issuers, now }: VerifyInput): Promise<VerifiedIdJag> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  let unverified: ReturnType<typeof decodeJwt>;
  try {
    header = decodeProtectedHeader(assertion);
    unverified = decodeJwt(assertion);
  } catch {
    throw new IdJagRejected('malformed', 'assertion is not a signed JWT');
  }
  const seen = { ...(str(unverified.iss) ? { iss: unverified.iss! } : {}), ...(str(unverified.jti) ? { jti: unverified.jti! } : {}) };
  const reject = (reason: IdJagReason, detail: string): IdJagRejected => new IdJagRejected(reason, detail, seen);

  // step 3 — [IDJAG] §3.1: typ exactly oauth-id-jag+jwt; keeps ID tokens, access tokens and client assertions out
  if (!controlDisabled('idjag.typ') && header.typ !== IDJAG_TYP) throw reject('typ', `typ ${JSON.stringify(header.typ ?? null)} is not ${IDJAG_TYP}`);
  // step 4 — [EMA] §7.4.1: an explicit allow-list, never none, never a shared-secret HS* alg
  if (typeof header.alg !== 'string' || !(IDJAG_ALGORITHMS as readonly string[]).includes(header.alg)) throw reject('alg', `alg ${String(header.alg)} not allowed`);
  // step 5 — iss a configured IdP, and never this server itself
  const iss = str(unverified.iss);
  if (!iss) throw reject('untrusted_issuer', 'no iss');
  if (isOwnIssuer(iss, settings.issuer)) throw reject('own_issuer', 'an ID-JAG this server issued is never accepted here');
  const issuer = issuers.get(iss);
  if (!issuer) throw reject('untrusted_issuer', `issuer ${iss} is not trusted`);
  if (!(issuer.config.algorithms as readonly string[]).includes(header.alg)) throw reject('alg', `alg ${header.alg} not allowed for ${iss}`);
  // step 5 — the JWS verified with that IdP's keys only
  let signed: Uint8Array;
  try {
    signed = (await compactVerify(assertion, issuer.getKey, { algorithms: [...issuer.config.algorithms] })).payload;
  } catch (e) {
    throw reject(...verifyFailure(e, iss));
  }
  // the same bytes decodeJwt read (it succeeded above), now known to be signed by the IdP
  const payload = JSON.parse(new TextDecoder().decode(signed)) as Record<string, unknown>;
  if (payload.iss !== iss) throw reject('malformed', 'iss changed between decoding and verification');

  // step 6 — [IDJAG] §4.4.1: aud is this server's issuer exactly, a string or a one-element array
  const aud = payload.aud;
  const audOk = aud === settings.issuer || (Array.isArray(aud) && aud.length === 1 && aud[0] === settings.issuer);
  if (!audOk && !controlDisabled('idjag.aud')) throw reject('aud', `aud ${JSON.stringify(aud)} is not ${settings.issuer}`);

  // step 7 — [EMA] §7.4.2: short-lived, inside its window with minimal skew; iat not in the future
  const skew = settings.config.tokens.clock_skew;
  const exp = num(payload.exp);
  const iat = num(payload.iat);
  if (exp === undefined || iat === undefined) throw reject('missing_claim', 'exp and iat are required');
  if (exp + skew <= now && !controlDisabled('idjag.time')) throw reject('expired', `expired at ${exp}`);
  if (iat > now + skew && !controlDisabled('idjag.time')) throw reject('iat_future', `issued in the future (${iat})`);
  const nbf = payload.nbf;
  if (nbf !== undefined && (num(nbf) === undefined || num(nbf)! > now + skew)) throw reject('nbf', `not before ${String(nbf)}`);
  const cap = issuer.config.max_lifetime_s;
  if ((exp - iat > cap || exp - now > cap + skew) && !controlDisabled('idjag.time')) throw reject('lifetime', `lifetime over ${cap} s`);
  // step 8 needs a jti (the caller consumes it): [EMA] §7.4.2 makes replay detection REQUIRED
  const jti = str(payload.jti);
  if (!jti || jti.length > 256) throw reject('missing_claim', 'jti is required (at most 256 characters)');

  // step 9 — the client_id claim names the authenticated client; the IdP may speak for it; public clients by policy
  const client_id = str(payload.client_id);
  if (!client_id) throw reject('missing_claim', 'client_id is required');
  if (client_id !== auth.client.client_id && !controlDisabled('idjag.client-binding')) throw reject('client_mismatch', `client_id ${client_id} is not the authenticated client ${auth.client.client_id}`);
  if (!issuer.config.clients.includes(client_id)) throw reject('client_not_allowed', `${iss} may not speak for ${client_id}`);
  // [IDJAG] §8.1 wants confidential clients; [EMA] §5 allows CIMD public clients: a per-IdP knob
  if (auth.method === 'none' && !issuer.config.allow_public_clients) throw reject('public_client', `${iss} does not allow public clients`);

  // step 10 — the subject
  const sub = str(payload.sub);
  if (!sub || sub.length > 1024) throw reject('missing_sub', 'sub is required');

  // step 11 — [EMA] §7.6.2: resource MUST be one of ours; required here (spec-checklist §4.8), one value
  const rawResource = payload.resource;
  if (rawResource === undefined) throw reject('resource_missing', 'resource is required');
  const value = typeof rawResource === 'string' ? rawResource : Array.isArray(rawResource) && rawResource.length === 1 && typeof rawResource[0] === 'string' ? rawResource[0] : undefined;
  if (value === undefined) throw reject('resource_unknown', 'resource must be one URI (one audience per token)');
  const resource = isAbsoluteUriWithoutFragment(value) ? settings.resources.find((r) => r.id === normalizeSchemeAndHost(value)) : undefined;
  if (!resource) throw reject('resource_unknown', `resource ${value} is not served here`);

  // step 12 — [EMA] §7.6.2: the scope claim SHOULD match the scopes registered for that resource; invalid_grant otherwise
  let scope: string[] | undefined;
  if (payload.scope !== undefined) {
    if (typeof payload.scope !== 'string') throw reject('scope_unknown', 'scope must be a space-delimited string');
    scope = [...new Set(payload.scope.split(' ').filter((s) => s !== ''))];
    const unknown = scope.filter((s) => !resource.scopes.includes(s));
    if (unknown.length > 0) throw reject('scope_unknown', `scope not registered for ${resource.id}: ${unknown.join(' ')}`);
  }
  const email = str(payload.email);
  const tenant = str(payload.tenant);
  const email_verified = typeof payload.email_verified === 'boolean' ? payload.email_verified : undefined;
  return { issuer, iss, sub, jti, exp, client_id, resource, scope, email, email_verified, tenant, auth_time: num(payload.auth_time) };
}
