/**
 * The people of an audience (docs/audiences.md): live people a marketing purpose may reach on one
 * channel now, by the permission ledger (allowedChannelsSql), in id order for keyset pages. Never
 * an erased person, a held record, a restricted person, one who stopped the purpose, or one whose
 * only data in the purpose's categories a legal hold keeps for other purposes (docs/retention.md).
 */
import { sql, type RawBuilder } from 'kysely';
import { arrayLiteral } from '../../db/array-literal.ts';
import { withTransaction, type Executor } from '../../db/transaction.ts';
import type { PurposeMarketing } from '../definition/index.ts';
import { notHeldElsewhere, notOnlyHeldElsewhere } from '../../db/held-categories.ts';
import { allowedChannelsSql } from './marketing.repo.ts';

export interface AudienceSql {
  purpose: string;
  marketing: PurposeMarketing;
  /** All the purpose's categories: a person with none of them but held elsewhere is left out. */
  purposeCategories: readonly string[];
  channel: string;
  createdAfter?: Date;
  /** Only these people (a campaign's batch, checked again when it is sent). */
  ids?: readonly string[];
  /**
   * The categories of the channel's fields the purpose may see: a person with no value in any of
   * them has nothing to be reached at on a channel without an address kind (post).
   */
  channelCategories: readonly string[];
  /**
   * Keep people the channel cannot reach: no address of its kind, or one listed undeliverable (a
   * campaign's batch at send time, which records each such person's reason itself).
   */
  keepUnreachable?: boolean;
  /**
   * Whether the channel's address is the person's primary one of its kind (the blind index in
   * `subjects.email_index`/`phone_index`; `addressIsPrimary`). When it is not, the SQL only asks
   * for a value in the channel's categories and the caller checks each opened address against the
   * undeliverable list (`listed`).
   */
  addressInSql?: boolean;
}

/**
 * Whether the person has something to be reached at on the channel (docs/audiences.md): for an
 * e-mail or phone channel whose address is the primary one of its kind, that address (its blind
 * index) set and not listed as undeliverable (an e-mail service's hard bounce,
 * docs/interchange.md), an anti-join on the list's primary key as the prohibition list's; for
 * another channel (post, or an address field that is not the primary one), a value row in one of
 * the channel's categories the purpose may see (the opened address is checked against the list by
 * the caller, a page at a time). The opened values are checked again per field by the
 * audiences module; this keeps the people without any out of the SQL (and of the count).
 */
function reachable(q: AudienceSql): RawBuilder<unknown> {
  if (q.keepUnreachable) {
    return sql``;
  }
  const address = q.marketing.addresses.get(q.channel);
  if (address && q.addressInSql !== false) {
    const column = sql.raw(address === 'email' ? 's.email_index' : 's.phone_index');
    return sql`and ${column} is not null
       and not exists (select 1 from address_lists ua
                        where ua.list = 'undeliverable' and ua.kind = ${address} and ua.index_value = ${column})`;
  }
  return sql`and exists (select 1 from subject_values cv
                          where cv.subject_id = s.id
                            and cv.category = any(${arrayLiteral(q.channelCategories)}::text[])
                            and ${notHeldElsewhere(sql`cv`, q.purpose)})`;
}

/**
 * The people of the audience, each with the channels the purpose may reach them on (computed once
 * per person: `offset 0` keeps the subquery from being flattened into the filter).
 */
function people(q: AudienceSql, after?: string) {
  const allowed = allowedChannelsSql(q.marketing, sql`s.id`) as RawBuilder<string[]>;
  return sql`(select s.id, ${allowed} as allowed_channels from subjects s
     where s.erased_at is null and s.held_purpose is null and s.restricted_at is null
       ${q.createdAfter ? sql`and s.created_at > ${q.createdAfter}` : sql``}
       ${after ? sql`and s.id > ${after}::uuid` : sql``}
       ${q.ids ? sql`and s.id = any(${arrayLiteral(q.ids)}::uuid[])` : sql``}
       ${reachable(q)}
       and not exists (select 1 from subject_stops st where st.subject_id = s.id and st.purpose = ${q.purpose})
       and ${notOnlyHeldElsewhere(sql`s.id`, q.purposeCategories, q.purpose)}
     order by s.id offset 0) a`;
}

