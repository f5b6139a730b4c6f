import { Migrator, type Kysely, type MigrationResult } from 'kysely';
import { withoutStatementTimeout } from './database.ts';
import { migrations } from './migrations/index.ts';

export async function migrateToLatest(db: Kysely<any>): Promise<MigrationResult[]> {
  // A migration may rewrite a large table: the statement timeout does not apply.
  const { error, results } = await withoutStatementTimeout(db, (conn) =>
    new Migrator({
      db: conn,
      provider: { getMigrations: () => Promise.resolve(migrations) },
    }).migrateToLatest(),
  );
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(
      `migration ${failed?.migrationName ?? '?'} failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`,
    );
  }
  return results ?? [];
}
