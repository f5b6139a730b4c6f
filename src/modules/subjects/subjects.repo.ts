/**
 * SQL for subjects and their sealed values. Nothing here sees plaintext personal data: values
 * arrive sealed and blind indexes arrive hashed.
 */
import { sql } from 'kysely';
import { arrayLiteral } from '../../db/array-literal.ts';
import type { CopyIn } from '../../db/copy.ts';
import { keepCampaignBounces } from '../../db/campaign-bounces.ts';
import {
  addressNotHeldFrom,
  notHeldElsewhere,
  notOnlyHeldElsewhere,
  seenByAny,
} from '../../db/held-categories.ts';
import type { Executor } from '../../db/transaction.ts';
import type { FieldMeta } from '../../db/types.ts';
import { removeSubjectMail } from '../../mail/index.ts';
import type { PurposeMarketing } from '../definition/index.ts';
import { allowedChannelsSql } from './marketing.repo.ts';

/** Why a purpose is stopped for a person (subject_stops.reason). */
export const STOP_REASONS = ['objection', 'consent_withdrawal', 'marketing_prohibition'] as const;
export type StopReason = (typeof STOP_REASONS)[number];

export interface SubjectRow {
  id: string;
  /** A held record (an erasure's legal hold): the one purpose it is readable for; else null. */
  held_purpose: string | null;
  restricted_at: Date | null;
  restriction_reason: string | null;
  created_at: Date;
  updated_at: Date;
}

/** Provenance of a category row: the row's default and the fields that differ from it. */
export interface RowMeta {
  default: FieldMeta;
  fields: Record<string, FieldMeta>;
}

export interface ValueRow {
  subject_id: string;
  category: string;
  sealed: Buffer;
  meta: RowMeta;
  /** Write counter of the row, bound with `meta` into the sealed value's associated data. */
  version: number;
  updated_at: Date;
}

interface ValueRecord {
  subject_id: string;
  category: string;
  sealed: Buffer;
  source: string;
  purpose: string;
  collected_at: Date;
  field_meta: Record<string, FieldMeta> | null;
  version: number;
  updated_at: Date;
}

const valueColumns = [
  'subject_id',
  'category',
  'sealed',
  'source',
  'purpose',
  'collected_at',
  'field_meta',
  'version',
  'updated_at',
] as const;

/** Splits per-field provenance into the row default (the first field's) and the differing fields. */
export function splitMeta(meta: Record<string, FieldMeta>): RowMeta {
  const entries = Object.entries(meta);
  const first = entries[0]?.[1] ?? {
    source: 'unknown',
    purpose: 'unknown',
    collectedAt: new Date(0).toISOString(),
  };
  const same = (a: FieldMeta, b: FieldMeta) =>
    a.source === b.source && a.purpose === b.purpose && a.collectedAt === b.collectedAt;
  return { default: first, fields: Object.fromEntries(entries.filter(([, m]) => !same(m, first))) };
}

/** Blind indexes of one subject (decimal strings of bigints). */
export interface SubjectIndexes {
  email: string | null;
  phone: string | null;
  tokens: string[];
}

