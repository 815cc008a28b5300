import { z } from 'zod';
import { ADMIN_API_REVOCATION_REASON, withUsernames } from './grants.js';
import { badRequest, json, notFound, readJson } from './http.js';
import { recordAction, type Route } from './router.js';

const Revocation = z
  .strictObject({ user: z.string().min(1).max(64).optional(), client: z.string().min(1).max(2048).optional(), grant: z.string().min(1).max(128).optional() })
  .refine((b) => [b.user, b.client, b.grant].filter((v) => v !== undefined).length === 1, 'give exactly one of user, client, grant');

/**
 * POST revocations {user|client|grant}: `portcullis revoke` over HTTP. All of a user's or a client's grants go
 * in one transaction (store), and this instance's gateway refuses their tokens at once (others within ~1 s).
 */
export const revocationRoutes: Route[] = [
  {
    method: 'POST',
    path: 'revocations',
    handler: async (call) => {
      const body = await readJson(call.req, Revocation);
      const { store } = call.ctx;
      const now = call.ctx.clock();
      let ids: string[];
      let target: string;
      if (body.grant !== undefined) {
        const grant = await store.getGrant(body.grant);
        if (!grant) throw notFound(`no grant ${body.grant}`);
        ids = grant.revoked_at === null ? [grant.id] : [];
        if (ids.length) await store.revokeGrant(grant.id, now, ADMIN_API_REVOCATION_REASON);
        target = `grant:${grant.id}`;
      } else if (body.user !== undefined) {
        const user = await store.getUserByName(body.user);
        if (!user) throw notFound(`no user ${body.user}`);
        ids = await store.revokeGrantsForUser(user.id, now, ADMIN_API_REVOCATION_REASON);
        target = `user:${user.username}`;
      } else if (body.client !== undefined) {
        ids = await store.revokeGrantsForClient(body.client, now, ADMIN_API_REVOCATION_REASON);
        target = `client:${body.client}`;
      } else {
        throw badRequest('give exactly one of user, client, grant');
      }
      for (const id of ids) call.ctx.onGrantRevoked(id);
      await recordAction(call, 'revoke', target, { revoked_grants: ids });
      const grants = (await Promise.all(ids.map((id) => store.getGrant(id)))).filter((g) => g !== null);
      return json({ revoked_grants: ids, grants: await withUsernames(call, grants) });
    },
  },
];
