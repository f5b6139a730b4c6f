/**
 * A marketing purpose cannot tell that a restricted person exists (docs/requests.md,
 * Restriction): under the newsletter, a read, the value history and a write of a restricted
 * person are answered exactly as an unknown id, an objecting person and a person on the
 * prohibition list are (status, body and headers but the date and the request id); a purpose
 * allowed to know (customer service) is still told that processing is restricted, and a purpose
 * allowed during restriction still reads them. The permission ledger's routes and the permission
 * check answer a marketing key alike (404, unknown_subject), but a "no" it sends is recorded.
 * Over HTTP, on each database. Invented people.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operator, subjectActor } from '../src/lib/actor.ts';
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

  const GRANT = {
    changes: [{ kind: 'newsletter', channel: 'email', state: 'granted' }],
    evidence: { method: 'form', wording: { text: 'Yes, send me the newsletter.', language: 'en' } },
  };

  it("the permission ledger's routes and the check answer a marketing key as for an unknown id, and record no grant", async () => {
    const p = await newSubject(t, { values: personValues('Raili', 'Rajattu') });
    await consentToMarketing(t.services, p.id);
    await t.services.subjects.setRestriction(operator, p.id, 'accuracy contested');
    const before = await t.services.permissions.history(operator, p.id);
    const stranger = uuidv7();
    const marketer = await t.key(['newsletter'], ['read', 'write']);
    const ask = async (id: string) => {
      const answers = [];
      for (const req of [
        { method: 'GET' as const, url: `/api/v1/subjects/${id}/permissions` },
        { method: 'GET' as const, url: `/api/v1/subjects/${id}/consent-receipts?lang=fi` },
        { method: 'POST' as const, url: `/api/v1/subjects/${id}/permissions`, payload: GRANT },
        {
          method: 'GET' as const,
          url: `/api/v1/permissions/check?purpose=newsletter&channel=email&subject=${id}`,
        },
      ]) {
        const res = await t.app.inject({ ...req, headers: marketer });
        // The check's answer is dated: the time aside, word for word.
        const body = res.body.replace(/"checkedAt":"[^"]+"/, '"checkedAt":"<time>"');
        answers.push(seen({ ...res, body }, id));
      }
      return answers;
    };
    const unknown = await ask(stranger);
    expect(unknown.map((u) => u.status)).toEqual([404, 404, 404, 200]);
    expect(await ask(p.id)).toEqual(unknown);
    expect(JSON.parse(unknown[3]?.body ?? '{}')).toMatchObject({
      allowed: false,
      state: null,
      reason: { code: 'unknown_subject' },
    });
    // No grant was recorded during the restriction.
    expect(await t.services.permissions.history(operator, p.id)).toEqual(before);
  });

  it('a marketing key may still record a "no" for a restricted person, and is shown only what it recorded', async () => {
    const p = await newSubject(t, { values: personValues('Reijo', 'Rajattu') });
    await consentToMarketing(t.services, p.id);
    await t.services.subjects.setRestriction(operator, p.id, 'accuracy contested');
    const marketer = await t.key(['newsletter'], ['read', 'write']);
    const post = (payload: unknown) =>
      t.app.inject({
        method: 'POST',
        url: `/api/v1/subjects/${p.id}/permissions`,
        headers: marketer,
        payload: payload as Record<string, unknown>,
      });
    // A grant with a refusal: not only a "no", so as for an unknown id; nothing recorded.
    const mixed = await post({
      changes: [
        { kind: 'newsletter', channel: 'email', state: 'refused' },
        { kind: 'newsletter', channel: '*', state: 'granted' },
      ],
      evidence: GRANT.evidence,
    });
    expect(mixed.statusCode, mixed.body).toBe(404);
    const before = await t.services.permissions.history(operator, p.id);
    const refusal = await post({
      changes: [{ kind: 'newsletter', channel: 'email', state: 'withdrawn' }],
      evidence: { method: 'api', reference: 'crm-unsubscribe-1234' },
    });
    expect(refusal.statusCode, refusal.body).toBe(200);
    const body = refusal.json<{
      recorded: Array<{ kind: string; channel: string; state: string }>;
      state: Array<{ kind: string; channel: string; state: string }>;
    }>();
    expect(body.recorded).toMatchObject([
      { kind: 'newsletter', channel: 'email', state: 'withdrawn' },
    ]);
    // Only what it said: not the profiling consent the person also holds.
    expect(body.state.map((s) => [s.kind, s.channel, s.state])).toEqual([
      ['newsletter', 'email', 'withdrawn'],
    ]);
    const after = await t.services.permissions.history(operator, p.id);
    expect(after).toHaveLength(before.length + 1);
    expect(
      (await t.services.permissions.stateOf(operator, p.id))
        .map((s) => `${s.kind} ${s.state}`)
        .sort(),
    ).toEqual(['newsletter withdrawn', 'profiling granted']);
    // Reading the ledger is still as for an unknown id.
    const read = await t.app.inject({
      method: 'GET',
      url: `/api/v1/subjects/${p.id}/permissions`,
      headers: marketer,
    });
    expect(read.statusCode).toBe(404);
  });

  it('a caller who may know of the restriction still sees the ledger and is told restricted; so is a campaign’s own check', async () => {
    const p = await newSubject(t, { values: personValues('Ritva', 'Rajattu') });
    await consentToMarketing(t.services, p.id);
    await t.services.subjects.setRestriction(operator, p.id, 'accuracy contested');
    const check = `/api/v1/permissions/check?purpose=newsletter&channel=email&subject=${p.id}`;
    // Customer service (not marketing), a key with customer service and the newsletter, and all.
    const service = await t.key(['customer_relationship'], ['read', 'write']);
    const both = await t.key(['newsletter', 'customer_relationship'], ['read']);
    for (const headers of [service, both, await allPowersKey(t)]) {
      const ledger = await t.app.inject({
        method: 'GET',
        url: `/api/v1/subjects/${p.id}/permissions`,
        headers,
      });
      expect(ledger.statusCode, ledger.body).toBe(200);
      expect(ledger.json<{ state: unknown[] }>().state).toHaveLength(2);
    }
    for (const headers of [both, await allPowersKey(t)]) {
      const res = await t.app.inject({ method: 'GET', url: check, headers });
      expect(res.json()).toMatchObject({ allowed: false, reason: { code: 'restricted' } });
    }
    const decided = await t.services.permissions.decide({
      purpose: 'newsletter',
      subjectId: p.id,
      channel: 'email',
    });
    expect(decided.reason.code).toBe('restricted');
    // The person themself sees their own ledger on their pages.
    expect(await t.services.permissions.stateOf(subjectActor(p.id), p.id)).toHaveLength(2);
  });
});
