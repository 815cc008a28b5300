import { configSchema, type Config, type TrustConfig } from '../../config/schema.js';
import type { Clock } from '../../core/time.js';
import type { ClientTrustRecord, Store } from '../../store/types.js';
import type { OAuthClient } from '../clients/types.js';
import { clientHosts, hostMatches, urlHost } from './hosts.js';

/**
 * Client trust policy (CIMD §3.3 step 2 / §6.8; MCP [SEC] "Trust Policies"; issue 3), applied to CIMD and
 * registered clients after they are resolved, at /authorize and again at /token. In order:
 * 1. a denied host (config) → denied; 2. an administrator's denial of this client_id → denied;
 * 3. every host trusted → allowed; 4. by mode: open → allowed; allowlist → denied;
 * review → allowed only when an administrator approved exactly this document version, else pending
 * (a pending record with the document snapshot is written on first sight and on every new version).
 */
export type TrustVerdict =
  | { kind: 'allowed'; reason: 'static' | 'trusted_host' | 'open' | 'approved' }
  | { kind: 'denied'; reason: 'denied_host' | 'not_trusted' | 'admin_denied' }
  | { kind: 'pending'; reason: 'new' | 'document_changed'; record: ClientTrustRecord };

/** The trust section with every default applied (a Config built without the schema may lack it). */
export function trustSettings(config: Pick<Config, 'trust'>): TrustConfig {
  return configSchema.shape.trust.unwrap().parse(config.trust ?? {});
}

/** From the config alone: denied if any host is denied, allowed if every host is trusted, else 'unknown'. */
export function hostVerdict(trust: TrustConfig, hosts: readonly string[]): TrustVerdict | 'unknown' {
  if (hosts.some((h) => hostMatches(h, trust.denied_hosts))) return { kind: 'denied', reason: 'denied_host' };
  if (hosts.length > 0 && hosts.every((h) => hostMatches(h, trust.trusted_hosts))) return { kind: 'allowed', reason: 'trusted_host' };
  return 'unknown';
}

/**
 * CIMD §3.3 step 2 (check the trust policy, then fetch): a client_id URL that the policy refuses whatever its
 * document says — denied host, or not trusted in allowlist mode — is refused before anything is fetched.
 * Returns the reason, or null when the document is needed to decide.
 */
export function refuseBeforeFetch(trust: TrustConfig, client_id: string): string | null {
  const host = urlHost(client_id);
  if (host === null) return null; // the URL checks report it
  const v = hostVerdict(trust, [host]);
  if (v !== 'unknown') return v.kind === 'denied' ? `host ${host} is denied` : null;
  // an explicit approval can never help in allowlist mode, so the fetch is pointless
  return trust.mode === 'allowlist' ? `host ${host} is not in trusted_hosts` : null;
}

/** Pure decision from config and the stored record; 'review' when the store must record this sighting. */
export function decideTrust(trust: TrustConfig, client: OAuthClient, record: ClientTrustRecord | null): TrustVerdict | 'review' {
  if (client.kind === 'static') return { kind: 'allowed', reason: 'static' };
  const hv = hostVerdict(trust, clientHosts(client));
  if (hv !== 'unknown' && hv.kind === 'denied') return hv;
  if (record?.status === 'denied') return { kind: 'denied', reason: 'admin_denied' };
  if (hv !== 'unknown') return hv;
  switch (trust.mode) {
    case 'open':
      return { kind: 'allowed', reason: 'open' };
    case 'allowlist':
      return { kind: 'denied', reason: 'not_trusted' };
    case 'review':
      return record?.status === 'approved' && record.version === client.version ? { kind: 'allowed', reason: 'approved' } : 'review';
  }
}

/** The verdict once the sighting is recorded (the record may have been decided by another instance meanwhile). */
export function reviewVerdict(record: ClientTrustRecord, client: OAuthClient): TrustVerdict {
  if (record.status === 'denied') return { kind: 'denied', reason: 'admin_denied' };
  if (record.status === 'approved' && record.version === client.version) return { kind: 'allowed', reason: 'approved' };
  // CIMD §6.3: a document that changed since its approval is reviewed again
  return { kind: 'pending', reason: record.decided_version !== null ? 'document_changed' : 'new', record };
}

export class TrustPolicy {
  private readonly trust: TrustConfig;

  constructor(config: Pick<Config, 'trust'>, private readonly store: Store, private readonly clock: Clock) {
    this.trust = trustSettings(config);
  }

  get mode(): TrustConfig['mode'] {
    return this.trust.mode;
  }

  refuseBeforeFetch(client_id: string): string | null {
    return refuseBeforeFetch(this.trust, client_id);
  }

  async evaluate(client: OAuthClient): Promise<TrustVerdict> {
    if (client.kind === 'static') return { kind: 'allowed', reason: 'static' };
    const decided = decideTrust(this.trust, client, await this.store.getClientTrust(client.client_id));
    if (decided !== 'review') return decided;
    const record = await this.store.observeClientTrust({
      client_id: client.client_id,
      document: JSON.stringify(client.document ?? {}),
      version: client.version,
      now: this.clock(),
    });
    return reviewVerdict(record, client);
  }
}

const policies = new WeakMap<object, TrustPolicy>();

/** One policy per AS context (its config, store and clock). */
export function trustPolicy(ctx: { settings: { config: Pick<Config, 'trust'> }; store: Store; clock: Clock }): TrustPolicy {
  let p = policies.get(ctx);
  if (!p) {
    p = new TrustPolicy(ctx.settings.config, ctx.store, ctx.clock);
    policies.set(ctx, p);
  }
  return p;
}
