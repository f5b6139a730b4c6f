import { Command } from 'commander';
import { loadConfig } from '../config/config.ts';
import { openDatabase } from '../db/database.ts';
import { migrateToLatest } from '../db/migrate.ts';

export function migrateCommand(): Command {
  return new Command('migrate')
    .description('Apply database migrations (the server also does this at start)')
    .action(async () => {
      const config = loadConfig();
      const database = await openDatabase(
        config.databaseUrl ? { url: config.databaseUrl } : { dataDir: config.dataDir },
      );
      try {
        const results = await migrateToLatest(database.db);
        console.log(
          results.length === 0
            ? 'the database is up to date'
            : results.map((r) => `${r.status.toLowerCase()}: ${r.migrationName}`).join('\n'),
        );
      } finally {
        await database.close();
      }
    });
}
