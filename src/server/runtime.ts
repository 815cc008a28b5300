import { serve, type ServerType } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import { resolveSettings, type Settings } from '../config/resolve.js';
import { ConfigError } from '../core/errors.js';
import { issuanceEnabled } from '../config/idjag-issuance-schema.js';
import { createLogger, type Logger } from '../core/log.js';
import { loadMasterSecret } from '../core/secret.js';
import { systemClock, type Clock } from '../core/time.js';
import { AuditLog, defaultCheckpointFile, deriveAuditKeys, type AuditLogOptions } from '../audit/index.js';
import { createClientResolver, createJwksFetcher } from '../as/clients/index.js';
import type { AsContext } from '../as/context.js';
import { KeyRing } from '../as/keys.js';
import { createGateway } from '../gateway/proxy.js';
import { createUpstreamIdentity } from '../gateway/identity.js';
import { ownAccessTokenVerifier } from '../as/own-token-verifier.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/types.js';
import { createApp, type Gateway } from './app.js';
import { RevokedGrants } from './revoked-grants.js';
import { createRateLimits } from '../as/rate-limits/index.js';
import { createMetrics, type Metrics } from './ops/metrics.js';
import { createDrainer, type DrainResult } from './ops/shutdown.js';
import { applyRequestTimeouts } from './timeouts.js';

export interface RuntimeOptions {
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
  log?: Logger;
  /** audit log tuning (checkpoint file, intervals); default file `<data_dir>/audit-checkpoints.jsonl` */
  audit?: Partial<Omit<AuditLogOptions, 'store' | 'keys' | 'clock' | 'log'>>;
}

export interface Runtime {
  settings: Settings;
  store: Store;
  /** the audit log (ARCHITECTURE "Audit"); closed with the runtime */
  audit: AuditLog;
  /** the URL actually listened on (port resolved when 0) */
  listenUrl: string;
  /** issue 6: this runtime's Prometheus registry and counters */
  metrics: Metrics;
  /** graceful stop: not ready, stop accepting, drain in-flight requests and streams (default config.shutdown_grace_s), then close */
  shutdown(graceMs?: number): Promise<DrainResult>;
  /** immediate stop: open connections are closed at once */
  close(): Promise<void>;
}

