/**
 * Telling people of a material change of the privacy notice (docs/notice.md), through a real SMTP
 * server on loopback, on each database: a version that changed nothing material is refused naming
 * `version`; a material one mails every person with an active relationship and an address once, in
 * their language, with the link to the notice; erased, restricted, ended and address-less people
 * get nothing; a second run mails nobody again; the access log has counts, no one's address.
 *
 * And the permission ledger: each change records the published notice version in force when it
 * was given (none before the first), shown in the history and the consent receipts.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { createRunner } from '../src/jobs/index.ts';
import { operator } from '../src/lib/actor.ts';
import type { Register, RegisterDefinition } from '../src/modules/definition/index.ts';
import { createNoticeAnnouncements, createNoticeVersions } from '../src/modules/notice/index.ts';
import { newStaffSession, newSubjectVia, type StaffSession } from './factories.ts';
import { createTestContext, DATABASES, DEMO, type TestContext } from './helpers.ts';

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

const WORDING = { text: 'Saa lähettää uutiskirjeen sähköpostiini.', language: 'fi' as const };

describe.each(DATABASES)(
  'telling people of a notice change on %s',
  { timeout: 180_000 },
  (kind) => {
    let t: TestContext;
    let smtp: Awaited<ReturnType<typeof smtpServer>>;
    let admin: StaffSession;
    let dpo: StaffSession;

    /** A version published from a definition other than the one running (an earlier register). */
    const publishFrom = async (change: (d: RegisterDefinition) => void, digest: string) => {
      const definition = structuredClone(t.register.definition);
      change(definition);
      const other = { ...t.register, definition, digest } as Register;
      return createNoticeVersions({
        db: t.db.handle.db,
        register: other,
        audit: t.services.audit,
        clock: t.services.clock,
        markdown: (lang) => Promise.resolve(`# ${lang}`),
      }).publish(operator, { date: '2026-02-01' });
    };
    const announce = (version: number, headers = admin.headers) =>
      t.app.inject({
        method: 'POST',
        url: `/api/v1/notice/versions/${version}/announce`,
        headers,
      });
    /** Runs the announcement's batches and the mail deliveries until nothing is queued. */
    const drain = async () => {
      const runner = createRunner({
        db: t.db.handle.db,
        jobs: [...t.services.noticeAnnouncements.jobs, ...t.services.mail.jobs],
      });
      for (let i = 0; i < 50; i++) {
        await sql`update jobs set run_at = now() where state = 'queued'`.execute(t.db.handle.db);
        if ((await runner.drainQueue()) === 0) {
          return;
        }
      }
    };
    const mailsTo = (email: string) => smtp.received.filter((r) => r.rcpt.includes(email));
    const person = async (name: string, opts: { language?: string; email?: boolean } = {}) => {
      const email = `${name.toLowerCase()}.${Math.random().toString(36).slice(2, 8)}@example.com`;
      const p = await newSubjectVia(t.services, {
        values: {
          identity: { firstName: 'Testi', lastName: name },
          contact: {
            ...(opts.email === false ? { phone: '040 1234567' } : { email }),
            ...(opts.language ? { language: opts.language } : {}),
          },
        },
      });
      return { id: p.id, email };
    };

    beforeAll(async () => {
      smtp = await smtpServer();
      // Two people a batch: the people below take several batches.
      t = await createTestContext(kind, DEMO, {
        smtp: { url: smtp.url, from: 'Paahtimo Oy <tietosuoja@example.fi>' },
        noticeAnnounceBatch: 2,
      });
      admin = await newStaffSession(t, 'admin');
      dpo = await newStaffSession(t, 'dpo');
    });
    afterAll(async () => {
      await t?.close();
      await smtp?.close();
    });

    it('records in the ledger which published notice was in force, none before the first', async () => {
      const p = await person('Luvallinen');
      const grant = (givenAt?: string) =>
        t.services.permissions.record(
          operator,
          p.id,
          [{ kind: 'newsletter', channel: 'email', state: 'granted' }],
          { method: 'form', wording: WORDING, ...(givenAt ? { givenAt } : {}) },
        );
      const before = await grant();
      expect(before.recorded[0]?.noticeVersion).toBeNull();
      const receipt0 = await t.services.permissions.consentReceipts(operator, p.id, 'fi');
      expect(receipt0[0]?.policyUrl).toBe(`${t.services.publicUrl}/notice`);
      // Version 1 published; a consent given now is under it, one dated before it under none.
      const v1 = await publishFrom(
        (d) => (d.retention.rules[0]!.duration = 'P99Y'),
        'a'.repeat(64),
      );
      expect(v1.version).toBe(1);
      // The first version changed nothing anyone was told before: there is nothing to announce.
      const first = await announce(1);
      expect(first.statusCode, first.body).toBe(409);
      expect(first.json<{ errors: Array<{ field: string }> }>().errors[0]?.field).toBe('version');
      const now = await grant();
      expect(now.recorded[0]?.noticeVersion).toBe('1');
      // The receipt of that consent points at the notice as version 1 read.
      const receipts = await t.services.permissions.consentReceipts(operator, p.id, 'fi');
      expect(receipts[0]?.policyUrl).toBe(`${t.services.publicUrl}/api/v1/notice/versions/1`);
      const earlier = await grant(new Date(Date.parse(v1.publishedAt) - 60_000).toISOString());
      expect(earlier.recorded[0]?.noticeVersion).toBeNull();
      // The history over HTTP shows it.
      const history = await t.app.inject({
        url: `/api/v1/subjects/${p.id}/permissions`,
        headers: admin.headers,
      });
      expect(history.statusCode, history.body).toBe(200);
      expect(
        history
          .json<{ history: Array<{ noticeVersion: string | null }> }>()
          .history.map((h) => h.noticeVersion),
      ).toEqual(expect.arrayContaining([null, '1']));
      // A version other than the one in force is refused, naming the field; nothing is written.
      const rows = (await t.services.permissions.history(operator, p.id)).length;
      await expect(
        t.services.permissions.record(
          operator,
          p.id,
          [{ kind: 'newsletter', channel: 'email', state: 'withdrawn' }],
          { method: 'staff', noticeVersion: '2' },
        ),
      ).rejects.toMatchObject({ issues: [{ field: 'evidence.noticeVersion' }] });
      expect((await t.services.permissions.history(operator, p.id)).length).toBe(rows);
      // Given as the one in force, it is taken.
      const withdrawn = await t.services.permissions.record(
        operator,
        p.id,
        [{ kind: 'newsletter', channel: 'email', state: 'withdrawn' }],
        { method: 'staff', noticeVersion: '1' },
      );
      expect(withdrawn.recorded[0]?.noticeVersion).toBe('1');
    });

    it('refuses a version that changed nothing material, and one not the latest', async () => {
      // Version 2: the definition running now, whose retention differs from version 1's.
      const published = await t.app.inject({
        method: 'POST',
        url: '/api/v1/notice/versions',
        headers: admin.headers,
        payload: { date: '2026-03-01' },
      });
      expect(published.statusCode, published.body).toBe(201);
      // Version 2 is told of (the retention changed since version 1).
      const told2 = await announce(2);
      expect(told2.statusCode, told2.body).toBe(202);
      expect(told2.json<{ sinceVersion: number }>().sinceVersion).toBe(1);
      await drain();
      const sent = smtp.received.length;
      // Version 3: only the security statements differ from version 2: not material.
      const v3 = await publishFrom((d) => (d.security = []), 'b'.repeat(64));
      expect(v3.version).toBe(3);
      const same = await announce(3);
      expect(same.statusCode, same.body).toBe(409);
      expect(same.json<{ errors: Array<{ field: string }> }>().errors[0]?.field).toBe('version');
      expect(same.json<{ detail: string }>().detail).toContain(
        'changed nothing material since version 2',
      );
      const old = await announce(2);
      expect(old.statusCode).toBe(409);
      expect(old.json<{ detail: string }>().detail).toContain('not the latest');
      const missing = await announce(99);
      expect(missing.statusCode).toBe(404);
      const bad = await t.app.inject({
        method: 'POST',
        url: '/api/v1/notice/versions/first/announce',
        headers: admin.headers,
      });
      expect(bad.statusCode).toBe(400);
      // The DPO may not (manage_definition); an unknown key in the body is refused.
      expect((await announce(3, dpo.headers)).statusCode).toBe(403);
      const strict = await t.app.inject({
        method: 'POST',
        url: '/api/v1/notice/versions/3/announce',
        headers: admin.headers,
        payload: { everyone: true },
      });
      expect(strict.statusCode).toBe(400);
      const runs = await t.db.handle.db
        .selectFrom('notice_announcements')
        .select('version')
        .execute();
      expect(runs).toEqual([{ version: 2 }]);
      expect(smtp.received.length).toBe(sent);
    });

    it('mails each person with an active relationship once, in their language; nobody twice', async () => {
      const fi = await person('Suomalainen', { language: 'fi' });
      const sv = await person('Svensson', { language: 'sv' });
      const plain = await person('Kieleton');
      const erased = await person('Poistettu');
      const ended = await person('Paattynyt');
      const restricted = await person('Rajoitettu');
      const noEmail = await person('Osoitteeton', { email: false });
      await t.services.subjects.eraseSubject(operator, erased.id);
      await t.services.retention.endRelationship(operator, ended.id, 'customer_relationship');
      await t.services.subjects.setRestriction(operator, restricted.id, 'accuracy contested');
      // Version 4: the retention changes again (from version 3's): material.
      await publishFrom((d) => (d.retention.rules[0]!.duration = 'P7Y'), 'c'.repeat(64));
      const started = await announce(4);
      expect(started.statusCode, started.body).toBe(202);
      const run = started.json<{
        id: string;
        eligible: number;
        mailed: number;
        finishedAt: null;
      }>();
      expect(run).toMatchObject({ mailed: 0, finishedAt: null });
      // A second start while the first is running is refused.
      const twice = await announce(4);
      expect(twice.statusCode).toBe(409);
      expect(twice.json<{ errors: Array<{ field: string }> }>().errors[0]?.field).toBe('version');
      await drain();

      for (const who of [fi, sv, plain]) {
        expect(mailsTo(who.email), who.email).toHaveLength(1);
      }
      for (const who of [erased, ended, restricted]) {
        expect(mailsTo(who.email), who.email).toHaveLength(0);
      }
      const fiMail = mailsTo(fi.email)[0]!.mail;
      expect(fiMail.subject).toBe('Tietosuojaselosteemme on muuttunut');
      expect(fiMail.text).toContain('versio 4, päivätty 2026-02-01');
      // In words, only what changed (the retention), and the link to version 4 as published.
      expect(fiMail.text).toContain('- säilytysajat: kuinka kauan säilytämme tietoja');
      expect(fiMail.text).not.toContain('käyttötarkoitukset:');
      expect(fiMail.text).not.toContain('vastaanottajat:');
      expect(fiMail.text).toContain(`${t.services.publicUrl}/fi/notice/versions/4\n`);
      const svMail = mailsTo(sv.email)[0]!.mail;
      expect(svMail.subject).toBe('Vi har ändrat vår dataskyddsbeskrivning');
      expect(svMail.text).toContain('- lagringstiderna: hur länge vi sparar uppgifterna');
      expect(svMail.text).toContain(`${t.services.publicUrl}/sv/notice/versions/4\n`);
      expect(svMail.html).toContain(`href="${t.services.publicUrl}/sv/notice/versions/4"`);
      // No language of their own: the notice's main language (the demo's is Finnish).
      expect(mailsTo(plain.email)[0]!.mail.text).toContain(
        `${t.services.publicUrl}/fi/notice/versions/4\n`,
      );
      // The person without an address is not among those told.
      const told = await t.db.handle.db
        .selectFrom('notice_announced')
        .select('subject_id')
        .where('version', '=', 4)
        .execute();
      const toldIds = told.map((r) => r.subject_id);
      expect(toldIds).toEqual(expect.arrayContaining([fi.id, sv.id, plain.id]));
      for (const id of [erased.id, ended.id, restricted.id, noEmail.id]) {
        expect(toldIds).not.toContain(id);
      }

      const list = await t.app.inject({
        url: '/api/v1/notice/announcements?version=4',
        headers: admin.headers,
      });
      expect(list.statusCode, list.body).toBe(200);
      const [done] = list.json<{ announcements: Array<Record<string, unknown>> }>().announcements;
      expect(done).toMatchObject({ id: run.id, version: 4, mailed: toldIds.length });
      expect(done?.finishedAt).not.toBeNull();
      expect(
        (await t.app.inject({ url: '/api/v1/notice/announcements', headers: dpo.headers }))
          .statusCode,
      ).toBe(403);

      // Run again: nobody is mailed a second time.
      const sent = smtp.received.length;
      const again = await announce(4);
      expect(again.statusCode, again.body).toBe(202);
      expect(again.json<{ eligible: number }>().eligible).toBe(0);
      await drain();
      expect(smtp.received.length).toBe(sent);
      // A person who joins later is told by a later run, once.
      const late = await person('Myohainen', { language: 'en' });
      expect((await announce(4)).statusCode).toBe(202);
      await drain();
      expect(mailsTo(late.email)).toHaveLength(1);
      expect(mailsTo(late.email)[0]!.mail.subject).toBe('We have changed our privacy notice');
      expect(smtp.received.length).toBe(sent + 1);

      // The access log has the counts; neither it nor the server's log names anyone's address.
      const log = await t.services.audit.list({ limit: 200 });
      const finishes = log.filter((e) => e.action === 'notice.announce_finish');
      expect(finishes.map((e) => (e as { data?: unknown }).data)).toEqual(
        expect.arrayContaining([
          { version: 4, mailed: toldIds.length, skipped: 0 },
          { version: 4, mailed: 0, skipped: 0 },
        ]),
      );
      expect(log.some((e) => e.action === 'notice.announce')).toBe(true);
      const logged = JSON.stringify(t.auditLog) + JSON.stringify(finishes);
      for (const who of [fi, sv, plain, late]) {
        expect(logged).not.toContain(who.email);
      }
    });

    it('says in words which of the purposes, bases, recipients, transfers and retention changed, and links to the version as published', async () => {
      // Version 5: b2b marketing's legitimate interest (its basis) and a recipient's name change.
      await publishFrom((d) => {
        d.retention.rules[0]!.duration = 'P7Y';
        const b2b = d.purposes.find((p) => p.id === 'b2b_marketing')!;
        b2b.legitimateInterest = {
          sv: 'Ett nytt intresse.',
          fi: 'Uusi etu.',
          en: 'A new interest.',
        };
        d.recipients[0]!.name = {
          sv: 'Toinen Toimittaja Oy',
          fi: 'Toinen Toimittaja Oy',
          en: 'Toinen Toimittaja Oy',
        };
      }, 'f'.repeat(64));
      const en = await person('Englanti', { language: 'en' });
      const started = await announce(5);
      expect(started.statusCode, started.body).toBe(202);
      expect(started.json<{ sinceVersion: number }>().sinceVersion).toBe(4);
      await drain();
      const mail = mailsTo(en.email)[0]!.mail;
      expect(mail.text).toContain('version 5, dated 2026-02-01');
      expect(mail.text).toContain('- the legal bases: why we may process the data');
      expect(mail.text).toContain(
        '- the recipients: to whom we disclose the data, or who processes it for us',
      );
      // Not what did not change since version 4 (the purposes themselves, transfers, retention).
      expect(mail.text).not.toContain('the purposes:');
      expect(mail.text).not.toContain('the transfers');
      expect(mail.text).not.toContain('the retention');
      const link = `${t.services.publicUrl}/en/notice/versions/5`;
      expect(mail.text).toContain(`Read the notice as version 5 says it:\n${link}\n`);

      // The link opens version 5 as it was published (frozen: "# en" here), in English, with a
      // line saying which version it is and a link to the notice in force; no sign-in.
      const page = await t.app.inject({ url: '/en/notice/versions/5' });
      expect(page.statusCode, page.body).toBe(200);
      expect(page.headers['content-type']).toContain('text/html');
      expect(page.body).toContain('<html lang="en">');
      expect(page.body).toContain('<h1>en</h1>');
      expect(page.body).toContain(
        'This is version 5 of the privacy notice, dated 2026-02-01, as it was published.',
      );
      expect(page.body).toContain('href="/en/notice"');
      expect(page.body).toContain('href="/fi/notice/versions/5"');
      expect(page.body).not.toContain('<script');
      const fi = await t.app.inject({ url: '/fi/notice/versions/5' });
      expect(fi.body).toContain('Tämä on tietosuojaselosteen versio 5, päivätty 2026-02-01');
    });

    it('shows a published version as it was frozen, and refuses a bad or unknown one', async () => {
      // Version 2 was published from the definition running now: its page says what the live
      // notice says, section by section.
      const live = await t.app.inject({ url: '/fi/notice' });
      const frozen = await t.app.inject({ url: '/fi/notice/versions/2' });
      expect(frozen.statusCode, frozen.body).toBe(200);
      const headings = (html: string) =>
        [...html.matchAll(/<h([1-3])>([^<]*)<\/h\1>/g)].map((m) => m[2]);
      expect(headings(live.body).length).toBeGreaterThan(10);
      expect(headings(frozen.body)).toEqual(headings(live.body));
      const text = (html: string) =>
        html
          .replace(/<style>[\s\S]*?<\/style>/, '')
          .replace(/<[^>]+>/g, ' ')
          .replace(/\s+/g, ' ');
      // Every term of the live page's lists is there, as text (no Markdown escapes left).
      const terms = [...live.body.matchAll(/<dt>([^<]*)<\/dt>/g)].map((m) => m[1]!);
      expect(terms.length).toBeGreaterThan(10);
      for (const term of terms) {
        expect(frozen.body, term).toContain(`<dt>${term}</dt>`);
      }
      expect(text(frozen.body)).not.toMatch(/\\[-*_#.[\]()|<>]/);
      // One date of the version, labelled as on the notice page: not the definition's beside it.
      expect(frozen.body).toContain('<dt>Voimassa alkaen</dt>');
      expect(frozen.body).not.toContain('<dt>Päivätty</dt>');
      // Bad input: a version that is not a number is refused naming it; an unknown one is 404.
      const bad = await t.app.inject({ url: '/fi/notice/versions/latest' });
      expect(bad.statusCode).toBe(400);
      expect(bad.body).toContain('version');
      const none = await t.app.inject({ url: '/fi/notice/versions/999' });
      expect(none.statusCode).toBe(404);
      expect(none.body).toContain('version');
      const zero = await t.app.inject({ url: '/fi/notice/versions/0' });
      expect(zero.statusCode).toBe(400);
    });

    it('writes the mail only in a language the register publishes: the person’s own if published, else the register’s first', async () => {
      const sv = await person('Ruotsalainen', { language: 'sv' });
      const en = await person('Englantilainen', { language: 'en' });
      const fi = await person('Suomenkielinen', { language: 'fi' });
      const plain = await person('Kieleton');
      /** Announces a new material version with the running register publishing `languages`. */
      const announceAs = async (
        languages: Register['languages'],
        duration: string,
        digest: string,
      ) => {
        // Published from the demo's definition: in Finnish, Swedish and English.
        const v = await publishFrom((d) => (d.retention.rules[0]!.duration = duration), digest);
        const announcer = createNoticeAnnouncements({
          db: t.db.handle.db,
          register: { ...t.register, languages },
          audit: t.services.audit,
          clock: t.services.clock,
          versions: t.services.noticeVersions,
          mail: t.services.mail,
          contactOf: t.services.subjects.contactOf,
          publicUrl: t.services.publicUrl,
          batchSize: 2,
        });
        await announcer.start(operator, v.version);
        const runner = createRunner({
          db: t.db.handle.db,
          jobs: [...announcer.jobs, ...t.services.mail.jobs],
        });
        for (let i = 0; i < 50; i++) {
          await sql`update jobs set run_at = now() where state = 'queued'`.execute(t.db.handle.db);
          if ((await runner.drainQueue()) === 0) {
            break;
          }
        }
        return v.version;
      };
      // A version before them, so that each is a change (when this test runs alone).
      await publishFrom((d) => (d.retention.rules[0]!.duration = 'P10Y'), '0'.repeat(64));
      const lastTo = (email: string) => mailsTo(email).at(-1)!.mail;
      const subjects = {
        fi: 'Tietosuojaselosteemme on muuttunut',
        sv: 'Vi har ändrat vår dataskyddsbeskrivning',
        en: 'We have changed our privacy notice',
      };
      // A register publishing only Finnish: everyone in Finnish, linked to the Finnish version,
      // whatever language they chose; no Swedish or English text reaches anyone.
      const only = await announceAs(['fi'], 'P11Y', '1'.repeat(64));
      for (const who of [sv, en, fi, plain]) {
        const mail = lastTo(who.email);
        expect(mail.subject, who.email).toBe(subjects.fi);
        expect(mail.text).toContain(`${t.services.publicUrl}/fi/notice/versions/${only}\n`);
        expect(mail.text).not.toContain('/sv/');
        expect(mail.text).not.toContain('/en/');
      }
      // A register publishing Swedish and English (Swedish first): the Finnish speaker and the one
      // with no language get Swedish; the English speaker English.
      const two = await announceAs(['sv', 'en'], 'P12Y', '2'.repeat(64));
      for (const [who, lang] of [
        [sv, 'sv'],
        [en, 'en'],
        [fi, 'sv'],
        [plain, 'sv'],
      ] as const) {
        const mail = lastTo(who.email);
        expect(mail.subject, who.email).toBe(subjects[lang]);
        expect(mail.text).toContain(`${t.services.publicUrl}/${lang}/notice/versions/${two}\n`);
      }
      for (const who of [sv, en, fi, plain]) {
        expect(mailsTo(who.email), who.email).toHaveLength(2);
      }
    });
  },
);

