import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createRequire } from 'node:module';
import { ConfigError } from '../core/errors.js';
import { configSchema, type Config } from './schema.js';

// issue 9: the YAML parser is loaded only when there is a config file to read (synchronously: loadConfig is sync)
const parseYaml = (text: string): unknown => (createRequire(import.meta.url)('yaml') as typeof import('yaml')).parse(text);

/** Environment variables that are not config options (secrets come from env, never from files we write). */
const NOT_OPTIONS = new Set(['PORTCULLIS_SECRET', 'PORTCULLIS_SECRET_FILE', 'PORTCULLIS_LOG_LEVEL']);

export interface LoadOptions {
  /** --config FILE; else ./portcullis.yaml if present */
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** CLI flags, already in config shape (snake_case keys) */
  flags?: Record<string, unknown>;
  cwd?: string;
}

export interface LoadedConfig {
  config: Config;
  file: string | null;
}

/** Precedence: CLI flag > PORTCULLIS_* env > config file > defaults (ARCHITECTURE.md "Configuration"). */
export function loadConfig(opts: LoadOptions = {}): LoadedConfig {
  const cwd = opts.cwd ?? process.cwd();
  const env = opts.env ?? process.env;
  let file: string | null = null;
  let fromFile: Record<string, unknown> = {};
  if (opts.file) {
    file = resolve(cwd, opts.file);
    if (!existsSync(file)) throw new ConfigError('--config', `file not found: ${file}`);
  } else if (existsSync(resolve(cwd, 'portcullis.yaml'))) {
    file = resolve(cwd, 'portcullis.yaml');
  }
  if (file) {
    let parsed: unknown;
    try {
      parsed = parseYaml(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new ConfigError('--config', `${file} is not valid YAML: ${(e as Error).message}`);
    }
    if (parsed != null && (typeof parsed !== 'object' || Array.isArray(parsed))) {
      throw new ConfigError('--config', `${file} must contain a mapping at the top level`);
    }
    fromFile = (parsed ?? {}) as Record<string, unknown>;
  }
  const merged = deepMerge(deepMerge(fromFile, envOverrides(env)), opts.flags ?? {});
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const option = issue.path.join('.') || '(root)';
    throw new ConfigError(option, issue.message);
  }
  const config = result.data;
  // Relative paths are relative to the working directory.
  config.data_dir = resolve(cwd, config.data_dir);
  return { config, file };
}

/** PORTCULLIS_DATA_DIR → data_dir; PORTCULLIS_TOKENS__ACCESS_TOKEN_TTL → tokens.access_token_ttl */
export function envOverrides(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(env)) {
    if (!key.startsWith('PORTCULLIS_') || NOT_OPTIONS.has(key) || raw === undefined) continue;
    const path = key.slice('PORTCULLIS_'.length).toLowerCase().split('__');
    let node = out;
    for (const part of path.slice(0, -1)) {
      node = (node[part] ??= {}) as Record<string, unknown>;
    }
    node[path[path.length - 1]!] = coerceEnv(raw);
  }
  return out;
}

function coerceEnv(raw: string): unknown {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  if (/^\s*[[{]/.test(raw)) {
    try {
      return JSON.parse(raw);
    } catch {
      return raw;
    }
  }
  return raw;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    if (v === undefined) continue;
    out[k] = isPlainObject(v) && isPlainObject(out[k]) ? deepMerge(out[k] as Record<string, unknown>, v) : v;
  }
  return out;
}
