/**
 * What staff did about a campaign mail (docs/campaigns.md, "When the outcome is uncertain" and
 * "Lifting a bounce early"): `campaign_send_events`, one row per action, append-only.
 *
 * - `marked_sent` / `marked_failed`: an `uncertain` mail resolved by staff who asked the mail
 *   server (its log shows it taken, or not).
 * - `requeued`: an `uncertain` mail put back in the queue, confirmed by staff: mailed again, with
 *   the permission checked again right before. The Message-ID it had is kept here.
 * - `bounce_lifted`: an address's bounce suppression lifted before its 180 days (the person fixed
 *   their mailbox). The keyed blind index of the address (never the address) says which; a
 *   bounce recorded at or before the lift no longer keeps it out. The bounce itself stays.
 *
 * Each names who (`staff:<id>`…), when, and the reason staff gave; the log entry has no reason.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table campaign_send_events (
      id uuid primary key,
      campaign_id uuid not null references campaigns (id) on delete cascade,
      subject_id uuid not null,
      action text not null
        check (action in ('marked_sent', 'marked_failed', 'requeued', 'bounce_lifted')),
      from_state text not null,
      to_state text not null,
      previous_reason text,
      message_id text,
      recipient_index text,
      reason text not null check (length(reason) between 1 and 500),
      actor text not null,
      at timestamptz not null
    )`.execute(db);
  await sql`create index campaign_send_events_send on campaign_send_events (campaign_id, subject_id)`.execute(
    db,
  );
  await sql`create index campaign_send_events_lift on campaign_send_events (recipient_index, at)
    where action = 'bounce_lifted'`.execute(db);
  // Evidence: never rewritten (a campaign's deletion cascades).
  await sql`
    create or replace function campaign_send_events_append_only() returns trigger
    language plpgsql as $$
    begin
      raise exception 'campaign_send_events: % is refused (append-only)', tg_op;
    end $$`.execute(db);
  await sql`create trigger campaign_send_events_no_update before update or truncate
    on campaign_send_events for each statement execute function campaign_send_events_append_only()`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists campaign_send_events`.execute(db);
  await sql`drop function if exists campaign_send_events_append_only()`.execute(db);
}
