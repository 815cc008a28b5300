/**
 * Audit event types and the data each carries (ARCHITECTURE "Audit"). Data never holds a token, code, password
 * or secret: tokens are named by their id (`jti`) or grant id. Add a type by adding a key to `AuditEvents`
 * (inside Portcullis) or by declaration merging (`declare module 'portcullis/audit' { interface AuditEvents … }`).
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface AuditEvents {
  /** a Client ID Metadata Document fetch (net/safe-fetch): URL, resolved address, outcome */
  'client.fetch': {
    url: string;
    address?: string | null;
    outcome: 'ok' | 'cached' | 'refused' | 'invalid' | 'error';
    status?: number;
    reason?: string;
    bytes?: number;
    ms?: number;
  };
  'client.registered': { method: 'cimd' | 'dcr' | 'static'; client_name?: string | null; redirect_uris?: string[]; version?: string };
  'trust.decision': { decision: 'allow' | 'deny' | 'ask'; policy?: string; reason?: string; url?: string };
  'login.success': { username: string; method?: string; idp?: string };
  'login.failure': { username: string; reason: string; method?: string; idp?: string };
  /** issue 4 item 3: sign-in through an upstream OpenID Provider (never a token: the issuer and subject only) */
  'login.upstream.success': { username: string; idp: string; issuer: string; subject: string; provisioned: boolean; roles: string[]; roles_changed?: boolean; tenant?: string | null; groups_overage?: boolean; return_to?: string };
  'login.upstream.failure': { idp: string; reason: string; issuer?: string; error?: string; aadsts?: string; detail?: string };
  'consent.granted': { resource: string; scope: string[]; remembered?: boolean; client_version?: string };
  'consent.denied': { resource: string; scope: string[] };
  'token.issued': TokenData;
  'token.refreshed': TokenData & { previous_jti?: string };
  'token.revoked': { grant_id?: string; jti?: string; reason: string; token_type_hint?: string };
  'token.reuse_detected': { grant_id: string; revoked: boolean; reason?: string };
  'code.reuse_detected': { grant_id: string; revoked: boolean };
  'tool.allowed': ToolData;
  'tool.denied': ToolData & { reason: string; required_scope?: string };
  'admin.action': { action: string; target?: string; detail?: { [key: string]: JsonValue } };
  /** issue 4: an ID-JAG accepted at /token: whose (iss, sub), which assertion (jti), what was granted */
  'idjag.accepted': { iss: string; sub: string; jti: string; resource: string; scope: string[]; grant_id: string; user: 'linked' | 'link' | 'provision' };
  /** an ID-JAG (or a jwt-bearer request) refused, with the internal reason the wire never sees (src/as/idjag/verify.ts IdJagReason, `client_auth`, `request`) */
  'idjag.rejected': { reason: string; error: string; detail: string; iss?: string; jti?: string; sub?: string };
  /** ID-JAG issuance (token exchange, Portcullis as the enterprise IdP): named by its jti, never the token or subject token */
  'idjag.issued': { jti: string; audience: string; resource: string; scope: string[]; client_id_at_target: string; subject_token_type: string; grant_id: string; expires_at: number };
  'idjag.issue_refused': { error: string; reason: string; audience?: string | null; resource?: string | null; subject_token_type?: string | null };
  /** RFC 8628 §3.3: the user approved a device at /device; the grant its tokens will be issued under (never the device_code or user_code) */
  'device.authorized': { grant_id: string; resource: string; scope: string[] };
  /** the user denied a device at /device (the device's next poll gets access_denied) */
  'device.denied': { resource: string; scope: string[] };
  /** RFC 8628 §5.1: a user code refused at /device (unknown, expired or used: `invalid`; too many wrong ones: `throttled`) */
  'device.user_code_rejected': { reason: 'invalid' | 'throttled' };
}

/** every token event: what was issued, to whom, for which audience — the token id, never the token */
export interface TokenData {
  grant_type: string;
  grant_id?: string;
  jti: string;
  scope: string[];
  audience: string;
  expires_at?: number;
  refresh_token_issued?: boolean;
}

export interface ToolData {
  resource: string;
  /** tools/call name, or the MCP method for prompts/resources */
  tool: string;
  method?: string;
  jti?: string;
  scope?: string[];
}

export type AuditEventType = keyof AuditEvents & string;

/** every built-in type, for validating `--type` and for documentation */
export const AUDIT_EVENT_TYPES = [
  'client.fetch',
  'client.registered',
  'trust.decision',
  'login.success',
  'login.failure',
  'login.upstream.success',
  'login.upstream.failure',
  'consent.granted',
  'consent.denied',
  'token.issued',
  'token.refreshed',
  'token.revoked',
  'token.reuse_detected',
  'code.reuse_detected',
  'tool.allowed',
  'tool.denied',
  'admin.action',
  'idjag.accepted',
  'idjag.rejected',
  'idjag.issued',
  'idjag.issue_refused',
  'device.authorized',
  'device.denied',
  'device.user_code_rejected',
] as const satisfies readonly AuditEventType[];

/** who acted: the user and the client, when known */
export interface AuditActor {
  user_id?: string | null;
  client_id?: string | null;
  /** overrides the subject derived from the data (see SUBJECT_FIELD) */
  subject?: string | null;
}

/** the data field that names what an event is about; stored in its own column so it can be queried */
export const SUBJECT_FIELD: { readonly [T in (typeof AUDIT_EVENT_TYPES)[number]]: string | null } = {
  'client.fetch': 'url',
  'client.registered': null,
  'trust.decision': null,
  'login.success': 'username',
  'login.failure': 'username',
  'login.upstream.success': 'username',
  'login.upstream.failure': 'idp',
  'consent.granted': 'resource',
  'consent.denied': 'resource',
  'token.issued': 'jti',
  'token.refreshed': 'jti',
  'token.revoked': 'grant_id',
  'token.reuse_detected': 'grant_id',
  'code.reuse_detected': 'grant_id',
  'tool.allowed': 'tool',
  'tool.denied': 'tool',
  'admin.action': 'target',
  'idjag.accepted': 'iss',
  'idjag.rejected': 'iss',
  'idjag.issued': 'jti',
  'idjag.issue_refused': 'audience',
  'device.authorized': 'grant_id',
  'device.denied': 'resource',
  'device.user_code_rejected': null,
};

/** an event to append: what record() is given, with its time */
export interface AuditEvent {
  time: number;
  type: string;
  user_id: string | null;
  client_id: string | null;
  subject: string | null;
  data: { [key: string]: JsonValue };
}

/** an entry as read back: an AuditEvent with its place in the chain */
export interface AuditEntry extends AuditEvent {
  seq: number;
  prev_mac: string;
  mac: string;
}
