/**
 * Delivering an access copy without e-mail, and letters that do not outlive their use (issue 10,
 * review findings). An access or portability request that gives no e-mail address cannot use the
 * portal's download link: completing it needs a delivery (post, to its postal address, or
 * handed over), or an e-mail address recorded first; the completion letter then says the printed
 * copy is enclosed or handed over; staff print the ZIP or PDF (access-logged as a disclosure) and
 * record the delivery, which marks the enclosed letter sent. The request's contact details can be
 * corrected with history. An erased person's completion letter is sealed under a key of its own in
 * the key store, destroyed once the letter is sent: a copy of the letters table kept from before
 * (a backup) opens nothing then. Letters waiting too long, or of shredded requests, are closed.
 * Bad input is refused naming the field and changing nothing; without handle_requests, 403.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderTemplate } from '../src/mail/index.ts';
import { helsinkiDate } from '../src/modules/requests/index.ts';
import { createTestContext, DATABASES, DEMO, type TestContext } from './helpers.ts';
import { allPowersKey, newStaffSession, newSubject, type StaffSession } from './factories.ts';

interface Letter {
  id: string;
  template: string;
  text: string;
  to: { name: string | null; address: Record<string, string> | null };
  erased: boolean;
  sent: { how: string; on: string; by: string } | null;
  closed: { why: string; at: string } | null;
}
interface View {
  id: string;
  state: string;
  lettersWaiting: number;
  downloadUntil: string | null;
  contact: { email: string | null; address: Record<string, string> | null };
  letters: Letter[];
  events: Array<{ step: string; data: Record<string, unknown> }>;
  delivery: { how: string; delivered: { how: string; on: string; by: string } | null } | null;
}
type Problem = { status: number; errors: Array<{ field: string; detail: string }> };

const ADDRESS = { street: 'Postikuja 3 A 5', postalCode: '90100', city: 'Oulu' };

describe.each(DATABASES)('delivering an access copy without e-mail on %s', (kind) => {
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
  const fields = (body: string) => (JSON.parse(body) as Problem).errors.map((e) => e.field);

  /** What a refusal must leave as it was. */
  async function state() {
    const db = t.db.handle.db;
    const count = async (
      table: 'request_events' | 'audit_events' | 'outbox' | 'request_letters' | 'requests',
    ) =>
      Number(
        (
          await db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const requests = await db
      .selectFrom('requests')
      .select(['id', 'state', 'sealed', 'email_index', 'delivery_how', 'delivered_how'])
      .orderBy('id')
      .execute();
    return {
      requests,
      letters: await db
        .selectFrom('request_letters')
        .select(['id', 'sealed', 'sent_how', 'closed_why'])
        .orderBy('id')
        .execute(),
      events: await count('request_events'),
      outbox: await count('outbox'),
      audit: await count('audit_events'),
    };
  }

  /** A proven postal access request of a person, without e-mail. */
  const postal = async (extra: Record<string, unknown> = {}) => {
    const person = await newSubject(t);
    const res = await post(
      '/requests',
      {
        type: 'access',
        channel: 'postal',
        lang: 'en',
        name: 'Paula Postinen',
        address: ADDRESS,
        subjectId: person.id,
        identity: { proof: 'signed_letter' },
        ...extra,
      },
      dpo.headers,
    );
    expect(res.statusCode, res.body).toBe(201);
    return { id: res.json<{ id: string }>().id, person: person.id };
  };

  it('completion without e-mail and without a delivery is refused naming delivery and email, nothing changed', async () => {
    const { id } = await postal();
    const before = await state();
    const res = await post(`/requests/${id}/complete`, {}, dpo.headers);
    expect(res.statusCode).toBe(400);
    expect(fields(res.body)).toEqual(['delivery', 'email']);
    expect(res.json<Problem>().errors[0]?.detail).toMatch(/no e-mail address/);
    const pigeon = await post(`/requests/${id}/complete`, { delivery: 'pigeon' }, dpo.headers);
    expect(pigeon.statusCode).toBe(400);
    expect(fields(pigeon.body)).toContain('delivery');
    expect(await state()).toEqual(before);
    expect((await view(id)).state).toBe('in_progress');
  });

  it('post without a postal address is refused naming address; a delivery with e-mail is refused', async () => {
    const { id } = await postal({ address: undefined, phone: '+358 40 555 0101' });
    const before = await state();
    const res = await post(`/requests/${id}/complete`, { delivery: 'post' }, dpo.headers);
    expect(res.statusCode).toBe(400);
    expect(fields(res.body)).toEqual(['address']);
    expect(await state()).toEqual(before);

    const mailed = await postal({ email: `posti.${Date.now()}@example.com` });
    const withMail = await post(
      `/requests/${mailed.id}/complete`,
      { delivery: 'post' },
      dpo.headers,
    );
    expect(withMail.statusCode).toBe(400);
    expect(fields(withMail.body)).toEqual(['delivery']);
    expect((await view(mailed.id)).state).toBe('in_progress');
  });

  it('nothing is printed before the request is completed, and not for another role', async () => {
    const { id } = await postal();
    const before = await state();
    const early = await get(`/requests/${id}/package`, dpo.headers);
    expect(early.statusCode).toBe(409);
    expect(fields(early.body)).toEqual(['delivery']);
    const forbidden = await get(`/requests/${id}/package?format=pdf`, support.headers);
    expect(forbidden.statusCode).toBe(403);
    const badFormat = await get(`/requests/${id}/package?format=docx`, dpo.headers);
    expect(badFormat.statusCode).toBe(400);
    expect(await state()).toEqual(before);
    // Not even a request whose identity is not proven yet.
    const unproven = await postal({ identity: undefined });
    const res = await get(`/requests/${unproven.id}/package`, dpo.headers);
    expect(res.statusCode).toBe(409);
    const exports = await t.db.handle.db
      .selectFrom('audit_events')
      .select('id')
      .where('action', 'in', ['subject.export', 'request.package'])
      .where('subject_id', '=', unproven.person)
      .execute();
    expect(exports).toEqual([]);
  });

  it('posted: the letter says the copy is enclosed, staff print it (logged) and record the delivery', async () => {
    const { id, person } = await postal();
    const done = await post(`/requests/${id}/complete`, { delivery: 'post' }, dpo.headers);
    expect(done.statusCode, done.body).toBe(200);
    let v = await view(id);
    expect(v.state).toBe('completed');
    expect(v.downloadUntil).toBeNull();
    expect(v.delivery).toEqual({ how: 'post', delivered: null });
    const letter = v.letters.find((l) => l.template === 'request-completed') as Letter;
    expect(letter.text).toContain('A printed copy of your data is enclosed with this letter');
    expect(letter.text).not.toMatch(/download/i);
    expect(letter.to).toEqual({ name: 'Paula Postinen', address: ADDRESS });

    const zip = await get(`/requests/${id}/package`, dpo.headers);
    expect(zip.statusCode, zip.body).toBe(200);
    expect(zip.headers['content-type']).toBe('application/zip');
    expect(zip.headers['cache-control']).toBe('no-store');
    expect(zip.rawPayload.subarray(0, 2).toString('latin1')).toBe('PK');
    const pdf = await get(`/requests/${id}/package?format=pdf`, dpo.headers);
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.rawPayload.subarray(0, 5).toString('latin1')).toBe('%PDF-');

    const logged = await t.db.handle.db
      .selectFrom('audit_events')
      .select(['action', 'data', 'actor_id'])
      .where('subject_id', '=', person)
      .where('action', '=', 'request.package')
      .execute();
    expect(logged.map((l) => l.data)).toEqual([
      { request: id, kind: 'access', format: 'zip' },
      { request: id, kind: 'access', format: 'pdf' },
    ]);
    v = await view(id);
    expect(v.events.filter((e) => e.step === 'package').map((e) => e.data)).toEqual([
      { format: 'zip' },
      { format: 'pdf' },
    ]);

    // Bad input first: nothing recorded.
    const before = await state();
    expect(fields((await post(`/requests/${id}/delivery`, {}, dpo.headers)).body)).toContain('how');
    const future = await post(
      `/requests/${id}/delivery`,
      { how: 'post', on: '2999-01-01' },
      dpo.headers,
    );
    expect(future.statusCode).toBe(400);
    expect(fields(future.body)).toEqual(['on']);
    const early = await post(
      `/requests/${id}/delivery`,
      { how: 'post', on: '2020-01-01' },
      dpo.headers,
    );
    expect(early.statusCode).toBe(400);
    expect(fields(early.body)).toEqual(['on']);
    expect(
      (await post(`/requests/${id}/delivery`, { how: 'post' }, support.headers)).statusCode,
    ).toBe(403);
    expect(await state()).toEqual(before);

    const today = helsinkiDate(new Date());
    const delivered = await post(`/requests/${id}/delivery`, { how: 'post' }, dpo.headers);
    expect(delivered.statusCode, delivered.body).toBe(200);
    v = delivered.json<View>();
    expect(v.delivery).toEqual({
      how: 'post',
      delivered: { how: 'post', on: today, by: `staff:${dpo.id}` },
    });
    expect(v.events.find((e) => e.step === 'delivered')?.data).toEqual({ how: 'post', on: today });
    // The letter went in the same envelope: marked sent, its text gone.
    const sent = v.letters.find((l) => l.template === 'request-completed') as Letter;
    expect(sent.sent?.how).toBe('post');
    expect(sent.erased).toBe(true);
    expect(v.lettersWaiting).toBe(1); // the acknowledgement is another letter
    const audit = await t.db.handle.db
      .selectFrom('audit_events')
      .select(['action', 'data'])
      .where('subject_id', '=', person)
      .where('action', 'in', ['request.delivered', 'request.letter_sent'])
      .execute();
    expect(audit.map((a) => a.action).sort()).toEqual(['request.delivered', 'request.letter_sent']);

    // Once: a second delivery and a further print are refused.
    const again = await post(`/requests/${id}/delivery`, { how: 'handed_over' }, dpo.headers);
    expect(again.statusCode).toBe(409);
    expect(fields(again.body)).toEqual(['delivery']);
    const reprint = await get(`/requests/${id}/package`, dpo.headers);
    expect(reprint.statusCode).toBe(409);
  });

  it('handed over: its own words in sv, fi and en; posting it needs an address', async () => {
    const person = await newSubject(t);
    const created = await post(
      '/requests',
      {
        type: 'portability',
        channel: 'in_person',
        lang: 'sv',
        name: 'Henrik Handtag',
        phone: '+358 40 555 0202',
        subjectId: person.id,
        identity: { proof: 'photo_id', documentType: 'passport' },
      },
      dpo.headers,
    );
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json<{ id: string }>().id;
    const done = await post(`/requests/${id}/complete`, { delivery: 'handed_over' }, dpo.headers);
    expect(done.statusCode, done.body).toBe(200);
    const v = await view(id);
    const letter = v.letters.find((l) => l.template === 'request-completed') as Letter;
    expect(letter.text).toContain('överlämnas till dig personligen');
    const pdf = await get(`/requests/${id}/package?format=pdf`, dpo.headers);
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-disposition']).toMatch(/portability-\d{4}-\d{2}-\d{2}\.pdf/);

    const posted = await post(`/requests/${id}/delivery`, { how: 'post' }, dpo.headers);
    expect(posted.statusCode).toBe(400);
    expect(fields(posted.body)).toEqual(['address']);
    const handed = await post(`/requests/${id}/delivery`, { how: 'handed_over' }, dpo.headers);
    expect(handed.statusCode, handed.body).toBe(200);

    const base = { register: 'R', type: 'access' as const, request: id };
    for (const [lang, post, hand] of [
      ['sv', 'finns i samma försändelse', 'överlämnas till dig personligen'],
      ['fi', 'tämän kirjeen mukana', 'luovutetaan sinulle henkilökohtaisesti'],
      ['en', 'enclosed with this letter', 'handed to you in person'],
    ] as const) {
      const p = renderTemplate('request-completed', lang, { ...base, delivery: 'post' }).text;
      const h = renderTemplate('request-completed', lang, {
        ...base,
        delivery: 'handed_over',
      }).text;
      expect(p).toContain(post);
      expect(h).toContain(hand);
      expect(p).not.toMatch(/ladda ner|lataa|download/i);
    }
  });

  it('an e-mail address recorded for the request: the normal download link flow', async () => {
    const { id } = await postal();
    const before = await state();
    for (const [payload, field] of [
      [{}, 'email'],
      [{ email: 'not an address' }, 'email'],
      [{ address: { street: 'x', postalCode: '1' } }, 'address.city'],
    ] as const) {
      const res = await post(`/requests/${id}/contact`, payload, dpo.headers);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(fields(res.body)).toContain(field);
    }
    expect((await post(`/requests/${id}/contact`, { phone: '1' }, dpo.headers)).statusCode).toBe(
      400,
    );
    expect(
      (await post(`/requests/${id}/contact`, { email: 'a@example.com' }, support.headers))
        .statusCode,
    ).toBe(403);
    expect(await state()).toEqual(before);

    const email = `paula.${Date.now()}@example.com`;
    const res = await post(`/requests/${id}/contact`, { email }, dpo.headers);
    expect(res.statusCode, res.body).toBe(200);
    const v = res.json<View>();
    expect(v.contact.email).toBe(email);
    const corrected = v.events.find((e) => e.step === 'contact_corrected');
    expect(corrected?.data).toEqual({ fields: ['email'] });
    expect(JSON.stringify(v.events)).not.toContain(email);
    const outbox = (await state()).outbox;
    const done = await post(`/requests/${id}/complete`, {}, dpo.headers);
    expect(done.statusCode, done.body).toBe(200);
    const after = await view(id);
    expect(after.downloadUntil).not.toBeNull();
    expect(after.delivery).toBeNull();
    expect(after.letters.filter((l) => l.template === 'request-completed')).toEqual([]);
    expect((await state()).outbox).toBe(outbox + 1);
    expect((await get(`/requests/${id}/package`, dpo.headers)).statusCode).toBe(409);
    // Closed: the e-mail address stays as it was.
    const late = await post(`/requests/${id}/contact`, { email: 'other@example.com' }, dpo.headers);
    expect(late.statusCode).toBe(409);
    expect(fields(late.body)).toEqual(['email']);
  });

  it('a corrected postal address readdresses the letters waiting, with history; the access copy shows it', async () => {
    const { id, person } = await postal({ address: undefined, phone: '+358 40 555 0303' });
    const letterId = (await view(id)).letters[0]?.id as string;
    // A letter without an address cannot be posted.
    const posted = await post(
      `/requests/${id}/letters/${letterId}/sent`,
      { how: 'post' },
      dpo.headers,
    );
    expect(posted.statusCode).toBe(400);
    expect(fields(posted.body)).toEqual(['address']);

    const res = await post(`/requests/${id}/contact`, { address: ADDRESS }, dpo.headers);
    expect(res.statusCode, res.body).toBe(200);
    const v = res.json<View>();
    expect(v.contact.address).toEqual(ADDRESS);
    expect(v.letters[0]?.to.address).toEqual(ADDRESS);
    expect(v.events.find((e) => e.step === 'contact_corrected')?.data).toEqual({
      fields: ['address'],
    });
    const audit = await t.db.handle.db
      .selectFrom('audit_events')
      .select('data')
      .where('action', '=', 'request.contact')
      .where('subject_id', '=', person)
      .execute();
    expect(audit.map((a) => a.data)).toEqual([{ request: id, fields: ['address'] }]);
    const sent = await post(
      `/requests/${id}/letters/${letterId}/sent`,
      { how: 'post' },
      dpo.headers,
    );
    expect(sent.statusCode, sent.body).toBe(200);

    const copy = await t.app.inject({
      method: 'GET',
      url: `/api/v1/subjects/${person}/export`,
      headers: await allPowersKey(t),
    });
    expect(copy.statusCode, copy.body).toBe(200);
    const mine = copy
      .json<{ requests: Array<{ id: string; contact: { address: unknown } }> }>()
      .requests.find((r) => r.id === id);
    expect(mine?.contact.address).toEqual(ADDRESS);
  });
});

