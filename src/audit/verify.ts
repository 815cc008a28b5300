import type { AuditCheckpointRecord, AuditRow, Store } from '../store/types.js';
import { checkpointValid, macValid, type AuditKeys } from './chain.js';
import type { CheckpointFile } from './checkpoint-file.js';
import { auditRows } from './query.js';

/**
 * `portcullis audit verify`: recomputes the chain from the first entry and checks it against every signed
 * checkpoint. Each row is judged by two facts — does its MAC verify at its seq (only the key holder can make it
 * so), and does its prev_mac name the row before it — and, where those disagree, by its neighbours:
 * - edited:      MAC fails, but the row sits in the chain (it links in, and the next row links to it)
 * - inserted:    MAC fails and the next row links past it to the previous one
 * - deleted:     a seq gap; or a row whose predecessor (the row its prev_mac names) is nowhere in the log
 * - reordered:   MAC fails at its seq but verifies at the seq after the row its prev_mac names
 * - recomputed:  every row from N to the end fails while the links agree (chain rebuilt without the key)
 * - truncated:   the log ends before the newest valid checkpoint (external file or store)
 * - checkpoint-mismatch: a row's mac differs from a valid checkpoint of its seq (rewritten after it)
 * - checkpoint-forged:   a checkpoint whose signature fails
 * Structural problems (inserted, reordered, renumbered) stop the chain walk; rows after them are only counted.
 */

export type AuditProblemKind =
  | 'edited'
  | 'inserted'
  | 'deleted'
  | 'reordered'
  | 'recomputed'
  | 'chain-break'
  | 'truncated'
  | 'checkpoint-mismatch'
  | 'checkpoint-forged';

export interface AuditProblem {
  kind: AuditProblemKind;
  seq: number;
  message: string;
}

export interface VerifyReport {
  ok: boolean;
  entries: number;
  last_seq: number;
  /** the newest valid checkpoint seen (file or store) */
  checkpoint: AuditCheckpointRecord | null;
  problems: AuditProblem[];
  warnings: string[];
}

export interface VerifyInput {
  store: Store;
  keys: AuditKeys;
  /** the external checkpoint file as read (null: absent) */
  file: CheckpointFile | null;
  fileName?: string;
}

type Source = 'file' | 'store';

