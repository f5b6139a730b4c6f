/**
 * Migration 0045 (docs/campaigns.md, "Limits"): the late bounces of a first copy of people erased
 * before it move to `campaign_bounces` as the address alone; a live person's stay in their history.
 */
import { Migrator, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { migrations } from '../src/db/migrations/index.ts';

describe('migration 0045 on an embedded database', () => {
  it("moves an erased person's late bounce to an address-only row and leaves a live person's", async () => {
    const handle = await openDatabase({});
    try {
      const migrator = new Migrator({
        db: handle.db,
        provider: { getMigrations: () => Promise.resolve(migrations) },
      });
      expect((await migrator.migrateTo('0044_campaign_send_late_reports')).error).toBeUndefined();
      const erased = '01900000-0000-7000-8000-0000000000e1';
      const live = '01900000-0000-7000-8000-0000000000a1';
      const campaign = '01900000-0000-7000-8000-0000000000c1';
      await sql`insert into subjects (id, erased_at) values (${erased}, now()), (${live}, null)`.execute(
        handle.db,
      );
      await sql`insert into campaigns (id, name, purpose, channel, filters, content, state, created_by, created_at, updated_at)
        values (${campaign}, 'Talvi', 'newsletter', 'email', '[]', '{}', 'finished', 'staff:x', now(), now())`.execute(
        handle.db,
      );
      const event = (id: string, subject: string, index: string) =>
        sql`insert into campaign_send_events (id, campaign_id, subject_id, action, from_state, to_state,
              message_id, recipient_index, reason, actor, at)
            values (${id}, ${campaign}, ${subject}, 'bounced', 'bounced', 'bounced',
              '<campaign.x@example.fi>', ${index}, 'bounce (an earlier copy)', 'api_key:x', now())`.execute(
          handle.db,
        );
      await event('01900000-0000-7000-8000-0000000000f1', erased, 'index-of-erased');
      await event('01900000-0000-7000-8000-0000000000f2', live, 'index-of-live');
      await migrateToLatest(handle.db);
      const kept = await sql<{ recipient_index: string }>`select * from campaign_bounces`.execute(
        handle.db,
      );
      expect(kept.rows.map((r) => r.recipient_index)).toEqual(['index-of-erased']);
      const history = await sql<{
        subject_id: string;
      }>`select subject_id from campaign_send_events`.execute(handle.db);
      expect(history.rows.map((r) => r.subject_id)).toEqual([live]);
    } finally {
      await handle.close();
    }
  });
});