describe.each(DATABASES)('letters that do not outlive their use on %s', (kind) => {
  let t: TestContext;
  let dpo: StaffSession & { id: string };

  beforeAll(async () => {
    t = await createTestContext(kind, DEMO);
    dpo = await newStaffSession(t, 'dpo');
  }, 120_000);

  afterAll(async () => {
    await t?.close();
  });

  const post = (url: string, payload: unknown) =>
    t.app.inject({
      method: 'POST',
      url: `/api/v1${url}`,
      payload: payload as object,
      headers: dpo.headers,
    });
  const view = async (id: string) =>
    (await t.app.inject({ url: `/api/v1/requests/${id}`, headers: dpo.headers })).json<View>();

  const postalRequest = async (type: string, subjectId: string) => {
    const res = await post('/requests', {
      type,
      channel: 'postal',
      lang: 'fi',
      name: 'Eero Erasmus',
      address: ADDRESS,
      subjectId,
      identity: { proof: 'signed_letter' },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ id: string }>().id;
  };

  it('attack: after an erasure, a restored copy of the letters table opens nothing once the letter is sent', async () => {
    const person = await newSubject(t);
    const id = await postalRequest('erasure', person.id);
    const done = await post(`/requests/${id}/complete`, {});
    expect(done.statusCode, done.body).toBe(200);
    const db = t.db.handle.db;
    const letters = await db
      .selectFrom('request_letters')
      .selectAll()
      .where('request_id', '=', id)
      .orderBy('due_at')
      .execute();
    const completion = letters.find((l) => l.template === 'request-completed');
    const ack = letters.find((l) => l.template === 'request-acknowledged');
    if (!completion || !ack) {
      throw new Error('letters missing');
    }
    // Sealed under a key of its own in the key store, not under the server's secret.
    expect(completion.sealed_with).toBe('letter');
    expect(await t.keys.get(completion.id)).toBeDefined();
    expect(() =>
      t.services.vault.openSecret(`request-letter:${completion.id}`, completion.sealed),
    ).toThrow();
    // The acknowledgement, under the shredded request's key, is closed: it can never be sent.
    let v = await view(id);
    expect(v.letters.find((l) => l.id === ack.id)?.closed?.why).toBe('shredded');
    expect(v.lettersWaiting).toBe(1);
    const readable = v.letters.find((l) => l.id === completion.id) as Letter;
    expect(readable.text).toContain('Muut tietosi on poistettu');
    expect(readable.to.name).toBe('Eero Erasmus');

    // A backup taken now holds the letter's sealed bytes.
    const backup = { ...completion, sealed: Buffer.from(completion.sealed) };
    const sent = await post(`/requests/${id}/letters/${completion.id}/sent`, { how: 'post' });
    expect(sent.statusCode, sent.body).toBe(200);
    expect(await t.keys.get(completion.id)).toBeUndefined();
    const journal = await t.keys.journal();
    expect(journal.map((j) => j.subjectId)).toContain(completion.id);
    const row = await db
      .selectFrom('request_letters')
      .select('sealed')
      .where('id', '=', completion.id)
      .executeTakeFirstOrThrow();
    expect(row.sealed.length).toBe(0);

    // The backup restored: its letter row back as it was, sealed bytes and all.
    await db
      .updateTable('request_letters')
      .set({
        sealed: backup.sealed,
        sent_how: null,
        sent_on: null,
        sent_by: null,
        sent_recorded_at: null,
      })
      .where('id', '=', completion.id)
      .execute();
    v = await view(id);
    const restored = v.letters.find((l) => l.id === completion.id) as Letter;
    expect(restored.erased).toBe(true);
    expect(restored.text).toBe('');
    expect(JSON.stringify(v)).not.toContain('Eero');
    expect(JSON.stringify(v)).not.toContain(ADDRESS.street);
    expect(() =>
      t.services.vault.openSecret(`request-letter:${completion.id}`, backup.sealed),
    ).toThrow();
  });

  it('a letter waiting too long is closed, its text dropped; it can no longer be marked sent', async () => {
    const person = await newSubject(t);
    const id = await postalRequest('access', person.id);
    const letterId = (await view(id)).letters[0]?.id as string;
    await t.db.handle.db
      .updateTable('request_letters')
      .set({ due_at: new Date(Date.now() - 200 * 86_400_000) })
      .where('id', '=', letterId)
      .execute();
    const result = await t.services.requests.tidyLetters();
    expect(result.expired).toBeGreaterThanOrEqual(1);
    const v = await view(id);
    expect(v.lettersWaiting).toBe(0);
    expect(v.letters[0]?.closed?.why).toBe('expired');
    expect(v.letters[0]?.erased).toBe(true);
    const row = await t.db.handle.db
      .selectFrom('request_letters')
      .select('sealed')
      .where('id', '=', letterId)
      .executeTakeFirstOrThrow();
    expect(row.sealed.length).toBe(0);
    const late = await post(`/requests/${id}/letters/${letterId}/sent`, { how: 'post' });
    expect(late.statusCode).toBe(409);
    expect(late.json<Problem>().errors[0]?.field).toBe('letterId');
  });

  it("a person erased another way: their requests' waiting letters are closed", async () => {
    const person = await newSubject(t);
    const id = await postalRequest('access', person.id);
    const erased = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/subjects/${person.id}`,
      headers: await allPowersKey(t),
    });
    expect(erased.statusCode, erased.body).toBeLessThan(300);
    await t.services.requests.shredRequestsOfErased();
    const v = await view(id);
    expect(v.lettersWaiting).toBe(0);
    expect(v.letters[0]?.closed?.why).toBe('shredded');
  });

  it('a letter sealed under the server secret before 0024 is sealed under a key of its own', async () => {
    const person = await newSubject(t);
    const id = await postalRequest('access', person.id);
    const letter = (await view(id)).letters[0] as Letter;
    const content = JSON.stringify({
      data: { register: 'Reg', type: 'access', request: id, dueOn: '2026-01-31' },
      to: { name: 'Vanha Kirje', address: ADDRESS },
    });
    await t.db.handle.db
      .updateTable('request_letters')
      .set({
        sealed_with: 'server',
        sealed: t.services.vault.sealSecret(`request-letter:${letter.id}`, content),
      })
      .where('id', '=', letter.id)
      .execute();
    const result = await t.services.requests.tidyLetters();
    expect(result.resealed).toBe(1);
    const row = await t.db.handle.db
      .selectFrom('request_letters')
      .select(['sealed_with', 'sealed'])
      .where('id', '=', letter.id)
      .executeTakeFirstOrThrow();
    expect(row.sealed_with).toBe('letter');
    expect(() => t.services.vault.openSecret(`request-letter:${letter.id}`, row.sealed)).toThrow();
    expect((await view(id)).letters[0]?.to.name).toBe('Vanha Kirje');
  });

  it("the digest's subject counts the letters when only letters wait", () => {
    const data = {
      register: 'Reg',
      today: '2026-11-30',
      overdue: [],
      dueSoon: [],
      letters: [
        { request: '0190c6a4-1f2e-7b3c-8d4e-5f6a7b8c9d0e', template: 'x', dueOn: '2026-11-29' },
      ],
    };
    expect(renderTemplate('requests-digest', 'en', data).subject).toBe('Reg: 1 letters to send');
    expect(renderTemplate('requests-digest', 'fi', data).subject).toBe(
      'Reg: 1 lähetettävää kirjettä',
    );
    expect(renderTemplate('requests-digest', 'sv', data).subject).toBe('Reg: 1 brev att skicka');
    expect(renderTemplate('requests-digest', 'en', data).subject).not.toMatch(/overdue/);
  });
});
