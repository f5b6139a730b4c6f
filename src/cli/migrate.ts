import { Command } from 'commander';
import { loadConfig } from '../config/config.ts';
import { openDatabase } from '../db/database.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { explained, type DatabaseOrigin } from '../startup/database-errors.ts';
import { checkDirectories } from '../startup/directories.ts';

export function migrateCommand(): Command {
  return new Command('migrate')
    .description('Apply database migrations (the server also does this at start)')
    .action(async () => {
      const config = loadConfig();
      await checkDirectories(config);
      const origin: DatabaseOrigin = config.databaseUrl
        ? { variable: 'DATABASE_URL', where: config.databaseUrl }
        : { variable: 'REKISTERI_DATA', where: config.dataDir };
      const database = await explained(origin, () =>
        openDatabase(
          config.databaseUrl ? { url: config.databaseUrl } : { dataDir: config.dataDir },
        ),
      );
      try {
        const results = await explained(origin, () => migrateToLatest(database.db, origin));
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
