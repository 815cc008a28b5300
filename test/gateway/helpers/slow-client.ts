/**
 * The measuring side of the "memory stays flat under a slow client" tests (issue 7 item 4): live memory sampled with
 * a collection before each sample, and a client that stalls, then reads slowly.
 */
import type { IncomingMessage } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

export const MB = 1024 * 1024;

export interface MemoryGrowth {
  /** peak growth of the JS heap, MB */
  heapMb: number;
  /** peak growth of heap + ArrayBuffers (buffered bytes live outside the JS heap), MB */
  totalMb: number;
  /** peak growth of the RSS (allocator slack included), MB */
  rssMb: number;
}

/**
 * Starts sampling after a collection. Each sample collects first, so that garbage not yet collected does not
 * count and buffered data does. The process holds every party (upstream, gateway, client): all of it is measured.
 */
export function sampleMemory(intervalMs = 200): { stop(): MemoryGrowth } {
  gc();
  const baseline = process.memoryUsage();
  let peakHeap = baseline.heapUsed;
  let peakTotal = baseline.heapUsed + baseline.arrayBuffers;
  let peakRss = baseline.rss;
  const sampler = setInterval(() => {
    gc();
    const m = process.memoryUsage();
    peakHeap = Math.max(peakHeap, m.heapUsed);
    peakTotal = Math.max(peakTotal, m.heapUsed + m.arrayBuffers);
    peakRss = Math.max(peakRss, m.rss);
  }, intervalMs);
  return {
    stop: () => {
      clearInterval(sampler);
      return {
        heapMb: (peakHeap - baseline.heapUsed) / MB,
        totalMb: (peakTotal - baseline.heapUsed - baseline.arrayBuffers) / MB,
        rssMb: (peakRss - baseline.rss) / MB,
      };
    },
  };
}

/**
 * Reads `res` as a slow client: nothing for `stallMs` (then `onStallEnd`), then at most four chunks every
 * millisecond, each given to `onChunk`, until the end. An unbuffered gateway holds its upstream back meanwhile.
 */
export function readSlowly(res: IncomingMessage, onChunk: (chunk: Buffer) => void, o: { stallMs?: number; onStallEnd?: () => void } = {}): Promise<void> {
  res.pause();
  return new Promise<void>((resolve, reject) => {
    setTimeout(() => {
      o.onStallEnd?.();
      const pump = (): void => {
        let chunk: Buffer | null;
        let budget = 4;
        while (budget-- > 0 && (chunk = res.read() as Buffer | null) !== null) onChunk(chunk);
        if (res.readableEnded) return;
        setTimeout(pump, 1);
      };
      res.on('readable', () => undefined);
      res.on('end', () => resolve());
      res.on('error', reject);
      pump();
    }, o.stallMs ?? 1500);
  });
}
