import Database from 'better-sqlite3';
import { StoreConflictError } from '../types.js';

const isUniqueViolation = (e: unknown): boolean =>
  e instanceof Database.SqliteError &&
  (e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || e.code === 'SQLITE_CONSTRAINT_UNIQUE');

/** runs `write`, turning a primary-key or unique violation into StoreConflictError */
export function conflictAs<T>(message: string, write: () => T): T {
  try {
    return write();
  } catch (e) {
    if (isUniqueViolation(e)) throw new StoreConflictError(message);
    throw e;
  }
}
