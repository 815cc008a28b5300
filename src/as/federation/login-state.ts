import { randomToken, sha256 } from '../../core/random.js';
import type { AuthorizationRequestSnapshot, InteractionRecord, Store } from '../../store/types.js';
import type { KeyRing } from '../keys.js';
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
 * The record is sealed (AES-256-GCM) under a key derived from the master secret and the state, which the store
 * never holds: someone reading the store, a backup or a replica — even with an intercepted callback (code and state)
 * — learns neither the nonce nor the PKCE verifier (RFC 7636 §1), and cannot alter the IdP, continuation, browser
 * binding or max_age of a row without the box failing to open.
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
  /** OIDC Core §3.1.2.1 max_age sent upstream (the MCP client's prompt=login / max_age): the ID token's auth_time is held to it */
  max_age?: number;
}

/** [SEC] "Confused Deputy Problem": a short lifetime (about 10 minutes) */
export const LOGIN_STATE_TTL_MS = 10 * 60_000;
const PREFIX = 'upstream-login.';

type StateSnapshot = AuthorizationRequestSnapshot & { upstream_login: UpstreamLoginState };

const keyOf = (state: string): string => `${PREFIX}${sha256(state)}`;
const sealPurpose = (state: string): string => `upstream-login:${state}`;

/** what the sealing needs of the key ring */
export type LoginStateSealer = Pick<KeyRing, 'sealAtRest' | 'openAtRest'>;

/** `parent`: the authorization request's interaction (interaction continuation); null for a page */
export async function putLoginState(keys: LoginStateSealer, store: Store, state: string, parent: InteractionRecord | null, rec: UpstreamLoginState): Promise<void> {
  const stored = { sealed: keys.sealAtRest(sealPurpose(state), JSON.stringify(rec)) };
  // a page has no authorization request: the row carries the login state only
  const params = (parent ? { ...parent.params, upstream_login: stored } : { upstream_login: stored }) as unknown as StateSnapshot;
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

/** Single use: the record is deleted as it is read (atomically); null when unknown, used, expired or not opening. */
export async function takeLoginState(keys: LoginStateSealer, store: Store, state: string, now: number): Promise<UpstreamLoginState | null> {
  const taken = await store.takeInteraction(keyOf(state), now);
  const row = (taken?.params as Partial<StateSnapshot> | undefined)?.upstream_login as (Partial<UpstreamLoginState> & { sealed?: unknown; interaction_id?: unknown }) | undefined;
  if (!row) return null;
  // a row without a sealed part was written by a version before sealing (its rows expire within 10 minutes)
  const rec = (typeof row.sealed === 'string' ? unseal(keys, state, row.sealed) : row) as (UpstreamLoginState & { interaction_id?: unknown }) | null;
  if (!rec || typeof rec.idp !== 'string' || typeof rec.nonce !== 'string' || typeof rec.code_verifier !== 'string') return null;
  // a state written before continuations existed (a rolling upgrade): it belongs to an interaction
  if (!rec.continuation && typeof rec.interaction_id === 'string') return { ...rec, continuation: { kind: 'interaction', interaction_id: rec.interaction_id } };
  return rec.continuation ? rec : null;
}

/** the sealed record; null when it does not open under this state and the master secret */
function unseal(keys: LoginStateSealer, state: string, sealed: string): unknown {
  try {
    return JSON.parse(keys.openAtRest(sealPurpose(state), sealed)) as unknown;
  } catch {
    return null;
  }
}
