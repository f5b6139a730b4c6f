/**
 * A bounce that outlives the person it was about (docs/campaigns.md, "Limits"): a late bounce of a
 * requeued mail's first copy (a `bounced` row of `campaign_send_events`, 0044) keeps the address
 * that copy went to out of campaigns for 180 days. At the person's erasure it moves here, without
 * the person's id: the keyed blind index of the address and when it bounced, nothing else. Rows
 * older than 180 days are removed by the daily `campaigns.prune` job.
 *
 * The late bounces of people erased before this migration move here now.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table campaign_bounces (
      recipient_index text not null,
      at timestamptz not null
    )`.execute(db);
  await sql`create index campaign_bounces_address on campaign_bounces (recipient_index, at)`.execute(
    db,
  );
  await sql`create index campaign_bounces_at on campaign_bounces (at)`.execute(db);
  await sql`insert into campaign_bounces (recipient_index, at)
    select b.recipient_index, b.at from campaign_send_events b
     where b.action = 'bounced' and b.recipient_index is not null
       and b.subject_id in (select id from subjects where erased_at is not null)`.execute(db);
  await sql`delete from campaign_send_events
     where action = 'bounced'
       and subject_id in (select id from subjects where erased_at is not null)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  // The erased people's late bounces cannot go back to a person: their suppression ends here.
  await sql`drop table if exists campaign_bounces`.execute(db);
}
