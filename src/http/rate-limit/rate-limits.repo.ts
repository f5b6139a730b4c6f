/**
 * The counters of the request rate limits: one row per limit and address or account, the key
 * only as an HMAC. SQL only here.
 */
import { sql } from 'kysely';
import type { Executor } from '../../db/transaction.ts';

export interface Count {
  hits: number;
  resetsAt: Date;
}

export function createRateLimitsRepo() {
  return {
    /**
     * Counts `n` hits in one statement (so parallel requests on several instances never lose a
     * hit): a new counter, or one whose window has passed, starts again at `n`.
     */
    async hit(ex: Executor, keyHash: Buffer, n: number, now: Date, resetsAt: Date): Promise<Count> {
      const row = await ex
        .insertInto('rate_limits')
        .values({ key_hash: keyHash, hits: n, resets_at: resetsAt })
        .onConflict((oc) =>
          oc.column('key_hash').doUpdateSet({
            hits: sql<number>`case when rate_limits.resets_at <= ${now} then excluded.hits else rate_limits.hits + excluded.hits end`,
            resets_at: sql<Date>`case when rate_limits.resets_at <= ${now} then excluded.resets_at else rate_limits.resets_at end`,
          }),
        )
        .returning(['hits', 'resets_at'])
        .executeTakeFirstOrThrow();
      return { hits: row.hits, resetsAt: new Date(row.resets_at) };
    },

    /** The counter as it stands, without counting; undefined when none runs. */
    async read(ex: Executor, keyHash: Buffer, now: Date): Promise<Count | undefined> {
      const row = await ex
        .selectFrom('rate_limits')
        .select(['hits', 'resets_at'])
        .where('key_hash', '=', keyHash)
        .where('resets_at', '>', now)
        .executeTakeFirst();
      return row ? { hits: row.hits, resetsAt: new Date(row.resets_at) } : undefined;
    },

    /** Removes the counters whose window has passed; returns how many. */
    async prune(ex: Executor, now: Date): Promise<number> {
      const result = await ex
        .deleteFrom('rate_limits')
        .where('resets_at', '<=', now)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
