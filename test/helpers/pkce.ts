import { createHash, randomBytes } from 'node:crypto';

/** RFC 7636 §4.1–4.2: a random 43-character verifier and its S256 challenge. */
export function pkceS256(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}
