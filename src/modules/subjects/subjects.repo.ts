/**
 * SQL for subjects and their sealed values. Nothing here sees plaintext personal data: values
 * arrive sealed and blind indexes arrive hashed.
 */
import { sql, type Kysely } from 'kysely';
import type { Database, FieldMeta } from '../../db/types.ts';

export interface SubjectRow {
  id: string;
  wrapped_key: Buffer | null;
  restricted_at: Date | null;
  restriction_reason: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface ValueRow {
  subject_id: string;
  category: string;
  sealed: Buffer;
  meta: Record<string, FieldMeta>;
  updated_at: Date;
}

export interface NewSubjectRow {
  id: string;
  wrappedKey: Buffer;
  blindIndex: string[];
  values: Array<{ category: string; sealed: Buffer; meta: Record<string, FieldMeta> }>;
}

export interface HistoryRow {
  id: string;
  category: string;
  field: string;
  sealed_change: Buffer;
  purpose: string;
  source: string;
  actor: string;
  changed_at: Date;
}

const buf = (v: Buffer | Uint8Array): Buffer => (Buffer.isBuffer(v) ? v : Buffer.from(v));
const toArray = (list: string[]) => `{${list.join(',')}}`;

/** Advisory-lock stripes that serialise creation of subjects with the same e-mail address. */
const DEDUPE_LOCK_BASE = 0x52_4b_00_00;
const DEDUPE_STRIPES = 64;

export function createSubjectsRepo(db: Kysely<Database>) {
  const subjectColumns = [
    'id',
    'wrapped_key',
    'restricted_at',
    'restriction_reason',
    'created_at',
    'updated_at',
  ] as const;

  const mapSubject = (r: SubjectRow): SubjectRow => ({
    ...r,
    wrapped_key: r.wrapped_key ? buf(r.wrapped_key) : null,
  });
  const mapValue = (r: ValueRow): ValueRow => ({ ...r, sealed: buf(r.sealed) });

  return {
    async findById(
      tx: Kysely<Database>,
      id: string,
      forUpdate = false,
    ): Promise<SubjectRow | undefined> {
      let q = tx
        .selectFrom('subjects')
        .select(subjectColumns)
        .where('id', '=', id)
        .where('erased_at', 'is', null);
      if (forUpdate) {
        q = q.forUpdate();
      }
      const row = await q.executeTakeFirst();
      return row ? mapSubject(row) : undefined;
    },

    async values(
      tx: Kysely<Database>,
      subjectId: string,
      categories?: readonly string[],
    ): Promise<ValueRow[]> {
      if (categories && categories.length === 0) {
        return [];
      }
      let q = tx
        .selectFrom('subject_values')
        .select(['subject_id', 'category', 'sealed', 'meta', 'updated_at'])
        .where('subject_id', '=', subjectId);
      if (categories) {
        q = q.where('category', 'in', categories);
      }
      return (await q.execute()).map(mapValue);
    },

    /** Values of many subjects at once, for list pages. */
    async valuesOf(
      subjectIds: readonly string[],
      categories: readonly string[],
    ): Promise<ValueRow[]> {
      if (subjectIds.length === 0 || categories.length === 0) {
        return [];
      }
      const rows = await db
        .selectFrom('subject_values')
        .select(['subject_id', 'category', 'sealed', 'meta', 'updated_at'])
        .where('subject_id', 'in', subjectIds)
        .where('category', 'in', categories)
        .execute();
      return rows.map(mapValue);
    },

    /**
     * One subject by blind index together with the values of the given categories: the lookup by
     * e-mail or phone, as one indexed query.
     */
    async findByIndexWithValues(
      index: string,
      categories: readonly string[],
      includeRestricted: boolean,
    ): Promise<Array<SubjectRow & { values: ValueRow[] }>> {
      const rows = await sql<
        SubjectRow & {
          category: string | null;
          sealed: Buffer | null;
          meta: Record<string, FieldMeta> | null;
          v_updated_at: Date | null;
        }
      >`
        select s.id, s.wrapped_key, s.restricted_at, s.restriction_reason, s.created_at, s.updated_at,
               v.category, v.sealed, v.meta, v.updated_at as v_updated_at
          from subjects s
          left join subject_values v on v.subject_id = s.id and v.category = any(${toArray([...categories])}::text[])
         where s.blind_index @> array[${index}]::bigint[]
           and s.erased_at is null
           ${includeRestricted ? sql`` : sql`and s.restricted_at is null`}
         order by s.id`.execute(db);
      const out = new Map<string, SubjectRow & { values: ValueRow[] }>();
      for (const r of rows.rows) {
        let s = out.get(r.id);
        if (!s) {
          s = { ...mapSubject(r), values: [] };
          out.set(r.id, s);
        }
        if (r.category && r.sealed && r.meta && r.v_updated_at) {
          s.values.push({
            subject_id: r.id,
            category: r.category,
            sealed: buf(r.sealed),
            meta: r.meta,
            updated_at: r.v_updated_at,
          });
        }
      }
      return [...out.values()];
    },

    /** Subjects whose blind index holds all of `indexes`, in id order after `after`. */
    async search(opts: {
      indexes: string[];
      includeRestricted: boolean;
      after?: string;
      limit: number;
    }): Promise<SubjectRow[]> {
      let q = db.selectFrom('subjects').select(subjectColumns).where('erased_at', 'is', null);
      if (opts.indexes.length > 0) {
        q = q.where(sql<boolean>`blind_index @> ${toArray(opts.indexes)}::bigint[]`);
      }
      if (!opts.includeRestricted) {
        q = q.where('restricted_at', 'is', null);
      }
      if (opts.after) {
        q = q.where('id', '>', opts.after);
      }
      const rows = await q.orderBy('id').limit(opts.limit).execute();
      return rows.map(mapSubject);
    },

    /** Ids (with blind indexes) of live subjects sharing any of the given indexes. */
    async findByAnyIndex(
      tx: Kysely<Database>,
      indexes: string[],
    ): Promise<Array<{ id: string; blind_index: string[] }>> {
      if (indexes.length === 0) {
        return [];
      }
      return tx
        .selectFrom('subjects')
        .select(['id', 'blind_index'])
        .where(sql<boolean>`blind_index && ${toArray(indexes)}::bigint[]`)
        .where('erased_at', 'is', null)
        .execute();
    },

    async lockForDedupe(tx: Kysely<Database>, emailIndexes: string[]): Promise<void> {
      const stripes = [
        ...new Set(
          emailIndexes.map((i) => Number(BigInt.asUintN(64, BigInt(i)) % BigInt(DEDUPE_STRIPES))),
        ),
      ].sort((a, b) => a - b);
      for (const s of stripes) {
        await sql`select pg_advisory_xact_lock(${DEDUPE_LOCK_BASE + s})`.execute(tx);
      }
    },

    async insertMany(tx: Kysely<Database>, rows: NewSubjectRow[], at: Date): Promise<void> {
      if (rows.length === 0) {
        return;
      }
      await sql`
        insert into subjects (id, wrapped_key, blind_index, created_at, updated_at)
        select id, decode(k, 'hex'), b::bigint[], ${at}, ${at}
          from unnest(${toArray(rows.map((r) => r.id))}::uuid[], ${toArray(rows.map((r) => r.wrappedKey.toString('hex')))}::text[],
                      ${rows.map((r) => toArray(r.blindIndex))}::text[]) as t(id, k, b)`.execute(
        tx,
      );
      const values = rows.flatMap((r) => r.values.map((v) => ({ id: r.id, ...v })));
      if (values.length > 0) {
        await sql`
          insert into subject_values (subject_id, category, sealed, meta, updated_at)
          select id, c, decode(s, 'hex'), m::jsonb, ${at}
            from unnest(${toArray(values.map((v) => v.id))}::uuid[], ${values.map((v) => v.category)}::text[],
                        ${values.map((v) => v.sealed.toString('hex'))}::text[], ${values.map((v) => JSON.stringify(v.meta))}::text[]) as t(id, c, s, m)`.execute(
          tx,
        );
      }
    },

    async upsertValue(
      tx: Kysely<Database>,
      row: { subjectId: string; category: string; sealed: Buffer; meta: Record<string, FieldMeta> },
      at: Date,
    ): Promise<void> {
      await tx
        .insertInto('subject_values')
        .values({
          subject_id: row.subjectId,
          category: row.category,
          sealed: row.sealed,
          meta: JSON.stringify(row.meta),
          updated_at: at,
        })
        .onConflict((oc) =>
          oc
            .columns(['subject_id', 'category'])
            .doUpdateSet({ sealed: row.sealed, meta: JSON.stringify(row.meta), updated_at: at }),
        )
        .execute();
    },

    async deleteValue(tx: Kysely<Database>, subjectId: string, category: string): Promise<void> {
      await tx
        .deleteFrom('subject_values')
        .where('subject_id', '=', subjectId)
        .where('category', '=', category)
        .execute();
    },

    async setBlindIndex(
      tx: Kysely<Database>,
      subjectId: string,
      blindIndex: string[],
      at: Date,
    ): Promise<void> {
      await tx
        .updateTable('subjects')
        .set({ blind_index: sql<string[]>`${toArray(blindIndex)}::bigint[]`, updated_at: at })
        .where('id', '=', subjectId)
        .execute();
    },

    async addHistory(
      tx: Kysely<Database>,
      rows: Array<{
        subjectId: string;
        category: string;
        field: string;
        sealedChange: Buffer;
        purpose: string;
        source: string;
        actor: string;
      }>,
      at: Date,
    ): Promise<void> {
      if (rows.length === 0) {
        return;
      }
      await tx
        .insertInto('subject_history')
        .values(
          rows.map((r) => ({
            subject_id: r.subjectId,
            category: r.category,
            field: r.field,
            sealed_change: r.sealedChange,
            purpose: r.purpose,
            source: r.source,
            actor: r.actor,
            changed_at: at,
          })),
        )
        .execute();
    },

    async history(
      tx: Kysely<Database>,
      subjectId: string,
      categories?: readonly string[],
    ): Promise<HistoryRow[]> {
      if (categories && categories.length === 0) {
        return [];
      }
      let q = tx
        .selectFrom('subject_history')
        .select([
          'id',
          'category',
          'field',
          'sealed_change',
          'purpose',
          'source',
          'actor',
          'changed_at',
        ])
        .where('subject_id', '=', subjectId);
      if (categories) {
        q = q.where('category', 'in', categories);
      }
      const rows = await q.orderBy('id').execute();
      return rows.map((r) => ({ ...r, sealed_change: buf(r.sealed_change) }));
    },

    async setRestriction(
      tx: Kysely<Database>,
      subjectId: string,
      reason: string | null,
      at: Date,
    ): Promise<void> {
      await tx
        .updateTable('subjects')
        .set({
          restricted_at: reason === null ? null : at,
          restriction_reason: reason,
          updated_at: at,
        })
        .where('id', '=', subjectId)
        .execute();
    },

    /** Crypto-shredding: the values go, and the key that sealed every copy of them goes too. */
    async erase(tx: Kysely<Database>, subjectId: string, at: Date): Promise<void> {
      await tx.deleteFrom('subject_values').where('subject_id', '=', subjectId).execute();
      await tx.deleteFrom('subject_history').where('subject_id', '=', subjectId).execute();
      await tx
        .updateTable('subjects')
        .set({
          wrapped_key: null,
          blind_index: sql<string[]>`'{}'::bigint[]`,
          restricted_at: null,
          restriction_reason: null,
          erased_at: at,
          updated_at: at,
        })
        .where('id', '=', subjectId)
        .execute();
    },

    async ping(): Promise<void> {
      await sql`select 1`.execute(db);
    },

    async countLive(): Promise<number> {
      const r = await db
        .selectFrom('subjects')
        .select(sql<number>`count(*)::int`.as('n'))
        .where('erased_at', 'is', null)
        .executeTakeFirstOrThrow();
      return r.n;
    },
  };
}

export type SubjectsRepo = ReturnType<typeof createSubjectsRepo>;
