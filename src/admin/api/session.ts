import { json } from './http.js';
import type { Route } from './router.js';

/** GET session: who the API sees; for a browser session also the X-CSRF-Token its unsafe calls must send. */
export const sessionRoutes: Route[] = [
  {
    method: 'GET',
    path: 'session',
    handler: async ({ actor }) =>
      json(
        actor.kind === 'session'
          ? { kind: 'session', username: actor.user.username, roles: actor.user.roles, csrf_token: actor.csrf }
          : { kind: 'token', sub: actor.sub, client_id: actor.client_id },
      ),
  },
];