export interface NewSubjectRow {
  id: string;
  /** Goes to the key store, never to the data database. */
  wrappedKey: Buffer;
  indexes: SubjectIndexes;
  /** New rows: each at version 1, its provenance the same for every field. */
  values: Array<{ category: string; sealed: Buffer; meta: FieldMeta }>;
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
/** Arrays sent as one text value go through the shared encoder, which quotes every word. */
const toArray = arrayLiteral;

/** Of new people, those with a value collected for one of the relationship purposes. */
const relatedOf = (rows: readonly NewSubjectRow[], relationship: ReadonlySet<string>): string[] =>
  rows.filter((r) => r.values.some((v) => relationship.has(v.meta.purpose))).map((r) => r.id);

/**
 * Marks people as related (subject_retention.related_at, migration 0046): data of theirs were
 * written under a relationship purpose (resting on the contract, or with a rule from the end of
 * the relationship), so a rule from the end of the relationship keeps their data until it ends.
 * The first time stays; nothing clears it but the person's erasure. A row already marked is not
 * rewritten.
 */
async function markRelated(ex: Executor, ids: readonly string[], at: Date): Promise<void> {
  if (ids.length === 0) {
    return;
  }
  await sql`
      insert into subject_retention (subject_id, related_at)
      select unnest(${toArray(ids)}::uuid[]), ${at}
      on conflict (subject_id) do update set related_at = excluded.related_at
       where subject_retention.related_at is null`.execute(ex);
}

/** Advisory-lock stripes that serialise creation of subjects with the same e-mail address. */
const DEDUPE_LOCK_BASE = 0x52_4b_00_00;
const DEDUPE_STRIPES = 64;

const subjectColumns = [
  'id',
  'held_purpose',
  'restricted_at',
  'restriction_reason',
  'created_at',
  'updated_at',
] as const;

const mapSubject = (r: SubjectRow): SubjectRow => ({
  id: r.id,
  held_purpose: r.held_purpose,
  restricted_at: r.restricted_at,
  restriction_reason: r.restriction_reason,
  created_at: r.created_at,
  updated_at: r.updated_at,
});
const mapValue = (r: ValueRecord): ValueRow => ({
  subject_id: r.subject_id,
  category: r.category,
  sealed: buf(r.sealed),
  meta: {
    default: {
      source: r.source,
      purpose: r.purpose,
      collectedAt: new Date(r.collected_at).toISOString(),
    },
    fields: r.field_meta ?? {},
  },
  version: r.version,
  updated_at: r.updated_at,
});

/** The subjects' SQL. Every method runs on the executor it is given: the database or a transaction. */
export const subjectsRepo = {
  markRelated,

  async findById(ex: Executor, id: string, forUpdate = false): Promise<SubjectRow | undefined> {
    let q = ex
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

  /**
   * A live subject with whether `purpose` is stopped for them (subject_stops), in one query: what
   * every read and write of one person for a purpose starts from.
   */
  async findForPurpose(
    ex: Executor,
    id: string,
    purpose: string,
    forUpdate = false,
    /** A marketing purpose's permission: the channels the ledger lets it reach the person on. */
    marketing?: PurposeMarketing,
    /**
     * The purpose's categories: with them, `only_held_elsewhere` says whether all the person has
     * in them is kept by a legal hold for other purposes (as lookup, search and list leave out).
     */
    categories?: readonly string[],
  ): Promise<
    | (SubjectRow & {
        stopped: boolean;
        allowed_channels: string[] | null;
        only_held_elsewhere: boolean;
      })
    | undefined
  > {
    const allowed = allowedChannelsSql(marketing, sql`s.id`, { audience: !forUpdate });
    const r = await sql<
      SubjectRow & {
        stopped: boolean;
        allowed_channels: string[] | null;
        only_held_elsewhere: boolean;
      }
    >`
        select s.id, s.held_purpose, s.restricted_at, s.restriction_reason, s.created_at, s.updated_at,
               exists (select 1 from subject_stops st
                        where st.subject_id = s.id and st.purpose = ${purpose}) as stopped,
               ${allowed ?? sql`null::text[]`} as allowed_channels,
               ${categories ? sql`not ${notOnlyHeldElsewhere(sql`s.id`, categories, purpose)}` : sql`false`} as only_held_elsewhere
          from subjects s
         where s.id = ${id} and s.erased_at is null
         ${forUpdate ? sql`for update of s` : sql``}`.execute(ex);
    const row = r.rows[0];
    return row
      ? {
          ...mapSubject(row),
          stopped: row.stopped === true,
          allowed_channels: row.allowed_channels,
          only_held_elsewhere: row.only_held_elsewhere === true,
        }
      : undefined;
  },

  /**
   * A person's category rows. With `visibleTo`, a purpose's read: rows a legal hold keeps in
   * place for other purposes only (subject_category_holds) are left out.
   */
  async values(
    ex: Executor,
    subjectId: string,
    categories?: readonly string[],
    visibleTo?: string,
  ): Promise<ValueRow[]> {
    if (categories && categories.length === 0) {
      return [];
    }
    let q = ex
      .selectFrom('subject_values')
      .select(valueColumns)
      .where('subject_id', '=', subjectId);
    if (categories) {
      q = q.where('category', 'in', categories);
    }
    if (visibleTo !== undefined) {
      q = q.where(notHeldElsewhere(sql`subject_values`, visibleTo));
    }
    return (await q.execute()).map(mapValue);
  },

  /** Values of many subjects at once, for list pages: as `values` for the purpose `visibleTo`. */
  async valuesOf(
    ex: Executor,
    subjectIds: readonly string[],
    categories: readonly string[],
    visibleTo?: string,
  ): Promise<ValueRow[]> {
    if (subjectIds.length === 0 || categories.length === 0) {
      return [];
    }
    let q = ex
      .selectFrom('subject_values')
      .select(valueColumns)
      .where('subject_id', 'in', subjectIds)
      .where('category', 'in', categories);
    if (visibleTo !== undefined) {
      q = q.where(notHeldElsewhere(sql`subject_values`, visibleTo));
    }
    return (await q.execute()).map(mapValue);
  },

  /**
   * Subjects by their e-mail or phone blind index, with the values of the given categories: the
   * lookup, as one indexed query (a phone number may be shared).
   */
  async findByLookupWithValues(
    ex: Executor,
    kind: 'email' | 'phone',
    index: string,
    categories: readonly string[],
    includeRestricted: boolean,
    /** The purpose asking: held records only for their hold's purpose; stopped people not at all. */
    purpose: string,
    /** A marketing purpose's permission: people it may reach on no channel are left out. */
    marketing?: PurposeMarketing,
    /**
     * Leave out people whose only data left are categories a legal hold keeps for other purposes
     * (default). A data subject's request (no purpose) reaches them: false.
     */
    hideHeldElsewhere = true,
  ): Promise<Array<SubjectRow & { values: ValueRow[]; allowed_channels: string[] | null }>> {
    const col = kind === 'email' ? sql`email_index` : sql`phone_index`;
    const allowed = allowedChannelsSql(marketing, sql`s.id`);
    const rows = await sql<
      SubjectRow & {
        allowed_channels: string[] | null;
        category: string | null;
        sealed: Buffer | null;
        source: string | null;
        purpose: string | null;
        collected_at: Date | null;
        field_meta: Record<string, FieldMeta> | null;
        version: number | null;
        v_updated_at: Date | null;
      }
    >`
        select s.id, s.held_purpose, s.restricted_at, s.restriction_reason, s.created_at, s.updated_at,
               v.category, v.sealed, v.source, v.purpose, v.collected_at, v.field_meta, v.version, v.updated_at as v_updated_at,
               ${allowed ?? sql`null::text[]`} as allowed_channels
          from subjects s
          left join subject_values v on v.subject_id = s.id and v.category = any(${toArray(categories)}::text[])
                and ${notHeldElsewhere(sql`v`, purpose)}
         where s.id in (select id from subjects where ${col} = ${index} and held_purpose is null
                        union all
                        select id from subjects where ${col} = ${index} and held_purpose = ${purpose})
           and s.erased_at is null
           ${includeRestricted ? sql`` : sql`and s.restricted_at is null`}
           and not exists (select 1 from subject_stops st where st.subject_id = s.id and st.purpose = ${purpose})
           ${allowed ? sql`and cardinality(${allowed}) > 0` : sql``}
           ${hideHeldElsewhere ? sql`and ${notOnlyHeldElsewhere(sql`s.id`, categories, purpose)}` : sql``}
         order by s.id`.execute(ex);
    const out = new Map<
      string,
      SubjectRow & { values: ValueRow[]; allowed_channels: string[] | null }
    >();
    for (const r of rows.rows) {
      let s = out.get(r.id);
      if (!s) {
        s = { ...mapSubject(r), values: [], allowed_channels: r.allowed_channels };
        out.set(r.id, s);
      }
      if (
        r.category &&
        r.sealed &&
        r.source &&
        r.purpose &&
        r.collected_at &&
        r.version !== null &&
        r.v_updated_at
      ) {
        s.values.push(
          mapValue({
            subject_id: r.id,
            category: r.category,
            sealed: r.sealed,
            source: r.source,
            purpose: r.purpose,
            collected_at: r.collected_at,
            field_meta: r.field_meta,
            version: r.version,
            updated_at: r.v_updated_at,
          }),
        );
      }
    }
    return [...out.values()];
  },

  /**
   * Subjects whose blind index holds at least one index of every group (a group is one search
   * word in each field it may be in), in id order after `after`.
   */
  async search(
    ex: Executor,
    opts: {
      groups: string[][];
      includeRestricted: boolean;
      /**
       * The purpose searching: held records appear only to the purpose of their hold, and people
       * who stopped it (subject_stops) are left out.
       */
      purpose: string;
      /** The purpose's categories: a person whose only data left are held elsewhere is left out. */
      categories: readonly string[];
      after?: string;
      limit: number;
      /** A marketing purpose's permission: people it may reach on no channel are left out. */
      marketing?: PurposeMarketing;
    },
  ): Promise<Array<SubjectRow & { allowed_channels: string[] | null }>> {
    const allowed = allowedChannelsSql(opts.marketing, sql`subjects.id`);
    let q = ex
      .selectFrom('subjects')
      .select(subjectColumns)
      .select(sql<string[] | null>`${allowed ?? sql`null::text[]`}`.as('allowed_channels'))
      .where('erased_at', 'is', null)
      .where((eb) =>
        eb.or([eb('held_purpose', 'is', null), eb('held_purpose', '=', opts.purpose)]),
      );
    for (const group of opts.groups) {
      q = q.where(sql<boolean>`blind_index && ${toArray(group)}::bigint[]`);
    }
    if (!opts.includeRestricted) {
      q = q.where('restricted_at', 'is', null);
    }
    q = q.where(
      sql<boolean>`not exists (select 1 from subject_stops st where st.subject_id = subjects.id and st.purpose = ${opts.purpose})`,
    );
    if (allowed) {
      q = q.where(sql<boolean>`cardinality(${allowed}) > 0`);
    }
    q = q.where(notOnlyHeldElsewhere(sql`subjects.id`, opts.categories, opts.purpose));
    if (opts.after) {
      q = q.where('id', '>', opts.after);
    }
    const rows = await q.orderBy('id').limit(opts.limit).execute();
    return rows.map((r) => ({ ...mapSubject(r), allowed_channels: r.allowed_channels }));
  },

  /**
   * Live subjects (not held records) owning any of the given primary e-mail indexes: at most one
   * each (the unique index), whether or not a legal hold keeps the address for another purpose.
   */
  async findByEmailIndexes(
    ex: Executor,
    indexes: string[],
  ): Promise<Array<{ id: string; email_index: string }>> {
    if (indexes.length === 0) {
      return [];
    }
    const rows = await sql<{ id: string; email_index: string }>`
        select id, email_index from subjects
         where email_index = any(${toArray(indexes)}::bigint[]) and held_purpose is null`.execute(
      ex,
    );
    return rows.rows;
  },

  /**
   * The live person (not erased, not a held record) owning this primary e-mail index, if any (the
   * unique index: at most one), and whether the given purposes see them through it: some of them
   * finds the person (not all their data left kept by a legal hold for other purposes only) and
   * none of the person's values in `addressCategories` is kept by a hold from all of them.
   */
  async ownerSeenBy(
    ex: Executor,
    index: string,
    scope: ReadonlyArray<{ purpose: string; categories: readonly string[] }>,
    addressCategories: readonly string[],
  ): Promise<{ id: string; seen: boolean } | undefined> {
    const r = await sql<{ id: string; seen: boolean }>`
        select s.id,
               (${seenByAny(sql`s.id`, scope)}
                and ${addressNotHeldFrom(
                  sql`s.id`,
                  addressCategories,
                  scope.map((p) => p.purpose),
                )}) as seen
          from subjects s
         where s.email_index = ${index} and s.held_purpose is null and s.erased_at is null`.execute(
      ex,
    );
    return r.rows[0];
  },

  /**
   * Serialises the creation of subjects with the same e-mail address across transactions: one
   * advisory lock per stripe, taken in a fixed order so two batches cannot deadlock.
   */
  async lockForDedupe(ex: Executor, emailIndexes: string[]): Promise<void> {
    if (emailIndexes.length === 0) {
      return;
    }
    const stripes = [
      ...new Set(
        emailIndexes.map(
          (i) => DEDUPE_LOCK_BASE + Number(BigInt.asUintN(64, BigInt(i)) % BigInt(DEDUPE_STRIPES)),
        ),
      ),
    ];
    await sql`select pg_advisory_xact_lock(s) from (select s from unnest(${toArray(stripes.map(String))}::bigint[]) as s order by s) as ordered`.execute(
      ex,
    );
  },

  /**
   * New people and their values. Those written under a relationship purpose (`relationship`, the
   * register's `relationshipPurposes`) are marked related (see `markRelated`).
   */
  async insertMany(
    ex: Executor,
    rows: NewSubjectRow[],
    at: Date,
    relationship: ReadonlySet<string>,
  ): Promise<void> {
    if (rows.length === 0) {
      return;
    }
    await sql`
        insert into subjects (id, email_index, phone_index, blind_index, created_at, updated_at)
        select id, e, p, b::bigint[], ${at}, ${at}
          from unnest(${toArray(rows.map((r) => r.id))}::uuid[],
                      ${toArray(rows.map((r) => r.indexes.email))}::bigint[], ${toArray(rows.map((r) => r.indexes.phone))}::bigint[],
                      ${rows.map((r) => toArray(r.indexes.tokens))}::text[]) as t(id, e, p, b)`.execute(
      ex,
    );
    const values = rows.flatMap((r) => r.values.map((v) => ({ id: r.id, ...v })));
    if (values.length > 0) {
      await sql`
          insert into subject_values (subject_id, category, sealed, source, purpose, collected_at, version, updated_at)
          select id, c, decode(s, 'hex'), src, pur, col, 1, ${at}
            from unnest(${toArray(values.map((v) => v.id))}::uuid[], ${values.map((v) => v.category)}::text[],
                        ${values.map((v) => v.sealed.toString('hex'))}::text[], ${values.map((v) => v.meta.source)}::text[],
                        ${values.map((v) => v.meta.purpose)}::text[], ${values.map((v) => v.meta.collectedAt)}::timestamptz[]) as t(id, c, s, src, pur, col)`.execute(
        ex,
      );
    }
    await markRelated(ex, relatedOf(rows, relationship), at);
  },

  /**
   * The same as insertMany, through COPY: the importer's batches. The people are new, so their
   * relationship marks are copied too (no row of theirs can be there already).
   */
  async copyMany(
    copy: CopyIn,
    rows: NewSubjectRow[],
    at: Date,
    relationship: ReadonlySet<string>,
  ): Promise<void> {
    await copy(
      'subjects',
      ['id', 'email_index', 'phone_index', 'blind_index', 'created_at', 'updated_at'],
      rows.map((r) => [r.id, r.indexes.email, r.indexes.phone, r.indexes.tokens, at, at]),
    );
    await copy(
      'subject_values',
      [
        'subject_id',
        'category',
        'sealed',
        'source',
        'purpose',
        'collected_at',
        'version',
        'updated_at',
      ],
      rows.flatMap((r) =>
        r.values.map((v) => [
          r.id,
          v.category,
          v.sealed,
          v.meta.source,
          v.meta.purpose,
          v.meta.collectedAt,
          1,
          at,
        ]),
      ),
    );
    const related = relatedOf(rows, relationship);
    if (related.length > 0) {
      await copy(
        'subject_retention',
        ['subject_id', 'related_at'],
        related.map((id) => [id, at]),
      );
    }
  },

  /**
   * Writes a category row at `version`, which the caller has bound into `sealed` with `meta`:
   * one more than the version it read under the subject's row lock, or 1 for a new row.
   */
  async upsertValue(
    ex: Executor,
    row: { subjectId: string; category: string; sealed: Buffer; meta: RowMeta; version: number },
    at: Date,
    relationship: ReadonlySet<string>,
  ): Promise<void> {
    const { default: d, fields } = row.meta;
    const columns = {
      sealed: row.sealed,
      source: d.source,
      purpose: d.purpose,
      collected_at: d.collectedAt,
      field_meta: Object.keys(fields).length > 0 ? JSON.stringify(fields) : null,
      version: row.version,
      updated_at: at,
    };
    await ex
      .insertInto('subject_values')
      .values({ subject_id: row.subjectId, category: row.category, ...columns })
      .onConflict((oc) => oc.columns(['subject_id', 'category']).doUpdateSet(columns))
      .execute();
    // Written again: collected anew, no longer only what a legal hold keeps.
    await releaseHeld(ex, row.subjectId, row.category);
    if (
      relationship.has(d.purpose) ||
      Object.values(fields).some((m) => relationship.has(m.purpose))
    ) {
      await markRelated(ex, [row.subjectId], at);
    }
  },

  async deleteValue(ex: Executor, subjectId: string, category: string): Promise<void> {
    await ex
      .deleteFrom('subject_values')
      .where('subject_id', '=', subjectId)
      .where('category', '=', category)
      .execute();
    await releaseHeld(ex, subjectId, category);
  },

  /**
   * Of these people's categories, those a legal hold keeps in place for other purposes than
   * `purpose` (subject_category_holds, written by the retention sweep), as `id\u0000category`:
   * for `purpose` they are not there.
   */
  async heldElsewhere(
    ex: Executor,
    subjectIds: readonly string[],
    purpose: string,
  ): Promise<Set<string>> {
    if (subjectIds.length === 0) {
      return new Set();
    }
    const rows = await sql<{ subject_id: string; category: string }>`
        select subject_id, category from subject_category_holds
         where subject_id = any(${toArray(subjectIds)}::uuid[])
         group by subject_id, category
        having not bool_or(purpose = ${purpose})`.execute(ex);
    return new Set(rows.rows.map((r) => `${r.subject_id}\u0000${r.category}`));
  },

  /** A person's categories a legal hold keeps in place, each with the purposes it is kept for. */
  async heldCategories(ex: Executor, subjectId: string): Promise<Map<string, Set<string>>> {
    const rows = await ex
      .selectFrom('subject_category_holds')
      .select(['category', 'purpose'])
      .where('subject_id', '=', subjectId)
      .execute();
    const out = new Map<string, Set<string>>();
    for (const r of rows) {
      out.set(r.category, (out.get(r.category) ?? new Set()).add(r.purpose));
    }
    return out;
  },

  async setIndexes(
    ex: Executor,
    subjectId: string,
    indexes: SubjectIndexes,
    at: Date,
  ): Promise<void> {
    await ex
      .updateTable('subjects')
      .set({
        email_index: indexes.email,
        phone_index: indexes.phone,
        blind_index: sql<string[]>`${toArray(indexes.tokens)}::bigint[]`,
        updated_at: at,
      })
      .where('id', '=', subjectId)
      .execute();
  },

  /**
   * Ids for `n` new history rows, taken from the table's identity sequence before the rows are
   * written: each row's id is bound into its sealed change.
   */
  async reserveHistoryIds(ex: Executor, n: number): Promise<string[]> {
    if (n === 0) {
      return [];
    }
    const r = await sql<{ id: string }>`
        select nextval(pg_get_serial_sequence('subject_history', 'id'))::text as id
          from generate_series(1, ${n}::int)`.execute(ex);
    return r.rows.map((x) => x.id);
  },

  /** History rows with the ids reserved for them (reserveHistoryIds). */
  async addHistory(
    ex: Executor,
    rows: Array<{
      id: string;
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
    await sql`
        insert into subject_history (subject_id, id, category, field, sealed_change, purpose, source, actor, changed_at)
        overriding system value
        select s, i, c, f, decode(x, 'hex'), p, src, a, ${at}
          from unnest(${rows.map((r) => r.subjectId)}::uuid[], ${rows.map((r) => r.id)}::bigint[],
                      ${rows.map((r) => r.category)}::text[], ${rows.map((r) => r.field)}::text[],
                      ${rows.map((r) => r.sealedChange.toString('hex'))}::text[], ${rows.map((r) => r.purpose)}::text[],
                      ${rows.map((r) => r.source)}::text[], ${rows.map((r) => r.actor)}::text[])
               as t(s, i, c, f, x, p, src, a)`.execute(ex);
  },

  async history(
    ex: Executor,
    subjectId: string,
    categories?: readonly string[],
    /** A purpose's read: changes of categories held in place for other purposes left out. */
    visibleTo?: string,
  ): Promise<HistoryRow[]> {
    if (categories && categories.length === 0) {
      return [];
    }
    let q = ex
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
    if (visibleTo !== undefined) {
      q = q.where(notHeldElsewhere(sql`subject_history`, visibleTo));
    }
    const rows = await q.orderBy('id').execute();
    return rows.map((r) => ({ ...r, id: String(r.id), sealed_change: buf(r.sealed_change) }));
  },

  /**
   * Sets or lifts a restriction. Not a write to the person's data: `updated_at` (the person's
   * last activity for retention) stays, as exercising a right is not use of the service.
   */
  async setRestriction(
    ex: Executor,
    subjectId: string,
    reason: string | null,
    at: Date,
  ): Promise<void> {
    await ex
      .updateTable('subjects')
      .set({
        restricted_at: reason === null ? null : at,
        restriction_reason: reason,
      })
      .where('id', '=', subjectId)
      .execute();
  },

  /**
   * The data side of an erasure: the sealed values and history go, the person becomes a tombstone
   * (id and time), their permission ledger (state and evidence) goes, mail waiting to them leaves
   * the outbox, and the erasure is journalled with its
   * reason code. The key that opens every copy of the values (and of the mail) is destroyed in the
   * key store afterwards. Both the erase use case and the reconciling of restored backups come here.
   */
  async erase(ex: Executor, subjectId: string, at: Date, reason: string): Promise<void> {
    await removeSubjectMail(ex, subjectId);
    await ex.deleteFrom('subject_values').where('subject_id', '=', subjectId).execute();
    await ex.deleteFrom('subject_history').where('subject_id', '=', subjectId).execute();
    await ex.deleteFrom('subject_stops').where('subject_id', '=', subjectId).execute();
    await ex.deleteFrom('subject_compelling_grounds').where('subject_id', '=', subjectId).execute();
    await ex.deleteFrom('subject_retention').where('subject_id', '=', subjectId).execute();
    await ex.deleteFrom('subject_category_holds').where('subject_id', '=', subjectId).execute();
    // What staff did about the person's campaign mails holds a reason in their own words: it goes.
    // A late bounce of a first copy (`bounced`) not lifted since keeps that address out for its
    // 180 days as an address only, without the person (campaign_bounces, 0045).
    await keepCampaignBounces(sql`array[${subjectId}]::uuid[]`).execute(ex);
    await ex.deleteFrom('campaign_send_events').where('subject_id', '=', subjectId).execute();
    // A mail still waiting is never sent to them. An uncertain one stays as it is: it may have
    // arrived, and its bounce still keeps the address out; staff can no longer requeue it.
    await ex
      .updateTable('campaign_sends')
      .set({ state: 'skipped', reason: 'erased', updated_at: at })
      .where('subject_id', '=', subjectId)
      .where('state', '=', 'queued')
      .execute();
    await ex
      .insertInto('erasure_journal')
      .values({ subject_id: subjectId, erased_at: at, reason })
      .onConflict((oc) => oc.column('subject_id').doNothing())
      .execute();
    await ex
      .updateTable('subjects')
      .set({
        email_index: null,
        phone_index: null,
        blind_index: sql<string[]>`'{}'::bigint[]`,
        restricted_at: null,
        restriction_reason: null,
        erased_at: at,
        updated_at: at,
      })
      .where('id', '=', subjectId)
      .execute();
    // The permission ledger goes with the person (docs/permissions.md): its history is
    // append-only, and its trigger lets a person's rows go only once they are erased (above).
    const wordings = (
      await ex
        .selectFrom('permission_history')
        .select('wording_id')
        .distinct()
        .where('subject_id', '=', subjectId)
        .where('wording_id', 'is not', null)
        .execute()
    ).flatMap((w) => (w.wording_id === null ? [] : [w.wording_id]));
    await ex.deleteFrom('permission_states').where('subject_id', '=', subjectId).execute();
    await ex.deleteFrom('permission_history').where('subject_id', '=', subjectId).execute();
    // A wording is kept while anyone's history shows it (everyone who saw a form saw the same
    // words); one only this person's history used goes with them: a caller may have written it
    // for them alone, with their name in it.
    await subjectsRepo.dropUnusedWordings(ex, wordings);
    // The preference page's links and sessions, and pending sign-up confirmations, go too.
    await ex.deleteFrom('permission_links').where('subject_id', '=', subjectId).execute();
  },

  /**
   * Of these wordings (those an erasure's deleted history used), deletes the ones no history row
   * uses any more. Two erasures of people who saw the same wording, side by side, would each still
   * see the other's rows (not yet committed) and keep it: an orphan. So the wordings are locked
   * first, in id order (two erasures cannot deadlock), and the delete decides in a statement of its
   * own: under read committed it sees what an erasure that held the lock before committed.
   */
  async dropUnusedWordings(ex: Executor, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) {
      return;
    }
    const list = sql`${toArray(ids)}::text[]`;
    await sql`select id from permission_wordings where id = any(${list}) order by id for update`.execute(
      ex,
    );
    await sql`delete from permission_wordings w
               where w.id = any(${list})
                 and not exists (select 1 from permission_history h where h.wording_id = w.id)`.execute(
      ex,
    );
  },

  /** The data database's erasure journal after `afterSeq`, oldest first. */
  async erasureJournal(
    ex: Executor,
    afterSeq = '0',
  ): Promise<Array<{ seq: string; subject_id: string; erased_at: Date; reason: string }>> {
    return ex
      .selectFrom('erasure_journal')
      .select(['seq', 'subject_id', 'erased_at', 'reason'])
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .execute();
  },

  /** Of these people, those the data database holds and has not erased. */
  async live(ex: Executor, subjectIds: readonly string[]): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < subjectIds.length; i += 5000) {
      const rows = await ex
        .selectFrom('subjects')
        .select('id')
        .where('id', 'in', subjectIds.slice(i, i + 5000))
        .where('erased_at', 'is', null)
        .execute();
      out.push(...rows.map((r) => r.id));
    }
    return out;
  },

