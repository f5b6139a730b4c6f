/**
 * A marketing purpose cannot tell that a restricted person exists (docs/requests.md,
 * Restriction): under the newsletter, a read, the value history and a write of a restricted
 * person are answered exactly as an unknown id, an objecting person and a person on the
 * prohibition list are (status, body and headers but the date and the request id); a purpose
 * allowed to know (customer service) is still told that processing is restricted, and a purpose
 * allowed during restriction still reads them. Over HTTP, on each database. Invented people.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operator } from '../src/lib/actor.ts';
import { uuidv7 } from '../src/lib/ids.ts';
import { consentToMarketing, newSubject, personValues, allPowersKey } from './factories.ts';
import { createTestContext, DATABASES, type TestContext } from './helpers.ts';

describe.each(DATABASES)('a restricted person under a marketing purpose on %s', (kind) => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext(kind);
  });
  afterAll(async () => {
    await t?.close();
  });

  /** Status, headers (less the date, request id and rate-limit counters) and body, the id replaced by `<id>`. */
  const seen = (
    res: { statusCode: number; headers: Record<string, unknown>; body: string },
    id: string,
  ) => {
    const headers = Object.fromEntries(
      Object.entries(res.headers)
        .filter(
          ([h]) =>
            !['date', 'x-request-id', 'x-ratelimit-remaining', 'x-ratelimit-reset'].includes(h),
        )
        .map(([h, v]) => [h, h === 'content-length' ? 'n' : v]),
    );
    return { status: res.statusCode, headers, body: res.body.split(id).join('<id>') };
  };

  it('is answered as an unknown id, an objector and a listed person are, on read, history and write', async () => {
    const all = await allPowersKey(t);
    const person = async (name: string) => {
      const p = await newSubject(t, { values: personValues(name, 'Markkinoitava') });
      await consentToMarketing(t.services, p.id);
      return p;
    };
    const restricted = await person('Rauni');
    await t.services.subjects.setRestriction(operator, restricted.id, 'accuracy contested');
    const objector = await person('Olavi');
    await t.services.permissions.record(
      operator,
      objector.id,
      [{ kind: 'newsletter', channel: '*', state: 'objected' }],
      { method: 'api' },
    );
    const listed = await person('Liisa');
    const list = await t.app.inject({
      method: 'POST',
      url: '/api/v1/interchange/prohibitions',
      headers: all,
      payload: {
        source: 'asml-test',
        csv: `email\n${(listed.values.contact as { email: string }).email}\n`,
      },
    });
    expect(list.statusCode, list.body).toBe(200);
    const stranger = uuidv7();

    const marketer = await t.key(['newsletter'], ['read', 'write']);
    const ask = async (id: string) =>
      Promise.all([
        t.app.inject({
          method: 'GET',
          url: `/api/v1/subjects/${id}?purpose=newsletter`,
          headers: marketer,
        }),
        t.app.inject({
          method: 'GET',
          url: `/api/v1/subjects/${id}/history?purpose=newsletter`,
          headers: marketer,
        }),
        t.app.inject({
          method: 'PATCH',
          url: `/api/v1/subjects/${id}`,
          headers: marketer,
          payload: {
            purpose: 'newsletter',
            source: 'subject',
            values: { identity: { firstName: 'Uusi' } },
          },
        }),
      ]);
    const unknown = (await ask(stranger)).map((r) => seen(r, stranger));
    expect(unknown.map((u) => u.status)).toEqual([404, 404, 404]);
    for (const p of [restricted, objector, listed]) {
      const answers = (await ask(p.id)).map((r) => seen(r, p.id));
      expect(answers).toEqual(unknown);
    }
    // Nothing was written for the restricted person.
    const read = await t.services.subjects.getSubject(operator, restricted.id, 'legal_claims');
    expect(read.restricted).toBe(true);

    // Customer service may know: told plainly, naming the purpose.
    const service = await t.key(['customer_relationship'], ['read', 'write']);
    const plain = await t.app.inject({
      method: 'GET',
      url: `/api/v1/subjects/${restricted.id}?purpose=customer_relationship`,
      headers: service,
    });
    expect(plain.statusCode).toBe(403);
    expect(plain.json()).toMatchObject({
      type: 'https://rekisteri.example/problems/subject-restricted',
      errors: [{ field: 'purpose' }],
    });
    // A purpose allowed during restriction reads them.
    const claims = await t.app.inject({
      method: 'GET',
      url: `/api/v1/subjects/${restricted.id}?purpose=legal_claims`,
      headers: all,
    });
    expect(claims.statusCode, claims.body).toBe(200);
    expect(claims.json()).toMatchObject({ restricted: true });
  });
});
