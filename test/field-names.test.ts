/**
 * Field names in error answers (docs/subjects-api.md, "Errors and headers"): one style whether the
 * request's shape or the service's own checks refused it: object keys joined by dots, array
 * positions in brackets (`changes[0].state`, `filters[0].values`); an unknown key is named itself
 * (`extra`, `changes[0].extra`), in the body and in the query string; the text guard, which
 * refuses control characters before any route's own checks, names them alike. Over HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allPowersKey, newSubject } from './factories.ts';
import { createTestContext, type TestContext } from './helpers.ts';

interface Problem {
  detail: string;
  errors: Array<{ field: string; detail: string }>;
}

describe('field names in errors', () => {
  let t: TestContext;
  let id: string;
  beforeAll(async () => {
    t = await createTestContext('pglite');
    id = (await newSubject(t)).id;
  });
  afterAll(async () => {
    await t?.close();
  });

  const send = async (
    method: 'POST' | 'GET',
    url: string,
    payload?: unknown,
    headers?: Record<string, string>,
  ) => {
    const res = await t.app.inject({
      method,
      url,
      headers: headers ?? (await allPowersKey(t)),
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
    expect(res.statusCode, res.body).toBe(400);
    return res.json<Problem>();
  };
  const fields = (p: Problem) => p.errors.map((e) => e.field);
  const WORDING = { text: 'Yes, send me the newsletter.', language: 'en' };

  it('the request shape and the service name array items alike: changes[0].state, changes[0].kind', async () => {
    const shape = await send('POST', `/api/v1/subjects/${id}/permissions`, {
      changes: [{ kind: 'newsletter', channel: 'email', state: 'maybe' }],
      evidence: { method: 'api', wording: WORDING },
    });
    expect(fields(shape)).toEqual(['changes[0].state']);
    expect(shape.detail).toMatch(/^changes\[0\]\.state: /);
    const service = await send('POST', `/api/v1/subjects/${id}/permissions`, {
      changes: [{ kind: 'nosuchkind', channel: 'email', state: 'granted' }],
      evidence: { method: 'api', wording: WORDING },
    });
    expect(fields(service)).toEqual(['changes[0].kind']);
  });

  it('filters[0].values from the request shape, filters[0].field from the service', async () => {
    const key = await t.key(['newsletter'], ['read', 'export_audiences']);
    const shape = await send(
      'POST',
      '/api/v1/audiences/count',
      {
        purpose: 'newsletter',
        channel: 'email',
        filters: [{ field: 'identity.firstName', op: 'in', values: [] }],
      },
      key,
    );
    expect(fields(shape)).toEqual(['filters[0].values']);
    const service = await send(
      'POST',
      '/api/v1/audiences/count',
      {
        purpose: 'newsletter',
        channel: 'email',
        filters: [{ field: 'nosuch.field', op: 'equals', value: 'x' }],
      },
      key,
    );
    expect(fields(service)).toEqual(['filters[0].field']);
  });

  it('text that may not be stored is named in the same style: changes[0].kind, changes[1].field', async () => {
    // Refused before the route's own checks, by the text guard: still brackets for positions.
    const ledger = await send('POST', `/api/v1/subjects/${id}/permissions`, {
      changes: [{ kind: 'news\u0007letter', channel: 'email', state: 'refused' }],
      evidence: { method: 'api' },
    });
    expect(fields(ledger)).toEqual(['changes[0].kind']);
    expect(ledger.detail).toMatch(/^changes\[0\]\.kind: contains a control character \(U\+0007\)/);
    const request = {
      type: 'rectification',
      channel: 'in_person',
      lang: 'fi',
      subjectId: id,
      identity: { proof: 'photo_id', documentType: 'passport' },
    };
    const twoBad = await send('POST', '/api/v1/requests', {
      ...request,
      changes: [
        { category: 'notes', field: 'note', value: 'fine' },
        { category: 'identity', field: 'last\u202eName', value: 'Tahvanainen' },
      ],
    });
    expect(fields(twoBad)).toEqual(['changes[1].field']);
    // A route that lets `changes` hold several lines lets them do so at every position.
    const lines = await t.app.inject({
      method: 'POST',
      url: '/api/v1/requests',
      headers: await allPowersKey(t),
      payload: {
        ...request,
        changes: [{ category: 'notes', field: 'note', value: 'Ensimmäinen rivi\ntoinen rivi' }],
      },
    });
    expect(lines.statusCode, lines.body).toBe(201);
    const opened = await t.app.inject({
      method: 'GET',
      url: `/api/v1/requests/${lines.json<{ id: string }>().id}`,
      headers: await allPowersKey(t),
    });
    expect(opened.json<{ changes: Array<{ value: unknown }> }>().changes[0]?.value).toBe(
      'Ensimmäinen rivi\ntoinen rivi',
    );
  });

  it('an unknown key is named itself, at the top, nested and in the query string; nothing is echoed', async () => {
    const top = await send('POST', '/api/v1/interchange/prohibitions', {
      source: 'asml',
      csv: 'email\nx@example.com\n',
      list: 'x',
      other: 1,
    });
    expect(top.errors).toEqual([
      { field: 'list', detail: 'unknown field: not accepted here' },
      { field: 'other', detail: 'unknown field: not accepted here' },
    ]);
    expect(top.detail).toBe(
      'list: unknown field: not accepted here; other: unknown field: not accepted here',
    );
    const nested = await send('POST', `/api/v1/subjects/${id}/permissions`, {
      changes: [{ kind: 'newsletter', channel: 'email', state: 'refused', extra: true }],
      evidence: { method: 'api' },
    });
    expect(fields(nested)).toEqual(['changes[0].extra']);
    const query = await send('GET', `/api/v1/subjects/${id}?purpose=customer_relationship&extra=1`);
    expect(fields(query)).toEqual(['extra']);
  });
});
