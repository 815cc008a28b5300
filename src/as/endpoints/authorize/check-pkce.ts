import { controlDisabled } from '../../../core/controls.js';
import { OAuthError } from '../../../core/errors.js';

/** RFC 7636 §4.2: S256 challenge = BASE64URL(SHA256(verifier)) = 43 characters. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/**
 * OAuth 2.1 §4.1.1: code_challenge is required; S256 is the only method we accept (plain refused, and an
 * absent method means plain per RFC 7636 §4.3).
 */
export function checkPkce(challenge: string | undefined, method: string | undefined): { code_challenge: string; code_challenge_method: 'S256' } {
  if (controlDisabled('authz.pkce-required')) return { code_challenge: challenge ?? '', code_challenge_method: 'S256' };
  if (challenge === undefined) throw new OAuthError('invalid_request', 'code_challenge is required (PKCE)');
  if (method !== 'S256') throw new OAuthError('invalid_request', 'code_challenge_method must be S256');
  if (!S256_CHALLENGE.test(challenge)) throw new OAuthError('invalid_request', 'code_challenge is malformed');
  return { code_challenge: challenge, code_challenge_method: 'S256' };
}
