/**
 * Audiences (issue 11, item 7; docs/audiences.md): who a marketing purpose may reach on a channel
 * now, counted and exported as CSV. On each database: an unsubscribed person is gone from the
 * next audience; a market-research prohibition removes a person from market research but not
 * from the newsletter; restricted and objecting people never appear; a consent purpose includes
 * only consents granted; values of channels not allowed never appear; bad filters are refused
 * naming the field and nothing is exported; the export is logged; no right, 403 before anything.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.ts';
import { operator } from '../src/lib/actor.ts';
import { createServices } from '../src/services.ts';
import { createVault } from '../src/vault/vault.ts';
import type { PermissionChange } from '../src/modules/permissions/index.ts';
import { newSubjectVia, tag } from './factories.ts';
import { createTestContext, DATABASES, type TestContext } from './helpers.ts';

const WORDING = { text: 'Saa lähettää uutiskirjeen sähköpostiini.', language: 'en' as const };

/** RFC 4180 rows of a CSV answer (every cell quoted), without the byte order mark. */
function parseCsv(body: string): string[][] {
  return body
    .replace(/^\uFEFF/, '')
    .split('\r\n')
    .filter((l) => l !== '')
    .map((l) =>
      [...l.matchAll(/"((?:[^"]|"")*)"/g)].map((m) => (m[1] ?? '').replaceAll('""', '"')),
    );
}

