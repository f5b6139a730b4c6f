/**
 * The portal's single-use links for data subjects' requests (src/modules/requests/tokens.repo.ts).
 * A link carries a token of 32 random bytes (base64url) in its URL fragment; only the token's
 * SHA-256 is kept here, so a copy of this table opens no link. `kind` is what the link does:
 * `verify` proves that the person holds the address a portal request was made from (valid 24 h),
 * `download` fetches a completed access copy (valid 30 min). `used_at` is set once, when the link
 * is used; a used or expired token is refused like one never issued. Tokens go with their request.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table request_tokens (
      token_hash bytea primary key,
      request_id uuid not null references requests (id) on delete cascade,
      kind text not null check (kind in ('verify', 'download')),
      created_at timestamptz not null,
      expires_at timestamptz not null,
      used_at timestamptz,
      check (octet_length(token_hash) = 32),
      check (expires_at > created_at)
    )`.execute(db);
  await sql`create index request_tokens_request on request_tokens (request_id)`.execute(db);
  await sql`create index request_tokens_expiry on request_tokens (expires_at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists request_tokens`.execute(db);
}
