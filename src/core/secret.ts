import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './errors.js';

/**
 * The master secret encrypts signing keys (and anything else kept encrypted at rest).
 * Source order (ARCHITECTURE.md "Keys and the master secret"): PORTCULLIS_SECRET, PORTCULLIS_SECRET_FILE,
 * else a generated file in the data dir (0600) with a warning.
 */
export interface MasterSecret {
  key: Buffer;
  source: 'env' | 'file' | 'generated';
}

export function loadMasterSecret(dataDir: string, env: NodeJS.ProcessEnv): MasterSecret {
  if (env.PORTCULLIS_SECRET) {
    if (env.PORTCULLIS_SECRET.length < 32) throw new ConfigError('PORTCULLIS_SECRET', 'must be at least 32 characters');
    return { key: Buffer.from(env.PORTCULLIS_SECRET, 'utf8'), source: 'env' };
  }
  if (env.PORTCULLIS_SECRET_FILE) {
    const f = env.PORTCULLIS_SECRET_FILE;
    if (!existsSync(f)) throw new ConfigError('PORTCULLIS_SECRET_FILE', `file not found: ${f}`);
    const v = readFileSync(f, 'utf8').trim();
    if (v.length < 32) throw new ConfigError('PORTCULLIS_SECRET_FILE', 'secret must be at least 32 characters');
    return { key: Buffer.from(v, 'utf8'), source: 'file' };
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const f = join(dataDir, 'secret');
  if (!existsSync(f)) writeFileSync(f, randomBytes(32).toString('base64url'), { mode: 0o600 });
  chmodSync(f, 0o600);
  return { key: Buffer.from(readFileSync(f, 'utf8').trim(), 'utf8'), source: 'generated' };
}

/** A sealed box: AES-256-GCM under a key derived (HKDF-SHA256) from `ikm` for one `purpose`. */
export function seal(ikm: Buffer | string, purpose: string, plaintext: string): string {
  const key = deriveKey(ikm, purpose);
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  const ct = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
  return `v1.${iv.toString('base64url')}.${ct.toString('base64url')}.${c.getAuthTag().toString('base64url')}`;
}

export function open(ikm: Buffer | string, purpose: string, sealed: string): string {
  const [v, iv, ct, tag] = sealed.split('.');
  if (v !== 'v1' || !iv || !ct || !tag) throw new Error('sealed value has an unknown format');
  const d = createDecipheriv('aes-256-gcm', deriveKey(ikm, purpose), Buffer.from(iv, 'base64url'));
  d.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([d.update(Buffer.from(ct, 'base64url')), d.final()]).toString('utf8');
}

function deriveKey(ikm: Buffer | string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', typeof ikm === 'string' ? Buffer.from(ikm) : ikm, Buffer.alloc(0), `portcullis:${purpose}`, 32));
}