export async function verifyAudit({ store, keys, file, fileName = 'the checkpoint file' }: VerifyInput): Promise<VerifyReport> {
  const problems: AuditProblem[] = [];
  const warnings: string[] = [];
  const report = (kind: AuditProblemKind, seq: number, message: string) => problems.push({ kind, seq, message });

  // checkpoints: only the validly signed ones are evidence
  const anchors = new Map<number, { mac: string; source: Source; time: number }[]>();
  let newest: (AuditCheckpointRecord & { source: Source }) | null = null;
  const sources: [Source, AuditCheckpointRecord[]][] = [['file', file?.checkpoints ?? []], ['store', await store.listAuditCheckpoints()]];
  for (const [source, list] of sources) {
    for (const c of list) {
      if (!checkpointValid(keys.checkpoint, c)) {
        report('checkpoint-forged', c.seq, `the checkpoint of seq ${c.seq} in the ${source === 'file' ? fileName : 'store'} has a bad signature`);
        continue;
      }
      anchors.set(c.seq, [...(anchors.get(c.seq) ?? []), { mac: c.mac, source, time: c.time }]);
      if (!newest || c.seq > newest.seq) newest = { ...c, source };
    }
  }
  if (file?.malformed.length) warnings.push(`${fileName}: lines ${file.malformed.join(', ')} are not checkpoints`);

  let prev: AuditRow | null = null;
  let held: AuditRow | null = null; // the row being judged waits for its successor
  let run: { from: number; rows: number } | null = null; // consecutive rows whose MAC fails but whose links hold
  let stopped = false;
  let entries = 0;

  const closeRun = (atEnd: boolean) => {
    if (!run) return;
    if (atEnd && run.rows >= 2) {
      const wrongKey = run.from === 1 && !newest ? ' (or verify runs with a different master secret than the server)' : '';
      report('recomputed', run.from, `entries ${run.from}–${run.from + run.rows - 1} fail their MACs while their links agree: the chain was recomputed from seq ${run.from} without the key${wrongKey}`);
    } else {
      for (let s = run.from; s < run.from + run.rows; s++) report('edited', s, `entry ${s} fails its MAC: edited${atEnd ? ' (or forged and appended)' : ''}`);
    }
    run = null;
  };

  const judge = async (r: AuditRow, next: AuditRow | null): Promise<void> => {
    const expected = (prev?.seq ?? 0) + 1;
    const prevMac = prev?.mac ?? '';
    if (r.seq < expected) {
      report('inserted', r.seq, `seq ${r.seq} appears twice or out of order`);
      stopped = true;
      return;
    }
    const self = macValid(keys.chain, r);
    if (r.seq > expected) {
      closeRun(false);
      const range = r.seq - 1 === expected ? `entry ${expected} is` : `entries ${expected}–${r.seq - 1} are`;
      report('deleted', expected, `${range} missing (seq gap)`);
      if (!self) stopped = true;
      prev = r;
      return;
    }
    const linksIn = r.prev_mac === prevMac;
    if (self) {
      if (!linksIn && !run) report('chain-break', r.seq, `entry ${r.seq} is authentic but does not follow entry ${r.seq - 1}`);
      closeRun(false);
      prev = r;
      return;
    }
    if (next && next.prev_mac === prevMac && next.prev_mac !== r.mac) {
      closeRun(false);
      report('inserted', r.seq, `entry ${r.seq} was inserted: it fails its MAC and the next entry links past it to entry ${r.seq - 1}`);
      stopped = true;
      return;
    }
    if (linksIn) {
      run ??= { from: r.seq, rows: 0 };
      run.rows++;
      prev = r;
      return;
    }
    closeRun(false);
    const origin = await originalSeq(store, r.prev_mac);
    if (origin !== null && origin !== r.seq && macValid(keys.chain, r, origin)) {
      report('reordered', r.seq, `the entry at seq ${r.seq} was written as seq ${origin}: entries were reordered`);
    } else if (origin === null) {
      report('deleted', r.seq, `entry ${r.seq} does not follow entry ${r.seq - 1} and the entry it follows is gone: entries were deleted before seq ${r.seq} and the rest renumbered (or it is forged)`);
    } else {
      report('chain-break', r.seq, `entry ${r.seq} fails its MAC and does not follow entry ${r.seq - 1}`);
    }
    stopped = true;
  };

  for await (const row of auditRows(store)) {
    entries++;
    for (const a of anchors.get(row.seq) ?? []) {
      if (a.mac !== row.mac) {
        report('checkpoint-mismatch', row.seq, `entry ${row.seq} differs from the checkpoint of ${new Date(a.time).toISOString()} (${a.source}): rewritten after it`);
      }
    }
    if (held && !stopped) await judge(held, row);
    held = row;
  }
  if (held && !stopped) await judge(held, null);
  if (!stopped) closeRun(true);

  const last = held?.seq ?? 0;
  if (newest && newest.seq > last) {
    const from = newest.source === 'file' ? fileName : 'the store';
    report('truncated', last + 1, `the log ends at seq ${last} but a checkpoint in ${from} of ${new Date(newest.time).toISOString()} covers seq ${newest.seq}: ${newest.seq === last + 1 ? `entry ${last + 1} was` : `entries ${last + 1}–${newest.seq} (at least) were`} deleted`);
  }
  if (!file && entries > 0) warnings.push(`no external checkpoint file (${fileName}): a deleted tail would go unnoticed`);
  if (newest && last > newest.seq) warnings.push(`entries ${newest.seq + 1}–${last} are newer than the latest checkpoint (protected by the chain only)`);
  problems.sort((a, b) => a.seq - b.seq);
  return { ok: problems.length === 0, entries, last_seq: last, checkpoint: newest, problems, warnings };
}

/** the seq a row was written at: one after the row whose mac its prev_mac names (1 for the first row) */
async function originalSeq(store: Store, prev_mac: string): Promise<number | null> {
  if (prev_mac === '') return 1;
  for await (const row of auditRows(store)) if (row.mac === prev_mac) return row.seq + 1;
  return null;
}
