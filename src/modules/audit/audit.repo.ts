import { sql, type Kysely } from 'kysely';
import { arrayLiteral, type CopyIn } from '../../db/copy.ts';
import type { Database } from '../../db/types.ts';

export interface AuditEventRow {
  id: string;
  at: Date;
  actor_kind: string;
  actor_id: string;
  role: string | null;
  purpose: string | null;
  subject_id: string | null;
  action: string;
  categories: string[];
  fields: string[];
  outcome: string;
  request_id: string | null;
  detail: string | null;
  /** The application's MAC (nonce and HMAC); null on events written before MACs. */
  mac: Buffer | null;
}

export type NewAuditEvent = Omit<AuditEventRow, 'id'>;

/** An event not yet chained, and whether another event carries the same MAC before it. */
export type UnsealedEventRow = AuditEventRow & { duplicate: boolean };

const eventColumns = [
  'id',
  'at',
  'actor_kind',
  'actor_id',
  'role',
  'purpose',
  'subject_id',
  'action',
  'categories',
  'fields',
  'outcome',
  'request_id',
  'detail',
  'mac',
] as const;

/**
 * True when another event carries the same MAC and was chained, or has a lower id: the later copy
 * of an event is a replay.
 */
const duplicateOf = (e: string) => sql<boolean>`exists (
  select 1 from audit_events d
   where d.mac = ${sql.ref(`${e}.mac`)} and d.id <> ${sql.ref(`${e}.id`)}
     and (d.id < ${sql.ref(`${e}.id`)} or exists (select 1 from audit_chain dc where dc.event_id = d.id)))`;

const bytes = (b: Uint8Array | null): Buffer | null =>
  b === null ? null : Buffer.isBuffer(b) ? b : Buffer.from(b);

/** The advisory lock that lets one sealer at a time extend the chain. */
const SEALER_LOCK = 0x52_4b_41_55;

