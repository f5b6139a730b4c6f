/**
 * Authorisation before any effect: a refused request changes nothing, neither the stored values
 * nor the access log. Rectification needs read as well as write; handling a data subject's
 * request (access copy, restriction, erasure) needs every purpose of the register.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actorForRole } from '../src/modules/staff/staff.service.ts';
import { newSubject } from './factories.ts';
import { createTestContext, DATABASES, type TestContext } from './helpers.ts';

/** Everything a refused request could have touched, byte for byte. */
async function state(t: TestContext) {
  const db = t.db.handle.db;
  const subjects = await sql<Record<string, unknown>>`
    select id, restricted_at, restriction_reason, erased_at,
           updated_at, email_index
    from subjects order by id`.execute(db);
  const values = await sql<Record<string, unknown>>`
    select subject_id, category, encode(sealed, 'hex') as s, updated_at
    from subject_values order by subject_id, category`.execute(db);
  const history = await sql<{ n: string }>`select count(*)::text as n from subject_history`.execute(
    db,
  );
  const audit = await sql<{ n: string }>`select count(*)::text as n from audit_events`.execute(db);
  const keys = await t.keys.db
    .selectFrom('person_keys')
    .select(['subject_id', 'wrapped'])
    .orderBy('subject_id')
    .execute();
  return {
    subjects: subjects.rows,
    keys: keys.map((k) => `${k.subject_id}:${Buffer.from(k.wrapped).toString('hex')}`),
    values: values.rows,
    history: history.rows[0]?.n,
    audit: audit.rows[0]?.n,
  };
}

