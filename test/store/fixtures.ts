import assert from 'node:assert/strict';
import { afterEach, beforeEach } from 'node:test';
import type {
  AuthorizationCodeRecord,
  GrantRecord,
  InteractionRecord,
  RefreshTokenRecord,
  SigningKeyRecord,
  Store,
  UserRecord,
} from '../../src/store/types.js';

/** Record factories for the store contract; every time is relative to T0 so expiry is easy to read. */
export const T0 = 1_750_000_000_000;
export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;

let seq = 0;
export const uid = (prefix: string): string => `${prefix}-${++seq}`;

export const user = (o: Partial<UserRecord> = {}): UserRecord => ({
  id: uid('user'),
  username: uid('alice'),
  password_hash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
  roles: ['user'],
  disabled: false,
  created_at: T0,
  ...o,
});

export const interaction = (o: Partial<InteractionRecord> = {}): InteractionRecord => ({
  id: uid('ia'),
  params: {
    client_id: 'https://client.example/cimd.json',
    client_name: 'Example Client',
    redirect_uri: 'http://127.0.0.1:33418/callback',
    state: 'xyz',
    scope: ['notes:read', 'notes:write'],
    resource: 'https://mcp.example/mcp',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
    nonce: null,
    client_version: 'v1',
    loopback_only: true,
  },
  csrf: uid('csrf'),
  user_id: null,
  created_at: T0,
  expires_at: T0 + 10 * MIN,
  ...o,
});

export const grant = (o: Partial<GrantRecord> = {}): GrantRecord => ({
  id: uid('grant'),
  user_id: 'user-1',
  client_id: 'https://client.example/cimd.json',
  resource: 'https://mcp.example/mcp',
  scope: ['notes:read'],
  created_at: T0,
  // signed in an hour before approving (a remembered consent): unlike created_at, so a mixed-up column shows
  auth_time: T0 - HOUR,
  revoked_at: null,
  revoked_reason: null,
  ...o,
});

export const code = (g: GrantRecord, o: Partial<AuthorizationCodeRecord> = {}): AuthorizationCodeRecord => ({
  code_hash: uid('code'),
  grant_id: g.id,
  client_id: g.client_id,
  user_id: g.user_id,
  redirect_uri: 'http://127.0.0.1:33418/callback',
  code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
  code_challenge_method: 'S256',
  scope: g.scope,
  resource: g.resource,
  nonce: 'n-0S6_WzA2Mj',
  auth_time: T0,
  created_at: T0,
  expires_at: T0 + MIN,
  consumed_at: null,
  ...o,
});

export const refresh = (g: GrantRecord, o: Partial<RefreshTokenRecord> = {}): RefreshTokenRecord => ({
  token_hash: uid('rt'),
  grant_id: g.id,
  client_id: g.client_id,
  user_id: g.user_id,
  scope: g.scope,
  resource: g.resource,
  created_at: T0,
  expires_at: T0 + DAY,
  absolute_expires_at: T0 + 30 * DAY,
  rotated_at: null,
  grace_response: null,
  ...o,
});

export const signingKey = (o: Partial<SigningKeyRecord> = {}): SigningKeyRecord => ({
  kid: uid('kid'),
  alg: 'ES256',
  public_jwk: JSON.stringify({ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }),
  private_jwk_enc: 'sealed:abc',
  created_at: T0,
  activates_at: T0,
  retired_at: null,
  ...o,
});

/** Gives each test a fresh, empty store from `open` and closes it afterwards. */
export function freshStore(open: () => Promise<Store>): () => Store {
  let current: Store | undefined;
  beforeEach(async () => {
    current = await open();
    await current.migrate();
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return () => {
    if (!current) throw new Error('store used outside a test');
    return current;
  };
}

/**
 * After migration 5 over a version-4 store holding grant 'g-old' (created at T0): the old row is kept with
 * auth_time null, and a new grant keeps its auth_time (store.grant.auth-time; both backends).
 */
export async function assertGrantAuthTimeMigrated(store: Pick<Store, 'getGrant' | 'createGrant'>): Promise<void> {
  assert.deepEqual(await store.getGrant('g-old'), { id: 'g-old', user_id: 'u1', client_id: 'c1', resource: 'https://mcp.example/mcp', scope: ['openid'], created_at: T0, auth_time: null, revoked_at: null, revoked_reason: null });
  const g = grant();
  await store.createGrant(g);
  assert.equal((await store.getGrant(g.id))?.auth_time, g.auth_time);
}
