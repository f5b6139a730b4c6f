import { readdir, rename, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { sql } from 'kysely';
import {
  backupStore,
  checkArtefact,
  emptyStore,
  restoreStore,
  type BackupHeader,
  type Store,
} from '../backup/backup.ts';
import { loadConfig, type Config } from '../config/config.ts';
import { openDatabase, type DatabaseHandle } from '../db/database.ts';
import { EMBEDDED_CONF } from '../keystore/keystore.ts';
import { auditAnchorFile, keystoreDatabaseDir } from '../runtime.ts';
import { holdingRegister } from '../startup/new-key.ts';
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
      const config = loadConfig();
      // Run in the wrong directory (or with a wrong REKISTERI_DATA), a backup would otherwise make
      // a new, empty register, its key included, and copy that.
      if (!(await holdingRegister(config, keystoreDatabaseDir(config)))) {
        throw new Error(
          `${config.databaseUrl ? 'DATABASE_URL' : `REKISTERI_DATA: ${config.dataDir}`} holds no register: nothing to back up, and nothing was created. run it in the register's directory, or set REKISTERI_DATA (or DATABASE_URL) to its database`,
        );
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
        { quiet: true, config, runtime: { tolerateDefinitionChange: true } },
      );
    });
}

/**
 * The database a store is restored into, refusing a directory already in use. `discard` leaves it
 * as empty as it was: an embedded directory this restore created is removed, a server database
 * loses the tables the restore made. It is called after the handle is closed.
 */
async function openTarget(
  config: Readonly<Config>,
  store: Store,
): Promise<{ handle: DatabaseHandle; discard(): Promise<void> }> {
  const url = store === 'data' ? config.databaseUrl : config.keystoreUrl;
  if (url) {
    return {
      handle: await openDatabase({ url, poolSize: 2 }),
      discard: async () => {
        const again = await openDatabase({ url, poolSize: 1 });
        try {
          await emptyStore(again, store);
        } finally {
          await again.close();
        }
      },
    };
  }
  const dir = store === 'data' ? config.dataDir : keystoreDatabaseDir(config);
  const entries = await readdir(dir).catch(() => []);
  if (entries.length > 0) {
    throw new Error(
      `${dir} is not empty: move it away first (a restore never writes over a register in use)`,
    );
  }
  const handle = await openDatabase(
    store === 'data' ? { dataDir: dir } : { dataDir: dir, postgresqlconf: EMBEDDED_CONF },
  );
  return { handle, discard: () => rm(dir, { recursive: true, force: true }) };
}

/** The register id of the store that is not being restored, when it exists already. */
async function otherRegisterId(config: Readonly<Config>, other: Store): Promise<string | null> {
  const url = other === 'data' ? config.databaseUrl : config.keystoreUrl;
  const dir = other === 'data' ? config.dataDir : keystoreDatabaseDir(config);
  if (!url && (await readdir(dir).catch(() => [])).length === 0) {
    return null;
  }
  const handle = await openDatabase(url ? { url, poolSize: 1 } : { dataDir: dir });
  try {
    const table = other === 'data' ? 'settings' : 'keystore_settings';
    const r = await sql<{ value: string }>`
      select value from ${sql.table(table)} where key = 'register_id'`
      .execute(handle.db)
      .catch(() => ({ rows: [] as Array<{ value: string }> }));
    return r.rows[0]?.value ?? null;
  } finally {
    await handle.close();
  }
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
      // Every file read through before anything is loaded.
      const headers: BackupHeader[] = [];
      for (const [store, file] of wanted) {
        headers.push(await checkArtefact(file, store));
      }
      const ids = new Set(headers.map((h) => h.registerId));
      if (ids.size > 1) {
        throw new Error('the data backup and the key store backup belong to different registers');
      }
      if (wanted.length === 1) {
        const [store] = wanted[0] as [Store, string];
        const theirs = await otherRegisterId(config, store === 'data' ? 'keys' : 'data');
        const ours = headers[0]?.registerId ?? null;
        if (theirs !== null && ours !== null && theirs !== ours) {
          throw new Error(
            `${opts.data ?? opts.keys} belongs to another register than the ${store === 'data' ? 'key store' : 'data'} in place: nothing restored`,
          );
        }
      }
      // Both stores, or neither: a store restored before the other failed is emptied again.
      const done: Array<{ store: Store; discard(): Promise<void> }> = [];
      for (const [store, file] of wanted) {
        const target = await openTarget(config, store);
        let failed = true;
        try {
          const { header, rows } = await restoreStore(target.handle, file, store);
          failed = false;
          console.log(
            `restored the ${store === 'data' ? 'data' : 'key store'} as of ${header.createdAt}: ${total(rows)} rows`,
          );
          done.push({ store, discard: () => target.discard() });
        } finally {
          await target.handle.close().catch(() => undefined);
          if (failed) {
            await target.discard();
            for (const earlier of done) {
              await earlier.discard();
              console.error(
                `rekisteri: the ${earlier.store === 'data' ? 'data' : 'key store'} restored before was emptied again`,
              );
            }
          }
        }
      }
      if (opts.data) {
        // The restored access log ends where the backup did; the anchors beside the key store
        // name entries made after it. They are kept, under another name, as the record of what
        // the restore lost, and a new anchor file starts from the restored log.
        const anchors = auditAnchorFile(config);
        const kept = `${anchors}.before-restore-${new Date().toISOString().replaceAll(':', '')}`;
        try {
          await rename(anchors, kept);
          console.log(
            `the access log's anchors name entries the restored log no longer has: kept as ${kept}`,
          );
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
            throw err;
          }
        }
      }
      // Opening the pair checks that they belong together and re-applies both erasure journals.
      await withRuntime(
        async (rt) => {
          const people = await rt.services.subjects.countSubjects();
          const keys = await rt.keys.countKeys();
          console.log(`the register opens: ${people} people, ${keys} person keys`);
        },
        { config, runtime: { tolerateDefinitionChange: true } },
      );
    });
}
