import { exportJWK, generateKeyPair, importJWK, calculateJwkThumbprint, type JWK, type CryptoKey } from 'jose';
import { ConfigError } from '../core/errors.js';
import { open, seal } from '../core/secret.js';
import type { Clock } from '../core/time.js';
import type { SigningKeyRecord, Store } from '../store/types.js';
import type { AuditLog } from '../audit/index.js';
import type { Config } from '../config/schema.js';
import { idTokenTtl } from './oidc/id-token.js';

export interface ActiveKey {
  kid: string;
  alg: 'ES256';
  privateKey: CryptoKey;
}

interface LoadedKey {
  record: SigningKeyRecord;
  jwk: JWK;
  publicKey: CryptoKey;
  privateKey: CryptoKey;
}

/** a kid we do not know triggers a reload at most this often (a token signed by a key another instance just made) */
const MISS_RELOAD_MIN_MS = 1000;

/**
 * Signing keys live in the store, their private halves sealed with the master secret (ARCHITECTURE.md "Keys").
 * A key is published in JWKS from creation, signs from `activates_at`, and leaves JWKS (and verification) at
 * `retired_at`. Every instance reloads the set periodically (`start`) and on an unknown kid, so a key that
 * `portcullis keys rotate` wrote anywhere is published everywhere before it first signs (issue 6 item 3).
 * Which key signs is decided at each call from the clock, so every instance switches at `activates_at`.
 */
export class KeyRing {
  private keys: LoadedKey[] = [];
  private timer: NodeJS.Timeout | null = null;
  private lastMissReload = 0;
  private reloading: Promise<void> | null = null;

  constructor(
    private readonly store: Store,
    private readonly secret: Buffer,
    private readonly clock: Clock,
  ) {}

  /** Load keys; create the first one if none exists. */
  async init(): Promise<void> {
    let records = await this.store.listSigningKeys();
    if (records.length === 0) {
      await this.store.putSigningKey(await generateSigningKey(this.secret, this.clock()));
      records = await this.store.listSigningKeys();
    }
    await this.load(records);
  }

