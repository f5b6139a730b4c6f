/**
 * The permission ledger (issue 11; docs/permissions.md): per person, permission kind and channel,
 * the current state, and an append-only history with the evidence of every change.
 *
 * - `permission_states`: one row per (person, kind, channel) asked or told; "never asked" is no
 *   row. `channel` is a channel id of the definition, or `*` for the kind as a whole (market
 *   research refused on every channel). The permission check reads it by primary key.
 * - `permission_history`: every change, with when it was given (`given_at`, which an import may
 *   date back) and recorded, how (`method`), the notice version in force, the wording shown (by
 *   digest), an opaque reference (a request, an import run, a campaign) and the actor. A trigger
 *   refuses UPDATE and TRUNCATE always, and DELETE unless the person is erased: the erasure
 *   removes their ledger with the rest of their data (Art. 17), nothing else may.
 * - `permission_wordings`: the texts shown when permission was asked (a form's consent sentence),
 *   stored once by SHA-256. Not personal data: shared by everyone who saw them, kept after an
 *   erasure.
 *
 * Every per-person table leads its primary key with `subject_id`, for sharding by person.
 */
import { sql, type Kysely } from 'kysely';

const STATES = `'granted', 'refused', 'withdrawn', 'objected', 'pending'`;
const METHODS = `'form', 'import', 'staff', 'unsubscribe_link', 'api', 'request', 'double_opt_in', 'preference_page'`;

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table permission_wordings (
      id text primary key,
      language text not null,
      text text not null,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`
    create table permission_history (
      subject_id uuid not null references subjects (id) on delete cascade,
      id bigint generated always as identity,
      kind text not null,
      channel text not null,
      state text not null check (state in (${sql.raw(STATES)})),
      previous_state text check (previous_state in (${sql.raw(STATES)})),
      given_at timestamptz not null,
      recorded_at timestamptz not null,
      method text not null check (method in (${sql.raw(METHODS)})),
      notice_version text,
      wording_id text references permission_wordings (id),
      reference text,
      actor text not null,
      primary key (subject_id, id)
    )`.execute(db);
  await sql`
    create table permission_states (
      subject_id uuid not null references subjects (id) on delete cascade,
      kind text not null,
      channel text not null,
      state text not null check (state in (${sql.raw(STATES)})),
      changed_at timestamptz not null,
      history_id bigint not null,
      primary key (subject_id, kind, channel)
    )`.execute(db);
  await sql`
    create function permission_history_guard() returns trigger language plpgsql as $$
    begin
      if tg_op = 'DELETE' and not exists (
        select 1 from subjects s where s.id = old.subject_id and s.erased_at is null
      ) then
        return old;
      end if;
      raise exception 'the permission history is append-only: % on % is refused (only an erasure removes a person''s rows)', tg_op, tg_table_name;
    end $$`.execute(db);
  await sql`create trigger permission_history_append_only before update or delete on permission_history
    for each row execute function permission_history_guard()`.execute(db);
  await sql`
    create function permission_history_refuse_truncate() returns trigger language plpgsql as $$
    begin
      raise exception 'the permission history is append-only: TRUNCATE on % is refused', tg_table_name;
    end $$`.execute(db);
  await sql`create trigger permission_history_no_truncate before truncate on permission_history
    for each statement execute function permission_history_refuse_truncate()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists permission_states`.execute(db);
  await sql`drop table if exists permission_history`.execute(db);
  await sql`drop function if exists permission_history_guard()`.execute(db);
  await sql`drop function if exists permission_history_refuse_truncate()`.execute(db);
  await sql`drop table if exists permission_wordings`.execute(db);
}
