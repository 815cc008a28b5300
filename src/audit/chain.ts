import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { AuditCheckpointRecord, AuditHead, AuditRow } from '../store/types.js';
import { CREDENTIAL_NAMES } from '../core/log.js';
import type { AuditEntry, AuditEvent, JsonValue } from './types.js';

/**
 * The HMAC chain (ARCHITECTURE "Audit"):
 *   mac(n) = HMAC-SHA256(chain key, canonical(entry n without its mac) || "\n" || mac(n - 1)),  mac(0) = ''.
 * The keys come from the master secret, which lives outside the store, so someone who can write the store can
 * neither forge an entry nor recompute the chain after an edit. Checkpoints are signed with a second key: domain
 * separation, so no checkpoint signature can ever stand in for an entry MAC or the reverse. HMAC rather than a
 * public-key signature because the verifier is Portcullis itself, holding the same master secret; an Ed25519
 * checkpoint key whose public half auditors keep would let third parties verify too (later).
 */

export interface AuditKeys {
  chain: Buffer;
  checkpoint: Buffer;
}

const derive = (ikm: Buffer, purpose: string): Buffer =>
  // the same HKDF-SHA256 derivation as src/core/secret.ts, one info string per purpose
  Buffer.from(hkdfSync('sha256', ikm, Buffer.alloc(0), `portcullis:${purpose}`, 32));

export function deriveAuditKeys(master: Buffer | string): AuditKeys {
  const ikm = typeof master === 'string' ? Buffer.from(master, 'utf8') : master;
  return { chain: derive(ikm, 'audit-chain-v1'), checkpoint: derive(ikm, 'audit-checkpoint-v1') };
}

/** JSON with object keys sorted at every depth and undefined members dropped: one text per value */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('audit data: numbers must be finite');
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const members = Object.keys(value)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${members.join(',')}}`;
}


export function assertNoSecrets(value: unknown, path = 'data'): void {
  if (value === null || typeof value !== 'object') return;
  for (const [k, v] of Object.entries(value)) {
    if (CREDENTIAL_NAMES.has(k.toLowerCase())) throw new TypeError(`audit ${path}.${k}: never record a token or secret (record its id)`);
    assertNoSecrets(v, `${path}.${k}`);
  }
}

const ENTRY_VERSION = 'portcullis.audit.v1';

/**
 * The bytes an entry's MAC covers (everything but the MAC, prev_mac last): canonicalJson([version, seq, time, type,
 * user_id, client_id, subject, data]) + "\n" + prev_mac. `canonicalData` is canonicalJson of the entry's data,
 * re-derived from the stored text unless the caller has just made it (chainRows: issue 9, no parse per append).
 */
function macInput(e: Omit<AuditRow, 'mac'>, seq: number, canonicalData: string): string {
  const head = canonicalJson([ENTRY_VERSION, seq, e.time, e.type, e.user_id, e.client_id, e.subject]);
  return `${head.slice(0, -1)},${canonicalData}]\n${e.prev_mac}`;
}

export function entryMac(key: Buffer, e: Omit<AuditRow, 'mac'>, seq = e.seq, canonicalData = canonicalJson(JSON.parse(e.data) as JsonValue)): string {
  return createHmac('sha256', key).update(macInput(e, seq, canonicalData)).digest('hex');
}

export function macEquals(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** true when the row's MAC verifies as entry `seq` (default: its own seq); false for unparsable data too */
export function macValid(key: Buffer, row: AuditRow, seq?: number): boolean {
  try {
    return macEquals(entryMac(key, row, seq), row.mac);
  } catch {
    return false;
  }
}

/** the rows that extend `head` with `events`, in order; pure, so it can run inside the store's transaction */
export function chainRows(key: Buffer, head: AuditHead | null, events: readonly AuditEvent[]): AuditRow[] {
  let seq = head?.seq ?? 0;
  let prev_mac = head?.mac ?? '';
  return events.map((e) => {
    const unsigned = {
      seq: ++seq,
      time: e.time,
      type: e.type,
      user_id: e.user_id,
      client_id: e.client_id,
      subject: e.subject,
      data: canonicalJson(e.data),
      prev_mac,
    };
    const row: AuditRow = { ...unsigned, mac: entryMac(key, unsigned, unsigned.seq, unsigned.data) };
    prev_mac = row.mac;
    return row;
  });
}

export function toEntry(row: AuditRow): AuditEntry {
  return {
    seq: row.seq,
    time: row.time,
    type: row.type,
    user_id: row.user_id,
    client_id: row.client_id,
    subject: row.subject,
    data: JSON.parse(row.data) as AuditEntry['data'],
    prev_mac: row.prev_mac,
    mac: row.mac,
  };
}

const CHECKPOINT_VERSION = 'portcullis.audit.checkpoint.v1';

export function signCheckpoint(key: Buffer, c: Omit<AuditCheckpointRecord, 'signature'>): AuditCheckpointRecord {
  const signature = createHmac('sha256', key).update(canonicalJson([CHECKPOINT_VERSION, c.seq, c.mac, c.time])).digest('hex');
  return { seq: c.seq, mac: c.mac, time: c.time, signature };
}

export function checkpointValid(key: Buffer, c: AuditCheckpointRecord): boolean {
  return macEquals(signCheckpoint(key, c).signature, String(c.signature));
}
