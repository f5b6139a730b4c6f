import { Migrator, type Kysely, type MigrationResult } from 'kysely';
import { refuseNewerDatabase, type DatabaseOrigin } from '../startup/database-errors.ts';
import { withoutStatementTimeout } from './database.ts';
import { migrations } from './migrations/index.ts';

export async function migrateToLatest(
  db: Kysely<any>,
  origin?: DatabaseOrigin,
): Promise<MigrationResult[]> {
  if (origin) {
    await refuseNewerDatabase(db, Object.keys(migrations), origin);
  }
  // A migration may rewrite a large table: the statement timeout does not apply.
  const { error, results } = await withoutStatementTimeout(db, (conn) =>
    new Migrator({
      db: conn,
      provider: { getMigrations: () => Promise.resolve(migrations) },
    }).migrateToLatest(),
  );
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    const name = failed ? `migration ${failed.migrationName}` : 'migrating the database';
    const where = origin ? `${origin.variable}: ` : '';
    throw Object.assign(
      new Error(
        `${where}${name} failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`,
      ),
      { code: (error as { code?: unknown }).code },
    );
  }
  return results ?? [];
}
