/**
 * Backups of the two stores, as two separate artefacts: the data (sealed values, blind indexes,
 * the access log, staff, the erasure journal) and the key store (person keys, its own erasure
 * journal). An artefact is a gzip-compressed text file: a header line, then each table as a line
 * naming it and its columns followed by its rows in PostgreSQL's COPY text format and a `\.` line,
 * then a closing line with the row count of every table. The same format serves both databases,
 * so a backup of the embedded database can be restored on a server and the other way round.
 *
 * A restore goes into a new, empty database: migrated to the artefact's schema, loaded in one
 * transaction, migrated to today's schema. The erasure journals are then re-applied both ways
 * (by the runtime that opens the pair), so a backup made before an erasure does not bring the
 * person back as long as the other store is newer than the erasure.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { PassThrough } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import { Migrator, NO_MIGRATIONS, sql, type Kysely, type Migration } from 'kysely';
import type { DatabaseHandle } from '../db/database.ts';
import type { Database } from '../db/types.ts';
import { migrations as dataMigrations } from '../db/migrations/index.ts';
import { keystoreMigrations } from '../keystore/migrations.ts';

export type Store = 'data' | 'keys';

const FORMAT = 'rekisteri-backup';
const VERSION = 1;

export interface BackupHeader {
  format: typeof FORMAT;
  version: number;
  store: Store;
  createdAt: string;
  /** Migrations the store had when it was copied, in order. */
  migrations: string[];
  /** Pairs a data artefact with the key store artefact of the same register. */
  registerId: string | null;
}

export class BackupError extends Error {
  override name = 'BackupError';
}

const message = (err: unknown) => (err instanceof Error ? err.message : JSON.stringify(err));

const storeMigrations = (store: Store): Record<string, Migration> =>
  store === 'data' ? dataMigrations : keystoreMigrations;
const migrationTable = (store: Store) =>
  store === 'data' ? 'kysely_migration' : 'keystore_migration';

interface TableInfo {
  name: string;
  columns: string[];
  /** Identity columns, whose sequences follow the restored values. */
  identity: string[];
}

/**
 * The store's own tables in an order that satisfies their foreign keys, with the columns a restore
 * can write. Transaction ids (`xid8`) are left out: they mean nothing in another cluster, and the
 * restoring transaction's own id is the right value there.
 */
async function tablesOf(db: Kysely<Database>): Promise<TableInfo[]> {
  const tables = await sql<{ name: string }>`
    select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = current_schema() and c.relkind = 'r'
       and c.relname not in ('kysely_migration', 'kysely_migration_lock', 'keystore_migration', 'keystore_migration_lock')
     order by c.relname`.execute(db);
  const refs = await sql<{ child: string; parent: string }>`
    select cc.relname as child, pc.relname as parent
      from pg_constraint k
      join pg_class cc on cc.oid = k.conrelid
      join pg_class pc on pc.oid = k.confrelid
      join pg_namespace n on n.oid = cc.relnamespace
     where k.contype = 'f' and n.nspname = current_schema()`.execute(db);
  const columns = await sql<{ table_name: string; column_name: string; is_identity: string }>`
    select table_name, column_name, is_identity from information_schema.columns
     where table_schema = current_schema() and is_generated = 'NEVER' and data_type <> 'xid8'
     order by table_name, ordinal_position`.execute(db);
  const names = tables.rows.map((t) => t.name);
  const parents = new Map(names.map((n) => [n, new Set<string>()]));
  for (const r of refs.rows) {
    if (r.child !== r.parent) {
      parents.get(r.child)?.add(r.parent);
    }
  }
  const ordered: string[] = [];
  const visit = (n: string, path: Set<string>) => {
    if (ordered.includes(n) || path.has(n)) {
      return;
    }
    path.add(n);
    for (const p of parents.get(n) ?? []) {
      visit(p, path);
    }
    ordered.push(n);
  };
  names.forEach((n) => visit(n, new Set()));
  return ordered.map((name) => {
    const cols = columns.rows.filter((c) => c.table_name === name);
    return {
      name,
      columns: cols.map((c) => c.column_name),
      identity: cols.filter((c) => c.is_identity === 'YES').map((c) => c.column_name),
    };
  });
}

