import type { ProtectedResource } from '../config/resolve.js';

/**
 * Tool policy: which scopes each JSON-RPC message needs. Rules state requirements (one rule per method family);
 * `checkMessages` compares them with the token. List filtering (tools/list, resources/list, prompts/list) and
 * scope hierarchies grow here without touching the gateway.
 * MCP "Runtime Insufficient Scope Errors": a refused request is never forwarded, and the 403 names all the
 * scopes the request needs in one challenge.
 */

export interface PolicyContext {
  resource: ProtectedResource;
  /** the token's scopes */
  scopes: readonly string[];
}

/** What one message needs; also what logs and audit record about a refusal. */
export interface Requirement {
  method: string;
  name: string | undefined;
  scopes: string[];
}

export type MessageRule = (msg: Record<string, unknown>, resource: ProtectedResource) => Requirement | undefined;

export type PolicyDecision =
  | { allow: true }
  /** `requiredScopes`: every scope the request needs (granted ones included, so that clients which replace
   *  rather than add scopes still converge); `denied`: the messages the token is short for */
  | { allow: false; requiredScopes: string[]; denied: Requirement[] };

/**
 * Whether `granted` satisfies `required`. Exact match for now; MCP "Step-Up Authorization Flow" requires
 * scope hierarchies (a broad scope implying narrower ones) to be honoured, which lands here.
 */
export function hasScope(granted: readonly string[], required: string): boolean {
  return granted.includes(required);
}

/** tools/call of a tool mapped in `resource.tools` needs that scope; unmapped tools need none. */
export const toolsCallRule: MessageRule = (msg, resource) => {
  if (msg.method !== 'tools/call') return undefined;
  const params = msg.params;
  const name = typeof params === 'object' && params !== null ? (params as Record<string, unknown>).name : undefined;
  // own properties only: a tool named "constructor" must not find Object.prototype's
  if (typeof name !== 'string' || !Object.hasOwn(resource.tools, name)) return undefined;
  return { method: 'tools/call', name, scopes: [resource.tools[name]!] };
};

export const DEFAULT_RULES: readonly MessageRule[] = [toolsCallRule];

/** Apply every rule to every message; a batch is refused as a whole when any member is. */
export function checkMessages(
  messages: readonly Record<string, unknown>[],
  ctx: PolicyContext,
  rules: readonly MessageRule[] = DEFAULT_RULES,
): PolicyDecision {
  const requirements: Requirement[] = [];
  for (const msg of messages) {
    for (const rule of rules) {
      const r = rule(msg, ctx.resource);
      if (r) requirements.push(r);
    }
  }
  const denied = requirements.filter((r) => r.scopes.some((s) => !hasScope(ctx.scopes, s)));
  if (denied.length === 0) return { allow: true };
  return { allow: false, requiredScopes: [...new Set(requirements.flatMap((r) => r.scopes))], denied };
}
