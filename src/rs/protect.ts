import type { ProtectedResource } from '../config/resolve.js';
import { jsonResponse } from '../core/errors.js';
import { systemClock } from '../core/time.js';
import { wellKnownUrl } from '../core/urls.js';
import { readCappedBody } from '../core/body.js';
import { checkMessages, policyFor } from '../gateway/policy.js';
import { jsonRpcErrorResponse, parseJsonRpcBody, PARSE_ERROR, INVALID_REQUEST, responseId, SERVER_ERROR } from '../gateway/jsonrpc.js';
import { extractBearer } from './bearer.js';
import { rsErrorResponse } from './challenge.js';
import { createIntrospector, type Introspector } from './introspection.js';
import { createIssuerKeys, IssuerUnavailable } from './issuer.js';
import { prmHandler } from './metadata.js';
import { resolveOptions, type ResolvedOptions, type ResourceServerOptions } from './options.js';
import { createRevocationList, type RevocationList } from './revocation-list.js';
import { createAccessTokenVerifier, TokenRejected } from './verify.js';

/**
 * `createResourceServer`: the whole resource-server side of MCP authorization for an MCP server that serves its
 * own HTTP, web `Request` in, verdict or challenge `Response` out. Frameworks are adapted in ./adapters/.
 *
 * In order: RFC 9728 metadata at the path-inserted well-known URL (`prm`); the bearer token from the header only
 * (RFC 6750 §2.1, MCP "Token Requirements"); a JWT verified against the issuer's JWKS (RFC 9068 §4: typ, iss,
 * aud = `resource`, exp) or an opaque token introspected (RFC 7662); revocation (polled list or introspection);
 * then per-tool scopes on the JSON-RPC body (MCP "Runtime Insufficient Scope Errors").
 */

/** who is calling, once every check passed */
export interface Identity {
  sub: string;
  client_id: string;
  scopes: string[];
  /** the verified token's claims (or the introspection answer for an opaque token) */
  claims: Record<string, unknown>;
  /** seconds since the epoch, when known */
  exp: number | undefined;
}

/** the official MCP SDK's AuthInfo (server/auth/types), which its server transports hand to tool handlers */
export interface SdkAuthInfo {
  token: string;
  clientId: string;
  scopes: string[];
  expiresAt?: number;
  resource?: URL;
  extra?: Record<string, unknown>;
}

export type Verdict =
  | {
      ok: true;
      identity: Identity;
      /** the same, in the shape the SDK's transports read from `req.auth` / `{ authInfo }` */
      authInfo: SdkAuthInfo;
      /** the JSON body the policy checked (POST only): pass it on as the SDK's `parsedBody` */
      parsedBody: unknown;
    }
  | { ok: false; response: Response };

export interface ResourceServer {
  /** this server's resource identifier and metadata URL */
  readonly resource: string;
  readonly resourceMetadataUrl: string;
  /** the PRM response when `req` asks for this resource's metadata, else null */
  prm(req: Request): Response | null;
  /** the verdict on one MCP request (reads the body of a POST) */
  handle(req: Request): Promise<Verdict>;
  /** resolves once the issuer's metadata and keys (and the revocation list) could be fetched: call at start to fail fast */
  ready(): Promise<void>;
  /**
   * Whether `identity` may see and call the tool (prompt, MCP resource) `name` under this server's policy: for
   * filtering tools/list in the server, as the gateway does (ARCHITECTURE "Wire revisions").
   */
  allows(identity: Pick<Identity, 'scopes'>, kind: 'tool' | 'prompt' | 'resource', name: string): boolean;
  /** stops the revocation poller */
  close(): void;
}

export type { ResourceServerOptions, RsDecisionEvent } from './options.js';

