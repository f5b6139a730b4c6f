/**
 * Campaign delivery made exact (docs/campaigns.md):
 *
 * - `campaign_sends.state` may be `uncertain`: the SMTP server may have taken the mail (the
 *   connection failed at or after the DATA command, or the run stopped while the mail was being
 *   handed over). Such a send is never retried by itself; staff see it.
 * - `campaign_sends.attempted_at`: when the mail began to be handed to the SMTP server, committed
 *   before it is. A send left `sending` without it was claimed but never attempted (back to
 *   `queued`); with it, the outcome is unknown (`uncertain`).
 * - `campaigns.rate_per_minute`: a campaign's own sending rate, at most CAMPAIGN_SEND_RATE.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table campaign_sends drop constraint if exists campaign_sends_state_check`.execute(
    db,
  );
  await sql`alter table campaign_sends add constraint campaign_sends_state_check
    check (state in ('queued', 'sending', 'sent', 'skipped', 'failed', 'uncertain', 'bounced', 'complained'))`.execute(
    db,
  );
  await sql`alter table campaign_sends add column attempted_at timestamptz`.execute(db);
  await sql`alter table campaigns add column rate_per_minute integer
    check (rate_per_minute is null or rate_per_minute > 0)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table campaigns drop column if exists rate_per_minute`.execute(db);
  await sql`alter table campaign_sends drop column if exists attempted_at`.execute(db);
  await sql`update campaign_sends set state = 'failed' where state = 'uncertain'`.execute(db);
  await sql`alter table campaign_sends drop constraint if exists campaign_sends_state_check`.execute(
    db,
  );
  await sql`alter table campaign_sends add constraint campaign_sends_state_check
    check (state in ('queued', 'sending', 'sent', 'skipped', 'failed', 'bounced', 'complained'))`.execute(
    db,
  );
}
