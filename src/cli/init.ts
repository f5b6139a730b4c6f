import { copyFile, access, readdir } from 'node:fs/promises';
import { Command } from 'commander';
import { sql } from 'kysely';
import { loadConfig, masterKeyFromEnvironment, type Config } from '../config/config.ts';
import { openDatabase } from '../db/database.ts';
import { DEMO_REGISTER, keystoreDatabaseDir } from '../runtime.ts';
import { explained } from '../startup/database-errors.ts';
import { createDirectories } from '../startup/directories.ts';
import { loadMasterKey, loadOrCreateMasterKey } from '../vault/master-key.ts';

/**
 * Which of the configured databases already holds something a master key sealed, named by its
 * variable: init creates a key only for a register that has none yet. An embedded directory that
 * is empty (or missing) holds nothing and is not opened.
 */
async function holdingRegister(config: Readonly<Config>): Promise<string | undefined> {
  const empty = async (dir: string) => (await readdir(dir).catch(() => [])).length === 0;
  const stores = [
    {
      variable: config.databaseUrl ? 'DATABASE_URL' : 'REKISTERI_DATA',
      url: config.databaseUrl,
      dir: config.dataDir,
      used: sql<{ used: boolean }>`
        select exists (select 1 from settings where key in ('key_check', 'register_id'))
            or exists (select 1 from subjects) or exists (select 1 from staff)
            or exists (select 1 from audit_events) as used`,
      tables: ['settings', 'subjects', 'staff', 'audit_events'],
    },
    {
      variable: config.keystoreUrl ? 'KEYSTORE_DATABASE_URL' : 'REKISTERI_KEYSTORE',
      url: config.keystoreUrl,
      dir: keystoreDatabaseDir(config),
      used: sql<{ used: boolean }>`
        select exists (select 1 from keystore_settings)
            or exists (select 1 from person_keys) as used`,
      tables: ['keystore_settings', 'person_keys'],
    },
  ] as const;
  for (const store of stores) {
    if (!store.url && (await empty(store.dir))) {
      continue;
    }
    const origin = {
      variable: store.variable,
      where: store.url ?? store.dir,
    };
    const database = await explained(origin, () =>
      openDatabase(store.url ? { url: store.url, poolSize: 1 } : { dataDir: store.dir }),
    );
    try {
      const tables = await sql<{ n: number }>`
        select count(*)::int as n from information_schema.tables
         where table_schema = current_schema() and table_name in (${sql.join([...store.tables])})`.execute(
        database.db,
      );
      const n = tables.rows[0]?.n ?? 0;
      // Some of the tables but not all: something is there, not a register of this version.
      const used =
        n === store.tables.length
          ? (await store.used.execute(database.db)).rows[0]?.used === true
          : n > 0;
      if (used) {
        return store.variable;
      }
    } finally {
      await database.close();
    }
  }
  return undefined;
}

export function initCommand(): Command {
  return new Command('init')
    .description(
      'Write a starting register.yaml (from the demo register), create the data and key-store directories (with their parents) and the master key file',
    )
    .option('--force', 'overwrite an existing register.yaml')
    .action(async (opts: { force?: boolean }) => {
      const config = loadConfig();
      // Refused before anything is written: a key made now could not open a register in use.
      const fromEnv = masterKeyFromEnvironment(config);
      const found = await loadMasterKey({ fromEnv, file: config.keyFile });
      const holder = found ? undefined : await holdingRegister(config);
      if (holder) {
        throw new Error(
          `REKISTERI_KEY_FILE: ${config.keyFile} does not exist, but the database of ${holder} already holds a register sealed with a master key: restore that key file, or set REKISTERI_MASTER_KEY. Nothing was written`,
        );
      }
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
