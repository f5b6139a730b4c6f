/**
 * The permission ledger enforced in the data layer (issue 11, item 3; docs/permissions.md): a
 * marketing purpose does not read, list, search or look up a person it may reach on no channel,
 * and sees only the values of the channels the person allows; customer service is not touched.
 * The permission check and the data layer give the same answers. On each database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operator, subjectActor } from '../src/lib/actor.ts';
import { AppError } from '../src/lib/errors.ts';
import type { PermissionChange } from '../src/modules/permissions/index.ts';
import { newApiKey, newSubjectVia, tag } from './factories.ts';
import { createTestContext, DATABASES, snapshot, type TestContext } from './helpers.ts';

const WORDING = { text: 'Saa lähettää uutiskirjeen sähköpostiini.', language: 'fi' as const };

describe.each(DATABASES)('permissions in the data layer on %s', (kind) => {
  let t: TestContext;
  const phone = () => `040 ${1_000_000 + Math.floor(Math.random() * 8_999_999)}`;
  const person = async (lastName: string) => {
    const email = `${lastName.toLowerCase()}.${tag()}@example.com`;
    const p = await newSubjectVia(t.services, {
      values: {
        identity: { firstName: 'Kielto', lastName },
        contact: {
          email,
          phone: phone(),
          address: { street: 'Rantatie 3', postalCode: '90100', city: 'Oulu' },
        },
        organisation: { organisation: `Kahvila ${lastName} Oy` },
        orders: { orderCount: 1 },
        feedback: { rating: 5 },
      },
    });
    return { ...p, email, lastName };
  };
  const record = (id: string, changes: PermissionChange[]) =>
    t.services.permissions.record(operator, id, changes, { method: 'form', wording: WORDING });
  const read = (id: string, purpose: string) =>
    t.services.subjects.getSubject(operator, id, purpose);
  const list = async (purpose: string, q: Record<string, string> = {}) =>
    (await t.services.subjects.findSubjects(operator, { purpose, limit: 100, ...q })).items;
  const ids = async (purpose: string, q: Record<string, string> = {}) =>
    (await list(purpose, q)).map((v) => v.id);
  const notFound = async (p: Promise<unknown>) => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('not_found');
  };

  beforeAll(async () => {
    t = await createTestContext(kind);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('a person who prohibited e-mail and mobile marketing and market research is invisible to them, and still served for customer service', async () => {
    const p = await person('Kieltaja');
    const other = await person('Sallija');
    await record(p.id, [
      { kind: 'direct_marketing', channel: 'email', state: 'refused' },
      { kind: 'direct_marketing', channel: 'phone', state: 'refused' },
      { kind: 'newsletter', channel: 'email', state: 'refused' },
      { kind: 'market_research', channel: '*', state: 'refused' },
    ]);
    await record(other.id, [{ kind: 'newsletter', channel: 'email', state: 'granted' }]);

    // Market research: not read, listed, searched or looked up.
    await notFound(read(p.id, 'market_research'));
    expect(await ids('market_research')).not.toContain(p.id);
    expect(await ids('market_research', { q: p.lastName })).toEqual([]);
    expect(await ids('market_research', { email: p.email })).toEqual([]);
    expect(await ids('market_research')).toContain(other.id);
    // The newsletter: refused by the one, granted by the other.
    await notFound(read(p.id, 'newsletter'));
    expect(await ids('newsletter', { email: p.email })).toEqual([]);
    expect(await ids('newsletter', { q: 'Kielto' })).toEqual([other.id]);
    // B2b marketing may still write to them: only the address is returned.
    const b2b = await read(p.id, 'b2b_marketing');
    expect(Object.keys(b2b.categories.contact ?? {})).toEqual(['address']);
    expect(b2b.categories.identity?.lastName?.value).toBe('Kieltaja');
    const [listed] = await list('b2b_marketing', { q: 'Kieltaja' });
    expect(Object.keys(listed?.categories.contact ?? {})).toEqual(['address']);
    // Looked up by the address it may not use, b2b marketing does not find them.
    expect(await ids('b2b_marketing', { email: p.email })).toEqual([]);
    // Customer service sees everything, as before.
    const served = await read(p.id, 'customer_relationship');
    expect(served.categories.contact?.email?.value).toBe(p.email);
    expect(served.categories.contact?.phone).toBeDefined();
    expect(await ids('customer_relationship', { email: p.email })).toEqual([p.id]);

    // Post prohibited too: b2b marketing no longer sees the person at all.
    await record(p.id, [{ kind: 'direct_marketing', channel: 'post', state: 'refused' }]);
    await notFound(read(p.id, 'b2b_marketing'));
    expect(await ids('b2b_marketing', { q: 'Kieltaja' })).toEqual([]);
    expect(await ids('b2b_marketing', { email: p.email })).toEqual([]);
    await notFound(t.services.subjects.getHistory(operator, p.id, 'b2b_marketing'));
    expect((await read(p.id, 'customer_relationship')).id).toBe(p.id);
  });

  it('a consent purpose sees only people who consented, and only the values of the channels consented', async () => {
    const p = await person('Tilaaja');
    await notFound(read(p.id, 'newsletter'));
    await notFound(read(p.id, 'analytics'));
    await record(p.id, [{ kind: 'newsletter', channel: 'email', state: 'pending' }]);
    await notFound(read(p.id, 'newsletter'));
    await record(p.id, [{ kind: 'newsletter', channel: 'email', state: 'granted' }]);
    const view = await read(p.id, 'newsletter');
    // The newsletter reaches people by e-mail only: the phone and address are withheld.
    expect(Object.keys(view.categories.contact ?? {})).toEqual(['email']);
    await record(p.id, [{ kind: 'newsletter', channel: 'email', state: 'withdrawn' }]);
    await notFound(read(p.id, 'newsletter'));
  });

  it('nothing is written for a purpose the person allows on no channel; recording the prohibition always is', async () => {
    const p = await person('Kirjoitus');
    await record(p.id, [{ kind: 'market_research', channel: '*', state: 'objected' }]);
    const before = await snapshot(t.db.handle);
    const err = await t.services.subjects
      .updateSubject(operator, p.id, {
        purpose: 'market_research',
        source: 'staff',
        values: { feedback: { rating: 1 } },
      })
      .then(
        () => undefined,
        (e: unknown) => e as AppError,
      );
    // Answered word for word as for an unknown id: the write tells nothing of the objection.
    expect(err?.code).toBe('not_found');
    expect(err?.message).toBe(`no subject with id ${p.id}`);
    expect(await snapshot(t.db.handle)).toEqual(before);
    // A second prohibition (by another channel) is still recorded.
    const again = await record(p.id, [
      { kind: 'market_research', channel: 'email', state: 'refused' },
    ]);
    expect(again.recorded).toHaveLength(1);
  });

  it('b2b marketing reaches contacts of organisations only; writing the organisation makes one', async () => {
    const email = `yksityinen.${tag()}@example.com`;
    const p = await newSubjectVia(t.services, {
      values: { identity: { firstName: 'Yksi', lastName: 'Yksityinen' }, contact: { email } },
    });
    await notFound(read(p.id, 'b2b_marketing'));
    await t.services.subjects.updateSubject(operator, p.id, {
      purpose: 'b2b_marketing',
      source: 'linkedin',
      values: { organisation: { organisation: 'Paahtimo Yksi Oy' } },
    });
    expect((await read(p.id, 'b2b_marketing')).categories.contact?.email?.value).toBe(email);
  });

  it('a completed marketing-prohibition, objection or consent-withdrawal request records the ledger change, by request', async () => {
    const key = (await newApiKey(t, ['*'], ['read', 'write', 'erase', 'export', 'handle_requests']))
      .headers;
    const complete = async (type: string, email: string, body: object = {}) => {
      const created = await t.app.inject({
        method: 'POST',
        url: '/api/v1/requests',
        headers: key,
        payload: {
          type,
          channel: 'in_person',
          lang: 'fi',
          email,
          identity: { proof: 'photo_id', documentType: 'passport' },
        },
      });
      expect(created.statusCode, created.body).toBe(201);
      const id = created.json<{ id: string }>().id;
      const done = await t.app.inject({
        method: 'POST',
        url: `/api/v1/requests/${id}/complete`,
        headers: key,
        payload: body,
      });
      expect(done.statusCode, done.body).toBe(200);
      return id;
    };
    const p = await person('Pyytaja');
    await record(p.id, [{ kind: 'newsletter', channel: 'email', state: 'granted' }]);
    const prohibition = await complete('marketing_prohibition', p.email);
    const state = await t.services.permissions.stateOf(operator, p.id);
    expect(state.map((s) => [s.kind, s.channel, s.state, s.method])).toEqual([
      ['direct_marketing', '*', 'refused', 'request'],
      ['newsletter', '*', 'refused', 'request'],
      ['newsletter', 'email', 'granted', 'form'],
    ]);
    const history = await t.services.permissions.history(operator, p.id);
    expect(history.filter((h) => h.method === 'request').map((h) => h.reference)).toEqual([
      prohibition,
      prohibition,
    ]);
    // The newsletter's `*` refusal is later than its e-mail consent: it decides.
    expect(
      (
        await t.services.permissions.check(operator, {
          purpose: 'newsletter',
          subjectId: p.id,
          channel: 'email',
        })
      ).allowed,
    ).toBe(false);

    const q = await person('Vastustava');
    await complete('objection', q.email, { purposes: ['market_research'] });
    expect(
      (await t.services.permissions.stateOf(operator, q.id)).map((s) => [
        s.kind,
        s.channel,
        s.state,
      ]),
    ).toEqual([['market_research', '*', 'objected']]);
    const r = await person('Peruva');
    await record(r.id, [{ kind: 'profiling', channel: '*', state: 'granted' }]);
    await complete('consent_withdrawal', r.email, { purposes: ['analytics'] });
    expect(
      (await t.services.permissions.stateOf(operator, r.id)).map((s) => [
        s.kind,
        s.channel,
        s.state,
      ]),
    ).toEqual([['profiling', '*', 'withdrawn']]);
  });

  it('a lookup under a marketing purpose answers a refused address exactly as an unknown one', async () => {
    const p = await person('Oraakkeli');
    const open = await person('Avoin');
    const phoneOf = async (id: string) =>
      (await read(id, 'customer_relationship')).categories.contact?.phone?.value as string;
    // Direct marketing refused by e-mail and phone; post is still allowed, so b2b marketing
    // reaches the person and could look them up before.
    await record(p.id, [
      { kind: 'direct_marketing', channel: 'email', state: 'refused' },
      { kind: 'direct_marketing', channel: 'phone', state: 'refused' },
    ]);
    const key = await newApiKey(t, ['b2b_marketing'], ['read']);
    const lookup = (q: Record<string, string>) =>
      t.app.inject({
        method: 'GET',
        url: `/api/v1/subjects?${new URLSearchParams({ purpose: 'b2b_marketing', ...q }).toString()}`,
        headers: key.headers,
      });
    const unknownEmail = await lookup({ email: `ei.ketaan.${tag()}@example.com` });
    const unknownPhone = await lookup({ phone: '040 0000001' });
    const refusedEmail = await lookup({ email: p.email });
    const refusedPhone = await lookup({ phone: await phoneOf(p.id) });
    expect(unknownEmail.statusCode).toBe(200);
    expect([refusedEmail.statusCode, refusedEmail.body]).toEqual([
      unknownEmail.statusCode,
      unknownEmail.body,
    ]);
    expect([refusedPhone.statusCode, refusedPhone.body]).toEqual([
      unknownPhone.statusCode,
      unknownPhone.body,
    ]);
    // Someone who allows the channel is found by it, and customer service finds everyone.
    const found = await lookup({ email: open.email });
    expect(found.json<{ items: Array<{ id: string }> }>().items.map((i) => i.id)).toEqual([
      open.id,
    ]);
    expect(await ids('customer_relationship', { email: p.email })).toEqual([p.id]);
  });

  it('a write under a marketing purpose never reads, compares or overwrites an address its channels use', async () => {
    const p = await person('Kirjoittaja');
    await record(p.id, [
      { kind: 'direct_marketing', channel: 'email', state: 'refused' },
      { kind: 'direct_marketing', channel: 'phone', state: 'refused' },
    ]);
    const served = await read(p.id, 'customer_relationship');
    const phoneNow = served.categories.contact?.phone?.value as string;
    const attempt = async (id: string, values: Record<string, unknown>) =>
      t.services.subjects
        .updateSubject(operator, id, {
          purpose: 'b2b_marketing',
          source: 'linkedin',
          values: values as never,
        })
        .then(
          () => undefined,
          (e: unknown) => e as AppError,
        );
    const allowing = await person('Sallii');
    const before = await snapshot(t.db.handle);
    // The stored (withheld) phone, a different one, and the same for someone who allows phone:
    // one answer, naming the field, and nothing written.
    const same = await attempt(p.id, { contact: { phone: phoneNow } });
    const other = await attempt(p.id, { contact: { phone: '040 7654321' } });
    const open = await attempt(allowing.id, { contact: { phone: '040 7654321' } });
    for (const e of [same, other, open]) {
      expect(e?.code).toBe('forbidden');
      expect(e?.issues.map((i) => i.field)).toEqual(['values.contact.phone']);
      expect(e?.message).not.toMatch(/refus|withdr|object|consent|allow/i);
    }
    expect(same?.message).toBe(other?.message);
    expect(await snapshot(t.db.handle)).toEqual(before);
    // A field that is not an address is written as before.
    await t.services.subjects.updateSubject(operator, p.id, {
      purpose: 'b2b_marketing',
      source: 'linkedin',
      values: { organisation: { organisation: 'Uusi Kahvila Oy' } },
    });
    expect((await read(p.id, 'customer_relationship')).categories.contact?.phone?.value).toBe(
      phoneNow,
    );
  });

  it('creating under a marketing purpose answers an address held by a refusing person as one held by anyone', async () => {
    const refusing = await person('Luoja');
    const open = await person('Luotu');
    await record(refusing.id, [{ kind: 'market_research', channel: '*', state: 'objected' }]);
    const key = await newApiKey(t, ['market_research'], ['read', 'write']);
    const create = (email: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/subjects',
        headers: key.headers,
        payload: {
          purpose: 'market_research',
          source: 'staff',
          values: { contact: { email } },
        },
      });
    const before = await snapshot(t.db.handle);
    const a = await create(refusing.email);
    const b = await create(open.email);
    expect(a.statusCode).toBe(409);
    expect([a.statusCode, a.body]).toEqual([b.statusCode, b.body]);
    expect(a.body).not.toContain(refusing.id);
    expect(await snapshot(t.db.handle)).toEqual(before);
  });

  it('the permission check and the data layer agree, channel by channel', async () => {
    const cases: PermissionChange[][] = [
      [],
      [{ kind: 'direct_marketing', channel: '*', state: 'refused' }],
      [
        { kind: 'direct_marketing', channel: '*', state: 'refused' },
        { kind: 'direct_marketing', channel: 'phone', state: 'granted' },
      ],
      [{ kind: 'direct_marketing', channel: 'email', state: 'objected' }],
      [{ kind: 'market_research', channel: 'sms', state: 'withdrawn' }],
      [{ kind: 'newsletter', channel: 'email', state: 'granted' }],
      [{ kind: 'profiling', channel: '*', state: 'granted' }],
    ];
    const CHANNEL_FIELD: Record<string, string> = {
      email: 'email',
      sms: 'phone',
      phone: 'phone',
      post: 'address',
    };
    for (const changes of cases) {
      const p = await person(`Vertailu${tag()}`);
      for (const c of changes) {
        // One at a time, so that a later row is later; as the person, whose own choice may
        // undo their refusal.
        await new Promise((r) => setTimeout(r, 3));
        await t.services.permissions.record(subjectActor(p.id), p.id, [c], {
          method: 'form',
          wording: WORDING,
        });
      }
      for (const pm of t.register.marketing.purposes) {
        const channels = pm.channels.size ? [...pm.channels.keys()] : [undefined];
        const answers = await Promise.all(
          channels.map((channel) =>
            t.services.permissions.check(operator, {
              purpose: pm.purpose,
              subjectId: p.id,
              ...(channel ? { channel } : {}),
            }),
          ),
        );
        const allowed = answers.filter((a) => a.allowed).map((a) => a.channel);
        const seen = await read(p.id, pm.purpose).then(
          (v) => v,
          () => undefined,
        );
        expect(seen !== undefined, `${pm.purpose} after ${JSON.stringify(changes)}`).toBe(
          allowed.length > 0,
        );
        if (seen && pm.channels.size) {
          const fields = new Set(allowed.map((c) => CHANNEL_FIELD[c]));
          for (const f of ['email', 'phone', 'address']) {
            if (pm.channels.has('email') || pm.channels.has('phone') || pm.channels.has('post')) {
              expect(
                f in (seen.categories.contact ?? {}),
                `${pm.purpose} ${f} after ${JSON.stringify(changes)}`,
              ).toBe(fields.has(f));
            }
          }
        }
      }
    }
  });
});
