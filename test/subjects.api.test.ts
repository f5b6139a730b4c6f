import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operator } from '../src/lib/actor.ts';
import { anna, createTestContext, DATABASES, snapshot, type TestContext } from './helpers.ts';

const MARKETING_CONSENT = [
  { kind: 'newsletter', channel: 'email', state: 'granted' },
  { kind: 'profiling', channel: '*', state: 'granted' },
];
const WORDING = { text: 'Yes, send me the newsletter.', language: 'en' };

describe.each(DATABASES)('subjects API on %s', (kind) => {
  let t: TestContext;
  let writer: { authorization: string };
  let reader: { authorization: string };

  beforeAll(async () => {
    t = await createTestContext(kind);
    writer = await t.key(['*'], ['read', 'write', 'erase', 'export', 'handle_requests']);
    reader = await t.key(['*'], ['read']);
  });
  afterAll(async () => {
    await t?.close();
  });

  const create = async (
    values: Record<string, unknown>,
    purpose = 'customer_relationship',
    headers = writer,
  ) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/subjects',
      headers,
      payload: { purpose, source: 'subject', values },
    });
    // Read back under the newsletter and analytics purposes too: as if the person signed up.
    if (res.statusCode === 201) {
      const consent = await t.app.inject({
        method: 'POST',
        url: `/api/v1/subjects/${res.json<{ id: string }>().id}/permissions`,
        headers: writer,
        payload: { changes: MARKETING_CONSENT, evidence: { method: 'form', wording: WORDING } },
      });
      expect(consent.statusCode, consent.body).toBe(200);
    }
    return res;
  };

  it('creates a person and reads them back for one purpose without the categories of another', async () => {
    const res = await create(anna);
    expect(res.statusCode).toBe(201);
    const created = res.json<{
      id: string;
      categories: Record<
        string,
        Record<string, { value: unknown; source: string; purpose: string }>
      >;
    }>();
    expect(created.categories.contact?.email?.value).toBe(anna.contact.email);
    expect(created.categories.contact?.email?.source).toBe('subject');
    expect(created.categories.contact?.email?.purpose).toBe('customer_relationship');

    const forNewsletter = await t.app.inject({
      url: `/api/v1/subjects/${created.id}?purpose=newsletter`,
      headers: reader,
    });
    expect(forNewsletter.statusCode).toBe(200);
    const body = forNewsletter.json<{ categories: Record<string, unknown> }>();
    expect(Object.keys(body.categories).sort()).toEqual(['contact', 'identity']);
    expect(body.categories).not.toHaveProperty('organisation');

    const forAnalytics = await t.app.inject({
      url: `/api/v1/subjects/${created.id}?purpose=analytics`,
      headers: reader,
    });
    expect(forAnalytics.json<{ categories: Record<string, unknown> }>().categories).toEqual({});
  });

  it('finds a person by e-mail however it is written, by phone, and by name prefix', async () => {
    const byEmail = await t.app.inject({
      url: `/api/v1/subjects?purpose=newsletter&email=${encodeURIComponent('  anna-liisa.kuusisto@EXAMPLE.com ')}`,
      headers: reader,
    });
    expect(byEmail.statusCode).toBe(200);
    const items = byEmail.json<{
      items: Array<{ categories: { identity: { lastName: { value: string } } } }>;
    }>().items;
    expect(items).toHaveLength(1);
    expect(items[0]?.categories.identity.lastName.value).toBe('Kuusisto');

    const byPhone = await t.app.inject({
      url: `/api/v1/subjects?purpose=customer_relationship&phone=${encodeURIComponent('+358407654321')}`,
      headers: reader,
    });
    expect(byPhone.json<{ items: unknown[] }>().items).toHaveLength(1);

    for (const q of ['kuus', 'Anna', 'liisa kuusisto', 'lumipallo']) {
      const res = await t.app.inject({
        url: `/api/v1/subjects?purpose=customer_relationship&q=${encodeURIComponent(q)}`,
        headers: reader,
      });
      expect(res.json<{ items: unknown[] }>().items, q).toHaveLength(1);
    }
    const none = await t.app.inject({
      url: `/api/v1/subjects?purpose=customer_relationship&q=kuusikko`,
      headers: reader,
    });
    expect(none.json<{ items: unknown[] }>().items).toHaveLength(0);
  });

  it('pages through everyone with a cursor', async () => {
    for (let i = 0; i < 4; i++) {
      expect(
        (
          await create({
            identity: { firstName: `Pekka${i}` },
            contact: { email: `pekka.${i}@example.org` },
          })
        ).statusCode,
      ).toBe(201);
    }
    const seen = new Set<string>();
    let cursor: string | null = null;
    do {
      const url: string = `/api/v1/subjects?purpose=customer_relationship&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await t.app.inject({ url, headers: reader })).json<{
        items: Array<{ id: string }>;
        nextCursor: string | null;
      }>();
      page.items.forEach((s) => seen.add(s.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.size).toBe(5);
  });

  it('stores name indexes sorted and per field, and searches only the fields a purpose uses', async () => {
    const ids: string[] = [];
    for (const values of [
      {
        identity: { firstName: 'Tuuli', lastName: 'Revontuli' },
        organisation: { organisation: 'Revontuli Oy' },
        contact: { email: 'tuuli@revontuli.example' },
      },
      {
        organisation: { organisation: 'Revontuli Oy' },
        contact: { email: 'info@revontuli.example' },
      },
      {
        identity: { firstName: 'Aatu', lastName: 'Revontuli' },
        contact: { email: 'aatu@example.org' },
      },
    ]) {
      const res = await create(values);
      expect(res.statusCode).toBe(201);
      ids.push(res.json<{ id: string }>().id);
    }
    const stored = await t.db.handle.db
      .selectFrom('subjects')
      .select(['id', 'blind_index'])
      .where('id', 'in', ids)
      .execute();
    const indexOf = (id: string | undefined) =>
      (stored.find((r) => r.id === id)?.blind_index ?? []).map((i) => BigInt(i));
    const [both, company, surname] = ids.map(indexOf) as [bigint[], bigint[], bigint[]];
    for (const list of [both, company, surname]) {
      expect(list).toEqual([...list].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    // tuu, tuul, tuuli + rev … revontuli as a surname (7) + the same 7 and "oy" as a company: a
    // shared domain would have made the surname's 7 and the company's 7 the same 7.
    expect(both).toHaveLength(3 + 7 + 7 + 1);
    // The same word as a company name and as a surname shares no index.
    expect(company.filter((i) => surname.includes(i))).toEqual([]);

    const search = async (purpose: string, q: string) => {
      const res = await t.app.inject({
        url: `/api/v1/subjects?purpose=${purpose}&q=${encodeURIComponent(q)}`,
        headers: reader,
      });
      expect(res.statusCode).toBe(200);
      return res
        .json<{ items: Array<{ id: string }> }>()
        .items.map((i) => i.id)
        .sort();
    };
    expect(await search('customer_relationship', 'revontuli')).toEqual([...ids].sort());
    expect(await search('customer_relationship', 'revon oy')).toEqual([ids[0], ids[1]].sort());
    expect(await search('customer_relationship', 'tuuli revontuli')).toEqual([ids[0]]);
    // The newsletter does not use organisations: a company word finds nobody for it.
    expect(await search('newsletter', 'revontuli')).toEqual([ids[0], ids[2]].sort());
    expect(await search('newsletter', 'revontuli oy')).toEqual([]);
  });

  it('rectifies a value, keeping the old one in the history with who and why', async () => {
    const id = (
      await create({
        identity: { firstName: 'Ville', lastName: 'Vanha' },
        contact: { email: 'ville@example.net' },
      })
    ).json<{ id: string }>().id;
    const res = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/subjects/${id}`,
      headers: writer,
      payload: {
        purpose: 'customer_relationship',
        source: 'staff',
        reason: 'name changed at marriage',
        values: { identity: { lastName: 'Uusi' } },
      },
    });
    expect(res.statusCode).toBe(200);
    expect(
      res.json<{ categories: { identity: { lastName: { value: string; source: string } } } }>()
        .categories.identity.lastName,
    ).toMatchObject({ value: 'Uusi', source: 'staff' });
    const history = (
      await t.app.inject({
        url: `/api/v1/subjects/${id}/history?purpose=customer_relationship`,
        headers: reader,
      })
    ).json<{ items: unknown[] }>();
    expect(history.items).toEqual([
      expect.objectContaining({
        category: 'identity',
        field: 'lastName',
        old: 'Vanha',
        new: 'Uusi',
        reason: 'name changed at marriage',
        actor: expect.stringMatching(/^api_key:/),
      }),
    ]);
    // the old name no longer finds them; the new one does
    const old = await t.app.inject({
      url: `/api/v1/subjects?purpose=customer_relationship&q=vanha`,
      headers: reader,
    });
    expect(old.json<{ items: unknown[] }>().items).toHaveLength(0);
    const renamed = await t.app.inject({
      url: `/api/v1/subjects?purpose=customer_relationship&q=uusi`,
      headers: reader,
    });
    expect(renamed.json<{ items: unknown[] }>().items).toHaveLength(1);
  });

  it('returns a restricted person only for purposes allowed during restriction', async () => {
    const id = (
      await create({ identity: { firstName: 'Rauha' }, contact: { email: 'rauha@example.com' } })
    ).json<{ id: string }>().id;
    const put = await t.app.inject({
      method: 'PUT',
      url: `/api/v1/subjects/${id}/restriction`,
      headers: writer,
      payload: { reason: 'accuracy contested' },
    });
    expect(put.statusCode).toBe(204);
    // Customer service is told why; a marketing purpose is not even told the person exists
    // (test/subjects-restricted.test.ts compares its answer with an unknown id's).
    const refused = await t.app.inject({
      url: `/api/v1/subjects/${id}?purpose=customer_relationship`,
      headers: reader,
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ status: 403, errors: [{ field: 'purpose' }] });
    const unseen = await t.app.inject({
      url: `/api/v1/subjects/${id}?purpose=newsletter`,
      headers: reader,
    });
    expect(unseen.statusCode).toBe(404);
    const hidden = await t.app.inject({
      url: `/api/v1/subjects?purpose=newsletter&email=rauha@example.com`,
      headers: reader,
    });
    expect(hidden.json<{ items: unknown[] }>().items).toHaveLength(0);
    const allowed = await t.app.inject({
      url: `/api/v1/subjects/${id}?purpose=legal_claims`,
      headers: reader,
    });
    expect(allowed.statusCode).toBe(200);
    expect(allowed.json<{ restricted: boolean }>().restricted).toBe(true);
    await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/subjects/${id}/restriction`,
      headers: writer,
    });
    expect(
      (await t.app.inject({ url: `/api/v1/subjects/${id}?purpose=newsletter`, headers: reader }))
        .statusCode,
    ).toBe(200);
  });

  it('erases a person by destroying their key', async () => {
    const id = (
      await create({
        identity: { firstName: 'Eero' },
        contact: { email: 'eero.poistuva@example.com' },
      })
    ).json<{ id: string }>().id;
    const del = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/subjects/${id}`,
      headers: writer,
    });
    expect(del.statusCode).toBe(200);
    expect(
      (
        await t.app.inject({
          url: `/api/v1/subjects/${id}?purpose=customer_relationship`,
          headers: reader,
        })
      ).statusCode,
    ).toBe(404);
    const row = await t.db.handle.db
      .selectFrom('subjects')
      .select(['erased_at'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(await t.keys.get(id)).toBeUndefined();
    expect(row.erased_at).not.toBeNull();
    const values = await t.db.handle.db
      .selectFrom('subject_values')
      .select('category')
      .where('subject_id', '=', id)
      .execute();
    expect(values).toEqual([]);
    // The address is on the suppression list now (docs/requests.md): a new person with it is
    // refused, naming the field.
    const again = await create({
      identity: { firstName: 'Eero' },
      contact: { email: 'eero.poistuva@example.com' },
    });
    expect(again.statusCode).toBe(409);
    expect(again.json<{ errors: Array<{ field: string }> }>().errors[0]?.field).toBe(
      'values.contact.email',
    );
  });

  it('exports everything held about one person', async () => {
    const id = (
      await create(anna, 'customer_relationship').then(() =>
        create({
          identity: { firstName: 'Kaisa' },
          contact: { email: 'kaisa@example.org' },
          orders: { orderCount: 3 },
        }),
      )
    ).json<{ id: string }>().id;
    const res = await t.app.inject({ url: `/api/v1/subjects/${id}/export`, headers: writer });
    expect(res.statusCode).toBe(200);
    const body = res.json<{
      categories: Record<
        string,
        {
          purposes: Array<{ id: string; legalBasis: string }>;
          fields: Record<string, { value: unknown }>;
        }
      >;
    }>();
    expect(body.categories.orders?.fields.orderCount?.value).toBe(3);
    expect(body.categories.orders?.purposes.map((p) => p.id)).toContain('billing');
    expect(
      (await t.app.inject({ url: `/api/v1/subjects/${id}/export`, headers: reader })).statusCode,
    ).toBe(403);
  });

  it('answers an access copy of an unknown or erased person with not found, and logs no export', async () => {
    const id = (
      await create({
        identity: { firstName: 'Ilmari' },
        contact: { email: 'ilmari.poissa@example.fi' },
      })
    ).json<{ id: string }>().id;
    expect(
      (await t.app.inject({ method: 'DELETE', url: `/api/v1/subjects/${id}`, headers: writer }))
        .statusCode,
    ).toBe(200);
    const exports = async () =>
      (
        await t.db.handle.db
          .selectFrom('audit_events')
          .select('id')
          .where('action', '=', 'subject.export')
          .execute()
      ).length;
    const before = await exports();
    for (const who of [id, '01900000-0000-7000-8000-000000000000']) {
      const res = await t.app.inject({ url: `/api/v1/subjects/${who}/export`, headers: writer });
      expect(res.statusCode, res.body).toBe(404);
      expect(res.json<{ type: string }>().type).toMatch(/\/not-found$/);
    }
    expect(await exports()).toBe(before);
  });

  it("writes the access copy's log entries out in the language asked for, and refuses an unknown one", async () => {
    const id = (
      await create({
        identity: { firstName: 'Selma' },
        contact: { email: 'selma.kieli@example.fi' },
      })
    ).json<{ id: string }>().id;
    type Copy = { accessLog: Array<{ action: string; text: string }> };
    const created = (lang: string) =>
      t.app
        .inject({ url: `/api/v1/subjects/${id}/export?lang=${lang}`, headers: writer })
        .then((r) => {
          expect(r.statusCode, r.body).toBe(200);
          return r.json<Copy>().accessLog.find((e) => e.action === 'subject.create')?.text;
        });
    expect(await created('fi')).toBe('Tiedot kirjattiin');
    expect(await created('sv')).toBe('Uppgifter registrerades');
    expect(await created('en')).toBe('Data recorded');
    const bad = await t.app.inject({
      url: `/api/v1/subjects/${id}/export?lang=de`,
      headers: writer,
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ errors: Array<{ field: string }> }>().errors[0]?.field).toContain('lang');
    const extra = await t.app.inject({
      url: `/api/v1/subjects/${id}/export?lang=fi&format=pdf`,
      headers: writer,
    });
    expect(extra.statusCode).toBe(400);
  });

  it('gives the access copy whole: the person, the restriction reason, every change and the access log', async () => {
    const id = (
      await create({
        identity: { firstName: 'Ilmari' },
        contact: { email: 'ilmari.kopio@example.fi' },
      })
    ).json<{ id: string }>().id;
    expect(
      (
        await t.app.inject({
          method: 'PATCH',
          url: `/api/v1/subjects/${id}`,
          headers: writer,
          payload: {
            purpose: 'customer_relationship',
            source: 'subject',
            reason: 'Asiakas pyysi korjausta',
            values: { identity: { firstName: 'Ilmo' } },
          },
        })
      ).statusCode,
    ).toBe(200);
    expect(
      (
        await t.app.inject({
          method: 'PUT',
          url: `/api/v1/subjects/${id}/restriction`,
          headers: writer,
          payload: { reason: 'Paikkansapitävyys kiistetty' },
        })
      ).statusCode,
    ).toBe(204);
    const res = await t.app.inject({ url: `/api/v1/subjects/${id}/export`, headers: writer });
    expect(res.statusCode).toBe(200);
    const body = res.json<Record<string, unknown>>();
    expect(Object.keys(body).sort()).toEqual([
      'accessLog',
      'categories',
      'controller',
      'exportedAt',
      'history',
      'permissions',
      'requests',
      'rights',
      'stops',
      'subject',
      'supervisoryAuthority',
    ]);
    expect(body).toMatchObject({
      // The sign-up the create helper records, with its evidence (docs/permissions.md).
      permissions: {
        state: [
          { kind: 'newsletter', channel: 'email', state: 'granted' },
          { kind: 'profiling', channel: '*', state: 'granted' },
        ],
        history: [
          { kind: 'newsletter', method: 'form', wording: WORDING, by: 'api_key' },
          { kind: 'profiling', method: 'form', wording: WORDING, by: 'api_key' },
        ],
      },
      controller: { name: expect.any(String), businessId: expect.any(String) },
      subject: { id, restricted: true, restrictionReason: 'Paikkansapitävyys kiistetty' },
      categories: {
        identity: {
          label: { sv: expect.any(String), fi: expect.any(String), en: expect.any(String) },
          fields: { firstName: { value: 'Ilmo', source: 'subject' } },
        },
      },
      history: [
        {
          category: 'identity',
          field: 'firstName',
          old: 'Ilmari',
          new: 'Ilmo',
          reason: 'Asiakas pyysi korjausta',
          purpose: 'customer_relationship',
          source: 'subject',
        },
      ],
    });
    const log = body.accessLog as Array<{ action: string; role: string; categories: string[] }>;
    expect(log.map((e) => e.action)).toEqual(
      expect.arrayContaining([
        'subject.create',
        'subject.update',
        'subject.restrict',
        'subject.export',
      ]),
    );
    expect(log.every((e) => e.role === 'integration')).toBe(true);
  });

  describe('refuses bad input with problem+json naming the field, and changes nothing', () => {
    const cases: Array<{
      name: string;
      payload: Record<string, unknown>;
      status: number;
      field: RegExp;
    }> = [
      {
        name: 'an undeclared category',
        payload: {
          purpose: 'customer_relationship',
          source: 'subject',
          values: { shoeSize: { eu: 42 } },
        },
        status: 400,
        field: /^values\.shoeSize$/,
      },
      {
        name: 'a category the purpose does not use',
        payload: {
          purpose: 'newsletter',
          source: 'subject',
          values: { identity: { firstName: 'A' }, organisation: { title: 'CEO' } },
        },
        status: 400,
        field: /^values\.organisation$/,
      },
      {
        name: 'an undeclared field',
        payload: {
          purpose: 'customer_relationship',
          source: 'subject',
          values: { identity: { firstName: 'A', nickname: 'B' } },
        },
        status: 400,
        field: /^values\.identity\.nickname$/,
      },
      {
        name: 'a wrong type',
        payload: {
          purpose: 'customer_relationship',
          source: 'subject',
          values: { identity: { firstName: 'A' }, orders: { orderCount: 'many' } },
        },
        status: 400,
        field: /^values\.orders\.orderCount$/,
      },
      {
        name: 'a malformed e-mail',
        payload: {
          purpose: 'customer_relationship',
          source: 'subject',
          values: { identity: { firstName: 'A' }, contact: { email: 'not-an-address' } },
        },
        status: 400,
        field: /^values\.contact\.email$/,
      },
      {
        name: 'an oversize value',
        payload: {
          purpose: 'customer_relationship',
          source: 'subject',
          values: { identity: { firstName: 'x'.repeat(5000) } },
        },
        status: 400,
        field: /^values\.identity\.firstName$/,
      },
      {
        name: 'a missing required field',
        payload: {
          purpose: 'customer_relationship',
          source: 'subject',
          values: { identity: { lastName: 'Only' } },
        },
        status: 400,
        field: /^values\.identity\.firstName$/,
      },
      {
        name: 'an unknown purpose',
        payload: {
          purpose: 'world_domination',
          source: 'subject',
          values: { identity: { firstName: 'A' } },
        },
        status: 400,
        field: /^purpose$/,
      },
      {
        name: 'an unknown source',
        payload: {
          purpose: 'customer_relationship',
          source: 'rumour',
          values: { identity: { firstName: 'A' } },
        },
        status: 400,
        field: /^source$/,
      },
      {
        name: 'a missing purpose',
        payload: { source: 'subject', values: { identity: { firstName: 'A' } } },
        status: 400,
        field: /^purpose$/,
      },
      {
        name: 'an unknown top-level key',
        payload: {
          purpose: 'customer_relationship',
          source: 'subject',
          values: { identity: { firstName: 'A' } },
          admin: true,
        },
        status: 400,
        field: /^(body|admin)$/,
      },
      {
        name: 'a duplicate e-mail address',
        payload: {
          purpose: 'customer_relationship',
          source: 'subject',
          values: {
            identity: { firstName: 'A' },
            contact: { email: 'ANNA-LIISA.kuusisto@example.com' },
          },
        },
        status: 409,
        field: /^values/,
      },
    ];
    for (const c of cases) {
      it(`refuses ${c.name}`, async () => {
        const before = await snapshot(t.db.handle);
        const res = await t.app.inject({
          method: 'POST',
          url: '/api/v1/subjects',
          headers: writer,
          payload: c.payload,
        });
        expect(res.statusCode).toBe(c.status);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        const body = res.json<{
          status: number;
          title: string;
          errors: Array<{ field: string; detail: string }>;
        }>();
        expect(body.status).toBe(c.status);
        expect(
          body.errors.map((e) => e.field).some((f) => c.field.test(f)),
          JSON.stringify(body.errors),
        ).toBe(true);
        expect(await snapshot(t.db.handle)).toEqual(before);
      });
    }

    it('refuses a rectification of a field that does not exist, leaving the person as they were', async () => {
      const id = (
        await create({
          identity: { firstName: 'Matti' },
          contact: { email: 'matti.m@example.com' },
        })
      ).json<{ id: string }>().id;
      const before = await snapshot(t.db.handle);
      const res = await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/subjects/${id}`,
        headers: writer,
        payload: {
          purpose: 'customer_relationship',
          source: 'staff',
          values: { identity: { firstName: 'Mauri', shoe: 42 } },
        },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json<{ errors: Array<{ field: string }> }>().errors[0]?.field).toBe(
        'values.identity.shoe',
      );
      expect(await snapshot(t.db.handle)).toEqual(before);
      const read = await t.app.inject({
        url: `/api/v1/subjects/${id}?purpose=customer_relationship`,
        headers: reader,
      });
      expect(
        read.json<{ categories: { identity: { firstName: { value: string } } } }>().categories
          .identity.firstName.value,
      ).toBe('Matti');
    });

    it('refuses a lookup by e-mail, phone or name under a purpose that uses none of them', async () => {
      const analytics = await t.key(['analytics'], ['read']);
      for (const [param, value] of [
        ['email', anna.contact.email],
        ['phone', '0407654321'],
        ['q', 'kuusisto'],
      ] as const) {
        const res = await t.app.inject({
          url: `/api/v1/subjects?purpose=analytics&${param}=${encodeURIComponent(value)}`,
          headers: analytics,
        });
        expect(res.statusCode, param).toBe(403);
        expect(res.json<{ errors: Array<{ field: string }> }>().errors[0]?.field).toBe(param);
      }
    });

    it('refuses a rectification that changes nothing, or leaves a required field out of a new category', async () => {
      const id = (
        await create({ contact: { email: 'only.contact@example.org' } }, 'newsletter')
      ).json<{ id: string }>().id;
      const before = await snapshot(t.db.handle);
      const same = await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/subjects/${id}`,
        headers: writer,
        payload: {
          purpose: 'customer_relationship',
          source: 'subject',
          values: { contact: { email: 'only.contact@example.org' } },
        },
      });
      expect(same.statusCode).toBe(400);
      expect(
        same.json<{ errors: Array<{ field: string; detail: string }> }>().errors[0],
      ).toMatchObject({ field: 'values', detail: expect.stringContaining('nothing to change') });
      const partial = await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/subjects/${id}`,
        headers: writer,
        payload: {
          purpose: 'newsletter',
          source: 'subject',
          values: { identity: { lastName: 'Ilman-Etunimeä' } },
        },
      });
      expect(partial.statusCode).toBe(400);
      expect(partial.json<{ errors: Array<{ field: string }> }>().errors[0]?.field).toBe(
        'values.identity.firstName',
      );
      expect(await snapshot(t.db.handle)).toEqual(before);
    });

    it('does not reveal who already has an e-mail address', async () => {
      const res = await create({
        identity: { firstName: 'Toinen' },
        contact: { email: anna.contact.email },
      });
      expect(res.statusCode).toBe(409);
      expect(res.body).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
    });

    it('refuses a cursor that was not issued here', async () => {
      const forged = Buffer.from(JSON.stringify('not-a-uuid')).toString('base64url');
      const res = await t.app.inject({
        url: `/api/v1/subjects?purpose=newsletter&cursor=${forged}`,
        headers: reader,
      });
      expect(res.statusCode).toBe(400);
      expect(res.json<{ errors: Array<{ field: string }> }>().errors[0]?.field).toBe('cursor');
    });

    it('refuses a read without a purpose, or with an unknown one', async () => {
      const list = await t.app.inject({ url: '/api/v1/subjects', headers: reader });
      expect(list.statusCode).toBe(400);
      expect(list.json<{ errors: Array<{ field: string }> }>().errors[0]?.field).toBe('purpose');
      const unknown = await t.app.inject({
        url: '/api/v1/subjects?purpose=gossip',
        headers: reader,
      });
      expect(unknown.statusCode).toBe(400);
      expect(
        unknown.json<{ errors: Array<{ field: string; detail: string }> }>().errors[0],
      ).toMatchObject({ field: 'purpose', detail: expect.stringContaining('unknown purpose') });
    });

    it('refuses a malformed id, cursor and e-mail query', async () => {
      expect(
        (
          await t.app.inject({
            url: '/api/v1/subjects/not-a-uuid?purpose=newsletter',
            headers: reader,
          })
        ).json<{ errors: Array<{ field: string }> }>().errors[0]?.field,
      ).toBe('id');
      expect(
        (
          await t.app.inject({
            url: '/api/v1/subjects?purpose=newsletter&cursor=%%%',
            headers: reader,
          })
        ).json<{ errors: Array<{ field: string }> }>().errors[0]?.field,
      ).toBe('cursor');
      expect(
        (
          await t.app.inject({
            url: '/api/v1/subjects?purpose=newsletter&email=nope',
            headers: reader,
          })
        ).json<{ errors: Array<{ field: string }> }>().errors[0]?.field,
      ).toBe('email');
    });

    it('refuses a body that is not JSON, or too large', async () => {
      const before = await snapshot(t.db.handle);
      const bad = await t.app.inject({
        method: 'POST',
        url: '/api/v1/subjects',
        headers: { ...writer, 'content-type': 'application/json' },
        payload: '{"purpose":',
      });
      expect(bad.statusCode).toBe(400);
      expect(bad.headers['content-type']).toMatch(/problem\+json/);
      const big = await t.app.inject({
        method: 'POST',
        url: '/api/v1/subjects',
        headers: writer,
        payload: {
          purpose: 'customer_relationship',
          source: 'subject',
          values: { notes: { note: 'x'.repeat(2_000_000) } },
        },
      });
      expect(big.statusCode).toBe(413);
      expect(await snapshot(t.db.handle)).toEqual(before);
    });
  });

  describe('authenticates and scopes API keys', () => {
    it('refuses a missing key', async () => {
      const res = await t.app.inject({ url: '/api/v1/subjects?purpose=newsletter' });
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
      expect(res.json<{ errors: Array<{ field: string }> }>().errors[0]?.field).toBe(
        'authorization',
      );
    });

    it('refuses a wrong or malformed key', async () => {
      const forged = writer.authorization.slice(0, -4) + 'AAAA';
      for (const authorization of [forged, 'Bearer rk_nonsense', 'Basic dXNlcjpwYXNz']) {
        const before = await snapshot(t.db.handle);
        const res = await t.app.inject({
          method: 'POST',
          url: '/api/v1/subjects',
          headers: { authorization },
          payload: {
            purpose: 'newsletter',
            source: 'subject',
            values: { identity: { firstName: 'X' } },
          },
        });
        expect(res.statusCode, authorization).toBe(401);
        expect(await snapshot(t.db.handle)).toEqual(before);
      }
    });

    it('refuses a key without the purpose, or without the action', async () => {
      const newsletterOnly = await t.key(['newsletter'], ['read', 'write']);
      const before = await snapshot(t.db.handle);
      const wrongPurpose = await create(
        { identity: { firstName: 'X' }, orders: { orderCount: 1 } },
        'customer_relationship',
        newsletterOnly,
      );
      expect(wrongPurpose.statusCode).toBe(403);
      expect(wrongPurpose.json<{ errors: Array<{ field: string }> }>().errors[0]?.field).toBe(
        'purpose',
      );
      const readOnly = await create({ identity: { firstName: 'X' } }, 'newsletter', reader);
      expect(readOnly.statusCode).toBe(403);
      const eraseWithoutRight = await t.app.inject({
        method: 'DELETE',
        url: '/api/v1/subjects/00000000-0000-4000-8000-000000000000',
        headers: reader,
      });
      expect(eraseWithoutRight.statusCode).toBe(403);
      expect(await snapshot(t.db.handle)).toEqual(before);
      const list = await t.app.inject({
        url: '/api/v1/subjects?purpose=analytics',
        headers: newsletterOnly,
      });
      expect(list.statusCode).toBe(403);
    });

    it('refuses a revoked key at once', async () => {
      const h = await t.key(['newsletter'], ['read']);
      expect(
        (await t.app.inject({ url: '/api/v1/subjects?purpose=newsletter', headers: h })).statusCode,
      ).toBe(200);
      const [row] = (await t.services.apiKeys.listApiKeys()).slice(-1);
      await t.services.apiKeys.revokeApiKey(operator, row?.id ?? '');
      expect(
        (await t.app.inject({ url: '/api/v1/subjects?purpose=newsletter', headers: h })).statusCode,
      ).toBe(401);
    });
  });

  it('publishes an OpenAPI 3.1 document, a docs page and a health check', async () => {
    const doc = (await t.app.inject({ url: '/api/openapi.json' })).json<{
      openapi: string;
      paths: Record<string, unknown>;
    }>();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/subjects',
        '/api/v1/subjects/{id}',
        '/api/v1/subjects/{id}/history',
        '/healthz',
        '/healthz/live',
        '/healthz/ready',
      ]),
    );
    expect((await t.app.inject({ url: '/api/docs/' })).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/healthz' })).json()).toMatchObject({ status: 'ok' });
    const missing = await t.app.inject({ url: '/api/v1/nothing-here' });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toMatch(/problem\+json/);
  });
});

describe.each(DATABASES)('concurrent requests on %s', (kind) => {
  it('keeps concurrent writes and reads apart, with one subject per e-mail', async () => {
    const t = await createTestContext(kind);
    try {
      const headers = await t.key(['*'], ['read', 'write']);
      const post = (i: number) =>
        t.app.inject({
          method: 'POST',
          url: '/api/v1/subjects',
          headers,
          payload: {
            purpose: 'customer_relationship',
            source: 'subject',
            values: {
              identity: { firstName: `Rinnakkain${i}` },
              contact: { email: `same.${i % 5}@example.com` },
            },
          },
        });
      const results = await Promise.all(Array.from({ length: 30 }, (_, i) => post(i)));
      const statuses = results.map((r) => r.statusCode);
      expect(statuses.filter((s) => s === 201)).toHaveLength(5);
      expect(statuses.filter((s) => s === 409)).toHaveLength(25);
      const reads = await Promise.all(
        results
          .filter((r) => r.statusCode === 201)
          .map((r) =>
            t.app.inject({
              url: `/api/v1/subjects/${r.json<{ id: string }>().id}?purpose=customer_relationship`,
              headers,
            }),
          ),
      );
      expect(reads.every((r) => r.statusCode === 200)).toBe(true);
      expect(await t.services.subjects.countSubjects()).toBe(5);
      expect((await t.services.audit.verify()).ok).toBe(true);
    } finally {
      await t.close();
    }
  });
});

describe('a write-only credential', () => {
  it('gets the created person back without being able to read anyone', async () => {
    const t = await createTestContext('pglite');
    try {
      const writeOnly = await t.key(['newsletter'], ['write']);
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/subjects',
        headers: writeOnly,
        payload: {
          purpose: 'newsletter',
          source: 'subject',
          values: {
            identity: { firstName: 'Vain' },
            contact: { email: 'vain.kirjoitus@example.com' },
          },
        },
      });
      expect(res.statusCode).toBe(201);
      expect(res.json()).toMatchObject({
        purpose: 'newsletter',
        restricted: false,
        categories: {
          contact: {
            email: {
              value: 'vain.kirjoitus@example.com',
              source: 'subject',
              purpose: 'newsletter',
            },
          },
        },
      });
      const read = await t.app.inject({
        url: `/api/v1/subjects/${res.json<{ id: string }>().id}?purpose=newsletter`,
        headers: writeOnly,
      });
      expect(read.statusCode).toBe(403);
    } finally {
      await t.close();
    }
  });
});
