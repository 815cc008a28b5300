import { IssuerUnavailable, postForm } from './issuer.js';

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
  const client = { id: o.clientId, secret: o.clientSecret };

  const poll = (): Promise<void> => {
    inflight ??= (async () => {
      try {
        const form: Record<string, string> = since === undefined ? {} : { since: String(since) };
        const doc = (await postForm(await o.endpoint(), client, form, 'revoked-grants poll')) as { revoked_grants?: unknown; as_of?: unknown; retain_seconds?: unknown } | null;
        if (doc === null || !Array.isArray(doc.revoked_grants) || typeof doc.as_of !== 'number') throw new IssuerUnavailable('revoked-grants answer is malformed');
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
