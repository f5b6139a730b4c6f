/**
 * The rate limits' counters in the database, as a store for `@fastify/rate-limit`: server
 * instances that share a database share the counts (on the embedded database, the one process
 * counts alone). What is counted is stored as an HMAC-SHA256 under a key derived from the master
 * key: an address is personal data and never reaches the table.
 */
import type { Kysely } from 'kysely';
import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { Database } from '../../db/types.ts';
import type { Clock } from '../../lib/clock.ts';
import type { Vault } from '../../vault/vault.ts';
import { createRateLimitsRepo } from './rate-limits.repo.ts';

type Callback = (error: Error | null, result?: { current: number; ttl: number }) => void;

export interface RateLimitCounter {
  /** Counts a hit on `key` in a window of `windowMs`: the hits so far and the ms left. */
  hit(key: string, windowMs: number): Promise<{ current: number; ttl: number }>;
  /** The count of `key` without counting. */
  read(key: string): Promise<{ current: number; ttl: number }>;
  /** Removes counters whose window has passed (a scheduled job, every minute). */
  prune(): Promise<number>;
}

export function createRateLimitCounter(deps: {
  db: Kysely<Database>;
  vault: Pick<Vault, 'rateLimitHash'>;
  clock: Clock;
}): RateLimitCounter {
  const { db, vault, clock } = deps;
  const repo = createRateLimitsRepo();
  return {
    async hit(key, windowMs) {
      const now = clock.now();
      const count = await repo.hit(
        db,
        vault.rateLimitHash(key),
        now,
        new Date(now.getTime() + windowMs),
      );
      return {
        current: count.hits,
        ttl: Math.max(0, count.resetsAt.getTime() - now.getTime()),
      };
    },
    async read(key) {
      const now = clock.now();
      const count = await repo.read(db, vault.rateLimitHash(key), now);
      return count
        ? { current: count.hits, ttl: count.resetsAt.getTime() - now.getTime() }
        : { current: 0, ttl: 0 };
    },
    prune: () => repo.prune(db, clock.now()),
  };
}

/** The store class `@fastify/rate-limit` builds (it calls `new` itself), over one counter. */
export function databaseStore(counter: RateLimitCounter): FastifyRateLimitStoreCtor {
  class DatabaseStore implements FastifyRateLimitStore {
    incr(key: string, callback: Callback, timeWindow: number): void {
      counter.hit(key, timeWindow).then(
        (result) => callback(null, result),
        (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
      );
    }

    read(key: string, callback: Callback): void {
      counter.read(key).then(
        (result) => callback(null, result),
        (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
      );
    }

    /** Every route's limit counts in the one table: each key begins with its limit's name. */
    child(): FastifyRateLimitStore {
      return new DatabaseStore();
    }
  }
  return DatabaseStore;
}