async function appliedMigrations(db: Kysely<Database>, store: Store): Promise<string[]> {
  const rows = await sql<{ name: string }>`
    select name from ${sql.table(migrationTable(store))} order by name`.execute(db);
  return rows.rows.map((r) => r.name);
}

/**
 * Writes one store to `file` (which must not exist; created 0600). Answers the row count of each
 * table.
 */
export async function backupStore(
  handle: DatabaseHandle,
  store: Store,
  file: string,
  registerId: string | null,
): Promise<Record<string, number>> {
  // Refuse to overwrite: an old artefact replaced by mistake is a backup lost.
  const fd = await open(file, 'wx', 0o600);
  const gzip = createGzip();
  const written = pipeline(gzip, createWriteStream('', { fd }));
  const counts: Record<string, number> = {};
  try {
    await handle.snapshot(async (tx, copyOut) => {
      const header: BackupHeader = {
        format: FORMAT,
        version: VERSION,
        store,
        createdAt: new Date().toISOString(),
        migrations: await appliedMigrations(tx, store),
        registerId,
      };
      const write = (s: string) =>
        gzip.write(s) ? Promise.resolve() : new Promise<void>((r) => gzip.once('drain', r));
      await write(`${JSON.stringify(header)}\n`);
      for (const t of await tablesOf(tx)) {
        await write(`${JSON.stringify({ table: t.name, columns: t.columns })}\n`);
        let rows = 0;
        let last = '\n';
        for await (const chunk of copyOut(t.name, t.columns)) {
          if (chunk.length === 0) {
            continue;
          }
          for (let i = chunk.indexOf('\n'); i !== -1; i = chunk.indexOf('\n', i + 1)) {
            rows++;
          }
          last = chunk;
          await write(chunk);
        }
        if (!last.endsWith('\n')) {
          throw new BackupError(`the copy of ${t.name} ended inside a row`);
        }
        await write('\\.\n');
        counts[t.name] = rows;
      }
      await write(`${JSON.stringify({ end: true, rows: counts })}\n`);
    });
    gzip.end();
    await written;
  } catch (err) {
    gzip.destroy();
    await written.catch(() => undefined);
    throw err;
  }
  return counts;
}

/**
 * The lines of an artefact, one at a time; undefined at its end. A file that is not gzip, or that
 * was cut short, fails the read that reaches the damage.
 */
function readLines(file: string): { next(): Promise<string | undefined>; close(): void } {
  const source = createReadStream(file);
  const gunzip = createGunzip();
  let failure: Error | undefined;
  const lines = createInterface({ input: gunzip, crlfDelay: Infinity });
  const fail = (err: Error) => {
    failure ??= err;
    lines.close();
  };
  source.on('error', fail);
  gunzip.on('error', fail);
  source.pipe(gunzip);
  const it = lines[Symbol.asyncIterator]();
  return {
    async next() {
      let r: IteratorResult<string>;
      try {
        r = await it.next();
      } catch (err) {
        failure ??= err instanceof Error ? err : new Error(String(err));
        r = { done: true, value: undefined };
      }
      if (failure) {
        throw new BackupError(
          (failure as NodeJS.ErrnoException).code === 'Z_DATA_ERROR' ||
            (failure as NodeJS.ErrnoException).code === 'Z_BUF_ERROR'
            ? `${file} is not a Rekisteri backup, or it is damaged (${failure.message})`
            : `${file}: ${failure.message}`,
        );
      }
      return r.done ? undefined : r.value;
    },
    close() {
      lines.close();
      gunzip.destroy();
      source.destroy();
    },
  };
}

/** Reads an artefact's header without reading the rest. */
export async function readHeader(file: string): Promise<BackupHeader> {
  const lines = readLines(file);
  try {
    const first = await lines.next();
    if (first === undefined) {
      throw new BackupError(`${file} is empty`);
    }
    return parseHeader(first, file);
  } finally {
    lines.close();
  }
}

