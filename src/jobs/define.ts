/**
 * Declaring background work. A queued job has a name, a zod schema of its payload (ids, never
 * personal data: the payload is stored in the clear and shown to operators) and a handler; a
 * scheduled job runs every so many seconds, once per slot across all instances sharing the
 * database (or on each instance, for work on the instance's own files).
 */
import type { z } from 'zod';
import { AppError } from '../lib/errors.ts';

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
 * An error whose message was written by our own code and holds no personal data: a job's handler
 * throws it to say why it failed in words (`describeError` keeps the message, as it does an
 * AppError's). Anything else is described by its class and codes only.
 */
export class JobError extends Error {
  override name = 'JobError';
  constructor(
    /** A short code of lower-case words, like `unknown_template`. */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const WORD = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** SMTP commands a failure may be reported at, as nodemailer names them. */
const SMTP_COMMANDS = new Set([
  'CONN',
  'EHLO',
  'HELO',
  'STARTTLS',
  'AUTH',
  'MAIL FROM',
  'RCPT TO',
  'DATA',
  'API',
]);

/**
 * An error as stored (`jobs.last_error`) and logged: classified, never its free text. A failure's
 * message quotes whatever it was given (an SMTP server's refusal quotes the recipient; a handler's
 * error may hold a name, an address or a phone number), and no pattern finds all personal data,
 * so only these are kept: the error's class, its `code` (`EAUTH`, `ECONNREFUSED`…), the SMTP
 * response code, the SMTP command it failed at, the errno and system call. The message is kept
 * only for our own errors: an AppError (`AppError not_found: …`) or a JobError.
 */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) {
    return typeof err === 'string' ? 'a thrown string' : `a thrown ${typeof err}`;
  }
  const e = err as Error & {
    code?: unknown;
    responseCode?: unknown;
    command?: unknown;
    errno?: unknown;
    syscall?: unknown;
  };
  if (err instanceof AppError || err instanceof JobError) {
    const code = typeof e.code === 'string' && WORD.test(e.code) ? ` ${e.code}` : '';
    return `${e.name}${code}: ${e.message}`.slice(0, 500);
  }
  const name = WORD.test(e.name) ? e.name : 'Error';
  const parts: string[] = [];
  if (typeof e.code === 'string' && WORD.test(e.code)) {
    parts.push(`code ${e.code}`);
  }
  if (typeof e.responseCode === 'number' && Number.isInteger(e.responseCode)) {
    parts.push(`SMTP ${e.responseCode}`);
  }
  if (typeof e.command === 'string' && SMTP_COMMANDS.has(e.command)) {
    parts.push(`at ${e.command}`);
  }
  if (typeof e.errno === 'number' && Number.isInteger(e.errno)) {
    parts.push(`errno ${e.errno}`);
  }
  if (typeof e.syscall === 'string' && WORD.test(e.syscall)) {
    parts.push(`in ${e.syscall}`);
  }
  return parts.length > 0 ? `${name} (${parts.join(', ')})` : name;
}
