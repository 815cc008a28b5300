import type { AsContext } from '../../as/context.js';
import type { ClientTrustRecord, RegisteredClientRecord } from '../../store/types.js';

export type ClientKind = 'static' | 'cimd' | 'registered' | 'unknown';

/** one client as the console lists it: wherever it is known from */
export interface ClientRow {
  client_id: string;
  kind: ClientKind;
  name: string | null;
  trust: ClientTrustRecord | null;
  registered: RegisteredClientRecord | null;
  /** static clients: the configured entry */
  configured: Record<string, unknown> | null;
  live_grants: number;
}

const nameIn = (doc: unknown): string | null => (doc && typeof doc === 'object' && typeof (doc as { client_name?: unknown }).client_name === 'string' ? (doc as { client_name: string }).client_name : null);

export function parseDocument(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return null;
  }
}

/**
 * Every client the server knows: configured (static), recorded by the trust policy (CIMD / registered, with the
 * document as fetched), registered through RFC 7591, or holding a grant (a CIMD client in open mode).
 */
export async function collectClients(ctx: AsContext): Promise<ClientRow[]> {
  const rows = new Map<string, ClientRow>();
  const row = (client_id: string, kind: ClientKind): ClientRow => {
    let r = rows.get(client_id);
    if (!r) rows.set(client_id, (r = { client_id, kind, name: null, trust: null, registered: null, configured: null, live_grants: 0 }));
    return r;
  };
  for (const c of ctx.settings.config.clients) {
    const r = row(c.client_id, 'static');
    r.name = c.client_name ?? null;
    const { client_secret_env: _e, client_secret_file: _f, ...shown } = c; // where the secret lives is not for the page
    r.configured = shown as Record<string, unknown>;
  }
  for (const t of await ctx.store.listClientTrust()) {
    const r = row(t.client_id, t.client_id.startsWith('https://') ? 'cimd' : 'registered');
    r.trust = t;
    r.name ??= nameIn(parseDocument(t.document));
  }
  for (const g of await ctx.store.listRegisteredClients()) {
    const r = row(g.client_id, 'registered');
    r.registered = g;
    r.name ??= nameIn(g.metadata);
  }
  for (const g of await ctx.store.listGrants({})) {
    const r = row(g.client_id, g.client_id.startsWith('https://') ? 'cimd' : 'unknown');
    r.live_grants++;
  }
  return [...rows.values()].sort((a, b) => trustRank(a) - trustRank(b) || a.client_id.localeCompare(b.client_id));
}

/** pending first: what needs an administrator */
const trustRank = (r: ClientRow): number => (r.trust?.status === 'pending' ? 0 : r.kind === 'static' ? 2 : 1);
