import { exportJWK, generateKeyPair, importJWK, calculateJwkThumbprint, type JWK, type CryptoKey } from 'jose';
import { open, seal } from '../core/secret.js';
import type { Clock } from '../core/time.js';
import type { SigningKeyRecord, Store } from '../store/types.js';

export interface ActiveKey {
  kid: string;
  alg: 'ES256';
  privateKey: CryptoKey;
}

/**
 * Signing keys live in the store, their private halves sealed with the master secret.
 * A key is published in JWKS from creation and used for signing once active (ARCHITECTURE.md "Keys").
 */
export class KeyRing {
  private active: ActiveKey | null = null;
  private publicJwks: { keys: JWK[] } = { keys: [] };
  private publicByKid = new Map<string, CryptoKey>();

  constructor(
    private readonly store: Store,
    private readonly secret: Buffer,
    private readonly clock: Clock,
  ) {}

  /** Load keys; create the first one if none exists. */
  async init(): Promise<void> {
    let records = await this.store.listSigningKeys();
    if (records.length === 0) {
      await this.store.putSigningKey(await this.generate(this.clock()));
      records = await this.store.listSigningKeys();
    }
    await this.load(records);
  }

  private async generate(now: number): Promise<SigningKeyRecord> {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const pub = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(pub);
    const priv = await exportJWK(privateKey);
    return {
      kid,
      alg: 'ES256',
      public_jwk: JSON.stringify({ ...pub, kid, alg: 'ES256', use: 'sig' }),
      private_jwk_enc: seal(this.secret, `signing-key:${kid}`, JSON.stringify(priv)),
      created_at: now,
      activates_at: now,
      retired_at: null,
    };
  }

  private async load(records: SigningKeyRecord[]): Promise<void> {
    const now = this.clock();
    const live = records.filter((r) => r.retired_at === null || r.retired_at > now);
    this.publicJwks = { keys: live.map((r) => JSON.parse(r.public_jwk) as JWK) };
    this.publicByKid = new Map();
    for (const r of live) {
      this.publicByKid.set(r.kid, (await importJWK(JSON.parse(r.public_jwk) as JWK, r.alg)) as CryptoKey);
    }
    const signing = live
      .filter((r) => r.activates_at <= now)
      .sort((a, b) => b.activates_at - a.activates_at)[0];
    if (!signing) throw new Error('no active signing key');
    const priv = JSON.parse(open(this.secret, `signing-key:${signing.kid}`, signing.private_jwk_enc)) as JWK;
    this.active = { kid: signing.kid, alg: 'ES256', privateKey: (await importJWK(priv, 'ES256')) as CryptoKey };
  }

  signingKey(): ActiveKey {
    if (!this.active) throw new Error('KeyRing not initialised');
    return this.active;
  }

  jwks(): { keys: JWK[] } {
    return this.publicJwks;
  }

  publicKey(kid: string | undefined): CryptoKey | undefined {
    return kid ? this.publicByKid.get(kid) : undefined;
  }
}
