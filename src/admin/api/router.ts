import type { AsContext } from '../../as/context.js';
import type { VerifyReport } from '../../audit/index.js';
import type { AuditEvents } from '../../audit/types.js';
import { auditActor, type Actor } from './auth.js';
import { badRequest } from './http.js';

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface AdminDeps {
  /** `audit verify` of the running log; absent when the log cannot verify itself (then 503) */
  verifyAudit?: () => Promise<VerifyReport>;
}

/** one authenticated call: the path's `:params` are decoded, each one segment (so a CIMD URL travels %-encoded) */
export interface AdminCall {
  ctx: AsContext;
  deps: AdminDeps;
  req: Request;
  url: URL;
  actor: Actor;
  params: Record<string, string>;
}

export interface Route {
  method: Method;
  /** relative to /admin/api/v1, e.g. `users/:name` */
  path: string;
  handler(call: AdminCall): Promise<Response>;
}

export type Match = { kind: 'route'; route: Route; params: Record<string, string> } | { kind: 'method'; allow: Method[] } | { kind: 'none' };

/** A tiny router: literal segments and `:name` segments, exact segment count. */
export function match(routes: readonly Route[], method: string, segments: readonly string[]): Match {
  const allow: Method[] = [];
  for (const route of routes) {
    const parts = route.path.split('/');
    if (parts.length !== segments.length) continue;
    const params: Record<string, string> = {};
    if (!parts.every((p, i) => (p.startsWith(':') ? ((params[p.slice(1)] = segments[i]!), true) : p === segments[i]))) continue;
    if (route.method === method) return { kind: 'route', route, params };
    allow.push(route.method);
  }
  return allow.length ? { kind: 'method', allow } : { kind: 'none' };
}

/** the path below the API base as decoded segments; a malformed escape is bad input, not a 500 */
export function segmentsOf(pathname: string, base: string): string[] | null {
  if (!pathname.startsWith(`${base}/`)) return null;
  const rest = pathname.slice(base.length + 1).replace(/\/$/, '');
  try {
    return rest.split('/').map((s) => decodeURIComponent(s));
  } catch {
    throw badRequest('malformed percent-encoding in the path');
  }
}

/** issue 3 item 7: every mutating admin call (API or console, issue 8) is an `admin.action` audit event naming the administrator */
export async function recordAction(call: Pick<AdminCall, 'ctx' | 'actor'>, action: string, target: string, detail: AuditEvents['admin.action']['detail'] = {}): Promise<void> {
  await call.ctx.audit.record('admin.action', { action, target, detail: { ...detail, actor: call.actor.name, via: call.actor.kind === 'token' ? 'token' : 'session' } }, auditActor(call.actor));
}
