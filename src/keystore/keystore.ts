/**
 * The key store: each person's data key, wrapped by the master key, kept in a database of its own
 * (a PostgreSQL database given by KEYSTORE_DATABASE_URL, or an embedded one in its own directory),
 * never in the data database. A dump or a copy of the data alone therefore opens nothing, and an
 * erasure, which deletes the key here, reaches every copy of the data made before it.
 *
 * Beside the keys: the erasure journal (person id, time, reason code: no personal data), which a
 * restore re-applies in both directions, and the cleaning that removes an erased key's bytes from
 * the key store's files and write-ahead log.
 */
import { Migrator, sql, type Kysely } from 'kysely';
import { arrayLiteral } from '../db/array-literal.ts';
import {
  openDatabase,
  withoutStatementTimeout,
  type DatabaseHandle,
  type PoolTimeouts,
} from '../db/database.ts';
import { refuseNewerDatabase, type DatabaseOrigin } from '../startup/database-errors.ts';
import type { KeyStoreDatabase } from './migrations.ts';
import { keystoreMigrations } from './migrations.ts';

export const ERASURE_REASONS = [
  /** A data subject's erasure request (Art. 17). */
  'request',
  /** The retention period ended. */
  'retention',
  /** Consent was withdrawn and nothing else allows keeping the data. */
  'consent_withdrawn',
  /** The person objected and no overriding grounds remain (Art. 21). */
  'objection',
  /** The data was processed unlawfully. */
  'unlawful',
  /** Applied from the other store's journal during a restore or a start. */
  'journal',
  'other',
] as const;
export type ErasureReason = (typeof ERASURE_REASONS)[number];

export class KeyStoreError extends Error {
  override name = 'KeyStoreError';
}

export interface ErasureEntry {
  subjectId: string;
  erasedAt: Date;
  reason: ErasureReason;
}

export interface CleanResult {
  /** Whether there were erasures to clean away. */
  cleaned: boolean;
  /** Steps the database refused (a server role without CHECKPOINT rights, say). */
  warnings: string[];
}

/**
 * The embedded key store's database never reuses a write-ahead log segment: a recycled segment
 * keeps the bytes of the records it held before, wrapped keys among them, until they happen to be
 * overwritten. New segments are zero-filled instead, and old ones are deleted after a checkpoint.
 */
export const EMBEDDED_CONF = ['wal_recycle = off', 'wal_init_zero = on'];

const buf = (v: Buffer | Uint8Array): Buffer => (Buffer.isBuffer(v) ? v : Buffer.from(v));

export async function openKeyStore(opts: {
  url?: string;
  dir?: string;
  timeouts?: PoolTimeouts;
  /** Names the variable in the refusal of a key store migrated by a newer version. */
  origin?: DatabaseOrigin;
}): Promise<KeyStore> {
  const handle = await openDatabase(
    opts.url
      ? {
          url: opts.url,
          poolSize: 10,
          variable: 'KEYSTORE_DATABASE_URL',
          ...(opts.timeouts ? { timeouts: opts.timeouts } : {}),
        }
      : opts.dir
        ? { dataDir: opts.dir, postgresqlconf: EMBEDDED_CONF }
        : { postgresqlconf: EMBEDDED_CONF },
  );
  try {
    // The handle is typed for the data database; the key store has tables of its own.
    const db = handle.db as unknown as Kysely<KeyStoreDatabase>;
    const dataTables = await sql<{ n: number }>`
      select count(*)::int as n from information_schema.tables
       where table_schema = current_schema() and table_name in ('subjects', 'subject_values')`.execute(
      db,
    );
    if ((dataTables.rows[0]?.n ?? 0) > 0) {
      throw new Error(
        'the key store must be a database of its own: KEYSTORE_DATABASE_URL points at a database that holds the register data',
      );
    }
    if (opts.origin) {
      await refuseNewerDatabase(
        db,
        Object.keys(keystoreMigrations),
        opts.origin,
        'keystore_migration',
      );
    }
    const { error, results } = await withoutStatementTimeout(db, (conn) =>
      new Migrator({
        db: conn,
        provider: { getMigrations: () => Promise.resolve(keystoreMigrations) },
        migrationTableName: 'keystore_migration',
        migrationLockTableName: 'keystore_migration_lock',
      }).migrateToLatest(),
    );
    if (error) {
      const failed = results?.find((r) => r.status === 'Error');
      throw new Error(
        `key store migration ${failed?.migrationName ?? '?'} failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`,
      );
    }
    return createKeyStore(handle, db);
  } catch (err) {
    await handle.close();
    throw err;
  }
}

