/**
 * The person's own side of the permission ledger, through the real HTTP app on real databases:
 * the one-click unsubscribe (RFC 8058) withdraws with no cookie and the permission check then says
 * no, while its GET page, a tampered or foreign token and a wrong body change nothing (a GET of a
 * link that does not open says so, with no button), a repeat is
 * harmless and the token never reaches the server log; the preference page's link answers the
 * same for every address, opens a person session once, and the page's changes are recorded at
 * once with their wording; the double opt-in sign-up answers the same for a known, a new and an
 * erased person's address, records pending, and its mailed link grants. Mail is read from the
 * outbox, opened with the test's keys.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, loggerOptions } from '../src/app.ts';
import { operator, system } from '../src/lib/actor.ts';
import { TEMPLATES, type TemplateName } from '../src/mail/index.ts';
import type { Locale } from '../src/mail/templates.ts';
import { loadDefinition } from '../src/modules/definition/loader.ts';
import { createUnsubscribeLinks } from '../src/modules/permissions/index.ts';
import { createServices, type Services } from '../src/services.ts';
import { createVault, type Vault } from '../src/vault/vault.ts';
import { newSubjectVia } from './factories.ts';
import {
  DATABASES,
  DEMO,
  openTestDatabase,
  openTestKeyStore,
  type TestDatabase,
} from './helpers.ts';

const PUBLIC = 'https://rekisteri.example.fi';
const WORDING = { text: 'Send me the newsletter by e-mail.', language: 'en' as const };

interface Mail {
  to: string;
  template: string;
  text: string;
}

describe.each(DATABASES)('the permissions portal on %s', { timeout: 120_000 }, (kind) => {
  let db: TestDatabase;
  let keyStore: Awaited<ReturnType<typeof openTestKeyStore>>;
  let services: Services;
  let vault: Vault;
  let app: FastifyInstance;
  const logged: string[] = [];
  let anna: { id: string };
  let shift = 0;
  const clock = { now: () => new Date(Date.now() + shift) };

  beforeAll(async () => {
    db = await openTestDatabase(kind);
    keyStore = await openTestKeyStore(kind);
    vault = createVault(randomBytes(32));
    services = createServices({
      database: db.handle,
      keys: keyStore.keys,
      register: await loadDefinition(DEMO),
      vault,
      clock,
      publicUrl: PUBLIC,
    });
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        logged.push(chunk.toString('utf8'));
        done();
      },
    });
    app = await createApp(services, {
      logger: { ...(loggerOptions('info', 'json') as object), stream } as never,
    });
    anna = await newSubjectVia(services, {
      values: {
        identity: { firstName: 'Anna', lastName: 'Kuusisto' },
        contact: { email: 'Anna.Kuusisto@Example.fi' },
      },
    });
    await services.permissions.record(
      operator,
      anna.id,
      [{ kind: 'newsletter', channel: 'email', state: 'granted' }],
      { method: 'form', wording: WORDING },
    );
  }, 180_000);
  afterAll(async () => {
    await app?.close();
    await keyStore?.dispose();
    await db?.dispose();
  });

  async function outbox(): Promise<Mail[]> {
    const rows = await db.handle.db.selectFrom('outbox').selectAll().orderBy('id').execute();
    const mails: Mail[] = [];
    for (const row of rows) {
      let plain: Buffer;
      if (row.subject_id === null) {
        plain = vault.openSecret(`outbox:${row.id}`, row.sealed);
      } else {
        const wrapped = await keyStore.keys.get(row.subject_id);
        const key = vault.unwrapSubjectKey(row.subject_id, wrapped!);
        plain = vault.open(key, `outbox:${row.id}:subject:${row.subject_id}`, row.sealed);
      }
      const { to, data } = JSON.parse(plain.toString('utf8')) as { to: string; data: never };
      const rendered = TEMPLATES[row.template as TemplateName].render(row.locale as Locale, data);
      mails.push({ to, template: row.template, text: rendered.text });
    }
    return mails;
  }
  const tokenIn = (mail: Mail | undefined, page: string) => {
    const m = new RegExp(`${PUBLIC}/${page}#token=([A-Za-z0-9_-]{43})`).exec(mail?.text ?? '');
    expect(m, `a ${page} link in the mail`).not.toBeNull();
    return m![1]!;
  };
  const check = async (subjectId: string, purpose = 'newsletter', channel = 'email') =>
    services.permissions.check(system, { purpose, subjectId, channel });
  const ledger = async (subjectId: string) =>
    (await services.permissions.history(system, subjectId)).length;
  const form = (body: string) => ({
    method: 'POST' as const,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: body,
  });

  describe('one-click unsubscribe', () => {
    it('GET shows the page with its button and changes nothing', async () => {
      const token = services.unsubscribeLinks.issue({
        subjectId: anna.id,
        purpose: 'newsletter',
        channel: 'email',
      });
      const before = await ledger(anna.id);
      const res = await app.inject({
        method: 'GET',
        url: `/u/${token}`,
        headers: { 'accept-language': 'sv-FI,sv;q=0.9' },
      });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toContain('text/html');
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
      expect(res.body).toContain('<html lang="sv">');
      expect(res.body).toContain(`action="/u/${token}"`);
      expect(res.body).toContain('name="List-Unsubscribe" value="One-Click"');
      expect(await ledger(anna.id)).toBe(before);
      expect((await check(anna.id)).allowed).toBe(true);
    });

    it('POST without List-Unsubscribe=One-Click is refused naming the field, changing nothing', async () => {
      const token = services.unsubscribeLinks.issue({
        subjectId: anna.id,
        purpose: 'newsletter',
        channel: 'email',
      });
      const before = await ledger(anna.id);
      for (const body of ['', 'List-Unsubscribe=Yes', 'unsubscribe=One-Click']) {
        const res = await app.inject({ ...form(body), url: `/u/${token}` });
        expect(res.statusCode).toBe(400);
        expect(res.json<{ errors: Array<{ field: string }> }>().errors[0]!.field).toBe(
          'List-Unsubscribe',
        );
      }
      expect(await ledger(anna.id)).toBe(before);
      expect((await check(anna.id)).allowed).toBe(true);
    });

    it('a tampered token or one of another register is refused alike and changes nothing', async () => {
      const token = services.unsubscribeLinks.issue({
        subjectId: anna.id,
        purpose: 'newsletter',
        channel: 'email',
      });
      const bytes = Buffer.from(token, 'base64url');
      bytes[10] = bytes[10]! ^ 1;
      const foreign = createUnsubscribeLinks({
        vault: createVault(randomBytes(32)),
        publicUrl: PUBLIC,
      }).issue({ subjectId: anna.id, purpose: 'newsletter', channel: 'email' });
      const before = await ledger(anna.id);
      const bodies: string[] = [];
      for (const t of [bytes.toString('base64url'), foreign, 'x']) {
        const res = await app.inject({ ...form('List-Unsubscribe=One-Click'), url: `/u/${t}` });
        expect(res.statusCode).toBe(400);
        bodies.push(res.body);
      }
      expect(new Set(bodies).size).toBe(1);
      expect(await ledger(anna.id)).toBe(before);
      expect((await check(anna.id)).allowed).toBe(true);
    });

    it('GET of a forged, cut-short or foreign link says the link does not work, with no button, in the page’s language, changing nothing', async () => {
      const token = services.unsubscribeLinks.issue({
        subjectId: anna.id,
        purpose: 'newsletter',
        channel: 'email',
      });
      const bytes = Buffer.from(token, 'base64url');
      bytes[12] = bytes[12]! ^ 1;
      const foreign = createUnsubscribeLinks({
        vault: createVault(randomBytes(32)),
        publicUrl: PUBLIC,
      }).issue({ subjectId: anna.id, purpose: 'newsletter', channel: 'email' });
      const before = await ledger(anna.id);
      const words = {
        sv: 'Den här länken fungerar inte.',
        fi: 'Tämä linkki ei toimi.',
        en: 'This link does not work.',
      };
      for (const bad of [bytes.toString('base64url'), token.slice(0, -5), foreign, 'forged']) {
        for (const [lang, text] of Object.entries(words)) {
          const res = await app.inject({ method: 'GET', url: `/u/${bad}?lang=${lang}` });
          expect(res.statusCode).toBe(400);
          expect(res.headers['content-type']).toContain('text/html');
          expect(res.body).toContain(`<html lang="${lang}">`);
          expect(res.body).toContain(text);
          expect(res.body).not.toContain('<form');
          expect(res.body).not.toContain('List-Unsubscribe');
          // The very page the button's POST would have answered.
          const pressed = await app.inject({
            ...form('List-Unsubscribe=One-Click'),
            url: `/u/${bad}?lang=${lang}`,
          });
          expect(pressed.statusCode).toBe(res.statusCode);
          expect(pressed.body).toBe(res.body);
        }
      }
      // The real link still asks, with its button.
      const real = await app.inject({ method: 'GET', url: `/u/${token}?lang=fi` });
      expect(real.statusCode).toBe(200);
      expect(real.body).toContain('name="List-Unsubscribe" value="One-Click"');
      expect(await ledger(anna.id)).toBe(before);
      expect((await check(anna.id)).allowed).toBe(true);
    });

    it('POST with no cookie withdraws at once; the check then says no; a repeat is harmless', async () => {
      const token = services.unsubscribeLinks.issue({
        subjectId: anna.id,
        purpose: 'newsletter',
        channel: 'email',
      });
      const res = await app.inject({ ...form('List-Unsubscribe=One-Click'), url: `/u/${token}` });
      expect(res.statusCode).toBe(200);
      expect(res.headers.location).toBeUndefined();
      expect(res.headers['content-type']).toContain('text/html');
      const after = await check(anna.id);
      expect(after.allowed).toBe(false);
      expect(after.reason.code).toBe('withdrawn');
      const history = await services.permissions.history(system, anna.id);
      const last = history.at(-1)!;
      expect(last).toMatchObject({ kind: 'newsletter', channel: 'email', state: 'withdrawn' });
      expect(last.method).toBe('unsubscribe_link');
      expect(JSON.stringify(last)).not.toContain(token);
      // Multipart, as some mail providers send it: the same, and nothing new recorded.
      const boundary = 'b0undary';
      const again = await app.inject({
        method: 'POST',
        url: `/u/${token}`,
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
        payload: `--${boundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--${boundary}--\r\n`,
      });
      expect(again.statusCode).toBe(200);
      expect(await ledger(anna.id)).toBe(history.length);
    });

    it('an opt-out purpose’s link records a refusal of its kind on that channel', async () => {
      const bo = await newSubjectVia(services, {
        values: {
          identity: { firstName: 'Bo', lastName: 'Lindqvist' },
          contact: { email: 'bo.lindqvist@example.fi' },
          organisation: { organisation: 'Lumipallo Kahvila Oy', title: 'Yrittäjä' },
        },
      });
      expect((await check(bo.id, 'b2b_marketing')).allowed).toBe(true);
      const token = services.unsubscribeLinks.issue({
        subjectId: bo.id,
        purpose: 'b2b_marketing',
        channel: 'email',
      });
      const res = await app.inject({ ...form('List-Unsubscribe=One-Click'), url: `/u/${token}` });
      expect(res.statusCode).toBe(200);
      expect((await check(bo.id, 'b2b_marketing')).reason.code).toBe('refused');
      expect((await check(bo.id, 'b2b_marketing', 'post')).allowed).toBe(true);
    });

    it('the token never reaches the server log', async () => {
      const token = services.unsubscribeLinks.issue({
        subjectId: anna.id,
        purpose: 'newsletter',
        channel: 'email',
      });
      await app.inject({ method: 'GET', url: `/u/${token}` });
      await app.inject({ ...form('List-Unsubscribe=One-Click'), url: `/u/${token}?x=1` });
      const all = logged.join('');
      expect(all).toContain('/u/[token]');
      expect(all).not.toContain(token);
    });
  });

  describe('the preference page', () => {
    it('answers a known and an unknown address alike, mailing the link to the known only', async () => {
      const ask = (email: string) =>
        app.inject({
          method: 'POST',
          url: '/api/v1/portal/preferences/links',
          payload: { email, lang: 'fi' },
        });
      const known = await ask('anna.kuusisto@example.fi');
      const unknown = await ask('nobody.here@example.org');
      expect(known.statusCode).toBe(202);
      expect(unknown.statusCode).toBe(202);
      expect(known.body).toBe(unknown.body);
      const mails = (await outbox()).filter((m) => m.template === 'preferences-link');
      expect(mails.map((m) => m.to)).toEqual(['anna.kuusisto@example.fi']);
    });

    it('the link opens a session once; the page shows and changes the choices at once', async () => {
      const mail = (await outbox()).filter((m) => m.template === 'preferences-link').at(-1);
      const token = tokenIn(mail, 'preferences');
      const activity = (await services.retention.ofSubject(anna.id)).lastActivityAt;
      const opened = await app.inject({
        method: 'POST',
        url: '/api/v1/portal/preferences/session',
        payload: { token },
      });
      expect(opened.statusCode).toBe(200);
      // Proving who one is to use one's rights is not activity for retention (docs/retention.md).
      expect((await services.retention.ofSubject(anna.id)).lastActivityAt).toBe(activity);
      const cookie = String(opened.headers['set-cookie']);
      expect(cookie).toMatch(/rk_person=[A-Za-z0-9_-]{43}/);
      expect(cookie).toMatch(/HttpOnly/i);
      expect(cookie).toMatch(/SameSite=Strict/i);
      const again = await app.inject({
        method: 'POST',
        url: '/api/v1/portal/preferences/session',
        payload: { token },
      });
      expect(again.statusCode).toBe(404);
      const headers = { cookie: cookie.split(';')[0]! };
      const page = await app.inject({ method: 'GET', url: '/api/v1/portal/preferences', headers });
      expect(page.statusCode).toBe(200);
      const choices = page.json<{
        choices: Array<{ kind: string; channel: string; state: string | null }>;
      }>().choices;
      expect(choices).toContainEqual(
        expect.objectContaining({ kind: 'newsletter', channel: 'email', state: 'withdrawn' }),
      );
      const set = await app.inject({
        method: 'PUT',
        url: '/api/v1/portal/preferences',
        headers,
        payload: {
          changes: [{ kind: 'newsletter', channel: 'email', allow: true }],
          wording: { text: 'Newsletter by e-mail', language: 'fi' },
        },
      });
      expect(set.statusCode).toBe(200);
      expect((await check(anna.id)).allowed).toBe(true);
      const last = (await services.permissions.history(system, anna.id)).at(-1)!;
      expect(last.method).toBe('preference_page');
      expect(last.wording).toMatchObject({ text: 'Newsletter by e-mail', language: 'fi' });
      // A kind nobody asks for on that channel: refused naming it, nothing changes.
      const before = await ledger(anna.id);
      const bad = await app.inject({
        method: 'PUT',
        url: '/api/v1/portal/preferences',
        headers,
        payload: {
          changes: [{ kind: 'newsletter', channel: 'sms', allow: true }],
          wording: { text: 'x', language: 'fi' },
        },
      });
      expect(bad.statusCode).toBe(400);
      expect(bad.json<{ errors: Array<{ field: string }> }>().errors[0]!.field).toBe('changes[0]');
      // Its detail reads as every refusal's does: the field, then why.
      expect(bad.json<{ detail: string }>().detail).toMatch(/^changes\[0\]: no purpose /);
      // The request's shape names items alike, and an unknown key by its name.
      const shape = await app.inject({
        method: 'PUT',
        url: '/api/v1/portal/preferences',
        headers,
        payload: {
          changes: [{ kind: 'newsletter', channel: 'email', allow: 'yes', extra: 1 }],
          wording: { text: 'x', language: 'fi' },
        },
      });
      expect(shape.statusCode).toBe(400);
      expect(
        shape
          .json<{ errors: Array<{ field: string }> }>()
          .errors.map((e) => e.field)
          .sort(),
      ).toEqual(['changes[0].allow', 'changes[0].extra']);
      expect(await ledger(anna.id)).toBe(before);
      // Signed out, the page is closed.
      await app.inject({ method: 'DELETE', url: '/api/v1/portal/preferences/session', headers });
      const closed = await app.inject({
        method: 'GET',
        url: '/api/v1/portal/preferences',
        headers,
      });
      expect(closed.statusCode).toBe(401);
    });

    it('an hour-old link opens nothing, and a session ends after 30 minutes', async () => {
      const ask = () =>
        app.inject({
          method: 'POST',
          url: '/api/v1/portal/preferences/links',
          remoteAddress: '192.0.2.50',
          payload: { email: 'anna.kuusisto@example.fi', lang: 'sv' },
        });
      const open = (token: string) =>
        app.inject({
          method: 'POST',
          url: '/api/v1/portal/preferences/session',
          remoteAddress: '192.0.2.50',
          payload: { token },
        });
      const latest = async () =>
        tokenIn(
          (await outbox()).filter((m) => m.template === 'preferences-link').at(-1),
          'preferences',
        );
      try {
        await ask();
        const stale = await latest();
        shift = 61 * 60_000;
        expect((await open(stale)).statusCode).toBe(404);
        await ask();
        const opened = await open(await latest());
        expect(opened.statusCode).toBe(200);
        const headers = { cookie: String(opened.headers['set-cookie']).split(';')[0]! };
        const page = () =>
          app.inject({
            method: 'GET',
            url: '/api/v1/portal/preferences',
            headers,
            remoteAddress: '192.0.2.50',
          });
        expect((await page()).statusCode).toBe(200);
        shift += 31 * 60_000;
        expect((await page()).statusCode).toBe(401);
      } finally {
        shift = 0;
      }
    });

    it('an erased person’s unsubscribe link is refused like a forged one', async () => {
      const gone = await newSubjectVia(services, {
        values: {
          identity: { firstName: 'Gustav', lastName: 'Poistettu' },
          contact: { email: 'gustav.gone@example.fi' },
        },
      });
      const token = services.unsubscribeLinks.issue({
        subjectId: gone.id,
        purpose: 'newsletter',
        channel: 'email',
      });
      await services.subjects.eraseSubject(operator, gone.id);
      const erased = await app.inject({
        ...form('List-Unsubscribe=One-Click'),
        url: `/u/${token}`,
      });
      const forged = await app.inject({ ...form('List-Unsubscribe=One-Click'), url: '/u/forged' });
      expect(erased.statusCode).toBe(400);
      expect(erased.body).toBe(forged.body);
    });

    it('without a session the page answers 401 and changes nothing', async () => {
      const res = await app.inject({
        method: 'PUT',
        url: '/api/v1/portal/preferences',
        payload: {
          changes: [{ kind: 'newsletter', channel: 'email', allow: false }],
          wording: { text: 'x', language: 'fi' },
        },
      });
      expect(res.statusCode).toBe(401);
      expect((await check(anna.id)).allowed).toBe(true);
    });
  });

  describe('double opt-in sign-up', () => {
    const signUp = (email: string) =>
      app.inject({
        method: 'POST',
        url: '/api/v1/portal/signups',
        payload: {
          email,
          lang: 'en',
          choices: [{ kind: 'newsletter', channel: 'email' }],
          wording: WORDING,
        },
      });

    it('a new address: no person until the mailed link is followed; then granted, once', async () => {
      const people = await services.subjects.countSubjects();
      const res = await signUp('cecilia.new@example.fi');
      expect(res.statusCode).toBe(202);
      // Unconfirmed, nobody is in the register: no opt-out purpose can reach the address.
      expect(
        await services.subjects.matchForRequest(system, { email: 'cecilia.new@example.fi' }),
      ).toEqual([]);
      expect(await services.subjects.countSubjects()).toBe(people);
      // What is kept is the sign-up alone, the address sealed.
      const pending = await db.handle.db
        .selectFrom('permission_links')
        .selectAll()
        .where('kind', '=', 'confirm')
        .where('subject_id', 'is', null)
        .execute();
      expect(pending).toHaveLength(1);
      expect(JSON.stringify(pending)).not.toContain('cecilia');
      expect(pending[0]!.email_sealed!.toString('latin1')).not.toContain('cecilia');
      const mail = (await outbox()).filter(
        (m) => m.template === 'signup-confirm' && m.to === 'cecilia.new@example.fi',
      );
      expect(mail).toHaveLength(1);
      // The mail names the kind and channel and the very words agreed to.
      expect(mail[0]!.text).toContain('Newsletter: E-mail');
      expect(mail[0]!.text).toContain(WORDING.text);
      const token = tokenIn(mail[0], 'signup/confirm');
      const ok = await app.inject({
        method: 'POST',
        url: '/api/v1/portal/signups/confirm',
        payload: { token },
      });
      expect(ok.statusCode).toBe(200);
      const [id] = await services.subjects.matchForRequest(system, {
        email: 'cecilia.new@example.fi',
      });
      expect(id).toBeDefined();
      expect((await check(id!)).allowed).toBe(true);
      const history = await services.permissions.history(system, id!);
      expect(history.map((h) => [h.method, h.state, h.actor])).toEqual([
        ['double_opt_in', 'granted', `subject:${id}`],
      ]);
      expect(history[0]!.wording).toEqual(WORDING);
      const link = await db.handle.db
        .selectFrom('permission_links')
        .select(['subject_id', 'email_sealed'])
        .where('kind', '=', 'confirm')
        .where('subject_id', '=', id!)
        .executeTakeFirstOrThrow();
      expect(link.email_sealed).toBeNull();
      const twice = await app.inject({
        method: 'POST',
        url: '/api/v1/portal/signups/confirm',
        payload: { token },
      });
      expect(twice.statusCode).toBe(404);
    });

    it('an erased person’s address is not re-created; the answer is the same', async () => {
      const gone = await newSubjectVia(services, {
        values: {
          identity: { firstName: 'Doris', lastName: 'Poistettu' },
          contact: { email: 'doris.gone@example.fi' },
        },
      });
      await services.subjects.eraseSubject(operator, gone.id);
      const known = await signUp('anna.kuusisto@example.fi');
      const fresh = await signUp('gustav.fresh@example.fi');
      const erased = await signUp('doris.gone@example.fi');
      expect(erased.statusCode).toBe(202);
      expect(erased.body).toBe(known.body);
      expect(fresh.body).toBe(known.body);
      expect(
        await services.subjects.matchForRequest(system, { email: 'doris.gone@example.fi' }),
      ).toEqual([]);
      expect((await outbox()).filter((m) => m.to === 'doris.gone@example.fi')).toEqual([]);
    });

    it('a sign-up for a known address changes nothing of theirs until they confirm', async () => {
      await services.permissions.record(
        operator,
        anna.id,
        [{ kind: 'newsletter', channel: 'email', state: 'withdrawn' }],
        { method: 'staff' },
      );
      const before = await ledger(anna.id);
      shift += 16 * 60_000; // past the window in which no second confirmation is sent
      await signUp('anna.kuusisto@example.fi');
      expect(await ledger(anna.id)).toBe(before);
      expect((await check(anna.id)).reason.code).toBe('withdrawn');
      // Anna herself follows the link: her own confirmed sign-up grants again.
      const mail = (await outbox()).filter(
        (m) => m.template === 'signup-confirm' && m.to === 'anna.kuusisto@example.fi',
      );
      const token = tokenIn(mail.at(-1), 'signup/confirm');
      const ok = await app.inject({
        method: 'POST',
        url: '/api/v1/portal/signups/confirm',
        payload: { token },
      });
      expect(ok.statusCode).toBe(200);
      expect((await check(anna.id)).allowed).toBe(true);
    });

    it('no second confirmation to one address within 15 minutes; the answer is the same', async () => {
      const to = 'helga.twice@example.fi';
      const first = await signUp(to);
      const second = await signUp(to);
      expect(second.statusCode).toBe(202);
      expect(second.body).toBe(first.body);
      expect((await outbox()).filter((m) => m.to === to)).toHaveLength(1);
      shift += 16 * 60_000;
      await signUp(to);
      expect((await outbox()).filter((m) => m.to === to)).toHaveLength(2);
    });

    it('an unconfirmed sign-up expires: its link then works no more and the row is deleted', async () => {
      const to = 'ilse.late@example.fi';
      await signUp(to);
      const token = tokenIn((await outbox()).filter((m) => m.to === to).at(-1), 'signup/confirm');
      shift += 25 * 3600_000;
      const late = await app.inject({
        method: 'POST',
        url: '/api/v1/portal/signups/confirm',
        payload: { token },
      });
      expect(late.statusCode).toBe(404);
      expect(await services.preferences.pruneLinks()).toBeGreaterThan(0);
      expect(
        await db.handle.db
          .selectFrom('permission_links')
          .select('token_hash')
          .where('subject_id', 'is', null)
          .execute(),
      ).toEqual([]);
      expect(await services.subjects.matchForRequest(system, { email: to })).toEqual([]);
    });

    it('past 10 sign-ups an hour from one client address: 429, nothing mailed', async () => {
      const from = '198.51.100.7';
      const send = (i: number) =>
        app.inject({
          method: 'POST',
          url: '/api/v1/portal/signups',
          remoteAddress: from,
          payload: {
            email: `target${i}@example.fi`,
            lang: 'en',
            choices: [{ kind: 'newsletter', channel: 'email' }],
            wording: WORDING,
          },
        });
      for (let i = 0; i < 10; i++) {
        expect((await send(i)).statusCode).toBe(202);
      }
      const before = (await outbox()).length;
      const refused = await send(10);
      expect(refused.statusCode).toBe(429);
      expect(refused.json<{ detail: string }>().detail).toContain('sign-ups from this address');
      expect((await outbox()).length).toBe(before);
    });

    it('bad input is refused naming the field, and nothing is mailed', async () => {
      const before = (await outbox()).length;
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/portal/signups',
        payload: {
          email: 'someone@example.fi',
          lang: 'en',
          choices: [{ kind: 'newsletter', channel: 'post' }],
          wording: WORDING,
        },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json<{ errors: Array<{ field: string }> }>().errors[0]!.field).toBe('choices[0]');
      expect((await outbox()).length).toBe(before);
    });

    it('past 5 sign-ups an hour for one address: 429, counted whoever sends them, nothing mailed', async () => {
      const to = 'fiona.flood@example.fi';
      for (let i = 0; i < 5; i++) {
        const ok = await app.inject({
          method: 'POST',
          url: '/api/v1/portal/signups',
          remoteAddress: `192.0.2.${i + 10}`,
          payload: {
            email: to,
            lang: 'en',
            choices: [{ kind: 'newsletter', channel: 'email' }],
            wording: WORDING,
          },
        });
        expect(ok.statusCode).toBe(202);
      }
      const mailed = (await outbox()).filter((m) => m.to === to).length;
      const refused = await app.inject({
        method: 'POST',
        url: '/api/v1/portal/signups',
        remoteAddress: '192.0.2.99',
        payload: {
          email: to,
          lang: 'en',
          choices: [{ kind: 'newsletter', channel: 'email' }],
          wording: WORDING,
        },
      });
      expect(refused.statusCode).toBe(429);
      expect(refused.json<{ detail: string }>().detail).toContain(
        'sign-ups for this e-mail address',
      );
      expect((await outbox()).filter((m) => m.to === to).length).toBe(mailed);
    });

    it('erasing a person removes their links and sessions', async () => {
      const [id] = await services.subjects.matchForRequest(system, {
        email: 'cecilia.new@example.fi',
      });
      const links = () =>
        db.handle.db
          .selectFrom('permission_links')
          .select('kind')
          .where('subject_id', '=', id!)
          .execute();
      expect((await links()).length).toBeGreaterThan(0);
      await services.subjects.eraseSubject(operator, id!);
      expect(await links()).toEqual([]);
    });

    it('the embeddable form posts to /signup and gets a page in its language', async () => {
      const res = await app.inject({
        ...form(
          new URLSearchParams({
            email: 'eeva.form@example.fi',
            lang: 'fi',
            choice: 'newsletter:email',
            wording: 'Haluan uutiskirjeen sähköpostiin.',
          }).toString(),
        ),
        url: '/signup',
      });
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('<html lang="fi">');
      const mail = (await outbox()).filter((m) => m.to === 'eeva.form@example.fi');
      expect(mail.map((m) => m.template)).toEqual(['signup-confirm']);
      const bad = await app.inject({ ...form('email=nope&lang=en'), url: '/signup' });
      expect(bad.statusCode).toBe(400);
      expect(bad.body).toContain('email');
    });
  });
});
