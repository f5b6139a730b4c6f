/**
 * Objection, consent withdrawal and marketing prohibition stop purposes per person in the data
 * layer (read, list, search, lookup, write, import merge); restriction holds on the same paths; the
 * person's own rectification; recipients (Art. 19) and contact details. One context per database.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operator, type Actor } from '../src/lib/actor.ts';
import { AppError } from '../src/lib/errors.ts';
import { checkMapping } from '../src/modules/imports/mapping.ts';
import { consentToMarketing, newSubjectVia, tag } from './factories.ts';
import { createTestContext, DATABASES, snapshot, type TestContext } from './helpers.ts';

/** Expects an AppError with the code, naming `field` when given. */
async function refused(p: Promise<unknown>, code: string, field?: string): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected a refusal (${code})`).toBeInstanceOf(AppError);
  const e = err as AppError;
  expect(e.code, e.message).toBe(code);
  if (field !== undefined) {
    expect(e.issues.map((i) => i.field)).toContain(field);
  }
  return e;
}

const LI = ['b2b_marketing', 'market_research', 'legal_claims'];
const OBJECTION_STOPS = ['newsletter', ...LI]; // newsletter: consent, but direct marketing
const SERVED = ['customer_relationship', 'billing'];

describe.each(DATABASES)('objection, restriction and rectification on %s', (kind) => {
  let t: TestContext;
  let dir: string;
  const person = (lastName: string, extra: Record<string, unknown> = {}) => {
    const email = `${lastName.toLowerCase()}.${tag()}@example.com`;
    return newSubjectVia(t.services, {
      values: {
        identity: { firstName: 'Testi', lastName },
        contact: { email, ...extra },
        orders: { orderCount: 2 },
        // A contact of an organisation (b2b marketing reaches only those), signed up for the
        // newsletter and analytics: every marketing purpose sees them until a stop.
        organisation: { organisation: 'Testi Oy' },
      },
    })
      .then(async (s) => {
        await consentToMarketing(t.services, s.id);
        return s;
      })
      .then((s) => ({ ...s, email }));
  };
  const stops = () => t.db.handle.db.selectFrom('subject_stops').selectAll().execute();
  const grounds = () =>
    t.db.handle.db.selectFrom('subject_compelling_grounds').selectAll().execute();
  const ids = async (purpose: string, q: Record<string, string> = {}) =>
    (await t.services.subjects.findSubjects(operator, { purpose, limit: 100, ...q })).items.map(
      (v) => v.id,
    );

  beforeAll(async () => {
    t = await createTestContext(kind);
    dir = await mkdtemp(join(tmpdir(), 'rekisteri-objection-'));
  });
  afterAll(async () => {
    await t?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Imports one line merging into `email` under `purpose`; answers the summary. */
  const mergeImport = async (purpose: string, email: string, lastName: string) => {
    const path = join(dir, `${tag()}.csv`);
    await writeFile(path, `First name,Last name,E-mail\nTesti,${lastName},${email}\n`);
    const mapping = checkMapping(
      {
        purpose,
        source: 'partner',
        dedupe: 'merge',
        columns: {
          'First name': 'identity.firstName',
          'Last name': 'identity.lastName',
          'E-mail': 'contact.email',
        },
      },
      t.register,
    );
    return t.services.imports.importFile(operator, { file: path, mapping });
  };

  it('an objection hides the person from every legitimate-interest and direct-marketing purpose, on every path, and serves contract and legal obligation', async () => {
    const a = await person('Vastustaja');
    const b = await person('Vastustaja');
    const result = await t.services.subjects.stopProcessing(operator, a.id, {
      reason: 'objection',
    });
    expect(result).toEqual({ stopped: OBJECTION_STOPS, continued: [] });

    for (const purpose of OBJECTION_STOPS) {
      // Read, history: as if the person were not there (the same answer as an unknown id).
      await refused(t.services.subjects.getSubject(operator, a.id, purpose), 'not_found');
      await refused(t.services.subjects.getHistory(operator, a.id, purpose), 'not_found');
      // List (the export of a purpose), search by name, lookup by e-mail: left out, b is there.
      const listed = await ids(purpose);
      expect(listed).not.toContain(a.id);
      expect(listed).toContain(b.id);
      const searched = await ids(purpose, { q: 'Vastustaja' });
      expect(searched).toEqual([b.id]);
      expect(await ids(purpose, { email: a.email })).toEqual([]);
    }
    const res = await t.app.inject({
      method: 'GET',
      url: `/api/v1/subjects/${a.id}?purpose=market_research`,
      headers: { authorization: (await t.key(['*'], ['read'])).authorization },
    });
    expect(res.statusCode).toBe(404);

    for (const purpose of SERVED) {
      expect((await t.services.subjects.getSubject(operator, a.id, purpose)).id).toBe(a.id);
      expect(await ids(purpose, { email: a.email })).toEqual([a.id]);
      expect(await ids(purpose, { q: 'Vastustaja' })).toContain(a.id);
    }

    // A write under a stopped marketing purpose is answered as for an unknown id (it must not
    // tell the objection), and changes nothing.
    const before = await snapshot(t.db.handle);
    const e = await refused(
      t.services.subjects.updateSubject(operator, a.id, {
        purpose: 'market_research',
        source: 'subject',
        values: { identity: { lastName: 'Muutettu' } },
      }),
      'not_found',
    );
    expect(e.message).toBe(`no subject with id ${a.id}`);
    // The bulk writer (an import merging into the person) skips the line, as one with nothing
    // new: neither merged nor a rejection that would say why.
    const merged = await mergeImport('market_research', a.email, 'Muutettu');
    expect(merged).toMatchObject({ created: 0, merged: 0, rejected: 0 });
    const after = await snapshot(t.db.handle);
    expect({ ...after, import_runs: 0, import_rejections: 0 }).toEqual({
      ...before,
      import_runs: 0,
      import_rejections: 0,
    });
    // Under a purpose still served, the same merge goes through.
    expect(await mergeImport('customer_relationship', a.email, 'Muutettu')).toMatchObject({
      merged: 1,
      rejected: 0,
    });
  });

  it('compelling grounds keep one legitimate-interest purpose running, sealed, and are refused for direct marketing', async () => {
    const c = await person('Perusteltu');
    const before = await snapshot(t.db.handle);
    const stopsBefore = (await stops()).length;
    // Bad input, each naming its field and changing nothing.
    await refused(
      t.services.subjects.stopProcessing(operator, c.id, {
        reason: 'objection',
        compellingGrounds: [{ purpose: 'b2b_marketing', reason: 'we would like to' }],
      }),
      'validation_failed',
      'compellingGrounds[0].purpose',
    );
    await refused(
      t.services.subjects.stopProcessing(operator, c.id, {
        reason: 'objection',
        compellingGrounds: [{ purpose: 'legal_claims', reason: '  ' }],
      }),
      'validation_failed',
      'compellingGrounds[0].reason',
    );
    await refused(
      t.services.subjects.stopProcessing(operator, c.id, {
        reason: 'objection',
        compellingGrounds: [{ purpose: 'customer_relationship', reason: 'contract' }],
      }),
      'validation_failed',
      'compellingGrounds[0].purpose',
    );
    await refused(
      t.services.subjects.stopProcessing(operator, c.id, {
        reason: 'objection',
        purposes: ['customer_relationship'],
      }),
      'validation_failed',
      'purposes[0]',
    );
    await refused(
      t.services.subjects.stopProcessing(operator, c.id, {
        reason: 'consent_withdrawal',
        compellingGrounds: [{ purpose: 'legal_claims', reason: 'a pending claim' }],
      }),
      'validation_failed',
      'compellingGrounds',
    );
    await refused(
      t.services.subjects.stopProcessing(operator, c.id, {
        reason: 'forgotten' as 'objection',
      }),
      'validation_failed',
      'reason',
    );
    await refused(
      t.services.subjects.stopProcessing(operator, c.id, { reason: 'objection', purposes: [] }),
      'validation_failed',
      'purposes',
    );
    await refused(
      t.services.subjects.stopProcessing(operator, '0190c6a4-1f2e-7b3c-8d4e-5f6a7b8c9d0e', {
        reason: 'objection',
      }),
      'not_found',
    );
    // Those who do not handle requests may not stop processing.
    const clerk: Actor = {
      kind: 'staff',
      id: 'clerk',
      role: 'customer_service',
      read: '*',
      write: '*',
      actions: new Set(['read', 'write']),
    };
    await refused(
      t.services.subjects.stopProcessing(clerk, c.id, { reason: 'objection' }),
      'forbidden',
    );
    expect(await snapshot(t.db.handle)).toEqual(before);
    expect((await stops()).length).toBe(stopsBefore);

    const result = await t.services.subjects.stopProcessing(operator, c.id, {
      reason: 'objection',
      compellingGrounds: [{ purpose: 'legal_claims', reason: 'A claim about order 12 is pending' }],
    });
    expect(result).toEqual({
      stopped: ['newsletter', 'b2b_marketing', 'market_research'],
      continued: [{ purpose: 'legal_claims' }],
    });
    expect((await t.services.subjects.getSubject(operator, c.id, 'legal_claims')).id).toBe(c.id);
    expect(await ids('legal_claims', { email: c.email })).toEqual([c.id]);
    await refused(t.services.subjects.getSubject(operator, c.id, 'market_research'), 'not_found');
    const seen = await t.services.subjects.stopsOf(operator, c.id);
    expect(seen.compellingGrounds).toMatchObject([
      {
        purpose: 'legal_claims',
        reason: 'A claim about order 12 is pending',
        recordedBy: 'operator:cli',
      },
    ]);
    expect(seen.stops.map((s) => s.purpose).sort()).toEqual(
      ['b2b_marketing', 'market_research', 'newsletter'].sort(),
    );
    // The grounds are sealed: the text is nowhere in the database in the clear.
    const row = (await grounds()).find((g) => g.subject_id === c.id);
    expect(Buffer.from(row?.sealed_reason ?? []).toString('utf8')).not.toContain('order 12');

    // Erasure removes the stops and the grounds with the person.
    await t.services.subjects.eraseSubject(operator, c.id);
    expect((await stops()).filter((s) => s.subject_id === c.id)).toEqual([]);
    expect((await grounds()).filter((g) => g.subject_id === c.id)).toEqual([]);
  });

  it('a marketing prohibition stops direct-marketing purposes only; consent withdrawal its consent purposes; both resume', async () => {
    const d = await person('Kielto');
    expect(
      await t.services.subjects.stopProcessing(operator, d.id, { reason: 'marketing_prohibition' }),
    ).toEqual({ stopped: ['newsletter', 'b2b_marketing'], continued: [] });
    await refused(t.services.subjects.getSubject(operator, d.id, 'b2b_marketing'), 'not_found');
    await refused(t.services.subjects.getSubject(operator, d.id, 'newsletter'), 'not_found');
    // Market research and profiling are not direct marketing in the demo definition.
    for (const purpose of ['market_research', 'legal_claims', 'analytics', ...SERVED]) {
      expect((await t.services.subjects.getSubject(operator, d.id, purpose)).id).toBe(d.id);
    }
    await refused(
      t.services.subjects.stopProcessing(operator, d.id, {
        reason: 'marketing_prohibition',
        purposes: ['market_research'],
      }),
      'validation_failed',
      'purposes[0]',
    );
    await refused(
      t.services.subjects.stopProcessing(operator, d.id, {
        reason: 'consent_withdrawal',
        purposes: ['analytics', 'b2b_marketing'],
      }),
      'validation_failed',
      'purposes[1]',
    );
    expect(
      await t.services.subjects.stopProcessing(operator, d.id, {
        reason: 'consent_withdrawal',
        purposes: ['analytics'],
      }),
    ).toEqual({ stopped: ['analytics'], continued: [] });
    await refused(t.services.subjects.getSubject(operator, d.id, 'analytics'), 'not_found');
    // New consent to the newsletter lifts nothing while the prohibition stands; lifting the
    // prohibition resumes both marketing purposes.
    expect(
      await t.services.subjects.resumeProcessing(operator, d.id, {
        reason: 'consent_withdrawal',
        purposes: ['newsletter'],
      }),
    ).toEqual({ resumed: [] });
    await refused(t.services.subjects.getSubject(operator, d.id, 'newsletter'), 'not_found');
    expect(
      await t.services.subjects.resumeProcessing(operator, d.id, {
        reason: 'marketing_prohibition',
      }),
    ).toEqual({ resumed: ['b2b_marketing', 'newsletter'] });
    expect((await t.services.subjects.getSubject(operator, d.id, 'newsletter')).id).toBe(d.id);
    await refused(t.services.subjects.getSubject(operator, d.id, 'analytics'), 'not_found');
    // The person's own view of the access log says what was stopped and resumed.
    const texts = (await t.services.audit.forSubject(d.id, 'en'))
      .filter((e) => e.action === 'subject.stop' || e.action === 'subject.resume')
      .map((e) => e.text);
    expect(texts.sort()).toEqual([
      'Processing resumed (consent given again) for: no purpose',
      'Processing resumed (direct-marketing prohibition lifted) for: b2b_marketing, newsletter',
      'Processing stopped (consent withdrawn) for: analytics',
      'Processing stopped (direct marketing prohibited) for: newsletter, b2b_marketing',
    ]);
  });

  it('restriction holds on read, history, list, search, lookup, write and import merge', async () => {
    const r = await person('Rajoitettu');
    await t.services.subjects.setRestriction(operator, r.id, 'accuracy contested');
    await refused(
      t.services.subjects.getSubject(operator, r.id, 'customer_relationship'),
      'subject_restricted',
      'purpose',
    );
    await refused(
      t.services.subjects.getHistory(operator, r.id, 'customer_relationship'),
      'subject_restricted',
    );
    expect(await ids('customer_relationship')).not.toContain(r.id);
    expect(await ids('customer_relationship', { q: 'Rajoitettu' })).toEqual([]);
    expect(await ids('customer_relationship', { email: r.email })).toEqual([]);
    const before = await snapshot(t.db.handle);
    await refused(
      t.services.subjects.updateSubject(operator, r.id, {
        purpose: 'customer_relationship',
        source: 'subject',
        values: { identity: { lastName: 'Muutettu' } },
      }),
      'subject_restricted',
      'purpose',
    );
    expect(await mergeImport('customer_relationship', r.email, 'Muutettu')).toMatchObject({
      merged: 0,
      rejected: 1,
    });
    const after = await snapshot(t.db.handle);
    expect(after.subject_values).toBe(before.subject_values);
    expect(after.subject_history).toBe(before.subject_history);
    expect(after.lastUpdate).toBe(before.lastUpdate);
    // legal_claims is allowed during restriction: every path serves it.
    expect((await t.services.subjects.getSubject(operator, r.id, 'legal_claims')).restricted).toBe(
      true,
    );
    expect(await ids('legal_claims', { email: r.email })).toEqual([r.id]);
    expect(await ids('legal_claims', { q: 'Rajoitettu' })).toEqual([r.id]);
    expect(await ids('legal_claims')).toContain(r.id);

    // The person may still correct their own data while restricted (Art. 18(1)(a)).
    expect(
      await t.services.subjects.rectifyBySubject(r.id, [
        { category: 'identity', field: 'lastName', value: 'Oikaistu' },
      ]),
    ).toEqual({ changed: true });
  });

  it('the person corrects self-editable fields with history; other fields are refused naming the field and change nothing', async () => {
    const p = await person('Itse', { phone: '040 765 4321' });
    const before = await snapshot(t.db.handle);
    const bad: Array<[Parameters<typeof t.services.subjects.rectifyBySubject>[1], string]> = [
      [[{ category: 'contact', field: 'email', value: 'other@example.com' }], 'changes[0].field'],
      [
        [
          { category: 'contact', field: 'phone', value: '040 111 2222' },
          { category: 'orders', field: 'orderCount', value: 9 },
        ],
        'changes[1].field',
      ],
      [[{ category: 'nosuch', field: 'x', value: 'y' }], 'changes[0].category'],
      [[{ category: 'contact', field: 'nosuch', value: 'y' }], 'changes[0].field'],
      [[{ category: 'contact', field: 'phone', value: 'not a phone' }], 'changes[0].value'],
      [[{ category: 'contact', field: 'language', value: 'de' }], 'changes[0].value'],
      [[{ category: 'identity', field: 'firstName', value: null }], 'changes[0].value'],
      [
        [
          { category: 'contact', field: 'phone', value: '040 111 2222' },
          { category: 'contact', field: 'phone', value: '040 111 3333' },
        ],
        'changes[1].field',
      ],
      [[], 'changes'],
    ];
    for (const [changes, field] of bad) {
      await refused(
        t.services.subjects.rectifyBySubject(p.id, changes),
        'validation_failed',
        field,
      );
    }
    await refused(
      t.services.subjects.rectifyBySubject('0190c6a4-1f2e-7b3c-8d4e-5f6a7b8c9d0e', [
        { category: 'contact', field: 'phone', value: '040 111 2222' },
      ]),
      'not_found',
    );
    expect(await snapshot(t.db.handle)).toEqual(before);

    expect(
      await t.services.subjects.rectifyBySubject(
        p.id,
        [
          { category: 'contact', field: 'phone', value: '040 111 2222' },
          { category: 'contact', field: 'language', value: 'sv' },
        ],
        { requestId: 'req-1' },
      ),
    ).toEqual({ changed: true });
    const view = await t.services.subjects.getSubject(operator, p.id, 'customer_relationship');
    expect(view.categories.contact?.phone).toMatchObject({
      value: '040 111 2222',
      purpose: 'customer_relationship',
      source: 'subject',
    });
    const history = await t.services.subjects.getHistory(operator, p.id, 'customer_relationship');
    expect(history.filter((h) => h.reason === 'rectification by the person')).toEqual([
      expect.objectContaining({
        field: 'phone',
        old: '040 765 4321',
        new: '040 111 2222',
        actor: `subject:${p.id}`,
        purpose: 'customer_relationship',
      }),
      expect.objectContaining({ field: 'language', old: null, new: 'sv' }),
    ]);
    const log = await t.services.audit.forSubject(p.id);
    expect(log.filter((e) => e.action === 'subject.self_rectify')).toEqual([
      expect.objectContaining({ role: 'subject', text: 'The person corrected their data' }),
    ]);
    // The same again changes nothing.
    expect(
      await t.services.subjects.rectifyBySubject(p.id, [
        { category: 'contact', field: 'phone', value: '040 111 2222' },
      ]),
    ).toEqual({ changed: false });

    // Contact details for writing to the person: e-mail, phone, language.
    expect(await t.services.subjects.contactOf(operator, p.id)).toEqual({
      email: p.email,
      phone: '+358401112222',
      lang: 'sv',
    });
  });

  it('recipientsOf lists the recipients of the definition that receive a category the person has data in', async () => {
    const p = await person('Vastaanottaja');
    const held = ['contact', 'identity', 'orders', 'organisation'];
    const expected = t.register.definition.recipients
      .map((r) => ({
        id: r.id,
        // In the register's main language.
        name: r.name[t.register.languages[0]!],
        categories: held.filter((c) => r.categories.includes(c)),
      }))
      .filter((r) => r.categories.length > 0);
    const got = await t.services.subjects.recipientsOf(operator, p.id);
    expect(got).toEqual(expected);
    expect(got.map((r) => r.id)).toContain('accounting_office');
    expect(got.map((r) => r.id)).not.toContain('analytics_service');
    expect(got.find((r) => r.id === 'mailing_service')?.categories).toEqual([
      'contact',
      'identity',
    ]);
    const key: Actor = {
      kind: 'api_key',
      id: 'narrow',
      read: new Set(['customer_relationship']),
      write: new Set(),
      actions: new Set(['read']),
    };
    await refused(t.services.subjects.recipientsOf(key, p.id), 'forbidden');
    await refused(t.services.subjects.contactOf(key, p.id), 'forbidden');
    await refused(
      t.services.subjects.recipientsOf(operator, '0190c6a4-1f2e-7b3c-8d4e-5f6a7b8c9d0e'),
      'not_found',
    );
  });
});