function createKeyStore(handle: DatabaseHandle, db: Kysely<KeyStoreDatabase>) {
  return {
    kind: handle.kind,
    /** The underlying database, for backups and tests. */
    handle,
    db,

    /**
     * Stores new people's wrapped keys; a key already stored for the same person stays. Refused
     * unless `wrappedBy` is the wrapping key the key store is under now: a server still running
     * with the old master key after a rotation must not add keys no current key opens. The check
     * holds a share lock on that setting, which a rotation's last step waits for.
     */
    async put(
      keys: ReadonlyArray<{ subjectId: string; wrapped: Buffer }>,
      wrappedBy: string,
    ): Promise<void> {
      if (keys.length === 0) {
        return;
      }
      await db.transaction().execute(async (tx) => {
        const current = await tx
          .selectFrom('keystore_settings')
          .select('value')
          .where('key', '=', 'wrap_key_id')
          .forShare()
          .executeTakeFirst();
        if (current && current.value !== wrappedBy) {
          throw new KeyStoreError(
            'the master key was rotated: this process still has the old one; restart it with the new key',
          );
        }
        for (let i = 0; i < keys.length; i += 5000) {
          const chunk = keys.slice(i, i + 5000);
          await tx
            .insertInto('person_keys')
            .values(
              chunk.map((k) => ({
                subject_id: k.subjectId,
                wrapped: k.wrapped,
                wrapped_by: wrappedBy,
              })),
            )
            .onConflict((oc) => oc.column('subject_id').doNothing())
            .execute();
        }
      });
    },

    async get(subjectId: string): Promise<Buffer | undefined> {
      const row = await db
        .selectFrom('person_keys')
        .select('wrapped')
        .where('subject_id', '=', subjectId)
        .executeTakeFirst();
      return row ? buf(row.wrapped) : undefined;
    },

    async getMany(subjectIds: readonly string[]): Promise<Map<string, Buffer>> {
      if (subjectIds.length === 0) {
        return new Map();
      }
      // The ids travel as one array parameter: thousands of parameters (an audience's page) cost
      // more to send, parse and plan than the lookup itself.
      const rows = await db
        .selectFrom('person_keys')
        .select(['subject_id', 'wrapped'])
        .where(sql<boolean>`subject_id = any(${arrayLiteral(subjectIds)}::uuid[])`)
        .execute();
      return new Map(rows.map((r) => [r.subject_id, buf(r.wrapped)]));
    },

    /**
     * Destroys the keys of erased people and journals each erasure, in one statement (so one
     * transaction). Erasing a person again changes nothing.
     */
    async erase(entries: readonly ErasureEntry[]): Promise<void> {
      if (entries.length === 0) {
        return;
      }
      // One statement (atomic on its own, one round trip) for the whole list, which travels as
      // one JSON parameter: the keys deleted and the erasures journalled.
      const json = JSON.stringify(
        entries.map((e) => ({ s: e.subjectId, t: e.erasedAt, r: e.reason })),
      );
      await sql`
        with entries as (
          select x.s, x.t, x.r
            from jsonb_to_recordset(${json}::jsonb) as x(s uuid, t timestamptz, r text)),
          gone as (delete from person_keys where subject_id in (select s from entries))
        insert into erasures (subject_id, erased_at, reason)
        select s, t, r from entries
        on conflict (subject_id) do nothing`.execute(db);
    },

    /** The erasure journal after `afterSeq`, oldest first. */
    async journal(afterSeq = '0'): Promise<Array<ErasureEntry & { seq: string }>> {
      const rows = await db
        .selectFrom('erasures')
        .select(['seq', 'subject_id', 'erased_at', 'reason'])
        .where('seq', '>', afterSeq)
        .orderBy('seq')
        .execute();
      return rows.map((r) => ({
        seq: r.seq,
        subjectId: r.subject_id,
        erasedAt: new Date(r.erased_at),
        reason: r.reason as ErasureReason,
      }));
    },

    /** Keys still held for any of these people (a restored old key store may hold erased ones). */
    async present(subjectIds: readonly string[]): Promise<string[]> {
      const out: string[] = [];
      for (let i = 0; i < subjectIds.length; i += 5000) {
        const rows = await db
          .selectFrom('person_keys')
          .select('subject_id')
          .where('subject_id', 'in', subjectIds.slice(i, i + 5000))
          .execute();
        out.push(...rows.map((r) => r.subject_id));
      }
      return out;
    },

    async setting(key: string): Promise<string | undefined> {
      const row = await db
        .selectFrom('keystore_settings')
        .select('value')
        .where('key', '=', key)
        .executeTakeFirst();
      return row?.value;
    },

    async setSetting(key: string, value: string): Promise<void> {
      await db
        .insertInto('keystore_settings')
        .values({ key, value })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
        .execute();
    },

    /** Sets a setting unless it is set; answers the value that holds afterwards. */
    async claimSetting(key: string, value: string): Promise<string> {
      await db
        .insertInto('keystore_settings')
        .values({ key, value })
        .onConflict((oc) => oc.column('key').doNothing())
        .execute();
      return (await this.setting(key)) ?? value;
    },

    async countKeys(): Promise<number> {
      const r = await db
        .selectFrom('person_keys')
        .select(sql<number>`count(*)::int`.as('n'))
        .executeTakeFirstOrThrow();
      return r.n;
    },

    /** Whether erasures were journalled since the last cleaning. */
    async needsCleaning(): Promise<boolean> {
      const [last, cleaned] = await Promise.all([
        db
          .selectFrom('erasures')
          .select(sql<string | null>`max(seq)::text`.as('m'))
          .executeTakeFirstOrThrow(),
        this.setting('cleaned_through'),
      ]);
      return last.m !== null && BigInt(last.m) > BigInt(cleaned ?? '0');
    },

    /**
     * Removes the bytes of deleted keys (and, after a rotation, of keys' old wrapped forms) from
     * the key store's storage: the table is rewritten into
     * new files (the old ones are deleted), a checkpoint makes the rewrite durable, and a switch to
     * a new write-ahead log segment followed by a second checkpoint lets the segments that recorded
     * the keys' insertion be deleted. On a server, CHECKPOINT and pg_switch_wal need rights the
     * key store's role may lack: what is refused is reported, not hidden.
     */
    async clean(opts: { force?: boolean } = {}): Promise<CleanResult> {
      const last = await db
        .selectFrom('erasures')
        .select(sql<string | null>`max(seq)::text`.as('m'))
        .executeTakeFirstOrThrow();
      const cleaned = await this.setting('cleaned_through');
      if (!opts.force && (last.m === null || BigInt(last.m) <= BigInt(cleaned ?? '0'))) {
        return { cleaned: false, warnings: [] };
      }
      const warnings: string[] = [];
      // Rewrites the whole table: longer than any request may take, so no statement timeout.
      await withoutStatementTimeout(db, (conn) => sql`vacuum full person_keys`.execute(conn));
      const step = async (what: string, q: ReturnType<typeof sql>) => {
        try {
          await q.execute(db);
        } catch (err) {
          warnings.push(`${what} refused: ${err instanceof Error ? err.message : String(err)}`);
        }
      };
      await step('checkpoint', sql`checkpoint`);
      await step('switching the write-ahead log', sql`select pg_switch_wal()`);
      await step('checkpoint', sql`checkpoint`);
      if (last.m !== null) {
        await this.setSetting('cleaned_through', last.m);
      }
      return { cleaned: true, warnings };
    },

    async ping(): Promise<void> {
      await sql`select 1`.execute(db);
    },

    close: () => handle.close(),
  };
}

export type KeyStore = ReturnType<typeof createKeyStore>;
