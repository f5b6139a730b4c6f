/**
 * The core schema. Every table that holds anything about a person carries `subject_id` in its
 * primary key, so a distributed PostgreSQL (Citus) can shard by it and co-locate each person's
 * rows. Personal values are stored only sealed (bytea); lookups go through blind indexes.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table settings (
      key text primary key,
      value text not null
    )`.execute(db);

  await sql`
    create table subjects (
      id uuid primary key,
      wrapped_key bytea,
      email_index bigint,
      phone_index bigint,
      blind_index bigint[] not null default '{}',
      restricted_at timestamptz,
      restriction_reason text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      erased_at timestamptz
    )`.execute(db);
  // The primary e-mail address identifies a person: one subject per address.
  await sql`create unique index subjects_email_index on subjects (email_index)`.execute(db);
  await sql`create index subjects_phone_index on subjects (phone_index)`.execute(db);
  // Name and organisation words and their prefixes.
  await sql`create index subjects_blind_index on subjects using gin (blind_index)`.execute(db);

  await sql`
    create table subject_values (
      subject_id uuid not null references subjects (id) on delete cascade,
      category text not null,
      sealed bytea not null,
      -- where the values came from: the row's default, and per field only where a later change differs
      source text not null,
      purpose text not null,
      collected_at timestamptz not null,
      field_meta jsonb,
      updated_at timestamptz not null default now(),
      primary key (subject_id, category)
    )`.execute(db);

  await sql`
    create table subject_history (
      subject_id uuid not null references subjects (id) on delete cascade,
      id bigint generated always as identity,
      category text not null,
      field text not null,
      sealed_change bytea not null,
      purpose text not null,
      source text not null,
      actor text not null,
      changed_at timestamptz not null default now(),
      primary key (subject_id, id)
    )`.execute(db);

  await sql`
    create table api_keys (
      id uuid primary key,
      name text not null,
      secret_hash bytea not null,
      purposes text[] not null,
      actions text[] not null,
      created_at timestamptz not null default now(),
      created_by text not null,
      last_used_at timestamptz,
      revoked_at timestamptz
    )`.execute(db);

  await sql`
    create table import_runs (
      id text primary key,
      file_name text not null,
      started_at timestamptz not null default now(),
      finished_at timestamptz,
      lines_committed bigint not null default 0,
      created bigint not null default 0,
      merged bigint not null default 0,
      skipped bigint not null default 0,
      rejected bigint not null default 0
    )`.execute(db);

  await sql`
    create table import_rejections (
      run_id text not null references import_runs (id) on delete cascade,
      line bigint not null,
      reason text not null,
      primary key (run_id, line)
    )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of [
    'import_rejections',
    'import_runs',
    'api_keys',
    'subject_history',
    'subject_values',
    'subjects',
    'settings',
  ]) {
    await sql`drop table if exists ${sql.table(t)}`.execute(db);
  }
}
