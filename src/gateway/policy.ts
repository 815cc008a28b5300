import type { ProtectedResource } from '../config/resolve.js';
import { ScopeModel } from '../rs/scopes.js';
import { compilePatterns, type PatternTable } from './patterns.js';

/**
 * Per-tool policy: which scopes each JSON-RPC message needs, and which list entries a token may see.
 * MCP "Runtime Insufficient Scope Errors": a refused request is never forwarded, and the 403 names all the
 * scopes the request needs in one challenge. MCP "Step-Up Authorization Flow": scope hierarchies are honoured.
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
  /** scopes needed; empty with `forbidden` when policy refuses the entry outright (unlisted: deny) */
  scopes: string[];
  forbidden?: boolean;
}

export type PolicyDecision =
  | { allow: true }
  /** `requiredScopes`: every scope the request needs (granted ones included, so that clients which replace
   *  rather than add scopes still converge); `denied`: the messages the token is short for */
  | { allow: false; requiredScopes: string[]; denied: Requirement[]; forbidden: boolean };

export type EntryKind = 'tool' | 'prompt' | 'resource';

export interface ResourcePolicy {
  scopes: ScopeModel;
  /** scope an entry needs: a string, null when unlisted and allowed, 'deny' when unlisted and refused */
  scopeFor(kind: EntryKind, name: string): string | null | 'deny';
  /** whether a token with `granted` may call / see the entry */
  permits(kind: EntryKind, name: string, granted: readonly string[]): boolean;
}

const compiled = new WeakMap<ProtectedResource, ResourcePolicy>();

export function policyFor(resource: ProtectedResource): ResourcePolicy {
  let p = compiled.get(resource);
  if (!p) {
    p = compilePolicy(resource);
    compiled.set(resource, p);
  }
  return p;
}

export function compilePolicy(resource: ProtectedResource): ResourcePolicy {
  const scopes = new ScopeModel(resource.scopeImplies ?? {});
  const tables: Record<EntryKind, PatternTable<string>> = {
    tool: compilePatterns(resource.tools ?? {}),
    prompt: compilePatterns(resource.prompts ?? {}),
    resource: compilePatterns(resource.mcpResources ?? {}),
  };
  const unlisted = resource.unlisted ?? 'allow';
  const scopeFor = (kind: EntryKind, name: string): string | null | 'deny' => tables[kind].lookup(name) ?? (unlisted === 'deny' ? 'deny' : null);
  return {
    scopes,
    scopeFor,
    permits(kind, name, granted) {
      const s = scopeFor(kind, name);
      return s === null ? true : s === 'deny' ? false : scopes.satisfies(granted, s);
    },
  };
}

/** Back-compat helper: whether `granted` satisfies `required` (exactly or through the hierarchy). */
export function hasScope(granted: readonly string[], required: string, model?: ScopeModel): boolean {
  return model ? model.satisfies(granted, required) : granted.includes(required);
}

/** The methods that name one entry, and where the name lives (also the Mcp-Name header's source). */
export const NAMED_METHODS: Readonly<Record<string, { kind: EntryKind; param: 'name' | 'uri' }>> = {
  'tools/call': { kind: 'tool', param: 'name' },
  'prompts/get': { kind: 'prompt', param: 'name' },
  'resources/read': { kind: 'resource', param: 'uri' },
  'resources/subscribe': { kind: 'resource', param: 'uri' },
  'resources/unsubscribe': { kind: 'resource', param: 'uri' },
};

export function namedEntry(msg: Record<string, unknown>): { method: string; kind: EntryKind; name: string | undefined } | undefined {
  const method = msg.method;
  if (typeof method !== 'string' || !Object.hasOwn(NAMED_METHODS, method)) return undefined;
  const { kind, param } = NAMED_METHODS[method]!;
  const params = msg.params;
  const value = typeof params === 'object' && params !== null ? (params as Record<string, unknown>)[param] : undefined;
  return { method, kind, name: typeof value === 'string' ? value : undefined };
}

/** Apply the policy to every message; a batch is refused as a whole when any member is. */
export function checkMessages(messages: readonly Record<string, unknown>[], ctx: PolicyContext): PolicyDecision {
  const policy = policyFor(ctx.resource);
  const requirements: Requirement[] = [];
  for (const msg of messages) {
    const entry = namedEntry(msg);
    if (!entry || entry.name === undefined) continue;
    const scope = policy.scopeFor(entry.kind, entry.name);
    if (scope === null) continue;
    requirements.push(scope === 'deny' ? { method: entry.method, name: entry.name, scopes: [], forbidden: true } : { method: entry.method, name: entry.name, scopes: [scope] });
  }
  const denied = requirements.filter((r) => r.forbidden || r.scopes.some((s) => !policy.scopes.satisfies(ctx.scopes, s)));
  if (denied.length === 0) return { allow: true };
  return {
    allow: false,
    requiredScopes: [...new Set(requirements.flatMap((r) => r.scopes))],
    denied,
    forbidden: denied.some((r) => r.forbidden),
  };
}
