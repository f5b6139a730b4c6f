/**
 * Work done once per database however many instances start together: recording the definition,
 * creating the first administrator, inventing the demo's people. On PostgreSQL it runs under a
 * session-level advisory lock held on one connection of the pool while the work uses the others;
 * the embedded database belongs to one process at a time already (its lock file).
 */
import { sql } from 'kysely';
import type { DatabaseHandle } from '../db/database.ts';

/** The advisory lock's key: any constant that no other application on the server uses. */
const FIRST_START_LOCK = 7_275_636_917_345_001n;

export async function underStartLock<T>(
  database: DatabaseHandle,
  fn: () => Promise<T>,
): Promise<T> {
  if (database.kind !== 'postgres') {
    return fn();
  }
  return database.db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(${FIRST_START_LOCK.toString()}::bigint)`.execute(conn);
    try {
      return await fn();
    } finally {
      await sql`select pg_advisory_unlock(${FIRST_START_LOCK.toString()}::bigint)`
        .execute(conn)
        .catch(() => undefined);
    }
  });
}
