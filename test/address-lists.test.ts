/**
 * Taking an address off the undeliverable or prohibition list (issue 11; docs/interchange.md,
 * "Taking an address off a list"), through the API on each database: a cleaned address taken off
 * is in the next audience (count and export) and a campaign queues it again; a prohibition taken
 * off reopens the channel in the permission check (prohibition_list gone) for that address only;
 * the access log has the list, the kind and hashes, never the address or the reason's text. Bad
 * input (unknown list, malformed address, missing or overlong reason, unknown keys), the wrong
 * role and an address not listed are refused naming the field, and nothing changes. Invented people.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operator } from '../src/lib/actor.ts';
import { actorForRole } from '../src/modules/staff/staff.service.ts';
import { newSubjectVia, tag } from './factories.ts';
import { createTestContext, DATABASES, DEMO, type TestContext } from './helpers.ts';

const WORDING = { text: 'Saa lähettää uutiskirjeen sähköpostiini.', language: 'fi' as const };

type Headers = { authorization: string };

describe.each(DATABASES)('address lists on %s', { timeout: 120_000 }, (kind) => {
  let t: TestContext;
  /** The marketing role's key: audiences, campaigns, the undeliverable list. */
  let marketer: Headers;
  /** Writes under the newsletter (imports), nothing else. */
  let importer: Headers;
  /** Handles people's requests: may take an address off the prohibition list. */
  let dpo: Headers;

  const api = (method: 'GET' | 'POST', url: string, headers: Headers, body?: unknown) =>
    t.app.inject({
      method,
      url: `/api/v1${url}`,
      headers,
      ...(body === undefined ? {} : { payload: body as object }),
    });
  const lookup = (list: string, body: unknown, headers = marketer) =>
    api('POST', `/interchange/address-lists/${list}/lookup`, headers, body);
  const remove = (list: string, body: unknown, headers = marketer) =>
    api('POST', `/interchange/address-lists/${list}/remove`, headers, body);

  /** The address lists and the access log's removals, to prove a refusal changed nothing. */
  const state = async () => {
    const rows = await sql<{ r: string }>`
      select list || ':' || kind || ':' || index_value::text || ':' || source as r
        from address_lists order by 1`.execute(t.db.handle.db);
    const removals = await sql<{ n: string }>`
      select count(*)::text as n from audit_events
       where action = 'interchange.address_list_remove'`.execute(t.db.handle.db);
    return { rows: rows.rows.map((x) => x.r), removals: removals.rows[0]?.n };
  };

  const person = async (lastName: string, mark: string, phone?: string) => {
    const email = `${lastName.toLowerCase()}.${mark}@example.com`;
    const p = await newSubjectVia(t.services, {
      values: {
        identity: { firstName: 'Osoite', lastName },
        contact: { email, ...(phone ? { phone } : {}) },
        organisation: { organisation: `Paahtimo ${lastName} Oy` },
      },
    });
    await t.services.permissions.record(
      operator,
      p.id,
      [{ kind: 'newsletter', channel: 'email', state: 'granted' }],
      { method: 'staff', wording: WORDING },
    );
    return { id: p.id, email };
  };
  const audience = async (mark: string) => {
    const filters = [{ field: 'contact.email', op: 'contains', value: mark }];
    const exported = await api('POST', '/audiences/export', marketer, {
      purpose: 'newsletter',
      channel: 'email',
      filters,
    });
    expect(exported.statusCode, exported.body).toBe(200);
    const ids = exported.body
      .split('\r\n')
      .slice(1)
      .filter((l) => l !== '')
      .map((l) => l.slice(1, 37))
      .sort();
    const counted = await api('POST', '/audiences/count', marketer, {
      purpose: 'newsletter',
      channel: 'email',
    });
    expect(counted.statusCode, counted.body).toBe(200);
    return { ids, count: counted.json<{ count: number }>().count };
  };
  /** A campaign to the people of `mark`, started: how many it queued; then cancelled. */
  const queued = async (mark: string) => {
    const draft = await api('POST', '/campaigns', marketer, {
      name: `Osoitteet ${mark}`,
      purpose: 'newsletter',
      channel: 'email',
      filters: [{ field: 'contact.email', op: 'contains', value: mark }],
      content: { fi: { subject: 'Syksyn uutiset', body: 'Hei!\n\nSyksyn uutuudet.' } },
    });
    expect(draft.statusCode, draft.body).toBe(201);
    const id = draft.json<{ id: string }>().id;
    const started = await api('POST', `/campaigns/${id}/start`, marketer);
    expect(started.statusCode, started.body).toBe(200);
    const sends = (await api('GET', `/campaigns/${id}/sends`, marketer)).json<{
      items: Array<{ subjectId: string; state: string }>;
    }>().items;
    await api('POST', `/campaigns/${id}/cancel`, marketer);
    return sends
      .filter((s) => s.state === 'queued')
      .map((s) => s.subjectId)
      .sort();
  };
  const check = async (purpose: string, subjectId: string, channel: string) =>
    (await t.services.permissions.decide({ purpose, subjectId, channel })).reason.code;

  beforeAll(async () => {
    t = await createTestContext(kind, DEMO, {
      // Campaigns start only with a mail server configured; nothing is sent in this file.
      smtp: { url: 'smtp://127.0.0.1:9', from: 'Paahtimo Oy <uutiset@example.fi>' },
      publicUrl: 'https://rekisteri.example.fi',
    });
    marketer = await t.key(
      ['newsletter', 'b2b_marketing', 'market_research'],
      ['read', 'export_audiences'],
    );
    importer = await t.key(['newsletter'], ['read', 'write']);
    dpo = await t.key(['*'], ['read', 'handle_requests']);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('a cleaned address taken off the undeliverable list is in the next audience and queued by a campaign again', async () => {
    const mark = tag();
    const fixed = await person('Korjattu', mark);
    const working = await person('Toimiva', mark);
    const imported = await api('POST', '/interchange/audience', importer, {
      format: 'mailchimp',
      purpose: 'newsletter',
      csv: [
        'Email Address,First Name,Last Name,OPTIN_TIME,CONFIRM_TIME,CLEAN_TIME',
        `${fixed.email},Osoite,Korjattu,"2022-02-02 10:00:00","2022-02-02 10:05:00","2024-06-10 12:00:00"`,
      ].join('\r\n'),
    });
    expect(imported.json()).toMatchObject({ undeliverable: 1, rejected: [] });
    const run = imported.json<{ run: string }>().run;
    const before = await audience(mark);
    expect(before.ids).toEqual([working.id]);
    expect(await queued(mark)).toEqual([working.id]);

    // Looked up as written differently (case, spaces): listed, since when and where from.
    const seen = await lookup('undeliverable', { email: `  ${fixed.email.toUpperCase()} ` });
    expect(seen.statusCode, seen.body).toBe(200);
    expect(seen.json()).toMatchObject({
      list: 'undeliverable',
      kind: 'email',
      listed: true,
      source: run,
    });
    expect(seen.json<{ listedAt: string }>().listedAt).toMatch(/^\d{4}-\d\d-\d\dT/);

    // Someone who may import but not tend the lists is refused, and nothing changes.
    const unchanged = await state();
    const refused = await remove(
      'undeliverable',
      { email: fixed.email, reason: 'The mailbox works again.' },
      importer,
    );
    expect(refused.statusCode).toBe(403);
    expect(refused.json<{ detail: string }>().detail).toContain('export_audiences');
    expect((await lookup('undeliverable', { email: fixed.email }, importer)).statusCode).toBe(403);
    expect(await state()).toEqual(unchanged);

    const removed = await remove('undeliverable', {
      email: fixed.email.toUpperCase(),
      reason: 'The customer says the mailbox works again (ticket 4711).',
    });
    expect(removed.statusCode, removed.body).toBe(200);
    expect(removed.json()).toMatchObject({
      list: 'undeliverable',
      kind: 'email',
      source: run,
      listedAt: seen.json<{ listedAt: string }>().listedAt,
    });
    expect(removed.body).not.toContain('@');
    expect((await lookup('undeliverable', { email: fixed.email })).json()).toEqual({
      list: 'undeliverable',
      kind: 'email',
      listed: false,
      listedAt: null,
      source: null,
    });

    // The next audience has the address again, in the export and the count alike; a campaign
    // queues it again.
    const after = await audience(mark);
    expect(after.ids).toEqual([fixed.id, working.id].sort());
    expect(after.count).toBe(before.count + 1);
    expect(await queued(mark)).toEqual([fixed.id, working.id].sort());

    // Taken off already: 404 naming the field, nothing changes.
    const again = state();
    const twice = await remove('undeliverable', {
      email: fixed.email,
      reason: 'The mailbox works again.',
    });
    expect(twice.statusCode).toBe(404);
    expect(twice.json()).toMatchObject({
      errors: [{ field: 'email', detail: 'not_listed: not on the undeliverable list' }],
    });
    expect(await state()).toEqual(await again);

    // The access log: the list, the kind, the address's and the reason's hashes; no address,
    // no reason text, no person.
    const log = (await t.services.audit.list({ limit: 500 })).filter(
      (e) => e.action === 'interchange.address_list_remove',
    );
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({
      data: { list: 'undeliverable', kind: 'email' },
      subject_id: null,
    });
    const data = log[0]?.data as { entry: string; reason: string };
    expect(data.entry).toMatch(/^[0-9a-f]{16}$/);
    expect(data.reason).toMatch(/^[0-9a-f]{16}$/);
    expect(t.services.vault.interchangeHash('email', fixed.email)!.startsWith(data.entry)).toBe(
      true,
    );
    const text = JSON.stringify(log[0]);
    expect(text).not.toMatch(/@|korjattu|mailbox|4711/i);
    const lookups = (await t.services.audit.list({ limit: 500 })).filter(
      (e) => e.action === 'interchange.address_list_lookup',
    );
    expect(lookups.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(lookups)).not.toMatch(/@|korjattu/i);
  });

  it('a prohibition taken off reopens that channel in the permission check, and only that one', async () => {
    const mark = tag();
    const robin = await person('Kieltaja', mark, '040 111 2233');
    const listed = await api('POST', '/interchange/prohibitions', dpo, {
      source: `asml-2026-11-${mark}`,
      csv: `email,phone\n${robin.email},040 111 2233\n`,
    });
    expect(listed.statusCode, listed.body).toBe(200);
    expect(listed.json()).toMatchObject({ email: 1, phone: 1, rejected: [] });
    expect(await check('newsletter', robin.id, 'email')).toBe('prohibition_list');
    expect(await check('b2b_marketing', robin.id, 'phone')).toBe('prohibition_list');
    expect((await audience(mark)).ids).toEqual([]);

    // The marketing role looks it up, but may not take a prohibition off: nothing changes.
    expect((await lookup('prohibition', { phone: '+358 40 111 2233' })).json()).toMatchObject({
      listed: true,
      kind: 'phone',
      source: `asml-2026-11-${mark}`,
    });
    const unchanged = await state();
    for (const headers of [marketer, importer]) {
      const refused = await remove(
        'prohibition',
        { email: robin.email, reason: 'Removed from the prohibition service.' },
        headers,
      );
      expect(refused.statusCode).toBe(403);
      expect(refused.json<{ detail: string }>().detail).toContain('handle_requests');
    }
    // A staff member of the marketing role alike (the service's own check).
    await expect(
      t.services.interchange.removeAddress(
        actorForRole(
          '00000000-0000-7000-8000-0000000000aa',
          t.register.roles.find((r) => r.id === 'marketing')!,
        ),
        'prohibition',
        { email: robin.email, reason: 'Removed from the prohibition service.' },
      ),
    ).rejects.toMatchObject({ code: 'forbidden' });
    expect(await state()).toEqual(unchanged);
    expect(await check('newsletter', robin.id, 'email')).toBe('prohibition_list');

    // The e-mail address off: the newsletter by e-mail is open again (the consent stands), and
    // the person is in its audience; the phone number is still listed.
    const off = await remove(
      'prohibition',
      { email: robin.email, reason: 'No longer on the prohibition service (checked 2026-12-01).' },
      dpo,
    );
    expect(off.statusCode, off.body).toBe(200);
    expect(off.json()).toMatchObject({
      list: 'prohibition',
      kind: 'email',
      source: `asml-2026-11-${mark}`,
    });
    expect(await check('newsletter', robin.id, 'email')).toBe('consent_granted');
    expect(await check('b2b_marketing', robin.id, 'email')).not.toBe('prohibition_list');
    expect(await check('b2b_marketing', robin.id, 'phone')).toBe('prohibition_list');
    expect((await audience(mark)).ids).toEqual([robin.id]);

    // The phone number, written another way, off as well: b2b marketing by phone (opt-out) opens.
    const phoneOff = await remove(
      'prohibition',
      { phone: '040-111 22 33', reason: 'No longer on the prohibition service.' },
      dpo,
    );
    expect(phoneOff.statusCode, phoneOff.body).toBe(200);
    expect(phoneOff.json()).toMatchObject({ kind: 'phone' });
    expect(await check('b2b_marketing', robin.id, 'phone')).not.toBe('prohibition_list');
    expect(
      (
        await t.services.permissions.decide({
          purpose: 'b2b_marketing',
          subjectId: robin.id,
          channel: 'phone',
        })
      ).allowed,
    ).toBe(true);

    // The suppression export no longer holds them.
    let exported = '';
    await t.services.interchange.exportSuppression(operator, (c) => {
      exported += c;
    });
    expect(exported).not.toContain(t.services.vault.interchangeHash('email', robin.email)!);
    expect(exported).not.toContain(t.services.vault.interchangeHash('phone', '0401112233')!);
  });

  it('bad input is refused naming the field, and nothing changes', async () => {
    const mark = tag();
    const who = `virhe.${mark}@example.com`;
    const listed = await api('POST', '/interchange/prohibitions', dpo, {
      source: `bad-${mark}`,
      csv: `email\n${who}\n`,
    });
    expect(listed.json()).toMatchObject({ email: 1, rejected: [] });
    const before = await state();
    const reason = 'No longer on the prohibition service.';
    const cases: Array<{ list: string; body: unknown; status: number; field: string }> = [
      { list: 'bounced', body: { email: who, reason }, status: 400, field: 'list' },
      { list: 'prohibition', body: { email: 'ei-osoite', reason }, status: 400, field: 'email' },
      { list: 'prohibition', body: { email: `${who}\u0000`, reason }, status: 400, field: 'email' },
      {
        list: 'prohibition',
        body: { phone: 'soita minulle', reason },
        status: 400,
        field: 'phone',
      },
      { list: 'prohibition', body: { reason }, status: 400, field: 'email' },
      {
        list: 'prohibition',
        body: { email: who, phone: '040 111 2233', reason },
        status: 400,
        field: 'phone',
      },
      { list: 'prohibition', body: { email: who }, status: 400, field: 'reason' },
      { list: 'prohibition', body: { email: who, reason: '   ' }, status: 400, field: 'reason' },
      {
        list: 'prohibition',
        body: { email: who, reason: 'x'.repeat(501) },
        status: 400,
        field: 'reason',
      },
      {
        list: 'prohibition',
        body: { email: who, reason: 'two\nlines' },
        status: 400,
        field: 'reason',
      },
      {
        list: 'prohibition',
        body: { email: who, reason: 'bell\u0007' },
        status: 400,
        field: 'reason',
      },
      { list: 'prohibition', body: { email: who, reason, extra: 1 }, status: 400, field: 'extra' },
      {
        list: 'prohibition',
        body: { email: { address: who }, reason },
        status: 400,
        field: 'email',
      },
      { list: 'prohibition', body: { email: 42, reason }, status: 400, field: 'email' },
      {
        list: 'prohibition',
        body: { email: `nobody.${mark}@example.com`, reason },
        status: 404,
        field: 'email',
      },
      {
        list: 'undeliverable',
        body: { email: who, reason },
        status: 404,
        field: 'email',
      },
      {
        list: 'prohibition',
        body: { phone: '040 999 8877', reason },
        status: 404,
        field: 'phone',
      },
    ];
    for (const c of cases) {
      const res = await remove(c.list, c.body, dpo);
      expect(res.statusCode, `${JSON.stringify(c.body)} → ${res.body}`).toBe(c.status);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
      const fields = res.json<{ errors?: Array<{ field: string }> }>().errors?.map((e) => e.field);
      expect(fields, res.body).toContain(c.field);
      // Never the address back.
      expect(res.body).not.toContain(mark);
    }
    // A lookup refuses the same faults, and a reason it does not take.
    for (const [list, body, field] of [
      ['bounced', { email: who }, 'list'],
      ['prohibition', { email: 'ei-osoite' }, 'email'],
      ['prohibition', { email: who, reason }, 'reason'],
      ['prohibition', {}, 'email'],
    ] as const) {
      const res = await lookup(list, body, dpo);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json<{ errors: Array<{ field: string }> }>().errors.map((e) => e.field)).toContain(
        field,
      );
    }
    // The service (the command line's way in) refuses alike.
    await expect(
      t.services.interchange.removeAddress(operator, 'bounced', { email: who, reason }),
    ).rejects.toMatchObject({ code: 'validation_failed', issues: [{ field: 'list' }] });
    await expect(
      t.services.interchange.removeAddress(operator, 'prohibition', {
        email: who,
        reason: 'a\u0085b',
      }),
    ).rejects.toMatchObject({ code: 'validation_failed', issues: [{ field: 'reason' }] });
    await expect(
      t.services.interchange.removeAddress(operator, 'prohibition', { email: who }),
    ).rejects.toMatchObject({ code: 'validation_failed', issues: [{ field: 'reason' }] });
    expect(await state()).toEqual(before);
    // Still listed; taken off with a good request.
    expect((await lookup('prohibition', { email: who }, dpo)).json()).toMatchObject({
      listed: true,
    });
    expect((await remove('prohibition', { email: who, reason }, dpo)).statusCode).toBe(200);
  });
});
