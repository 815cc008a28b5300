import { randomToken, sha256 } from '../../core/random.js';
import type { AuthorizationRequestSnapshot, InteractionRecord, Store } from '../../store/types.js';

/**
 * What one redirect to an upstream IdP must find again at the callback: kept server-side, bound to the interaction
 * that started it, single use, expiring ([SEC] "Confused Deputy Problem": state random per request, stored
 * server-side, matched exactly, single use, short lifetime). The browser only carries `state`; the nonce and the
 * PKCE verifier never leave the server.
 *
 * Stored as a pending interaction of its own, keyed by the state's SHA-256: the interactions table already gives an
 * expiring row and an atomic take (single use across instances, in SQLite and PostgreSQL alike). A record under
 * this prefix is never a usable interaction: the browser's interaction cookie never holds such an id.
 */
export interface UpstreamLoginState {
  idp: string;
  /** the authorization request's interaction this sign-in belongs to */
  interaction_id: string;
  nonce: string;
  code_verifier: string;
  created_at: number;
}

/** [SEC] "Confused Deputy Problem": a short lifetime (about 10 minutes) */
export const LOGIN_STATE_TTL_MS = 10 * 60_000;
const PREFIX = 'upstream-login.';

type StateSnapshot = AuthorizationRequestSnapshot & { upstream_login: UpstreamLoginState };

const keyOf = (state: string): string => `${PREFIX}${sha256(state)}`;

export async function putLoginState(store: Store, state: string, parent: InteractionRecord, rec: UpstreamLoginState): Promise<void> {
  const params: StateSnapshot = { ...parent.params, upstream_login: rec };
  await store.putInteraction({
    id: keyOf(state),
    params,
    csrf: randomToken(),
    user_id: null,
    created_at: rec.created_at,
    // never outlives the authorization request it belongs to
    expires_at: Math.min(parent.expires_at, rec.created_at + LOGIN_STATE_TTL_MS),
  });
}

/** Single use: the record is deleted as it is read (atomically); null when unknown, used or expired. */
export async function takeLoginState(store: Store, state: string, now: number): Promise<UpstreamLoginState | null> {
  const taken = await store.takeInteraction(keyOf(state), now);
  const rec = (taken?.params as Partial<StateSnapshot> | undefined)?.upstream_login;
  return rec && typeof rec.nonce === 'string' && typeof rec.code_verifier === 'string' ? rec : null;
}
