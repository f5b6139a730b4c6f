/**
 * A late report on a requeued mail's first copy (docs/campaigns.md, "Bounces and complaints"),
 * arriving when the send already stands `bounced` or `complained` (or, a bounce, when the second
 * copy went to another address), is kept as a row of the send's history (`campaign_send_events`,
 * 0040) instead of rewriting the send:
 *
 * - `bounced`: the first copy bounced. Its address's keyed blind index is kept; such a row keeps
 *   that address out of campaigns for 180 days as a bounced send does (unless lifted after it).
 * - `complained`: the first copy drew a complaint (its objection is in the permission ledger).
 *
 * And an index for the suppression's look-up of `bounced` rows by address.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table campaign_send_events drop constraint if exists campaign_send_events_action_check`.execute(
    db,
  );
  await sql`alter table campaign_send_events add constraint campaign_send_events_action_check
    check (action in ('marked_sent', 'marked_failed', 'requeued', 'bounce_lifted', 'bounced',
      'complained'))`.execute(db);
  await sql`create index campaign_send_events_bounced on campaign_send_events (recipient_index, at)
    where action = 'bounced'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists campaign_send_events_bounced`.execute(db);
  await sql`delete from campaign_send_events where action in ('bounced', 'complained')`.execute(db);
  await sql`alter table campaign_send_events drop constraint if exists campaign_send_events_action_check`.execute(
    db,
  );
  await sql`alter table campaign_send_events add constraint campaign_send_events_action_check
    check (action in ('marked_sent', 'marked_failed', 'requeued', 'bounce_lifted'))`.execute(db);
}