  /** Of these people, those the erasure journal does not name. */
  async unjournalled(ex: Executor, subjectIds: readonly string[]): Promise<string[]> {
    const out = new Set(subjectIds);
    for (let i = 0; i < subjectIds.length; i += 5000) {
      const rows = await ex
        .selectFrom('erasure_journal')
        .select('subject_id')
        .where('subject_id', 'in', subjectIds.slice(i, i + 5000))
        .execute();
      rows.forEach((r) => out.delete(r.subject_id));
    }
    return [...out];
  },

  /** The categories a person has values in (no value is read). */
  async categoriesHeld(ex: Executor, subjectId: string): Promise<string[]> {
    const rows = await ex
      .selectFrom('subject_values')
      .select('category')
      .where('subject_id', '=', subjectId)
      .orderBy('category')
      .execute();
    return rows.map((r) => r.category);
  },

  /** A person's stops, by purpose and reason. */
  async stopsOf(
    ex: Executor,
    subjectId: string,
  ): Promise<Array<{ purpose: string; reason: StopReason; since: Date }>> {
    return ex
      .selectFrom('subject_stops')
      .select(['purpose', 'reason', 'since'])
      .where('subject_id', '=', subjectId)
      .orderBy('purpose')
      .orderBy('reason')
      .execute();
  },

