/**
 * A request being completed is claimed first: the fulfilment (an erasure, a rectification) runs
 * through the subjects module in transactions of its own, so two handlers completing the same
 * request at once must not both act. `completing_since` is set by the one claim that wins and
 * cleared when the fulfilment fails; a claim older than a few minutes (a crashed server) lapses.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table requests add column completing_since timestamptz`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table requests drop column completing_since`.execute(db);
}
