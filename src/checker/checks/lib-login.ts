/** Shared by the login-phase checks: the recorded token responses and what was sent in them. */
import type { Exchange, Observations } from '../types.js';
import { jsonBody, jwtParts, one } from '../wire.js';

export function formParam(x: Exchange | undefined, name: string): string | undefined {
  return x?.request.body !== undefined ? (new URLSearchParams(x.request.body).get(name) ?? undefined) : undefined;
}

/** The access token of a recorded token response, decoded when it is a JWT. */
export function issuedJwt(obs: Observations, key = 'login.token'): ReturnType<typeof jwtParts> {
  return jwtParts(jsonBody(one(obs, key))?.access_token);
}

export function oauthError(x: Exchange | undefined): string | undefined {
  const e = jsonBody(x)?.error;
  return typeof e === 'string' ? e : undefined;
}

export const status = (x: Exchange | undefined): string => String(x?.response?.status ?? x?.error ?? 'no response');
