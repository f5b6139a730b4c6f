/**
 * Data subjects' requests through HTTP, with a staff session and with an API key: intake, the
 * identity proof that starts the clock (a type needing stronger proof waits), matching the person,
 * extension, refusal, cancellation and completion; each refusal names its field and changes
 * nothing; the mails land in the outbox in the request's language; the handlers' digest; the
 * access log's typed entries. One app per database.
 */
import { writeFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEMPLATES, type TemplateName } from '../src/mail/index.ts';
import { system } from '../src/lib/actor.ts';
import type { Clock } from '../src/lib/clock.ts';
import {
  addMonths,
  createRequestsService,
  dueDate,
  helsinkiDate,
  nextWorkingDay,
} from '../src/modules/requests/index.ts';
import { createTestContext, DATABASES, DEMO, type TestContext } from './helpers.ts';
import { newApiKey, newStaffSession, newSubject, type StaffSession } from './factories.ts';

/** The demo register, with erasure needing stronger proof than a mailed link. */
async function demoWithStronger(dir: string): Promise<string> {
  const text = await readFile(DEMO, 'utf8');
  const file = join(dir, 'register.yaml');
  await writeFile(
    file,
    `${text.trimEnd()}\n  stronger:\n    - type: erasure\n      proof: [photo_id, signed_letter, strong_eid]\n`,
  );
  return file;
}

interface Mail {
  id: string;
  to: string;
  template: string;
  locale: string;
  subjectId: string | null;
  subject: string;
  text: string;
  html: string;
}

/** Every mail in the outbox, opened and rendered as it would be delivered. */
async function outbox(t: TestContext): Promise<Mail[]> {
  const rows = await t.db.handle.db
    .selectFrom('outbox')
    .select(['id', 'template', 'locale', 'sealed', 'subject_id', 'own_key'])
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  const vault = t.services.vault;
  const out: Mail[] = [];
  for (const r of rows) {
    let plain: Buffer;
    if (r.own_key) {
      // Sealed under a key of its own (an erasure's completion), named by the mail's id.
      const wrapped = await t.keys.get(r.id);
      if (!wrapped) {
        continue;
      }
      plain = vault.open(vault.unwrapSubjectKey(r.id, wrapped), `outbox:${r.id}:own`, r.sealed);
    } else if (r.subject_id === null) {
      plain = vault.openSecret(`outbox:${r.id}`, r.sealed);
    } else {
      const wrapped = await t.keys.get(r.subject_id);
      if (!wrapped) {
        continue;
      }
      const key = vault.unwrapSubjectKey(r.subject_id, wrapped);
      plain = vault.open(key, `outbox:${r.id}:subject:${r.subject_id}`, r.sealed);
    }
    const { to, data } = JSON.parse(plain.toString('utf8')) as { to: string; data: unknown };
    const template = TEMPLATES[r.template as TemplateName] as {
      render(l: string, d: unknown): { subject: string; text: string; html: string };
    };
    out.push({
      id: r.id,
      to,
      template: r.template,
      locale: r.locale,
      subjectId: r.subject_id,
      ...template.render(r.locale, data),
    });
  }
  return out;
}

