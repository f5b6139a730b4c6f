/**
 * The preference page's and the double opt-in's single-use links, and the short person sessions
 * a used preference link opens (docs/permissions.md, "The portal"). Like the requests' tokens,
 * only a token's SHA-256 is stored. `data` holds what a sign-up asked for (kinds, channels, the
 * wording shown), never an address. The rows go with the person (erasure deletes them).
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table permission_links (
      token_hash bytea primary key,
      kind text not null check (kind in ('manage', 'confirm', 'session')),
      subject_id uuid not null references subjects (id) on delete cascade,
      data jsonb,
      created_at timestamptz not null,
      expires_at timestamptz not null,
      used_at timestamptz
    )`.execute(db);
  await sql`create index permission_links_subject on permission_links (subject_id)`.execute(db);
  await sql`create index permission_links_expiry on permission_links (expires_at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table permission_links`.execute(db);
}
