import assert from 'node:assert/strict';
import { authorizeUrl, tokenRequest } from '../../as/flow.js';
import { PUBLIC_CLIENT, pkcePair } from '../../helpers/as-harness.js';
import { driveAuthorization } from '../../helpers/browserless.js';
import { ALICE_PASSWORD, type OpsHarness } from '../../server/ops-harness.js';

export const REDIRECT_URI = 'http://127.0.0.1:53111/callback';

/** The authorization code flow for one resource through the real AS, as the public static client and alice. */
export async function tokenFor(h: OpsHarness, resource: string, scope: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const { verifier, challenge } = pkcePair();
  const { location } = await driveAuthorization(h.request, authorizeUrl(challenge, { resource, scope, redirect_uri: REDIRECT_URI }), { username: 'alice', password: ALICE_PASSWORD });
  const code = new URL(location).searchParams.get('code');
  assert.ok(code, `a code: ${location}`);
  const res = await tokenRequest(h.asHarness, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT_URI, client_id: PUBLIC_CLIENT, resource });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** tokenFor, asserting success: the access token */
export async function accessToken(h: OpsHarness, resource: string, scope: string): Promise<string> {
  const r = await tokenFor(h, resource, scope);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.access_token as string;
}
