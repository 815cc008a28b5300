import { existsSync, readFileSync, statSync } from 'node:fs';
import type { UpstreamStdioConfig } from '../../config/schema.js';
import { ConfigError } from '../../core/errors.js';

/**
 * The environment a stdio child gets: never the gateway's own (it holds PORTCULLIS_SECRET and whatever else the
 * operator exported), only a few variables programs need to run, the configured plain `env`, and the secrets
 * named by `env_from`, read once at start. Nothing from a request (token, Authorization, headers) ever goes in.
 */
const PASSED_THROUGH = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'SYSTEMROOT', 'SystemRoot', 'COMSPEC', 'PATHEXT', 'WINDIR'];

export function childEnvironment(cfg: UpstreamStdioConfig, at: string, env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of PASSED_THROUGH) {
    const v = env[name];
    if (v !== undefined) out[name] = v;
  }
  Object.assign(out, cfg.env);
  for (const [name, source] of Object.entries(cfg.env_from)) {
    if ('env' in source) {
      const v = env[source.env];
      if (v === undefined || v === '') throw new ConfigError(`${at}.env_from.${name}`, `env variable ${source.env} is not set`);
      out[name] = v;
    } else {
      if (!existsSync(source.file)) throw new ConfigError(`${at}.env_from.${name}`, `file not found: ${source.file}`);
      out[name] = readFileSync(source.file, 'utf8').replace(/\r?\n$/, '');
    }
  }
  return out;
}

/** A configured working directory must exist at start (a typo would otherwise fail every request). */
export function checkCwd(cwd: string | undefined, at: string): void {
  if (cwd === undefined) return;
  if (!existsSync(cwd) || !statSync(cwd).isDirectory()) throw new ConfigError(`${at}.cwd`, `not a directory: ${cwd}`);
}
