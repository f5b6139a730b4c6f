/**
 * Categories a legal hold keeps in place for a person who keeps others (subject_category_holds,
 * docs/retention.md): for every purpose but the hold's own they are as if not there. The SQL
 * condition every read, check and audience shares.
 */
import { sql, type RawBuilder } from 'kysely';

/**
 * A row of `table` (with subject_id and category) that `purpose` may see: not a category a legal
 * hold keeps in place for other purposes only.
 */
export function notHeldElsewhere(table: RawBuilder<unknown>, purpose: string): RawBuilder<boolean> {
  return sql<boolean>`(not exists (select 1 from subject_category_holds h
                                    where h.subject_id = ${table}.subject_id and h.category = ${table}.category)
                       or exists (select 1 from subject_category_holds h
                                   where h.subject_id = ${table}.subject_id and h.category = ${table}.category
                                     and h.purpose = ${purpose}))`;
}
