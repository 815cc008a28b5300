/**
 * The audit log (ARCHITECTURE "Audit"): append-only, HMAC-chained, checkpointed outside the store.
 * Call sites use `AuditLog.record` (security events, durable on return) and `AuditLog.recordBatched` (tool calls).
 */
import { join } from 'node:path';
import { CHECKPOINT_FILE_NAME } from './checkpoint-file.js';

export { AuditLog, type AuditLogOptions } from './log.js';
export { deriveAuditKeys, type AuditKeys } from './chain.js';
export { CHECKPOINT_FILE_NAME, readCheckpointFile } from './checkpoint-file.js';
export { exportAudit, queryAudit, tailAudit, type AuditPage, type AuditQuery } from './query.js';
export { verifyAudit, type AuditProblem, type AuditProblemKind, type VerifyReport } from './verify.js';
export * from './types.js';

/** `<data_dir>/audit-checkpoints.jsonl` */
export const defaultCheckpointFile = (dataDir: string): string => join(dataDir, CHECKPOINT_FILE_NAME);
