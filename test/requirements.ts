/**
 * The requirements the first path implements, each with a stable id, its source and level. Tests cite the id in
 * their titles; test/requirements.test.ts fails when a requirement here has no test naming it. The checker
 * (`portcullis check`) will report against the same ids.
 */
export interface Requirement {
  id: string;
  level: 'MUST' | 'SHOULD' | 'decision';
  source: string;
  text: string;
}

export const REQUIREMENTS: Requirement[] = [
  // Protected resource (spec-checklist §2A)
  { id: 'rs.prm.path-inserted', level: 'MUST', source: 'RFC 9728 §3.1; MCP [DISC]', text: 'PRM served at the path-inserted well-known URL' },
  { id: 'rs.prm.resource-exact', level: 'MUST', source: 'RFC 9728 §3.3', text: 'PRM resource equals the canonical MCP URL exactly' },
  { id: 'rs.prm.authorization-servers', level: 'MUST', source: 'MCP [AUTH] Overview item 4', text: 'authorization_servers lists the issuer' },
  { id: 'rs.prm.no-offline-access', level: 'SHOULD', source: 'MCP [AUTH] Refresh Tokens', text: 'scopes_supported omits offline_access' },
  { id: 'gw.auth.401-challenge', level: 'MUST', source: 'RFC 9728 §5.1; MCP [DISC]', text: '401 carries WWW-Authenticate Bearer resource_metadata (and scope)' },
  { id: 'rs.challenge.no-error-without-credentials', level: 'SHOULD', source: 'RFC 6750 §3.1; OAuth 2.1 §5.3.2', text: 'no error attribute when no credentials were sent' },
  { id: 'gw.auth.invalid-token', level: 'MUST', source: 'MCP [AUTH] Token Handling', text: 'invalid, expired or malformed tokens get 401 invalid_token' },
  { id: 'rs.token.typ', level: 'MUST', source: 'RFC 9068 §4', text: 'typ at+jwt required' },
  { id: 'rs.token.aud-exact', level: 'MUST', source: 'RFC 8707 §2; MCP [SEC] Token Audience Binding', text: 'aud must be this resource' },
  { id: 'rs.token.iss-exact', level: 'MUST', source: 'RFC 9068 §4', text: 'iss equals the AS issuer exactly' },
  { id: 'rs.token.exp', level: 'MUST', source: 'RFC 9068 §4', text: 'expired tokens refused (small skew)' },
  { id: 'rs.token.alg-allow-list', level: 'MUST', source: 'RFC 8725 §3.1', text: 'alg from an allow-list, never none' },
  { id: 'rs.bearer.header-only', level: 'MUST', source: 'MCP [AUTH] Token Requirements', text: 'token only in the Authorization header; query-string tokens refused' },
  { id: 'gw.proxy.no-token-passthrough', level: 'MUST', source: 'MCP [SEC] Access Token Privilege Restriction; [BP] Token Passthrough', text: "the client's token never reaches the upstream" },
  { id: 'gw.proxy.sse-unbuffered', level: 'decision', source: 'ARCHITECTURE Wire revisions', text: 'SSE streamed through without buffering' },
  { id: 'gw.origin.validate', level: 'MUST', source: 'MCP [HTTP] Security', text: 'invalid Origin gets 403' },
  { id: 'gw.cors.expose-challenge', level: 'decision', source: 'ARCHITECTURE Browser clients', text: 'CORS exposes WWW-Authenticate and Mcp-Session-Id' },
  { id: 'gw.session.bound-to-sub', level: 'MUST', source: 'MCP 2025-11-25 [BP] Session Hijacking', text: "legacy sessions bound to the token's subject" },
  { id: 'gw.policy.insufficient-scope', level: 'SHOULD', source: 'MCP [AUTH] Runtime Insufficient Scope Errors', text: '403 insufficient_scope with scope and resource_metadata; never forwarded' },
  // Authorization server (spec-checklist §2B)
  { id: 'as.metadata', level: 'MUST', source: 'RFC 8414 §2–3; MCP [SEC] Authorization Code Protection', text: 'metadata with issuer, S256-only PKCE, CIMD support, iss support' },
  { id: 'as.metadata.path-issuer', level: 'MUST', source: 'RFC 8414 §3.1; MCP [DISC]', text: 'path-inserted metadata for issuers with a path' },
  { id: 'as.authorize.pkce-s256-required', level: 'MUST', source: 'OAuth 2.1 §4.1.1; RFC 7636', text: 'code_challenge required, S256 only' },
  { id: 'as.authorize.redirect-exact', level: 'MUST', source: 'OAuth 2.1 §4.1.1; RFC 9700', text: 'exact redirect URI match' },
  { id: 'as.authorize.loopback-any-port', level: 'MUST', source: 'RFC 8252 §7.3; OAuth 2.1 §8.4.2', text: 'loopback redirect URIs match on any port' },
  { id: 'as.authorize.no-redirect-before-validation', level: 'MUST', source: 'OAuth 2.1 §4.1.2.1; MCP [SEC] Open Redirection', text: 'errors before client and redirect validation are shown, not redirected' },
  { id: 'as.authorize.resource', level: 'MUST', source: 'RFC 8707 §2; ARCHITECTURE resource', text: 'one known resource per request, else invalid_target' },
  { id: 'as.authorize.scope-limited', level: 'decision', source: 'ARCHITECTURE; RFC 6749 §3.3', text: 'scopes limited to what the resource offers' },
  { id: 'as.authorize.iss', level: 'SHOULD', source: 'RFC 9207 §2; MCP [AUTH] Authorization Response Validation', text: 'iss on every authorization response' },
  { id: 'as.consent', level: 'MUST', source: 'MCP [SEC] Localhost Redirect URI Risks; CIMD §6.4', text: 'consent shows client host, redirect host, scopes, resource, loopback warning' },
  { id: 'as.pages.csrf', level: 'MUST', source: 'MCP [BP] Confused Deputy consent page; RFC 9700 §4.16', text: 'CSRF-protected forms bound to the browser' },
  { id: 'as.token.pkce', level: 'MUST', source: 'OAuth 2.1 §4.1.3; RFC 7636 §4.6', text: 'code_verifier verified' },
  { id: 'as.token.code-single-use', level: 'MUST', source: 'OAuth 2.1 §4.1.3, §7.5.3', text: 'codes single-use; reuse revokes what was issued' },
  { id: 'as.token.jwt-profile', level: 'decision', source: 'RFC 9068 §2; ARCHITECTURE Tokens', text: 'JWT access tokens bound to one resource, no-store' },
  { id: 'as.token.refresh-rotation', level: 'MUST', source: 'OAuth 2.1 §4.3.1; ARCHITECTURE Tokens', text: 'refresh tokens of public clients rotated; reuse revokes; never widened' },
  { id: 'as.token.client-auth', level: 'MUST', source: 'OAuth 2.1 §2.4; RFC 7523 §2.2', text: 'none, client_secret_basic/post, private_key_jwt; one method per request' },
  { id: 'as.bad-input.authorize', level: 'decision', source: 'issue "Bad input"', text: 'every /authorize parameter malformed → right error, store unchanged' },
  { id: 'as.bad-input.token-code', level: 'decision', source: 'issue "Bad input"', text: 'every /token (code) parameter malformed → right error, store unchanged' },
  { id: 'as.bad-input.token-refresh', level: 'decision', source: 'issue "Bad input"', text: 'every /token (refresh) parameter malformed → right error, store unchanged' },
  // Revocation, introspection and the user's connected apps (spec-checklist §2B items 23–24, §2A item 17; issue 3 items 5–6)
  { id: 'as.revoke.refresh', level: 'MUST', source: 'RFC 7009 §2.1', text: 'revoking a refresh token revokes its grant and every token of it' },
  { id: 'as.revoke.access', level: 'MUST', source: 'RFC 7009 §2.1; ARCHITECTURE Revocation', text: 'revoking one of our access tokens (even expired) revokes its grant' },
  { id: 'as.revoke.other-client', level: 'MUST', source: 'RFC 7009 §2.1', text: "a token of another client: 200 and nothing revoked" },
  { id: 'as.revoke.unknown-token', level: 'MUST', source: 'RFC 7009 §2.2', text: 'unknown or invalid tokens get 200; unknown hints are ignored' },
  { id: 'as.revoke.client-auth', level: 'MUST', source: 'RFC 7009 §2.1; OAuth 2.1 §2.4', text: 'client authentication exactly as at /token' },
  { id: 'as.revoke.metadata', level: 'SHOULD', source: 'RFC 8414 §2', text: 'revocation_endpoint and its auth methods advertised' },
  { id: 'as.introspect.auth', level: 'MUST', source: 'RFC 7662 §2.1, §2.3', text: 'only authenticated resource servers may introspect; others get 401 invalid_client' },
  { id: 'as.introspect.active', level: 'MUST', source: 'RFC 7662 §2.2', text: 'active tokens described: active, scope, client_id, sub, aud, iss, exp, iat, token_type, jti' },
  { id: 'as.introspect.inactive', level: 'MUST', source: 'RFC 7662 §2.2', text: 'unknown, expired, revoked, rotated tokens: exactly {"active": false}' },
  { id: 'as.introspect.metadata', level: 'SHOULD', source: 'RFC 8414 §2', text: 'introspection_endpoint and its auth methods advertised' },
  { id: 'as.revocation.bulk', level: 'decision', source: 'ARCHITECTURE Revocation; issue 3', text: "all of a user's or a client's grants revoked in one transaction" },
  { id: 'as.revocation.cli', level: 'decision', source: 'ARCHITECTURE cli; issue 3', text: '`portcullis revoke` and `grants list` work beside a running server' },
  { id: 'as.revocation.gateway', level: 'decision', source: 'ARCHITECTURE Revocation', text: "a revoked grant's access token is refused at once locally, within 1 s from another process" },
  { id: 'as.account.list', level: 'decision', source: 'ARCHITECTURE Pages', text: "connected apps page lists the user's live grants with client, resource, scopes, last use" },
  { id: 'as.account.revoke', level: 'decision', source: 'ARCHITECTURE Pages, Revocation', text: "a user revokes only their own grants; sign-out ends the session" },
  { id: 'as.account.csrf', level: 'MUST', source: 'RFC 9700 §4.16; MCP [BP] Confused Deputy', text: 'account forms carry a CSRF token bound to the session (double-submit before sign-in)' },
  { id: 'as.bad-input.revoke', level: 'decision', source: 'issue "Bad input"', text: 'every /revoke parameter malformed → right error, store unchanged' },
  { id: 'as.bad-input.introspect', level: 'decision', source: 'issue "Bad input"', text: 'every /introspect parameter malformed → right error, store unchanged' },
  { id: 'as.bad-input.account', level: 'decision', source: 'issue "Bad input"', text: 'every account form field malformed → right error, store unchanged' },
  // Client trust policy (spec-checklist §3.3 step 2, §3.4; issue 3 item 3)
  { id: 'as.trust.host-patterns', level: 'decision', source: 'issue 3 trust policies', text: 'exact hosts and *.suffix patterns; CIMD clients by client_id host, registered clients by redirect host' },
  { id: 'as.trust.denied', level: 'decision', source: 'CIMD §6.8; MCP [SEC] Trust Policies; [BP] CIMD Trust Policies', text: 'a denied host (or an admin-denied client) gets a 403 page before any fetch, never a redirect or login' },
  { id: 'as.trust.allowlist', level: 'decision', source: 'CIMD §3.3 step 2; MCP [SEC] Trust Policies', text: 'allowlist mode admits trusted hosts only, refused before fetching' },
  { id: 'as.trust.review-pending', level: 'decision', source: 'issue 3 trust policies', text: 'review mode: unknown clients get an "awaiting approval" page; a pending record keeps the document, its version, first sight' },
  { id: 'as.trust.document-change', level: 'decision', source: 'CIMD §6.3; issue 3', text: 'an approved client whose document version changes goes back to review' },
  { id: 'as.trust.token', level: 'decision', source: 'issue 3 trust policies', text: 'a refused or pending client cannot redeem a code or refresh (invalid_client)' },
  // Dynamic Client Registration (spec-checklist §2B items 18-19; issue 3 item 2)
  { id: 'as.dcr.off-by-default', level: 'decision', source: 'MCP [REG] (DCR deprecated); issue 3', text: 'no registration endpoint and no registration_endpoint metadata unless enabled' },
  { id: 'as.dcr.register', level: 'MUST', source: 'RFC 7591 §3.2.1', text: '201 with client_id, client_id_issued_at, expiry and the registered metadata' },
  { id: 'as.dcr.client-id-not-https', level: 'SHOULD', source: 'CIMD §6.9', text: 'generated client_ids never start with https://' },
  { id: 'as.dcr.application-type', level: 'decision', source: 'RFC 7591 §2; OIDC Registration application_type; issue 3', text: 'application_type (native | web) required' },
  { id: 'as.dcr.redirect-uris', level: 'MUST', source: 'RFC 7591 §2, §3.2.2; MCP [SEC] Communication Security', text: 'https, or loopback http for native; allowlisted hosts; else invalid_redirect_uri' },
  { id: 'as.dcr.auth-methods', level: 'MUST', source: 'RFC 7591 §2, §3.2.1; RFC 7523 §2.2', text: 'none, client_secret_basic/post (secret shown once, stored hashed, with expiry), private_key_jwt with keys' },
  { id: 'as.dcr.rate-limit', level: 'decision', source: 'issue 3; peers.md "DCR abuse"', text: 'per-IP rate limit, bounded memory, 429 with Retry-After' },
  { id: 'as.dcr.body-size', level: 'decision', source: 'issue 3', text: 'bodies over 16 KB or not JSON refused with invalid_client_metadata, store unchanged' },
  { id: 'as.dcr.initial-access-token', level: 'decision', source: 'RFC 7591 §3; RFC 6750 §3', text: 'optional initial access token, compared in constant time' },
  { id: 'as.dcr.expiry', level: 'decision', source: 'issue 3; peers.md "Stale client registrations"', text: 'registrations expire after client_ttl_days: unusable at /authorize and /token' },
  { id: 'as.dcr.trust', level: 'decision', source: 'issue 3', text: 'registered clients are subject to the trust policy by redirect URI host' },
  // Client ID Metadata Documents and safe fetch (spec-checklist §3)
  { id: 'cimd.url-grammar', level: 'MUST', source: 'CIMD §3', text: 'https URL with a path, no dot segments, fragment or credentials' },
  { id: 'cimd.client-id-exact', level: 'MUST', source: 'CIMD §4.1; MCP [REG]', text: 'client_id equals the document URL exactly' },
  { id: 'cimd.document-valid', level: 'MUST', source: 'CIMD §4.1, §6.2', text: 'redirect_uris present; no shared secrets' },
  { id: 'cimd.fetch.status-200', level: 'MUST', source: 'CIMD §4 (-01)', text: 'only 200 is success' },
  { id: 'cimd.cache.never-invalid', level: 'MUST', source: 'CIMD §4.4; MCP [REG]', text: 'invalid documents and errors never cached' },
  { id: 'cimd.cache.honour-headers', level: 'SHOULD', source: 'CIMD §4.4; RFC 9111', text: 'cache per Cache-Control within bounds' },
  { id: 'cimd.compat.fixtures', level: 'decision', source: 'shared/fixtures/cimd', text: "real clients' documents accepted" },
  { id: 'net.safe-fetch.special-use-refused', level: 'MUST', source: 'CIMD §6.5; RFC 6890', text: 'special-use addresses refused' },
  { id: 'net.safe-fetch.pinned', level: 'SHOULD', source: 'MCP [BP] DNS Resolution Considerations', text: 'DNS resolved once and pinned' },
  { id: 'net.safe-fetch.no-redirects', level: 'MUST', source: 'CIMD §4 (-01)', text: 'no redirects followed' },
  { id: 'net.safe-fetch.size-cap', level: 'SHOULD', source: 'CIMD §6.6', text: 'responses capped at 5 KB' },
  { id: 'net.safe-fetch.timeout', level: 'decision', source: 'issue: ≤ 5 s', text: 'fetch time capped' },
  // Official conformance suite
  { id: 'conf.authorization', level: 'decision', source: 'issue "How it is shown"; @modelcontextprotocol/conformance 0.2.0-alpha.12', text: 'authorization role passes incl. the CIMD check' },
  { id: 'conf.server-transparency', level: 'decision', source: 'issue "How it is shown"', text: 'server scenarios give the same results through the gateway as direct' },
  // End to end
  { id: 'e2e.sdk.cimd-zero-config', level: 'decision', source: 'issue "How it is shown"', text: 'the official SDK client connects with no client configuration' },
  { id: 'e2e.sdk.refresh-after-expiry', level: 'decision', source: 'issue "How it is shown"', text: 'keeps working after the access token expires' },
  { id: 'e2e.browser', level: 'decision', source: 'issue "How it is shown"', text: 'login and consent in headless Chromium' },
  { id: 'e2e.cimd-fixtures', level: 'decision', source: 'issue "How it is shown"', text: 'every real client document completes the flow or is refused specifically' },
];
