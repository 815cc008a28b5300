import { randomInt } from 'node:crypto';
import { sha256 } from '../../../core/random.js';

/**
 * RFC 8628 §6.1: a base-20 alphabet without vowels (no words spelled by accident) and without look-alikes
 * (0/O, 1/I/L, 5/S…); 8 characters give 20^8 ≈ 2^34.6 codes, enough with the rate limit on entry (§5.1).
 */
export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
const USER_CODE_LENGTH = 8;

/** a new user code, normalized (as stored): 8 characters of the alphabet, uniformly drawn */
export function newUserCode(): string {
  let code = '';
  for (let i = 0; i < USER_CODE_LENGTH; i++) code += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)];
  return code;
}

/** RFC 8628 §6.1: shown as XXXX-XXXX so it is easy to read and type */
export const formatUserCode = (code: string): string => `${code.slice(0, 4)}-${code.slice(4)}`;

/**
 * What the user typed → the stored form, or null when it cannot be a user code. RFC 8628 §6.1: compared
 * case-insensitively, with dashes and spaces ignored.
 */
export function normalizeUserCode(input: string): string | null {
  const code = input.toUpperCase().replace(/[\s-]/g, '');
  if (code.length !== USER_CODE_LENGTH) return null;
  for (const c of code) if (!USER_CODE_ALPHABET.includes(c)) return null;
  return code;
}

/**
 * The stored key of a device_code: its SHA-256 together with the client it was issued to. A poll by any other
 * client therefore finds nothing and changes nothing (RFC 6749 §5.2 invalid_grant: "issued to another client"),
 * in the same atomic store call that consumes the code.
 */
export const deviceCodeHash = (client_id: string, device_code: string): string => sha256(JSON.stringify([client_id, device_code]));
