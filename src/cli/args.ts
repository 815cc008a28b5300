import { parseArgs } from 'node:util';
import { UsageError } from './main.js';

export const SERVE_OPTIONS = {
  config: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  issuer: { type: 'string' },
  'data-dir': { type: 'string' },
  upstream: { type: 'string' },
  'upstream-stdio': { type: 'string' },
  store: { type: 'string' },
  dev: { type: 'boolean' },
  demo: { type: 'boolean' },
} as const;

export type ServeFlags = {
  config?: string;
  port?: string;
  host?: string;
  issuer?: string;
  'data-dir'?: string;
  upstream?: string;
  'upstream-stdio'?: string;
  store?: string;
  dev?: boolean;
  demo?: boolean;
};

export function parseServeFlags(args: string[]): ServeFlags {
  try {
    return parseArgs({ args, options: SERVE_OPTIONS, strict: true, allowPositionals: false }).values as ServeFlags;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** CLI flags in config shape (snake_case), only those given. */
export function flagsToConfig(f: ServeFlags): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (f.port !== undefined) out.port = f.port;
  if (f.host !== undefined) out.host = f.host;
  if (f.issuer !== undefined) out.issuer = f.issuer;
  if (f['data-dir'] !== undefined) out.data_dir = f['data-dir'];
  if (f.upstream !== undefined) out.upstream = f.upstream;
  if (f['upstream-stdio'] !== undefined) out.upstream_stdio = f['upstream-stdio'];
  if (f.store !== undefined) out.store = f.store;
  if (f.dev !== undefined) out.dev = f.dev;
  if (f.demo !== undefined) out.demo = f.demo;
  return out;
}
