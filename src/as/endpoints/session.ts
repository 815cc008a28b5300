import { createHmac } from 'node:crypto';
import { constantTimeEqual, randomToken, sha256 } from '../../core/random.js';
import type { UserRecord } from '../../store/types.js';
import type { AsContext } from '../context.js';
import { federationOf } from '../federation/federation.js';
import type { Params } from '../params.js';
import { verifyPassword } from '../passwords.js';
import { rateLimitsOf } from '../rate-limits/index.js';
import { clearCookie, readCookie, reauthCookie, sessionCookie, setCookie } from './cookies.js';
import { INTERACTION_TTL_MS } from './authorize/ttl.js';

/**
 * The browser session shared by every page (sign-in during authorization, "Connected apps"): a random id in a
 * `__Host-` cookie, stored only as its SHA-256 (ARCHITECTURE "Pages").
 */
export const SESSION_TTL_MS = 12 * 3600 * 1000;

export interface SignedIn {
  user: UserRecord;
  /** the session id from the cookie (secret; never logged) */
  sid: string;
  /**
   * OpenID Connect Core §2 `auth_time`, in ms: a session starts when the user signs in (password or upstream IdP), so
   * its start is when this user authenticated, however many approvals it makes later
   */
  auth_time: number;
}

/** The signed-in, enabled user of this browser, if any. */
export async function currentSession(ctx: AsContext, req: Request): Promise<SignedIn | null> {
  const sid = readCookie(req, sessionCookie(ctx.settings));
  if (!sid || sid.length > 128) return null;
  const session = await ctx.store.getSession(sha256(sid), ctx.clock());
  const user = session ? await ctx.store.getUser(session.user_id) : null;
  return session && user && !user.disabled ? { user, sid, auth_time: session.created_at } : null;
}

/** `retryAfterS`: the username is rate limited (issue 6): answer a 429 page, not the form */
export type LoginResult = { ok: true; user: UserRecord } | { ok: false; error: string; username?: string; retryAfterS?: number };

/**
 * Checks the login form fields `username` and `password`; the error text never says which one was wrong. With
 * login.password: false only the IdP signs users in: a posted password is never checked.
 */
export async function checkLogin(ctx: AsContext, form: Params): Promise<LoginResult> {
  if (!federationOf(ctx).passwordLogin) return { ok: false, error: 'Sign in with your identity provider.' };
  let username: string | undefined;
  let password: string | undefined;
  try {
    username = form.one('username', { max: 128 });
    password = form.one('password', { max: 1024 });
  } catch {
    return { ok: false, error: 'Invalid username or password.' };
  }
  if (!username || !password) return { ok: false, error: 'Enter your username and password.', ...(username ? { username } : {}) };
  // bounded online guessing (rate_limits.login.per_user, shared across instances with Redis): too many recent
  // failures for a username → refused without checking the password, so the answer says nothing about it
  const limits = rateLimitsOf(ctx);
  const wait = await limits.loginBlocked(username);
  if (wait > 0) {
    ctx.log.warn({ event: 'login_throttled', username }, 'login refused: too many failures');
    await ctx.audit.record('login.failure', { username, reason: 'throttled', method: 'password' });
    return { ok: false, error: `Too many failed attempts. Try again in ${Math.ceil(wait / 60)} minute(s).`, username, retryAfterS: wait };
  }
  const user = await ctx.store.getUserByName(username);
  // verifyPassword runs even for an unknown user, so timing does not tell which usernames exist
  const ok = await verifyPassword(user?.password_hash ?? null, password);
  if (!user || !ok || user.disabled) {
    await limits.loginFailed(username);
    ctx.log.info({ event: 'login_failed', username }, 'login failed');
    await ctx.audit.record('login.failure', { username, reason: !user ? 'unknown user' : user.disabled ? 'user disabled' : 'wrong password', method: 'password' }, user ? { user_id: user.id } : {});
    return { ok: false, error: 'Invalid username or password.', username };
  }
  ctx.log.info({ event: 'login', user_id: user.id }, 'user signed in');
  await ctx.audit.record('login.success', { username, method: 'password' }, { user_id: user.id });
  await limits.loginSucceeded(username);
  return { ok: true, user };
}

/**
 * A new session for `user`, its cookie set on `headers`. `authTime` (ms, authTimeFromClaim): when an upstream IdP
 * says the user authenticated, kept as the session's sign-in time (never later than now); absent: now.
 */
export async function startSession(ctx: AsContext, headers: Headers, user: UserRecord, authTime?: number): Promise<{ sid: string }> {
  const now = ctx.clock();
  const sid = randomToken();
  const signedIn = authTime === undefined ? now : Math.min(now, authTime);
  await ctx.store.putSession({ id_hash: sha256(sid), user_id: user.id, created_at: signedIn, expires_at: now + SESSION_TTL_MS });
  setCookie(headers, sessionCookie(ctx.settings), sid, { maxAge: SESSION_TTL_MS / 1000, secure: ctx.settings.secureCookies });
  return { sid };
}

/**
 * OIDC Core §3.1.2.1 (prompt=login, max_age): the session `sid` was signed in on the login page of the authorization
 * request `interactionId` — an HMAC under the secret session id, so it needs no storage, cannot be made without the
 * session, and proves nothing for another request or another session. Set by that sign-in, checked by
 * `signedInFor`.
 */
export function markSignedInFor(ctx: AsContext, headers: Headers, sid: string, interactionId: string): void {
  setCookie(headers, reauthCookie(ctx.settings), reauthProof(sid, interactionId), { maxAge: INTERACTION_TTL_MS / 1000, secure: ctx.settings.secureCookies });
}

export function signedInFor(ctx: AsContext, req: Request, session: SignedIn, interactionId: string): boolean {
  const proof = readCookie(req, reauthCookie(ctx.settings));
  return proof !== undefined && constantTimeEqual(proof, reauthProof(session.sid, interactionId));
}

const reauthProof = (sid: string, interactionId: string): string => createHmac('sha256', sid).update(`portcullis reauth ${interactionId}`).digest('base64url');

export async function endSession(ctx: AsContext, session: SignedIn, headers: Headers): Promise<void> {
  await ctx.store.deleteSession(sha256(session.sid));
  clearCookie(headers, sessionCookie(ctx.settings), ctx.settings.secureCookies);
}

/** A CSRF token bound to the session: derived from the secret session id, so it needs no storage. */
export const sessionCsrf = (session: SignedIn, purpose: string): string => createHmac('sha256', session.sid).update(`portcullis csrf ${purpose}`).digest('base64url');
