import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  assertNoSecrets,
  canonicalJson,
  chainRows,
  checkpointValid,
  deriveAuditKeys,
  macValid,
  signCheckpoint,
} from '../../src/audit/chain.js';
import type { AuditEvent } from '../../src/audit/types.js';
import { KEYS, SECRET, T0 } from './helpers.js';

const event = (o: Partial<AuditEvent> = {}): AuditEvent => ({
  time: T0,
  type: 'token.issued',
  user_id: 'alice',
  client_id: 'https://client.example/cimd.json',
  subject: 'jti-1',
  data: { jti: 'jti-1', scope: ['notes:read'], grant_type: 'authorization_code', audience: 'https://mcp.example/mcp' },
  ...o,
});

describe('ARCHITECTURE "Audit": the HMAC chain (audit.chain)', () => {
  test('canonical JSON sorts keys at every depth and drops undefined members (audit.chain.canonical)', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } }), '{"a":{"d":[1,{"y":2,"z":1}]},"b":1}');
    assert.equal(canonicalJson({ a: 1, b: 2 }), canonicalJson({ b: 2, a: 1 }));
    assert.throws(() => canonicalJson({ n: Number.NaN }), /finite/);
  });

  test('the keys derive from the master secret, one per purpose (audit.chain.keys)', () => {
    const again = deriveAuditKeys(Buffer.from(SECRET));
    assert.deepEqual(again, KEYS, 'deterministic, string or Buffer');
    assert.notDeepEqual(KEYS.chain, KEYS.checkpoint, 'chain and checkpoint keys are distinct');
    assert.notDeepEqual(deriveAuditKeys(`${SECRET}x`).chain, KEYS.chain);
  });

  test('the entry MAC is HMAC-SHA256 over the documented bytes, computed alike when appending and when verifying (audit.chain.links)', () => {
    const data = { b: [1, { z: 'é\u2028', a: null }], a: 7, nested: { y: 1.5e-7, x: true } };
    const [row] = chainRows(KEYS.chain, { seq: 41, mac: 'abc' }, [event({ data })]);
    // the format written since issue 2: logs made by any earlier version must keep verifying
    const bytes = `${canonicalJson(['portcullis.audit.v1', 42, T0, 'token.issued', 'alice', 'https://client.example/cimd.json', 'jti-1', data])}\nabc`;
    assert.equal(row!.mac, createHmac('sha256', KEYS.chain).update(bytes).digest('hex'));
    assert.equal(row!.data, canonicalJson(data));
    assert.ok(macValid(KEYS.chain, row!), 'verification re-derives the canonical data from the stored text');
    // stored data re-spelled (another key order, spaces: what a jsonb column returns) still verifies
    assert.ok(macValid(KEYS.chain, { ...row!, data: JSON.stringify({ nested: { x: true, y: 1.5e-7 }, a: 7, b: [1, { a: null, z: 'é\u2028' }] }, null, 1) }));
    assert.ok(!macValid(KEYS.chain, { ...row!, data: canonicalJson({ ...data, a: 8 }) }));
  });

  test('each entry links to the previous mac; the first to "" (audit.chain.links)', () => {
    const rows = chainRows(KEYS.chain, null, [event(), event({ type: 'login.success' }), event()]);
    assert.deepEqual(rows.map((r) => r.seq), [1, 2, 3]);
    assert.equal(rows[0]!.prev_mac, '');
    assert.equal(rows[1]!.prev_mac, rows[0]!.mac);
    assert.equal(rows[2]!.prev_mac, rows[1]!.mac);
    for (const r of rows) assert.ok(macValid(KEYS.chain, r));
    const more = chainRows(KEYS.chain, { seq: 3, mac: rows[2]!.mac }, [event()]);
    assert.deepEqual([more[0]!.seq, more[0]!.prev_mac], [4, rows[2]!.mac]);
  });

  test('the MAC covers every field, the seq and the previous mac, under the key (audit.chain.coverage)', () => {
    const [row] = chainRows(KEYS.chain, null, [event()]);
    const edits = [
      { seq: 2 },
      { time: T0 + 1 },
      { type: 'token.refreshed' },
      { user_id: 'bob' },
      { user_id: null },
      { client_id: 'other' },
      { subject: 'jti-2' },
      { data: '{"jti":"jti-2"}' },
      { data: 'not json' },
      { prev_mac: 'ab' },
    ];
    for (const edit of edits) assert.equal(macValid(KEYS.chain, { ...row!, ...edit }), false, JSON.stringify(edit));
    assert.equal(macValid(deriveAuditKeys('another-secret-another-secret-another').chain, row!), false);
    // the stored data text may be re-serialized (e.g. a PostgreSQL jsonb column): the MAC is of its canonical form
    assert.ok(macValid(KEYS.chain, { ...row!, data: JSON.stringify(JSON.parse(row!.data), null, 2) }));
  });

  test('data never holds a token or secret, at any depth (audit.chain.no-secrets)', () => {
    assert.doesNotThrow(() => assertNoSecrets({ jti: 'x', grant_id: 'g', token_type_hint: 'refresh_token' }));
    for (const name of ['refresh_token', 'access_token', 'client_secret', 'password', 'code', 'code_verifier', 'Authorization']) {
      assert.throws(() => assertNoSecrets({ detail: { [name]: 'v' } }), new RegExp(`data\\.detail\\.${name}`));
    }
  });

  test('checkpoints are signed with the checkpoint key, not the chain key (audit.chain.checkpoint)', () => {
    const c = signCheckpoint(KEYS.checkpoint, { seq: 9, mac: 'ab', time: T0 });
    assert.ok(checkpointValid(KEYS.checkpoint, c));
    assert.equal(checkpointValid(KEYS.chain, c), false);
    assert.equal(checkpointValid(KEYS.checkpoint, { ...c, seq: 10 }), false);
    assert.equal(checkpointValid(KEYS.checkpoint, { ...c, mac: 'ac' }), false);
    assert.equal(checkpointValid(KEYS.checkpoint, { ...c, time: T0 + 1 }), false);
  });
});
