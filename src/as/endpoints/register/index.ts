import { readCappedBody } from '../../../core/body.js';
import { ConfigError, noStoreJson, OAuthError, oauthErrorResponse } from '../../../core/errors.js';
import { constantTimeEqual, randomToken, sha256 } from '../../../core/random.js';
import { configSchema, type Config, type RegistrationConfig } from '../../../config/schema.js';
import type { Settings } from '../../../config/resolve.js';
import { DCR_CLIENT_ID_PREFIX } from '../../clients/dcr.js';
import { CLIENT_METADATA_GRANT_TYPES, type AsContext } from '../../context.js';
import { hostVerdict, trustSettings } from '../../trust/policy.js';
import { validateRegistration } from './validate.js';

const MAX_BODY_BYTES = 16 * 1024;
const DAY_MS = 24 * 3600_000;

/** `ip`: the client address (trusted proxies applied), for the log */
export type RegisterHandler = (req: Request, ip: string) => Promise<Response>;

/** The registration section with every default applied. */
export function registrationSettings(config: Pick<Config, 'registration'>): RegistrationConfig {
  return configSchema.shape.registration.unwrap().parse(config.registration ?? {});
}

/** RFC 8414 §2 registration_endpoint, only when registration is on. */
export function registrationEndpointUrl(settings: Settings): string | null {
  return registrationSettings(settings.config).enabled ? `${settings.issuer}/register` : null;
}

/**
 * RFC 7591 Dynamic Client Registration as a controlled exception (MCP deprecates it in favour of CIMD):
 * null when registration is off (no route: 404). Reads the initial access token once, failing at start-up
 * naming the option when it is required but missing.
 */
export function createRegisterEndpoint(ctx: AsContext, env: NodeJS.ProcessEnv = process.env): RegisterHandler | null {
  const reg = registrationSettings(ctx.settings.config);
  if (!reg.enabled) return null;
  let tokenHash: string | null = null;
  if (reg.require_initial_access_token) {
    const name = reg.initial_access_token_env;
    if (!name) throw new ConfigError('registration.initial_access_token_env', 'require_initial_access_token needs the name of the env variable holding the token');
    const value = env[name];
    if (!value) throw new ConfigError('registration.initial_access_token_env', `environment variable ${name} is not set or empty`);
    tokenHash = sha256(value);
  }
  const trust = trustSettings(ctx.settings.config);

  return async (req, ip) => {
    try {
      if (req.method !== 'POST') throw new OAuthError('invalid_request', 'the registration endpoint accepts POST only');
      // issues 3 and 6: the per-IP rate limit runs at the edge, before this (server/rate-limit.ts)
      if (tokenHash !== null) checkInitialAccessToken(req.headers.get('authorization'), tokenHash);
      const type = (req.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      // RFC 7591 §3.1: the request is a JSON document
      if (type !== 'application/json') throw new OAuthError('invalid_client_metadata', 'content-type must be application/json');
      const bytes = await readCappedBody(req, MAX_BODY_BYTES);
      if (bytes === 'too_large') throw new OAuthError('invalid_client_metadata', `the request body is larger than ${MAX_BODY_BYTES} bytes`);
      let json: unknown;
      try {
        json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
      } catch {
        throw new OAuthError('invalid_client_metadata', 'the request body is not valid JSON');
      }
      const metadata = validateRegistration(json, { allowedRedirectHosts: reg.allowed_redirect_hosts, supportedGrantTypes: CLIENT_METADATA_GRANT_TYPES, dev: ctx.settings.dev });
      // issue 3: registered clients are judged by their redirect URI hosts; refuse now what could never be used
      const hosts = [...new Set(metadata.redirect_uris.map((u) => new URL(u).hostname))];
      const hv = hostVerdict(trust, hosts);
      if ((hv !== 'unknown' && hv.kind === 'denied') || (hv === 'unknown' && trust.mode === 'allowlist')) {
        throw new OAuthError('invalid_redirect_uri', 'a redirect URI host is not allowed on this server');
      }

      const now = ctx.clock();
      const expires_at = now + reg.client_ttl_days * DAY_MS;
      // CIMD §6.9: our own client_ids never start with https://
      const client_id = `${DCR_CLIENT_ID_PREFIX}${randomToken(16)}`;
      const secret = metadata.token_endpoint_auth_method === 'client_secret_basic' || metadata.token_endpoint_auth_method === 'client_secret_post' ? randomToken(32) : null;
      await ctx.store.createRegisteredClient({ client_id, client_secret_hash: secret === null ? null : sha256(secret), metadata, client_id_issued_at: now, expires_at });
      ctx.log.info({ event: 'client_registered', client_id, ip, application_type: metadata.application_type, method: metadata.token_endpoint_auth_method, redirect_hosts: hosts }, 'client registered');
      await ctx.audit.record('client.registered', { method: 'dcr', client_name: typeof metadata.client_name === 'string' ? metadata.client_name : null, redirect_uris: metadata.redirect_uris }, { client_id });
      const seconds = (ms: number): number => Math.floor(ms / 1000);
      // RFC 7591 §3.2.1: 201 with client_id, the secret (shown once; stored hashed), and the registered metadata
      return noStoreJson(
        {
          client_id,
          client_id_issued_at: seconds(now),
          // not in RFC 7591: when the registration itself stops working (registration.client_ttl_days)
          client_id_expires_at: seconds(expires_at),
          ...(secret === null ? {} : { client_secret: secret, client_secret_expires_at: seconds(expires_at) }),
          ...metadata,
        },
        201,
      );
    } catch (e) {
      if (e instanceof OAuthError) {
        ctx.log.info({ event: 'registration_refused', ip, error: e.code, reason: e.internal ?? e.description }, 'registration refused');
        const challenge = e.code === 'invalid_token' ? { 'www-authenticate': `Bearer realm="portcullis"${e.internal === 'missing' ? '' : ', error="invalid_token"'}` } : undefined;
        return oauthErrorResponse(e, challenge ? { extraHeaders: challenge } : {});
      }
      throw e;
    }
  };
}

/** RFC 7591 §3 / RFC 6750 §2.1: `Authorization: Bearer <initial access token>`, compared in constant time. */
function checkInitialAccessToken(header: string | null, expectedHash: string): void {
  const m = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i.exec(header ?? '');
  if (!m) throw new OAuthError('invalid_token', 'an initial access token is required', 'missing');
  // both sides hashed: equal lengths, so the comparison time says nothing about the token
  if (!constantTimeEqual(sha256(m[1]!), expectedHash)) throw new OAuthError('invalid_token', 'the initial access token is invalid', 'wrong');
}
