/**
 * Outgoing mail, delivered to a real SMTP server on loopback (smtp-server) and read back with a
 * MIME parser: the subject in the chosen language, both parts, the recipient; the outbox row gone
 * after delivery; an SMTP failure retried; mail waiting in the outbox without an SMTP server, read
 * only by roles allowed to; bad messages refused naming the field; no address in any log line.
 */
import { allAuditEvents } from '../src/audit-events.ts';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config/config.ts';
import { createRunner, type JobLogger, type Runner } from '../src/jobs/index.ts';
import type { KeyStore } from '../src/keystore/keystore.ts';
import { operator, type Actor } from '../src/lib/actor.ts';
import { systemClock, type Clock } from '../src/lib/clock.ts';
import { createMailService, onLoopback, TEMPLATES, type MailService } from '../src/mail/index.ts';
import { createAuditRepo } from '../src/modules/audit/audit.repo.ts';
import { createAuditService } from '../src/modules/audit/audit.service.ts';
import { generatePassword } from '../src/modules/staff/staff.service.ts';
import { createVault } from '../src/vault/vault.ts';
import {
  anna,
  createTestContext,
  DATABASES,
  openTestDatabase,
  openTestKeyStore,
  snapshot,
  type TestContext,
  type TestDatabase,
} from './helpers.ts';

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

const ADDRESS = 'maija.meikalainen@example.fi';
const LINK = 'https://rekisteri.example.fi/verify?t=abc123&x=1';

const handler: Actor = {
  kind: 'staff',
  id: 'staff-1',
  role: 'handler',
  read: new Set(),
  write: new Set(),
  actions: new Set(['handle_requests']),
};
const viewer: Actor = { ...handler, id: 'staff-2', role: 'viewer', actions: new Set() };

interface Received {
  rcpt: string[];
  mail: ParsedMail;
}

