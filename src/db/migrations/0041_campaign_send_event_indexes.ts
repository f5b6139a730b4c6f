/**
 * Two indexes on a campaign mail's history (`campaign_send_events`, 0040):
 *
 * - by person: erasure deletes a person's rows by `subject_id` (and the expiry sweep counts
 *   them), which without it reads the whole table for each person erased;
 * - by the Message-ID a requeued mail had: a bounce or complaint quoting the first copy's
 *   Message-ID finds the send through it (docs/campaigns.md, "Bounces and complaints").
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index campaign_send_events_subject on campaign_send_events (subject_id)`.execute(
    db,
  );
  await sql`create index campaign_send_events_message on campaign_send_events (message_id)
    where action = 'requeued'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists campaign_send_events_message`.execute(db);
  await sql`drop index if exists campaign_send_events_subject`.execute(db);
}
