/**
 * The queue's SQL: enqueue, claim (FOR UPDATE SKIP LOCKED, so two runners never take one job),
 * extend a lease, finish, fail with backoff. Times come from the database's clock, which every
 * instance shares.
 */
import { sql } from 'kysely';
import type { Executor } from '../db/transaction.ts';
import { AppError } from '../lib/errors.ts';
import type { JobDefinition } from './define.ts';

export type { Executor };

export interface ClaimedJob {
  id: string;
  name: string;
  payload: unknown;
  attempts: number;
  max_attempts: number;
}

/** The path of the first string in a payload that holds something shaped like an e-mail address. */
function findAddress(value: unknown, path: string[]): string | undefined {
  if (typeof value === 'string') {
    return /[^\s@]+@[^\s@]+\.[^\s@]+/.test(value) ? path.join('.') || '(payload)' : undefined;
  }
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const found = findAddress(v, [...path, k]);
      if (found !== undefined) {
        return found;
      }
    }
  }
  return undefined;
}

/**
 * Queues a job. The payload is checked against the job's schema first: a bad one is refused
 * naming the field, and nothing is queued. `db` may be a transaction: the job is then queued only
 * if it commits.
 */
export async function enqueue<P>(
  db: Executor,
  job: JobDefinition<P>,
  payload: P,
  opts: { delayMs?: number } = {},
): Promise<string> {
  const parsed = job.payload.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue && issue.path.length > 0 ? issue.path.join('.') : '(payload)';
    throw new AppError(
      'validation_failed',
      `job "${job.name}": payload field "${field}": ${issue?.message ?? 'invalid'}`,
      parsed.error.issues.map((i) => ({
        field: i.path.length > 0 ? i.path.join('.') : '(payload)',
        detail: i.message,
      })),
    );
  }
  const address = findAddress(parsed.data, []);
  if (address !== undefined) {
    throw new AppError(
      'validation_failed',
      `job "${job.name}": payload field "${address}" holds an e-mail address: payloads are stored in the clear and hold ids, never personal data`,
      [{ field: address, detail: 'holds an e-mail address' }],
    );
  }
  const row = await db
    .insertInto('jobs')
    .values({
      name: job.name,
      payload: JSON.stringify(parsed.data),
      max_attempts: job.retry.limit + 1,
      run_at: sql<Date>`now() + ${String(opts.delayMs ?? 0)}::double precision * interval '1 millisecond'`,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return String(row.id);
}

/** Takes one due job of these names (or one whose runner's lease ran out), or none. */
export async function claim(
  db: Executor,
  names: string[],
  runner: string,
  leaseMs: number,
): Promise<ClaimedJob | undefined> {
  if (names.length === 0) {
    return undefined;
  }
  const result = await sql<ClaimedJob>`
    update jobs set state = 'running', attempts = attempts + 1, locked_by = ${runner},
           locked_until = now() + ${String(leaseMs)}::double precision * interval '1 millisecond'
     where id = (
       select id from jobs
        where name in (${sql.join(names)})
          and ((state = 'queued' and run_at <= now())
            or (state = 'running' and locked_until < now()))
        order by run_at, id
        limit 1
        for update skip locked)
    returning id, name, payload, attempts, max_attempts`.execute(db);
  const row = result.rows[0];
  return row ? { ...row, id: String(row.id) } : undefined;
}

/** Extends a running job's lease; false when this runner no longer holds it. */
export async function extendLease(
  db: Executor,
  id: string,
  runner: string,
  leaseMs: number,
): Promise<boolean> {
  const r = await sql`
    update jobs set locked_until = now() + ${String(leaseMs)}::double precision * interval '1 millisecond'
     where id = ${id} and locked_by = ${runner} and state = 'running'`.execute(db);
  return Number(r.numAffectedRows ?? 0) > 0;
}

/** A job done is removed. */
export async function finish(db: Executor, id: string, runner: string): Promise<void> {
  await db.deleteFrom('jobs').where('id', '=', id).where('locked_by', '=', runner).execute();
}

/**
 * A failed attempt: queued again after `backoffMs · 2^(attempt-1)`, or marked failed with its
 * error when it was the last.
 */
export async function fail(
  db: Executor,
  job: ClaimedJob,
  runner: string,
  error: string,
  backoffMs: number,
): Promise<'retry' | 'failed'> {
  if (job.attempts >= job.max_attempts) {
    await db
      .updateTable('jobs')
      .set({ state: 'failed', locked_until: null, locked_by: null, last_error: error })
      .where('id', '=', job.id)
      .where('locked_by', '=', runner)
      .execute();
    return 'failed';
  }
  const wait = backoffMs * 2 ** (job.attempts - 1);
  await db
    .updateTable('jobs')
    .set({
      state: 'queued',
      locked_until: null,
      locked_by: null,
      last_error: error,
      run_at: sql<Date>`now() + ${String(wait)}::double precision * interval '1 millisecond'`,
    })
    .where('id', '=', job.id)
    .where('locked_by', '=', runner)
    .execute();
  return 'retry';
}

/**
 * Takes a scheduled job's slot: true for exactly one caller per (name, slot) among every instance.
 */
export async function takeSlot(
  db: Executor,
  name: string,
  everySeconds: number,
): Promise<number | undefined> {
  // The slot comes from the database's clock, which every instance shares: a host whose own clock
  // runs ahead (a wrong hardware clock at boot, corrected by NTP later) would otherwise record a
  // slot in the future, and every instance would skip the schedule until real time caught up. A
  // slot recorded in the future all the same (the database's clock stepped back) is taken over.
  const r = await sql<{ slot: string }>`
    with now as (
      select floor(extract(epoch from clock_timestamp()) / ${everySeconds})::bigint as slot
    )
    insert into job_schedules (name, last_slot, ran_at)
    select ${name}, now.slot, clock_timestamp() from now
    on conflict (name) do update set last_slot = excluded.last_slot, ran_at = excluded.ran_at
     where job_schedules.last_slot < excluded.last_slot
        or job_schedules.ran_at > clock_timestamp() + interval '1 second'
    returning last_slot::text as slot`.execute(db);
  const slot = r.rows[0]?.slot;
  return slot === undefined ? undefined : Number(slot);
}
