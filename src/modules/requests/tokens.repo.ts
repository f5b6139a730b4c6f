/**
 * The SQL of the portal's single-use links (table `request_tokens`, migration 0013). The executor
 * (database or transaction) is the first parameter. Tokens are found by their SHA-256 only.
 */
import type { Executor } from '../../db/transaction.ts';

export type TokenKind = 'verify' | 'download';

export const tokensRepo = {
  insert: (
    ex: Executor,
    row: {
      tokenHash: Buffer;
      requestId: string;
      kind: TokenKind;
      createdAt: Date;
      expiresAt: Date;
    },
  ) =>
    ex
      .insertInto('request_tokens')
      .values({
        token_hash: row.tokenHash,
        request_id: row.requestId,
        kind: row.kind,
        created_at: row.createdAt,
        expires_at: row.expiresAt,
      })
      .execute(),

  /** The request of a live token of this kind (unused, unexpired), without using it. */
  async find(
    ex: Executor,
    tokenHash: Buffer,
    kind: TokenKind,
    now: Date,
  ): Promise<{ requestId: string } | undefined> {
    const row = await ex
      .selectFrom('request_tokens')
      .select('request_id')
      .where('token_hash', '=', tokenHash)
      .where('kind', '=', kind)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return row ? { requestId: row.request_id } : undefined;
  },

  /**
   * Uses the token of this kind with this hash, once: marks it used and answers its request, or
   * undefined when there is none, it is of another kind, was used already or has expired. One
   * statement, so two uses at once cannot both succeed.
   */
  async use(
    ex: Executor,
    tokenHash: Buffer,
    kind: TokenKind,
    now: Date,
  ): Promise<{ requestId: string } | undefined> {
    const row = await ex
      .updateTable('request_tokens')
      .set({ used_at: now })
      .where('token_hash', '=', tokenHash)
      .where('kind', '=', kind)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .returning('request_id')
      .executeTakeFirst();
    return row ? { requestId: row.request_id } : undefined;
  },

  /** Ends every unused link of this kind for a request (a fresh one replaces them). */
  async revoke(ex: Executor, requestId: string, kind: TokenKind, now: Date): Promise<number> {
    const r = await ex
      .updateTable('request_tokens')
      .set({ used_at: now })
      .where('request_id', '=', requestId)
      .where('kind', '=', kind)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  },

  /** Removes tokens that expired before `before`; answers how many. */
  async removeExpired(ex: Executor, before: Date): Promise<number> {
    const r = await ex
      .deleteFrom('request_tokens')
      .where('expires_at', '<=', before)
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  },

  /**
   * Portal requests still waiting for their identity whose every verification link expired
   * before `before` (or that have none left): the ones nobody will verify now.
   */
  async unverifiedPortalRequests(ex: Executor, before: Date, limit = 1000): Promise<string[]> {
    const rows = await ex
      .selectFrom('requests')
      .select('requests.id')
      .where('requests.channel', '=', 'portal')
      .where('requests.state', '=', 'identity_pending')
      .where('requests.received_at', '<=', before)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('request_tokens')
              .select('request_tokens.request_id')
              .whereRef('request_tokens.request_id', '=', 'requests.id')
              .where('request_tokens.kind', '=', 'verify')
              .where('request_tokens.expires_at', '>', before),
          ),
        ),
      )
      .orderBy('requests.id')
      .limit(limit)
      .execute();
    return rows.map((r) => r.id);
  },

  /**
   * Deletes these requests if they are still unverified portal requests (their tokens, history
   * and recipients go with them); answers the ids deleted.
   */
  async removeUnverified(ex: Executor, ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) {
      return [];
    }
    const rows = await ex
      .deleteFrom('requests')
      .where('id', 'in', ids)
      .where('channel', '=', 'portal')
      .where('state', '=', 'identity_pending')
      .returning('id')
      .execute();
    return rows.map((r) => r.id);
  },
};
