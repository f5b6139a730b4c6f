/**
 * Campaigns (issue 11, item 8; docs/campaigns.md): marketing mail the register sends itself.
 *
 * - `campaigns`: the draft (purpose, channel, filters, subject and body per language, sender) and
 *   its state. The texts are the controller's marketing copy, not personal data.
 * - `campaign_sends`: one row per person of the campaign's audience, written when it starts (ids
 *   only), then moved `queued` → `sending` → `sent` / `failed`, or `queued` → `skipped` with the
 *   permission check's reason; `bounced` / `complained` when the mail server reports back. The
 *   primary key (campaign, person) and the `queued` → `sending` step, committed before the SMTP
 *   server is spoken to, are what make a campaign mail a person at most once, crash or not.
 *   `recipient_index` is the keyed blind index of the address mailed (vault.emailIndex), never the
 *   address, so that a bounce naming only the recipient finds its send.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table campaigns (
      id uuid primary key,
      name text not null,
      purpose text not null,
      channel text not null,
      filters jsonb not null,
      content jsonb not null,
      sender jsonb,
      state text not null check (state in ('draft', 'sending', 'paused', 'cancelled', 'finished')),
      generation integer not null default 0,
      created_by text not null,
      created_at timestamptz not null,
      started_at timestamptz,
      finished_at timestamptz,
      updated_at timestamptz not null
    )`.execute(db);
  await sql`
    create table campaign_sends (
      campaign_id uuid not null references campaigns (id) on delete cascade,
      subject_id uuid not null,
      state text not null
        check (state in ('queued', 'sending', 'sent', 'skipped', 'failed', 'bounced', 'complained')),
      reason text,
      locale text,
      message_id text unique,
      recipient_index text,
      updated_at timestamptz not null,
      primary key (campaign_id, subject_id)
    )`.execute(db);
  await sql`create index campaign_sends_state on campaign_sends (campaign_id, state, subject_id)`.execute(
    db,
  );
  await sql`create index campaign_sends_recipient on campaign_sends (recipient_index)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists campaign_sends`.execute(db);
  await sql`drop table if exists campaigns`.execute(db);
}
