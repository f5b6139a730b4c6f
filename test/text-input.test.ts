/**
 * Text that may not be stored is refused where it enters, with problem+json naming the field,
 * and changes nothing: control characters (NUL first of all, which PostgreSQL cannot store and
 * once gave a 500), line breaks in single-line fields, bidirectional overrides and isolates, lone
 * surrogates, invalid UTF-8 in the body and malformed percent-encoding in the query.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operator } from '../src/lib/actor.ts';
import { checkMapping } from '../src/modules/imports/mapping.ts';
import { newStaffSession, newSubject } from './factories.ts';
import { createTestContext, DATABASES, snapshot, type TestContext } from './helpers.ts';

/** Each bad string, and the words the refusal uses for it. */
const BAD: Array<[string, string, RegExp]> = [
  ['NUL', 'Matti\u0000Meikäläinen', /control character \(U\+0000\)/],
  ['bell', 'Matti\u0007', /control character \(U\+0007\)/],
  ['escape', '\u001b[31mMatti', /control character \(U\+001B\)/],
  ['DEL', 'Matti\u007f', /control character \(U\+007F\)/],
  ['C1 control', 'Matti\u0085', /control character \(U\+0085\)/],
  ['line feed', 'Matti\nMeikäläinen', /single line/],
  ['carriage return', 'Matti\rMeikäläinen', /single line/],
  ['tab', 'Matti\tMeikäläinen', /single line/],
  ['right-to-left override', 'Matti \u202egpj.exe', /bidirectional control character \(U\+202E\)/],
  ['left-to-right embedding', '\u202aMatti', /bidirectional control character \(U\+202A\)/],
  ['first strong isolate', 'Matti\u2068x\u2069', /bidirectional control character \(U\+2068\)/],
  ['lone high surrogate', 'Matti\ud800', /lone surrogate/],
  ['lone low surrogate', '\udc00Matti', /lone surrogate/],
];

interface Problem {
  status: number;
  detail: string;
  errors: Array<{ field: string; detail: string }>;
}