  /** Reload from the store every `intervalMs` (issue 6: multi-instance key rotation). */
  start(intervalMs: number): void {
    this.stop();
    this.timer = setInterval(() => void this.reload().catch(() => undefined), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** issue 8: the console's rotation: this ring's store and secret, audited; reloaded so this instance publishes at once */
  async rotate(o: RotateOptions, audit: Pick<AuditLog, 'record'>, by: RotationActor): Promise<{ added: SigningKeyRecord; retired: SigningKeyRecord[] }> {
    const result = await rotateSigningKeysAudited(this.store, this.secret, this.clock(), o, audit, by);
    await this.reload();
    return result;
  }

  /** Re-read the keys from the store (concurrent calls share one read). */
  reload(): Promise<void> {
    this.reloading ??= (async () => {
      try {
        await this.load(await this.store.listSigningKeys());
      } finally {
        this.reloading = null;
      }
    })();
    return this.reloading;
  }

  private async load(records: SigningKeyRecord[]): Promise<void> {
    const now = this.clock();
    const known = new Map(this.keys.map((k) => [k.record.kid, k]));
    const next: LoadedKey[] = [];
    for (const r of records) {
      if (r.retired_at !== null && r.retired_at <= now) continue;
      const had = known.get(r.kid);
      if (had && had.record.private_jwk_enc === r.private_jwk_enc) {
        next.push({ ...had, record: r });
        continue;
      }
      const jwk = JSON.parse(r.public_jwk) as JWK;
      let sealed: string;
      try {
        sealed = open(this.secret, `signing-key:${r.kid}`, r.private_jwk_enc);
      } catch {
        // AES-GCM refuses: the store's keys were sealed under another master secret (a new PORTCULLIS_SECRET over an
        // old data dir, or instances with different secrets) — say so at start instead of a crypto error
        throw new ConfigError(
          'PORTCULLIS_SECRET',
          `the signing key ${r.kid} in the store was sealed with a different master secret; start with the secret it was created with (PORTCULLIS_SECRET, PORTCULLIS_SECRET_FILE or the generated <data_dir>/secret), or with a new store`,
        );
      }
      const priv = JSON.parse(sealed) as JWK;
      next.push({ record: r, jwk, publicKey: (await importJWK(jwk, r.alg)) as CryptoKey, privateKey: (await importJWK(priv, 'ES256')) as CryptoKey });
    }
    if (!next.some((k) => k.record.activates_at <= now)) throw new Error('no active signing key');
    this.keys = next;
  }

  private live(now = this.clock()): LoadedKey[] {
    return this.keys.filter((k) => k.record.retired_at === null || k.record.retired_at > now);
  }

  /** The newest key active now (the switch happens at `activates_at`, on every instance alike). */
  signingKey(): ActiveKey {
    const now = this.clock();
    const signing = this.live(now)
      .filter((k) => k.record.activates_at <= now)
      .sort((a, b) => b.record.activates_at - a.record.activates_at || b.record.created_at - a.record.created_at)[0];
    if (!signing) throw new Error(this.keys.length === 0 ? 'KeyRing not initialised' : 'no active signing key');
    return { kid: signing.record.kid, alg: 'ES256', privateKey: signing.privateKey };
  }

  /**
   * Anything else kept encrypted at rest (ARCHITECTURE "Keys and the master secret"): AES-256-GCM under a key derived
   * (HKDF) from the master secret for `purpose`; a purpose that names a value (an upstream login's state) ties the key
   * to that value too, so the box opens only with both.
   */
  sealAtRest(purpose: string, plaintext: string): string {
    return seal(this.secret, purpose, plaintext);
  }

  /** the plaintext of `sealAtRest(purpose, …)`; throws when it does not open (another secret, purpose or a forged box) */
  openAtRest(purpose: string, sealed: string): string {
    return open(this.secret, purpose, sealed);
  }

  /** Published keys: every key not yet retired, the ones still waiting to sign included. */
  jwks(): { keys: JWK[] } {
    return { keys: this.live().map((k) => k.jwk) };
  }

  /** A published key by kid; an unknown kid starts a (rate-limited) reload in the background. */
  publicKey(kid: string | undefined): CryptoKey | undefined {
    if (!kid) return undefined;
    const found = this.live().find((k) => k.record.kid === kid)?.publicKey;
    if (!found) void this.reloadOnMiss().catch(() => undefined);
    return found;
  }

  /** As publicKey, but an unknown kid waits for the (rate-limited) reload and looks again. */
  async resolvePublicKey(kid: string | undefined): Promise<CryptoKey | undefined> {
    if (!kid) return undefined;
    const found = this.live().find((k) => k.record.kid === kid)?.publicKey;
    if (found) return found;
    await this.reloadOnMiss().catch(() => undefined);
    return this.live().find((k) => k.record.kid === kid)?.publicKey;
  }

  private reloadOnMiss(): Promise<void> {
    if (this.reloading) return this.reloading;
    const now = Date.now(); // wall time: the limit protects the store, whatever the injected clock does
    if (now - this.lastMissReload < MISS_RELOAD_MIN_MS) return Promise.resolve();
    this.lastMissReload = now;
    return this.reload();
  }
}

/** A fresh ES256 key, sealed with the master secret, active from `activatesAt` (default: at once). */
export async function generateSigningKey(secret: Buffer, now: number, activatesAt = now): Promise<SigningKeyRecord> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const pub = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(pub);
  const priv = await exportJWK(privateKey);
  return {
    kid,
    alg: 'ES256',
    public_jwk: JSON.stringify({ ...pub, kid, alg: 'ES256', use: 'sig' }),
    private_jwk_enc: seal(secret, `signing-key:${kid}`, JSON.stringify(priv)),
    created_at: now,
    activates_at: activatesAt,
    retired_at: null,
  };
}

export interface RotateOptions {
  /** how long the new key is published before it signs: at least one JWKS cache lifetime */
  publishBeforeMs: number;
  /** the longest a token signed by the old key stays valid: the longest token lifetime (access or ID token) + clock skew */
  longestTokenMs: number;
}

/**
 * `portcullis keys rotate` (issue 6 item 3): a new key published now and signing from now + publishBeforeMs;
 * every key signing now is retired once the last token it can still sign (until the switch) has expired.
 */
export async function rotateSigningKeys(store: Store, secret: Buffer, now: number, o: RotateOptions): Promise<{ added: SigningKeyRecord; retired: SigningKeyRecord[] }> {
  const all = await store.listSigningKeys();
  const current = all.filter((k) => k.retired_at === null);
  const pending = current.find((k) => k.activates_at > now);
  if (pending) throw new Error(`key ${pending.kid} is already waiting to sign (from ${new Date(pending.activates_at).toISOString()}); rotate again after that`);
  // nothing published that a verifier could be caching: the new key may sign at once
  const live = all.some((k) => k.retired_at === null || k.retired_at > now);
  const added = await generateSigningKey(secret, now, live ? now + o.publishBeforeMs : now);
  await store.putSigningKey(added);
  const retired = current.map((k) => ({ ...k, retired_at: added.activates_at + o.longestTokenMs }));
  for (const k of retired) await store.putSigningKey(k);
  return { added, retired };
}

/** the rotation timing from the configuration (`keys.publish_before_s`; the longest token lifetime + clock skew) */
export function rotateOptions(config: Pick<Config, 'keys' | 'tokens'>): RotateOptions {
  // an ID token may outlive the access tokens (tokens.id_token_ttl): its key stays published as long as it is valid
  const longest = Math.max(config.tokens.access_token_ttl, idTokenTtl(config));
  return { publishBeforeMs: config.keys.publish_before_s * 1000, longestTokenMs: (longest + config.tokens.clock_skew) * 1000 };
}

/** who rotated: an administrator in the console, or the operator running `portcullis keys rotate` */
export interface RotationActor {
  name: string;
  via: 'console' | 'cli';
  user_id?: string | null;
}

/**
 * The one audited rotation (issue 8), used by `portcullis keys rotate` and the admin console alike: rotate, then an
 * `admin.action` `keys.rotate` naming who did it, the new kid, when it signs and which keys retire when.
 */
export async function rotateSigningKeysAudited(store: Store, secret: Buffer, now: number, o: RotateOptions, audit: Pick<AuditLog, 'record'>, by: RotationActor): Promise<{ added: SigningKeyRecord; retired: SigningKeyRecord[] }> {
  const result = await rotateSigningKeys(store, secret, now, o);
  await audit.record(
    'admin.action',
    {
      action: 'keys.rotate',
      target: result.added.kid,
      detail: { actor: by.name, via: by.via, activates_at: result.added.activates_at, retired: result.retired.map((k) => ({ kid: k.kid, retired_at: k.retired_at })) },
    },
    { user_id: by.user_id ?? null },
  );
  return result;
}
