/**
 * Declaring background work. A queued job has a name, a zod schema of its payload (ids, never
 * personal data: the payload is stored in the clear and shown to operators) and a handler; a
 * scheduled job runs every so many seconds, once per slot across all instances sharing the
 * database (or on each instance, for work on the instance's own files).
 */
import type { z } from 'zod';

export interface JobLogger {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

export interface JobContext {
  /** Which attempt this is, from 1. */
  attempt: number;
  log: JobLogger;
}

export interface RetryPolicy {
  /** Attempts after the first one; the job is marked failed when the last one fails. */
  limit: number;
  /** Milliseconds before the first retry; each further retry waits twice as long. */
  backoffMs: number;
}

export interface JobDefinition<P = unknown> {
  readonly kind: 'queued';
  readonly name: string;
  readonly payload: z.ZodType<P>;
  /** A method, so that a list of jobs of different payloads can be held as `JobDefinition[]`. */
  handler(payload: P, ctx: JobContext): void | Promise<void>;
  readonly retry: RetryPolicy;
}

export interface ScheduleContext {
  /** The slot this run is for: whole intervals since the Unix epoch. */
  slot: number;
  log: JobLogger;
}

export interface ScheduledJob {
  readonly kind: 'scheduled';
  readonly name: string;
  /** Seconds between runs (a slot is one such interval). */
  readonly everySeconds: number;
  /**
   * `cluster` (default): once per slot among every instance on the database. `instance`: on every
   * instance, for work on its own files.
   */
  readonly scope: 'cluster' | 'instance';
  readonly handler: (ctx: ScheduleContext) => void | Promise<void>;
  /** What a failure is called in the log (logged once, and again when it works). */
  readonly describe: string;
}

export const DEFAULT_RETRY: RetryPolicy = { limit: 5, backoffMs: 5000 };

const NAME = /^[a-z][a-z0-9]*(\.[a-z][a-z0-9-]*)*$/;

function checkName(name: string): void {
  if (!NAME.test(name)) {
    throw new Error(
      `a job's name must be lower-case words joined by dots, like "mail.deliver" (found ${JSON.stringify(name)})`,
    );
  }
}

export function defineJob<P>(def: {
  name: string;
  payload: z.ZodType<P>;
  handler: (payload: P, ctx: JobContext) => void | Promise<void>;
  retry?: Partial<RetryPolicy>;
}): JobDefinition<P> {
  checkName(def.name);
  const retry = { ...DEFAULT_RETRY, ...def.retry };
  if (!Number.isInteger(retry.limit) || retry.limit < 0 || retry.limit > 100) {
    throw new Error(`job "${def.name}": retry.limit must be a whole number from 0 to 100`);
  }
  if (!(retry.backoffMs >= 0)) {
    throw new Error(`job "${def.name}": retry.backoffMs must be 0 or more`);
  }
  return { kind: 'queued', name: def.name, payload: def.payload, handler: def.handler, retry };
}

export function defineSchedule(def: {
  name: string;
  everySeconds: number;
  scope?: 'cluster' | 'instance';
  describe?: string;
  handler: (ctx: ScheduleContext) => void | Promise<void>;
}): ScheduledJob {
  checkName(def.name);
  if (!Number.isInteger(def.everySeconds) || def.everySeconds < 1) {
    throw new Error(
      `scheduled job "${def.name}": everySeconds must be a whole number of 1 or more`,
    );
  }
  return {
    kind: 'scheduled',
    name: def.name,
    everySeconds: def.everySeconds,
    scope: def.scope ?? 'cluster',
    describe: def.describe ?? def.name,
    handler: def.handler,
  };
}

/**
 * An error as stored and logged: its message only, with anything shaped like an e-mail address
 * replaced (an SMTP server's refusal often quotes the recipient), and short.
 */
export function describeError(err: unknown): string {
  const message = err instanceof Error ? err.message : typeof err === 'string' ? err : 'unknown';
  return message.replace(/[^\s<>"'(),;:]+@[^\s<>"'(),;:]+/g, '[address]').slice(0, 500);
}