  /** Stops purposes for a reason; a purpose already stopped for it keeps its first date. */
  async addStops(
    ex: Executor,
    subjectId: string,
    reason: StopReason,
    purposes: readonly string[],
    at: Date,
  ): Promise<void> {
    if (purposes.length === 0) {
      return;
    }
    await ex
      .insertInto('subject_stops')
      .values(purposes.map((purpose) => ({ subject_id: subjectId, purpose, reason, since: at })))
      .onConflict((oc) => oc.columns(['subject_id', 'purpose', 'reason']).doNothing())
      .execute();
  },

  /** Lifts the stops of one reason on the given purposes; answers the purposes lifted. */
  async removeStops(
    ex: Executor,
    subjectId: string,
    reason: StopReason,
    purposes: readonly string[],
  ): Promise<string[]> {
    if (purposes.length === 0) {
      return [];
    }
    const rows = await ex
      .deleteFrom('subject_stops')
      .where('subject_id', '=', subjectId)
      .where('reason', '=', reason)
      .where('purpose', 'in', purposes)
      .returning('purpose')
      .execute();
    return rows.map((r) => r.purpose).sort();
  },

  async groundsOf(
    ex: Executor,
    subjectId: string,
  ): Promise<Array<{ purpose: string; since: Date; sealed_reason: Buffer; recorded_by: string }>> {
    const rows = await ex
      .selectFrom('subject_compelling_grounds')
      .select(['purpose', 'since', 'sealed_reason', 'recorded_by'])
      .where('subject_id', '=', subjectId)
      .orderBy('purpose')
      .execute();
    return rows.map((r) => ({ ...r, sealed_reason: buf(r.sealed_reason) }));
  },

