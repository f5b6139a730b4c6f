/**
 * Letters to send (issue 10): a request that came by letter, phone or in person without an e-mail
 * address is answered by letter. Each step that would have mailed the person (the
 * acknowledgement, an extension with its reason and new due date, a refusal with the supervisory
 * authority and the right to complain) records a letter in the same words, addressed to the
 * postal address the request gives (or none: tell the person by the channel they used); staff
 * mark it sent, which is recorded in the request's history and the access log and takes it off
 * the waiting list; the daily digest mentions the letters waiting. Bad input is refused naming
 * the field and changing nothing; a role without handle_requests gets 403. One app per database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMonths, helsinkiDate, nextWorkingDay } from '../src/modules/requests/index.ts';
import { createTestContext, DATABASES, DEMO, type TestContext } from './helpers.ts';
import { newStaffSession, newSubject, type StaffSession } from './factories.ts';

interface Letter {
  id: string;
  template: string;
  lang: string;
  subject: string;
  text: string;
  from: { name: string; street: string; city: string };
  to: { name: string | null; address: { street: string; postalCode: string; city: string } | null };
  sent: { how: string; on: string; by: string } | null;
}
interface View {
  id: string;
  state: string;
  dueOn: string;
  lettersWaiting: number;
  letters: Letter[];
  events: Array<{ step: string; data: Record<string, unknown> }>;
}
type Problem = { status: number; errors: Array<{ field: string; detail: string }> };

const ADDRESS = { street: 'Kirjekuja 7 B 12', postalCode: '00990', city: 'Helsinki' };

describe.each(DATABASES)('letters to send on %s', (kind) => {
  let t: TestContext;
  let dpo: StaffSession & { id: string };
  let support: StaffSession;

  beforeAll(async () => {
    t = await createTestContext(kind, DEMO);
    dpo = await newStaffSession(t, 'dpo');
    support = await newStaffSession(t, 'support');
  }, 120_000);

  afterAll(async () => {
    await t?.close();
  });

  const post = (url: string, payload: unknown, headers: Record<string, string>) =>
    t.app.inject({ method: 'POST', url: `/api/v1${url}`, payload: payload as object, headers });
  const get = (url: string, headers: Record<string, string>) =>
    t.app.inject({ method: 'GET', url: `/api/v1${url}`, headers });
  const view = async (id: string) => (await get(`/requests/${id}`, dpo.headers)).json<View>();

  /** What a refused marking must leave as it was: letters, history, access log, outbox. */
  async function state() {
    const db = t.db.handle.db;
    const letters = await db
      .selectFrom('request_letters')
      .select(['id', 'sent_how', 'sent_by'])
      .orderBy('id')
      .execute();
    const count = async (table: 'request_events' | 'audit_events' | 'outbox') =>
      Number(
        (
          await db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    return {
      letters,
      events: await count('request_events'),
      outbox: await count('outbox'),
      audit: await count('audit_events'),
    };
  }

  const postal = async (extra: Record<string, unknown> = {}) => {
    const res = await post(
      '/requests',
      {
        type: 'access',
        channel: 'postal',
        lang: 'en',
        name: 'Kirsti Kirjeenvaihtaja',
        address: ADDRESS,
        phone: '+358 40 765 4321',
        identity: { proof: 'signed_letter' },
        ...extra,
      },
      dpo.headers,
    );
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ id: string; lettersWaiting: number; dueOn: string }>();
  };

  it('a postal request without e-mail: the acknowledgement waits as a letter, nothing is mailed', async () => {
    const outboxBefore = (await state()).outbox;
    const created = await postal();
    expect(created.lettersWaiting).toBe(1);
    const v = await view(created.id);
    expect(v.letters).toHaveLength(1);
    const letter = v.letters[0] as Letter;
    expect(letter).toMatchObject({
      template: 'request-acknowledged',
      lang: 'en',
      subject: 'We have received your request',
      from: { name: 'Revontuli Kahvipaahtimo Oy', street: 'Paahtimokuja 4', city: 'Oulu' },
      to: { name: 'Kirsti Kirjeenvaihtaja', address: ADDRESS },
      sent: null,
    });
    expect(letter.text).toContain('We will answer by');
    expect(letter.text).toContain(created.id);
    expect(v.events.map((e) => e.step)).toContain('letter_due');
    expect((await state()).outbox).toBe(outboxBefore);

    const list = (await get('/requests', dpo.headers)).json<{
      items: Array<{ id: string; lettersWaiting: number }>;
    }>();
    expect(list.items.find((i) => i.id === created.id)?.lettersWaiting).toBe(1);
  });

  it('an extension: a letter with the reason and the new due date', async () => {
    // Proven at once: the extended time is three months from that Helsinki date (not two from a
    // due date already moved off a holiday, as on 1 December: due 4 January).
    const provenBefore = helsinkiDate(new Date());
    const created = await postal();
    const res = await post(
      `/requests/${created.id}/extend`,
      { months: 2, reason: 'The archive boxes are being searched by hand.' },
      dpo.headers,
    );
    expect(res.statusCode, res.body).toBe(200);
    const v = await view(created.id);
    expect(v.lettersWaiting).toBe(2);
    const letter = v.letters.find((l) => l.template === 'request-extended') as Letter;
    expect(letter.subject).toBe('The time to answer your request has been extended');
    expect(letter.text).toContain('The archive boxes are being searched by hand.');
    const provenAfter = helsinkiDate(new Date());
    const due = v.dueOn;
    expect([provenBefore, provenAfter].map((d) => nextWorkingDay(addMonths(d, 3)))).toContain(due);
    const formatted = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'UTC',
      day: 'numeric',
      month: 'long',
      year: 'numeric',
    }).format(new Date(`${due}T12:00:00Z`));
    expect(letter.text).toContain(formatted);
  });

  it('a refusal: a letter with the reason, the supervisory authority and the right to complain', async () => {
    const created = await postal({ lang: 'fi' });
    const res = await post(
      `/requests/${created.id}/refuse`,
      { reason: 'Pyyntö on ilmeisen perusteeton.' },
      dpo.headers,
    );
    expect(res.statusCode, res.body).toBe(200);
    const v = await view(created.id);
    const letter = v.letters.find((l) => l.template === 'request-refused') as Letter;
    expect(letter.lang).toBe('fi');
    expect(letter.text).toContain('Pyyntö on ilmeisen perusteeton.');
    expect(letter.text).toContain('Tietosuojavaltuutetun toimisto');
    expect(letter.text).toContain('oikeus tehdä valitus valvontaviranomaiselle');
  });

  it('no postal address: the letter says so, to be told by the channel the person used', async () => {
    const res = await post(
      '/requests',
      {
        type: 'access',
        channel: 'phone',
        lang: 'sv',
        phone: '+358 40 111 2233',
        name: 'Puhelin Pekka',
      },
      dpo.headers,
    );
    expect(res.statusCode, res.body).toBe(201);
    const id = res.json<{ id: string }>().id;
    const proven = await post(
      `/requests/${id}/identity`,
      { proof: 'photo_id', documentType: 'id_card' },
      dpo.headers,
    );
    expect(proven.statusCode, proven.body).toBe(200);
    const v = await view(id);
    expect(v.letters[0]?.to).toEqual({ name: 'Puhelin Pekka', address: null });
    expect(v.letters[0]?.subject).toBe('Vi har tagit emot din begäran');
    const told = await post(
      `/requests/${id}/letters/${v.letters[0]?.id}/sent`,
      { how: 'phone' },
      dpo.headers,
    );
    expect(told.statusCode, told.body).toBe(200);
    expect(told.json<View>().letters[0]?.sent?.how).toBe('phone');
  });

  it('marking a letter sent records it in the history and the access log and ends its wait', async () => {
    const created = await postal();
    const v = await view(created.id);
    const letterId = v.letters[0]?.id as string;
    const today = helsinkiDate(new Date());
    const res = await post(
      `/requests/${created.id}/letters/${letterId}/sent`,
      { how: 'post', on: today },
      dpo.headers,
    );
    expect(res.statusCode, res.body).toBe(200);
    const after = res.json<View>();
    expect(after.lettersWaiting).toBe(0);
    expect(after.letters[0]?.sent).toEqual({ how: 'post', on: today, by: `staff:${dpo.id}` });
    const stepSent = after.events.find((e) => e.step === 'letter_sent');
    expect(stepSent?.data).toMatchObject({ letter: letterId, how: 'post', on: today });
    const audit = await t.db.handle.db
      .selectFrom('audit_events')
      .select(['action', 'data'])
      .where('action', '=', 'request.letter_sent')
      .execute();
    expect(audit.map((a) => a.data)).toContainEqual({
      request: created.id,
      letter: letterId,
      how: 'post',
    });
    const list = (await get('/requests', dpo.headers)).json<{
      items: Array<{ id: string; lettersWaiting: number }>;
    }>();
    expect(list.items.find((i) => i.id === created.id)?.lettersWaiting).toBe(0);

    // Marked twice: refused, naming the letter, nothing changed.
    const before = await state();
    const twice = await post(
      `/requests/${created.id}/letters/${letterId}/sent`,
      { how: 'handed_over' },
      dpo.headers,
    );
    expect(twice.statusCode).toBe(409);
    expect(twice.json<Problem>().errors[0]?.field).toBe('letterId');
    expect(await state()).toEqual(before);
  });

  it('bad input is refused naming the field and changes nothing; without handle_requests, 403', async () => {
    const created = await postal();
    const letterId = (await view(created.id)).letters[0]?.id as string;
    const before = await state();
    const url = `/requests/${created.id}/letters/${letterId}/sent`;

    const noHow = await post(url, {}, dpo.headers);
    expect(noHow.statusCode).toBe(400);
    expect(noHow.json<Problem>().errors.map((e) => e.field)).toContain('how');

    const badHow = await post(url, { how: 'pigeon' }, dpo.headers);
    expect(badHow.statusCode).toBe(400);
    expect(badHow.json<Problem>().errors.map((e) => e.field)).toContain('how');

    const future = await post(url, { how: 'post', on: '2999-01-01' }, dpo.headers);
    expect(future.statusCode).toBe(400);
    expect(future.json<Problem>().errors.map((e) => e.field)).toEqual(['on']);

    const early = await post(url, { how: 'post', on: '2020-01-01' }, dpo.headers);
    expect(early.statusCode).toBe(400);
    expect(early.json<Problem>().errors.map((e) => e.field)).toEqual(['on']);

    const unknown = await post(
      `/requests/${created.id}/letters/0190c6a4-1f2e-7b3c-8d4e-5f6a7b8c9d0e/sent`,
      { how: 'post' },
      dpo.headers,
    );
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json<Problem>().errors.map((e) => e.field)).toEqual(['letterId']);

    // A letter of another request is not this one's.
    const other = await postal();
    const wrong = await post(
      `/requests/${other.id}/letters/${letterId}/sent`,
      { how: 'post' },
      dpo.headers,
    );
    expect(wrong.statusCode).toBe(404);
    const afterOther = await state();

    const forbidden = await post(url, { how: 'post' }, support.headers);
    expect(forbidden.statusCode).toBe(403);
    expect((await get(`/requests/${created.id}`, support.headers)).statusCode).toBe(403);

    const badAddress = await post(
      '/requests',
      {
        type: 'access',
        channel: 'postal',
        lang: 'en',
        phone: '+358 40 765 4321',
        address: { street: 'Kirjekuja 7', postalCode: '00990' },
      },
      dpo.headers,
    );
    expect(badAddress.statusCode).toBe(400);
    expect(badAddress.json<Problem>().errors.map((e) => e.field)).toContain('address.city');

    const now = await state();
    expect(now).toEqual(afterOther);
    expect(afterOther.letters.length).toBe(before.letters.length + 1);
    expect((await view(created.id)).lettersWaiting).toBe(1);
  });

  it("an erasure's completion letter outlives the shredded request until it is marked sent", async () => {
    const person = await newSubject(t);
    const created = await postal({ type: 'erasure', subjectId: person.id });
    const done = await post(`/requests/${created.id}/complete`, {}, dpo.headers);
    expect(done.statusCode, done.body).toBe(200);
    const v = await view(created.id);
    // The request's own data is shredded: its acknowledgement letter with it.
    const ack = v.letters.find((l) => l.template === 'request-acknowledged') as Letter & {
      erased: boolean;
    };
    expect(ack.erased).toBe(true);
    const completed = v.letters.find((l) => l.template === 'request-completed') as Letter & {
      erased: boolean;
    };
    expect(completed.erased).toBe(false);
    expect(completed.to).toEqual({ name: 'Kirsti Kirjeenvaihtaja', address: ADDRESS });
    expect(completed.subject.length).toBeGreaterThan(0);
    const sent = await post(
      `/requests/${created.id}/letters/${completed.id}/sent`,
      { how: 'post' },
      dpo.headers,
    );
    expect(sent.statusCode, sent.body).toBe(200);
    const after = sent.json<View>().letters.find((l) => l.id === completed.id) as Letter & {
      erased: boolean;
    };
    expect(after.erased).toBe(true);
    expect(after.to).toEqual({ name: null, address: null });
    expect(after.sent?.how).toBe('post');
  });

  it('the daily digest mentions the letters waiting', async () => {
    const created = await postal();
    const result = await t.services.requests.sendDigest();
    expect(result.letters).toBeGreaterThanOrEqual(1);
    const rows = await t.db.handle.db
      .selectFrom('outbox')
      .select(['id', 'template', 'locale', 'sealed', 'subject_id'])
      .where('template', '=', 'requests-digest')
      .execute();
    expect(rows.length).toBeGreaterThanOrEqual(1);
    const { TEMPLATES } = await import('../src/mail/index.ts');
    const texts = rows.map((r) => {
      const plain = t.services.vault.openSecret(`outbox:${r.id}`, r.sealed);
      const { data } = JSON.parse(plain.toString('utf8')) as { data: unknown };
      const tpl = TEMPLATES['requests-digest'];
      return tpl.render(r.locale as 'fi', tpl.data.parse(data)).text;
    });
    expect(texts.some((x) => x.includes(created.id))).toBe(true);
    expect(texts.some((x) => /Lähetettävät kirjeet|Letters to send|Brev att skicka/.test(x))).toBe(
      true,
    );
    expect(texts.join('\n')).not.toContain('Kirsti');
  });
});
