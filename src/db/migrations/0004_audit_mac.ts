/**
 * Each access-log event carries a MAC computed by the application when it is written: 16 bytes of
 * nonce (6 of time, 10 random) followed by HMAC-SHA256 under a key derived from the master key,
 * over the nonce and the event's fields. The database never holds that key, so an event inserted
 * or changed by SQL cannot carry a MAC that fits, and the sealer refuses to chain it. Events
 * written before this migration have no MAC and count as unauthenticated.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table audit_events add column mac bytea`.execute(db);
  // Unique: a copy of a genuine event (same nonce, same MAC) is refused; should the index be
  // dropped, the sealer still names the copy as forged.
  await sql`create unique index audit_events_mac on audit_events (mac)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists audit_events_mac`.execute(db);
  await sql`alter table audit_events drop column if exists mac`.execute(db);
}
