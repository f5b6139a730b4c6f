/**
 * The key store's own schema, in a database of its own (never the data database): person keys,
 * the erasure journal, and a few settings. Migrations here follow the same rules as the data
 * database's: numbered, hand-written, importing no application code.
 */
import { sql, type ColumnType, type Generated, type Kysely, type Migration } from 'kysely';

const m0001: Migration = {
  async up(db: Kysely<any>) {
    await sql`
      create table person_keys (
        subject_id uuid primary key,
        wrapped bytea not null,
        -- the key check of the master key that wrapped it: rotation re-wraps row by row
        wrapped_by text not null,
        created_at timestamptz not null default now()
      )`.execute(db);
    // No personal data: the person's id, when, and a reason code.
    await sql`
      create table erasures (
        seq bigint generated always as identity primary key,
        subject_id uuid not null unique,
        erased_at timestamptz not null,
        reason text not null,
        recorded_at timestamptz not null default now()
      )`.execute(db);
    await sql`
      create table keystore_settings (
        key text primary key,
        value text not null
      )`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`drop table if exists keystore_settings`.execute(db);
    await sql`drop table if exists erasures`.execute(db);
    await sql`drop table if exists person_keys`.execute(db);
  },
};

export const keystoreMigrations: Record<string, Migration> = { '0001_keys': m0001 };

/** Kysely's types of the key store's tables. */
export interface KeyStoreDatabase {
  person_keys: {
    subject_id: string;
    wrapped: ColumnType<Buffer, Buffer | Uint8Array, Buffer | Uint8Array>;
    wrapped_by: string;
    created_at: Generated<Date>;
  };
  erasures: {
    seq: Generated<string>;
    subject_id: string;
    erased_at: ColumnType<Date, Date | string, never>;
    reason: string;
    recorded_at: Generated<Date>;
  };
  keystore_settings: { key: string; value: string };
}
