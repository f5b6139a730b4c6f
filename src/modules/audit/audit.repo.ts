import { sql, type Selectable } from 'kysely';
import type { CopyIn } from '../../db/copy.ts';
import { prepared } from '../../db/prepared.ts';
import type { Executor } from '../../db/transaction.ts';
import type { AuditEventsTable } from '../../db/types.ts';

/**
 * An event as the log holds it: the table's own row type (src/db/types.ts), without the writing
 * transaction's id, which only the sealer's queries use.
 */
export type AuditEventRow = Omit<Selectable<AuditEventsTable>, 'xid'>;

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
  'data',
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

/** The access log's SQL; every method runs on the executor it is given. */
export function createAuditRepo() {
  return {
    /**
     * Writes the events in one statement whatever their number: the rows go as one JSON
     * parameter, read back by `jsonb_to_recordset` and inserted in the order given (so ids, and
     * the chain, follow it). A sweep's thousand events cost one small statement, not a thousand
     * rows of bound parameters to build and parse; its text never changes, so it is prepared
     * once per connection.
     */
    async insert(ex: Executor, events: NewAuditEvent[]): Promise<void> {
      if (events.length === 0) {
        return;
      }
      const rows = JSON.stringify(
        events.map((e, n) => ({
          n,
          at: e.at,
          actor_kind: e.actor_kind,
          actor_id: e.actor_id,
          role: e.role,
          purpose: e.purpose,
          subject_id: e.subject_id,
          action: e.action,
          categories: e.categories,
          fields: e.fields,
          outcome: e.outcome,
          request_id: e.request_id,
          detail: e.detail,
          data: e.data,
          mac: e.mac === null ? null : bytes(e.mac)?.toString('hex'),
        })),
      );
      await sql`${sql.raw(prepared('audit_insert'))}
        insert into audit_events (at, actor_kind, actor_id, role, purpose, subject_id, action,
                                  categories, fields, outcome, request_id, detail, data, mac)
        select x.at, x.actor_kind, x.actor_id, x.role, x.purpose, x.subject_id, x.action,
               coalesce(x.categories, '{}'), coalesce(x.fields, '{}'), x.outcome, x.request_id,
               x.detail, x.data, decode(x.mac, 'hex')
          from jsonb_to_recordset(${rows}::jsonb)
            as x(n int, at timestamptz, actor_kind text, actor_id text, role text, purpose text,
                 subject_id uuid, action text, categories text[], fields text[], outcome text,
                 request_id text, detail text, data jsonb, mac text)
         order by x.n`.execute(ex);
    },

    /** The same as insert, through COPY: the log entries of an import batch. */
    async copy(copy: CopyIn, events: NewAuditEvent[]): Promise<void> {
      const columns = eventColumns.filter((c): c is Exclude<typeof c, 'id'> => c !== 'id');
      await copy(
        'audit_events',
        columns,
        events.map((e) =>
          columns.map((c) =>
            c === 'data' ? (e.data === null ? null : JSON.stringify(e.data)) : e[c],
          ),
        ),
      );
    },

    async tryLockSealer(tx: Executor): Promise<boolean> {
      const r = await sql<{
        ok: boolean;
      }>`select pg_try_advisory_xact_lock(${SEALER_LOCK}) as ok`.execute(tx);
      return r.rows[0]?.ok === true;
    },

    async chainTail(
      tx: Executor,
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
    async unsealed(tx: Executor, after: string, limit: number): Promise<UnsealedEventRow[]> {
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
    async unchained(ex: Executor, after: string, limit: number): Promise<UnsealedEventRow[]> {
      const r = await sql<UnsealedEventRow>`
        select ${sql.join(eventColumns.map((c) => sql.ref(`e.${c}`)))}, ${duplicateOf('e')} as duplicate
          from audit_events e
         where e.id > ${after}
           and not exists (select 1 from audit_chain c where c.event_id = e.id)
         order by e.id
         limit ${limit}`.execute(ex);
      return r.rows.map((row) => ({ ...row, mac: bytes(row.mac) }));
    },

    /** The chain entry at one position. */
    async chainEntry(tx: Executor, seq: string): Promise<{ hash: Buffer } | undefined> {
      const row = await tx
        .selectFrom('audit_chain')
        .select('hash')
        .where('seq', '=', seq)
        .executeTakeFirst();
      return row ? { hash: Buffer.from(row.hash) } : undefined;
    },

    /** The first position missing below the chain's last one, if any (reads the whole chain). */
    async firstGap(tx: Executor): Promise<string | null> {
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
    async oldestWaiting(ex: Executor, after: string): Promise<string | null> {
      const r = await sql<{ id: string | null }>`
        select min(e.id)::text as id from audit_events e
         where e.id > ${after}
           and e.xid >= pg_snapshot_xmin(pg_current_snapshot())
           and not exists (select 1 from audit_chain c where c.event_id = e.id)`.execute(ex);
      return r.rows[0]?.id ?? null;
    },

    async appendChain(
      tx: Executor,
      rows: Array<{ seq: string; event_id: string; hash: Buffer }>,
    ): Promise<void> {
      if (rows.length > 0) {
        await tx.insertInto('audit_chain').values(rows).execute();
      }
    },

    /** Chain entries from `afterSeq` with their events (null where the event row is gone). */
    async chainPage(
      ex: Executor,
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
         limit ${limit}`.execute(ex);
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

    async countUnsealed(ex: Executor): Promise<number> {
      const r = await sql<{ n: number }>`
        select count(*)::int as n from audit_events e where not exists (select 1 from audit_chain c where c.event_id = e.id)`.execute(
        ex,
      );
      return r.rows[0]?.n ?? 0;
    },

    async maxSealedEvent(ex: Executor): Promise<string> {
      const r = await sql<{
        m: string | null;
      }>`select max(event_id)::text as m from audit_chain`.execute(ex);
      return r.rows[0]?.m ?? '0';
    },

    async list(
      ex: Executor,
      opts: {
        subjectId?: string;
        beforeId?: string;
        limit: number;
      },
    ): Promise<Array<AuditEventRow & { sealed: boolean }>> {
      let q = ex
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
