import type { AsContext } from '../../as/context.js';
import { readFormBody } from '../../as/endpoints/form.js';
import { currentSession, sessionCsrf, type SignedIn } from '../../as/endpoints/session.js';
import { Params } from '../../as/params.js';
import { constantTimeEqual } from '../../core/random.js';
import { ADMIN_ROLE, type Actor } from '../api/auth.js';

const CSRF_PURPOSE = 'admin-console';

/** who is looking at the console: nobody signed in, a signed-in user without the admin role, or an administrator */
export type ConsoleAccess =
  | { kind: 'anonymous' }
  | { kind: 'forbidden'; session: SignedIn; csrf: string }
  | { kind: 'admin'; session: SignedIn; actor: Extract<Actor, { kind: 'session' }>; csrf: string };

/**
 * The same browser session as every page (ARCHITECTURE "Pages"), read again from the store on each request, so
 * a disabled user or a removed admin role loses the console at once. The CSRF token is bound to the session.
 */
export async function consoleAccess(ctx: AsContext, req: Request): Promise<ConsoleAccess> {
  const session = await currentSession(ctx, req);
  if (!session) return { kind: 'anonymous' };
  const csrf = sessionCsrf(session, CSRF_PURPOSE);
  if (!session.user.roles.includes(ADMIN_ROLE)) return { kind: 'forbidden', session, csrf };
  return { kind: 'admin', session, csrf, actor: { kind: 'session', user: session.user, name: session.user.username, csrf } };
}

/**
 * A cross-site request is refused before its form is read (defence in depth beside the token): an `Origin` other
 * than the issuer's (`null` included, unless the browser says same-origin), or `Sec-Fetch-Site: cross-site|same-site`. Requests without either header (a
 * script with a cookie jar) rely on the CSRF token alone.
 */
export function crossSite(ctx: AsContext, req: Request): string | null {
  const origin = req.headers.get('origin');
  const site = req.headers.get('sec-fetch-site');
  // a page with `Referrer-Policy: no-referrer` (the shared login page) makes browsers send `Origin: null`; then
  // only the browser's own Sec-Fetch-Site: same-origin vouches for the request
  if (origin === 'null' && site === 'same-origin') return null;
  if (origin !== null && origin !== new URL(ctx.settings.issuer).origin) return `Origin ${origin.slice(0, 100)}`;
  if (site !== null && site !== 'same-origin' && site !== 'none') return `Sec-Fetch-Site ${site.slice(0, 20)}`;
  return null;
}

/** the form of an unsafe request, if its `csrf` field is the expected token; null otherwise (never throws) */
export async function verifiedForm(req: Request, expected: string): Promise<Params | null> {
  try {
    const form = Params.fromForm(await readFormBody(req));
    const sent = form.required('csrf', { max: 128 });
    return constantTimeEqual(sent, expected) ? form : null;
  } catch {
    return null;
  }
}
