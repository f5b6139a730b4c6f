/**
 * Fixes from the review of the permission ledger (docs/permissions.md):
 *
 * - A double opt-in sign-up no longer creates or touches a person until its confirmation link is
 *   followed: `permission_links` holds the pending sign-up without a person (`subject_id` null),
 *   the address sealed (`email_sealed`, under a key derived for that use) and its keyed hash
 *   (`email_key`, to send no second confirmation to an address within a window). The row expires
 *   with the link and is deleted then.
 * - `permission_states` is guarded as the history is: every row must be what a history row of the
 *   same person, kind and channel says (state, and `changed_at` its `given_at`), a row is never
 *   moved back to an earlier change (nor, given at the same moment, from a refusal to a grant),
 *   and a row goes only with an erased (or deleted) person. TRUNCATE is refused. So the runtime
 *   role cannot set a state that the append-only history does not show.
 * - An index on `permission_history.wording_id`, so that an erasure can remove a wording no one
 *   else's history uses (a caller-supplied text may have been written for that person only).
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table permission_links alter column subject_id drop not null`.execute(db);
  await sql`alter table permission_links add column email_sealed bytea`.execute(db);
  await sql`alter table permission_links add column email_key bytea`.execute(db);
  await sql`alter table permission_links add constraint permission_links_whose
    check (subject_id is not null or (kind = 'confirm' and email_sealed is not null))`.execute(db);
  await sql`create index permission_links_email on permission_links (email_key, created_at)
    where email_key is not null`.execute(db);
  await sql`create index permission_history_wording on permission_history (wording_id)
    where wording_id is not null`.execute(db);
  await sql`
    create function permission_states_guard() returns trigger language plpgsql as $$
    begin
      if tg_op = 'DELETE' then
        if not exists (
          select 1 from subjects s where s.id = old.subject_id and s.erased_at is null
        ) then
          return old;
        end if;
        raise exception 'permission_states: DELETE is refused (only an erasure removes a person''s rows)';
      end if;
      if not exists (
        select 1 from permission_history h
         where h.subject_id = new.subject_id and h.id = new.history_id
           and h.kind = new.kind and h.channel = new.channel
           and h.state = new.state and h.given_at = new.changed_at
      ) then
        raise exception 'permission_states: % is refused: the state must be a change in permission_history', tg_op;
      end if;
      if tg_op = 'UPDATE' and (
        new.subject_id <> old.subject_id or new.kind <> old.kind or new.channel <> old.channel
        or new.changed_at < old.changed_at
        or (new.changed_at = old.changed_at
            and old.state in ('refused', 'withdrawn', 'objected')
            and new.state not in ('refused', 'withdrawn', 'objected'))
      ) then
        raise exception 'permission_states: UPDATE is refused: a later choice is not replaced by an earlier one';
      end if;
      return new;
    end $$`.execute(db);
  await sql`create trigger permission_states_guarded before insert or update or delete on permission_states
    for each row execute function permission_states_guard()`.execute(db);
  await sql`
    create function permission_states_refuse_truncate() returns trigger language plpgsql as $$
    begin
      raise exception 'permission_states: TRUNCATE is refused';
    end $$`.execute(db);
  await sql`create trigger permission_states_no_truncate before truncate on permission_states
    for each statement execute function permission_states_refuse_truncate()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger if exists permission_states_no_truncate on permission_states`.execute(db);
  await sql`drop trigger if exists permission_states_guarded on permission_states`.execute(db);
  await sql`drop function if exists permission_states_refuse_truncate()`.execute(db);
  await sql`drop function if exists permission_states_guard()`.execute(db);
  await sql`drop index if exists permission_history_wording`.execute(db);
  await sql`delete from permission_links where subject_id is null`.execute(db);
  await sql`drop index permission_links_email`.execute(db);
  await sql`alter table permission_links drop constraint permission_links_whose`.execute(db);
  await sql`alter table permission_links drop column email_key`.execute(db);
  await sql`alter table permission_links drop column email_sealed`.execute(db);
  await sql`alter table permission_links alter column subject_id set not null`.execute(db);
}
