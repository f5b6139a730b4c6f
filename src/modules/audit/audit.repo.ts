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
}

export type NewAuditEvent = Omit<AuditEventRow, 'id'>;

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
] as const;

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
    async unsealed(tx: Kysely<Database>, after: string, limit: number): Promise<AuditEventRow[]> {
      const r = await sql<AuditEventRow>`
        select ${sql.join(eventColumns.map((c) => sql.ref(`e.${c}`)))}
          from audit_events e
         where e.id > ${after}
           and e.xid < pg_snapshot_xmin(pg_current_snapshot())
           and not exists (select 1 from audit_chain c where c.event_id = e.id)
         order by e.id
         limit ${limit}`.execute(tx);
      return r.rows;
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
        event: row.e_id === null ? null : ({ ...row, id: row.e_id } as unknown as AuditEventRow),
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
