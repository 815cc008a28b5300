import type { OAuthErrorCode } from '../../core/errors.js';
import { normalizeSchemeAndHost } from '../../core/urls.js';
import type { IdjagIssuanceConfig, IdjagTarget } from '../../config/idjag-issuance-schema.js';
import type { UserRecord } from '../../store/types.js';

export interface IssuanceRequest {
  /** the `audience` parameter: the target authorization server's issuer */
  audience: string;
  /** the `resource` parameter: the MCP server at that audience */
  resource: string;
  /** our authenticated client */
  client_id: string;
  user: UserRecord;
  /** the `scope` parameter, parsed; undefined when absent */
  scope: string[] | undefined;
}

export type IssuanceDecision =
  | { ok: true; targets: IdjagTarget[]; client_id_at_target: string; scope: string[]; include_email: boolean }
  /** `reason` goes to the log and audit only */
  | { ok: false; error: OAuthErrorCode; description: string; reason: string };

const refuse = (error: OAuthErrorCode, description: string, reason: string): IssuanceDecision => ({ ok: false, error, description, reason });

/**
 * The admin policy (EMA §7.6.1, §7.2.1; ID-JAG §4.3.3), pure: which (audience, resource) pairs exist, which of our
 * clients may reach them, for which users, with which scopes. Checked in that order; the first failing step
 * decides the error. Several entries may match one request: their scopes are pooled.
 */
export function evaluateIssuance(policy: IdjagIssuanceConfig, r: IssuanceRequest): IssuanceDecision {
  // EMA §4: audience is the RAS issuer, compared exactly (no trailing-slash leniency; spec-checklist §4.8)
  const byAudience = policy.targets.filter((t) => t.audience === r.audience);
  if (byAudience.length === 0) return refuse('invalid_target', 'audience is not an application this server issues grants for', `unknown audience ${r.audience}`);
  // EMA §7.6.1: MUST keep a map of valid (audience, resource) pairs and MUST reject mismatched pairs
  const resource = normalizeSchemeAndHost(r.resource);
  const byPair = byAudience.filter((t) => t.resources.some((x) => normalizeSchemeAndHost(x) === resource));
  if (byPair.length === 0) return refuse('invalid_target', 'resource does not belong to that audience', `pair (${r.audience}, ${r.resource}) not in policy`);
  const byClient = byPair.filter((t) => t.clients.some((c) => c.client_id === r.client_id));
  if (byClient.length === 0) return refuse('invalid_target', 'this client may not request grants for that application', `client ${r.client_id} not allowed for ${r.audience}`);
  const byUser = byClient.filter((t) => userAllowed(t, r.user));
  if (byUser.length === 0) return refuse('invalid_grant', 'the user may not use that application', `user ${r.user.id} not allowed for ${r.audience} by policy`);

  // EMA §7.2.1: least privilege, the intersection of what was asked and what the policy allows
  const allowed = [...new Set(byUser.flatMap((t) => t.scopes))];
  const scope = r.scope === undefined ? allowed : r.scope.filter((s) => allowed.includes(s));
  if (scope.length === 0) return refuse('invalid_scope', 'none of the requested scopes may be granted for that application', `requested ${(r.scope ?? []).join(' ')}; allowed ${allowed.join(' ')}`);
  const mapping = byUser.flatMap((t) => t.clients).find((c) => c.client_id === r.client_id)!;
  return {
    ok: true,
    targets: byUser,
    client_id_at_target: mapping.client_id_at_target ?? mapping.client_id,
    scope,
    include_email: byUser.some((t) => t.include_email),
  };
}

function userAllowed(t: IdjagTarget, user: UserRecord): boolean {
  if (t.users === undefined && t.roles === undefined) return true;
  return (t.users?.includes(user.username) ?? false) || (t.roles?.some((role) => user.roles.includes(role)) ?? false);
}
