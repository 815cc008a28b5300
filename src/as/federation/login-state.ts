import { randomToken, sha256 } from '../../core/random.js';
import type { AuthorizationRequestSnapshot, InteractionRecord, Store } from '../../store/types.js';
import type { Continuation } from './continuation.js';

/**
 * What one redirect to an upstream IdP must find again at the callback: kept server-side, bound to the browser
 * that started it (the interaction's cookie, or for a page the upstream-login cookie), single use, expiring ([SEC] "Confused Deputy Problem": state random per request, stored
 * server-side, matched exactly, single use, short lifetime). The browser only carries `state`; the nonce and the
 * PKCE verifier never leave the server.
 *
 * Stored as a pending interaction of its own, keyed by the state's SHA-256: the interactions table already gives an
 * expiring row and an atomic take (single use across instances, in SQLite and PostgreSQL alike). A record under
 * this prefix is never a usable interaction: the browser's interaction cookie never holds such an id.
 */
export interface UpstreamLoginState {
  idp: string;
  /** where the sign-in continues: the authorization request's interaction, or a page (continuation.ts) */
  continuation: Continuation;
  /** a page continuation: SHA-256 of the browser's upstream-login cookie, the binding checked at the callback */
  browser?: string;
  nonce: string;
  code_verifier: string;
  created_at: number;
}

/** [SEC] "Confused Deputy Problem": a short lifetime (about 10 minutes) */
export const LOGIN_STATE_TTL_MS = 10 * 60_000;
const PREFIX = 'upstream-login.';

type StateSnapshot = AuthorizationRequestSnapshot & { upstream_login: UpstreamLoginState };

const keyOf = (state: string): string => `${PREFIX}${sha256(state)}`;

/** `parent`: the authorization request's interaction (interaction continuation); null for a page */
export async function putLoginState(store: Store, state: string, parent: InteractionRecord | null, rec: UpstreamLoginState): Promise<void> {
  // a page has no authorization request: the row carries the login state only
  const params = (parent ? { ...parent.params, upstream_login: rec } : { upstream_login: rec }) as StateSnapshot;
  await store.putInteraction({
    id: keyOf(state),
    params,
    csrf: randomToken(),
    user_id: null,
    created_at: rec.created_at,
    // never outlives the authorization request it belongs to
    expires_at: Math.min(parent?.expires_at ?? Infinity, rec.created_at + LOGIN_STATE_TTL_MS),
  });
}

/** Single use: the record is deleted as it is read (atomically); null when unknown, used or expired. */
export async function takeLoginState(store: Store, state: string, now: number): Promise<UpstreamLoginState | null> {
  const taken = await store.takeInteraction(keyOf(state), now);
  const rec = (taken?.params as Partial<StateSnapshot> | undefined)?.upstream_login as (UpstreamLoginState & { interaction_id?: unknown }) | undefined;
  if (!rec || typeof rec.nonce !== 'string' || typeof rec.code_verifier !== 'string') return null;
  // a state written before continuations existed (a rolling upgrade): it belongs to an interaction
  if (!rec.continuation && typeof rec.interaction_id === 'string') return { ...rec, continuation: { kind: 'interaction', interaction_id: rec.interaction_id } };
  return rec.continuation ? rec : null;
}
