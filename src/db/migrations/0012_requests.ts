/**
 * Data subjects' requests (src/modules/requests). `requests` holds what a request is and where it
 * stands, with no personal data in the clear: the person's contact details, the free-text details,
 * the changes asked for and every reason given (refusal, extension, cancellation, compelling
 * grounds) are sealed in `sealed` under a key of the request's own, kept in the key store under
 * the request's id, so that destroying that key erases the request's data in every copy. The
 * e-mail address and phone number are also kept as blind indexes (as `subjects` keeps them), to
 * match the request to a person. The identity proof records its kind and the type of document
 * checked, never its number. `request_events` is each request's history (non-personal data only);
 * `request_recipients` records when and how each recipient of the person's data was told of a
 * rectification, erasure or restriction (Art. 19). Values checked here mirror REQUEST_TYPES,
 * REQUEST_CHANNELS and IDENTITY_PROOFS of the definition's schema.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table requests (
      id uuid primary key,
      type text not null check (type in ('access', 'rectification', 'erasure', 'restriction',
        'restriction_lift', 'portability', 'objection', 'consent_withdrawal',
        'marketing_prohibition')),
      state text not null check (state in ('received', 'identity_pending', 'in_progress',
        'completed', 'refused', 'cancelled')),
      extended boolean not null default false,
      channel text not null check (channel in ('portal', 'email', 'postal', 'in_person', 'phone')),
      lang text not null check (lang in ('sv', 'fi', 'en')),
      subject_id uuid,
      email_index bigint,
      phone_index bigint,
      sealed bytea not null,
      received_at timestamptz not null,
      identity_proven_at timestamptz,
      due_on date,
      original_due_on date,
      closed_at timestamptz,
      identity_proof text check (identity_proof in ('email_link', 'signed_letter', 'photo_id',
        'strong_eid')),
      identity_document text check (identity_document in ('passport', 'id_card',
        'driving_licence', 'residence_permit', 'other')),
      identity_checked_by text,
      download_until timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      check ((identity_proven_at is null) = (due_on is null)),
      check ((state in ('completed', 'refused', 'cancelled')) = (closed_at is not null))
    )`.execute(db);
  await sql`create index requests_open on requests (due_on, received_at) where closed_at is null`.execute(
    db,
  );
  await sql`create index requests_subject on requests (subject_id) where subject_id is not null`.execute(
    db,
  );
  await sql`create index requests_email on requests (email_index) where email_index is not null`.execute(
    db,
  );
  await sql`create index requests_phone on requests (phone_index) where phone_index is not null`.execute(
    db,
  );
  await sql`
    create table request_events (
      request_id uuid not null references requests (id) on delete cascade,
      seq integer not null,
      at timestamptz not null,
      step text not null,
      actor text not null,
      data jsonb not null default '{}',
      primary key (request_id, seq)
    )`.execute(db);
  await sql`
    create table request_recipients (
      request_id uuid not null references requests (id) on delete cascade,
      recipient_id text not null,
      told_at timestamptz not null,
      how text not null check (how in ('email', 'letter', 'api', 'phone', 'other')),
      recorded_by text not null,
      recorded_at timestamptz not null default now(),
      primary key (request_id, recipient_id)
    )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists request_recipients`.execute(db);
  await sql`drop table if exists request_events`.execute(db);
  await sql`drop table if exists requests`.execute(db);
}
