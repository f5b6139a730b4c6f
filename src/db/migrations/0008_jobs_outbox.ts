/**
 * Background work and outgoing mail. `jobs` is the queue of the jobs runner (src/jobs): a job is
 * claimed with FOR UPDATE SKIP LOCKED, holds a lease (`locked_until`) that its runner extends while
 * it works, and is claimed again once the lease runs out (a runner killed mid-job). Payloads hold
 * ids, never personal data. `job_schedules` remembers the last slot each scheduled job ran in, so
 * that of several instances only one runs it per slot. `outbox` holds mail waiting for delivery:
 * the recipient and the template's data are sealed; a row is removed once delivered.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table jobs (
      id bigint generated always as identity primary key,
      name text not null,
      payload jsonb not null,
      state text not null default 'queued' check (state in ('queued', 'running', 'failed')),
      attempts integer not null default 0,
      max_attempts integer not null check (max_attempts >= 1),
      run_at timestamptz not null default now(),
      locked_until timestamptz,
      locked_by text,
      last_error text,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index jobs_due on jobs (run_at, id) where state <> 'failed'`.execute(db);
  await sql`
    create table job_schedules (
      name text primary key,
      last_slot bigint not null,
      ran_at timestamptz not null default now()
    )`.execute(db);
  await sql`
    create table outbox (
      id uuid primary key,
      template text not null,
      locale text not null,
      sealed bytea not null,
      queued boolean not null default false,
      created_at timestamptz not null default now()
    )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists outbox`.execute(db);
  await sql`drop table if exists job_schedules`.execute(db);
  await sql`drop table if exists jobs`.execute(db);
}
