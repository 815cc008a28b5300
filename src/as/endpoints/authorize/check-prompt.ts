import { controlDisabled } from '../../../core/controls.js';
import { OAuthError } from '../../../core/errors.js';

/** OpenID Connect Core §3.1.2.1 `prompt` values this server honours (OIDC Core §15.1: every OP supports none and login) */
export const PROMPT_VALUES = ['none', 'login', 'consent', 'select_account'] as const;
export type Prompt = (typeof PROMPT_VALUES)[number];

/** the largest max_age accepted (a year): larger values mean "any session", and stay safe integers in ms */
const MAX_AGE_LIMIT_S = 366 * 86400;

/**
 * `prompt` and `max_age` of an authorization request (OIDC Core §3.1.2.1), checked before anything is stored:
 * a space-delimited set of known values, `none` alone; max_age a non-negative integer of seconds. Returns only what
 * was given, so a request without them stores nothing more. Errors are invalid_request, sent back to the client.
 */
export function checkPrompt(prompt: string | undefined, maxAge: string | undefined): { prompt?: Prompt[]; max_age?: number } {
  const out: { prompt?: Prompt[]; max_age?: number } = {};
  if (prompt !== undefined) {
    const values = [...new Set(prompt.split(' ').filter((v) => v !== ''))];
    const unknown = values.find((v) => !(PROMPT_VALUES as readonly string[]).includes(v));
    if (unknown !== undefined) throw new OAuthError('invalid_request', `unsupported prompt value: ${unknown.slice(0, 32)}`);
    // OIDC Core §3.1.2.1: "If this parameter contains none with any other value, an error is returned"
    if (values.includes('none') && values.length > 1) throw new OAuthError('invalid_request', 'prompt=none cannot be combined with other values');
    if (values.length > 0) out.prompt = values as Prompt[];
  }
  if (maxAge !== undefined) {
    if (!/^\d{1,9}$/.test(maxAge)) throw new OAuthError('invalid_request', 'max_age must be a non-negative integer (seconds)');
    out.max_age = Math.min(Number(maxAge), MAX_AGE_LIMIT_S);
  }
  return out;
}

/** what an interaction asks of the browser session, from the request's prompt and max_age */
export interface SessionDemand {
  prompt?: readonly Prompt[] | undefined;
  max_age?: number | undefined;
}

/** past max_age, for a sign-in made on the request's own page: the time the user then spends on the consent page */
const MAX_AGE_TOLERANCE_MS = 30_000;

/**
 * Must the user authenticate again for this request? OIDC Core §3.1.2.1: `login` / `select_account` ask for a sign-in
 * made for this request (the login form, where another account can be chosen); `max_age` for one at most that many
 * seconds old (`max_age=0` is `prompt=login`), which the code's auth_time must still meet when it is issued (§3.1.3.7
 * item 13: the client checks it), give or take MAX_AGE_TOLERANCE_MS for a sign-in made here. `signedInHere`: this
 * browser's session comes from a sign-in made on this request's own login page (password, or its upstream IdP held
 * to max_age) — a session started anywhere else (another tab, the account page's IdP button, which a single sign-on
 * session at the IdP answers without a password) does not count, however new.
 */
export function reauthenticationNeeded(demand: SessionDemand, authTime: number, now: number, signedInHere: boolean): boolean {
  if (controlDisabled('authz.reauthentication')) return false;
  if (!signedInHere && demand.prompt?.some((p) => p === 'login' || p === 'select_account')) return true;
  if (demand.max_age === undefined) return false;
  return now - authTime > demand.max_age * 1000 + (signedInHere ? MAX_AGE_TOLERANCE_MS : 0);
}
