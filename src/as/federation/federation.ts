import type { AsContext } from '../context.js';
import { IdpMetadata } from './discovery.js';
import { resolveUpstreamIdps, type FederationEnv, type UpstreamIdp } from './settings.js';

/**
 * Issue 4 item 3: sign-in through upstream OpenID Providers (src/as/federation/*). One configured static client
 * per IdP; MCP clients keep registering with Portcullis by CIMD and never see the IdP's tokens.
 */
export interface Federation {
  idps: UpstreamIdp[];
  /** the local username/password form is offered (login.password) */
  passwordLogin: boolean;
  find(id: string): { idp: UpstreamIdp; metadata: IdpMetadata } | undefined;
}

export function createFederation(ctx: Pick<AsContext, 'settings' | 'clock'>, o: FederationEnv = {}): Federation {
  // a config built by hand (embedding, older tests) may lack the section: then password login only
  const login = ctx.settings.config.login ?? { password: true, upstream_idps: [] };
  const idps = resolveUpstreamIdps(login.upstream_idps, { issuer: ctx.settings.issuer, dev: ctx.settings.dev, ...o });
  const byId = new Map(idps.map((idp) => [idp.id, { idp, metadata: new IdpMetadata(idp, ctx.clock) }]));
  return { idps, passwordLogin: login.password, find: (id) => byId.get(id) };
}

const built = new WeakMap<object, Federation>();

/**
 * The federation of this context, built once (like rateLimitsOf): createApp calls it at start-up, so a bad
 * `login` section fails there with a ConfigError naming the option. Secrets come from process.env.
 */
export function federationOf(ctx: Pick<AsContext, 'settings' | 'clock'>): Federation {
  let f = built.get(ctx);
  if (!f) built.set(ctx, (f = createFederation(ctx)));
  return f;
}

type SignInButton = { name: string; href: string };

/** one "Sign in with …" link per configured IdP, in configuration order */
const buttons = (ctx: AsContext, href: (idpId: string) => string): SignInButton[] => federationOf(ctx).idps.map((idp) => ({ name: idp.displayName, href: href(idp.id) }));

/** the login page's "Sign in with …" links of one interaction */
export function upstreamButtons(ctx: AsContext, interactionId: string, csrf: string): SignInButton[] {
  return buttons(ctx, (id) => `${ctx.settings.endpoints.interaction}/${interactionId}/upstream/${id}?csrf=${encodeURIComponent(csrf)}`);
}

/**
 * The "Sign in with …" links of a page's login form (Connected apps, admin console, device approval): back to
 * `returnTo` (a path of continuation.ts's allow-list) after the IdP; `csrf` is the browser's login CSRF cookie.
 */
export function pageUpstreamButtons(ctx: AsContext, returnTo: string, csrf: string): SignInButton[] {
  return buttons(ctx, (id) => `${ctx.settings.issuer}/login/upstream/${id}?${new URLSearchParams({ return_to: returnTo, csrf })}`);
}
