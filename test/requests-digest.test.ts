/**
 * The daily digest of requests due (schedule `requests.digest`), delivered over a real SMTP server
 * on loopback: each staff member who handles requests (an active account with an e-mail address
 * whose role has `handle_requests`) gets it in their own language; nobody else does; only when
 * there is no such member does the definition's privacy address get it. Staff e-mail addresses
 * and languages are checked as they are set, naming the field.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRunner } from '../src/jobs/index.ts';
import { operator } from '../src/lib/actor.ts';
import { AppError } from '../src/lib/errors.ts';
import { loadDefinition } from '../src/modules/definition/loader.ts';
import { generatePassword } from '../src/modules/staff/staff.service.ts';
import { createServices, type Services } from '../src/services.ts';
import { createVault } from '../src/vault/vault.ts';
import {
  createTestContext,
  DATABASES,
  DEMO,
  openTestDatabase,
  openTestKeyStore,
  snapshot,
  type TestContext,
} from './helpers.ts';
import { newStaffSession, tag } from './factories.ts';

const PRIVACY_ADDRESS = 'tietosuoja@revontuli.example.com';

interface Received {
  rcpt: string[];
  mail: ParsedMail;
}

async function smtpSink() {
  const received: Received[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
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
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

async function until(check: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) {
      throw new Error('timed out');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each(DATABASES)('the requests digest on %s', { timeout: 120_000 }, (kind) => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) {
      await fn();
    }
  });

  /** Services on fresh databases, mailing through the sink, with a request due within a week. */
  async function setup() {
    const db = await openTestDatabase(kind);
    const ks = await openTestKeyStore(kind);
    cleanup.push(
      () => db.dispose(),
      () => ks.dispose(),
    );
    const smtp = await smtpSink();
    cleanup.push(smtp.close);
    let now = new Date('2026-03-02T09:00:00Z');
    const services = createServices({
      database: db.handle,
      keys: ks.keys,
      register: await loadDefinition(DEMO),
      vault: createVault(randomBytes(32)),
      clock: { now: () => now },
      mail: { smtp: { url: smtp.url, from: 'Rekisteri <rekisteri@example.fi>' } },
    });
    cleanup.push(() => services.mail.close());
    const request = await services.requests.intake(operator, {
      type: 'access',
      channel: 'in_person',
      lang: 'en',
      email: 'pyytaja@example.fi',
      name: 'Pekka Pyytäjä',
      identity: { proof: 'photo_id', documentType: 'passport' },
    });
    // Three days before it is due.
    now = new Date(`${request.dueOn}T06:00:00Z`);
    now.setUTCDate(now.getUTCDate() - 3);
    return { db, services, smtp, request };
  }

  /** Runs the server's digest schedule and its mail delivery until `count` mails arrived. */
  async function runDigest(
    services: Services,
    db: Awaited<ReturnType<typeof openTestDatabase>>,
    smtp: Awaited<ReturnType<typeof smtpSink>>,
    count: number,
  ) {
    const runner = createRunner({
      db: db.handle.db,
      jobs: [...services.mail.jobs],
      schedules: services.requests.schedules.filter((s) => s.name === 'requests.digest'),
      pollMs: 50,
      tickMs: 50,
      logger: { info: () => {}, warn: () => {}, error: () => {} },
    });
    runner.start();
    cleanup.push(() => runner.stop());
    await until(() => smtp.received.length >= count);
    // Nothing more comes.
    await new Promise((r) => setTimeout(r, 300));
    await runner.stop();
  }

  async function staff(
    services: Services,
    username: string,
    role: string,
    contact: { email?: string; lang?: 'sv' | 'fi' | 'en' } = {},
  ) {
    const { staff: member } = await services.staff.createStaff(operator, {
      username,
      displayName: username,
      role,
      password: generatePassword(),
      ...contact,
    });
    return member;
  }

  it('mails each member who handles requests in their language, and nobody else', async () => {
    const { db, services, smtp, request } = await setup();
    await staff(services, 'dpo-sv', 'dpo', { email: 'Kaisa.DPO@Example.fi', lang: 'sv' });
    await staff(services, 'admin-en', 'admin', { email: 'admin@example.fi', lang: 'en' });
    await staff(services, 'admin-unknown', 'admin', { email: 'tuntematon@example.fi' });
    // Not a handler, a disabled handler, a handler without an address: none of them.
    await staff(services, 'support', 'support', { email: 'support@example.fi', lang: 'fi' });
    const gone = await staff(services, 'dpo-gone', 'dpo', { email: 'gone@example.fi' });
    await services.staff.updateStaff(operator, gone.id, { disabled: true });
    await staff(services, 'dpo-silent', 'dpo');

    await runDigest(services, db, smtp, 3);
    const byAddress = new Map(smtp.received.map((r) => [r.rcpt.join(','), r.mail]));
    expect([...byAddress.keys()].sort()).toEqual(
      ['admin@example.fi', 'kaisa.dpo@example.fi', 'tuntematon@example.fi'].sort(),
    );
    const sv = byAddress.get('kaisa.dpo@example.fi');
    const en = byAddress.get('admin@example.fi');
    const fi = byAddress.get('tuntematon@example.fi');
    // Each in its language: the request's due date is in every one, personal data in none.
    expect(en?.subject).toMatch(/due/i);
    expect(sv?.subject).not.toBe(en?.subject);
    expect(fi?.subject).not.toBe(en?.subject);
    expect(sv?.subject).not.toBe(fi?.subject);
    expect(sv?.html).toContain('<html lang="sv">');
    expect(en?.html).toContain('<html lang="en">');
    expect(fi?.html).toContain('<html lang="fi">');
    for (const mail of [sv, en, fi]) {
      expect(mail?.text).toContain(request.id);
      expect(mail?.text).not.toContain('pyytaja@example.fi');
      expect(mail?.text).not.toContain('Pyytäjä');
    }
    expect(smtp.received.some((r) => r.rcpt.includes(PRIVACY_ADDRESS))).toBe(false);
  });

  it("falls back to the definition's privacy address when nobody who handles requests has an e-mail address", async () => {
    const { db, services, smtp, request } = await setup();
    await staff(services, 'dpo-silent', 'dpo');
    await staff(services, 'support', 'support', { email: 'support@example.fi', lang: 'en' });
    await runDigest(services, db, smtp, 1);
    expect(smtp.received.map((r) => r.rcpt)).toEqual([[PRIVACY_ADDRESS]]);
    expect(smtp.received[0]?.mail.text).toContain(request.id);
    expect(smtp.received[0]?.mail.html).toContain('<html lang="fi">');
  });

  it('refuses a staff e-mail address or language that is not one, naming the field, and changes nothing', async () => {
    const { db, services } = await setup();
    const member = await staff(services, 'dpo-ok', 'dpo', { email: 'ok@example.fi' });
    const before = await snapshot(db.handle);
    const refused = async (p: Promise<unknown>, field: string) => {
      const err = await p.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).issues?.[0]?.field).toBe(field);
    };
    await refused(
      services.staff.createStaff(operator, {
        username: 'dpo-bad',
        displayName: 'Bad',
        role: 'dpo',
        password: generatePassword(),
        email: 'not an address',
      }),
      'email',
    );
    await refused(services.staff.updateStaff(operator, member.id, { email: 'kaisa@' }), 'email');
    await refused(services.staff.updateStaff(operator, member.id, { lang: 'de' as 'sv' }), 'lang');
    expect(await snapshot(db.handle)).toEqual(before);
    // Cleared with null: the member gets no digest.
    const cleared = await services.staff.updateStaff(operator, member.id, {
      email: null,
      lang: 'en',
    });
    expect(cleared).toMatchObject({ email: null, lang: 'en' });
    expect(await services.staff.requestHandlers()).toEqual([]);
  });
});