/** A real SMTP server on loopback; `reject` answers RCPT TO with a temporary failure while > 0. */
async function smtpServer(host = '127.0.0.1') {
  const received: Received[] = [];
  const state = { reject: 0 };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (state.reject > 0) {
        state.reject--;
        // Servers often quote the recipient in a refusal: it must not reach the logs.
        callback(
          Object.assign(new Error(`try again later <${address.address}>`), { responseCode: 451 }),
        );
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      simpleParser(stream).then(
        (mail) => {
          received.push({ rcpt: session.envelope.rcptTo.map((r) => r.address), mail });
          callback();
        },
        (err: Error) => callback(err),
      );
    },
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://${host}:${port}`,
    received,
    state,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

function logInto(lines: string[]): JobLogger {
  const put = (level: string) => (obj: Record<string, unknown>, msg: string) =>
    lines.push(`${level} ${msg} ${JSON.stringify(obj)}`);
  return { info: put('info'), warn: put('warn'), error: put('error') };
}

describe.each(DATABASES)('mail on %s', { timeout: 120_000 }, (kind) => {
  let db!: TestDatabase;
  const cleanup: Array<() => Promise<void> | void> = [];
  const vault = createVault(randomBytes(32));

  let keys: KeyStore;

  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) {
      await fn();
    }
    await db?.dispose();
  });

  /** A new data database and key store for one test. */
  async function setup(): Promise<void> {
    db = await openTestDatabase(kind);
    const ks = await openTestKeyStore(kind);
    keys = ks.keys;
    cleanup.push(() => ks.dispose());
  }

  /** What every mail service of these tests is made from: real databases, a real access log. */
  const base = () => ({
    db: db.handle.db,
    vault,
    keys,
    audit: createAuditService({
      db: db.handle.db,
      repo: createAuditRepo(),
      vault,
      clock: systemClock,
      events: allAuditEvents,
    }),
  });

  function start(mail: MailService, lines: string[]): Runner {
    const runner = createRunner({
      db: db.handle.db,
      jobs: mail.jobs,
      schedules: mail.schedules,
      pollMs: 50,
      tickMs: 50,
      logger: logInto(lines),
    });
    runner.start();
    cleanup.push(() => runner.stop());
    return runner;
  }

  const outboxRows = async () => db.handle.db.selectFrom('outbox').selectAll().execute();

  it('delivers a mail over SMTP in the chosen language, with both parts, and empties the outbox', async () => {
    await setup();
    const smtp = await smtpServer();
    cleanup.push(smtp.close);
    const lines: string[] = [];
    const mail = createMailService({
      ...base(),
      smtp: { url: smtp.url, from: 'Rekisteri <rekisteri@example.fi>' },
    });
    cleanup.push(() => mail.close());
    await mail.sendMail({
      to: ADDRESS,
      template: 'verify-address',
      locale: 'fi',
      data: { register: 'Asiakasrekisteri <Oy> & "Co"', link: LINK },
    });
    // The row holds no address in the clear.
    const [row] = await outboxRows();
    expect(row!.sealed.includes(Buffer.from(ADDRESS))).toBe(false);
    start(mail, lines);
    await until(() => smtp.received.length === 1);
    const { rcpt, mail: got } = smtp.received[0]!;
    expect(rcpt).toEqual([ADDRESS]);
    expect(got.subject).toBe('Vahvista sähköpostiosoitteesi');
    expect(got.from?.text).toContain('rekisteri@example.fi');
    expect(got.text).toContain(
      'Vahvista sähköpostiosoitteesi rekisteriin Asiakasrekisteri <Oy> & "Co"',
    );
    expect(got.text).toContain(LINK);
    expect(got.html).toContain('<html lang="fi">');
    expect(got.html).toContain('Asiakasrekisteri &lt;Oy&gt; &amp; &quot;Co&quot;');
    expect(got.html).toContain(`href="${LINK.replace('&', '&amp;')}"`);
    expect(got.html).not.toContain('<Oy>');
    await until(async () => (await outboxRows()).length === 0);
    // The runner marks the job done just after the handler removed the row.
    await until(
      async () => (await db.handle.db.selectFrom('jobs').selectAll().execute()).length === 0,
    );
    expect(lines.join('\n')).not.toContain('maija');
  });

  it('never sends over plain SMTP to a server off this machine that offers no STARTTLS', async (ctx) => {
    // An address of this machine that is not loopback stands for a relay elsewhere.
    const outside = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
    if (!outside) {
      console.log('mail: no non-loopback IPv4 address here; the plain-SMTP refusal is not tested');
      ctx.skip();
      return;
    }
    await setup();
    const smtp = await smtpServer(outside);
    cleanup.push(smtp.close);
    const lines: string[] = [];
    const mail = createMailService({
      ...base(),
      smtp: { url: smtp.url, from: 'rekisteri@example.fi' },
      retry: { limit: 1, backoffMs: 100 },
    });
    cleanup.push(() => mail.close());
    await mail.sendMail({
      to: ADDRESS,
      template: 'verify-address',
      locale: 'en',
      data: { register: 'Asiakasrekisteri', link: LINK },
    });
    start(mail, lines);
    await until(async () =>
      (await db.handle.db.selectFrom('jobs').select('state').execute()).some(
        (j) => j.state === 'failed',
      ),
    );
    expect(smtp.received).toHaveLength(0);
    expect((await outboxRows()).length).toBe(1);
    expect(onLoopback('smtp://localhost:25')).toBe(true);
    expect(onLoopback('smtp://[::1]:25')).toBe(true);
    expect(onLoopback('smtp://127.0.0.2:25')).toBe(true);
    expect(onLoopback('smtp://mail.example.com:587')).toBe(false);
    expect(onLoopback('smtp://127.0.0.1.example.com:25')).toBe(false);
  });

  it('retries a delivery the SMTP server refuses, then delivers it; no address in the logs', async () => {
    await setup();
    const smtp = await smtpServer();
    cleanup.push(smtp.close);
    smtp.state.reject = 2;
    const lines: string[] = [];
    const mail = createMailService({
      ...base(),
      smtp: { url: smtp.url, from: 'rekisteri@example.fi' },
      retry: { limit: 3, backoffMs: 200 },
    });
    cleanup.push(() => mail.close());
    await mail.sendMail({
      to: ADDRESS,
      template: 'verify-address',
      locale: 'sv',
      data: { register: 'Kundregistret', link: LINK },
    });
    start(mail, lines);
    await until(() => smtp.received.length === 1);
    expect(smtp.received[0]!.mail.subject).toBe('Bekräfta din e-postadress');
    expect(lines.filter((l) => l.startsWith('warn a job failed; it will be retried'))).toHaveLength(
      2,
    );
    // Only the refusal's class and codes are kept, never its text (which quoted the recipient).
    expect(lines.join('\n')).toContain('SMTP 451');
    expect(lines.join('\n')).not.toContain('try again later');
    expect(lines.join('\n')).not.toContain('maija');
    await until(async () => (await outboxRows()).length === 0);
  });

  it('without an SMTP server mail waits in the outbox, readable by a role that handles requests, and goes once one is configured', async () => {
    await setup();
    const lines: string[] = [];
    const waiting = createMailService(base());
    const id = await waiting.sendMail({
      to: ADDRESS,
      template: 'verify-address',
      locale: 'en',
      data: { register: 'Customers', link: LINK },
    });
    const runner = start(waiting, lines);
    await sleep(300);
    expect(await db.handle.db.selectFrom('jobs').selectAll().execute()).toEqual([]);
    const listed = await waiting.listOutbox(handler);
    expect(listed).toMatchObject([
      { id, to: ADDRESS, subject: 'Confirm your e-mail address', locale: 'en', state: 'waiting' },
    ]);
    await expect(waiting.listOutbox(viewer)).rejects.toThrow(/may not handle requests/);
    // A role that handles requests but reads under some purposes only sees nobody's mail: the
    // outbox holds mail of people under every purpose.
    const narrow = createMailService({ ...base(), purposes: ['newsletter', 'billing'] });
    await expect(narrow.listOutbox({ ...handler, read: new Set(['newsletter']) })).rejects.toThrow(
      /may not read the outbox/,
    );
    expect(
      await narrow.listOutbox({ ...handler, read: new Set(['newsletter', 'billing']) }),
    ).toHaveLength(1);
    await runner.stop();
    // The next start has an SMTP server: the waiting mail is queued and delivered.
    const smtp = await smtpServer();
    cleanup.push(smtp.close);
    const configured = createMailService({
      ...base(),
      smtp: { url: smtp.url, from: 'rekisteri@example.fi' },
    });
    cleanup.push(() => configured.close());
    await db.handle.db.deleteFrom('job_schedules').execute(); // a new slot, as a minute later
    start(configured, lines);
    await until(() => smtp.received.length === 1);
    expect(smtp.received[0]!.rcpt).toEqual([ADDRESS]);
    await until(async () => (await outboxRows()).length === 0);
    expect(lines.join('\n')).not.toContain('maija');
  });

  it('every mail expires: expired mail is not delivered, and mail.expire removes it, a mail whose job was dropped too', async () => {
    await setup();
    const smtp = await smtpServer();
    cleanup.push(smtp.close);
    let now = new Date('2026-03-02T09:00:00Z');
    const clock: Clock = { now: () => now };
    const day = 24 * 3600 * 1000;
    const mail = createMailService({
      ...base(),
      clock,
      ttlMs: 7 * day,
      smtp: { url: smtp.url, from: 'rekisteri@example.fi' },
    });
    cleanup.push(() => mail.close());
    expect(mail.schedules.map((x) => x.name)).toEqual(['mail.release', 'mail.expire']);
    const message = {
      to: ADDRESS,
      template: 'verify-address' as const,
      locale: 'fi' as const,
      data: { register: 'R', link: LINK },
    };
    const late = await mail.sendMail(message);
    const dropped = await mail.sendMail(message);
    // An operator dropped the second mail's delivery job: its row says queued for ever.
    await db.handle.db
      .deleteFrom('jobs')
      .where(sql<boolean>`payload->>'outboxId' = ${dropped}`)
      .execute();
    now = new Date(now.getTime() + 6 * day);
    const fresh = await mail.sendMail(message);
    const rows = await outboxRows();
    expect(rows.find((r) => r.id === late)?.expires_at).toEqual(new Date('2026-03-09T09:00:00Z'));
    // A week after the first two were written: they are past their time.
    now = new Date('2026-03-09T09:00:00Z');
    expect((await mail.listOutbox(handler)).map((e) => e.id)).toEqual([fresh]);
    // The runner picks up the expired mail's job: it is not delivered, and its row goes.
    // (Delivery only: the expiry schedule is run by hand below.)
    const runner = createRunner({ db: db.handle.db, jobs: mail.jobs, pollMs: 50 });
    runner.start();
    cleanup.push(() => runner.stop());
    await until(async () => (await outboxRows()).every((r) => r.id !== late));
    await until(() => smtp.received.length === 1);
    await runner.stop();
    expect(smtp.received).toHaveLength(1); // the fresh one only
    expect((await outboxRows()).map((r) => r.id)).toEqual([dropped]);
    // mail.expire removes what no job will ever touch.
    expect(await mail.expireOutbox()).toBe(1);
    expect(await outboxRows()).toEqual([]);
    expect(await mail.expireOutbox()).toBe(0);
  });

  it('MAIL_OUTBOX_TTL sets the expiry in hours; a bad value is refused naming it', () => {
    expect(loadConfig({}).mailOutboxTtl).toBe(7 * 24 * 3600 * 1000);
    expect(loadConfig({ MAIL_OUTBOX_TTL: '24' }).mailOutboxTtl).toBe(24 * 3600 * 1000);
    for (const bad of ['0', '-1', '1.5', 'week', '9999']) {
      expect(() => loadConfig({ MAIL_OUTBOX_TTL: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ MAIL_OUTBOX_TTL: bad })).toThrow(/MAIL_OUTBOX_TTL/);
    }
  });

  it('refuses a bad message naming the field, and writes nothing', async () => {
    await setup();
    const mail = createMailService({
      ...base(),
      smtp: { url: 'smtp://127.0.0.1:1', from: 'rekisteri@example.fi' },
    });
    const before = await snapshot(db.handle);
    const good = {
      to: ADDRESS,
      template: 'verify-address' as const,
      locale: 'fi' as const,
      data: { register: 'R', link: LINK },
    };
    const cases: Array<[unknown, RegExp]> = [
      [{ ...good, to: 'not an address' }, /to: /],
      [{ ...good, template: 'no-such' }, /template: /],
      [{ ...good, locale: 'de' }, /locale: /],
      [{ ...good, data: { register: 'R', link: 'javascript:alert(1)' } }, /data\.link: /],
      [{ ...good, data: { register: 'R' } }, /data\.link: /],
      [{ ...good, data: { ...good.data, extra: 1 } }, /data: .*extra/],
      [{ ...good, cc: 'other@example.fi' }, /\(message\): .*cc/],
    ];
    for (const [message, field] of cases) {
      await expect(mail.sendMail(message as typeof good)).rejects.toThrow(field);
    }
    expect(await snapshot(db.handle)).toEqual(before);
    expect(await outboxRows()).toEqual([]);
    expect(await db.handle.db.selectFrom('jobs').selectAll().execute()).toEqual([]);
  });
});

