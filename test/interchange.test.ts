/**
 * Interchange (docs/interchange.md): e-mail services' audience exports into the permission ledger
 * (Mailchimp subscribed, unsubscribed and cleaned members; listmonk confirmed, unconfirmed,
 * unsubscribed and blocklisted), dry runs, rejected lines, the suppression list respected, a
 * direct-marketing prohibition list closing the marketing channel but not customer service, and the
 * suppression export a receiver with the key can compare with. On each database. Invented people.
 */
import { createHmac } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operator } from '../src/lib/actor.ts';
import { AppError } from '../src/lib/errors.ts';
import { newSubjectVia, personValues } from './factories.ts';
import { createTestContext, DATABASES, type TestContext } from './helpers.ts';

const fixture = (name: string) =>
  fileURLToPath(new URL(`./fixtures/interchange/${name}`, import.meta.url));

describe.each(DATABASES)('interchange on %s', (kind) => {
  let t: TestContext;
  let dir: string;
  const count = async (table: 'subjects' | 'permission_history' | 'address_lists') =>
    Number(
      (
        await t.db.handle.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const byEmail = async (email: string) => {
    const index = t.services.vault.emailIndex(email);
    const r = await t.db.handle.db
      .selectFrom('subjects')
      .select('id')
      .where('email_index', '=', index ?? '0')
      .where('erased_at', 'is', null)
      .executeTakeFirst();
    return r?.id;
  };
  const audience = (file: string, format: 'mailchimp' | 'listmonk', dryRun = false) =>
    t.services.interchange.importAudience(operator, {
      file,
      format,
      purpose: 'newsletter',
      channel: 'email',
      dryRun,
    });
  const check = (purpose: string, subjectId: string, channel?: string) =>
    t.services.permissions.check(operator, {
      purpose,
      subjectId,
      ...(channel ? { channel } : {}),
    });

  beforeAll(async () => {
    t = await createTestContext(kind, undefined, { publicUrl: 'https://rekisteri.example.fi' });
    dir = await mkdtemp(join(tmpdir(), 'interchange-'));
  });
  afterAll(async () => {
    await t?.close();
  });

  it('a dry run reports what would change and writes nothing', async () => {
    const before = await Promise.all([
      count('subjects'),
      count('permission_history'),
      count('address_lists'),
    ]);
    const s = await audience(fixture('mailchimp-subscribed.csv'), 'mailchimp', true);
    expect(s).toMatchObject({ dryRun: true, granted: 2, created: 2, matched: 0, rejected: [] });
    const c = await audience(fixture('mailchimp-cleaned.csv'), 'mailchimp', true);
    expect(c).toMatchObject({ dryRun: true, undeliverable: 1 });
    expect(
      await Promise.all([count('subjects'), count('permission_history'), count('address_lists')]),
    ).toEqual(before);
    expect(await byEmail('aino.kuusela@example.com')).toBeUndefined();
  });

  it("Mailchimp's subscribed members are granted, with the list's own date and the run as evidence", async () => {
    const s = await audience(fixture('mailchimp-subscribed.csv'), 'mailchimp');
    expect(s).toMatchObject({ dryRun: false, lines: 3, granted: 2, created: 2, rejected: [] });
    expect(s.run).toMatch(/^audience-[0-9a-f]{12}$/);
    const aino = await byEmail('aino.kuusela@example.com');
    expect(aino).toBeDefined();
    const history = await t.services.permissions.history(operator, aino!);
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({
      kind: 'newsletter',
      channel: 'email',
      state: 'granted',
      method: 'import',
      reference: s.run,
      // CONFIRM_TIME: consent given when the double opt-in was confirmed.
      givenAt: '2024-03-01T09:17:30.000Z',
    });
    expect((await check('newsletter', aino!, 'email')).reason.code).toBe('consent_granted');
    // Single opt-in (no CONFIRM_TIME): OPTIN_TIME; the address matched in any case.
    const veikko = await byEmail('veikko.rautio@example.com');
    const vh = await t.services.permissions.history(operator, veikko!);
    expect(vh[0]).toMatchObject({ state: 'granted', givenAt: '2023-11-20T18:02:11.000Z' });
    const view = await t.services.subjects.getSubject(operator, aino!, 'newsletter');
    expect(view.categories).toMatchObject({
      identity: { firstName: { value: 'Aino' }, lastName: { value: 'Kuusela' } },
      contact: { email: { value: 'aino.kuusela@example.com', source: 'subject' } },
    });
    // The same file again changes nothing.
    const again = await audience(fixture('mailchimp-subscribed.csv'), 'mailchimp');
    expect(again).toMatchObject({ granted: 0, unchanged: 2, created: 0, matched: 2 });
    expect(await t.services.permissions.history(operator, aino!)).toHaveLength(1);
  });

  it('unsubscribed members are withdrawn as of UNSUB_TIME, matched by their address', async () => {
    const subjects = await count('subjects');
    const s = await audience(fixture('mailchimp-unsubscribed.csv'), 'mailchimp');
    expect(s).toMatchObject({ withdrawn: 1, matched: 1, created: 0, rejected: [] });
    expect(await count('subjects')).toBe(subjects);
    const veikko = await byEmail('veikko.rautio@example.com');
    const last = (await t.services.permissions.history(operator, veikko!)).at(-1);
    expect(last).toMatchObject({
      state: 'withdrawn',
      previousState: 'granted',
      method: 'import',
      givenAt: '2024-05-02T07:40:00.000Z',
    });
    expect((await check('newsletter', veikko!, 'email')).reason.code).toBe('withdrawn');
  });

  it("an import never grants over the person's own withdrawal, even dated later: skipped with the reason", async () => {
    const veikko = await byEmail('veikko.rautio@example.com');
    const before = (await t.services.permissions.history(operator, veikko!)).length;
    const file = join(dir, 'resubscribed.csv');
    await writeFile(
      file,
      '"Email Address","First Name","Last Name","OPTIN_TIME","CONFIRM_TIME"\n' +
        'veikko.rautio@example.com,Veikko,Rautio,"2025-06-01 10:00:00","2025-06-01 10:01:00"\n',
    );
    for (const dryRun of [true, false]) {
      const s = await audience(file, 'mailchimp', dryRun);
      expect(s).toMatchObject({ granted: 0, matched: 1, rejected: [] });
      expect(s.skipped).toEqual([
        {
          line: 2,
          field: 'Email Address',
          reason: "the person's own choice is withdrawn: an import does not change it",
        },
      ]);
    }
    expect(await t.services.permissions.history(operator, veikko!)).toHaveLength(before);
    expect((await check('newsletter', veikko!, 'email')).reason.code).toBe('withdrawn');
  });

  it('cleaned members change no permission and create nobody: the address is listed undeliverable', async () => {
    const before = await Promise.all([count('subjects'), count('permission_history')]);
    const s = await audience(fixture('mailchimp-cleaned.csv'), 'mailchimp');
    expect(s).toMatchObject({ undeliverable: 1, granted: 0, created: 0, rejected: [] });
    expect(await Promise.all([count('subjects'), count('permission_history')])).toEqual(before);
    const listed = await t.db.handle.db
      .selectFrom('address_lists')
      .select(['list', 'kind', 'source'])
      .execute();
    expect(listed).toContainEqual({ list: 'undeliverable', kind: 'email', source: s.run });
  });

  it('listmonk: confirmed granted, unconfirmed pending, unsubscribed withdrawn, blocklisted refused; no status rejected', async () => {
    const s = await audience(fixture('listmonk.csv'), 'listmonk');
    expect(s).toMatchObject({ granted: 1, pending: 1, withdrawn: 1, refused: 1, created: 4 });
    expect(s.rejected).toEqual([
      { line: 6, field: 'subscription_status', reason: expect.stringContaining('says nothing') },
    ]);
    const code = async (email: string) =>
      (await check('newsletter', (await byEmail(email))!, 'email')).reason.code;
    expect(await code('leena.lista@example.com')).toBe('consent_granted');
    expect(await code('matti.odottaa@example.com')).toBe('consent_pending');
    expect(await code('saara.lahti@example.com')).toBe('withdrawn');
    expect(await code('kalle.kielto@example.com')).toBe('refused');
    expect(await byEmail('tiina.tyhja@example.com')).toBeUndefined();
    const leena = await t.services.permissions.history(
      operator,
      (await byEmail('leena.lista@example.com'))!,
    );
    // updated_at as PostgreSQL writes it, in its own zone.
    expect(leena[0]).toMatchObject({ givenAt: '2024-01-10T06:05:00.654Z', method: 'import' });
  });

  it('a malformed line is rejected naming its line and column, never its value; the rest goes in', async () => {
    const before = await count('permission_history');
    const s = await audience(fixture('mailchimp-malformed.csv'), 'mailchimp');
    expect(s.granted).toBe(1);
    expect(s.rejected.map((r) => [r.line, r.field])).toEqual([
      [2, 'Email Address'],
      [4, 'OPTIN_TIME'],
      [5, 'OPTIN_TIME'],
      [6, 'OPTIN_TIME'],
      [7, '(line)'],
    ]);
    for (const r of s.rejected) {
      expect(r.reason).not.toMatch(/@|ei-osoite|eilen|2099/);
    }
    expect(await count('permission_history')).toBe(before + 1);
    expect(await byEmail('tuomas.tulevaisuus@example.com')).toBeUndefined();
    // A file of another service is refused as a whole, naming the missing column.
    const err = await audience(fixture('listmonk.csv'), 'mailchimp').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).issues.map((i) => i.field)).toEqual(['Email Address']);
    // A purpose that is not marketing is refused before anything is read.
    const bad = await t.services.interchange
      .importAudience(operator, {
        file: fixture('mailchimp-subscribed.csv'),
        format: 'mailchimp',
        purpose: 'customer_relationship',
      })
      .catch((e: unknown) => e);
    expect((bad as AppError).issues.map((i) => i.field)).toEqual(['purpose']);
  });

  it('an address on the suppression list (an erased person) is not created again: counted', async () => {
    const erased = await newSubjectVia(t.services, {
      values: {
        identity: { firstName: 'Eero', lastName: 'Poistettu' },
        contact: { email: 'eero.poistettu@example.com' },
      },
    });
    await t.services.subjects.eraseSubject(operator, erased.id);
    const file = join(dir, 'suppressed.csv');
    await writeFile(
      file,
      '"Email Address","First Name","Last Name","OPTIN_TIME","CONFIRM_TIME"\neero.poistettu@example.com,Eero,Poistettu,"2024-01-01 10:00:00",\n',
    );
    const subjects = await count('subjects');
    const s = await audience(file, 'mailchimp');
    expect(s).toMatchObject({ suppressed: 1, created: 0, granted: 0 });
    expect(await count('subjects')).toBe(subjects);
  });

  it('a prohibition list closes the marketing channel, not customer service nor becoming a customer', async () => {
    // Robin is a customer who also gave consent to the newsletter and is reached by phone for b2b.
    const robin = await newSubjectVia(t.services, {
      values: {
        identity: { firstName: 'Robin', lastName: 'Kieltäjä' },
        contact: { email: 'robin.kieltaja@example.com', phone: '040 111 2233' },
        organisation: { organisation: 'Kahvila Kuura Oy' },
      },
    });
    await t.services.permissions.record(
      operator,
      robin.id,
      [{ kind: 'newsletter', channel: 'email', state: 'granted' }],
      { method: 'staff', wording: { text: 'Haluan uutiskirjeen.', language: 'fi' } },
    );
    expect((await check('newsletter', robin.id, 'email')).allowed).toBe(true);
    const dry = await t.services.interchange.importProhibitions(operator, {
      file: fixture('prohibitions.csv'),
      source: 'asml-2026-11',
      dryRun: true,
    });
    expect(dry).toMatchObject({ email: 1, phone: 1, already: 1 });
    expect((await check('newsletter', robin.id, 'email')).allowed).toBe(true);
    const s = await t.services.interchange.importProhibitions(operator, {
      file: fixture('prohibitions.csv'),
      source: 'asml-2026-11',
    });
    expect(s).toMatchObject({ lines: 5, email: 1, phone: 1, already: 1 });
    expect(s.rejected).toEqual([{ line: 5, field: 'email', reason: 'not an e-mail address' }]);
    const no = await check('newsletter', robin.id, 'email');
    expect(no).toMatchObject({ allowed: false, reason: { code: 'prohibition_list' } });
    // Enforced in the data layer: the newsletter no longer reads them.
    await expect(
      t.services.subjects.getSubject(operator, robin.id, 'newsletter'),
    ).rejects.toMatchObject({ code: 'not_found' });
    // The phone is not on the list: b2b marketing by phone is still open (opt-out), e-mail not.
    expect((await check('b2b_marketing', robin.id, 'phone')).allowed).toBe(true);
    expect((await check('b2b_marketing', robin.id, 'email')).reason.code).toBe('prohibition_list');
    // Customer service goes on, and the person is read for it.
    expect((await check('customer_relationship', robin.id)).allowed).toBe(true);
    const view = await t.services.subjects.getSubject(operator, robin.id, 'customer_relationship');
    expect(view.categories).toMatchObject({
      contact: { email: { value: 'robin.kieltaja@example.com' } },
    });
    // A listed phone number closes market research by SMS and phone for a new customer, who is
    // still created (a prohibition forbids marketing, not being a customer).
    const listedPhone = await newSubjectVia(t.services, {
      values: {
        ...personValues('Pirkko', 'Puhelin'),
        contact: { email: 'pirkko.puhelin@example.com', phone: '+358 40 765 4321' },
      },
    });
    expect((await check('market_research', listedPhone.id, 'sms')).reason.code).toBe(
      'prohibition_list',
    );
    expect((await check('market_research', listedPhone.id, 'email')).allowed).toBe(true);
  });

  it('the suppression export matches for a receiver holding the key, and only then', async () => {
    const out = join(dir, 'suppression.csv');
    let text = '';
    const r = await t.services.interchange.exportSuppression(operator, (c) => {
      text += c;
    });
    await writeFile(out, text);
    const lines = (await readFile(out, 'utf8')).trim().split('\n');
    expect(lines[0]).toBe('hash,kind,since,reason');
    expect(r.rows).toBe(lines.length - 1);
    const key = Buffer.from(t.services.interchange.interchangeKey(operator), 'hex');
    // The receiver normalises as documented: e-mail trimmed and lower-cased; phone E.164.
    const theirs = (s: string) => createHmac('sha256', key).update(s).digest('hex');
    const rows = lines.slice(1).map((l) => l.split(','));
    const hashes = new Map(rows.map((x) => [x[0], x]));
    expect(hashes.get(theirs('eero.poistettu@example.com'))?.[1]).toBe('email');
    expect(hashes.get(theirs('robin.kieltaja@example.com'))?.[3]).toBe(
      'prohibition_list:asml-2026-11',
    );
    expect(hashes.get(theirs('+358407654321'))?.[1]).toBe('phone');
    // Someone never listed is not there; without the key nothing matches.
    expect(hashes.has(theirs('aino.kuusela@example.com'))).toBe(false);
    const wrong = createHmac('sha256', Buffer.alloc(32, 7))
      .update('eero.poistettu@example.com')
      .digest('hex');
    expect(hashes.has(wrong)).toBe(false);
    // No address in the file.
    expect(text).not.toMatch(/@|kieltaja|\+358/);
  });

  it('over HTTP: a key that may write for the newsletter imports (dry run first); others are refused', async () => {
    const csv = [
      '"Email Address","First Name","Last Name","OPTIN_TIME","CONFIRM_TIME"',
      'heli.http@example.com,Heli,Http,"2024-02-02 10:00:00","2024-02-02 10:01:00"',
      'bad-address,Bad,Line,"2024-02-02 10:00:00",',
    ].join('\r\n');
    const key = await t.key(['newsletter'], ['read', 'write']);
    const body = { format: 'mailchimp', purpose: 'newsletter', csv };
    const dry = await t.app.inject({
      method: 'POST',
      url: '/api/v1/interchange/audience',
      headers: key,
      payload: { ...body, dryRun: true },
    });
    expect(dry.statusCode, dry.body).toBe(200);
    expect(dry.json()).toMatchObject({
      dryRun: true,
      granted: 1,
      created: 1,
      rejected: [{ line: 3, field: 'Email Address', reason: 'not an e-mail address' }],
    });
    expect(await byEmail('heli.http@example.com')).toBeUndefined();
    const real = await t.app.inject({
      method: 'POST',
      url: '/api/v1/interchange/audience',
      headers: key,
      payload: body,
    });
    expect(real.statusCode, real.body).toBe(200);
    expect(real.json()).toMatchObject({ dryRun: false, granted: 1, created: 1 });
    const heli = await byEmail('heli.http@example.com');
    expect((await check('newsletter', heli!, 'email')).reason.code).toBe('consent_granted');
    // A key for customer service only may not import a newsletter list.
    const other = await t.key(['customer_relationship'], ['read', 'write']);
    const refused = await t.app.inject({
      method: 'POST',
      url: '/api/v1/interchange/audience',
      headers: other,
      payload: body,
    });
    expect(refused.statusCode).toBe(403);
    // An unknown key in the body is refused, naming it.
    const unknown = await t.app.inject({
      method: 'POST',
      url: '/api/v1/interchange/prohibitions',
      headers: key,
      payload: { source: 'asml', csv: 'email\nx@example.com\n', list: 'x' },
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.body).toContain('list');
    const listed = await t.app.inject({
      method: 'POST',
      url: '/api/v1/interchange/prohibitions',
      headers: key,
      payload: { source: 'asml-http', csv: 'email\nheli.http@example.com\n' },
    });
    expect(listed.statusCode, listed.body).toBe(200);
    expect(listed.json()).toMatchObject({ email: 1, rejected: [] });
    expect((await check('newsletter', heli!, 'email')).reason.code).toBe('prohibition_list');
  });
});
