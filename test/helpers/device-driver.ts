/**
 * Drives the /device page (RFC 8628 §3.3) as plain form posts with a cookie jar, using the stable field names of
 * ARCHITECTURE "Pages": `user_code`, then the login form (`username`, `password`), then the approval button
 * `decision` = approve | deny. What a script, or a user without JavaScript, does.
 */
import { CookieJar, formAction, hiddenInput, type Fetcher } from './browserless.js';

export interface DevicePage {
  status: number;
  url: string;
  html: string;
  location: string | null;
}

/** One request with the jar's cookies; never follows redirects. */
export async function devicePageRequest(fetcher: Fetcher, jar: CookieJar, url: string, form?: Record<string, string>): Promise<DevicePage> {
  const headers: Record<string, string> = { cookie: jar.header() };
  const init: RequestInit = { method: form ? 'POST' : 'GET', redirect: 'manual', headers };
  if (form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    headers.origin = new URL(url).origin;
    init.body = new URLSearchParams(form).toString();
  }
  const res = await fetcher(url, init);
  jar.take(res);
  const location = res.headers.get('location');
  return { status: res.status, url, html: await res.text(), location: location === null ? null : new URL(location, url).toString() };
}

/** GET, then follow 303s (same origin) until a page; at most `max` hops. */
export async function followToPage(fetcher: Fetcher, jar: CookieJar, first: DevicePage, max = 5): Promise<DevicePage> {
  let p = first;
  for (let i = 0; i < max && p.location; i++) p = await devicePageRequest(fetcher, jar, p.location);
  return p;
}

/** Submits the (only) form of `page` with its CSRF token plus `fields`, then follows redirects to the next page. */
export async function submit(fetcher: Fetcher, jar: CookieJar, page: DevicePage, fields: Record<string, string>): Promise<DevicePage> {
  const action = new URL(formAction(page.html), page.url).toString();
  const csrf = hiddenInput(page.html, 'csrf') ?? '';
  return followToPage(fetcher, jar, await devicePageRequest(fetcher, jar, action, { csrf, ...fields }));
}

export interface DriveDeviceOptions {
  /** typed on the entry page; default: the value prefilled from verification_uri_complete */
  user_code?: string;
  username: string;
  password: string;
  /** the approval button; 'none' stops at the approval page */
  decision: 'approve' | 'deny' | 'none';
  jar?: CookieJar;
}

export interface DriveDeviceResult {
  /** the last page reached (the done page, or the approval page with decision 'none') */
  last: DevicePage;
  /** every page seen, in order: entry, login (unless signed in), approval, done */
  pages: DevicePage[];
  jar: CookieJar;
}

/** Entry → sign-in (when there is no session in the jar) → approval → decision. Throws on an unexpected page. */
export async function driveDevice(fetcher: Fetcher, verificationUrl: string, opts: DriveDeviceOptions): Promise<DriveDeviceResult> {
  const jar = opts.jar ?? new CookieJar();
  const pages: DevicePage[] = [];
  const entry = await devicePageRequest(fetcher, jar, verificationUrl);
  pages.push(entry);
  if (entry.status !== 200 || !entry.html.includes('name="user_code"')) throw new Error(`no entry page (${entry.status}): ${entry.html.slice(0, 400)}`);
  const typed = opts.user_code ?? /name="user_code" value="([^"]*)"/.exec(entry.html)?.[1] ?? '';
  let p = await submit(fetcher, jar, entry, { user_code: typed });
  pages.push(p);
  if (p.html.includes('name="password"')) {
    p = await submit(fetcher, jar, p, { username: opts.username, password: opts.password });
    pages.push(p);
  }
  if (!p.html.includes('name="decision"')) throw new Error(`no approval page (${p.status}): ${p.html.slice(0, 600)}`);
  if (opts.decision === 'none') return { last: p, pages, jar };
  p = await submit(fetcher, jar, p, { decision: opts.decision });
  pages.push(p);
  return { last: p, pages, jar };
}
