import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { parseTrustedProxies, resolveClientAddress } from '../../../src/as/rate-limits/index.js';
import { MemoryRateLimiter } from '../../../src/as/rate-limits/limiter.js';
import { pkcePair } from '../../helpers/as-harness.js';
import { authorizeUrl } from '../flow.js';
import { closeAll, from, limitedHarness } from './helpers.js';

after(closeAll);

describe('issue 6: X-Forwarded-For honoured only from trusted proxies (ops.ratelimit.trusted-proxy)', () => {
  const trusted = parseTrustedProxies(['10.0.0.0/8', '192.0.2.7', 'fd00::/8']);
  const ip = (peer: string | undefined, xff: string | null, t = trusted) => resolveClientAddress(peer, xff, t).ip;

  it('an untrusted peer: its own address, whatever X-Forwarded-For says', () => {
    assert.equal(ip('203.0.113.5', '1.2.3.4'), '203.0.113.5');
    assert.equal(ip('203.0.113.5', '10.0.0.1'), '203.0.113.5');
    assert.equal(ip('10.0.0.1', '1.2.3.4', []), '10.0.0.1', 'no trusted proxies: the peer, always');
    assert.deepEqual(resolveClientAddress(undefined, '1.2.3.4', trusted), { ip: 'unknown', bucket: null }, 'no socket (in-process fetch): no per-IP bucket');
  });
  it('a trusted peer: the right-most untrusted hop; spoofed entries to its left are ignored; a chain of proxies', () => {
    assert.equal(ip('10.0.0.1', '198.51.100.1'), '198.51.100.1');
    assert.equal(ip('10.0.0.1', '6.6.6.6, 198.51.100.1'), '198.51.100.1');
    assert.equal(ip('10.0.0.1', '6.6.6.6, 198.51.100.1, 10.2.3.4, 192.0.2.7'), '198.51.100.1');
    assert.equal(ip('192.0.2.7', '10.9.9.9, 10.0.0.1'), '10.9.9.9', 'every hop trusted: the left-most');
    assert.equal(ip('10.0.0.1', null), '10.0.0.1', 'no header: the proxy itself');
    assert.equal(ip('10.0.0.1', '198.51.100.1, garbage'), '10.0.0.1', 'a malformed hop ends the walk at the last trusted one');
    assert.equal(ip('10.0.0.1', '198.51.100.1:4711'), '198.51.100.1', 'a port is dropped');
    assert.equal(ip('10.0.0.1', '127.1'), '10.0.0.1', 'only four-part decimal IPv4');
  });
  it('IPv6: bracketed, mapped IPv4 and /64 buckets', () => {
    assert.equal(ip('::ffff:10.0.0.1', '[2001:db8::1]:443'), '2001:db8::1', 'a mapped peer is its IPv4 address');
    assert.equal(ip('fd00::1', '::ffff:198.51.100.9'), '198.51.100.9');
    const a = resolveClientAddress('2001:db8:1:2:aaaa::1', null, trusted);
    const b = resolveClientAddress('2001:db8:1:2:bbbb::2', null, trusted);
    assert.equal(a.bucket, '2001:db8:1:2::/64');
    assert.equal(a.bucket, b.bucket, 'one /64, one bucket');
    assert.notEqual(resolveClientAddress('2001:db8:1:3::1', null, trusted).bucket, a.bucket);
  });
  it('at the edge: spoofed XFF from an untrusted peer shares its bucket; behind the trusted proxy each client has its own', async () => {
    const h = await limitedHarness({ trusted_proxies: ['10.0.0.0/8'], authorize: { per_ip: { limit: 1, window_s: 60 } } });
    const url = authorizeUrl(pkcePair().challenge);
    const get = (peer: string, xff?: string) => from(h, peer, url, { redirect: 'manual', ...(xff === undefined ? {} : { xff }) }).then((r) => r.status);
    assert.equal(await get('203.0.113.5', '1.1.1.1'), 303);
    assert.equal(await get('203.0.113.5', '2.2.2.2'), 429, 'a new spoofed XFF is not a new bucket');
    assert.equal(await get('10.0.0.1', '198.51.100.1'), 303);
    assert.equal(await get('10.0.0.1', '198.51.100.1'), 429);
    assert.equal(await get('10.0.0.1', '198.51.100.2'), 303, "one proxy's address is not everyone's bucket");
    assert.equal(await get('10.0.0.2', '6.6.6.6, 198.51.100.3, 10.1.1.1'), 303, 'chain: the right-most untrusted hop');
    assert.equal(await get('10.0.0.1', '7.7.7.7, 198.51.100.3, 10.1.1.1'), 429, 'same client, other spoofed prefix, other proxy: same bucket');
  });
});

describe('issue 6: the in-process limiter is bounded (ops.ratelimit.memory)', () => {
  it('fixed windows; refused requests do not extend the window; at most maxKeys keys', async () => {
    let now = 0;
    const l = new MemoryRateLimiter(() => now, 10);
    assert.deepEqual(await l.hit('k', 2, 1000), { allowed: true, count: 1, retryAfterS: 0 });
    await l.hit('k', 2, 1000);
    now = 400;
    assert.deepEqual(await l.hit('k', 2, 1000), { allowed: false, count: 2, retryAfterS: 1 });
    assert.equal((await l.peek('k', 2, 1000)).allowed, false);
    now = 1000;
    assert.equal((await l.peek('k', 2, 1000)).allowed, true, 'the window ended');
    for (let i = 0; i < 50; i++) await l.hit(`ip-${i}`, 1, 60_000);
    assert.equal(l.size, 10);
  });

  it('a spray of fresh keys cannot wipe the counter of the key under attack (ops.ratelimit.spray)', async () => {
    const now = 0;
    const l = new MemoryRateLimiter(() => now, 100);
    // someone guessing alice's password: 4 failures of 5 allowed
    for (let i = 0; i < 4; i++) assert.equal((await l.hit('login:user:alice', 5, 900_000)).allowed, true);
    // then 10 000 one-request keys (other usernames, other addresses) to push alice's window out of the map
    for (let i = 0; i < 10_000; i++) await l.hit(`login:user:spray-${i}`, 5, 900_000);
    assert.equal(l.size, 100, 'still bounded');
    assert.equal((await l.peek('login:user:alice', 5, 900_000)).count, 4, "alice's failures are still counted");
    assert.equal((await l.hit('login:user:alice', 5, 900_000)).allowed, true);
    assert.equal((await l.hit('login:user:alice', 5, 900_000)).allowed, false, 'the sixth guess is refused');
  });
});
