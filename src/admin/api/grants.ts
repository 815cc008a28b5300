import { z } from 'zod';
import type { GrantRecord } from '../../store/types.js';
import { json, notFound, readQuery, noBody } from './http.js';
import { recordAction, type AdminCall, type Route } from './router.js';

export const ADMIN_API_REVOCATION_REASON = 'admin_api';

const GrantQuery = z.strictObject({
  user: z.string().min(1).max(64).optional(),
  client: z.string().min(1).max(2048).optional(),
  all: z.enum(['true', 'false']).optional(),
});

/** grants with the user's name beside the id (client_credentials grants have the client as subject) */
export async function withUsernames<G extends GrantRecord>(call: Pick<AdminCall, 'ctx'>, grants: G[]): Promise<(G & { username: string | null })[]> {
  const names = new Map<string, string | null>();
  for (const id of new Set(grants.map((g) => g.user_id))) names.set(id, (await call.ctx.store.getUser(id))?.username ?? null);
  return grants.map((g) => ({ ...g, username: names.get(g.user_id) ?? null }));
}

/** revoke one live grant: in the store, at once on the gateway, audited (the API's DELETE grants/:id and the console's button) */
export async function revokeOneGrant(call: Pick<AdminCall, 'ctx' | 'actor'>, grantId: string, reason: string, detail: { console?: true } = {}): Promise<void> {
  await call.ctx.store.revokeGrant(grantId, call.ctx.clock(), reason);
  call.ctx.onGrantRevoked(grantId);
  await recordAction(call, 'grant.revoke', grantId, { revoked_grants: [grantId], ...detail });
}

/** GET grants (?user=NAME&client=ID&all=true), DELETE grants/:id: as `portcullis grants list` / `revoke --grant` */
export const grantRoutes: Route[] = [
  {
    method: 'GET',
    path: 'grants',
    handler: async (call) => {
      const q = readQuery(call.url, GrantQuery);
      let user_id: string | undefined;
      if (q.user !== undefined) {
        const user = await call.ctx.store.getUserByName(q.user);
        if (!user) throw notFound(`no user ${q.user}`);
        user_id = user.id;
      }
      const grants = await call.ctx.store.listGrants({ ...(user_id ? { user_id } : {}), ...(q.client ? { client_id: q.client } : {}), include_revoked: q.all === 'true' });
      return json({ grants: await withUsernames(call, grants) });
    },
  },
  {
    method: 'DELETE',
    path: 'grants/:id',
    handler: async (call) => {
      await noBody(call.req);
      const id = call.params.id!;
      const grant = id.length <= 128 ? await call.ctx.store.getGrant(id) : null;
      if (!grant) throw notFound(`no grant ${id}`);
      const revoked = grant.revoked_at === null ? [grant.id] : [];
      if (revoked.length) await revokeOneGrant(call, grant.id, ADMIN_API_REVOCATION_REASON);
      return json({ revoked_grants: revoked, already_revoked: revoked.length === 0 });
    },
  },
];
