/**
 * Drives login and consent as plain form posts with a cookie jar (what a script or test would do),
 * using the stable field names fixed in ARCHITECTURE.md "Pages".
 */
export type Fetcher = (url: string, init?: RequestInit) => Promise<Response>;

export class CookieJar {
  private cookies = new Map<string, string>();
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  take(res: Response): void {
    for (const sc of res.headers.getSetCookie()) {
      const [pair] = sc.split(';');
      const i = pair!.indexOf('=');
      const name = pair!.slice(0, i).trim();
      const value = pair!.slice(i + 1).trim();
      if (/max-age=0/i.test(sc) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

export function hiddenInput(html: string, name: string): string | undefined {
  const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  return m?.[1]?.replace(/&amp;/g, '&').replace(/&quot;/g, '"');
}

export function formAction(html: string): string {
  const m = /<form method="post" action="([^"]+)"/.exec(html);
  if (!m) throw new Error(`no form in page: ${html.slice(0, 500)}`);
  return m[1]!.replace(/&amp;/g, '&');
}

export interface DriveResult {
  /** the final Location (the client's redirect_uri with code or error) */
  location: string;
  pages: string[];
}

/**
 * Follows an authorization URL through login and consent. `decision` chooses the consent button.
 * Stops at the first redirect leaving the AS origin.
 */
export async function driveAuthorization(
  fetcher: Fetcher,
  authorizationUrl: string,
  opts: { username: string; password: string; decision?: 'approve' | 'deny'; jar?: CookieJar },
): Promise<DriveResult> {
  const jar = opts.jar ?? new CookieJar();
  const origin = new URL(authorizationUrl).origin;
  const pages: string[] = [];
  let url = authorizationUrl;
  let init: RequestInit = { method: 'GET' };
  for (let step = 0; step < 12; step++) {
    const res = await fetcher(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie: jar.header() } });
    jar.take(res);
    if (res.status === 302 || res.status === 303) {
      const loc = new URL(res.headers.get('location')!, url).toString();
      if (new URL(loc).origin !== origin) return { location: loc, pages };
      url = loc;
      init = { method: 'GET' };
      continue;
    }
    const html = await res.text();
    pages.push(html);
    if (res.status >= 400 && !html.includes('name="password"')) throw new Error(`authorization stopped with ${res.status}: ${html.slice(0, 800)}`);
    const csrf = hiddenInput(html, 'csrf');
    const action = new URL(formAction(html), url).toString();
    const body = new URLSearchParams({ csrf: csrf ?? '' });
    if (html.includes('name="password"')) {
      if (res.status === 401) throw new Error('login failed');
      body.set('username', opts.username);
      body.set('password', opts.password);
    } else {
      body.set('decision', opts.decision ?? 'approve');
    }
    url = action;
    init = { method: 'POST', body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', origin } };
  }
  throw new Error('too many steps');
}
