/**
 * The jobs runner: one per server process. It claims queued jobs one at a time (polling; no
 * LISTEN, which the embedded database cannot offer across processes), keeps each claimed job's
 * lease alive while its handler runs, and runs scheduled jobs when their slot comes. `stop()`
 * drains: nothing new is claimed or started, and what is running finishes first.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/types.ts';
import { describeError, type JobDefinition, type JobLogger, type ScheduledJob } from './define.ts';
import { claim, extendLease, fail, finish, takeSlot, type ClaimedJob } from './jobs.repo.ts';

export interface RunnerOptions {
  db: Kysely<Database>;
  jobs?: JobDefinition[];
  schedules?: ScheduledJob[];
  logger?: JobLogger;
  /** Milliseconds between looks for due jobs when the queue was empty (default 1000). */
  pollMs?: number;
  /** How long a claimed job is held before another runner may take it (default 60 s). */
  leaseMs?: number;
  /** How often a running job's lease is extended (default a third of the lease). */
  heartbeatMs?: number;
  /** Milliseconds between looks at the schedules (default 250). */
  tickMs?: number;
  /** While true nothing is claimed or started (the storage guard: a volume below its threshold). */
  paused?: () => boolean;
  /** This runner's name in `locked_by` (default a random one). */
  id?: string;
}

export interface Runner {
  readonly id: string;
  start(): void;
  /** Stops claiming and starting; resolves once what was running has finished. */
  stop(): Promise<void>;
  /** Claims and runs due jobs until none is left (tests, and the poll loop). */
  drainQueue(): Promise<number>;
}

const quiet: JobLogger = { info: () => {}, warn: () => {}, error: () => {} };

export function createRunner(opts: RunnerOptions): Runner {
  const id = opts.id ?? `runner-${randomUUID()}`;
  const db = opts.db;
  const log = opts.logger ?? quiet;
  const jobs = new Map((opts.jobs ?? []).map((j) => [j.name, j]));
  const schedules = opts.schedules ?? [];
  const names = [...jobs.keys()];
  const pollMs = opts.pollMs ?? 1000;
  const leaseMs = opts.leaseMs ?? 60_000;
  const heartbeatMs = opts.heartbeatMs ?? Math.max(100, Math.floor(leaseMs / 3));
  const tickMs = opts.tickMs ?? 250;
  const paused = opts.paused ?? (() => false);
  for (const s of schedules) {
    if (jobs.has(s.name)) {
      throw new Error(`"${s.name}" is both a queued and a scheduled job`);
    }
  }

  let stopping = false;
  let started = false;
  let pollTimer: NodeJS.Timeout | undefined;
  let tickTimer: NodeJS.Timeout | undefined;
  let queueWork: Promise<number> | undefined;
  const running = new Map<string, Promise<void>>();
  /** Per scheduled job: the last slot this runner looked at, and whether its last run failed. */
  const lastSlot = new Map<string, number>();
  const failing = new Set<string>();

  async function runOne(job: ClaimedJob): Promise<void> {
    const def = jobs.get(job.name);
    if (!def) {
      return;
    }
    if (job.attempts > job.max_attempts) {
      // Its runner stopped (killed, or lost its lease) during the last attempt.
      await fail(db, job, id, 'its runner stopped during the last attempt', 0);
      log.error({ job: job.name, id: job.id }, 'a job failed for good');
      return;
    }
    const heartbeat = setInterval(() => {
      extendLease(db, job.id, id, leaseMs).catch(() => undefined);
    }, heartbeatMs);
    heartbeat.unref();
    try {
      const payload = def.payload.parse(job.payload);
      await def.handler(payload, { attempt: job.attempts, log });
      clearInterval(heartbeat);
      await finish(db, job.id, id);
    } catch (err) {
      clearInterval(heartbeat);
      const error = describeError(err);
      const outcome = await fail(db, job, id, error, def.retry.backoffMs);
      if (outcome === 'failed') {
        log.error(
          { job: job.name, id: job.id, attempts: job.attempts, err: { message: error } },
          'a job failed for good',
        );
      } else {
        log.warn(
          { job: job.name, id: job.id, attempt: job.attempts, err: { message: error } },
          'a job failed; it will be retried',
        );
      }
    }
  }

  async function drainQueue(): Promise<number> {
    let n = 0;
    while (!stopping && !paused()) {
      const job = await claim(db, names, id, leaseMs);
      if (!job) {
        break;
      }
      await runOne(job);
      n++;
    }
    return n;
  }

  let claimFailing = false;

  function poll(): void {
    if (stopping) {
      return;
    }
    queueWork = drainQueue()
      .then((n) => {
        if (claimFailing) {
          claimFailing = false;
          log.info({}, 'the jobs runner claims jobs again');
        }
        return n;
      })
      .catch((err: unknown) => {
        // Once when it starts failing (a database outage), not at every poll.
        if (!stopping && !claimFailing) {
          claimFailing = true;
          log.error(
            { err: { message: describeError(err) } },
            'the jobs runner could not claim a job (retrying; logged again when it works)',
          );
        }
        return 0;
      })
      .finally(() => {
        queueWork = undefined;
        if (!stopping) {
          pollTimer = setTimeout(poll, pollMs);
          pollTimer.unref();
        }
      });
  }

  async function runScheduled(s: ScheduledJob, localSlot: number): Promise<void> {
    try {
      let slot = localSlot;
      if (s.scope === 'cluster') {
        const taken = await takeSlot(db, s.name, s.everySeconds);
        if (taken === undefined) {
          return;
        }
        slot = taken;
      }
      await s.handler({ slot, log });
      if (failing.delete(s.name)) {
        log.info({ job: s.name }, `${s.describe} works again`);
      }
    } catch (err) {
      // Once when it starts failing, not at every slot of an outage.
      if (!stopping && !failing.has(s.name)) {
        failing.add(s.name);
        log.error(
          { job: s.name, err: { message: describeError(err) } },
          `${s.describe} failed (retrying every ${s.everySeconds} s; logged again when it works)`,
        );
      }
    }
  }

  function tick(): void {
    if (stopping || paused()) {
      return;
    }
    const now = Date.now() / 1000;
    for (const s of schedules) {
      const slot = Math.floor(now / s.everySeconds);
      if (lastSlot.get(s.name) === slot || running.has(s.name)) {
        continue;
      }
      lastSlot.set(s.name, slot);
      const work = runScheduled(s, slot).finally(() => running.delete(s.name));
      running.set(s.name, work);
    }
  }

  return {
    id,
    start() {
      if (started) {
        return;
      }
      started = true;
      if (names.length > 0) {
        poll();
      }
      if (schedules.length > 0) {
        tick();
        tickTimer = setInterval(tick, tickMs);
        tickTimer.unref();
      }
    },
    async stop() {
      stopping = true;
      clearTimeout(pollTimer);
      clearInterval(tickTimer);
      await queueWork;
      await Promise.all([...running.values()]);
    },
    drainQueue,
  };
}
