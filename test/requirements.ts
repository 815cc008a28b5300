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