function parseHeader(line: string, file: string): BackupHeader {
  let header: Partial<BackupHeader>;
  try {
    header = JSON.parse(line) as Partial<BackupHeader>;
  } catch {
    throw new BackupError(`${file} is not a Rekisteri backup`);
  }
  if (header.format !== FORMAT || (header.store !== 'data' && header.store !== 'keys')) {
    throw new BackupError(`${file} is not a Rekisteri backup`);
  }
  if (header.version !== VERSION) {
    throw new BackupError(
      `${file} has format version ${header.version}; this version reads ${VERSION}`,
    );
  }
  return header as BackupHeader;
}

/**
 * Leaves a database as empty as before a restore, so that it can be tried again: every table the
 * migrations made goes, and so do the migrator's own.
 */
export async function emptyStore(handle: DatabaseHandle, store: Store): Promise<void> {
  const migrator = new Migrator({
    db: handle.db,
    provider: { getMigrations: () => Promise.resolve(storeMigrations(store)) },
    migrationTableName: migrationTable(store),
    migrationLockTableName: `${migrationTable(store)}_lock`,
  });
  await migrator.migrateTo(NO_MIGRATIONS).catch(() => undefined);
  for (const t of [migrationTable(store), `${migrationTable(store)}_lock`]) {
    await sql`drop table if exists ${sql.table(t)}`.execute(handle.db).catch(() => undefined);
  }
}

/**
 * Reads a whole artefact without loading it: every table section closed, every row count as the
 * closing line says. A restore of two stores checks both first, so that a damaged second file does
 * not leave the first store restored alone.
 */
export async function checkArtefact(file: string, expected: Store): Promise<BackupHeader> {
  const header = await readHeader(file);
  if (header.store !== expected) {
    throw new BackupError(
      `${file} is a backup of the ${header.store === 'data' ? 'data' : 'key store'}, not of the ${expected === 'data' ? 'data' : 'key store'}`,
    );
  }
  const lines = readLines(file);
  try {
    await lines.next();
    const rows: Record<string, number> = {};
    let table: string | undefined;
    for (;;) {
      const line = await lines.next();
      if (line === undefined) {
        throw new BackupError(`${file} ends early: it is incomplete`);
      }
      if (table !== undefined) {
        if (line === '\\.') {
          table = undefined;
        } else {
          rows[table] = (rows[table] ?? 0) + 1;
        }
        continue;
      }
      let meta: { table?: string; end?: boolean; rows?: Record<string, number> };
      try {
        meta = JSON.parse(line) as typeof meta;
      } catch {
        throw new BackupError(`${file} is damaged: a table section is not where it should be`);
      }
      if (meta.end) {
        for (const [name, n] of Object.entries(meta.rows ?? {})) {
          if ((rows[name] ?? 0) !== n) {
            throw new BackupError(
              `${file} is damaged: ${name} should hold ${n} rows, found ${rows[name] ?? 0}`,
            );
          }
        }
        return header;
      }
      table = meta.table ?? '';
      rows[table] = 0;
    }
  } finally {
    lines.close();
  }
}

/** Whether a database holds none of our tables yet (a new database, or a new directory). */
export async function isEmptyDatabase(db: Kysely<Database>): Promise<boolean> {
  const r = await sql<{ n: number }>`
    select count(*)::int as n from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = current_schema() and c.relkind = 'r'`.execute(db);
  return (r.rows[0]?.n ?? 0) === 0;
}

/**
 * Loads an artefact into an empty database: migrated to the artefact's schema, every table loaded
 * in one transaction (all or nothing), identity sequences moved past the restored values, then
 * migrated to today's schema. Answers the header and the row counts.
 */
