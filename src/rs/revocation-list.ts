import { IssuerUnavailable } from './issuer.js';

/**
 * The revoked-grant set of an embedded resource server (ARCHITECTURE "Revocation": the middleware keeps the
 * gateway's promise through a polled list): every `intervalMs` it asks the AS's revoked-grants endpoint
 * (src/as/endpoints/revoked-grants) for grants revoked since its last answer. When no poll has succeeded for
 * `maxStalenessMs`, `check` throws IssuerUnavailable: a resource server that cannot know about revocations
 * refuses rather than accepts (fail closed).
 */
export interface RevocationList {
  /** resolves whether the grant is revoked; throws IssuerUnavailable when the list is stale */
  isRevoked(grantId: string): Promise<boolean>;
  /** first poll (also started by the first isRevoked) */
  start(): Promise<void>;
  close(): void;
}

const TIMEOUT_MS = 5000;

export function createRevocationList(o: {
  endpoint: () => Promise<string>;
  clientId: string;
  clientSecret: string;
  intervalMs: number;
  maxStalenessMs: number;
  now?: () => number;
}): RevocationList {
  const now = o.now ?? Date.now;
  const revoked = new Map<string, number>();
  let since: number | undefined; // the AS's clock, as it last answered
  let lastOk = -Infinity;
  let retainMs = 24 * 3600_000;
  let timer: NodeJS.Timeout | undefined;
  let first: Promise<void> | undefined;
  let inflight: Promise<void> | undefined;
  const auth = `Basic ${Buffer.from(`${encodeURIComponent(o.clientId)}:${encodeURIComponent(o.clientSecret)}`).toString('base64')}`;

  const poll = (): Promise<void> => {
    inflight ??= (async () => {
      try {
        const body = new URLSearchParams(since === undefined ? {} : { since: String(since) });
        let res: Response;
        try {
          res = await fetch(await o.endpoint(), {
            method: 'POST',
            headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
            body,
            redirect: 'error',
            signal: AbortSignal.timeout(TIMEOUT_MS),
          });
        } catch (e) {
          throw new IssuerUnavailable(`revoked-grants poll failed: ${e instanceof Error ? e.message : String(e)}`);
        }
        const text = await res.text();
        if (res.status !== 200) throw new IssuerUnavailable(`revoked-grants endpoint answered ${res.status}`);
        const doc = JSON.parse(text) as { revoked_grants?: unknown; as_of?: unknown; retain_seconds?: unknown };
        if (!Array.isArray(doc.revoked_grants) || typeof doc.as_of !== 'number') throw new IssuerUnavailable('revoked-grants answer is malformed');
        const t = now();
        for (const id of doc.revoked_grants) if (typeof id === 'string' && !revoked.has(id)) revoked.set(id, t);
        if (typeof doc.retain_seconds === 'number' && doc.retain_seconds > 0) retainMs = doc.retain_seconds * 1000;
        for (const [id, at] of revoked) if (t - at > retainMs) revoked.delete(id);
        // overlap by a second so a revocation committed while the AS answered is not missed
        since = doc.as_of - 1000;
        lastOk = t;
      } finally {
        inflight = undefined;
      }
    })();
    return inflight;
  };

  const start = (): Promise<void> => {
    if (!first) {
      first = poll();
      timer = setInterval(() => void poll().catch(() => undefined), o.intervalMs);
      timer.unref();
      first.catch(() => undefined);
    }
    return first;
  };

  return {
    start,
    async isRevoked(grantId) {
      await start().catch(() => undefined);
      if (now() - lastOk > o.maxStalenessMs) {
        // one more try before refusing: the AS may be back
        await poll().catch(() => undefined);
        if (now() - lastOk > o.maxStalenessMs) throw new IssuerUnavailable('the revoked-grants list is stale');
      }
      return revoked.has(grantId);
    },
    close() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
