/**
 * Key rotation with overlap (issue 6 item 3; ARCHITECTURE "Keys and the master secret"), in process with an
 * injected clock: two KeyRings on one store stand for two instances; `rotateSigningKeys` is what
 * `portcullis keys rotate` runs.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SignJWT, jwtVerify } from 'jose';
import { KeyRing, rotateSigningKeys } from '../../src/as/keys.js';
import { openStore } from '../../src/store/open.js';

const SECRET = Buffer.from('k'.repeat(32));
const TTL_MS = 600_000;
const SKEW_MS = 30_000;
const PUBLISH_MS = 120_000;

async function sign(ring: KeyRing): Promise<string> {
  const k = ring.signingKey();
  return new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: k.kid }).sign(k.privateKey);
}

async function verifies(ring: KeyRing, jwt: string): Promise<boolean> {
  try {
    await jwtVerify(jwt, async (h) => {
      const key = await ring.resolvePublicKey(h.kid);
      if (!key) throw new Error('unknown kid');
      return key;
    });
    return true;
  } catch {
    return false;
  }
}

describe('keys rotate: published before first use, retired after the last token it signed (ops.keys.rotate)', () => {
  test('two instances publish the new key before it signs, switch at activates_at and drop the old key after ttl + skew', async () => {
    const store = await openStore('sqlite::memory:');
    await store.migrate();
    let now = 1_700_000_000_000;
    const clock = () => now;
    const a = new KeyRing(store, SECRET, clock);
    const b = new KeyRing(store, SECRET, clock);
    await a.init();
    await b.init();
    const old = a.signingKey().kid;
    assert.equal(b.signingKey().kid, old, 'both instances sign with the one stored key');
    const beforeRotation = await sign(a);

    const { added, retired } = await rotateSigningKeys(store, SECRET, now, { publishBeforeMs: PUBLISH_MS, longestTokenMs: TTL_MS + SKEW_MS });
    assert.equal(added.activates_at, now + PUBLISH_MS);
    assert.deepEqual(retired.map((k) => [k.kid, k.retired_at]), [[old, now + PUBLISH_MS + TTL_MS + SKEW_MS]]);
    await assert.rejects(rotateSigningKeys(store, SECRET, now, { publishBeforeMs: PUBLISH_MS, longestTokenMs: 1 }), /already waiting to sign/);

    // the periodic reload: both publish the new key, neither signs with it yet
    now += 10_000;
    await a.reload();
    await b.reload();
    for (const ring of [a, b]) {
      assert.deepEqual(ring.jwks().keys.map((k) => k.kid).sort(), [old, added.kid].sort());
      assert.equal(ring.signingKey().kid, old);
    }

    // at activates_at every instance switches, without another reload
    now = added.activates_at;
    assert.equal(a.signingKey().kid, added.kid);
    assert.equal(b.signingKey().kid, added.kid);
    const afterRotation = await sign(a);
    assert.ok(await verifies(b, afterRotation), 'a token signed at A with the new key verifies at B');
    assert.ok(await verifies(b, beforeRotation), 'tokens the old key signed still verify');

    // after the longest-lived token the old key signed has expired, it is neither published nor accepted
    now = added.activates_at + TTL_MS + SKEW_MS + 1;
    assert.deepEqual(a.jwks().keys.map((k) => k.kid), [added.kid]);
    assert.equal(await verifies(b, beforeRotation), false);
    await b.reload();
    assert.deepEqual(b.jwks().keys.map((k) => k.kid), [added.kid]);
    await store.close();
  });

  test('an unknown kid makes an instance reload at once (rate-limited), so a key made elsewhere verifies', async () => {
    const store = await openStore('sqlite::memory:');
    await store.migrate();
    let now = 1_700_000_000_000;
    const clock = () => now;
    const a = new KeyRing(store, SECRET, clock);
    const b = new KeyRing(store, SECRET, clock);
    await a.init();
    await b.init();
    await rotateSigningKeys(store, SECRET, now, { publishBeforeMs: 0, longestTokenMs: 60_000 });
    await a.reload();
    now += 1;
    const jwt = await sign(a);
    assert.ok(await verifies(b, jwt), 'B had not reloaded yet: the miss triggers the reload');
    assert.equal(await verifies(b, jwt.replace(/^[^.]+/, Buffer.from(JSON.stringify({ alg: 'ES256', kid: 'nope' })).toString('base64url'))), false);
    await store.close();
  });

  test('on an empty store the first key signs at once (nothing to overlap with)', async () => {
    const store = await openStore('sqlite::memory:');
    await store.migrate();
    const { added, retired } = await rotateSigningKeys(store, SECRET, 5_000, { publishBeforeMs: PUBLISH_MS, longestTokenMs: TTL_MS });
    assert.equal(added.activates_at, 5_000);
    assert.deepEqual(retired, []);
    const ring = new KeyRing(store, SECRET, () => 5_000);
    await ring.init();
    assert.equal(ring.signingKey().kid, added.kid);
    await store.close();
  });
});

describe('ARCHITECTURE "Keys and the master secret": a store sealed under another secret (keys.secret-mismatch)', () => {
  test('start-up fails with a configuration error naming PORTCULLIS_SECRET, not a crypto error (keys.secret-mismatch)', async () => {
    const store = await openStore('sqlite::memory:');
    try {
      const clock = () => Date.UTC(2026, 10, 24);
      await new KeyRing(store, SECRET, clock).init();
      const other = new KeyRing(store, Buffer.from('o'.repeat(32)), clock);
      await assert.rejects(
        other.init(),
        (e: Error & { option?: string }) => e.name === 'ConfigError' && e.option === 'PORTCULLIS_SECRET' && /sealed with a different master secret/.test(e.message),
      );
    } finally {
      await store.close();
    }
  });
});