describe.each(DATABASES)('authorisation before any effect on %s', (kind) => {
  let t: TestContext;
  let admin: { authorization: string };
  let id = '';

  beforeAll(async () => {
    t = await createTestContext(kind);
    admin = await t.key(['*'], ['read', 'write', 'erase', 'export', 'handle_requests']);
    id = (
      await newSubject(
        t,
        {
          values: {
            identity: { firstName: 'Oiva', lastName: 'Omenapuu' },
            contact: { email: 'oiva.omenapuu@example.com' },
          },
        },
        admin,
      )
    ).id;
    // Special-category data, collected for another purpose than the newsletter.
    const diet = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/subjects/${id}`,
      headers: admin,
      payload: {
        purpose: 'course_diets',
        source: 'subject',
        values: { health: { dietaryNeeds: 'pähkinäallergia', severeAllergy: true } },
      },
    });
    expect(diet.statusCode).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('refuses a rectification by a key that may write but not read, before writing', async () => {
    const writeOnly = await t.key(['customer_relationship'], ['write']);
    const before = await state(t);
    for (const firstName of ['Oiva', 'Uolevi']) {
      // 'Oiva' is the stored value: a write-only key must not learn that from the answer either.
      const res = await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/subjects/${id}`,
        headers: writeOnly,
        payload: {
          purpose: 'customer_relationship',
          source: 'subject',
          values: { identity: { firstName } },
        },
      });
      expect(res.statusCode, firstName).toBe(403);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
      expect(res.json<{ detail: string }>().detail).toMatch(/may not read/);
    }
    expect(await state(t)).toEqual(before);
    const read = await t.app.inject({
      url: `/api/v1/subjects/${id}?purpose=customer_relationship`,
      headers: admin,
    });
    expect(
      read.json<{ categories: { identity: { firstName: { value: string } } } }>().categories
        .identity.firstName.value,
    ).toBe('Oiva');
  });

  it('lets a key that may read and write rectify', async () => {
    const both = await t.key(['customer_relationship'], ['read', 'write']);
    const res = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/subjects/${id}`,
      headers: both,
      payload: {
        purpose: 'customer_relationship',
        source: 'subject',
        values: { identity: { lastName: 'Omenapuu-Päärynä' } },
      },
    });
    expect(res.statusCode).toBe(200);
  });

  it('refuses export, restriction and erasure by a key scoped to the newsletter', async () => {
    const newsletter = await t.key(
      ['newsletter'],
      ['read', 'write', 'erase', 'export', 'handle_requests'],
    );
    // Every purpose but one is not enough either.
    const allButOne = await t.key(
      t.register.definition.purposes.map((p) => p.id).filter((p) => p !== 'course_diets'),
      ['read', 'write', 'erase', 'export', 'handle_requests'],
    );
    const before = await state(t);
    for (const headers of [newsletter, allButOne]) {
      const attempts = [
        { method: 'GET' as const, url: `/api/v1/subjects/${id}/export` },
        {
          method: 'PUT' as const,
          url: `/api/v1/subjects/${id}/restriction`,
          payload: { reason: 'asked to stop' },
        },
        { method: 'DELETE' as const, url: `/api/v1/subjects/${id}/restriction` },
        { method: 'DELETE' as const, url: `/api/v1/subjects/${id}` },
        // A person who does not exist gets the same answer: the refusal tells nothing.
        { method: 'DELETE' as const, url: `/api/v1/subjects/00000000-0000-7000-8000-000000000000` },
      ];
      for (const a of attempts) {
        const res = await t.app.inject({ ...a, headers });
        expect(res.statusCode, `${a.method} ${a.url}`).toBe(403);
        expect(res.headers['content-type']).toMatch(/problem\+json/);
        expect(res.body).not.toContain('pähkinä');
        expect(res.json<{ errors: Array<{ field: string }> }>().errors[0]?.field).toBe('purpose');
      }
    }
    expect(await state(t)).toEqual(before);
  });

  it('refuses a staff role that handles requests but reads under fewer purposes', async () => {
    const narrow = actorForRole('00000000-0000-7000-8000-0000000000aa', {
      id: 'request_desk',
      label: { sv: 'Begäranden', fi: 'Pyynnöt', en: 'Requests' },
      read: ['customer_relationship', 'privacy_requests'],
      write: [],
      actions: ['handle_requests'],
    });
    const before = await state(t);
    await expect(t.services.subjects.exportSubject(narrow, id)).rejects.toMatchObject({
      code: 'forbidden',
    });
    await expect(t.services.subjects.setRestriction(narrow, id, 'asked')).rejects.toMatchObject({
      code: 'forbidden',
    });
    await expect(t.services.subjects.eraseSubject(narrow, id)).rejects.toMatchObject({
      code: 'forbidden',
    });
    expect(await state(t)).toEqual(before);
  });

  it('refuses export and erasure by a key with every purpose that does not handle requests', async () => {
    const bulk = await t.key(['*'], ['read', 'write', 'erase', 'export']);
    const before = await state(t);
    for (const a of [
      { method: 'GET' as const, url: `/api/v1/subjects/${id}/export` },
      { method: 'DELETE' as const, url: `/api/v1/subjects/${id}` },
    ]) {
      const res = await t.app.inject({ ...a, headers: bulk });
      expect(res.statusCode, `${a.method} ${a.url}`).toBe(403);
      expect(res.json<{ detail: string }>().detail).toContain('handle requests');
    }
    expect(await state(t)).toEqual(before);
  });

  it('lets a key with every purpose export, restrict and erase', async () => {
    const dpo = await t.key(['*'], ['erase', 'export', 'handle_requests']);
    const exported = await t.app.inject({ url: `/api/v1/subjects/${id}/export`, headers: dpo });
    expect(exported.statusCode).toBe(200);
    expect(exported.body).toContain('pähkinäallergia');
    const restricted = await t.app.inject({
      method: 'PUT',
      url: `/api/v1/subjects/${id}/restriction`,
      headers: dpo,
      payload: { reason: 'asked to stop' },
    });
    expect(restricted.statusCode).toBe(204);
    const erased = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/subjects/${id}`,
      headers: dpo,
    });
    expect(erased.statusCode).toBe(204);
  });
});
