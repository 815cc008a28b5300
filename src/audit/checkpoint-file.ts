import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AuditCheckpointRecord } from '../store/types.js';

/**
 * The external checkpoint file: one signed checkpoint per line, JSON, append-only, outside the store (default
 * `<data_dir>/audit-checkpoints.jsonl`; ship it elsewhere for more safety). It is what reveals a cut tail: an
 * attacker who deletes the newest entries (and the store's own checkpoints) cannot reach this file through the
 * store.
 */
export const CHECKPOINT_FILE_NAME = 'audit-checkpoints.jsonl';

export function appendCheckpointFile(file: string, c: AuditCheckpointRecord): void {
  mkdirSync(dirname(file), { recursive: true });
  const fd = openSync(file, 'a', 0o644);
  try {
    writeSync(fd, `${JSON.stringify({ seq: c.seq, mac: c.mac, time: c.time, signature: c.signature })}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export interface CheckpointFile {
  checkpoints: AuditCheckpointRecord[];
  /** 1-based numbers of lines that are not a checkpoint */
  malformed: number[];
}

/** null when the file does not exist */
export function readCheckpointFile(file: string): CheckpointFile | null {
  if (!existsSync(file)) return null;
  const out: CheckpointFile = { checkpoints: [], malformed: [] };
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        const c = JSON.parse(line) as Partial<AuditCheckpointRecord>;
        if (!Number.isSafeInteger(c.seq) || typeof c.mac !== 'string' || !Number.isSafeInteger(c.time) || typeof c.signature !== 'string') {
          throw new Error('not a checkpoint');
        }
        out.checkpoints.push({ seq: c.seq!, mac: c.mac, time: c.time!, signature: c.signature });
      } catch {
        out.malformed.push(i + 1);
      }
    });
  return out;
}