export const audienceRepo = {
  /**
   * Which of these blind indexes of one address kind are listed undeliverable: one lookup on the
   * list's primary key for a page of opened addresses.
   */
  async listed(
    ex: Executor,
    kind: 'email' | 'phone',
    indexes: readonly string[],
  ): Promise<Set<string>> {
    if (indexes.length === 0) {
      return new Set();
    }
    const r = await sql<{ index_value: string }>`
      select index_value::text as index_value from address_lists
       where list = 'undeliverable' and kind = ${kind}
         and index_value = any(${arrayLiteral([...new Set(indexes)])}::bigint[])`.execute(ex);
    return new Set(r.rows.map((row) => row.index_value));
  },

  /** How many people the audience holds now (before any filter on values). */
  async count(ex: Executor, q: AudienceSql): Promise<number> {
    const r = await sql<{ n: number }>`
      select count(*)::int as n from ${people(q)} where ${q.channel}::text = any(a.allowed_channels)`.execute(
      ex,
    );
    return r.rows[0]?.n ?? 0;
  },

  /**
   * One page of the audience after `after` (an id): its people in id order, each with the channels
   * they allow (as PostgreSQL writes a `text[]`) and, in the same statement, their value rows of
   * `categories` that `q.purpose` may see (a person without any has one row of nulls). One round
   * trip a page instead of two; times and provenance come as text, for the caller to cache.
   */
  async pageWithValues(
    ex: Executor,
    q: AudienceSql & { after?: string; limit: number; categories: readonly string[] },
  ): Promise<AudiencePageRow[]> {
    // The planner prices the page as a scan of every remaining person (it cannot know the limit
    // is reached soon), which would have PostgreSQL JIT-compile each page's query: ~0.3 s of
    // compiling for ~30 ms of work. For the same reason it plans the prohibition-list check as
    // one hashed set over all people, built by parallel workers: starting them took ~0.2 s of
    // each page's 0.33 s on a busy machine (docs/PERFORMANCE.md, "Audiences"). Each page is its
    // own short transaction with JIT and parallel workers off.
    return withTransaction(ex, async (tx) => {
      await sql`select set_config('jit', 'off', true),
                       set_config('max_parallel_workers_per_gather', '0', true)`.execute(tx);
      const r = await pageSql(q).execute(tx);
      return r.rows;
    });
  },
};

/**
 * The statement of `pageWithValues`: also what bench/audience-floor.ts has PostgreSQL run alone,
 * for the whole audience at once, to measure the floor.
 */
export function pageSql(
  q: AudienceSql & { after?: string; limit: number; categories: readonly string[] },
) {
  return sql<AudiencePageRow>`
        with page as (
          select a.id, a.allowed_channels from ${people(q, q.after)}
           where ${q.channel}::text = any(a.allowed_channels)
           order by a.id limit ${q.limit})
        select page.id, page.allowed_channels::text as allowed, v.category, v.version, v.sealed,
               v.source, v.purpose, v.collected_at::text as collected_at,
               v.field_meta::text as field_meta
          from page
          left join subject_values v
            on v.subject_id = page.id
           and v.category = any(${arrayLiteral(q.categories)}::text[])
           and ${notHeldElsewhere(sql`v`, q.purpose)}
         order by page.id`;
}

/** A row of `pageWithValues`: a person, and one of their value rows or nulls. */
export interface AudiencePageRow {
  id: string;
  /** The channels the person allows, as a `text[]` literal (`{email,sms}`). */
  allowed: string;
  category: string | null;
  version: number | null;
  sealed: Buffer | null;
  source: string | null;
  purpose: string | null;
  /** `collected_at` as PostgreSQL writes a `timestamptz`. */
  collected_at: string | null;
  /** `field_meta` as JSON text, or null. */
  field_meta: string | null;
}
