import type { ProtectedResource } from '../config/resolve.js';

/** RFC 9728 §2 Protected Resource Metadata, the members Portcullis publishes. */
export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers: string[];
  scopes_supported?: string[];
  bearer_methods_supported: ['header'];
  resource_name?: string;
}

/**
 * RFC 9728 §2 document for one protected resource. `resource` is `resource.id` exactly as configured
 * (never re-serialised: spec-checklist §6 item 2), so it equals the URL the well-known suffix was derived from
 * (RFC 9728 §3.3) and the `aud` of the tokens we issue for it (RFC 8707).
 */
export function protectedResourceMetadata(resource: ProtectedResource, issuer: string): ProtectedResourceMetadata {
  const doc: ProtectedResourceMetadata = {
    resource: resource.id,
    // MCP [DISC] "Authorization Server Location": at least one issuer identifier is mandatory.
    authorization_servers: [issuer],
    bearer_methods_supported: ['header'], // MCP "Token Requirements": never query; body tokens are refused too
  };
  // MCP "Refresh Tokens": offline_access SHOULD NOT be advertised (config refuses it; belt and braces here).
  const scopes = resource.scopes.filter((s) => s !== 'offline_access');
  // RFC 9728 §3.2: parameters with no value MUST be omitted.
  if (scopes.length > 0) doc.scopes_supported = scopes;
  if (resource.name) doc.resource_name = resource.name;
  return doc;
}

/**
 * Headers of every metadata response.
 * - CORS: public metadata must be readable by browser clients from any origin (spec-checklist §2A item 24);
 *   `*` is safe because no credentials are involved, and it needs no `Vary: Origin`.
 * - Caching: `max-age=300` lets clients and shared caches skip a round trip on every connect, while a changed
 *   document (new AS, new scopes) reaches everyone within five minutes; RFC 9728 §5.2 lets us signal a change
 *   sooner with a fresh 401 challenge anyway. Longer would delay an AS move; `no-store` would add a fetch per
 *   connection for a document that changes only with the configuration.
 */
const METADATA_HEADERS = {
  'content-type': 'application/json',
  'cache-control': 'public, max-age=300',
  'access-control-allow-origin': '*',
} as const;

/** RFC 9728 §3.2: 200, application/json, the document as a JSON object. */
export function prmResponse(resource: ProtectedResource, issuer: string): Response {
  return new Response(JSON.stringify(protectedResourceMetadata(resource, issuer)), {
    status: 200,
    headers: METADATA_HEADERS,
  });
}

/**
 * Preflight for the metadata URL. A plain GET is a CORS "simple" request, but the MCP SDKs send
 * `MCP-Protocol-Version` on discovery, which makes browsers preflight.
 */
export function prmPreflightResponse(): Response {
  return new Response(null, {
    status: 204,
    headers: {
      'access-control-allow-origin': '*',
      'access-control-allow-methods': 'GET, OPTIONS',
      'access-control-allow-headers': 'MCP-Protocol-Version, Accept',
      'access-control-max-age': '600',
    },
  });
}

/** Request handler for `resource.metadataPath`: GET/HEAD → document, OPTIONS → preflight, else 405. */
export function prmHandler(resource: ProtectedResource, issuer: string): (req: Request) => Response {
  return (req) => {
    if (req.method === 'GET') return prmResponse(resource, issuer);
    if (req.method === 'HEAD') {
      const res = prmResponse(resource, issuer);
      return new Response(null, { status: res.status, headers: res.headers });
    }
    if (req.method === 'OPTIONS') return prmPreflightResponse();
    return new Response(null, { status: 405, headers: { allow: 'GET, HEAD, OPTIONS', 'access-control-allow-origin': '*' } });
  };
}