describe.each(DATABASES)("a staff member's e-mail address and language over HTTP on %s", (kind) => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext(kind);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it('sets, shows and clears them; refuses a bad one naming the field and changes nothing', async () => {
    const admin = await newStaffSession(t, 'admin');
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/staff',
      headers: admin.headers,
      payload: {
        username: `kaisa-${tag()}`,
        displayName: 'Kaisa Kivi',
        role: 'dpo',
        email: 'Kaisa.Kivi@Example.FI',
        lang: 'sv',
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    const member = created.json<{ staff: { id: string; email: string; lang: string } }>().staff;
    expect(member).toMatchObject({ email: 'kaisa.kivi@example.fi', lang: 'sv' });
    expect(await t.services.staff.requestHandlers()).toEqual(
      expect.arrayContaining([{ email: 'kaisa.kivi@example.fi', lang: 'sv' }]),
    );

    const before = await snapshot(t.db.handle);
    for (const [payload, field] of [
      [{ email: 'kaisa at example.fi' }, 'email'],
      [{ lang: 'de' }, 'lang'],
      [{ email: 'kaisa@example.fi', phone: '+358' }, 'phone'],
    ] as const) {
      const res = await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/staff/${member.id}`,
        headers: admin.headers,
        payload,
      });
      expect(res.statusCode, res.body).toBe(400);
      expect(JSON.stringify(res.json())).toContain(field);
    }
    expect(await snapshot(t.db.handle)).toEqual(before);

    const cleared = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/staff/${member.id}`,
      headers: admin.headers,
      payload: { email: null },
    });
    expect(cleared.statusCode, cleared.body).toBe(200);
    expect(cleared.json()).toMatchObject({ email: null, lang: 'sv' });
    const listed = await t.app.inject({ url: '/api/v1/staff', headers: admin.headers });
    expect(
      listed
        .json<{ items: Array<{ id: string; email: unknown }> }>()
        .items.find((s) => s.id === member.id),
    ).toMatchObject({ email: null, lang: 'sv' });
  });
});
