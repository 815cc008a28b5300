import { driveAuthorization } from '../../helpers/browserless.js';
import { basicAuth as basic } from '../../helpers/idjag.js';
import { ISSUER, PUBLIC_CLIENT, REDIRECT, RESOURCE, pkcePair, startHarness, type Harness } from '../../helpers/as-harness.js';
import { hashPassword } from '../../../src/as/passwords.js';
import { TOKEN_EXCHANGE_GRANT } from '../../../src/config/idjag-issuance-schema.js';
import type { ConfigInput } from '../../../src/config/schema.js';
import type { Store } from '../../../src/store/types.js';

/** The company IdP of these tests: Portcullis with two confidential apps allowed to exchange, and one public app. */
export const APP = 'chat-app';
export const APP_SECRET = 'chat-app-secret-0123456789';
export const OTHER = 'other-app';
export const OTHER_SECRET = 'other-app-secret-0123456789';
export const APP_REDIRECT = 'https://chat.example/cb';
export const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';
export const REFRESH_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:refresh_token';
export const ID_JAG_TYPE = 'urn:ietf:params:oauth:token-type:id-jag';
/** the values of /work/shared/fixtures/idjag/draft-token-exchange-request.id_token.http */
export const CHAT_AUDIENCE = 'https://acme.chat.example/';
export const CHAT_RESOURCE = 'https://api.chat.example/';
export const CHAT_AT_TARGET = 'f53f191f9311af35';
/** the values of draft-ai-agent.token-exchange-request.http */
export const AGENT_AUDIENCE = 'https://authorization-server.saas-tool.example/';
export const AGENT_RESOURCE = 'https://api.saas-tool.example/';
export { basic, ISSUER, PUBLIC_CLIENT, REDIRECT, RESOURCE, TOKEN_EXCHANGE_GRANT };

export const PASSWORDS: Record<string, string> = { alice: 'alice-password', bob: 'bob-password-1', carol: 'carol-password-1' };

/** the chat app's client entry; its secret is read from TEST_APP_SECRET (set to APP_SECRET by idpConfig) */
export const APP_CLIENT = {
  client_id: APP,
  client_name: 'Chat app',
  redirect_uris: [APP_REDIRECT],
  token_endpoint_auth_method: 'client_secret_basic',
  client_secret_env: 'TEST_APP_SECRET',
  grant_types: ['authorization_code', 'refresh_token', TOKEN_EXCHANGE_GRANT],
} satisfies NonNullable<ConfigInput['clients']>[number];

export function idpConfig(extra: Partial<ConfigInput> = {}): Partial<ConfigInput> {
  process.env.TEST_APP_SECRET = APP_SECRET;
  process.env.TEST_OTHER_SECRET = OTHER_SECRET;
  return {
    clients: [
      { client_id: PUBLIC_CLIENT, client_name: 'Public test client', redirect_uris: [REDIRECT, 'https://app.example/cb'] },
      APP_CLIENT,
      {
        client_id: OTHER,
        redirect_uris: [APP_REDIRECT],
        token_endpoint_auth_method: 'client_secret_post',
        client_secret_env: 'TEST_OTHER_SECRET',
        grant_types: ['authorization_code', 'refresh_token', TOKEN_EXCHANGE_GRANT],
      },
    ],
    enterprise: {
      idjag_issuance: {
        targets: [
          {
            name: 'chat',
            audience: CHAT_AUDIENCE,
            resources: [CHAT_RESOURCE],
            clients: [{ client_id: APP, client_id_at_target: CHAT_AT_TARGET }],
            roles: ['staff'],
            scopes: ['chat.read', 'chat.history'],
          },
          { name: 'agent', audience: AGENT_AUDIENCE, resources: [AGENT_RESOURCE], clients: [{ client_id: APP }], users: ['bob'], scopes: ['agent.read', 'agent.write'] },
        ],
      },
    },
    ...extra,
  };
}

/** The IdP harness with users alice (staff), bob (staff) and carol (no role). */
export async function startIdp(extra: Partial<ConfigInput> = {}, opts: { store?: Store } = {}): Promise<Harness> {
  const h = await startHarness(idpConfig(extra), opts);
  await h.store.updateUserRoles('user-1', ['staff']);
  await h.store.createUser({ id: 'user-bob', username: 'bob', password_hash: await hashPassword(PASSWORDS.bob!), roles: ['staff'], disabled: false, created_at: h.clock.now });
  await h.store.createUser({ id: 'user-carol', username: 'carol', password_hash: await hashPassword(PASSWORDS.carol!), roles: [], disabled: false, created_at: h.clock.now });
  return h;
}

export const appAuth = (): Record<string, string> => ({ authorization: basic(APP, APP_SECRET) });

export function post(h: Harness, path: string, form: Record<string, string | string[] | undefined>, headers: Record<string, string> = {}): Promise<Response> {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) if (v !== undefined) for (const x of [v].flat()) body.append(k, x);
  return h.request(path, { method: 'POST', body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
}

export interface SignIn {
  status: number;
  body: Record<string, unknown>;
  id_token: string;
  access_token: string;
  refresh_token: string | undefined;
}

/**
 * The employee's SSO into an app: the code flow with scope openid (no resource), driven browserlessly, and the
 * code redeemed by the confidential app (HTTP Basic, or client_secret_post for OTHER).
 */
export async function signIn(h: Harness, o: { username?: string; client_id?: string; scope?: string; nonce?: string; resource?: string } = {}): Promise<SignIn> {
  const username = o.username ?? 'alice';
  const client_id = o.client_id ?? APP;
  const { verifier, challenge } = pkcePair();
  const u = new URL(`${ISSUER}/authorize`);
  const q: Record<string, string | undefined> = {
    response_type: 'code',
    client_id,
    redirect_uri: APP_REDIRECT,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 'st-1',
    scope: o.scope ?? 'openid profile offline_access',
    nonce: o.nonce,
    resource: o.resource,
  };
  for (const [k, v] of Object.entries(q)) if (v !== undefined) u.searchParams.set(k, v);
  const { location } = await driveAuthorization((url, init) => h.request(url, init), u.toString(), { username, password: PASSWORDS[username]! });
  const code = new URL(location).searchParams.get('code');
  if (!code) throw new Error(`no code: ${location}`);
  const form = { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: APP_REDIRECT };
  const res =
    client_id === OTHER
      ? await post(h, '/token', { ...form, client_id: OTHER, client_secret: OTHER_SECRET })
      : await post(h, '/token', form, { authorization: basic(client_id, client_id === APP ? APP_SECRET : '') });
  const body = (await res.json()) as Record<string, unknown>;
  return { status: res.status, body, id_token: body.id_token as string, access_token: body.access_token as string, refresh_token: body.refresh_token as string | undefined };
}

/** A token exchange for an ID-JAG; `form` overrides (undefined removes a parameter). */
export async function exchange(h: Harness, form: Record<string, string | string[] | undefined>, headers: Record<string, string> = appAuth()): Promise<{ res: Response; body: Record<string, unknown> }> {
  const res = await post(
    h,
    '/token',
    {
      grant_type: TOKEN_EXCHANGE_GRANT,
      requested_token_type: ID_JAG_TYPE,
      audience: CHAT_AUDIENCE,
      resource: CHAT_RESOURCE,
      scope: 'chat.read chat.history',
      subject_token_type: ID_TOKEN_TYPE,
      ...form,
    },
    headers,
  );
  return { res, body: (await res.json()) as Record<string, unknown> };
}
