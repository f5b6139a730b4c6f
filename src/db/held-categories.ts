/**
 * Categories a legal hold keeps in place for a person who keeps others (subject_category_holds,
 * docs/retention.md): for every purpose but the hold's own they are as if not there. The SQL
 * condition every read, check and audience shares.
 */
import { sql, type RawBuilder } from 'kysely';
import { arrayLiteral } from './array-literal.ts';

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

/**
 * A person `purpose` may find (lookup, search, list, read by id, audience): not one whose only data
 * left are categories a legal hold keeps in place for other purposes (subject_category_holds,
 * docs/retention.md). Such a person is, for `purpose`, as if not there: found only when they have
 * a value of one of `categories` (the purpose's) that the purpose sees, or no category held in
 * place at all (a person with no such hold is found as before, with or without values).
 */
export function notOnlyHeldElsewhere(
  subject: RawBuilder<unknown>,
  categories: readonly string[],
  purpose: string,
): RawBuilder<boolean> {
  return sql<boolean>`(not exists (select 1 from subject_category_holds hh where hh.subject_id = ${subject})
          or exists (select 1 from subject_values w
                      where w.subject_id = ${subject}
                        and w.category = any(${arrayLiteral(categories)}::text[])
                        and ${notHeldElsewhere(sql`w`, purpose)}))`;
}

/**
 * A person some of these purposes may find (each with its categories), as `notOnlyHeldElsewhere`
 * says for one: false for no purpose at all.
 */
export function seenByAny(
  subject: RawBuilder<unknown>,
  scope: ReadonlyArray<{ purpose: string; categories: readonly string[] }>,
): RawBuilder<boolean> {
  return scope.length === 0
    ? sql<boolean>`false`
    : sql<boolean>`(${sql.join(
        scope.map((p) => notOnlyHeldElsewhere(subject, p.categories, p.purpose)),
        sql` or `,
      )})`;
}

/**
 * None of the person's values in `categories` (those holding an e-mail address or phone number)
 * is kept by a legal hold for purposes other than `purposes` only: the address is not data a hold
 * keeps from them (docs/retention.md).
 */
export function addressNotHeldFrom(
  subject: RawBuilder<unknown>,
  categories: readonly string[],
  purposes: readonly string[],
): RawBuilder<boolean> {
  return sql<boolean>`not exists (select 1 from subject_category_holds ah
                                   where ah.subject_id = ${subject}
                                     and ah.category = any(${arrayLiteral(categories)}::text[])
                                     and not exists (select 1 from subject_category_holds ap
                                                      where ap.subject_id = ah.subject_id
                                                        and ap.category = ah.category
                                                        and ap.purpose = any(${arrayLiteral(purposes)}::text[])))`;
}
