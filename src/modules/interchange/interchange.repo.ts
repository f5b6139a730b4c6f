/**
 * SQL for interchange: finding a person by the blind index of their primary e-mail address (the
 * importer's dedupe key), the address lists (prohibition, undeliverable) and the suppression list's
 * export. Nothing here sees an address: only keyed hashes.
 */
import { sql } from 'kysely';
import type { Executor } from '../../db/transaction.ts';
import type { PermissionStateValue } from '../../db/types.ts';

export type AddressKind = 'email' | 'phone';
export type AddressList = 'prohibition' | 'undeliverable';

export interface ExportRow {
  kind: AddressKind;
  share_hash: string | null;
  since: Date;
  reason: string;
}

export const interchangeRepo = {
  /** The live, ordinary person whose primary e-mail has this blind index. */
  async subjectByEmailIndex(ex: Executor, index: string): Promise<string | undefined> {
    const r = await ex
      .selectFrom('subjects')
      .select('id')
      .where('email_index', '=', index)
      .where('erased_at', 'is', null)
      .where('held_purpose', 'is', null)
      .executeTakeFirst();
    return r?.id;
  },

  /**
   * The ledger's current state of one kind and channel for a person (the row itself, not the
   * deciding state): whether a line would change anything. Read without an access-log entry of its
   * own; the change, if any, is logged when recorded.
   */
  /** The ledger's row for the person's kind and channel: its state and since when. */
  async currentState(
    ex: Executor,
    subjectId: string,
    kind: string,
    channel: string,
  ): Promise<{ state: string; changedAt: Date } | undefined> {
    const r = await ex
      .selectFrom('permission_states')
      .select(['state', 'changed_at'])
      .where('subject_id', '=', subjectId)
      .where('kind', '=', kind)
      .where('channel', '=', channel)
      .executeTakeFirst();
    return r ? { state: r.state, changedAt: new Date(r.changed_at) } : undefined;
  },

  /**
   * Whether the run (`reference`) already recorded this state for the person's kind and channel
   * (as of `givenAt`, when the line has a date): the same line of the same file, imported again.
   */
  async recordedByRun(
    ex: Executor,
    subjectId: string,
    row: {
      kind: string;
      channel: string;
      state: PermissionStateValue;
      reference: string;
      givenAt?: Date;
    },
  ): Promise<boolean> {
    let q = ex
      .selectFrom('permission_history')
      .select('id')
      .where('subject_id', '=', subjectId)
      .where('kind', '=', row.kind)
      .where('channel', '=', row.channel)
      .where('state', '=', row.state)
      .where('reference', '=', row.reference)
      .where('method', '=', 'import');
    if (row.givenAt) {
      q = q.where('given_at', '=', row.givenAt);
    }
    return (await q.limit(1).executeTakeFirst()) !== undefined;
  },

  /** Adds addresses to a list; one already there keeps its first time and source. Answers how many were new. */
  async addToList(
    ex: Executor,
    list: AddressList,
    entries: ReadonlyArray<{ kind: AddressKind; index: string; share: string | null }>,
    at: Date,
    source: string,
  ): Promise<number> {
    if (entries.length === 0) {
      return 0;
    }
    const r = await ex
      .insertInto('address_lists')
      .values(
        entries.map((e) => ({
          list,
          kind: e.kind,
          index_value: e.index,
          listed_at: at,
          source,
          share_hash: e.share,
        })),
      )
      .onConflict((oc) => oc.columns(['list', 'kind', 'index_value']).doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0);
  },

  /** Which of these blind indexes are on the list. */
  async listed(
    ex: Executor,
    list: AddressList,
    kind: AddressKind,
    indexes: readonly string[],
  ): Promise<Set<string>> {
    if (indexes.length === 0) {
      return new Set();
    }
    const rows = await ex
      .selectFrom('address_lists')
      .select(sql<string>`index_value::text`.as('index_value'))
      .where('list', '=', list)
      .where('kind', '=', kind)
      .where('index_value', 'in', [...indexes])
      .execute();
    return new Set(rows.map((r) => r.index_value));
  },

  /** One address's entry on a list: when it was listed and where from; undefined when not listed. */
  async entry(
    ex: Executor,
    list: AddressList,
    kind: AddressKind,
    index: string,
  ): Promise<{ listedAt: Date; source: string } | undefined> {
    const r = await ex
      .selectFrom('address_lists')
      .select(['listed_at', 'source'])
      .where('list', '=', list)
      .where('kind', '=', kind)
      .where('index_value', '=', index)
      .executeTakeFirst();
    return r ? { listedAt: new Date(r.listed_at), source: r.source } : undefined;
  },

  /** Takes one address off a list; what the entry was, or undefined when it was not listed. */
  async removeFromList(
    ex: Executor,
    list: AddressList,
    kind: AddressKind,
    index: string,
  ): Promise<{ listedAt: Date; source: string } | undefined> {
    const r = await ex
      .deleteFrom('address_lists')
      .where('list', '=', list)
      .where('kind', '=', kind)
      .where('index_value', '=', index)
      .returning(['listed_at', 'source'])
      .executeTakeFirst();
    return r ? { listedAt: new Date(r.listed_at), source: r.source } : undefined;
  },

  /**
   * The suppression list (erased people's addresses) and the prohibition list, in pages after
   * `after` (a position from the previous page): what an export writes.
   */
  async exportPage(
    ex: Executor,
    after: { source: number; kind: string; index: string } | null,
    limit: number,
  ): Promise<Array<ExportRow & { source: number; index: string }>> {
    const r = await sql<ExportRow & { source: number; index: string }>`
      select * from (
        select 0 as source, kind, index_value::text as index, share_hash,
               suppressed_at as since, reason
          from suppression
        union all
        select 1 as source, kind, index_value::text as index, share_hash,
               listed_at as since, 'prohibition_list:' || source as reason
          from address_lists where list = 'prohibition'
      ) x
      ${
        after
          ? sql`where (x.source, x.kind, x.index::bigint) > (${after.source}, ${after.kind}, ${after.index}::bigint)`
          : sql``
      }
      order by x.source, x.kind, x.index::bigint
      limit ${limit}`.execute(ex);
    return r.rows.map((row) => ({ ...row, source: Number(row.source) }));
  },
};
