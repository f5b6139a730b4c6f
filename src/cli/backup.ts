import { readdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { backupStore, readHeader, restoreStore, type Store } from '../backup/backup.ts';
import { loadConfig, type Config } from '../config/config.ts';
import { openDatabase, type DatabaseHandle } from '../db/database.ts';
import { EMBEDDED_CONF } from '../keystore/keystore.ts';
import { keystoreDatabaseDir } from '../runtime.ts';
import { withRuntime } from './with-runtime.ts';

const total = (rows: Record<string, number>) => Object.values(rows).reduce((a, b) => a + b, 0);

export function backupCommand(): Command {
  return new Command('backup')
    .description(
      'Copy the data and the key store, each to a file of its own (keep them in different places)',
    )
    .option('--data <file>', 'write the data (sealed values, access log, staff) to this new file')
    .option('--keys <file>', 'write the key store (person keys, erasure journal) to this new file')
    .action(async (opts: { data?: string; keys?: string }) => {
      if (!opts.data && !opts.keys) {
        throw new Error('give --data FILE, --keys FILE or both');
      }
      await withRuntime(
        async (rt) => {
          // What is sealed goes into the copy as sealed.
          await rt.services.audit.seal();
          const id = await rt.database.db
            .selectFrom('settings')
            .select('value')
            .where('key', '=', 'register_id')
            .executeTakeFirst();
          if (opts.data) {
            const rows = await backupStore(
              rt.database,
              'data',
              resolve(opts.data),
              id?.value ?? null,
            );
            console.log(`wrote the data to ${opts.data}: ${total(rows)} rows`);
          }
          if (opts.keys) {
            const rows = await backupStore(
              rt.keys.handle,
              'keys',
              resolve(opts.keys),
              id?.value ?? null,
            );
            console.log(
              `wrote the key store to ${opts.keys}: ${rows.person_keys ?? 0} person keys, ${rows.erasures ?? 0} erasures journalled`,
            );
            console.log(
              'keep it apart from the data backups, and delete it when the key-store window ends (docs/operations.md)',
            );
          }
        },
        { quiet: true },
      );
    });
}

/** Opens the database a store is restored into, refusing a directory already in use. */
async function openTarget(config: Readonly<Config>, store: Store): Promise<DatabaseHandle> {
  const url = store === 'data' ? config.databaseUrl : config.keystoreUrl;
  if (url) {
    return openDatabase({ url, poolSize: 2 });
  }
  const dir = store === 'data' ? config.dataDir : keystoreDatabaseDir(config);
  const entries = await readdir(dir).catch(() => []);
  if (entries.length > 0) {
    throw new Error(
      `${dir} is not empty: move it away first (a restore never writes over a register in use)`,
    );
  }
  return openDatabase(
    store === 'data' ? { dataDir: dir } : { dataDir: dir, postgresqlconf: EMBEDDED_CONF },
  );
}

export function restoreCommand(): Command {
  return new Command('restore')
    .description(
      'Restore the data, the key store or both from `rekisteri backup` files into new, empty databases, then re-apply both erasure journals',
    )
    .option('--data <file>', 'a data backup')
    .option('--keys <file>', 'a key store backup')
    .action(async (opts: { data?: string; keys?: string }) => {
      if (!opts.data && !opts.keys) {
        throw new Error('give --data FILE, --keys FILE or both');
      }
      const config = loadConfig();
      const wanted: Array<[Store, string]> = [];
      if (opts.data) {
        wanted.push(['data', resolve(opts.data)]);
      }
      if (opts.keys) {
        wanted.push(['keys', resolve(opts.keys)]);
      }
      const headers = await Promise.all(wanted.map(([, file]) => readHeader(file)));
      const ids = new Set(headers.map((h) => h.registerId));
      if (ids.size > 1) {
        throw new Error('the data backup and the key store backup belong to different registers');
      }
      for (const [store, file] of wanted) {
        const handle = await openTarget(config, store);
        try {
          const { header, rows } = await restoreStore(handle, file, store);
          console.log(
            `restored the ${store === 'data' ? 'data' : 'key store'} as of ${header.createdAt}: ${total(rows)} rows`,
          );
        } finally {
          await handle.close();
        }
      }
      // Opening the pair checks that they belong together and re-applies both erasure journals.
      await withRuntime(
        async (rt) => {
          console.log(
            `the register opens: ${await rt.services.subjects.countSubjects()} people, ${await rt.keys.countKeys()} person keys`,
          );
        },
        { config },
      );
    });
}