describe.each(DATABASES)('mail to a person of the register on %s', { timeout: 120_000 }, (kind) => {
  let t: TestContext;
  const passwords = new Map<string, string>();

  beforeAll(async () => {
    t = await createTestContext(kind);
    for (const role of ['dpo', 'support']) {
      const { password } = await t.services.staff.createStaff(operator, {
        username: role,
        displayName: `Test ${role}`,
        role,
        password: generatePassword(),
      });
      passwords.set(role, password);
    }
  });
  afterAll(async () => {
    await t?.close();
  });

  const person = async (email: string) =>
    (
      await t.services.subjects.createSubject(operator, {
        purpose: 'customer_relationship',
        source: 'subject',
        values: { ...anna, contact: { email } },
      })
    ).id;
  const message = (to: string, subjectId?: string) => ({
    to,
    ...(subjectId ? { subjectId } : {}),
    template: 'verify-address' as const,
    locale: 'sv' as const,
    data: { register: 'Kundregistret', link: LINK },
  });
  const outbox = () => t.db.handle.db.selectFrom('outbox').selectAll().orderBy('id').execute();
  const reads = () =>
    t.db.handle.db
      .selectFrom('audit_events')
      .select(['actor_kind', 'actor_id', 'subject_id', 'action', 'data'])
      .where('action', 'in', ['mail.outbox_read', 'mail.outbox_read_person'])
      .orderBy('id')
      .execute();
  const signIn = async (username: string): Promise<string> => {
    const res: LightMyRequestResponse = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username, password: passwords.get(username) },
    });
    expect(res.statusCode, res.body).toBe(200);
    const c = res.cookies.find((x) => x.name === 'rk_session');
    return `rk_session=${c?.value ?? ''}`;
  };

  it("seals a person's mail under their key; their erasure removes it, and a copy taken before opens for no one", async () => {
    const address = 'ilmari.kivinen@example.fi';
    const id = await person(address);
    const mailId = await t.services.mail.sendMail(message(address, id));
    const [row] = (await outbox()).filter((r) => r.id === mailId);
    expect(row?.subject_id).toBe(id);
    expect(row!.sealed.includes(Buffer.from(address))).toBe(false);
    // Not under the server's key: the master key alone does not open it.
    const vault = t.services.vault;
    expect(() => vault.openSecret(`outbox:${mailId}`, row!.sealed)).toThrow();
    expect(() => vault.openSecret(`outbox:${mailId}:subject:${id}`, row!.sealed)).toThrow();
    const listed = await t.services.mail.listOutbox(operator);
    expect(listed.find((e) => e.id === mailId)).toMatchObject({ to: address, subjectId: id });

    await t.services.subjects.eraseSubject(operator, id);
    // The row went in the erasure's transaction, and the key that opens any copy is gone.
    expect((await outbox()).map((r) => r.id)).not.toContain(mailId);
    expect(await t.keys.get(id)).toBeUndefined();
    expect((await t.services.mail.listOutbox(operator)).map((e) => e.id)).not.toContain(mailId);
    // A copy of the row (a backup taken before the erasure: see backup.test.ts) put back.
    await t.db.handle.db.insertInto('outbox').values(row!).execute();
    expect((await t.services.mail.listOutbox(operator)).map((e) => e.id)).not.toContain(mailId);
    // Nothing opens it: not the server's key, and the person's key is nowhere.
    expect(() => vault.openSecret(`outbox:${mailId}`, row!.sealed)).toThrow();
    expect(await t.keys.getMany([id])).toEqual(new Map());
    // (A restored backup's row goes when the restore re-applies the erasure: backup.test.ts.)
    await t.db.handle.db.deleteFrom('outbox').where('id', '=', mailId).execute();
  });

  it('refuses mail to a person who is not there (never, or erased), naming subjectId, and writes nothing', async () => {
    const gone = await person('poistettu.henkilo@example.fi');
    await t.services.subjects.eraseSubject(operator, gone);
    const before = await outbox();
    for (const subjectId of [gone, '0190a4b2-7c1d-7e2f-8a3b-4c5d6e7f8a9b']) {
      await expect(
        t.services.mail.sendMail(message('poistettu.henkilo@example.fi', subjectId)),
      ).rejects.toMatchObject({ code: 'not_found', issues: [{ field: 'subjectId' }] });
    }
    await expect(t.services.mail.sendMail(message('x@example.fi', 'not-a-uuid'))).rejects.toThrow(
      /subjectId: /,
    );
    expect(await outbox()).toEqual(before);
  });

  it('GET /api/v1/outbox: for staff who handle requests, each read in the access log without an address; others get 403 and nothing is logged', async () => {
    const address = 'sanni.salminen@example.fi';
    const id = await person(address);
    await t.services.mail.sendMail(message(address, id));
    await t.services.mail.sendMail(message('uusi.osoite@example.fi'));
    const inOutbox = (await outbox()).length;
    const before = (await reads()).length;

    const support = await signIn('support');
    const refused = await t.app.inject({ url: '/api/v1/outbox', headers: { cookie: support } });
    expect(refused.statusCode).toBe(403);
    expect(refused.body).not.toContain('example.fi');
    expect((await reads()).length).toBe(before);
    const key = await t.key(['*'], ['read', 'write', 'erase', 'export', 'handle_requests']);
    expect((await t.app.inject({ url: '/api/v1/outbox', headers: key })).statusCode).toBe(403);
    expect((await t.app.inject({ url: '/api/v1/outbox' })).statusCode).toBe(401);
    expect((await reads()).length).toBe(before);

    const dpo = await signIn('dpo');
    const bad = await t.app.inject({ url: '/api/v1/outbox?limit=0', headers: { cookie: dpo } });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('limit');
    const unknown = await t.app.inject({ url: '/api/v1/outbox?to=x', headers: { cookie: dpo } });
    expect(unknown.statusCode).toBe(400);
    expect((await reads()).length).toBe(before);

    const res = await t.app.inject({ url: '/api/v1/outbox', headers: { cookie: dpo } });
    expect(res.statusCode, res.body).toBe(200);
    const { items } = res.json<{
      items: Array<{ to: string; subjectId: string | null; subject: string; state: string }>;
    }>();
    expect(items).toHaveLength(inOutbox);
    expect(items).toContainEqual(
      expect.objectContaining({
        to: address,
        subjectId: id,
        subject: 'Bekräfta din e-postadress',
        state: 'waiting',
      }),
    );
    expect(items).toContainEqual(
      expect.objectContaining({ to: 'uusi.osoite@example.fi', subjectId: null }),
    );
    const logged = (await reads()).slice(before);
    expect(logged).toContainEqual(
      expect.objectContaining({
        actor_kind: 'staff',
        subject_id: null,
        action: 'mail.outbox_read',
        data: { shown: inOutbox },
      }),
    );
    expect(logged).toContainEqual(
      expect.objectContaining({
        actor_kind: 'staff',
        subject_id: id,
        action: 'mail.outbox_read_person',
        data: {},
      }),
    );
    expect(JSON.stringify(logged)).not.toContain('example.fi');
  });
});

describe('mail templates', () => {
  it("shows a register name holding `$&`, `$'` or `$`` as written, escaped in the HTML part", () => {
    const register = "Kassa$'s $` & $& <b>";
    const mail = TEMPLATES['verify-address'].render('en', { register, link: 'https://e.fi/v' });
    expect(mail.text).toContain(`for the register ${register} by opening the link:`);
    expect(mail.html).toContain(
      'for the register <strong>Kassa$&#39;s $` &amp; $&amp; &lt;b&gt;</strong> by opening the link:',
    );
  });
});