describe.each(DATABASES)(
  'announcing a change that was never told, a run that cannot finish, a batch run twice on %s',
  { timeout: 180_000 },
  (kind) => {
    let t: TestContext;
    let smtp: Awaited<ReturnType<typeof smtpServer>>;
    let admin: StaffSession;
    let dir: string;
    const publishFrom = async (change: (d: RegisterDefinition) => void, digest: string) => {
      const definition = structuredClone(t.register.definition);
      change(definition);
      const other = { ...t.register, definition, digest } as Register;
      return createNoticeVersions({
        db: t.db.handle.db,
        register: other,
        audit: t.services.audit,
        clock: t.services.clock,
        markdown: (lang) => Promise.resolve(`# ${lang} ${digest}`),
      }).publish(operator, { date: '2026-02-01' });
    };
    const announce = (version: number) =>
      t.app.inject({
        method: 'POST',
        url: `/api/v1/notice/versions/${version}/announce`,
        headers: admin.headers,
      });
    const drain = async () => {
      const runner = createRunner({
        db: t.db.handle.db,
        jobs: [...t.services.noticeAnnouncements.jobs, ...t.services.mail.jobs],
      });
      for (let i = 0; i < 50; i++) {
        await sql`update jobs set run_at = now() where state = 'queued'`.execute(t.db.handle.db);
        if ((await runner.drainQueue()) === 0) {
          return;
        }
      }
    };
    const queuedBatches = async (id: string) =>
      (
        await sql<{ n: number }>`select count(*)::int n from jobs where name = 'notice.announce'
          and state = 'queued' and payload->>'announcementId' = ${id}`.execute(t.db.handle.db)
      ).rows[0]!.n;
    const emails: string[] = [];
    const renamed = (d: RegisterDefinition) => {
      const n = d.register.name as unknown as Record<string, string>;
      for (const k of Object.keys(n)) {
        n[k] = `${n[k]} (uusi)`;
      }
    };

    beforeAll(async () => {
      smtp = await smtpServer();
      t = await createTestContext(kind, DEMO, {
        smtp: { url: smtp.url, from: 'Paahtimo Oy <tietosuoja@example.fi>' },
        noticeAnnounceBatch: 2,
      });
      admin = await newStaffSession(t, 'admin');
      for (let i = 0; i < 5; i++) {
        const email = `p${i}.${Math.random().toString(36).slice(2, 8)}@example.com`;
        emails.push(email);
        await newSubjectVia(t.services, {
          values: { identity: { firstName: 'Testi', lastName: `P${i}` }, contact: { email } },
        });
      }
    });
    afterAll(async () => {
      await t?.close();
      await smtp?.close();
      if (dir) {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('a material change not yet told is told with the next version, even one of wording only', async () => {
      const demoName = (d: RegisterDefinition) => {
        d.register.name = structuredClone(
          (parse(readFileSync(DEMO, 'utf8')) as RegisterDefinition).register.name,
        );
      };
      await publishFrom((d) => {
        demoName(d);
        d.retention.rules[0]!.duration = 'P99Y';
      }, 'a'.repeat(64));
      // Version 2 changes the retention (material) and is not told of; version 3 only the name.
      await publishFrom((d) => {
        demoName(d);
        d.retention.rules[0]!.duration = 'P1Y';
      }, 'b'.repeat(64));
      await publishFrom((d) => {
        demoName(d);
        renamed(d);
        d.retention.rules[0]!.duration = 'P1Y';
      }, 'c'.repeat(64));
      const old = await announce(2);
      expect(old.statusCode).toBe(409);
      expect(old.json<{ detail: string }>().detail).toContain('not the latest');
      const r3 = await announce(3);
      expect(r3.statusCode, r3.body).toBe(202);
      expect(r3.json<{ sinceVersion: number }>().sinceVersion).toBe(1);
      await drain();
      // Everyone is told, and the mail names the retention, changed by version 2.
      for (const e of emails) {
        const got = smtp.received.filter((r) => r.rcpt.includes(e));
        expect(got, e).toHaveLength(1);
        expect(got[0]!.mail.text).toContain('versio 3');
        expect(got[0]!.mail.text).toContain('säilytysajat: kuinka kauan säilytämme tietoja');
      }
      // Version 4, wording only since version 3 (now told of): nothing to tell, naming version 3.
      await publishFrom((d) => {
        demoName(d);
        renamed(d);
        renamed(d);
        d.retention.rules[0]!.duration = 'P1Y';
      }, 'd'.repeat(64));
      const r4 = await announce(4);
      expect(r4.statusCode).toBe(409);
      expect(r4.json<{ errors: Array<{ field: string }> }>().errors[0]?.field).toBe('version');
      expect(r4.json<{ detail: string }>().detail).toContain(
        'changed nothing material since version 3',
      );
    });

    it('a batch run twice at once mails nobody twice and queues one next batch, not two', async () => {
      const v5 = await publishFrom((d) => (d.retention.rules[0]!.duration = 'P7Y'), 'e'.repeat(64));
      // A run still going has not told anyone of version 5 yet: it is compared with version 3.
      const started = await announce(v5.version);
      expect(started.statusCode, started.body).toBe(202);
      const run = started.json<{ id: string; sinceVersion: number }>();
      expect(run.sinceVersion).toBe(3);
      const outbox = async () =>
        (await sql<{ n: number }>`select count(*)::int n from outbox`.execute(t.db.handle.db))
          .rows[0]!.n;
      const before = await outbox();
      expect(await queuedBatches(run.id)).toBe(1);
      await Promise.all([
        t.services.noticeAnnouncements.runBatch(run.id),
        t.services.noticeAnnouncements.runBatch(run.id),
      ]);
      const told = await t.db.handle.db
        .selectFrom('notice_announced')
        .select('subject_id')
        .where('announcement_id', '=', run.id)
        .execute();
      expect(told.length).toBeGreaterThan(0);
      expect((await outbox()) - before).toBe(told.length);
      // The job start queued, and the one next batch of whichever batch moved the run on.
      expect(await queuedBatches(run.id)).toBe(2);
      // Those two (each reading where the run stands) end in one finished run; everyone once.
      await drain();
      const done = await t.db.handle.db
        .selectFrom('notice_announcements')
        .selectAll()
        .where('id', '=', run.id)
        .executeTakeFirstOrThrow();
      expect(done.finished_at).not.toBeNull();
      expect(Number(done.mailed)).toBe(emails.length);
      const finishes = (await t.services.audit.list({ limit: 500 })).filter(
        (e) =>
          e.action === 'notice.announce_finish' &&
          (e as { data?: { version?: number } }).data?.version === v5.version,
      );
      expect(finishes).toHaveLength(1);
    });

    it('skips a person whose mail is refused and finishes; a run whose job gave up no longer blocks', async () => {
      // A register whose name the mail template refuses (over 200 characters).
      const d = parse(await readFile(DEMO, 'utf8')) as {
        register: { name: Record<string, string> };
      };
      for (const k of Object.keys(d.register.name)) {
        d.register.name[k] = 'Asiakasrekisteri '.repeat(13);
      }
      dir = await mkdtemp(join(tmpdir(), 'announce-'));
      await writeFile(join(dir, 'register.yaml'), stringify(d));
      const main = { t, admin, emails: [...emails] };
      t = await createTestContext(kind, join(dir, 'register.yaml'), {
        smtp: { url: smtp.url, from: 'Paahtimo Oy <tietosuoja@example.fi>' },
        noticeAnnounceBatch: 2,
      });
      try {
        admin = await newStaffSession(t, 'admin');
        emails.length = 0;
        for (let i = 0; i < 3; i++) {
          const email = `long${i}.${Math.random().toString(36).slice(2, 8)}@example.com`;
          emails.push(email);
          await newSubjectVia(t.services, {
            values: { identity: { firstName: 'Testi', lastName: `L${i}` }, contact: { email } },
          });
        }
        await publishFrom((x) => (x.retention.rules[0]!.duration = 'P99Y'), 'f'.repeat(64));
        // Version 2 carries the register's own name: longer than the mail template takes.
        const v6 = await t.app.inject({
          method: 'POST',
          url: '/api/v1/notice/versions',
          headers: admin.headers,
          payload: { date: '2026-03-01' },
        });
        expect(v6.statusCode, v6.body).toBe(201);
        const version = v6.json<{ version: number }>().version;
        const sent = smtp.received.length;
        const started = await announce(version);
        expect(started.statusCode, started.body).toBe(202);
        const id = started.json<{ id: string }>().id;
        await drain();
        const list = await t.app.inject({
          url: `/api/v1/notice/announcements?version=${version}`,
          headers: admin.headers,
        });
        const [run] = list.json<{ announcements: Array<Record<string, unknown>> }>().announcements;
        expect(run).toMatchObject({ id, mailed: 0, skipped: emails.length, failedAt: null });
        expect(run?.finishedAt).not.toBeNull();
        expect(smtp.received.length).toBe(sent);
        // Nobody is recorded as told: a later run (after the name is fixed) reaches them.
        const told = await t.db.handle.db
          .selectFrom('notice_announced')
          .select('subject_id')
          .where('version', '=', version)
          .execute();
        expect(told).toEqual([]);
        // The access log counts them and names the refused field; no one's address anywhere.
        const log = await t.services.audit.list({ limit: 500 });
        const skips = log
          .filter((e) => e.action === 'notice.announce_skip')
          .map((e) => e.data as { skipped: number; fields: string[] } | null);
        expect(skips.reduce((n, d) => n + (d?.skipped ?? 0), 0)).toBe(emails.length);
        expect(skips.every((d) => d?.fields.includes('data.register'))).toBe(true);
        const logged = JSON.stringify(t.auditLog) + JSON.stringify(log);
        for (const e of emails) {
          expect(logged).not.toContain(e);
        }

        // A run whose job failed for good (simulated: the job marked failed, as the runner does
        // after the last attempt) is ended as failed by the next start, which is taken.
        const second = await announce(version);
        expect(second.statusCode, second.body).toBe(202);
        const secondId = second.json<{ id: string }>().id;
        expect(await queuedBatches(secondId)).toBe(1);
        await sql`update jobs set state = 'failed' where payload->>'announcementId' = ${secondId}`.execute(
          t.db.handle.db,
        );
        const third = await announce(version);
        expect(third.statusCode, third.body).toBe(202);
        const runs = await t.services.noticeAnnouncements.list(operator, version);
        const failed = runs.find((r) => r.id === secondId);
        expect(failed?.failedAt).not.toBeNull();
        expect(failed?.finishedAt).not.toBeNull();
        expect(log.length).toBeGreaterThan(0);
        const after = await t.services.audit.list({ limit: 500 });
        expect(after.some((e) => e.action === 'notice.announce_fail')).toBe(true);
        // The new run compares with version 1 (a run of version 2 is not one before it).
        expect(runs.find((r) => r.id !== secondId && r.finishedAt === null)?.sinceVersion).toBe(1);
      } finally {
        await t.close();
        ({ t, admin } = main);
        emails.splice(0, emails.length, ...main.emails);
      }
    });
  },
);