  /** Records (or replaces) compelling grounds for purposes, each reason sealed by the caller. */
  async setGrounds(
    ex: Executor,
    subjectId: string,
    rows: ReadonlyArray<{ purpose: string; sealedReason: Buffer }>,
    recordedBy: string,
    at: Date,
  ): Promise<void> {
    if (rows.length === 0) {
      return;
    }
    await ex
      .insertInto('subject_compelling_grounds')
      .values(
        rows.map((r) => ({
          subject_id: subjectId,
          purpose: r.purpose,
          since: at,
          sealed_reason: r.sealedReason,
          recorded_by: recordedBy,
        })),
      )
      .onConflict((oc) =>
        oc.columns(['subject_id', 'purpose']).doUpdateSet((eb) => ({
          since: eb.ref('excluded.since'),
          sealed_reason: eb.ref('excluded.sealed_reason'),
          recorded_by: eb.ref('excluded.recorded_by'),
        })),
      )
      .execute();
  },

  async removeGrounds(ex: Executor, subjectId: string, purposes: readonly string[]): Promise<void> {
    if (purposes.length === 0) {
      return;
    }
    await ex
      .deleteFrom('subject_compelling_grounds')
      .where('subject_id', '=', subjectId)
      .where('purpose', 'in', purposes)
      .execute();
  },

  async ping(ex: Executor): Promise<void> {
    await sql`select 1`.execute(ex);
  },

  async countLive(ex: Executor): Promise<number> {
    const r = await ex
      .selectFrom('subjects')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('erased_at', 'is', null)
      .where('held_purpose', 'is', null)
      .executeTakeFirstOrThrow();
    return r.n;
  },
};

export type SubjectsRepo = typeof subjectsRepo;

/** A category written or deleted is no longer one a legal hold keeps in place. */
async function releaseHeld(ex: Executor, subjectId: string, category: string): Promise<void> {
  await ex
    .deleteFrom('subject_category_holds')
    .where('subject_id', '=', subjectId)
    .where('category', '=', category)
    .execute();
}