describe.each(DATABASES)('text that may not be stored, on %s', (kind) => {
  let t: TestContext;
  let key: { authorization: string };
  let admin: Record<string, string>;
  let staffId = '';
  let subjectId = '';

  const audit = async () =>
    Number(
      (
        await sql<{ n: string }>`select count(*)::text as n from audit_events`.execute(
          t.db.handle.db,
        )
      ).rows[0]?.n,
    );
  const staffRows = async () =>
    (
      await sql<Record<string, unknown>>`select id, username, display_name, role, disabled_at
        from staff order by id`.execute(t.db.handle.db)
    ).rows;

  beforeAll(async () => {
    t = await createTestContext(kind);
    key = await t.key(['*'], ['read', 'write', 'erase', 'export', 'handle_requests']);
    const session = await newStaffSession(t, 'admin', {
      username: 'paakayttaja',
      displayName: 'Pää Käyttäjä',
      password: 'kahvia-ja-pullaa-42',
    });
    staffId = session.id;
    admin = session.headers;
    subjectId = (
      await newSubject(
        t,
        {
          values: {
            identity: { firstName: 'Kerttu' },
            contact: { email: 'kerttu@example.com' },
          },
        },
        key,
      )
    ).id;
  });
  afterAll(async () => {
    await t?.close();
  });

  /**
   * Each sign-in attempt from an address of its own: these tests send many, and the sign-in rate
   * limit (20 per address in 5 minutes, tested in rate-limit.test.ts) would answer 429 first.
   */
  let attempts = 0;
  const freshAddress = () => `10.77.${Math.floor(attempts / 250)}.${(attempts++ % 250) + 1}`;
  /** Every route and field where text enters, with the field the refusal must name. */
  const routes = (bad: string) => [
    {
      name: 'sign-in username',
      field: 'username',
      req: () => ({
        method: 'POST' as const,
        url: '/api/v1/auth/login',
        remoteAddress: freshAddress(),
        payload: { username: bad, password: 'whatever-it-is-1' },
      }),
    },
    {
      name: 'sign-in password',
      field: 'password',
      req: () => ({
        method: 'POST' as const,
        url: '/api/v1/auth/login',
        remoteAddress: freshAddress(),
        payload: { username: 'paakayttaja', password: bad },
      }),
    },
    {
      name: 'new staff display name',
      field: 'displayName',
      req: () => ({
        method: 'POST' as const,
        url: '/api/v1/staff',
        headers: admin,
        payload: { username: 'uusi', displayName: bad, role: 'support' },
      }),
    },
    {
      name: 'renamed staff member',
      field: 'displayName',
      req: () => ({
        method: 'PATCH' as const,
        url: `/api/v1/staff/${staffId}`,
        headers: admin,
        payload: { displayName: bad },
      }),
    },
    {
      name: 'a person’s name',
      field: 'values.identity.firstName',
      req: () => ({
        method: 'POST' as const,
        url: '/api/v1/subjects',
        headers: key,
        payload: {
          purpose: 'customer_relationship',
          source: 'subject',
          values: { identity: { firstName: bad } },
        },
      }),
    },
    {
      name: 'a rectified e-mail address',
      field: 'values.contact.email',
      req: () => ({
        method: 'PATCH' as const,
        url: `/api/v1/subjects/${subjectId}`,
        headers: key,
        payload: {
          purpose: 'customer_relationship',
          source: 'subject',
          values: { contact: { email: `${bad}@example.com` } },
        },
      }),
    },
    {
      name: 'a lookup',
      field: 'q',
      req: () => ({
        method: 'GET' as const,
        url: `/api/v1/subjects?purpose=customer_relationship&q=${encodeURIComponent(bad).replaceAll('%EF%BF%BD', '%ED%A0%80')}`,
        headers: key,
      }),
    },
    {
      name: 'the purpose',
      field: 'purpose',
      req: () => ({
        method: 'POST' as const,
        url: '/api/v1/subjects',
        headers: key,
        payload: { purpose: bad, source: 'subject', values: {} },
      }),
    },
  ];

  it.each(BAD)(
    'refuses %s on every route, naming the field, changing nothing',
    async (_n, bad, words) => {
      const before = {
        db: await snapshot(t.db.handle),
        audit: await audit(),
        staff: await staffRows(),
      };
      for (const route of routes(bad)) {
        if (route.field === 'q' && /surrogate/.test(words.source)) {
          continue; // a URL cannot carry a lone surrogate: it arrives as invalid UTF-8 (below)
        }
        const res = await t.app.inject(route.req());
        expect(res.statusCode, `${route.name}: ${res.body}`).toBe(400);
        expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
        expect(res.headers['x-content-type-options']).toBe('nosniff');
        const problem = res.json<Problem>();
        const issue = problem.errors.find((e) => e.field === route.field);
        expect(issue, `${route.name}: ${res.body}`).toBeDefined();
        expect(issue?.detail).toMatch(words);
        // Nothing of the value is echoed.
        expect(res.body).not.toContain('Matti');
      }
      expect({
        db: await snapshot(t.db.handle),
        audit: await audit(),
        staff: await staffRows(),
      }).toEqual(before);
    },
  );

  it('refuses a body that is not valid UTF-8', async () => {
    const before = await snapshot(t.db.handle);
    for (const bytes of [
      [0xff],
      [0xc0, 0xae], // an overlong '.'
      [0xed, 0xa0, 0x80], // a surrogate encoded in UTF-8
      [0xe2, 0x82], // cut short
    ]) {
      const body = Buffer.concat([
        Buffer.from(
          '{"purpose":"customer_relationship","source":"subject","values":{"identity":{"firstName":"Ma',
        ),
        Buffer.from(bytes),
        Buffer.from('tti"}}}'),
      ]);
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/subjects',
        headers: { ...key, 'content-type': 'application/json' },
        payload: body,
      });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
      expect(res.json<Problem>().errors).toEqual([{ field: 'body', detail: 'not valid UTF-8' }]);
    }
    expect(await snapshot(t.db.handle)).toEqual(before);
  });

  it('refuses malformed percent-encoding in the query, naming the parameter', async () => {
    for (const q of ['%ff', '%c0%ae', '%ed%a0%80', 'matti%', '%zz']) {
      const res = await t.app.inject({
        url: `/api/v1/subjects?purpose=customer_relationship&q=${q}`,
        headers: key,
      });
      expect(res.statusCode, q).toBe(400);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
      expect(res.headers['content-security-policy']).toBeTruthy();
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.json<Problem>().errors[0]?.field).toBe('q');
    }
  });

  it('keeps several lines where a field allows them, and well-formed text everywhere', async () => {
    const res = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/subjects/${subjectId}`,
      headers: key,
      payload: {
        purpose: 'customer_relationship',
        source: 'subject',
        reason: 'Asiakas soitti.\nKorjattu nimi ja muistiinpano.',
        values: {
          identity: { firstName: 'Kerttu-Ørjan 李 🙂 עברית' },
          notes: { note: 'Ensimmäinen rivi\n\tsisennetty toinen rivi\r\nkolmas' },
        },
      },
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<{ categories: { notes: { note: { value: string } } } }>();
    expect(body.categories.notes.note.value).toBe(
      'Ensimmäinen rivi\n\tsisennetty toinen rivi\r\nkolmas',
    );
    // A multi-line field still refuses NUL and bidirectional controls.
    for (const note of ['a\u0000b', 'a\u202eb']) {
      const bad = await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/subjects/${subjectId}`,
        headers: key,
        payload: {
          purpose: 'customer_relationship',
          source: 'subject',
          values: { notes: { note } },
        },
      });
      expect(bad.statusCode).toBe(400);
      expect(bad.json<Problem>().errors[0]?.field).toBe('values.notes.note');
    }
  });

  it('refuses the same text from the command line and the import', async () => {
    await expect(
      t.services.staff.createStaff(operator, {
        username: 'komento',
        displayName: 'Komento\u0000rivi',
        role: 'support',
      }),
    ).rejects.toMatchObject({ code: 'validation_failed', issues: [{ field: 'displayName' }] });
    const dir = await mkdtemp(join(tmpdir(), 'rekisteri-text-'));
    try {
      const file = join(dir, 'people.csv');
      await writeFile(
        file,
        'First name,E-mail\nTuonti\u202eHuijaus,tuonti1@example.com\nTuonti,tuonti2@example.com\n',
      );
      const mapping = checkMapping(
        {
          purpose: 'customer_relationship',
          source: 'partner',
          dedupe: 'skip',
          columns: { 'First name': 'identity.firstName', 'E-mail': 'contact.email' },
        },
        t.register,
      );
      const summary = await t.services.imports.importFile(operator, { file, mapping });
      expect(summary).toMatchObject({ created: 1, rejected: 1 });
      const errors = await readFile(summary.errorFile ?? '', 'utf8');
      expect(errors).toContain('identity.firstName: contains a bidirectional control');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
