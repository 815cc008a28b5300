import { OAuthError } from '../../../core/errors.js';
import type { AuthorizationRequestSnapshot } from '../../../store/types.js';
import type { AsContext } from '../../context.js';
import { consentRemembered, issueCode } from '../interaction/grant.js';
import { currentSession } from '../session.js';
import { reauthenticationNeeded } from './check-prompt.js';
import { redirectWithError } from './response.js';

/**
 * OpenID Connect Core §3.1.2.1 prompt=none, answered here without any page, cookie or stored interaction: a code when
 * this browser has a session young enough for max_age and the user approved this client, resource, document version
 * and scopes before; otherwise login_required or consent_required at the client, with state and iss (§3.1.2.6).
 */
export async function silentAuthorization(ctx: AsContext, req: Request, params: AuthorizationRequestSnapshot): Promise<Response> {
  const session = await currentSession(ctx, req);
  const refuse = (code: 'login_required' | 'consent_required', description: string) => {
    ctx.log.info({ event: 'prompt_none_refused', error: code, client_id: params.client_id }, 'prompt=none: a page would be needed');
    return redirectWithError(ctx, params.redirect_uri, new OAuthError(code, description), params.state);
  };
  if (!session || reauthenticationNeeded(params, session.auth_time, ctx.clock(), false)) return refuse('login_required', 'the user must sign in');
  if (!(await consentRemembered(ctx, session.user, params))) return refuse('consent_required', 'the user must approve this application');
  return issueCode(ctx, params, session, false);
}
