/**
 * Whether a new master key may be made: only when neither database holds a register yet. Looked
 * at before either database is opened for work, so that a refusal creates nothing (no key file,
 * no empty database beside the one in use).
 */
import { readdir } from 'node:fs/promises';
import { sql } from 'kysely';
import type { Config } from '../config/config.ts';
import { openDatabase } from '../db/database.ts';
import { explained, StartupError } from './database-errors.ts';

/**
 * Which of the configured databases already holds something a master key sealed, named by its
 * variable: a master key file is created only for a register that has none yet. An embedded directory that
 * is empty (or missing) holds nothing and is not opened.
 */
export async function holdingRegister(
  config: Readonly<Config>,
  keystoreDatabaseDir: string,
): Promise<string | undefined> {
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
      dir: keystoreDatabaseDir,
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
    let used: boolean;
    try {
      // The first query is where a server's connection errors appear.
      used = await explained(origin, async () => {
        const tables = await sql<{ n: number }>`
          select count(*)::int as n from information_schema.tables
           where table_schema = current_schema() and table_name in (${sql.join([...store.tables])})`.execute(
          database.db,
        );
        const n = tables.rows[0]?.n ?? 0;
        // Some of the tables but not all: something is there, not a register of this version.
        return n === store.tables.length
          ? (await store.used.execute(database.db)).rows[0]?.used === true
          : n > 0;
      });
    } finally {
      await database.close();
    }
    if (used) {
      return store.variable;
    }
  }
  return undefined;
}

/** Refuses to make a master key beside a database that holds a register. */
export async function refuseNewKeyBesideRegister(
  config: Readonly<Config>,
  keystoreDatabaseDir: string,
): Promise<void> {
  const holder = await holdingRegister(config, keystoreDatabaseDir);
  if (holder) {
    throw new StartupError(
      `REKISTERI_KEY_FILE: ${config.keyFile} does not exist, but the database already holds a register sealed with a master key (${holder}): restore that key file (or point REKISTERI_KEY_FILE at it), or set REKISTERI_MASTER_KEY. Nothing was created: a new key could not open this data`,
    );
  }
}
