/**
 * Address lists beside the suppression list (issue 11, interchange; docs/interchange.md):
 *
 * - `prohibition`: an address on a direct-marketing prohibition list (a Robinson-style list): no
 *   marketing purpose reaches the person on a channel that uses that address. It does not stop the
 *   person from being recorded, or served as a customer.
 * - `undeliverable`: an address an e-mail service reported as hard-bouncing ("cleaned"): no
 *   permission changes, but campaigns may skip it.
 *
 * Only the keyed blind index of each address is kept (the same keys as `subjects.email_index` and
 * `suppression`), when it was listed and where from (`source`: a list's name or an import run,
 * letters, digits and `._:-`, never personal data), and the interchange hash (`share_hash`, below).
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table address_lists (
      list text not null check (list in ('prohibition', 'undeliverable')),
      kind text not null check (kind in ('email', 'phone')),
      index_value bigint not null,
      listed_at timestamptz not null,
      source text not null,
      share_hash text,
      primary key (list, kind, index_value)
    )`.execute(db);
  // What the suppression list can be exported as: HMAC-SHA256 of the normalised address under the
  // register's interchange key, which may be handed to a processor (docs/interchange.md). Entries
  // made before this migration have none: their addresses are gone.
  await sql`alter table suppression add column share_hash text`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table suppression drop column if exists share_hash`.execute(db);
  await sql`drop table if exists address_lists`.execute(db);
}