/** Builds every part from one Config and starts listening. Misconfiguration throws ConfigError before binding. */
export async function startRuntime(config: Config, opts: RuntimeOptions = {}): Promise<Runtime> {
  const env = opts.env ?? process.env;
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? createLogger();
  const metrics = createMetrics();
  let draining = false;
  const settings = resolveSettings(config);
  // issue 4: an instance that is only the company IdP (it issues ID-JAGs) protects no MCP server itself
  if (settings.resources.length === 0 && !issuanceEnabled(config)) {
    throw new ConfigError('resources', 'nothing to protect: give --upstream URL, --demo, or resources in the config file (with upstream, upstream_stdio, or resource: the URL of an MCP server using portcullis/resource-server, for AS-only mode)');
  }
  // issue 7 item 3: upstream identity secrets read (and missing ones reported) before anything opens
  const identities = settings.resources.map((r, i) => createUpstreamIdentity(r, i, { issuer: settings.issuer, clock, env, signingKey: () => keys.signingKey() }));
  // issue 6 item 4: in memory, or shared through Redis (connected before listening; bad options fail here, before anything opens)
  const rateLimits = await createRateLimits(config, { clock, log });
  const secret = loadMasterSecret(config.data_dir, env);
  if (secret.source === 'generated' && !config.demo) {
    log.warn(`generated a master secret in ${join(config.data_dir, 'secret')}; production must set PORTCULLIS_SECRET or PORTCULLIS_SECRET_FILE`);
  }
  const store = await openStore(config.store ?? `sqlite:${join(config.data_dir, 'portcullis.db')}`);
  await store.migrate();
  const keys = new KeyRing(store, secret.key, clock);
  await keys.init();
  keys.start(config.keys.reload_s * 1000); // issue 6: keys rotated on any instance are published here too
  const audit = new AuditLog({
    store,
    keys: deriveAuditKeys(secret.key),
    clock,
    log,
    checkpointFile: defaultCheckpointFile(config.data_dir),
    ...opts.audit,
  });

  const revoked = new RevokedGrants(store, clock, (config.tokens.access_token_ttl + config.tokens.clock_skew) * 1000);
  await revoked.start();

  // every client-supplied URL fetched (CIMD documents, their jwks_uri) is logged and audited (issue 2, issue 3 "Audit")
  const fetchLog = (event: Record<string, unknown>) => {
    log.info({ event: 'cimd_fetch', ...event }, 'client metadata fetch');
    const outcome: 'ok' | 'refused' | 'invalid' | 'error' = event.outcome === 'ok' ? 'ok' : event.outcome === 'address_blocked' || event.outcome === 'redirect_refused' || event.outcome === 'scheme_not_allowed' ? 'refused' : event.outcome === 'document_invalid' ? 'invalid' : 'error';
    metrics.cimdFetch(outcome);
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
    const data = { url: String(event.url ?? ''), address: str(event.address) ?? null, outcome, status: num(event.status), reason: outcome === 'ok' ? undefined : str(event.outcome), bytes: num(event.bytes), ms: num(event.ms) } as const;
    audit.record('client.fetch', JSON.parse(JSON.stringify(data)) as typeof data).catch((err: unknown) => log.error({ err }, 'audit write failed'));
  };
  const clients = createClientResolver(config, { dev: settings.dev, clock, log: fetchLog, store });
  const ctx: AsContext = {
    settings,
    store,
    keys,
    clients,
    clock,
    log,
    fetchJwks: createJwksFetcher(config, { dev: settings.dev, log: fetchLog }),
    onGrantRevoked: (id) => revoked.add(id),
    audit,
    metrics,
    rateLimits,
  };

  const verifier = ownAccessTokenVerifier(ctx, (id) => revoked.has(id));
  const gateways = new Map<string, Gateway & { close(): Promise<void> }>();
  settings.resources.forEach((resource, i) => {
    if (resource.upstream || resource.upstreamStdio) gateways.set(resource.id, createGateway({ settings, resource, verifier, log, audit, metrics, identity: identities[i], env }));
  });
  const checks = { store: () => store.ping(), keys: () => void keys.signingKey(), draining: () => draining };
  const app = createApp(ctx, gateways, { config, metrics, log, checks });

  const purge = setInterval(() => void store.purgeExpired(clock()).catch((err) => log.error({ err }, 'purge failed')), 60_000);
  purge.unref();

  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(s));
    s.once('error', reject);
  });
  applyRequestTimeouts(server as Server); // issue 10: slow clients (slowloris) are cut off
  const drainer = createDrainer(server as Server);
  const addr = server.address() as AddressInfo;
  let stopping: Promise<DrainResult> | undefined;
  const shutdown = (graceMs = config.shutdown_grace_s * 1000): Promise<DrainResult> => {
    stopping ??= (async () => {
      draining = true; // /readyz answers 503 from here on
      log.info({ event: 'shutdown', grace_ms: graceMs, in_flight: drainer.inFlight() }, 'shutting down: draining');
      const result = await drainer.drain(graceMs);
      log[result.drained ? 'info' : 'warn']({ event: 'shutdown', ...result }, result.drained ? 'drained' : 'drain grace ended: connections closed');
      clearInterval(purge);
      revoked.stop();
      keys.stop();
      await Promise.all([...gateways.values()].map((g) => g.close().catch((err: unknown) => log.error({ err }, 'gateway close failed'))));
      await audit.close().catch((err: unknown) => log.error({ err }, 'audit log close failed'));
      await store.close();
      await rateLimits.close().catch((err: unknown) => log.error({ err }, 'rate limits close failed'));
      return result;
    })();
    return stopping;
  };
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    settings,
    store,
    audit,
    listenUrl: `http://${host}:${addr.port}`,
    metrics,
    shutdown,
    close: async () => {
      drainer.cut();
      await shutdown(0);
    },
  };
}
