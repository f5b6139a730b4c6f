/**
 * The access log: every read, write, export and erasure of personal data, every sign-in and every
 * change to staff and roles. Append-only: triggers refuse UPDATE and DELETE on both tables. Events
 * are written in the transaction of what they record; a sealer then chains them in commit order
 * into audit_chain, where each entry's HMAC covers the previous entry's.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table audit_events (
      id bigint generated always as identity primary key,
      at timestamptz not null,
      actor_kind text not null,
      actor_id text not null,
      role text,
      purpose text,
      subject_id uuid,
      action text not null,
      categories text[] not null default '{}',
      fields text[] not null default '{}',
      outcome text not null,
      request_id text,
      detail text,
      xid xid8 not null default pg_current_xact_id()
    )`.execute(db);
  await sql`create index audit_events_subject on audit_events (subject_id, id) where subject_id is not null`.execute(
    db,
  );

  await sql`
    create table audit_chain (
      seq bigint primary key,
      event_id bigint not null unique references audit_events (id),
      hash bytea not null,
      sealed_at timestamptz not null default now()
    )`.execute(db);

  await sql`
    create function audit_refuse_change() returns trigger language plpgsql as $$
    begin
      raise exception 'the access log is append-only: % on % is refused', tg_op, tg_table_name;
    end $$`.execute(db);
  for (const table of ['audit_events', 'audit_chain']) {
    await sql`create trigger ${sql.raw(`${table}_append_only`)} before update or delete on ${sql.table(table)}
      for each row execute function audit_refuse_change()`.execute(db);
    await sql`create trigger ${sql.raw(`${table}_no_truncate`)} before truncate on ${sql.table(table)}
      for each statement execute function audit_refuse_change()`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists audit_chain`.execute(db);
  await sql`drop table if exists audit_events`.execute(db);
  await sql`drop function if exists audit_refuse_change()`.execute(db);
}
