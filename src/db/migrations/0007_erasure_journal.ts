/**
 * The data database's copy of the erasure journal: which person was erased, when and why (a reason
 * code), nothing else. The key store keeps the same journal; a restore of either store re-applies
 * the other's, so an erasure survives the restore of a backup made before it. Append-only, like
 * the access log. Person keys no longer live in the data at all: `subjects.wrapped_key` is dropped
 * (they live in the key store). Migration 0006 refuses a database holding data sealed by an earlier
 * version, so no key is lost here: a live person of such a database never reaches this migration.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table erasure_journal (
      seq bigint generated always as identity primary key,
      subject_id uuid not null unique,
      erased_at timestamptz not null,
      reason text not null
    )`.execute(db);
  await sql`create trigger erasure_journal_append_only before update or delete on erasure_journal
    for each row execute function audit_refuse_change()`.execute(db);
  await sql`create trigger erasure_journal_no_truncate before truncate on erasure_journal
    for each statement execute function audit_refuse_change()`.execute(db);
  await sql`alter table subjects drop column wrapped_key`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table subjects add column wrapped_key bytea`.execute(db);
  await sql`drop table if exists erasure_journal`.execute(db);
}
