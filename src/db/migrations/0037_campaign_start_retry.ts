/**
 * Campaign starts owned, and recipients deferred one by one (docs/campaigns.md):
 *
 * - `campaigns.state` may be `starting`: a start has taken the draft (`start_token`, renewed in
 *   `start_claimed_at` while it queues the audience) and is writing its people. Only the start
 *   holding the token writes or clears the campaign's queued rows, and only it moves the campaign
 *   on to `sending`; a second start is refused. A `starting` whose owner has not renewed its claim
 *   for a while (it crashed) may be taken over by a new start.
 * - `campaigns.reason`: why the campaign stopped by itself (paused when its send job gave up),
 *   shown to staff; cleared when it is started again.
 * - `campaign_sends.attempts` and `not_before`: a person whose mail server defers them (a 4xx to
 *   RCPT TO) waits until `not_before` while the others are mailed, and is given up on (`failed`)
 *   after a number of attempts.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table campaigns drop constraint if exists campaigns_state_check`.execute(db);
  await sql`alter table campaigns add constraint campaigns_state_check
    check (state in ('draft', 'starting', 'sending', 'paused', 'cancelled', 'finished'))`.execute(
    db,
  );
  await sql`alter table campaigns add column start_token uuid`.execute(db);
  await sql`alter table campaigns add column start_claimed_at timestamptz`.execute(db);
  await sql`alter table campaigns add column reason text`.execute(db);
  await sql`alter table campaign_sends add column attempts integer not null default 0`.execute(db);
  await sql`alter table campaign_sends add column not_before timestamptz`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table campaign_sends drop column if exists not_before`.execute(db);
  await sql`alter table campaign_sends drop column if exists attempts`.execute(db);
  await sql`alter table campaigns drop column if exists reason`.execute(db);
  await sql`alter table campaigns drop column if exists start_claimed_at`.execute(db);
  await sql`alter table campaigns drop column if exists start_token`.execute(db);
  await sql`update campaigns set state = 'draft' where state = 'starting'`.execute(db);
  await sql`alter table campaigns drop constraint if exists campaigns_state_check`.execute(db);
  await sql`alter table campaigns add constraint campaigns_state_check
    check (state in ('draft', 'sending', 'paused', 'cancelled', 'finished'))`.execute(db);
}
