import { z } from 'zod';
import { queryAudit } from '../../audit/index.js';
import { parseTime } from '../../audit/query.js';
import { AdminError, json, readQuery } from './http.js';
import type { Route } from './router.js';

const count = z.string().regex(/^\d{1,9}$/, 'a whole number').transform(Number);
const AuditQuery = z.strictObject({
  user: z.string().min(1).max(128).optional(),
  client: z.string().min(1).max(2048).optional(),
  /** comma-separated types or prefixes (`token.*`) */
  type: z.string().regex(/^[a-z_.*]+(,[a-z_.*]+)*$/, 'comma-separated event types').max(512).optional(),
  since: z.string().max(64).optional(),
  until: z.string().max(64).optional(),
  limit: count.pipe(z.number().min(1).max(1000)).optional(),
  after: count.optional(),
});

/** GET audit (as `portcullis audit query`, oldest first, paged by `after`), GET audit/verify (as `audit verify`) */
export const auditRoutes: Route[] = [
  {
    method: 'GET',
    path: 'audit',
    handler: async (call) => {
      const q = readQuery(call.url, AuditQuery);
      const now = call.ctx.clock();
      const time = (name: 'since' | 'until'): number | undefined => {
        const v = q[name];
        if (v === undefined) return undefined;
        const t = parseTime(v, now);
        if (t === null) throw new AdminError(400, 'invalid_request', `${name}: expected an ISO 8601 time or a duration like 15m, 2h, 7d`);
        return t;
      };
      const since = time('since');
      const until = time('until');
      const page = await queryAudit(call.ctx.store, {
        ...(q.user !== undefined ? { user_id: q.user } : {}),
        ...(q.client !== undefined ? { client_id: q.client } : {}),
        ...(q.type !== undefined ? { types: q.type.split(',') } : {}),
        ...(since !== undefined ? { since } : {}),
        ...(until !== undefined ? { until } : {}),
        limit: q.limit ?? 100,
        after: q.after ?? 0,
      });
      return json(page);
    },
  },
  {
    method: 'GET',
    path: 'audit/verify',
    handler: async (call) => {
      readQuery(call.url, z.strictObject({}));
      if (!call.deps.verifyAudit) throw new AdminError(503, 'temporarily_unavailable', 'this server cannot verify its audit log');
      const report = await call.deps.verifyAudit();
      return json(report);
    },
  },
];
