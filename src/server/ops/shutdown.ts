import type { Server, ServerResponse } from 'node:http';

export interface DrainResult {
  /** every in-flight request and stream finished within the grace */
  drained: boolean;
  /** responses still open when the grace ended (their connections were closed) */
  remaining: number;
  ms: number;
}

export interface Drainer {
  inFlight(): number;
  /**
   * Graceful stop (issue 6 "Operations"): stop accepting connections, close idle keep-alive ones, let in-flight
   * requests and open streams (SSE) finish for up to `graceMs`, then close whatever is left.
   */
  drain(graceMs: number): Promise<DrainResult>;
  /** end a drain in progress now (a second signal): its remaining connections are closed at once */
  cut(): void;
}

/** Tracks the responses a node http server has open, from the request event to the response's close. */
export function createDrainer(server: Server): Drainer {
  const open = new Set<ServerResponse>();
  let onIdle: (() => void) | null = null;
  let onCut: (() => void) | null = null;
  server.on('request', (_req, res: ServerResponse) => {
    open.add(res);
    res.once('close', () => {
      open.delete(res);
      if (open.size === 0) onIdle?.();
    });
  });
  return {
    inFlight: () => open.size,
    async drain(graceMs) {
      const started = Date.now();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      const drained = await new Promise<boolean>((resolve) => {
        if (open.size === 0) return resolve(true);
        onIdle = () => resolve(true);
        onCut = () => resolve(false);
        timer = setTimeout(() => resolve(false), graceMs);
      });
      clearTimeout(timer);
      onIdle = onCut = null;
      const remaining = open.size;
      // what is left (streams past the grace, idle keep-alive connections) is closed now
      server.closeAllConnections();
      await closed;
      return { drained, remaining, ms: Date.now() - started };
    },
    cut: () => onCut?.(),
  };
}