export async function restoreStore(
  handle: DatabaseHandle,
  file: string,
  expected: Store,
): Promise<{ header: BackupHeader; rows: Record<string, number> }> {
  const header = await readHeader(file);
  if (header.store !== expected) {
    throw new BackupError(
      `${file} is a backup of the ${header.store === 'data' ? 'data' : 'key store'}, not of the ${expected === 'data' ? 'data' : 'key store'}`,
    );
  }
  if (!(await isEmptyDatabase(handle.db))) {
    throw new BackupError(
      `the ${expected === 'data' ? 'data' : 'key store'} database is not empty: restore into a new database (or a new directory), never over a register in use`,
    );
  }
  const known = Object.keys(storeMigrations(expected)).sort();
  const unknown = header.migrations.filter((m) => !known.includes(m));
  if (unknown.length > 0) {
    throw new BackupError(
      `${file} was made by a newer version of Rekisteri (migrations ${unknown.join(', ')}); restore it with that version`,
    );
  }
  const migrator = new Migrator({
    db: handle.db,
    provider: { getMigrations: () => Promise.resolve(storeMigrations(expected)) },
    migrationTableName: migrationTable(expected),
    migrationLockTableName: `${migrationTable(expected)}_lock`,
  });
  const target = header.migrations.at(-1);
  if (target) {
    const { error } = await migrator.migrateTo(target);
    if (error) {
      throw new BackupError(`preparing the schema failed: ${message(error)}`);
    }
  }

  const rows: Record<string, number> = {};
  try {
    await loadTables(handle, file, rows);
  } catch (err) {
    await emptyStore(handle, expected);
    throw err;
  }
  const { error } = await migrator.migrateToLatest();
  if (error) {
    throw new BackupError(`migrating the restored database failed: ${message(error)}`);
  }
  return { header, rows };
}

/** Loads every table of an artefact in one transaction: all of it, or nothing. */
async function loadTables(
  handle: DatabaseHandle,
  file: string,
  rows: Record<string, number>,
): Promise<void> {
  await handle.bulkTransaction(async (tx, _copy, copyText) => {
    const tables = new Map((await tablesOf(tx)).map((t) => [t.name, t]));
    const input = readLines(file);
    const next = async (): Promise<string> => {
      const line = await input.next();
      if (line === undefined) {
        throw new BackupError(`${file} ends early: it is incomplete`);
      }
      return line;
    };
    try {
      await next(); // the header, read above
      let ended: Record<string, number> | undefined;
      while (!ended) {
        const line = await next();
        let meta: {
          table?: string;
          columns?: string[];
          end?: boolean;
          rows?: Record<string, number>;
        };
        try {
          meta = JSON.parse(line) as typeof meta;
        } catch {
          throw new BackupError(`${file} is damaged: a table section is not where it should be`);
        }
        if (meta.end) {
          ended = meta.rows ?? {};
          break;
        }
        const table = tables.get(meta.table ?? '');
        if (!table || !meta.columns || meta.columns.some((c) => !table.columns.includes(c))) {
          throw new BackupError(`${file} holds a table this schema does not have: ${meta.table}`);
        }
        let count = 0;
        const section = new PassThrough({ objectMode: true });
        let failed: unknown;
        const loading = copyText(table.name, meta.columns, section).catch((err: unknown) => {
          failed = err;
          section.destroy();
        });
        for (;;) {
          const row = await next();
          if (row === '\\.') {
            break;
          }
          count++;
          if (failed === undefined && !section.write(`${row}\n`)) {
            await new Promise<void>((r) => {
              const done = () => {
                section.off('drain', done);
                section.off('close', done);
                r();
              };
              section.on('drain', done);
              section.on('close', done);
            });
          }
        }
        section.end();
        await loading;
        if (failed !== undefined) {
          throw failed instanceof Error ? failed : new BackupError(message(failed));
        }
        rows[table.name] = count;
      }
      for (const [name, n] of Object.entries(ended)) {
        if ((rows[name] ?? 0) !== n) {
          throw new BackupError(
            `${file} is damaged: ${name} should hold ${n} rows, found ${rows[name] ?? 0}`,
          );
        }
      }
    } finally {
      input.close();
    }
    for (const t of tables.values()) {
      for (const column of t.identity) {
        await sql`
          select setval(pg_get_serial_sequence(${t.name}, ${column}),
                        coalesce((select max(${sql.ref(column)}) from ${sql.table(t.name)}), 1),
                        (select count(*) > 0 from ${sql.table(t.name)}))`.execute(tx);
      }
    }
  });
}
