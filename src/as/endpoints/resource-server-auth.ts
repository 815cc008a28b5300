import { OAuthError } from '../../core/errors.js';
import { authenticateClient, type AuthenticatedClient } from '../client-auth.js';
import type { AsContext } from '../context.js';
import type { Params } from '../params.js';

/** invalid_client with the wire kept generic and the reason kept for logs */
const refused = (internal: string): OAuthError => new OAuthError('invalid_client', 'client authentication failed', internal);

/**
 * The caller of an endpoint for resource servers only (/introspect, /revoked-grants): a static client marked
 * `introspection: true` that authenticates with a secret or private_key_jwt (RFC 7662 §2.1: the endpoint MUST require
 * authorization). An unauthenticated caller learns nothing, not even whether its parameters were well formed; invalid
 * credentials, malformed ones included, are invalid_client (RFC 7662 §2.3 → RFC 6749 §5.2).
 */
export async function authenticateResourceServer(ctx: AsContext, req: Request, params: Params, what: string): Promise<AuthenticatedClient> {
  const credentials =
    /^Basic\s/i.test(req.headers.get('authorization') ?? '') || params.has('client_secret') || params.has('client_assertion') || params.has('client_assertion_type');
  if (!credentials) throw refused('no client credentials');
  const auth = await authenticateClient(ctx, req, params).catch((e: unknown) => {
    throw e instanceof OAuthError ? refused(e.internal ?? e.description ?? e.code) : e;
  });
  const client = auth.client;
  const allowed = client.kind === 'static' && ctx.settings.config.clients.some((c) => c.client_id === client.client_id && c.introspection);
  if (auth.method === 'none' || !allowed) throw refused(`client ${client.client_id} may not ${what}`);
  return auth;
}
