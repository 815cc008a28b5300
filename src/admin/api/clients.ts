import { z } from 'zod';
import type { ClientTrustRecord } from '../../store/types.js';
import { decideClient } from '../clients.js';
import { AdminError, json, noBody, notFound, readQuery } from './http.js';
import { recordAction, type AdminCall, type Route } from './router.js';

const ClientQuery = z.strictObject({ status: z.enum(['pending', 'approved', 'denied']).optional() });

function view(r: ClientTrustRecord) {
  let document: unknown = null;
  try {
    document = JSON.parse(r.document);
  } catch {
    // a snapshot is always JSON; show null rather than fail
  }
  return { ...r, document };
}

async function decide(call: AdminCall, status: 'approved' | 'denied'): Promise<Response> {
  await noBody(call.req);
  const client_id = call.params.id!;
  if (client_id.length > 2048) throw notFound('no such client');
  const { ctx } = call;
  const result = await decideClient(ctx.store, client_id, status, call.actor.name, ctx.clock());
  if (result.kind === 'not_seen') throw notFound(`${client_id} has not tried to connect yet, so there is no document to approve`);
  if (result.kind === 'changed') throw new AdminError(409, 'conflict', `the document of ${client_id} changed meanwhile; review it again`);
  for (const id of result.revoked) ctx.onGrantRevoked(id);
  await recordAction(call, status === 'approved' ? 'client.approve' : 'client.deny', client_id, { version: result.record.version, revoked_grants: result.revoked });
  return json({ client: view(result.record), revoked_grants: result.revoked });
}

/**
 * Trust decisions (issue 3 review mode), as `portcullis clients`: GET clients (?status=pending), POST
 * clients/:id/approve|deny, where :id is the client_id percent-encoded as one path segment (CIMD URLs too).
 */
export const clientRoutes: Route[] = [
  {
    method: 'GET',
    path: 'clients',
    handler: async (call) => {
      const q = readQuery(call.url, ClientQuery);
      const records = await call.ctx.store.listClientTrust(q.status);
      const registered = q.status ? [] : await call.ctx.store.listRegisteredClients();
      return json({
        trust_mode: call.ctx.settings.config.trust.mode,
        clients: records.map(view),
        registered: registered.map((c) => ({ client_id: c.client_id, metadata: c.metadata, client_id_issued_at: c.client_id_issued_at, expires_at: c.expires_at })),
      });
    },
  },
  { method: 'POST', path: 'clients/:id/approve', handler: (call) => decide(call, 'approved') },
  { method: 'POST', path: 'clients/:id/deny', handler: (call) => decide(call, 'denied') },
];
