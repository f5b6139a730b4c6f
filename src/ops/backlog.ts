/**
 * How far the access log's sealer is behind: entries written after the last one chained, and the
 * age of the oldest of them. Both come from indexes (the chain's event_id, the events' id), so a
 * probe or a scrape stays cheap on a large log. An entry chained out of id order is not counted.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/types.ts';

export interface SealerBacklog {
  /** Entries after the last chained one. */
  entries: number;
  /** Seconds since the oldest of them was written; 0 when none. */
  lagSeconds: number;
}

export async function sealerBacklog(db: Kysely<Database>): Promise<SealerBacklog> {
  const r = await sql<{ n: number; lag: number | string | null }>`
    select count(*)::int as n,
           extract(epoch from now() - min(e.at))::float8 as lag
      from audit_events e
     where e.id > (select coalesce(max(c.event_id), 0) from audit_chain c)`.execute(db);
  const row = r.rows[0];
  return { entries: row?.n ?? 0, lagSeconds: Math.max(0, Number(row?.lag ?? 0)) };
}

export interface QueueDepths {
  /** Jobs by state: queued (waiting or retrying), running, failed (given up). */
  jobs: Record<'queued' | 'running' | 'failed', number>;
  /** Mails waiting in the outbox. */
  outbox: number;
}

/** How much background work waits: one query, counts only (no payload is read). */
export async function queueDepths(db: Kysely<Database>): Promise<QueueDepths> {
  const r = await sql<{ queued: number; running: number; failed: number; outbox: number }>`
    select count(*) filter (where state = 'queued')::int as queued,
           count(*) filter (where state = 'running')::int as running,
           count(*) filter (where state = 'failed')::int as failed,
           (select count(*)::int from outbox) as outbox
      from jobs`.execute(db);
  const row = r.rows[0];
  return {
    jobs: { queued: row?.queued ?? 0, running: row?.running ?? 0, failed: row?.failed ?? 0 },
    outbox: row?.outbox ?? 0,
  };
}