export function createAuditRepo(db: Kysely<Database>) {
  return {
    async insert(tx: Kysely<Database>, events: NewAuditEvent[]): Promise<void> {
      if (events.length === 0) {
        return;
      }
      await tx
        .insertInto('audit_events')
        .values(
          events.map((e) => ({
            ...e,
            categories: sql<string[]>`${arrayLiteral(e.categories)}::text[]`,
            fields: sql<string[]>`${arrayLiteral(e.fields)}::text[]`,
          })),
        )
        .execute();
    },

    /** The same as insert, through COPY: the log entries of an import batch. */
    async copy(copy: CopyIn, events: NewAuditEvent[]): Promise<void> {
      const columns = eventColumns.filter((c): c is Exclude<typeof c, 'id'> => c !== 'id');
      await copy(
        'audit_events',
        columns,
        events.map((e) => columns.map((c) => e[c])),
      );
    },

    async tryLockSealer(tx: Kysely<Database>): Promise<boolean> {
      const r = await sql<{
        ok: boolean;
      }>`select pg_try_advisory_xact_lock(${SEALER_LOCK}) as ok`.execute(tx);
      return r.rows[0]?.ok === true;
    },

    async chainTail(
      tx: Kysely<Database>,
    ): Promise<{ seq: string; hash: Buffer; event_id: string } | undefined> {
      const row = await tx
        .selectFrom('audit_chain')
        .select(['seq', 'hash', 'event_id'])
        .orderBy('seq', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row ? { ...row, hash: Buffer.from(row.hash) } : undefined;
    },

    /**
     * Events not yet in the chain whose transactions have ended (committed), oldest first. Events of
     * transactions still running wait for the next round, so the chain follows commit order.
     */
    async unsealed(
      tx: Kysely<Database>,
      after: string,
      limit: number,
    ): Promise<UnsealedEventRow[]> {
      const r = await sql<UnsealedEventRow>`
        select ${sql.join(eventColumns.map((c) => sql.ref(`e.${c}`)))}, ${duplicateOf('e')} as duplicate
          from audit_events e
         where e.id > ${after}
           and e.xid < pg_snapshot_xmin(pg_current_snapshot())
           and not exists (select 1 from audit_chain c where c.event_id = e.id)
         order by e.id
         limit ${limit}`.execute(tx);
      return r.rows.map((row) => ({ ...row, mac: bytes(row.mac) }));
    },

    /** Every committed event not in the chain, whatever transaction wrote it (for verify). */
    async unchained(after: string, limit: number): Promise<UnsealedEventRow[]> {
      const r = await sql<UnsealedEventRow>`
        select ${sql.join(eventColumns.map((c) => sql.ref(`e.${c}`)))}, ${duplicateOf('e')} as duplicate
          from audit_events e
         where e.id > ${after}
           and not exists (select 1 from audit_chain c where c.event_id = e.id)
         order by e.id
         limit ${limit}`.execute(db);
      return r.rows.map((row) => ({ ...row, mac: bytes(row.mac) }));
    },

    /** The chain entry at one position. */
    async chainEntry(tx: Kysely<Database>, seq: string): Promise<{ hash: Buffer } | undefined> {
      const row = await tx
        .selectFrom('audit_chain')
        .select('hash')
        .where('seq', '=', seq)
        .executeTakeFirst();
      return row ? { hash: Buffer.from(row.hash) } : undefined;
    },

    /** The first position missing below the chain's last one, if any (reads the whole chain). */
    async firstGap(tx: Kysely<Database>): Promise<string | null> {
      const r = await sql<{ n: string; top: string | null }>`
        select count(*)::text as n, max(seq)::text as top from audit_chain`.execute(tx);
      const n = r.rows[0]?.n ?? '0';
      const top = r.rows[0]?.top ?? null;
      if (top === null || n === top) {
        return null;
      }
      const g = await sql<{ gap: string }>`
        select coalesce(
          (select 1 where not exists (select 1 from audit_chain where seq = 1)),
          (select min(c.seq) + 1 from audit_chain c
            where c.seq < ${top} and not exists (select 1 from audit_chain x where x.seq = c.seq + 1))
        )::text as gap`.execute(tx);
      return g.rows[0]?.gap ?? null;
    },

    /** The lowest id of a committed event not yet chained because an older transaction runs on. */
    async oldestWaiting(after: string): Promise<string | null> {
      const r = await sql<{ id: string | null }>`
        select min(e.id)::text as id from audit_events e
         where e.id > ${after}
           and e.xid >= pg_snapshot_xmin(pg_current_snapshot())
           and not exists (select 1 from audit_chain c where c.event_id = e.id)`.execute(db);
      return r.rows[0]?.id ?? null;
    },

    async appendChain(
      tx: Kysely<Database>,
      rows: Array<{ seq: string; event_id: string; hash: Buffer }>,
    ): Promise<void> {
      if (rows.length > 0) {
        await tx.insertInto('audit_chain').values(rows).execute();
      }
    },

    /** Chain entries from `afterSeq` with their events (null where the event row is gone). */
    async chainPage(
      afterSeq: string,
      limit: number,
    ): Promise<
      Array<{ seq: string; hash: Buffer; event_id: string; event: AuditEventRow | null }>
    > {
      const r = await sql<
        { seq: string; hash: Buffer; event_id: string } & Partial<AuditEventRow> & {
            e_id: string | null;
          }
      >`
        select c.seq, c.hash, c.event_id, e.id as e_id, ${sql.join(eventColumns.filter((c) => c !== 'id').map((c) => sql.ref(`e.${c}`)))}
          from audit_chain c left join audit_events e on e.id = c.event_id
         where c.seq > ${afterSeq}
         order by c.seq
         limit ${limit}`.execute(db);
      return r.rows.map((row) => ({
        seq: row.seq,
        hash: Buffer.from(row.hash),
        event_id: row.event_id,
        event:
          row.e_id === null
            ? null
            : ({
                ...row,
                id: row.e_id,
                mac: bytes(row.mac ?? null),
              } as unknown as AuditEventRow),
      }));
    },

    async countUnsealed(): Promise<number> {
      const r = await sql<{ n: number }>`
        select count(*)::int as n from audit_events e where not exists (select 1 from audit_chain c where c.event_id = e.id)`.execute(
        db,
      );
      return r.rows[0]?.n ?? 0;
    },

    async maxSealedEvent(): Promise<string> {
      const r = await sql<{
        m: string | null;
      }>`select max(event_id)::text as m from audit_chain`.execute(db);
      return r.rows[0]?.m ?? '0';
    },

    async list(opts: {
      subjectId?: string;
      beforeId?: string;
      limit: number;
    }): Promise<Array<AuditEventRow & { sealed: boolean }>> {
      let q = db
        .selectFrom('audit_events as e')
        .leftJoin('audit_chain as c', 'c.event_id', 'e.id')
        .select([
          ...eventColumns.map((c) => `e.${c}` as const),
          sql<boolean>`c.seq is not null`.as('sealed'),
        ]);
      if (opts.subjectId) {
        q = q.where('e.subject_id', '=', opts.subjectId);
      }
      if (opts.beforeId) {
        q = q.where('e.id', '<', opts.beforeId);
      }
      return await q.orderBy('e.id', 'desc').limit(opts.limit).execute();
    },
  };
}

export type AuditRepo = ReturnType<typeof createAuditRepo>;
