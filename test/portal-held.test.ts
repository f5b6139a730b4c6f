/**
 * The portal's marketing side (preference link, preference page, double opt-in sign-up) and a
 * person a legal hold keeps for another purpose (docs/permissions.md, docs/retention.md), through
 * the real HTTP app, a loopback SMTP server and real databases:
 *
 * - a preference link asked for with a held person's address, and a sign-up with it, are answered
 *   byte for byte as for an address nobody has, and nothing is mailed, stored or logged of them;
 * - a person held since their sign-up or since their preference link was mailed: the links do not
 *   work, an open preference session shows and changes nothing, nothing is recorded on them;
 * - a person whose address a hold keeps though a marketing purpose still sees other data of
 *   theirs gets no link at the held address;
 * - their one-click unsubscribe still records their "no";
 * - a data subject's request still reaches the held person (it is theirs to ask).
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.ts';
import { createRunner } from '../src/jobs/index.ts';
import { operator, type Actor } from '../src/lib/actor.ts';
import { parseDefinition } from '../src/modules/definition/loader.ts';
import { portalActor } from '../src/modules/requests/index.ts';
import { createServices, type Services } from '../src/services.ts';
import { createVault } from '../src/vault/vault.ts';
import { DATABASES, DEMO, openTestDatabase, openTestKeyStore } from './helpers.ts';

const PUBLIC = 'https://rekisteri.example.fi';
const WORDING = { text: 'Lähettäkää uutiskirje sähköpostiini.', language: 'fi' as const };

interface Received {
  rcpt: string[];
  mail: ParsedMail;
}

async function smtpServer() {
  const received: Received[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        simpleParser(Buffer.concat(chunks)).then(
          (mail) => {
            received.push({ rcpt: session.envelope.rcptTo.map((r) => r.address), mail });
            callback();
          },
          (err: Error) => callback(err),
        );
      });
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

describe.each(DATABASES)(
  'the portal’s marketing side and a person held for another purpose on %s',
  { timeout: 180_000 },
  (kind) => {
    const cleanup: Array<() => Promise<void>> = [];
    let smtp: Awaited<ReturnType<typeof smtpServer>>;
    let services: Services;
    let db: Awaited<ReturnType<typeof openTestDatabase>>;
    let app: FastifyInstance;
    let now = new Date('2290-03-02T10:00:00Z');
    const tag = randomBytes(4).toString('hex');
    // Held since the sweep of beforeAll: identity and contact kept for billing only.
    const heldEmail = `testi.pidossa.${tag}@example.fi`;
    let held = '';
    // Held only by a sweep during the tests (their relationship ended later).
    const laterEmail = `myohemmin.pidossa.${tag}@example.fi`;
    let later = '';
    // Their address kept for billing, their marketing choices still the newsletter's.
    const keptEmail = `osoite.pidossa.${tag}@example.fi`;
    let kept = '';
    // A newsletter subscriber nobody holds: the control that mail does get through.
    const liveEmail = `vilma.nakyva.${tag}@example.fi`;
    let live = '';
    const unknownEmail = `ei.ketaan.${tag}@example.org`;
    const marketer: Actor = {
      kind: 'api_key',
      id: '0190c6a4-1f2e-7b3c-8d4e-5f6a7b8c9d98',
      read: new Set(['newsletter']),
      write: new Set(['newsletter']),
      actions: new Set(['read', 'write']),
    };

    let ip = 0;
    const post = (url: string, payload: object, headers: Record<string, string> = {}) =>
      app.inject({
        method: 'POST',
        url: `/api/v1/portal/${url}`,
        payload,
        headers,
        remoteAddress: `198.51.100.${++ip}`,
      });
    const askLink = (email: string) => post('preferences/links', { email, lang: 'fi' });
    const signUp = (email: string) =>
      post('signups', {
        email,
        lang: 'fi',
        choices: [{ kind: 'newsletter', channel: 'email' }],
        wording: WORDING,
      });
    const signUpForm = (email: string) =>
      app.inject({
        method: 'POST',
        url: '/signup',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        remoteAddress: `198.51.100.${++ip}`,
        payload: new URLSearchParams({
          email,
          lang: 'fi',
          choice: 'newsletter:email',
          wording: WORDING.text,
        }).toString(),
      });
    /** Status, headers but the date and the request id, and the body's bytes. */
    const answer = (res: LightMyRequestResponse) => {
      const headers: Record<string, unknown> = { ...res.headers };
      delete headers.date;
      delete headers['x-request-id'];
      // Counters of the client address's requests, not of the answer.
      delete headers['x-ratelimit-remaining'];
      delete headers['x-ratelimit-reset'];
      return { status: res.statusCode, headers, body: res.rawPayload.toString('base64') };
    };
    /** Delivers everything the outbox holds through the loopback SMTP server. */
    const drain = async () => {
      const runner = createRunner({ db: db.handle.db, jobs: services.mail.jobs });
      for (let i = 0; i < 20; i++) {
        await sql`update jobs set run_at = now() where state = 'queued'`.execute(db.handle.db);
        if ((await runner.drainQueue()) === 0) {
          return;
        }
      }
    };
    const mailsTo = (email: string) => smtp.received.filter((r) => r.rcpt.includes(email));
    const subjectsOf = (email: string) => mailsTo(email).map((m) => m.mail.subject);
    const tokenIn = (m: Received | undefined, page: string) => {
      const found = new RegExp(`${PUBLIC}/${page}#token=([A-Za-z0-9_-]{43})`).exec(
        m?.mail.text ?? '',
      );
      expect(found, `a ${page} link in the mail`).not.toBeNull();
      return found![1]!;
    };
    const count = async (
      table: 'permission_links' | 'outbox' | 'permission_history' | 'audit_events',
      subjectId?: string,
    ) => {
      let q = db.handle.db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n'));
      if (subjectId !== undefined) {
        q = q.where('subject_id', '=', subjectId);
      }
      return Number((await q.executeTakeFirstOrThrow()).n);
    };
    /**
     * Everything of a person the portal could write, and the tables it writes unattached (the
     * outbox: mail waiting; delivered mail leaves it, so it is counted before each delivery).
     */
    const traces = async (subjectId: string) => ({
      links: await count('permission_links'),
      linksOfPerson: await count('permission_links', subjectId),
      outbox: await count('outbox'),
      ledger: await count('permission_history', subjectId),
      accessLog: await count('audit_events', subjectId),
    });
    const sessionHeaders = (res: LightMyRequestResponse) => ({
      cookie: String(res.headers['set-cookie']).split(';')[0]!,
    });
    /** A customer who ends the relationship at `endAt`; their orders are billing's from `billAt`. */
    const customer = async (email: string, endAt: string, billAt: string) => {
      const id = (
        await services.subjects.createSubject(operator, {
          purpose: 'customer_relationship',
          source: 'subject',
          values: {
            identity: { firstName: 'Testi', lastName: 'Asiakas' },
            contact: { email },
            orders: { orderCount: 1, paymentMethod: 'invoice' },
          },
        })
      ).id;
      return { id, endAt, billAt };
    };

    beforeAll(async () => {
      smtp = await smtpServer();
      cleanup.push(() => smtp.close());
      // Web analytics keeps its data for 20 years here (13 months in the demo): long enough to
      // outlive the customer relationship whose address a hold keeps.
      const demo = await readFile(DEMO, 'utf8');
      const analyticsRule = 'id: web_analytics\n      duration: P13M';
      expect(demo).toContain(analyticsRule);
      const register = parseDefinition(
        demo.replace(analyticsRule, 'id: web_analytics\n      duration: P20Y'),
      );
      db = await openTestDatabase(kind);
      const ks = await openTestKeyStore(kind);
      cleanup.push(
        () => db.dispose(),
        () => ks.dispose(),
      );
      services = createServices({
        database: db.handle,
        keys: ks.keys,
        register,
        vault: createVault(randomBytes(32)),
        clock: { now: () => now },
        publicUrl: PUBLIC,
        mail: { smtp: { url: smtp.url, from: 'Paahtimo Oy <tietosuoja@example.fi>' } },
      });
      app = await createApp(services);
      cleanup.push(() => app.close());
      const a = await customer(heldEmail, '2290-06-01T10:00:00Z', '2291-03-01T10:00:00Z');
      const b = await customer(laterEmail, '2295-06-01T10:00:00Z', '2294-03-01T10:00:00Z');
      const d = await customer(keptEmail, '2290-06-01T10:00:00Z', '2291-03-01T10:00:00Z');
      [held, later, kept] = [a.id, b.id, d.id];
      // The held and the later one said no to the newsletter by e-mail once; the kept one
      // allowed web analytics, whose data (no address in it) stays the analytics purpose's.
      for (const id of [held, later]) {
        await services.permissions.record(
          operator,
          id,
          [{ kind: 'newsletter', channel: 'email', state: 'refused' }],
          { method: 'api' },
        );
      }
      await services.permissions.record(
        operator,
        kept,
        [{ kind: 'profiling', channel: '*', state: 'granted' }],
        { method: 'form', wording: WORDING },
      );
      await services.subjects.updateSubject(operator, kept, {
        purpose: 'analytics',
        source: 'subject',
        values: { device: { userAgent: 'Mozilla/5.0 (X11; Linux x86_64)' } },
      });
      // In the order of time: relationships end, orders become billing's.
      const steps = [
        {
          at: a.endAt,
          run: () => services.retention.endRelationship(operator, held, 'customer_relationship'),
        },
        {
          at: d.endAt,
          run: () => services.retention.endRelationship(operator, kept, 'customer_relationship'),
        },
        {
          at: b.endAt,
          run: () => services.retention.endRelationship(operator, later, 'customer_relationship'),
        },
        ...[
          [held, a.billAt],
          [kept, d.billAt],
          [later, b.billAt],
        ].map(([id, at]) => ({
          at: at!,
          run: () =>
            services.subjects.updateSubject(operator, id!, {
              purpose: 'billing',
              source: 'subject',
              values: { orders: { orderCount: 2 } },
            }),
        })),
      ].sort((x, y) => x.at.localeCompare(y.at));
      for (const step of steps) {
        now = new Date(step.at);
        await step.run();
      }
      now = new Date('2297-01-02T10:00:00Z');
      await services.retention.sweep();
      live = (
        await services.subjects.createSubject(operator, {
          purpose: 'newsletter',
          source: 'subject',
          values: {
            identity: { firstName: 'Vilma', lastName: 'Näkyvä' },
            contact: { email: liveEmail },
          },
        })
      ).id;
      await services.permissions.record(
        operator,
        live,
        [{ kind: 'newsletter', channel: 'email', state: 'granted' }],
        { method: 'form', wording: WORDING },
      );
      // The held one: no marketing purpose sees them; the later one still everyone; the kept
      // one's address is billing's alone, their device data still web analytics'.
      const holds = async (id: string) =>
        (
          await sql<{ category: string; purpose: string }>`select distinct category, purpose
            from subject_category_holds where subject_id = ${id} order by category`.execute(
            db.handle.db,
          )
        ).rows;
      expect(await holds(held)).toEqual([
        { category: 'contact', purpose: 'billing' },
        { category: 'identity', purpose: 'billing' },
      ]);
      expect(await holds(kept)).toEqual(await holds(held));
      expect(await holds(later)).toEqual([]);
      await expect(services.permissions.stateOf(marketer, held)).rejects.toThrow(/no subject/);
      expect(
        await services.permissions.seesPerson({ ...marketer, read: new Set(['analytics']) }, kept),
      ).toBe(true);
      expect(await services.permissions.seesPerson(marketer, kept)).toBe(false);
      expect(await services.permissions.seesPerson(marketer, later)).toBe(true);
      await drain();
      expect(smtp.received).toEqual([]);
    }, 240_000);
    afterAll(async () => {
      for (const fn of cleanup.reverse()) {
        await fn();
      }
    });

    it('as an attacker: a preference link for a held person’s address is answered as for an unknown one; nothing mailed, stored or logged', async () => {
      const before = await traces(held);
      const h = await askLink(heldEmail);
      expect(await traces(held)).toEqual(before);
      const u = await askLink(unknownEmail);
      expect(h.statusCode).toBe(202);
      expect(answer(h)).toEqual(answer(u));
      expect(h.json()).toEqual({ status: 'sent' });
      await drain();
      expect(subjectsOf(heldEmail)).toEqual([]);
      expect(await traces(held)).toEqual(before);
      // Its formatting changed, the same.
      const upper = await askLink(heldEmail.toUpperCase());
      expect(answer(upper)).toEqual(answer(u));
      expect(await traces(held)).toEqual(before);
      await drain();
      expect(subjectsOf(heldEmail)).toEqual([]);
      expect(await traces(held)).toEqual(before);
      // The control: a person nobody holds gets the link, through the same SMTP server.
      expect((await askLink(liveEmail)).statusCode).toBe(202);
      await drain();
      expect(mailsTo(liveEmail).map((m) => m.mail.subject)).toHaveLength(1);
      tokenIn(mailsTo(liveEmail)[0], 'preferences');
    });

    it('as an attacker: a sign-up with a held address is answered as for a new one, on the API and the form; no mail, nothing stored, nothing of theirs changes', async () => {
      const history = await services.permissions.history(operator, held);
      const before = await traces(held);
      const h = await signUp(heldEmail);
      expect(await traces(held)).toEqual(before);
      const u = await signUp(unknownEmail);
      expect(h.statusCode).toBe(202);
      expect(answer(h)).toEqual(answer(u));
      const hf = await signUpForm(heldEmail);
      expect(await traces(held)).toEqual({
        ...before,
        links: before.links + 1,
        outbox: before.outbox + 1,
      });
      const uf = await signUpForm(`toinen.${unknownEmail}`);
      expect(hf.statusCode).toBe(200);
      expect(answer(hf)).toEqual(answer(uf));
      await drain();
      expect(subjectsOf(heldEmail)).toEqual([]);
      // The unknown addresses got their confirmation: the pipe works.
      expect(mailsTo(unknownEmail)).toHaveLength(1);
      // Only the two unknown addresses' sign-ups were kept (and mailed, the mail delivered).
      expect(await traces(held)).toEqual({ ...before, links: before.links + 2 });
      expect(await services.permissions.history(operator, held)).toEqual(history);
      // The address stays the held person's: nobody new has it.
      await expect(
        services.subjects.createSubject(operator, {
          purpose: 'newsletter',
          source: 'subject',
          values: { contact: { email: heldEmail } },
        }),
      ).rejects.toMatchObject({ code: 'conflict' });
    });

    it('an address a hold keeps gets no link even though web analytics still sees other data of theirs', async () => {
      const before = await traces(kept);
      const k = await askLink(keptEmail);
      const u = await askLink(unknownEmail);
      expect(answer(k)).toEqual(answer(u));
      const s = await signUp(keptEmail);
      expect(answer(s)).toEqual(answer(await signUp(`kolmas.${unknownEmail}`)));
      await drain();
      expect(subjectsOf(keptEmail)).toEqual([]);
      expect((await traces(kept)).linksOfPerson).toBe(before.linksOfPerson);
      expect((await traces(kept)).ledger).toBe(before.ledger);
    });

    it('an open preference session of a person erased meanwhile shows and changes nothing', async () => {
      const email = `poistuva.${tag}@example.fi`;
      const gone = (
        await services.subjects.createSubject(operator, {
          purpose: 'newsletter',
          source: 'subject',
          values: { contact: { email } },
        })
      ).id;
      expect((await askLink(email)).statusCode).toBe(202);
      await drain();
      const opened = await post('preferences/session', {
        token: tokenIn(mailsTo(email)[0], 'preferences'),
      });
      expect(opened.statusCode).toBe(200);
      const headers = sessionHeaders(opened);
      expect(
        (await app.inject({ method: 'GET', url: '/api/v1/portal/preferences', headers }))
          .statusCode,
      ).toBe(200);
      await services.subjects.eraseSubject(operator, gone);
      const shown = await app.inject({ method: 'GET', url: '/api/v1/portal/preferences', headers });
      expect(shown.statusCode).toBe(401);
      const changed = await app.inject({
        method: 'PUT',
        url: '/api/v1/portal/preferences',
        headers,
        payload: {
          changes: [{ kind: 'newsletter', channel: 'email', allow: true }],
          wording: WORDING,
        },
      });
      expect(changed.statusCode).toBe(401);
      expect(await count('permission_history', gone)).toBe(0);
    });

    it('the held person’s one-click unsubscribe still records their no', async () => {
      const token = services.unsubscribeLinks.issue({
        subjectId: held,
        purpose: 'b2b_marketing',
        channel: 'email',
      });
      const res = await app.inject({
        method: 'POST',
        url: `/u/${token}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'List-Unsubscribe=One-Click',
      });
      expect(res.statusCode).toBe(200);
      const last = (await services.permissions.history(operator, held)).at(-1)!;
      expect(last).toMatchObject({
        kind: 'direct_marketing',
        channel: 'email',
        state: 'refused',
        method: 'unsubscribe_link',
      });
    });

    it('a data subject’s access request still reaches the held person', async () => {
      expect(await services.subjects.matchForRequest(portalActor, { email: heldEmail })).toEqual([
        held,
      ]);
      const asked = await post('requests', { type: 'access', email: heldEmail, lang: 'fi' });
      expect(asked.statusCode).toBe(202);
      await drain();
      const mails = mailsTo(heldEmail);
      expect(mails).toHaveLength(1);
      const token = tokenIn(mails[0], 'requests/verify');
      const verified = await post('verify', { token });
      expect(verified.statusCode).toBe(200);
      const row = await db.handle.db
        .selectFrom('requests')
        .select('subject_id')
        .where('id', '=', verified.json<{ request: string }>().request)
        .executeTakeFirstOrThrow();
      expect(row.subject_id).toBe(held);
    });

    // Last: its sweep, a year on, erases the others' expired data.
    it('held since the links were mailed: the sign-up confirmation and the preference link do not work, an open session shows and changes nothing, nothing is recorded', async () => {
      // Their relationship's data expired on 1 June 2298 (legal claims' three years after it
      // ended); the sweep has not run since.
      now = new Date('2298-06-02T09:00:00Z');
      expect((await signUp(laterEmail)).statusCode).toBe(202);
      expect((await askLink(laterEmail)).statusCode).toBe(202);
      await drain();
      const confirmToken = tokenIn(
        mailsTo(laterEmail).find((m) => m.mail.text?.includes('/signup/confirm#')),
        'signup/confirm',
      );
      const sessionToken = tokenIn(
        mailsTo(laterEmail).find((m) => m.mail.text?.includes('/preferences#')),
        'preferences',
      );
      now = new Date('2298-06-02T09:01:00Z');
      expect((await askLink(laterEmail)).statusCode).toBe(202);
      await drain();
      const unusedToken = tokenIn(
        mailsTo(laterEmail)
          .filter((m) => m.mail.text?.includes('/preferences#'))
          .at(-1),
        'preferences',
      );
      expect(unusedToken).not.toBe(sessionToken);
      const opened = await post('preferences/session', { token: sessionToken });
      expect(opened.statusCode).toBe(200);
      const headers = sessionHeaders(opened);
      const page = () => app.inject({ method: 'GET', url: '/api/v1/portal/preferences', headers });
      const change = (h: Record<string, string> = headers) =>
        app.inject({
          method: 'PUT',
          url: '/api/v1/portal/preferences',
          headers: h,
          payload: {
            changes: [{ kind: 'newsletter', channel: 'email', allow: true }],
            wording: WORDING,
          },
        });
      // While nobody holds them, the page shows their refusal.
      expect((await page()).json<{ choices: unknown[] }>().choices).toContainEqual(
        expect.objectContaining({ kind: 'newsletter', channel: 'email', state: 'refused' }),
      );

      now = new Date('2298-06-02T09:05:00Z');
      await services.retention.sweep();
      await expect(services.permissions.stateOf(marketer, later)).rejects.toThrow(/no subject/);
      const history = await services.permissions.history(operator, later);
      const before = await traces(later);

      // The confirmation link: refused as a used or forged one, and nobody is created.
      const people = await services.subjects.countSubjects();
      const confirmed = await post('signups/confirm', { token: confirmToken });
      const forged = await post('signups/confirm', {
        token: randomBytes(32).toString('base64url'),
      });
      expect(confirmed.statusCode).toBe(404);
      expect(answer(confirmed)).toEqual(answer(forged));
      expect(answer(await post('signups/confirm', { token: confirmToken }))).toEqual(
        answer(forged),
      );
      expect(await services.subjects.countSubjects()).toBe(people);
      // The sealed address of the refused sign-up is not kept.
      expect(
        await db.handle.db
          .selectFrom('permission_links')
          .select('kind')
          .where('email_sealed', 'is not', null)
          .where('expires_at', '>', now)
          .where('used_at', 'is not', null)
          .execute(),
      ).toEqual([]);

      // The preference link mailed before: refused as a forged one.
      const late = await post('preferences/session', { token: unusedToken });
      const forgedSession = await post('preferences/session', {
        token: randomBytes(32).toString('base64url'),
      });
      expect(late.statusCode).toBe(404);
      expect(answer(late)).toEqual(answer(forgedSession));

      // The open session: as one that has ended.
      const ended = await app.inject({ method: 'GET', url: '/api/v1/portal/preferences' });
      const shown = await page();
      expect(shown.statusCode).toBe(401);
      expect(answer(shown)).toEqual(answer(ended));
      const changed = await change();
      expect(changed.statusCode).toBe(401);
      expect(answer(changed)).toEqual(answer(await change({})));

      await drain();
      // Nothing mailed, logged or recorded of them; the refused sign-up's row is gone.
      expect(await traces(later)).toEqual({ ...before, links: before.links - 1 });
      expect(await services.permissions.history(operator, later)).toEqual(history);
      expect(history.map((h) => h.state)).toEqual(['refused']);
    });
  },
);