describe.each(DATABASES)('audiences on %s', (kind) => {
  let t: TestContext;
  let marketer: { authorization: string };
  const person = async (lastName: string, language = 'fi') => {
    const email = `${lastName.toLowerCase()}.${tag()}@example.com`;
    const phone = `040 ${1_000_000 + Math.floor(Math.random() * 8_999_999)}`;
    const p = await newSubjectVia(t.services, {
      values: {
        identity: { firstName: 'Yleisö', lastName },
        contact: {
          email,
          phone,
          language,
          address: { street: 'Satamakatu 5', postalCode: '20100', city: 'Turku' },
        },
        organisation: { organisation: `Paahtimo ${lastName} Oy` },
      },
    });
    return { ...p, email, phone, lastName };
  };
  const record = (id: string, changes: PermissionChange[]) =>
    t.services.permissions.record(operator, id, changes, { method: 'staff', wording: WORDING });
  const grantNewsletter = (id: string) =>
    record(id, [{ kind: 'newsletter', channel: 'email', state: 'granted' }]);
  const post = (path: string, body: unknown, headers = marketer) =>
    t.app.inject({
      method: 'POST',
      url: `/api/v1/audiences/${path}`,
      headers,
      payload: body as object,
    });
  const exported = async (body: unknown) => {
    const res = await post('export', body);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    const [head, ...rows] = parseCsv(res.body);
    return { head: head ?? [], rows, ids: rows.map((r) => r[0]), body: res.body };
  };
  const exportLog = async () =>
    (await t.services.audit.list({ limit: 500 })).filter((e) => e.action === 'audience.export');

  beforeAll(async () => {
    t = await createTestContext(kind, undefined, { publicUrl: 'https://rekisteri.example.fi' });
    marketer = await t.key(
      ['newsletter', 'market_research', 'b2b_marketing'],
      ['read', 'export_audiences'],
    );
  });
  afterAll(async () => {
    await t?.close();
  });

  it('the newsletter audience holds only people who granted it, loses one who unsubscribes, and shows only their e-mail', async () => {
    const granted = await person('Tilaaja');
    const leaving = await person('Lähtijä');
    const pending = await person('Odottaja');
    const never = await person('Kysymätön');
    await grantNewsletter(granted.id);
    await grantNewsletter(leaving.id);
    await record(pending.id, [{ kind: 'newsletter', channel: 'email', state: 'pending' }]);

    const first = await exported({ purpose: 'newsletter', channel: 'email' });
    expect(first.head).toEqual(['id', 'contact.email', 'unsubscribe_url']);
    expect(first.ids).toContain(granted.id);
    expect(first.ids).toContain(leaving.id);
    expect(first.ids).not.toContain(pending.id);
    expect(first.ids).not.toContain(never.id);
    const row = first.rows.find((r) => r[0] === granted.id);
    expect(row?.[1]).toBe(granted.email);
    // The row's unsubscribe link names that person, the purpose and the channel.
    const link = row?.[2] ?? '';
    expect(link).toMatch(/\/u\/[A-Za-z0-9_-]+$/);
    expect(link).not.toContain(granted.id);
    expect(t.services.unsubscribeLinks.open(link.slice(link.lastIndexOf('/') + 1))).toMatchObject({
      subjectId: granted.id,
      purpose: 'newsletter',
      channel: 'email',
    });
    // No phone number or address of anyone, in any cell.
    expect(first.body).not.toContain(granted.phone);
    expect(first.body).not.toContain('Satamakatu');

    const counted = await post('count', { purpose: 'newsletter', channel: 'email' });
    expect(counted.statusCode).toBe(200);
    expect(counted.json<{ count: number }>().count).toBe(first.rows.length);

    // The person unsubscribes (withdraws the consent): absent from the next audience.
    await record(leaving.id, [{ kind: 'newsletter', channel: 'email', state: 'withdrawn' }]);
    const next = await exported({ purpose: 'newsletter', channel: 'email' });
    expect(next.ids).toContain(granted.id);
    expect(next.ids).not.toContain(leaving.id);
    expect(
      (await post('count', { purpose: 'newsletter', channel: 'email' })).json<{ count: number }>()
        .count,
    ).toBe(next.rows.length);
  });

  it('a market-research prohibition removes the person from market research, not from the newsletter', async () => {
    const p = await person('Kieltäytyjä');
    const other = await person('Vastaaja');
    await grantNewsletter(p.id);
    await record(p.id, [{ kind: 'market_research', channel: '*', state: 'refused' }]);

    const research = await exported({ purpose: 'market_research', channel: 'email' });
    expect(research.ids).not.toContain(p.id);
    expect(research.ids).toContain(other.id);
    const newsletter = await exported({ purpose: 'newsletter', channel: 'email' });
    expect(newsletter.ids).toContain(p.id);
    expect(newsletter.ids).not.toContain(other.id);
  });

  it('restricted and objecting people never appear', async () => {
    const restricted = await person('Rajoitettu');
    const objecting = await person('Vastustaja');
    const control = await person('Tavallinen');
    for (const p of [restricted, objecting, control]) {
      await grantNewsletter(p.id);
    }
    await t.services.subjects.setRestriction(operator, restricted.id, 'accuracy contested');
    await t.services.subjects.stopProcessing(operator, objecting.id, {
      reason: 'objection',
      purposes: ['market_research'],
    });
    await record(objecting.id, [{ kind: 'newsletter', channel: 'email', state: 'objected' }]);
    for (const [purpose, channel] of [
      ['newsletter', 'email'],
      ['market_research', 'email'],
      ['market_research', 'sms'],
    ] as const) {
      const { ids } = await exported({ purpose, channel });
      expect(ids).not.toContain(restricted.id);
      expect(ids).not.toContain(objecting.id);
    }
    expect((await exported({ purpose: 'market_research', channel: 'email' })).ids).toContain(
      control.id,
    );
  });

  it('b2b marketing by post shows the address only, and a filter on a withheld value matches nothing', async () => {
    const p = await person('Postitse');
    await record(p.id, [
      { kind: 'direct_marketing', channel: 'email', state: 'refused' },
      { kind: 'direct_marketing', channel: 'phone', state: 'refused' },
    ]);
    const byPost = await exported({ purpose: 'b2b_marketing', channel: 'post' });
    expect(byPost.head).toEqual(['id', 'contact.address', 'unsubscribe_url']);
    const row = byPost.rows.find((r) => r[0] === p.id);
    expect(row?.[1]).toBe('Satamakatu 5, 20100, Turku');
    expect(byPost.body).not.toContain(p.email);
    expect(byPost.body).not.toContain(p.phone);
    // By e-mail the person is not there at all.
    expect((await exported({ purpose: 'b2b_marketing', channel: 'email' })).ids).not.toContain(
      p.id,
    );
    // The e-mail address is withheld person by person from a post audience: it cannot be
    // filtered on (who matched would tell who allows e-mail), neither counted nor exported.
    for (const path of ['export', 'count']) {
      const res = await post(path, {
        purpose: 'b2b_marketing',
        channel: 'post',
        filters: [{ field: 'contact.email', op: 'equals', value: p.email }],
      });
      expect(res.statusCode).toBe(400);
      expect(res.json<{ errors: Array<{ field: string }> }>().errors[0]!.field).toBe(
        'filters[0].field',
      );
    }
  });

  it('a channel audience holds only people reachable on it: no phone, not by text message; no address, not by post; count and export agree', async () => {
    const countOf = async (purpose: string, channel: string) => {
      const res = await post('count', { purpose, channel });
      expect(res.statusCode, res.body).toBe(200);
      return res.json<{ count: number }>().count;
    };
    const smsBefore = await countOf('market_research', 'sms');
    const postBefore = await countOf('b2b_marketing', 'post');
    // One with an e-mail address only; one with a phone number and a postal address too.
    const email = `puhelimeton.${tag()}@example.com`;
    const bare = await newSubjectVia(t.services, {
      values: {
        identity: { firstName: 'Yleisö', lastName: 'Puhelimeton' },
        contact: { email, language: 'fi' },
        organisation: { organisation: 'Paahtimo Puhelimeton Oy' },
      },
    });
    const full = await person('Puhelimellinen');
    for (const [purpose, channel, column] of [
      ['market_research', 'sms', 'contact.phone'],
      ['market_research', 'phone', 'contact.phone'],
      ['b2b_marketing', 'post', 'contact.address'],
    ] as const) {
      const csv = await exported({ purpose, channel });
      expect(csv.head).toEqual(['id', column, 'unsubscribe_url']);
      expect(csv.ids, `${purpose}/${channel}`).not.toContain(bare.id);
      expect(csv.ids, `${purpose}/${channel}`).toContain(full.id);
      // No row without the channel's value, and the count is the rows.
      expect(csv.rows.filter((r) => r[1] === '')).toEqual([]);
      expect(await countOf(purpose, channel)).toBe(csv.rows.length);
    }
    expect(await countOf('market_research', 'sms')).toBe(smsBefore + 1);
    expect(await countOf('b2b_marketing', 'post')).toBe(postBefore + 1);
    // By e-mail, which both have, both are there.
    const byEmail = await exported({ purpose: 'market_research', channel: 'email' });
    expect(byEmail.ids).toEqual(expect.arrayContaining([bare.id, full.id]));
    expect(await countOf('market_research', 'email')).toBe(byEmail.rows.length);
    // A filtered count and export leave the person out alike.
    const filters = [{ field: 'identity.lastName', op: 'equals', value: 'Puhelimeton' }];
    expect(
      (await post('count', { purpose: 'market_research', channel: 'sms', filters })).json(),
    ).toMatchObject({ count: 0, fewerThan: 5 });
    expect((await exported({ purpose: 'market_research', channel: 'sms', filters })).rows).toEqual(
      [],
    );
  });

  it('a filtered count is logged, and below 5 people it does not say how many', async () => {
    const p = await person('Yksinäinen');
    await grantNewsletter(p.id);
    const countLog = async () =>
      (await t.services.audit.list({ limit: 500 })).filter((e) => e.action === 'audience.count');
    const before = (await countLog()).length;
    const probe = (email: string) =>
      post('count', {
        purpose: 'newsletter',
        channel: 'email',
        filters: [{ field: 'contact.email', op: 'equals', value: email }],
      });
    // A known address and an unknown one: one answer, "fewer than 5".
    const known = await probe(p.email);
    const unknown = await probe(`ei.ole.${tag()}@example.com`);
    expect(known.statusCode).toBe(200);
    expect(known.json()).toEqual({
      count: 0,
      fewerThan: 5,
      purpose: 'newsletter',
      channel: 'email',
    });
    expect(unknown.body).toBe(known.body);
    // Without filters the size is exact.
    const all = await post('count', { purpose: 'newsletter', channel: 'email' });
    expect(all.json<{ fewerThan?: number }>().fewerThan).toBeUndefined();
    const entries = await countLog();
    expect(entries.length).toBe(before + 3);
    expect(entries[0]?.data).toMatchObject({ channel: 'email', createdAfter: false });
    expect(entries.find((e) => JSON.stringify(e.data).includes('"count":1'))).toBeDefined();
    expect(JSON.stringify(entries)).not.toContain(p.email);
  });

  it('filters: equals, contains, in, language and created after', async () => {
    const fi = await person('Suodatin', 'fi');
    const sv = await person('Filtrerad', 'sv');
    await grantNewsletter(fi.id);
    await grantNewsletter(sv.id);
    const ids = async (filters: unknown[], extra: Record<string, unknown> = {}) =>
      (await exported({ purpose: 'newsletter', channel: 'email', filters, ...extra })).ids;
    expect(await ids([{ field: 'identity.lastName', op: 'equals', value: 'SUODATIN' }])).toEqual([
      fi.id,
    ]);
    expect(await ids([{ field: 'contact.email', op: 'contains', value: 'filtrerad.' }])).toEqual([
      sv.id,
    ]);
    const both = await ids([
      { field: 'identity.lastName', op: 'in', values: ['Suodatin', 'Filtrerad'] },
    ]);
    expect(both.sort()).toEqual([fi.id, sv.id].sort());
    const swedish = await ids([
      { field: 'contact.language', op: 'equals', value: 'sv' },
      { field: 'identity.firstName', op: 'equals', value: 'Yleisö' },
    ]);
    expect(swedish).toContain(sv.id);
    expect(swedish).not.toContain(fi.id);
    expect(await ids([], { createdAfter: new Date(Date.now() + 60_000).toISOString() })).toEqual(
      [],
    );
    // A filtered count below 5 people is not told exactly.
    const counted = await post('count', {
      purpose: 'newsletter',
      channel: 'email',
      filters: [{ field: 'identity.lastName', op: 'equals', value: 'Suodatin' }],
    });
    expect(counted.json<{ count: number; fewerThan?: number }>()).toMatchObject({
      count: 0,
      fewerThan: 5,
    });
  });

  it('bad filters are refused naming the field, and nothing is exported or logged', async () => {
    const before = (await exportLog()).length;
    const cases: Array<[unknown, string]> = [
      [
        {
          purpose: 'newsletter',
          channel: 'email',
          filters: [{ field: 'orders.orderCount', op: 'equals', value: '1' }],
        },
        'filters[0].field',
      ],
      [
        {
          purpose: 'newsletter',
          channel: 'email',
          filters: [{ field: 'contact.nosuch', op: 'equals', value: 'x' }],
        },
        'filters[0].field',
      ],
      [
        {
          purpose: 'newsletter',
          channel: 'email',
          filters: [{ field: 'contact.email', op: 'like', value: 'x' }],
        },
        'filters',
      ],
      [
        {
          purpose: 'newsletter',
          channel: 'email',
          filters: [{ field: 'contact.email', op: 'equals', value: 'x', extra: 1 }],
        },
        'filters',
      ],
      [{ purpose: 'newsletter', channel: 'sms' }, 'channel'],
      [{ purpose: 'newsletter', channel: 'email', limit: 5 }, 'limit'],
      [{ purpose: 'newsletter', channel: 'email', createdAfter: 'yesterday' }, 'createdAfter'],
    ];
    for (const [body, field] of cases) {
      for (const path of ['export', 'count']) {
        const res = await post(path, body);
        expect(res.statusCode, `${path} ${JSON.stringify(body)}: ${res.body}`).toBe(400);
        expect(res.headers['content-type']).toContain('application/problem+json');
        // The field, or for an unknown key the body with the key named in the detail.
        const issues =
          res.json<{ errors?: Array<{ field: string; detail: string }> }>().errors ?? [];
        expect(
          issues.some((e) => e.field.startsWith(field) || e.detail.includes(`"${field}"`)),
          `${JSON.stringify(issues)} names ${field}`,
        ).toBe(true);
      }
    }
    expect((await exportLog()).length).toBe(before);
  });

  it('the export is logged as one processing: purpose, channel, filters and row count, no personal data', async () => {
    const p = await person('Lokitettu');
    await grantNewsletter(p.id);
    const before = (await exportLog()).length;
    const out = await exported({
      purpose: 'newsletter',
      channel: 'email',
      filters: [{ field: 'contact.email', op: 'equals', value: p.email }],
    });
    expect(out.ids).toEqual([p.id]);
    const entries = await exportLog();
    expect(entries.length).toBe(before + 1);
    const [entry] = entries;
    expect(entry?.purpose).toBe('newsletter');
    expect(entry?.subject_id).toBeNull();
    expect(entry?.data).toEqual({
      channel: 'email',
      filters: [{ field: 'contact.email', op: 'equals' }],
      createdAfter: false,
      rows: 1,
      complete: true,
    });
    expect(JSON.stringify(entry)).not.toContain(p.email);
  });

  it('an audience of many pages comes out whole: each person once, in id order, with their own e-mail and link', async () => {
    const people = [];
    for (let i = 0; i < 7; i++) {
      const p = await person(`Sivutettu${i}`);
      await grantNewsletter(p.id);
      people.push(p);
    }
    // One whose key the key store no longer holds (erased, the data side not yet told): left out.
    const gone = await person('Avaimeton');
    await grantNewsletter(gone.id);
    await t.keys.erase([{ subjectId: gone.id, erasedAt: new Date(), reason: 'request' }]);

    const whole = await exported({ purpose: 'newsletter', channel: 'email' });
    for (const pageSize of [1, 2, 3]) {
      const { lines } = t.services.audiences.exportCsv(
        operator,
        { purpose: 'newsletter', channel: 'email' },
        { pageSize },
      );
      let body = '';
      for await (const chunk of lines) {
        body += chunk;
      }
      const [, ...rows] = parseCsv(body);
      const ids = rows.map((r) => r[0] as string);
      expect(ids, `pages of ${pageSize}`).toEqual(whole.ids);
      expect(ids).toEqual([...ids].sort());
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).not.toContain(gone.id);
      for (const p of people) {
        const row = rows.find((r) => r[0] === p.id);
        expect(row?.[1], `pages of ${pageSize}`).toBe(p.email);
        const link = row?.[2] ?? '';
        expect(
          t.services.unsubscribeLinks.open(link.slice(link.lastIndexOf('/') + 1)),
        ).toMatchObject({ subjectId: p.id, purpose: 'newsletter', channel: 'email' });
      }
    }
  });

  it('an https PUBLIC_URL on a loopback host (localhost, 127.0.0.1, [::1]) is refused naming PUBLIC_URL, as no recipient reaches its links', async () => {
    // docs/notice.md: "Links to this machine reach no reader" (rekisteri notice refuses such a
    // PDF). An export's unsubscribe links to https://localhost reach no recipient either.
    const p = await person('Silmukka');
    await grantNewsletter(p.id);
    for (const publicUrl of ['https://localhost:8443', 'https://127.0.0.1', 'https://[::1]']) {
      const looped = createServices({
        database: t.db.handle,
        keys: t.keys,
        register: t.register,
        vault: createVault(t.masterKey),
        publicUrl,
      });
      const app = await createApp(looped);
      try {
        const res = await app.inject({
          method: 'POST',
          url: '/api/v1/audiences/export',
          headers: marketer,
          payload: { purpose: 'newsletter', channel: 'email' },
        });
        expect(res.statusCode, `${publicUrl}: ${res.body.slice(0, 200)}`).toBe(409);
        expect(res.json<{ errors: Array<{ field: string }> }>().errors[0]?.field).toBe(
          'PUBLIC_URL',
        );
        expect(res.body).toContain('an address only this machine reaches');
        expect(res.body).not.toContain(p.email);
      } finally {
        await app.close();
      }
    }
  });

  it('while PUBLIC_URL is not https the export is refused naming it (its links would not work), and nothing is read or logged; the count still answers', async () => {
    const p = await person('Suojaamaton');
    await grantNewsletter(p.id);
    for (const publicUrl of [undefined, 'http://rekisteri.example.fi']) {
      const plain = createServices({
        database: t.db.handle,
        keys: t.keys,
        register: t.register,
        vault: createVault(t.masterKey),
        ...(publicUrl ? { publicUrl } : {}),
      });
      const app = await createApp(plain);
      try {
        const before = (await exportLog()).length;
        const res = await app.inject({
          method: 'POST',
          url: '/api/v1/audiences/export',
          headers: marketer,
          payload: { purpose: 'newsletter', channel: 'email' },
        });
        expect(res.statusCode, res.body).toBe(409);
        expect(res.headers['content-type']).toContain('application/problem+json');
        const problem = res.json<{ detail: string; errors: unknown[] }>();
        expect(problem.detail).toMatch(/^PUBLIC_URL is http:\/\/\S+, not an https:\/\/ address/);
        expect(problem.errors).toEqual([
          {
            field: 'PUBLIC_URL',
            detail: 'expected a public https:// URL (not a loopback host) for unsubscribe links',
          },
        ]);
        expect(res.body).not.toContain(p.email);
        expect(await exportLog()).toHaveLength(before);
        // Counting hands out no link: it answers as before.
        const counted = await app.inject({
          method: 'POST',
          url: '/api/v1/audiences/count',
          headers: marketer,
          payload: { purpose: 'newsletter', channel: 'email' },
        });
        expect(counted.statusCode).toBe(200);
        expect(counted.json<{ count: number }>().count).toBeGreaterThan(0);
      } finally {
        await app.close();
      }
    }
  });

  it('without the right to export audiences, or to read under the purpose, 403 before anything is read', async () => {
    const readOnly = await t.key(['newsletter'], ['read']);
    const otherPurpose = await t.key(['market_research'], ['read', 'export_audiences']);
    const before = (await exportLog()).length;
    for (const [headers, body] of [
      [readOnly, { purpose: 'newsletter', channel: 'email' }],
      [otherPurpose, { purpose: 'newsletter', channel: 'email' }],
      // Refused for the right, not for the bad filter.
      [
        readOnly,
        {
          purpose: 'newsletter',
          channel: 'email',
          filters: [{ field: 'x', op: 'equals', value: 'y' }],
        },
      ],
    ] as const) {
      for (const path of ['export', 'count']) {
        const res = await post(path, body, headers);
        expect(res.statusCode, res.body).toBe(403);
      }
    }
    expect((await exportLog()).length).toBe(before);
  });
});
