/**
 * SQL for legal holds' held records and the suppression list. Nothing here sees plaintext: held
 * values arrive sealed, addresses arrive as blind indexes.
 */
import { sql } from 'kysely';
import { arrayLiteral } from '../../db/array-literal.ts';
import type { Executor } from '../../db/transaction.ts';
import type { SubjectIndexes } from './subjects.repo.ts';

export interface HeldRow {
  id: string;
  purpose: string;
  /** The last day kept, YYYY-MM-DD. */
  until: string;
  holds: string[];
  erasedFrom: string | null;
}

export const holdsRepo = {
  /** A new held record (its values are written with the subjects' `upsertValue`). */
  async insertHeld(
    ex: Executor,
    row: HeldRow & { indexes: SubjectIndexes; createdAt: Date },
    at: Date,
  ): Promise<void> {
    await sql`
        insert into subjects (id, email_index, phone_index, blind_index, created_at, updated_at,
                              held_purpose, held_until, held_holds, erased_from)
        values (${row.id}, ${row.indexes.email}, ${row.indexes.phone},
                ${arrayLiteral(row.indexes.tokens)}::bigint[], ${row.createdAt}, ${at},
                ${row.purpose}, ${row.until}::date, ${arrayLiteral(row.holds)}::text[], ${row.erasedFrom})`.execute(
      ex,
    );
  },

  /** A live held record's hold, or undefined when the id is not one. */
  async held(ex: Executor, id: string): Promise<HeldRow | undefined> {
    const r = await sql<{
      id: string;
      held_purpose: string;
      until: string;
      held_holds: string[];
      erased_from: string | null;
    }>`
        select id, held_purpose, held_until::text as until, held_holds, erased_from
          from subjects where id = ${id} and held_purpose is not null and erased_at is null`.execute(
      ex,
    );
    const row = r.rows[0];
    return row
      ? {
          id: row.id,
          purpose: row.held_purpose,
          until: row.until,
          holds: row.held_holds,
          erasedFrom: row.erased_from,
        }
      : undefined;
  },

  /** Live held records whose last day is before `today` (YYYY-MM-DD), oldest first. */
  async ended(ex: Executor, today: string, limit: number): Promise<string[]> {
    const r = await sql<{ id: string }>`
        select id from subjects
         where held_until is not null and erased_at is null and held_until < ${today}::date
         order by held_until, id limit ${limit}`.execute(ex);
    return r.rows.map((x) => x.id);
  },

  /** Adds blind indexes to the suppression list; one already there keeps its first time. */
  async suppress(
    ex: Executor,
    entries: ReadonlyArray<{ kind: 'email' | 'phone'; index: string; share?: string }>,
    at: Date,
    reason: string,
  ): Promise<void> {
    if (entries.length === 0) {
      return;
    }
    await ex
      .insertInto('suppression')
      .values(
        entries.map((e) => ({
          kind: e.kind,
          index_value: e.index,
          suppressed_at: at,
          reason,
          share_hash: e.share ?? null,
        })),
      )
      .onConflict((oc) => oc.columns(['kind', 'index_value']).doNothing())
      .execute();
  },

  /** Which of these blind indexes are on the suppression list. */
  async suppressed(
    ex: Executor,
    entries: ReadonlyArray<{ kind: 'email' | 'phone'; index: string }>,
  ): Promise<Array<{ kind: 'email' | 'phone'; index: string }>> {
    const emails = entries.filter((e) => e.kind === 'email').map((e) => e.index);
    const phones = entries.filter((e) => e.kind === 'phone').map((e) => e.index);
    if (emails.length === 0 && phones.length === 0) {
      return [];
    }
    const r = await sql<{ kind: 'email' | 'phone'; index_value: string }>`
        select kind, index_value::text from suppression
         where (kind = 'email' and index_value = any(${arrayLiteral(emails)}::bigint[]))
            or (kind = 'phone' and index_value = any(${arrayLiteral(phones)}::bigint[]))`.execute(
      ex,
    );
    return r.rows.map((x) => ({ kind: x.kind, index: x.index_value }));
  },
};
