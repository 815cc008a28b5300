/**
 * Security control switches — for the mutation run only (issue 10 item 4: "each case is shown to bite").
 *
 * Every security check that the attack suite (test/attacks/) proves is guarded by `controlDisabled('<name>')`.
 * In this file — the one that is built into dist/ and shipped — the answer is the constant `false`: no
 * environment variable, no configuration and no request can turn a control off. Only the mutation run
 * (scripts/mutation-run.mjs) loads test/mutation/register.mjs, whose resolve hook replaces this module with
 * test/mutation/controls.ts, which disables the one control named by PORTCULLIS_MUTATE; the attack cases tagged
 * `[bites: <name>]` must then fail. test/mutation/production-build.test.ts holds the production build to this.
 */
export type ControlName =
  // /authorize and the login/consent pages
  | 'authz.pkce-required'
  | 'authz.redirect-uri-exact'
  | 'authz.iss-in-response'
  | 'authz.csrf'
  | 'authz.frame-ancestors'
  | 'authz.interaction-binding'
  | 'authz.prompt-none'
  | 'authz.reauthentication'
  // /token
  | 'token.code-single-use'
  | 'token.code-client-binding'
  | 'token.pkce-verifier'
  | 'token.resource-binding'
  | 'token.refresh-reuse'
  | 'token.refresh-client-binding'
  | 'token.assertion-jti'
  | 'token.assertion-aud'
  | 'token.redirect-uri-binding'
  | 'token.refresh-scope'
  | 'token.client-secret'
  | 'token.single-auth-method'
  // access-token verification at the gateway (src/rs/verify.ts, fast-verify.ts)
  | 'rs.alg'
  | 'rs.signature'
  | 'rs.typ'
  | 'rs.iss'
  | 'rs.aud'
  | 'rs.time'
  // CIMD and the safe fetch
  | 'cimd.url-grammar'
  | 'cimd.address-blocking'
  | 'cimd.size-cap'
  | 'cimd.client-id-match'
  | 'cimd.no-shared-secrets'
  // dynamic client registration
  | 'dcr.redirect-uri-scheme'
  | 'dcr.redirect-uri-shape'
  // ID-JAG (jwt-bearer) validation
  | 'idjag.typ'
  | 'idjag.aud'
  | 'idjag.jti'
  | 'idjag.time'
  | 'idjag.client-binding'
  // the gateway
  | 'gw.token-strip'
  | 'gw.origin'
  | 'gw.scope-policy'
  | 'gw.body-cap'
  | 'gw.header-mismatch'
  | 'gw.session-binding';

/** Production: every control is always on. */
export function controlDisabled(_name: ControlName): false {
  return false;
}
