import type { Settings } from '../config/resolve.js';
import type { Clock } from '../core/time.js';
import type { Logger } from '../core/log.js';
import type { Store } from '../store/types.js';
import type { ClientResolver } from './clients/types.js';
import type { KeyRing } from './keys.js';
import type { JwksFetcher } from './client-auth.js';
import type { AuditLog } from '../audit/index.js';
import type { RateLimits } from './rate-limits/index.js';
import type { Metrics } from '../server/ops/metrics.js';
import { TOKEN_EXCHANGE_GRANT } from '../config/idjag-issuance-schema.js';
import { JWT_BEARER_GRANT_TYPE } from './idjag/constants.js';

/** Everything an AS endpoint needs, passed in (no globals): store, keys, clients, clock, log. */
export interface AsContext {
  settings: Settings;
  store: Store;
  keys: KeyRing;
  clients: ClientResolver;
  clock: Clock;
  log: Logger;
  /** fetches a client's jwks_uri (CIMD clients through the safe fetch) */
  fetchJwks: JwksFetcher;
  /** the audit log: security events are awaited (written synchronously, ARCHITECTURE "Audit") */
  audit: Pick<AuditLog, 'record' | 'recordBatched'>;
  /** called after a grant is revoked so the gateway's revoked-grant set is updated at once */
  onGrantRevoked(grantId: string): void;
  /** issue 6: rate limits (the runtime's, possibly Redis-backed); absent: per-context in-memory ones (rateLimitsOf) */
  rateLimits?: RateLimits;
  /** issue 6: Prometheus counters (tokens issued by grant, denials by reason); absent in embedded uses and tests */
  metrics?: Pick<Metrics, 'tokenIssued' | 'denied'>;
}

/** RFC 8628 §3.4: the device authorization grant's wire string (src/as/grants/device_code.ts) */
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
/** grant types this AS implements (a client's declared grant_types are intersected with these) */
export const SUPPORTED_GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials', DEVICE_CODE_GRANT, TOKEN_EXCHANGE_GRANT, JWT_BEARER_GRANT_TYPE] as const;
/** grants only a pre-registered (static) confidential client may use: never granted to CIMD or registered clients */
export const STATIC_ONLY_GRANT_TYPES: readonly string[] = ['client_credentials', TOKEN_EXCHANGE_GRANT];
/** what a CIMD document or a registration's grant_types is intersected with */
export const CLIENT_METADATA_GRANT_TYPES: readonly string[] = SUPPORTED_GRANT_TYPES.filter((g) => !STATIC_ONLY_GRANT_TYPES.includes(g));
export const SUPPORTED_AUTH_METHODS = ['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const;
export const CLIENT_ASSERTION_ALGS = ['ES256', 'ES384', 'RS256', 'PS256', 'EdDSA'] as const;
