/**
 * The jobs runner on real databases: no job runs twice under two runners, a killed runner's job
 * runs again once its lease runs out, a scheduled job runs once per slot across two runners,
 * failures are retried with backoff and then marked failed, and bad payloads are refused.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openDatabase, type DatabaseHandle } from '../src/db/database.ts';
import {
  createRunner,
  defineJob,
  defineSchedule,
  describeError,
  enqueue,
  JobError,
  type JobLogger,
  type Runner,
} from '../src/jobs/index.ts';
import { AppError } from '../src/lib/errors.ts';
import { DATABASES, openTestDatabase, ROOT, type TestDatabase } from './helpers.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) {
      throw new Error('timed out');
    }
    await sleep(50);
  }
}

function logInto(lines: string[]): JobLogger {
  const put = (level: string) => (obj: Record<string, unknown>, msg: string) =>
    lines.push(`${level} ${msg} ${JSON.stringify(obj)}`);
  return { info: put('info'), warn: put('warn'), error: put('error') };
}

describe.each(DATABASES)('jobs on %s', (kind) => {
  let db: TestDatabase;
  const runners: Runner[] = [];
  const extra: DatabaseHandle[] = [];

  /** A second connection pool to the same database, as another instance has (PostgreSQL). */
  async function another(): Promise<DatabaseHandle> {
    if (!db.url) {
      return db.handle;
    }
    const h = await openDatabase({ url: db.url, poolSize: 4 });
    extra.push(h);
    return h;
  }

  function runner(...args: Parameters<typeof createRunner>): Runner {
    const r = createRunner(...args);
    runners.push(r);
    return r;
  }

  afterEach(async () => {
    await Promise.all(runners.splice(0).map((r) => r.stop()));
    await Promise.all(extra.splice(0).map((h) => h.close()));
    await db?.dispose();
  });

  it('two runners never run one job twice, and run every job', async () => {
    db = await openTestDatabase(kind);
    const ran = new Map<number, number>();
    const count = defineJob({
      name: 'test.count',
      payload: z.strictObject({ n: z.number().int() }),
      handler: async ({ n }) => {
        ran.set(n, (ran.get(n) ?? 0) + 1);
        await sleep(Math.random() * 3);
      },
    });
    for (let n = 0; n < 150; n++) {
      await enqueue(db.handle.db, count, { n });
    }
    const a = runner({ db: db.handle.db, jobs: [count], pollMs: 20 });
    const b = runner({ db: (await another()).db, jobs: [count], pollMs: 20 });
    a.start();
    b.start();
    await until(async () => {
      const r = await db.handle.db
        .selectFrom('jobs')
        .select((e) => e.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(r.n) === 0;
    });
    expect(ran.size).toBe(150);
    expect([...ran.values()].every((c) => c === 1)).toBe(true);
  });

  it('runs a job again when its runner stops holding it (no heartbeat) once the lease runs out', async () => {
    db = await openTestDatabase(kind);
    const starts: string[] = [];
    let release: () => void = () => undefined;
    const hung = new Promise<void>((r) => (release = r));
    const job = defineJob({
      name: 'test.lease',
      payload: z.strictObject({ n: z.number() }),
      handler: async (_p, ctx) => {
        starts.push(`attempt ${ctx.attempt}`);
        if (ctx.attempt === 1) {
          await hung; // the first runner "dies": it holds the job and never renews its lease
        }
      },
    });
    await enqueue(db.handle.db, job, { n: 1 });
    const a = runner({
      db: db.handle.db,
      jobs: [job],
      leaseMs: 800,
      heartbeatMs: 600_000,
      pollMs: 50,
    });
    a.start();
    await until(() => starts.length === 1);
    const b = runner({ db: (await another()).db, jobs: [job], leaseMs: 800, pollMs: 50 });
    b.start();
    // Not before the lease runs out...
    await sleep(300);
    expect(starts).toEqual(['attempt 1']);
    // ...but after it, by the other runner, and the job is then done.
    await until(() => starts.length === 2);
    expect(starts).toEqual(['attempt 1', 'attempt 2']);
    await until(
      async () => (await db.handle.db.selectFrom('jobs').selectAll().execute()).length === 0,
    );
    release();
  });

  it('a scheduled job runs once per slot across two runners', async () => {
    db = await openTestDatabase(kind);
    const slots: number[] = [];
    const make = () =>
      defineSchedule({
        name: 'test.every-second',
        everySeconds: 1,
        handler: ({ slot }) => {
          slots.push(slot);
        },
      });
    const a = runner({ db: db.handle.db, schedules: [make()], tickMs: 20 });
    const b = runner({ db: (await another()).db, schedules: [make()], tickMs: 20 });
    a.start();
    b.start();
    await sleep(3500);
    await a.stop();
    await b.stop();
    expect(slots.length).toBeGreaterThanOrEqual(3);
    expect(new Set(slots).size).toBe(slots.length);
    // Consecutive seconds, none skipped.
    expect(slots.at(-1)! - slots[0]!).toBe(slots.length - 1);
  });

  it('a schedule goes by the database clock: a host clock running ahead or a slot left in the future stops nothing', async () => {
    db = await openTestDatabase(kind);
    const slots: number[] = [];
    // A slot recorded in the future, as a database clock stepped back would leave it.
    const future = Math.floor(Date.now() / 1000) + 3600;
    await sql`insert into job_schedules (name, last_slot, ran_at)
              values ('test.clock', ${String(future)}, now() + interval '1 hour')`.execute(
      db.handle.db,
    );
    const realNow = Date.now;
    // This host's own clock an hour ahead.
    Date.now = () => realNow() + 3_600_000;
    try {
      const a = runner({
        db: db.handle.db,
        schedules: [
          defineSchedule({
            name: 'test.clock',
            everySeconds: 1,
            handler: ({ slot }) => {
              slots.push(slot);
            },
          }),
        ],
        tickMs: 20,
      });
      a.start();
      await until(() => slots.length >= 2, 10_000);
      await a.stop();
    } finally {
      Date.now = realNow;
    }
    // On a server the slots are the database's seconds, not the host's hour ahead (the embedded
    // database keeps the host's time: it is one process, with no other instance to disagree).
    if (kind === 'postgres') {
      expect(Math.abs(slots[0]! - Math.floor(Date.now() / 1000))).toBeLessThan(30);
    }
  });

  it('a failing scheduled job is logged once and again when it works; nothing runs while paused', async () => {
    db = await openTestDatabase(kind);
    const lines: string[] = [];
    let calls = 0;
    let low = true;
    const sealer = defineSchedule({
      name: 'test.sealer',
      everySeconds: 1,
      describe: 'sealing the test log',
      handler: () => {
        calls++;
        if (calls <= 2) {
          throw new Error('the database is away');
        }
      },
    });
    const r = runner({
      db: db.handle.db,
      schedules: [sealer],
      tickMs: 20,
      paused: () => low,
      logger: logInto(lines),
    });
    r.start();
    await sleep(1500);
    expect(calls).toBe(0); // the storage guard says low: nothing starts
    low = false;
    await until(() => calls >= 4, 10_000);
    await r.stop();
    expect(lines.filter((l) => l.includes('sealing the test log failed'))).toHaveLength(1);
    expect(lines.filter((l) => l.includes('sealing the test log works again'))).toHaveLength(1);
  });

  it('retries a failing job with growing waits, then marks it failed with its error class and codes, never its text', async () => {
    db = await openTestDatabase(kind);
    const at: number[] = [];
    const lines: string[] = [];
    const job = defineJob({
      name: 'test.fails',
      payload: z.strictObject({ id: z.uuid() }),
      retry: { limit: 2, backoffMs: 300 },
      handler: () => {
        at.push(Date.now());
        // An SMTP refusal quoting a name, an address and a phone number: none may be stored.
        throw Object.assign(
          new Error(
            '550 mailbox of Maija Meikäläinen <maija.meikalainen@example.fi>, +358 40 123 4567, Kauppakatu 5 unavailable',
          ),
          { code: 'EENVELOPE', responseCode: 550, command: 'RCPT TO' },
        );
      },
    });
    const id = await enqueue(db.handle.db, job, { id: '8f14e45f-ceea-467f-a0e6-4b2d3c1a9e10' });
    const r = runner({ db: db.handle.db, jobs: [job], pollMs: 20, logger: logInto(lines) });
    r.start();
    await until(async () => {
      const row = await db.handle.db.selectFrom('jobs').selectAll().executeTakeFirst();
      return row?.state === 'failed';
    });
    expect(at).toHaveLength(3);
    // Waits of about 300 ms, then 600 ms.
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(250);
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(550);
    const row = await db.handle.db
      .selectFrom('jobs')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row.attempts).toBe(3);
    expect(row.last_error).toBe('Error (code EENVELOPE, SMTP 550, at RCPT TO)');
    expect(lines.some((l) => l.startsWith('error a job failed for good'))).toBe(true);
    expect(lines.filter((l) => l.startsWith('warn a job failed; it will be retried'))).toHaveLength(
      2,
    );
    for (const secret of ['maija', 'Maija', 'Meikäläinen', '123 4567', '+358', 'Kauppakatu']) {
      expect(lines.join('\n')).not.toContain(secret);
    }
    // A failed job is not run again.
    await sleep(400);
    expect(at).toHaveLength(3);
  });

  it('refuses a bad payload at enqueue, naming the field, and queues nothing', async () => {
    db = await openTestDatabase(kind);
    const job = defineJob({
      name: 'test.strict',
      payload: z.strictObject({ outboxId: z.uuid() }),
      handler: () => undefined,
    });
    await expect(enqueue(db.handle.db, job, { outboxId: 'not-a-uuid' })).rejects.toThrow(
      /job "test.strict": payload field "outboxId"/,
    );
    await expect(
      enqueue(db.handle.db, job, {
        outboxId: '8f14e45f-ceea-467f-a0e6-4b2d3c1a9e10',
        email: 'a@b.fi',
      } as never),
    ).rejects.toThrow(/payload field "\(payload\)"|email/);
    // A payload that would carry an address is refused even when its schema lets it through.
    const loose = defineJob({
      name: 'test.loose',
      payload: z.strictObject({ note: z.array(z.string()) }),
      handler: () => undefined,
    });
    await expect(
      enqueue(db.handle.db, loose, { note: ['ok', 'write to maija@example.fi'] }),
    ).rejects.toThrow(/payload field "note.1" holds an e-mail address/);
    const rows = await db.handle.db.selectFrom('jobs').selectAll().execute();
    expect(rows).toHaveLength(0);
  });

  it('stop() lets the running job finish and claims nothing more', async () => {
    db = await openTestDatabase(kind);
    const done: number[] = [];
    const job = defineJob({
      name: 'test.slow',
      payload: z.strictObject({ n: z.number() }),
      handler: async ({ n }) => {
        await sleep(400);
        done.push(n);
      },
    });
    await enqueue(db.handle.db, job, { n: 1 });
    await enqueue(db.handle.db, job, { n: 2 });
    const r = runner({ db: db.handle.db, jobs: [job], pollMs: 20 });
    r.start();
    await sleep(100);
    await r.stop();
    expect(done).toEqual([1]);
    const left = await db.handle.db.selectFrom('jobs').select(['state', 'payload']).execute();
    expect(left).toEqual([{ state: 'queued', payload: { n: 2 } }]);
  });

  it.runIf(kind === 'postgres')(
    'runs a job again after its runner process is killed with SIGKILL',
    async () => {
      db = await openTestDatabase(kind);
      const hang = defineJob({
        name: 'test.hang',
        payload: z.strictObject({ n: z.number() }),
        retry: { limit: 3, backoffMs: 0 },
        handler: () => undefined,
      });
      await enqueue(db.handle.db, hang, { n: 7 });
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', join(ROOT, 'test/fixtures/jobs-child.ts'), db.url!],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      await until(() => out.includes('started 7'), 30_000);
      const exited = new Promise((r) => child.on('exit', r));
      child.kill('SIGKILL');
      await exited;
      const ran: number[] = [];
      const again = defineJob({
        name: 'test.hang',
        payload: z.strictObject({ n: z.number() }),
        retry: { limit: 3, backoffMs: 0 },
        handler: ({ n }) => {
          ran.push(n);
        },
      });
      const r = runner({ db: db.handle.db, jobs: [again], leaseMs: 1500, pollMs: 50 });
      r.start();
      await until(() => ran.length === 1);
      expect(ran).toEqual([7]);
      await until(
        async () => (await db.handle.db.selectFrom('jobs').selectAll().execute()).length === 0,
      );
    },
    60_000,
  );
});