/** What a refusal must leave as it was: the requests, their history, the outbox, people. */
async function state(t: TestContext) {
  const db = t.db.handle.db;
  const requests = await db
    .selectFrom('requests')
    .select(['id', 'state', 'extended', 'subject_id', 'identity_proof', 'closed_at', 'sealed'])
    .orderBy('id')
    .execute();
  const count = async (table: 'request_events' | 'outbox' | 'subjects' | 'request_recipients') =>
    Number(
      (
        await db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  return {
    requests: requests.map((r) => ({ ...r, sealed: Buffer.from(r.sealed).toString('hex') })),
    events: await count('request_events'),
    outbox: await count('outbox'),
    subjects: await count('subjects'),
    recipients: await count('request_recipients'),
  };
}

async function auditOf(t: TestContext, request: string) {
  const rows = await t.db.handle.db
    .selectFrom('audit_events')
    .select(['action', 'subject_id', 'actor_kind', 'data'])
    .where('action', 'like', 'request.%')
    .orderBy('id')
    .execute();
  return rows.filter((r) => (r.data as { request?: string } | null)?.request === request);
}

type Problem = { status: number; detail: string; errors: Array<{ field: string; detail: string }> };

describe.each(DATABASES)('requests on %s', (kind) => {
  let t: TestContext;
  let dir: string;
  let dpo: StaffSession & { id: string };
  let support: StaffSession;
  let key: { authorization: string };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rekisteri-requests-'));
    t = await createTestContext(kind, await demoWithStronger(dir));
    dpo = await newStaffSession(t, 'dpo');
    support = await newStaffSession(t, 'support');
    key = (await newApiKey(t, ['*'], ['read', 'write', 'erase', 'export', 'handle_requests']))
      .headers;
  }, 120_000);

  afterAll(async () => {
    await t?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const post = (url: string, payload: unknown, headers: Record<string, string>) =>
    t.app.inject({ method: 'POST', url: `/api/v1${url}`, payload: payload as object, headers });
  const get = (url: string, headers: Record<string, string>) =>
    t.app.inject({ method: 'GET', url: `/api/v1${url}`, headers });

  it('an access request made in person: identity checked, clock started, person matched, copy made ready, mails in Swedish', async () => {
    const person = await newSubject(t);
    const email = person.values.contact?.email as string;
    const res = await post(
      '/requests',
      {
        type: 'access',
        channel: 'in_person',
        lang: 'sv',
        email,
        name: 'Testi Henkilö',
        identity: { proof: 'photo_id', documentType: 'passport' },
      },
      dpo.headers,
    );
    expect(res.statusCode, res.body).toBe(201);
    const created = res.json<{ id: string; state: string; dueOn: string; subjectId: string }>();
    expect(created).toMatchObject({ state: 'in_progress', subjectId: person.id, overdue: false });
    expect(created.dueOn).toBe(dueDate(new Date()));

    const view = (await get(`/requests/${created.id}`, dpo.headers)).json<{
      identity: { proof: string; documentType: string; checkedBy: string };
      contact: { email: string };
      events: Array<{ step: string }>;
    }>();
    expect(view.identity).toMatchObject({
      proof: 'photo_id',
      documentType: 'passport',
      checkedBy: `staff:${dpo.id}`,
    });
    expect(view.contact.email).toBe(email);
    expect(view.events.map((e) => e.step)).toEqual([
      'received',
      'identity',
      'matched',
      'in_progress',
    ]);

    const done = await post(`/requests/${created.id}/complete`, {}, dpo.headers);
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json()).toMatchObject({ state: 'completed' });
    const after = (await get(`/requests/${created.id}`, dpo.headers)).json<{
      downloadUntil: string;
    }>();
    const days = (Date.parse(after.downloadUntil) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThanOrEqual(30);

    const mails = (await outbox(t)).filter((m) => m.to === email);
    expect(mails.map((m) => [m.template, m.locale, m.subjectId])).toEqual([
      ['request-acknowledged', 'sv', person.id],
      ['request-completed', 'sv', person.id],
    ]);
    expect(mails[0]?.subject).toBe('Vi har tagit emot din begäran');
    expect(mails[1]?.text).toContain('ladda ner');
    expect(mails[1]?.html).toContain('<html lang="sv">');

    // Every step in the access log, typed, with the person and no personal data.
    const log = await auditOf(t, created.id);
    expect(log.map((e) => e.action)).toEqual([
      'request.receive',
      'request.identity',
      'request.match',
      'request.read',
      'request.complete',
      'request.read',
    ]);
    // The person is known from the match on: the steps before it name no one.
    expect(log.map((e) => e.subject_id)).toEqual([
      null,
      null,
      ...log.slice(2).map(() => person.id),
    ]);
    expect(log[1]?.data).toEqual({
      request: created.id,
      proof: 'photo_id',
      documentType: 'passport',
      sufficient: true,
    });
    expect(JSON.stringify(log)).not.toContain(email);
  });

  it('an erasure by API key: a mailed link is not enough, a signed letter starts the clock, the person is erased and told', async () => {
    const person = await newSubject(t);
    const email = person.values.contact?.email as string;
    const res = await post(
      '/requests',
      { type: 'erasure', channel: 'email', lang: 'fi', email },
      key,
    );
    expect(res.statusCode, res.body).toBe(201);
    const { id } = res.json<{ id: string }>();
    expect(res.json()).toMatchObject({ state: 'identity_pending', dueOn: null, subjectId: null });

    const weak = await post(`/requests/${id}/identity`, { proof: 'email_link' }, key);
    expect(weak.statusCode, weak.body).toBe(200);
    expect(weak.json()).toMatchObject({ state: 'identity_pending', dueOn: null, subjectId: null });
    expect(
      (await get(`/requests/${id}`, key)).json<{ identity: { accepted: string[] } }>().identity
        .accepted,
    ).toEqual(['photo_id', 'signed_letter', 'strong_eid']);

    const strong = await post(`/requests/${id}/identity`, { proof: 'signed_letter' }, key);
    expect(strong.json()).toMatchObject({ state: 'in_progress', subjectId: person.id });
    // An earlier request of the same person, linked to them: its contact data goes too.
    const other = await post(
      '/requests',
      { type: 'access', channel: 'email', lang: 'fi', email, subjectId: person.id },
      key,
    );
    expect(other.statusCode, other.body).toBe(201);
    const otherId = other.json<{ id: string }>().id;

    // The recipients of the person's data are listed and told (Art. 19).
    const done = await post(`/requests/${id}/complete`, {}, key);
    expect(done.statusCode, done.body).toBe(200);
    expect(
      (await get(`/subjects/${person.id}?purpose=customer_relationship`, key)).statusCode,
    ).toBe(404);
    const told = await post(
      `/requests/${id}/recipients/webshop_platform`,
      { how: 'email', at: '2026-01-05T10:00:00Z' },
      key,
    );
    expect(told.statusCode, told.body).toBe(200);
    expect(told.json<{ recipients: unknown[] }>().recipients).toEqual([
      {
        recipientId: 'webshop_platform',
        toldAt: '2026-01-05T10:00:00.000Z',
        how: 'email',
        recordedBy: expect.stringMatching(/^api_key:/) as string,
      },
    ]);

    // The completion mail outlives the person's key, in Finnish: sealed under a key of its own,
    // not the server's secret, so that a backup of the outbox opens nothing once it is gone.
    const mails = (await outbox(t)).filter((m) => m.to === email);
    expect(mails.map((m) => [m.template, m.locale, m.subjectId])).toEqual([
      ['request-completed', 'fi', null],
    ]);
    expect(mails[0]?.text).toContain('Muut tietosi on poistettu.');
    const mailId = mails[0]!.id;
    const row = await t.db.handle.db
      .selectFrom('outbox')
      .select(['sealed', 'own_key'])
      .where('id', '=', mailId)
      .executeTakeFirstOrThrow();
    expect(row.own_key).toBe(true);
    expect(() => t.services.vault.openSecret(`outbox:${mailId}`, row.sealed)).toThrow();
    expect(await t.keys.get(mailId)).toBeDefined();
    // Expired (or sent): the row and its key go; the backed-up row opens for no one.
    await t.db.handle.db
      .updateTable('outbox')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', mailId)
      .execute();
    await t.services.mail.expireOutbox();
    expect(await t.keys.get(mailId)).toBeUndefined();

    // Every request of the person keeps only its type, state, dates and non-personal history.
    await expectShredded([id, otherId]);
  });

  /** Requests whose personal data is gone: contact nulls, no blind index, no key. */
  async function expectShredded(ids: string[]) {
    for (const rid of ids) {
      const view = await get(`/requests/${rid}`, key);
      expect(view.statusCode, view.body).toBe(200);
      expect(view.json()).toMatchObject({
        contact: { email: null, phone: null, name: null },
        details: null,
      });
      expect(view.json<{ events: Array<{ step: string }> }>().events.map((e) => e.step)).toContain(
        'shredded',
      );
      const raw = await t.db.handle.db
        .selectFrom('requests')
        .select(['email_index', 'phone_index'])
        .where('id', '=', rid)
        .executeTakeFirstOrThrow();
      expect(raw).toEqual({ email_index: null, phone_index: null });
      expect(await t.keys.get(rid)).toBeFalsy();
    }
  }

  it('refuses to link an e-mail-link-proven request to someone other than the address owner, unless a stronger proof is recorded', async () => {
    const thief = await newSubject(t);
    const victim = await newSubject(t);
    const made = await post(
      '/requests',
      {
        type: 'access',
        channel: 'email',
        lang: 'en',
        email: thief.values.contact?.email as string,
        identity: { proof: 'email_link' },
      },
      key,
    );
    expect(made.statusCode, made.body).toBe(201);
    const { id } = made.json<{ id: string }>();
    expect(made.json()).toMatchObject({ state: 'in_progress', subjectId: thief.id });
    const before = await state(t);
    const res = await post(`/requests/${id}/subject`, { subjectId: victim.id }, key);
    expect(res.statusCode, res.body).toBe(409);
    expect(res.json<Problem>().errors[0]?.field).toBe('subjectId');
    expect(res.json<Problem>().detail).toContain('record a stronger proof first');
    expect(await state(t)).toEqual(before);

    // With a signed letter checked, staff may link (and relink, which is logged) as they find.
    const letter = await post(
      '/requests',
      {
        type: 'access',
        channel: 'postal',
        lang: 'en',
        email: 'nobody-known@example.org',
        identity: { proof: 'signed_letter' },
      },
      key,
    );
    const lid = letter.json<{ id: string }>().id;
    expect((await post(`/requests/${lid}/subject`, { subjectId: thief.id }, key)).statusCode).toBe(
      200,
    );
    const again = await post(`/requests/${lid}/subject`, { subjectId: victim.id }, key);
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toMatchObject({ subjectId: victim.id });
    const view = await get(`/requests/${lid}`, key);
    expect(view.json<{ events: Array<{ step: string }> }>().events.map((e) => e.step)).toEqual(
      expect.arrayContaining(['matched', 'relinked']),
    );
  });

  it('matches a person who objected and is restricted to their own later request', async () => {
    const person = await newSubject(t);
    await t.services.subjects.stopProcessing(system, person.id, { reason: 'objection' });
    await t.services.subjects.stopProcessing(system, person.id, {
      reason: 'marketing_prohibition',
    });
    await t.services.subjects.setRestriction(system, person.id, 'contested accuracy');
    const res = await post(
      '/requests',
      {
        type: 'access',
        channel: 'postal',
        lang: 'en',
        email: person.values.contact?.email as string,
        identity: { proof: 'signed_letter' },
      },
      key,
    );
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ state: 'in_progress', subjectId: person.id });
  });

  it('refuses unknown keys at every depth of a change asked for, naming the field', async () => {
    const before = await state(t);
    const res = await post(
      '/requests',
      {
        type: 'rectification',
        channel: 'email',
        lang: 'en',
        email: 'deep@example.org',
        changes: [
          {
            category: 'contact',
            field: 'address',
            value: { street: 'Kuja 1', postalCode: '00100', city: 'Helsinki', evil: { deep: 1 } },
          },
        ],
      },
      key,
    );
    expect(res.statusCode, res.body).toBe(400);
    expect(
      res
        .json<Problem>()
        .errors.map((e) => e.field)
        .join(' '),
    ).toContain('changes');
    expect(await state(t)).toEqual(before);
  });

  it('shreds the requests of a person erased by staff in the daily pass, and nothing else', async () => {
    const person = await newSubject(t);
    const bystander = await newSubject(t);
    const email = person.values.contact?.email as string;
    const mine = await post(
      '/requests',
      { type: 'access', channel: 'email', lang: 'en', email, subjectId: person.id },
      key,
    );
    const theirs = await post(
      '/requests',
      {
        type: 'access',
        channel: 'email',
        lang: 'en',
        email: bystander.values.contact?.email as string,
        subjectId: bystander.id,
      },
      key,
    );
    expect(mine.statusCode, mine.body).toBe(201);
    const erased = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/subjects/${person.id}`,
      headers: key,
    });
    expect(erased.statusCode, erased.body).toBeLessThan(300);
    const first = await t.services.requests.shredRequestsOfErased();
    expect(first.requests).toBeGreaterThanOrEqual(1);
    await expectShredded([mine.json<{ id: string }>().id]);
    const kept = await get(`/requests/${theirs.json<{ id: string }>().id}`, key);
    expect(kept.json<{ contact: { email: string } }>().contact.email).toBe(
      bystander.values.contact?.email,
    );
    // A second pass finds nothing left to do.
    expect(await t.services.requests.shredRequestsOfErased()).toEqual({ requests: 0 });
  });

  it('completes a request once when two handlers complete it together, and an erasure whose person is already gone', async () => {
    const person = await newSubject(t);
    const made = await post(
      '/requests',
      {
        type: 'erasure',
        channel: 'in_person',
        lang: 'en',
        name: 'Kaisa Kahdesti',
        phone: '+358 40 111 2222',
        subjectId: person.id,
        identity: { proof: 'photo_id', documentType: 'passport' },
      },
      dpo.headers,
    );
    expect(made.statusCode, made.body).toBe(201);
    const id = made.json<{ id: string }>().id;
    const [a, b] = await Promise.all([
      post(`/requests/${id}/complete`, {}, dpo.headers),
      post(`/requests/${id}/complete`, {}, key),
    ]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 409]);
    const refused = [a, b].find((r) => r.statusCode === 409)!;
    expect(refused.json<{ errors: Array<{ field: string }> }>().errors[0]?.field).toBe('state');
    const steps = await t.db.handle.db
      .selectFrom('request_events')
      .select('step')
      .where('request_id', '=', id)
      .execute();
    expect(steps.filter((s) => s.step === 'completed')).toHaveLength(1);

    // The person is erased by staff while their own erasure request is open: it still completes.
    const other = await newSubject(t);
    const open = await post(
      '/requests',
      {
        type: 'erasure',
        channel: 'in_person',
        lang: 'en',
        name: 'Eino Ennättänyt',
        phone: '+358 40 333 4444',
        subjectId: other.id,
        identity: { proof: 'photo_id', documentType: 'id_card' },
      },
      dpo.headers,
    );
    const openId = open.json<{ id: string }>().id;
    const gone = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/subjects/${other.id}`,
      headers: key,
    });
    expect(gone.statusCode, gone.body).toBe(200);
    const done = await post(`/requests/${openId}/complete`, {}, dpo.headers);
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json()).toMatchObject({ state: 'completed' });
  });

  it('rectifies, restricts and lifts a restriction through the subjects service, mailing the person before lifting', async () => {
    const person = await newSubject(t);
    const email = person.values.contact?.email as string;
    const inPerson = { proof: 'photo_id', documentType: 'residence_permit' };
    const rect = (
      await post(
        '/requests',
        {
          type: 'rectification',
          channel: 'in_person',
          lang: 'en',
          email,
          changes: [{ category: 'identity', field: 'lastName', value: 'Korjattu' }],
          identity: inPerson,
        },
        key,
      )
    ).json<{ id: string; subjectId: string }>();
    expect(rect.subjectId).toBe(person.id);
    const done = await post(
      `/requests/${rect.id}/complete`,
      { purpose: 'customer_relationship', source: 'subject' },
      key,
    );
    expect(done.statusCode, done.body).toBe(200);
    const read = await get(`/subjects/${person.id}?purpose=customer_relationship`, key);
    expect(
      read.json<{ categories: { identity: { lastName: { value: string } } } }>().categories.identity
        .lastName.value,
    ).toBe('Korjattu');

    const restrict = (
      await post(
        '/requests',
        { type: 'restriction', channel: 'in_person', lang: 'en', email, identity: inPerson },
        key,
      )
    ).json<{ id: string }>();
    expect(
      (await post(`/requests/${restrict.id}/complete`, { reason: 'Accuracy contested.' }, key))
        .statusCode,
    ).toBe(200);
    expect(
      (await get(`/subjects/${person.id}?purpose=customer_relationship`, key)).statusCode,
    ).toBe(403);

    const lift = (
      await post(
        '/requests',
        {
          type: 'restriction_lift',
          channel: 'in_person',
          lang: 'en',
          email,
          subjectId: person.id,
          identity: inPerson,
        },
        key,
      )
    ).json<{ id: string }>();
    const lifted = await post(`/requests/${lift.id}/complete`, {}, key);
    expect(lifted.statusCode, lifted.body).toBe(200);
    expect(
      (await get(`/subjects/${person.id}?purpose=customer_relationship`, key)).statusCode,
    ).toBe(200);
    const steps = (await get(`/requests/${lift.id}`, key))
      .json<{ events: Array<{ step: string }> }>()
      .events.map((e) => e.step);
    expect(steps.slice(-2)).toEqual(['told_before_lifting', 'completed']);
    const mails = (await outbox(t)).filter((m) => m.to === email).map((m) => m.template);
    expect(mails).toEqual([
      'request-acknowledged',
      'request-completed',
      'request-acknowledged',
      'request-completed',
      'request-acknowledged',
      'restriction-lift-notice',
    ]);
    const rectMail = (await outbox(t)).filter((m) => m.to === email)[1];
    expect(rectMail?.text).toContain('identity.lastName');
  });

  it('refuses with a reason, naming the supervisory authority and the right to complain, in Finnish', async () => {
    const res = await post(
      '/requests',
      {
        type: 'rectification',
        channel: 'postal',
        lang: 'fi',
        email: 'kirje.kirjoittaja@example.fi',
        details: 'Nimi väärin',
      },
      dpo.headers,
    );
    const { id } = res.json<{ id: string }>();
    const refused = await post(
      `/requests/${id}/refuse`,
      { reason: 'Emme löydä sinua rekisteristä.' },
      dpo.headers,
    );
    expect(refused.statusCode, refused.body).toBe(200);
    expect(refused.json()).toMatchObject({ state: 'refused' });
    const mail = (await outbox(t)).find((m) => m.to === 'kirje.kirjoittaja@example.fi');
    expect(mail).toMatchObject({ template: 'request-refused', locale: 'fi' });
    expect(mail?.text).toContain('Emme löydä sinua rekisteristä.');
    expect(mail?.text).toContain('Tietosuojavaltuutetun toimisto');
    expect(mail?.text).toContain('https://tietosuoja.fi');
    expect(mail?.text).toContain('oikeus tehdä valitus');
    expect((await get(`/requests/${id}`, dpo.headers)).json()).toMatchObject({
      reasons: { refuse: 'Emme löydä sinua rekisteristä.' },
    });
  });

  it('extends once by up to two months with a reason, telling the person the new date, in English', async () => {
    const person = await newSubject(t);
    const email = person.values.contact?.email as string;
    // Proven in person at once: the extended time is three months from that Helsinki date (not
    // two from a due date already moved off a holiday, as on 1 December: due 4 January).
    const provenBefore = helsinkiDate(new Date());
    const res = await post(
      '/requests',
      {
        type: 'portability',
        channel: 'in_person',
        lang: 'en',
        email,
        identity: { proof: 'photo_id', documentType: 'id_card' },
      },
      dpo.headers,
    );
    const created = res.json<{ id: string; dueOn: string }>();
    const extended = await post(
      `/requests/${created.id}/extend`,
      { months: 2, reason: 'Many systems to search.' },
      dpo.headers,
    );
    expect(extended.statusCode, extended.body).toBe(200);
    const provenAfter = helsinkiDate(new Date());
    const dueBy = (proven: string) => nextWorkingDay(addMonths(proven, 3));
    // At Helsinki midnight the request may have been proven on either day.
    const due = extended.json<{ dueOn: string }>().dueOn;
    expect([dueBy(provenBefore), dueBy(provenAfter)]).toContain(due);
    expect(extended.json()).toMatchObject({
      extended: true,
      dueOn: due,
      originalDueOn: created.dueOn,
    });
    const mail = (await outbox(t)).filter((m) => m.to === email).at(-1);
    expect(mail).toMatchObject({ template: 'request-extended', locale: 'en' });
    expect(mail?.text).toContain('Many systems to search.');
    expect(mail?.text).toContain(
      new Intl.DateTimeFormat('en-GB', {
        timeZone: 'UTC',
        day: 'numeric',
        month: 'long',
        year: 'numeric',
      }).format(new Date(`${due}T12:00:00Z`)),
    );

    // Once only.
    const before = await state(t);
    const again = await post(
      `/requests/${created.id}/extend`,
      { months: 1, reason: 'More.' },
      dpo.headers,
    );
    expect(again.statusCode).toBe(409);
    expect(again.json<Problem>().errors[0]?.field).toBe('state');
    expect(await state(t)).toEqual(before);
  });

  it('refuses bad input, naming the field and changing nothing', async () => {
    const open = (
      await post(
        '/requests',
        { type: 'access', channel: 'email', lang: 'en', email: 'odottaja@example.com' },
        dpo.headers,
      )
    ).json<{ id: string }>();
    const inProgress = (
      await post(
        '/requests',
        {
          type: 'access',
          channel: 'in_person',
          lang: 'en',
          email: 'kavija@example.com',
          identity: { proof: 'photo_id', documentType: 'driving_licence' },
        },
        dpo.headers,
      )
    ).json<{ id: string }>();
    const before = await state(t);
    const cases: Array<[string, unknown, number, string]> = [
      [
        '/requests',
        { type: 'nonsense', channel: 'email', lang: 'en', email: 'a@example.com' },
        400,
        'type',
      ],
      [
        '/requests',
        { type: 'access', channel: 'email', lang: 'en', email: 'a@example.com', colour: 'red' },
        400,
        'colour',
      ],
      [
        '/requests',
        {
          type: 'access',
          channel: 'email',
          lang: 'en',
          identity: { proof: 'photo_id', documentType: 'passport', number: 'X1' },
        },
        400,
        'identity.number',
      ],
      [
        '/requests',
        { type: 'access', channel: 'email', lang: 'en', email: 'not an address' },
        400,
        'email',
      ],
      [
        '/requests',
        {
          type: 'access',
          channel: 'in_person',
          lang: 'en',
          email: 'a@example.com',
          identity: { proof: 'photo_id' },
        },
        400,
        'identity.documentType',
      ],
      [
        '/requests',
        {
          type: 'access',
          channel: 'email',
          lang: 'en',
          email: 'a@example.com',
          identity: { proof: 'email_link' },
        },
        400,
        'identity.proof',
      ],
      [
        '/requests',
        { type: 'access', channel: 'portal', lang: 'en', email: 'a@example.com' },
        400,
        'channel',
      ],
      ['/requests', { type: 'access', channel: 'email', lang: 'en' }, 400, 'email'],
      [`/requests/${open.id}/refuse`, {}, 400, 'reason'],
      [`/requests/${open.id}/refuse`, { reason: '   ' }, 400, 'reason'],
      [`/requests/${open.id}/cancel`, {}, 400, 'reason'],
      [`/requests/${inProgress.id}/extend`, { months: 3, reason: 'Long.' }, 400, 'months'],
      [`/requests/${inProgress.id}/extend`, { months: 1 }, 400, 'reason'],
      [`/requests/${open.id}/extend`, { months: 1, reason: 'Not proven yet.' }, 409, 'state'],
      [`/requests/${open.id}/complete`, {}, 409, 'state'],
      [`/requests/${inProgress.id}/complete`, { reason: 'no use' }, 409, 'subjectId'],
      [`/requests/${inProgress.id}/recipients/nobody`, { how: 'email' }, 400, 'recipientId'],
      [`/requests/${inProgress.id}/recipients/webshop_platform`, { how: 'pigeon' }, 400, 'how'],
      [
        `/requests/${inProgress.id}/subject`,
        { subjectId: '00000000-0000-7000-8000-000000000000' },
        404,
        'subjectId',
      ],
    ];
    for (const [url, payload, status, field] of cases) {
      const res = await post(url, payload, dpo.headers);
      expect(res.statusCode, `${url} ${JSON.stringify(payload)}: ${res.body}`).toBe(status);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
      // A field named, or for an unknown key, the key named in the detail of its object.
      const named = res.json<Problem>().errors.map((e) => `${e.field} ${e.detail}`);
      const key = field.split('.').at(-1) as string;
      expect(
        named.some((n) => n.startsWith(`${field} `) || n.includes(`"${key}"`)),
        `${url} ${JSON.stringify(payload)}: ${named.join('; ')}`,
      ).toBe(true);
    }
    const unknown = await get('/requests/00000000-0000-7000-8000-000000000000', dpo.headers);
    expect(unknown.statusCode).toBe(404);
    expect(await state(t)).toEqual(before);
  });

  it('refuses roles and keys that do not handle requests', async () => {
    const narrow = (await newApiKey(t, ['*'], ['read', 'write', 'erase', 'export'])).headers;
    const scoped = (await newApiKey(t, ['newsletter'], ['read', 'handle_requests'])).headers;
    const before = await state(t);
    for (const headers of [support.headers, narrow, scoped]) {
      for (const res of [
        await post(
          '/requests',
          { type: 'access', channel: 'email', lang: 'en', email: 'x@example.com' },
          headers,
        ),
        await get('/requests', headers),
      ]) {
        expect(res.statusCode, res.body).toBe(403);
      }
    }
    expect(await state(t)).toEqual(before);
  });

  it('refuses every transition out of a closed state with 409 naming the state', async () => {
    const make = async () =>
      (
        await post(
          '/requests',
          {
            type: 'access',
            channel: 'in_person',
            lang: 'en',
            email: 'suljettu@example.com',
            identity: { proof: 'photo_id', documentType: 'other' },
          },
          dpo.headers,
        )
      ).json<{ id: string }>().id;
    const cancelled = await make();
    expect(
      (await post(`/requests/${cancelled}/cancel`, { reason: 'Asked twice.' }, dpo.headers))
        .statusCode,
    ).toBe(200);
    const refused = await make();
    expect(
      (await post(`/requests/${refused}/refuse`, { reason: 'Manifestly unfounded.' }, dpo.headers))
        .statusCode,
    ).toBe(200);
    const before = await state(t);
    for (const id of [cancelled, refused]) {
      for (const [url, payload] of [
        [`/requests/${id}/refuse`, { reason: 'Again.' }],
        [`/requests/${id}/cancel`, { reason: 'Again.' }],
        [`/requests/${id}/extend`, { months: 1, reason: 'Again.' }],
        [`/requests/${id}/complete`, {}],
        [`/requests/${id}/identity`, { proof: 'signed_letter' }],
      ] as const) {
        const res = await post(url, payload, dpo.headers);
        expect(res.statusCode, `${url}: ${res.body}`).toBe(409);
        const problem = res.json<Problem>();
        expect(problem.errors[0]?.field).toBe('state');
        expect(problem.errors[0]?.detail).toMatch(/^the request is (cancelled|refused)/);
      }
    }
    expect(await state(t)).toEqual(before);
  });

  it('lists the most pressing first: overdue, then by due date, then unproven by received time', async () => {
    const res = await get('/requests?limit=500', dpo.headers);
    expect(res.statusCode).toBe(200);
    const items = res.json<{
      items: Array<{ dueOn: string | null; receivedAt: string; closedAt: string | null }>;
    }>().items;
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((i) => i.closedAt === null)).toBe(true);
    const proven = items.filter((i) => i.dueOn !== null);
    const unproven = items.filter((i) => i.dueOn === null);
    expect(items).toEqual([...proven, ...unproven]);
    expect(proven.map((i) => i.dueOn)).toEqual(proven.map((i) => i.dueOn).sort());
    expect(unproven.map((i) => i.receivedAt)).toEqual(unproven.map((i) => i.receivedAt).sort());
    const closed = await get('/requests?state=refused&state=cancelled', dpo.headers);
    expect(
      closed
        .json<{ items: Array<{ state: string }> }>()
        .items.every((i) => ['refused', 'cancelled'].includes(i.state)),
    ).toBe(true);
  });

  it('refuses an extension once the original due date has passed, and the digest lists due requests without personal data', async () => {
    // The same service on a clock that can be moved on.
    let now = new Date();
    const clock: Clock = { now: () => now };
    const s = t.services;
    const requests = createRequestsService({
      db: t.db.handle.db,
      keys: t.keys,
      vault: s.vault,
      audit: s.audit,
      mail: s.mail,
      register: s.register,
      clock,
      subjects: s.subjects,
      ports: {
        stopProcessing: () => Promise.reject(new Error('not used')),
        recipientsOf: () => Promise.resolve([]),
      },
    });
    const operatorLike = {
      kind: 'operator' as const,
      id: 'cli',
      read: '*' as const,
      write: '*' as const,
      actions: '*' as const,
    };
    const late = await requests.submit(
      t.db.handle.db,
      {
        type: 'access',
        channel: 'in_person',
        lang: 'en',
        email: 'myohassa@example.com',
        name: 'Myöhäinen Maija',
        identity: { proof: 'photo_id', documentType: 'passport' },
      },
      operatorLike,
    );
    const due = late.due_on as string;
    now = new Date(Date.parse(`${due}T12:00:00Z`) + 2 * 86_400_000);
    const before = await state(t);
    await expect(
      requests.extend(operatorLike, late.id, { months: 1, reason: 'Too late.' }),
    ).rejects.toMatchObject({
      code: 'conflict',
      issues: [{ field: 'state' }],
    });
    expect(await state(t)).toEqual(before);

    const result = await requests.sendDigest();
    expect(result.overdue).toBeGreaterThanOrEqual(1);
    const digest = (await outbox(t)).filter((m) => m.template === 'requests-digest').at(-1);
    expect(digest?.to).toBe('tietosuoja@revontuli.example.com');
    expect(digest?.text).toContain(late.id);
    expect(digest?.text).toContain(due);
    expect(digest?.text).not.toContain('myohassa@example.com');
    expect(digest?.text).not.toContain('Myöhäinen');
    expect(digest?.subject).toMatch(/myöhässä/);
  });
});
