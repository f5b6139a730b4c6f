import { copyFile, access, readdir } from 'node:fs/promises';
import { Command } from 'commander';
import { sql } from 'kysely';
import { loadConfig, masterKeyFromEnvironment, type Config } from '../config/config.ts';
import { openDatabase } from '../db/database.ts';
import { createSettingsRepo } from '../db/settings.repo.ts';
import { DEMO_REGISTER, keystoreDatabaseDir } from '../runtime.ts';
import { createDirectories } from '../startup/directories.ts';
import { loadMasterKey, loadOrCreateMasterKey } from '../vault/master-key.ts';

/**
 * Whether the configured databases already hold something a master key sealed: init creates a key
 * only for a register that has none yet. An embedded directory that is empty holds nothing.
 */
async function holdsRegister(config: Readonly<Config>): Promise<boolean> {
  const empty = async (dir: string) => (await readdir(dir).catch(() => [])).length === 0;
  if (
    !config.databaseUrl &&
    (await empty(config.dataDir)) &&
    (config.keystoreUrl !== undefined || (await empty(keystoreDatabaseDir(config))))
  ) {
    return false;
  }
  const database = await openDatabase(
    config.databaseUrl ? { url: config.databaseUrl } : { dataDir: config.dataDir },
  );
  try {
    const tables = await sql<{ n: number }>`
      select count(*)::int as n from information_schema.tables
       where table_schema = current_schema() and table_name in ('settings', 'subjects', 'staff', 'audit_events')`.execute(
      database.db,
    );
    if ((tables.rows[0]?.n ?? 0) < 4) {
      return (tables.rows[0]?.n ?? 0) > 0;
    }
    const settings = createSettingsRepo(database.db);
    return (await settings.get('key_check')) !== undefined || (await settings.inUse());
  } finally {
    await database.close();
  }
}

export function initCommand(): Command {
  return new Command('init')
    .description(
      'Write a starting register.yaml (from the demo register), create the data and key-store directories (with their parents) and the master key file',
    )
    .option('--force', 'overwrite an existing register.yaml')
    .action(async (opts: { force?: boolean }) => {
      const config = loadConfig();
      let exists = true;
      try {
        await access(config.registerFile);
      } catch {
        exists = false;
      }
      if (exists && !opts.force) {
        console.log(`${config.registerFile} exists; leaving it (use --force to overwrite)`);
      } else {
        await copyFile(DEMO_REGISTER, config.registerFile);
        console.log(
          `wrote ${config.registerFile}: edit it to describe your register, then run \`rekisteri check\``,
        );
      }
      for (const dir of await createDirectories(config)) {
        console.log(`created ${dir} (mode 0700)`);
      }
      const fromEnv = masterKeyFromEnvironment(config);
      const found = await loadMasterKey({ fromEnv, file: config.keyFile });
      if (!found && (await holdsRegister(config))) {
        throw new Error(
          `REKISTERI_KEY_FILE: ${config.keyFile} does not exist, but the database already holds a register sealed with a master key: restore that key file, or set REKISTERI_MASTER_KEY. No new key was created`,
        );
      }
      const key =
        found ??
        (await loadOrCreateMasterKey({
          fromEnv,
          file: config.keyFile,
          create: true,
          parents: true,
        }));
      console.log(
        key.origin === 'created'
          ? `created ${config.keyFile} (mode 0600): keep a copy somewhere safe, without it the data cannot be read`
          : `master key: using the existing one (${key.origin === 'environment' ? 'REKISTERI_MASTER_KEY' : config.keyFile})`,
      );
    });
}
