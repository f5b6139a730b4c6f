/** Staff accounts and their sessions. */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table staff (
      id uuid primary key,
      username text not null,
      display_name text not null,
      role text not null,
      password_hash text not null,
      totp_secret bytea,
      totp_enabled boolean not null default false,
      totp_last_step bigint not null default 0,
      recovery_codes text[] not null default '{}',
      failed_logins int not null default 0,
      locked_until timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      disabled_at timestamptz
    )`.execute(db);
  await sql`create unique index staff_username on staff (lower(username))`.execute(db);

  await sql`
    create table staff_sessions (
      id_hash bytea primary key,
      staff_id uuid not null references staff (id) on delete cascade,
      csrf_token text not null,
      mfa_passed boolean not null,
      created_at timestamptz not null,
      last_seen_at timestamptz not null,
      expires_at timestamptz not null
    )`.execute(db);
  await sql`create index staff_sessions_staff on staff_sessions (staff_id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists staff_sessions`.execute(db);
  await sql`drop table if exists staff`.execute(db);
}
