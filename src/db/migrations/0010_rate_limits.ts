/**
 * Request rate limits (src/http/rate-limit), kept in the database so that server instances
 * sharing it share the counts. A row is one counter: what is counted (a limit's name and the
 * address or account it counts) is stored only as an HMAC under a key from the master key, never
 * as the address itself; a row whose window has passed is dead and is removed by a scheduled job.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table rate_limits (
      key_hash bytea primary key,
      hits integer not null check (hits >= 1),
      resets_at timestamptz not null
    )`.execute(db);
  await sql`create index rate_limits_resets on rate_limits (resets_at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists rate_limits`.execute(db);
}