describe('describeError', () => {
  const personal = 'Matti Virtanen, +358 50 765 4321, Rantatie 3 B 12, 00100 Helsinki';

  it('keeps only the class and the codes of an error, never its text', () => {
    expect(describeError(new Error(`no reply from ${personal}`))).toBe('Error');
    expect(describeError(new TypeError(`bad value ${personal}`))).toBe('TypeError');
    const socket = Object.assign(new Error(`connect ECONNREFUSED ${personal}`), {
      code: 'ECONNREFUSED',
      errno: -111,
      syscall: 'connect',
    });
    expect(describeError(socket)).toBe('Error (code ECONNREFUSED, errno -111, in connect)');
    // Codes that are not codes (free text in a code field) are left out too.
    const odd = Object.assign(new Error('x'), { code: personal, command: `RCPT TO:<${personal}>` });
    expect(describeError(odd)).toBe('Error');
    const named = Object.assign(new Error('x'), { name: personal });
    expect(describeError(named)).toBe('Error');
    expect(describeError(personal)).toBe('a thrown string');
    expect(describeError({ message: personal })).toBe('a thrown object');
  });

  it("keeps the message of our own errors: an AppError's and a JobError's", () => {
    expect(describeError(new AppError('not_found', 'no subject with this id'))).toBe(
      'AppError not_found: no subject with this id',
    );
    expect(describeError(new JobError('no_smtp', 'no SMTP server is configured'))).toBe(
      'JobError no_smtp: no SMTP server is configured',
    );
  });
});
