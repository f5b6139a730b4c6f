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
  /**
   * Counts a hit here at once and in the database within `syncMs` (together with the others
   * since): for a generous limit on every request, where a write per request would cost more
   * than the limit is worth. The count is the database's as of the last sync plus this
   * instance's hits since.
   */
  hitSoon(key: string, windowMs: number): { current: number; ttl: number };
  /** Writes the hits `hitSoon` holds (also done by itself every `syncMs`). */
  flush(): Promise<void>;
  /** The count of `key` without counting. */
  read(key: string): Promise<{ current: number; ttl: number }>;
  /** Removes counters whose window has passed (a scheduled job, every minute). */
  prune(): Promise<number>;
  /**
   * While `paused()` holds (storage below REKISTERI_MIN_FREE_SPACE), `hitSoon`'s hits are kept
   * here and not written: a write on a nearly full embedded volume can hang its only session.
   * They are written once it no longer holds.
   */
  pauseWhen(paused: () => boolean): void;
}

/** At most this many keys wait for a sync; past it the oldest are written at once. */
const MAX_PENDING = 10_000;

export function createRateLimitCounter(deps: {
  db: Kysely<Database>;
  vault: Pick<Vault, 'rateLimitHash'>;
  clock: Clock;
  /** How often `hitSoon`'s hits reach the database; 1000 ms unless told. */
  syncMs?: number;
}): RateLimitCounter {
  const { db, vault, clock } = deps;
  const syncMs = deps.syncMs ?? 1000;
  const repo = createRateLimitsRepo();
  /** Per key: the database's count at the last sync, and the hits here since. */
  const soon = new Map<
    string,
    { known: number; resetsAt: number; pending: number; windowMs: number }
  >();
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> = Promise.resolve();
  let paused: () => boolean = () => false;

  const flush = (): Promise<void> => {
    timer = undefined;
    if (paused()) {
      // Counted here meanwhile; tried again in a while.
      timer = setTimeout(() => void flush(), syncMs).unref();
      return flushing;
    }
    const batch = [...soon].filter(([, e]) => e.pending > 0);
    flushing = flushing.then(async () => {
      for (const [key, entry] of batch) {
        const n = entry.pending;
        entry.pending -= n;
        const now = clock.now();
        try {
          const count = await repo.hit(
            db,
            vault.rateLimitHash(key),
            n,
            now,
            new Date(now.getTime() + entry.windowMs),
          );
          entry.known = count.hits;
          entry.resetsAt = count.resetsAt.getTime();
        } catch {
          // The database is away: the hits are counted here only; requests fail on it anyway.
        }
      }
      const now = clock.now().getTime();
      for (const [key, entry] of soon) {
        if (entry.pending === 0 && entry.resetsAt <= now) {
          soon.delete(key);
        }
      }
    });
    return flushing;
  };

  return {
    hitSoon(key, windowMs) {
      const now = clock.now().getTime();
      let entry = soon.get(key);
      if (!entry) {
        if (soon.size >= MAX_PENDING) {
          void flush();
          soon.clear();
        }
        entry = { known: 0, resetsAt: now + windowMs, pending: 0, windowMs };
        soon.set(key, entry);
      } else if (entry.resetsAt <= now) {
        entry.known = 0;
        entry.resetsAt = now + windowMs;
      }
      entry.pending += 1;
      timer ??= setTimeout(() => void flush(), syncMs).unref();
      return { current: entry.known + entry.pending, ttl: entry.resetsAt - now };
    },

    flush: () => (timer ? (clearTimeout(timer), flush()) : flush()),

    pauseWhen(p) {
      paused = p;
    },

    async hit(key, windowMs) {
      const now = clock.now();
      const count = await repo.hit(
        db,
        vault.rateLimitHash(key),
        1,
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

/**
 * The store class `@fastify/rate-limit` builds (it calls `new` itself), over one counter. Keys
 * for which `soon` says so are counted with `hitSoon` (synced within a second), others at once.
 */
export function databaseStore(
  counter: RateLimitCounter,
  soon: (key: string) => boolean = () => false,
): FastifyRateLimitStoreCtor {
  class DatabaseStore implements FastifyRateLimitStore {
    incr(key: string, callback: Callback, timeWindow: number): void {
      if (soon(key)) {
        callback(null, counter.hitSoon(key, timeWindow));
        return;
      }
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