/** a ProtectedResource for the gateway's policy and metadata code (the embedded server has no upstream) */
function asProtectedResource(o: ResolvedOptions, metadataUrl: string): ProtectedResource {
  return {
    id: o.resource,
    path: new URL(o.resource).pathname,
    metadataUrl,
    metadataPath: new URL(metadataUrl).pathname,
    upstream: undefined,
    name: o.resourceName ?? '',
    scopes: o.scopes,
    tools: o.tools,
    prompts: o.prompts,
    mcpResources: o.mcpResources,
    scopeImplies: o.scopeImplies,
    unlisted: o.unlisted,
  };
}

const unavailable = (): Response => {
  const res = jsonResponse({ error: 'temporarily_unavailable', error_description: 'The authorization server cannot be reached; try again shortly' }, 503, { 'cache-control': 'no-store', 'retry-after': '2' });
  return res;
};

export function createResourceServer(options: ResourceServerOptions): ResourceServer {
  const o = resolveOptions(options);
  const metadataUrl = wellKnownUrl(o.resource, 'oauth-protected-resource');
  const resource = asProtectedResource(o, metadataUrl);
  const serveMetadata = prmHandler(resource, o.issuer);
  const challengeBase = { resourceMetadataUrl: metadataUrl, scope: o.scopes };
  const issuerKeys = createIssuerKeys(o.issuer, { cooldownMs: o.jwksCooldownMs });
  const credentials = o.credentials;
  const introspectionEndpoint = async (): Promise<string> => {
    const m = await issuerKeys.metadata();
    if (!m.introspection_endpoint) throw new IssuerUnavailable('the authorization server publishes no introspection_endpoint');
    return m.introspection_endpoint;
  };
  const introspector: Introspector | undefined =
    credentials && (o.introspection || o.revocation.mode === 'introspection')
      ? createIntrospector({
          endpoint: introspectionEndpoint,
          ...credentials,
          resource: o.resource,
          issuer: o.issuer,
          // revocation by introspection is honoured within the poll interval; opaque tokens alike
          cacheMs: o.revocation.mode === 'introspection' ? o.revocation.intervalMs : 1000,
          skewSeconds: o.clockSkewSeconds,
        })
      : undefined;
  const revocation = o.revocation;
  const revocationList: RevocationList | undefined =
    revocation.mode === 'poll' && credentials
      ? createRevocationList({
          endpoint: async () => revocation.endpoint ?? `${o.issuer}/revoked-grants`,
          ...credentials,
          intervalMs: revocation.intervalMs,
          maxStalenessMs: revocation.maxStalenessMs,
        })
      : undefined;
  const verifier = createAccessTokenVerifier({
    issuer: o.issuer,
    getKey: issuerKeys.getKey,
    clock: systemClock,
    skewSeconds: o.clockSkewSeconds,
    algorithms: o.algorithms,
    ...(revocationList ? { isGrantRevoked: (id: string) => revocationList.isRevoked(id) } : {}),
  });

  const refuse = (event: Parameters<ResolvedOptions['onDecision']>[0], response: Response): Verdict => {
    o.onDecision(event);
    return { ok: false, response };
  };

  /** the token's identity, or why not */
  async function authenticate(token: string): Promise<Identity | { rejected: string }> {
    // RFC 7515 §7.1: a JWS compact serialisation has exactly three parts; anything else is opaque to us
    const isJwt = token.split('.').length === 3;
    if (!isJwt) {
      if (!o.introspection || !introspector) return { rejected: 'opaque token and introspection is off' };
      const r = await introspector.introspect(token);
      if (!r.active) return { rejected: `introspection: ${r.reason}` };
      return { sub: r.token.sub, client_id: r.token.client_id, scopes: r.token.scope, claims: r.token.claims, exp: r.token.exp };
    }
    try {
      // the audience is always this resource: there is no code path without it (RFC 9068 §4, RFC 8707)
      const c = await verifier.verify(token, o.resource);
      if (revocation.mode === 'introspection') {
        const r = await introspector!.introspect(token);
        if (!r.active) return { rejected: `introspection: ${r.reason}` };
      }
      return { sub: c.sub, client_id: c.client_id, scopes: c.scope, claims: c.payload, exp: c.exp };
    } catch (e) {
      if (e instanceof TokenRejected) return { rejected: e.reason };
      throw e;
    }
  }

  return {
    resource: o.resource,
    resourceMetadataUrl: metadataUrl,
    prm(req) {
      return new URL(req.url).pathname === resource.metadataPath ? serveMetadata(req) : null;
    },
    async ready() {
      await issuerKeys.load();
      if (revocationList) await revocationList.start();
    },
    close() {
      revocationList?.close();
    },
    allows(identity, kind, name) {
      return policyFor(resource).permits(kind, name, identity.scopes);
    },
    async handle(req) {
      // MCP "Token Requirements" / RFC 6750 §2.1: the header only; query and form tokens are refused (400)
      const bearer = extractBearer(req);
      if (bearer.kind === 'none') return refuse({ type: 'no_credentials' }, rsErrorResponse({ kind: 'no_credentials', ...challengeBase }));
      if (bearer.kind === 'invalid') {
        return refuse({ type: 'invalid_request', reason: bearer.reason }, rsErrorResponse({ kind: 'invalid_request', resourceMetadataUrl: metadataUrl, description: bearer.description }));
      }
      let who: Identity | { rejected: string };
      try {
        who = await authenticate(bearer.token);
      } catch (e) {
        // the key source, introspection or revocation list is unavailable: not the token's fault, and not a pass
        return refuse({ type: 'unavailable', reason: e instanceof Error ? e.message : String(e) }, unavailable());
      }
      if ('rejected' in who) {
        // the reason is for logs; the wire says only invalid_token (ARCHITECTURE "Two error channels")
        return refuse({ type: 'invalid_token', reason: who.rejected }, rsErrorResponse({ kind: 'invalid_token', ...challengeBase, description: 'The access token is invalid' }));
      }
      const ids = { sub: who.sub, client_id: who.client_id };

      let parsedBody: unknown = undefined;
      if (req.method === 'POST') {
        const bytes = await readCappedBody(req, o.maxBodyBytes);
        if (bytes === 'too_large') return refuse({ type: 'invalid_request', reason: 'body too large', ...ids }, jsonRpcErrorResponse(413, INVALID_REQUEST, `Request body larger than ${o.maxBodyBytes} bytes`));
        const parsed = parseJsonRpcBody(bytes);
        // per-tool policy applies to every message: nothing we could not inspect may pass
        if (parsed.kind === 'invalid') return refuse({ type: 'invalid_request', reason: 'unparseable body', ...ids }, jsonRpcErrorResponse(400, PARSE_ERROR, 'Parse error'));
        if (parsed.kind === 'json') {
          parsedBody = parsed.value;
          const decision = checkMessages(parsed.messages, { resource, scopes: who.scopes });
          if (!decision.allow) {
            const tools = decision.denied.map((d) => d.name ?? d.method);
            if (decision.forbidden) {
              return refuse({ type: 'forbidden', tools, ...ids }, jsonRpcErrorResponse(403, SERVER_ERROR, 'Forbidden: not permitted by the resource policy', responseId(parsed)));
            }
            // MCP "Runtime Insufficient Scope Errors": 403 naming every scope the request needs (step-up)
            return refuse(
              { type: 'insufficient_scope', tools, ...ids },
              rsErrorResponse({ kind: 'insufficient_scope', scope: decision.requiredScopes, resourceMetadataUrl: metadataUrl, description: 'The access token lacks a scope this request needs' }),
            );
          }
        }
      }
      o.onDecision({ type: 'allowed', ...ids });
      const authInfo: SdkAuthInfo = {
        token: bearer.token,
        clientId: who.client_id,
        scopes: who.scopes,
        ...(who.exp !== undefined ? { expiresAt: who.exp } : {}),
        resource: new URL(o.resource),
        extra: { sub: who.sub, claims: who.claims },
      };
      return { ok: true, identity: who, authInfo, parsedBody };
    },
  };
}
