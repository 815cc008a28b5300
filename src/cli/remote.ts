import { readFileSync } from 'node:fs';
import { ADMIN_API_PATH } from '../admin/api/index.js';
import { UsageError } from './main.js';

/** `--remote URL` (the issuer of a running Portcullis) and `--token-file FILE` (else PORTCULLIS_ADMIN_TOKEN) */
export const REMOTE_OPTIONS = { remote: { type: 'string' }, 'token-file': { type: 'string' } } as const;

export interface Remote {
  /** `${issuer}/admin/api/v1` */
  api: string;
  token: string;
}

/** A failed admin API call, already worded for the operator. */
export class RemoteError extends Error {}

/** null for local mode; a Remote when --remote is given (issue 3 item 7: the CLI drives a remote Portcullis) */
export function remoteFrom(values: { remote?: string; 'token-file'?: string }, env: NodeJS.ProcessEnv = process.env): Remote | null {
  if (values.remote === undefined) {
    if (values['token-file'] !== undefined) throw new UsageError('--token-file needs --remote URL');
    return null;
  }
  if (!URL.canParse(values.remote) || !/^https?:$/.test(new URL(values.remote).protocol)) throw new UsageError('--remote takes the http(s) URL of a Portcullis issuer');
  let token: string | undefined;
  if (values['token-file'] !== undefined) {
    try {
      token = readFileSync(values['token-file'], 'utf8').trim();
    } catch (e) {
      throw new UsageError(`--token-file: cannot read ${values['token-file']}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  } else {
    token = env.PORTCULLIS_ADMIN_TOKEN?.trim();
  }
  if (!token) throw new UsageError('--remote needs an admin access token: set PORTCULLIS_ADMIN_TOKEN or give --token-file FILE');
  return { api: `${values.remote.replace(/\/+$/, '')}${ADMIN_API_PATH}`, token };
}

/** one admin API call; JSON in and out; a refusal becomes a RemoteError carrying the server's error */
export async function callApi<T>(remote: Remote, method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${remote.api}/${path}`, {
      method,
      headers: { authorization: `Bearer ${remote.token}`, accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (e) {
    throw new RemoteError(`cannot reach ${remote.api}: ${(e as Error).message}`);
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new RemoteError(`${remote.api}/${path} answered ${res.status} without JSON`);
  }
  if (!res.ok) {
    const err = json as { error?: string; error_description?: string };
    throw new RemoteError(`${res.status} ${err.error ?? 'error'}${err.error_description ? `: ${err.error_description}` : ''}`);
  }
  return json as T;
}

/** runs a remote command: RemoteError → message on stderr, exit 1 */
export async function remotely(run: () => Promise<void>): Promise<number> {
  try {
    await run();
    return 0;
  } catch (e) {
    if (!(e instanceof RemoteError)) throw e;
    console.error(`portcullis: ${e.message}`);
    return 1;
  }
}
