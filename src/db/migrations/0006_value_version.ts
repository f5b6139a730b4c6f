/**
 * A version counter on each sealed category row, bound into the row's associated data together with
 * its provenance, so that an older ciphertext copied over a newer one no longer opens. Sealed
 * values are now format 2; a database holding anything sealed by the pre-release format 1 is
 * refused here, before anything is changed (no release ever wrote one: see docs/sealing.md).
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  const found = await sql<{ n: number }>`
    select ((select count(*) from subject_values where get_byte(sealed, 0) = 1)
          + (select count(*) from subject_history where get_byte(sealed_change, 0) = 1)
          + (select count(*) from staff where totp_secret is not null and get_byte(totp_secret, 0) = 1))::int as n`.execute(
    db,
  );
  if ((found.rows[0]?.n ?? 0) > 0) {
    throw new Error(
      'this database holds values sealed in format 1 by a pre-release of Rekisteri, which this version does not read: ' +
        'start with an empty database (move the data directory aside, or drop and create the PostgreSQL database) ' +
        'and import the people again; see "Format versions" in docs/sealing.md',
    );
  }
  await sql`alter table subject_values add column version integer not null default 1`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table subject_values drop column version`.execute(db);
}
