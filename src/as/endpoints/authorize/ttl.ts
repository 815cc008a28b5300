/** how long an authorization request waits for its sign-in and consent (its interaction row, cookie and proofs) */
export const INTERACTION_TTL_MS = 10 * 60 * 1000;
