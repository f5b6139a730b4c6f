/**
 * Retention (docs/retention.md): dates per category with month ends and leap years, the sweep
 * deleting exactly what has expired and nothing else, a legal hold outliving the sweep's erasure
 * and released when it ends, a sweep stopped half-way and run again, the plan, and the relationship
 * end refused for bad input without changing anything.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.ts';
import { operator, subjectActor } from '../src/lib/actor.ts';
import { retentionCommand } from '../src/cli/retention.ts';
import { parseDefinition } from '../src/modules/definition/loader.ts';
import { checkMapping } from '../src/modules/imports/index.ts';
import { addDuration, expiryOf, financialYearEndOf } from '../src/modules/retention/index.ts';
import type { RetentionFacts } from '../src/modules/subjects/index.ts';
import { kindsOf } from '../src/modules/subjects/use-cases/expire.ts';
import { createServices, type Services } from '../src/services.ts';
import { createVault } from '../src/vault/vault.ts';
import { DATABASES, DEMO, openTestDatabase, openTestKeyStore } from './helpers.ts';

describe('retention dates', () => {
  it('clamps to the month end and knows leap years', () => {
    expect(addDuration('2024-02-29', 'P1Y')).toBe('2025-02-28');
    expect(addDuration('2024-02-29', 'P4Y')).toBe('2028-02-29');
    expect(addDuration('2025-01-31', 'P1M')).toBe('2025-02-28');
    expect(addDuration('2028-01-31', 'P1M')).toBe('2028-02-29');
    expect(addDuration('2024-01-31', 'P13M')).toBe('2025-02-28');
    expect(addDuration('2025-03-31', 'P6M')).toBe('2025-09-30');
    expect(addDuration('2025-12-31', 'P30D')).toBe('2026-01-30');
    expect(addDuration('2024-02-28', 'P1W1D')).toBe('2024-03-07');
    expect(financialYearEndOf('2028-02-29', '02-28')).toBe('2028-02-29');
    expect(financialYearEndOf('2027-03-01', '02-28')).toBe('2028-02-29');
    expect(financialYearEndOf('2025-07-01', '06-30')).toBe('2026-06-30');
  });

  it('keeps a category while any purpose using it has a rule not yet ended', async () => {
    const register = parseDefinition(await readFile(DEMO, 'utf8'));
    const facts = (over: Partial<RetentionFacts>): RetentionFacts => ({
      id: '0190c6a4-1f2e-7b3c-8d4e-5f6a7b8c9d0e',
      lastActivityAt: new Date('2024-01-30T22:30:00Z'),
      relationshipEndedAt: null,
      // A customer: a relationship began (one that never did counts from collection).
      relatedAt: new Date('2024-01-30T22:30:00Z'),
      requestClosedAt: null,
      requestOpen: false,
      kindsGranted: new Set(),
      withdrawnAt: new Map(),
      kindWithdrawnAt: new Map(),
      restricted: false,
      heldRecord: null,
      rows: [],
      ...over,
    });
    // 22:30 UTC on 30 January is 31 January in Helsinki: 13 months later is 28 February 2025.
    const at = new Date('2024-01-30T22:30:00Z');
    const person = facts({
      rows: [{ category: 'device', collectedAt: at, updatedAt: at, purposes: ['analytics'] }],
    });
    const [device] = expiryOf(register, person, '2025-02-28');
    expect(device).toMatchObject({ until: '2025-02-28', rules: ['web_analytics'], expired: false });
    expect(expiryOf(register, person, '2025-03-01')[0]?.expired).toBe(true);

    // Identity is used by the customer relationship: kept while the relationship lasts.
    const customer = facts({
      rows: [
        {
          category: 'identity',
          collectedAt: at,
          updatedAt: at,
          purposes: ['customer_relationship'],
        },
      ],
    });
    expect(expiryOf(register, customer, '2040-01-01')[0]).toMatchObject({
      until: null,
      expired: false,
      rules: ['after_relationship', 'claims_limitation'],
    });
    // Ended on 29 February 2024: claims (P3Y) until 2027-02-28, vouchers (P6Y from the end of
    // the financial year 2024) until 2030-12-31, which decides.
    const ended = facts({
      relationshipEndedAt: new Date('2024-02-29T10:00:00Z'),
      rows: [
        {
          category: 'identity',
          collectedAt: at,
          updatedAt: at,
          purposes: ['customer_relationship'],
        },
      ],
    });
    const [identity] = expiryOf(register, ended, '2030-12-31');
    expect(identity).toMatchObject({ until: '2030-12-31', rules: ['accounting_vouchers'] });
    expect(identity?.purposes.find((p) => p.rule === 'claims_limitation')?.until).toBe(
      '2027-02-28',
    );
    expect(identity?.expired).toBe(false);
    expect(expiryOf(register, ended, '2031-01-01')[0]?.expired).toBe(true);

    // Consent withdrawn on every channel, then granted again: the grant stops the clock.
    const withdrawnThenGranted = facts({
      kindWithdrawnAt: new Map([['newsletter', new Date('2024-02-01T10:00:00Z')]]),
      kindsGranted: new Set(['newsletter']),
      rows: [{ category: 'marketing', collectedAt: at, updatedAt: at, purposes: ['newsletter'] }],
    });
    expect(expiryOf(register, withdrawnThenGranted, '2030-01-01')[0]).toMatchObject({
      until: null,
      expired: false,
    });
  });

  it("reads the ledger's latest word per kind: a grant after any withdrawal is a grant now", () => {
    const t = (s: string) => new Date(s);
    const row = (channel: string, state: string, at: string) => ({
      kind: 'newsletter',
      channel,
      state,
      changed_at: t(at),
    });
    // Every channel withdrawn, then one granted again: granted now, no withdrawal clock.
    expect(
      kindsOf([row('*', 'withdrawn', '2024-02-01'), row('email', 'granted', '2024-03-01')]),
    ).toEqual({ granted: new Set(['newsletter']), withdrawnAt: new Map() });
    // A channel granted before every channel was withdrawn: the withdrawal decides.
    expect(
      kindsOf([row('email', 'granted', '2024-01-01'), row('*', 'withdrawn', '2024-02-01')]),
    ).toEqual({ granted: new Set(), withdrawnAt: new Map([['newsletter', t('2024-02-01')]]) });
    // One channel withdrawn, none granted: counted from that withdrawal, not from collection.
    expect(kindsOf([row('email', 'withdrawn', '2024-02-01')])).toEqual({
      granted: new Set(),
      withdrawnAt: new Map([['newsletter', t('2024-02-01')]]),
    });
    // A refusal is not a withdrawal: the kind was never given.
    expect(kindsOf([row('email', 'refused', '2024-02-01')])).toEqual({
      granted: new Set(),
      withdrawnAt: new Map(),
    });
  });

  it('a pending permission (asked, never confirmed) is no grant: the withdrawal clock runs on', () => {
    const row = (channel: string, state: string, at: string) => ({
      kind: 'newsletter',
      channel,
      state,
      changed_at: new Date(at),
    });
    expect(
      kindsOf([row('email', 'withdrawn', '2024-01-01'), row('sms', 'pending', '2024-02-01')]),
    ).toEqual({
      granted: new Set(),
      withdrawnAt: new Map([['newsletter', new Date('2024-01-01')]]),
    });
    expect(kindsOf([row('*', 'pending', '2024-02-01')]).granted).toEqual(new Set());
  });
});

describe.each(DATABASES)('the retention sweep on %s', (kind) => {
  const cleanup: Array<() => Promise<void>> = [];
  let services: Services;
  let app: Awaited<ReturnType<typeof createApp>>;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let keys: Awaited<ReturnType<typeof openTestKeyStore>>['keys'];
  let now = new Date('2020-03-02T10:00:00Z');
  const ids: Record<string, string> = {};
  const retired: string[] = [];
  let token: string;

  const create = async (values: Record<string, Record<string, unknown>>) =>
    (
      await services.subjects.createSubject(operator, {
        purpose: 'customer_relationship',
        source: 'subject',
        values,
      })
    ).id;
  const categoriesOf = async (id: string) =>
    (
      await sql<{ category: string }>`select category from subject_values
        where subject_id = ${id} order by category`.execute(db.handle.db)
    ).rows.map((r) => r.category);
  const erased = async (id: string) =>
    (
      await sql<{
        erased_at: Date | null;
      }>`select erased_at from subjects where id = ${id}`.execute(db.handle.db)
    ).rows[0]?.erased_at !== null;
  const endRelationship = (id: string, body: unknown) =>
    app.inject({
      method: 'POST',
      url: `/api/v1/subjects/${id}/relationship/end`,
      headers: { authorization: `Bearer ${token}` },
      payload: body as Record<string, unknown>,
    });

  beforeAll(async () => {
    const register = parseDefinition(await readFile(DEMO, 'utf8'));
    db = await openTestDatabase(kind);
    const ks = await openTestKeyStore(kind);
    keys = ks.keys;
    cleanup.push(
      () => db.dispose(),
      () => ks.dispose(),
    );
    services = createServices({
      database: db.handle,
      keys,
      register,
      vault: createVault(randomBytes(32)),
      clock: { now: () => now },
      // The audience export hands out unsubscribe links, which need an https PUBLIC_URL.
      publicUrl: 'https://rekisteri.example.fi',
    });
    app = await createApp(services);
    cleanup.push(() => app.close());
    token = (
      await services.apiKeys.createApiKey(operator, {
        name: 'crm',
        purposes: ['customer_relationship'],
        actions: ['read', 'write'],
      })
    ).token;

    // 2 March 2020: a former customer without orders, one with orders (bookkeeping holds),
    // a current customer, and seven former customers for the sweep stopped half-way.
    ids.former = await create({ identity: { firstName: 'Eino', lastName: 'Kallio' } });
    ids.withOrders = await create({
      identity: { firstName: 'Saara', lastName: 'Nurmi' },
      contact: { email: 'saara.nurmi@example.fi' },
      orders: { orderCount: 3, paymentMethod: 'invoice' },
    });
    ids.current = await create({ identity: { firstName: 'Oiva', lastName: 'Lehto' } });
    for (let i = 0; i < 7; i++) {
      retired.push(await create({ identity: { firstName: 'Testi', lastName: `Lopettanut${i}` } }));
    }
    now = new Date('2020-06-01T09:00:00Z');
    for (const id of [ids.former, ids.withOrders, ...retired] as string[]) {
      const res = await endRelationship(id, { purpose: 'customer_relationship' });
      expect(res.statusCode, res.body).toBe(200);
    }
  });
  afterAll(async () => {
    for (const fn of cleanup.reverse()) {
      await fn();
    }
  });

  it('refuses a relationship end with bad input, naming the field, and changes nothing', async () => {
    const before = await sql`select * from subject_retention order by subject_id`.execute(
      db.handle.db,
    );
    const extra = await endRelationship(ids.current!, {
      purpose: 'customer_relationship',
      at: '2020-01-01',
    });
    const fields = (res: { json<T>(): T }) =>
      (res.json<{ errors?: Array<{ field: string }> }>().errors ?? []).map((e) => e.field);
    expect(extra.statusCode).toBe(400);
    // The unknown key is named itself (docs/subjects-api.md, "Field names in errors").
    expect(fields(extra)).toEqual(['at']);
    expect(extra.json<{ errors: Array<{ detail: string }> }>().errors[0]?.detail).toContain(
      'unknown field',
    );
    const unknown = await endRelationship(ids.current!, { purpose: 'no_such_purpose' });
    expect(unknown.statusCode).toBe(400);
    expect(fields(unknown)).toEqual(['purpose']);
    // Billing rests on the law, not on the customer relationship.
    const notRelationship = await endRelationship(ids.current!, { purpose: 'billing' });
    expect(notRelationship.statusCode).toBe(400);
    expect(fields(notRelationship)).toEqual(['purpose']);
    // Courses rest on a contract too, but this key may not write under them.
    const notMine = await endRelationship(ids.current!, { purpose: 'barista_courses' });
    expect(notMine.statusCode).toBe(403);
    const missing = await endRelationship('0190c6a4-1f2e-7b3c-8d4e-5f6a7b8c9d0e', {
      purpose: 'customer_relationship',
    });
    expect(missing.statusCode).toBe(404);
    const badId = await endRelationship('not-a-uuid', { purpose: 'customer_relationship' });
    expect(badId.statusCode).toBe(400);
    const after = await sql`select * from subject_retention order by subject_id`.execute(
      db.handle.db,
    );
    expect(after.rows).toEqual(before.rows);
  });

  it('plans, then deletes exactly what has expired: a hold outlives the erasure', async () => {
    // 15 January 2027: the vouchers' six years from the end of 2020 have ended, the books' ten
    // years have not.
    now = new Date('2027-01-15T10:00:00Z');
    const plan = await services.retention.plan();
    expect(plan.erase).toBe(9);
    expect(plan.partial).toBe(0);
    expect(plan.held).toEqual([
      { category: 'identity', people: 1 },
      { category: 'orders', people: 1 },
    ]);
    expect(plan.rows).toContainEqual({
      rule: 'accounting_vouchers',
      category: 'identity',
      people: 8,
    });
    expect(plan.rows).toContainEqual({
      rule: 'accounting_vouchers',
      category: 'contact',
      people: 1,
    });

    const mine = await services.retention.ofSubject(ids.withOrders!);
    expect(mine.categories.find((c) => c.category === 'orders')).toMatchObject({
      until: '2026-12-31',
      expired: true,
      held: true,
    });

    const result = await services.retention.sweep({ batchSize: 4 });
    expect(result).toMatchObject({
      erased: 9,
      heldRecords: 1,
      categoriesDeleted: 0,
      complete: true,
    });
    for (const id of [ids.former!, ids.withOrders!, ...retired]) {
      expect(await erased(id)).toBe(true);
      expect(await categoriesOf(id)).toEqual([]);
      expect(await keys.get(id)).toBeUndefined();
    }
    expect(await erased(ids.current!)).toBe(false);
    expect(await categoriesOf(ids.current!)).toEqual(['identity']);

    // What the books' hold keeps lives on in a held record, for bookkeeping only.
    const held = await sql<{ id: string; held_purpose: string; until: string }>`
      select id, held_purpose, held_until::text as until from subjects
       where erased_from = ${ids.withOrders!} and erased_at is null`.execute(db.handle.db);
    expect(held.rows).toHaveLength(1);
    expect(held.rows[0]).toMatchObject({ held_purpose: 'billing', until: '2030-12-31' });
    expect(await categoriesOf(held.rows[0]!.id)).toEqual(['identity', 'orders']);

    // Each deletion is in the access log, as a typed event with ids and codes only.
    const events = await sql<{ action: string; subject_id: string; data: unknown }>`
      select action, subject_id, data from audit_events
       where action in ('subject.expire', 'subject.erase') order by subject_id`.execute(
      db.handle.db,
    );
    const expiring = events.rows.filter((e) => e.action === 'subject.expire');
    expect(expiring).toHaveLength(8);
    expect(JSON.stringify(expiring)).not.toContain('Kallio');
    expect(events.rows).toContainEqual(
      expect.objectContaining({ action: 'subject.erase', subject_id: ids.withOrders! }),
    );

    // A second sweep the same day finds nothing.
    expect(await services.retention.sweep()).toMatchObject({ erased: 0, categoriesDeleted: 0 });

    // When the hold ends, what it kept is shredded too.
    now = new Date('2031-01-01T10:00:00Z');
    expect((await services.subjects.shredEndedHolds()).shredded).toBe(1);
    expect(await categoriesOf(held.rows[0]!.id)).toEqual([]);
  });

  it('a sweep stopped half-way is finished by the next run, deleting each person once', async () => {
    now = new Date('2040-03-02T10:00:00Z');
    const people: string[] = [];
    for (let i = 0; i < 5; i++) {
      people.push(await create({ identity: { firstName: 'Testi', lastName: `Keskeytys${i}` } }));
    }
    now = new Date('2040-03-03T10:00:00Z');
    for (const id of people) {
      await services.retention.endRelationship(operator, id, 'customer_relationship');
    }
    // Expired 2046-12-31 (vouchers); `current` (ended never) stays.
    now = new Date('2047-01-02T10:00:00Z');
    expect((await services.retention.plan()).erase).toBe(5);
    // Killed after the second batch of two (the first holds `current`, who stays): three
    // erased, two left. One lane, so that no third batch is in flight when it dies.
    await expect(
      services.retention.sweep({
        batchSize: 2,
        concurrency: 1,
        afterBatch: (n) => {
          if (n === 2) {
            throw new Error('killed');
          }
        },
      }),
    ).rejects.toThrow('killed');
    const left = [];
    for (const id of people) {
      if (!(await erased(id))) {
        left.push(id);
      }
    }
    expect(left).toHaveLength(2);
    // A batch limit stops a sweep the same way; the rerun goes on from what is left.
    const rerun = await services.retention.sweep({ batchSize: 2 });
    expect(rerun).toMatchObject({ erased: 2, complete: true });
    for (const id of people) {
      expect(await erased(id)).toBe(true);
    }
    const journal = await sql<{ n: number }>`
      select count(*)::int as n from audit_events
       where action = 'subject.expire' and subject_id = any(${`{${people.join(',')}}`}::uuid[])`.execute(
      db.handle.db,
    );
    expect(journal.rows[0]?.n).toBe(5);
    expect(await erased(ids.current!)).toBe(false);
  });

  it('a sweep of two lanes killed half-way leaves each person erased whole or untouched, and the rerun finishes', async () => {
    now = new Date('2070-03-02T10:00:00Z');
    const people: string[] = [];
    for (let i = 0; i < 9; i++) {
      people.push(await create({ identity: { firstName: 'Testi', lastName: `Kaksikaista${i}` } }));
      await services.retention.endRelationship(operator, people[i]!, 'customer_relationship');
    }
    now = new Date('2077-01-02T10:00:00Z');
    // A number of lanes that is not 1 to 8 is refused before anything is done.
    for (const concurrency of [Number.NaN, 0, 9, 1.5]) {
      await expect(services.retention.sweep({ concurrency })).rejects.toMatchObject({
        issues: [{ field: 'concurrency' }],
      });
    }
    for (const id of people) {
      expect(await erased(id)).toBe(false);
    }
    await expect(
      services.retention.sweep({
        batchSize: 2,
        concurrency: 2,
        afterBatch: (n) => {
          if (n === 2) {
            throw new Error('killed');
          }
        },
      }),
    ).rejects.toThrow('killed');
    const logged = async (id: string) =>
      (
        await sql<{ n: number }>`
          select count(*)::int as n from audit_events
           where action = 'subject.expire' and subject_id = ${id}`.execute(db.handle.db)
      ).rows[0]?.n ?? 0;
    const journalled = async (id: string) =>
      (
        await sql<{ n: number }>`
          select count(*)::int as n from erasure_journal where subject_id = ${id}`.execute(
          db.handle.db,
        )
      ).rows[0]?.n ?? 0;
    let gone = 0;
    for (const id of people) {
      const e = await erased(id);
      // Erased, journalled and logged together, or none of it: no half-done person.
      expect(await logged(id)).toBe(e ? 1 : 0);
      expect(await journalled(id)).toBe(e ? 1 : 0);
      gone += e ? 1 : 0;
    }
    // The kill stopped further batches: some people are left for the rerun.
    expect(gone).toBeGreaterThan(0);
    expect(gone).toBeLessThan(people.length);
    const rerun = await services.retention.sweep({ batchSize: 2, concurrency: 2 });
    expect(rerun).toMatchObject({ erased: people.length - gone, complete: true });
    for (const id of people) {
      expect(await erased(id)).toBe(true);
      expect(await logged(id)).toBe(1);
    }
  });

  it('two sweeps at once share the work: each person is erased and logged once', async () => {
    now = new Date('2060-03-02T10:00:00Z');
    const people: string[] = [];
    for (let i = 0; i < 6; i++) {
      people.push(await create({ identity: { firstName: 'Testi', lastName: `Rinnakkain${i}` } }));
      await services.retention.endRelationship(operator, people[i]!, 'customer_relationship');
    }
    now = new Date('2067-01-02T10:00:00Z');
    const [a, b] = await Promise.all([
      services.retention.sweep({ batchSize: 2 }),
      services.retention.sweep({ batchSize: 2 }),
    ]);
    expect((a?.erased ?? 0) + (b?.erased ?? 0)).toBe(6);
    const logged = await sql<{ n: number }>`
      select count(*)::int as n from audit_events
       where action = 'subject.expire' and subject_id = any(${`{${people.join(',')}}`}::uuid[])`.execute(
      db.handle.db,
    );
    expect(logged.rows[0]?.n).toBe(6);
  });

  it('deletes one expired category and keeps the person and the rest', async () => {
    now = new Date('2050-01-31T10:00:00Z');
    const id = await create({ identity: { firstName: 'Ulla', lastName: 'Rinne' } });
    await services.permissions.record(
      operator,
      id,
      [{ kind: 'profiling', channel: '*', state: 'granted' }],
      { method: 'form', wording: { text: 'Yes, personalise.', language: 'en' } },
    );
    await services.subjects.updateSubject(operator, id, {
      purpose: 'analytics',
      source: 'subject',
      values: { device: { userAgent: 'Testiselain 1.0' } },
    });
    // Collected 31 January 2050: 13 months is 28 February 2051, the last day kept.
    now = new Date('2051-02-28T20:00:00Z');
    await services.retention.sweep();
    expect(await categoriesOf(id)).toEqual(['device', 'identity']);
    now = new Date('2051-03-01T10:00:00Z');
    const r = await services.retention.sweep();
    expect(r).toMatchObject({ erased: 0, categoriesDeleted: 1 });
    expect(await categoriesOf(id)).toEqual(['identity']);
    expect(await erased(id)).toBe(false);
  });

  it('erases a former customer who has a permission ledger, with a wording written for them alone', async () => {
    now = new Date('2060-03-02T10:00:00Z');
    const id = await create({ identity: { firstName: 'Matti', lastName: 'Säilytys' } });
    const bystander = await create({ identity: { firstName: 'Ilma', lastName: 'Luvitta' } });
    const words = 'Matti Säilytys (040 123 4567) said on the phone: send the newsletter.';
    await services.permissions.record(
      operator,
      id,
      [{ kind: 'newsletter', channel: 'email', state: 'granted' }],
      { method: 'staff', wording: { text: words, language: 'en' } },
    );
    await services.permissions.record(
      operator,
      id,
      [{ kind: 'newsletter', channel: 'email', state: 'withdrawn' }],
      { method: 'staff' },
    );
    for (const who of [id, bystander]) {
      const res = await endRelationship(who, { purpose: 'customer_relationship' });
      expect(res.statusCode, res.body).toBe(200);
    }
    now = new Date('2075-03-02T10:00:00Z');
    // One person's ledger must not stop the sweep for everyone: both are erased.
    const r = await services.retention.sweep();
    expect(r.erased).toBeGreaterThanOrEqual(2);
    expect(await erased(id)).toBe(true);
    expect(await erased(bystander)).toBe(true);
    const left = await sql<{ n: number }>`
      select (select count(*) from permission_states where subject_id = ${id})::int
           + (select count(*) from permission_history where subject_id = ${id})::int
           + (select count(*) from permission_wordings where text = ${words})::int as n`.execute(
      db.handle.db,
    );
    expect(left.rows[0]?.n).toBe(0);
  });

  const newsletterSubscriber = async (lastName: string) => {
    const id = await create({ identity: { firstName: 'Testi', lastName } });
    await services.permissions.record(
      operator,
      id,
      [{ kind: 'newsletter', channel: 'email', state: 'granted' }],
      { method: 'form', wording: { text: 'Yes, send me the newsletter.', language: 'en' } },
    );
    await services.subjects.updateSubject(operator, id, {
      purpose: 'newsletter',
      source: 'subject',
      values: { marketing: { interests: 'espresso' } },
    });
    return id;
  };

  it('a grant after consent was withdrawn on every channel stops the withdrawal clock', async () => {
    now = new Date('2080-01-10T10:00:00Z');
    const id = await newsletterSubscriber('Palaaja');
    now = new Date('2080-02-01T10:00:00Z');
    await services.permissions.record(
      operator,
      id,
      [{ kind: 'newsletter', channel: '*', state: 'withdrawn' }],
      { method: 'staff' },
    );
    // The person subscribes again on the preference page.
    now = new Date('2080-02-10T10:00:00Z');
    await services.permissions.record(
      subjectActor(id),
      id,
      [{ kind: 'newsletter', channel: 'email', state: 'granted' }],
      {
        method: 'preference_page',
        wording: { text: 'Yes, send me the newsletter.', language: 'en' },
      },
    );
    // Months after the withdrawal's 30 days: the current grant keeps the marketing choices.
    now = new Date('2080-09-01T10:00:00Z');
    const marketing = (await services.retention.ofSubject(id)).categories.find(
      (c) => c.category === 'marketing',
    );
    expect(marketing).toMatchObject({ until: null, expired: false });
    await services.retention.sweep();
    expect(await categoriesOf(id)).toEqual(['identity', 'marketing']);

    // Withdrawn again (the channel granted): counted from this withdrawal.
    await services.permissions.record(
      operator,
      id,
      [{ kind: 'newsletter', channel: 'email', state: 'withdrawn' }],
      { method: 'staff' },
    );
    now = new Date('2080-10-01T10:00:00Z');
    await services.retention.sweep();
    expect(await categoriesOf(id)).toEqual(['identity', 'marketing']);
    now = new Date('2080-10-03T10:00:00Z');
    expect(await services.retention.sweep()).toMatchObject({ categoriesDeleted: 1 });
    expect(await categoriesOf(id)).toEqual(['identity']);
  });

  it('a withdrawal on one channel counts from the withdrawal, and a grant again keeps the data', async () => {
    now = new Date('2082-01-10T10:00:00Z');
    const id = await newsletterSubscriber('Kanavittain');
    now = new Date('2082-03-01T10:00:00Z');
    await services.permissions.record(
      operator,
      id,
      [{ kind: 'newsletter', channel: 'email', state: 'withdrawn' }],
      { method: 'staff' },
    );
    // 30 days from the withdrawal (not from the collection in January): kept until 31 March.
    now = new Date('2082-03-20T10:00:00Z');
    await services.retention.sweep();
    expect(await categoriesOf(id)).toEqual(['identity', 'marketing']);
    expect(
      (await services.retention.ofSubject(id)).categories.find((c) => c.category === 'marketing')
        ?.until,
    ).toBe('2082-03-31');
    await services.permissions.record(
      subjectActor(id),
      id,
      [{ kind: 'newsletter', channel: 'email', state: 'granted' }],
      { method: 'form', wording: { text: 'Yes, send me the newsletter.', language: 'en' } },
    );
    now = new Date('2082-06-01T10:00:00Z');
    await services.retention.sweep();
    expect(await categoriesOf(id)).toEqual(['identity', 'marketing']);
  });

  it('keeps a restricted person whole, reporting them as kept, and erases them once it is lifted', async () => {
    now = new Date('2084-03-02T10:00:00Z');
    const id = await create({ identity: { firstName: 'Testi', lastName: 'Rajoitettu' } });
    await services.retention.endRelationship(operator, id, 'customer_relationship');
    await services.subjects.setRestriction(operator, id, 'The person contests the data.');
    now = new Date('2091-01-02T10:00:00Z');
    const plan = await services.retention.plan();
    expect(plan.kept).toEqual([{ reason: 'restricted', people: 1 }]);
    expect(plan.rows.some((r) => r.people > 0 && r.category === 'identity')).toBe(false);
    const r = await services.retention.sweep();
    expect(r.kept).toEqual([{ reason: 'restricted', people: 1 }]);
    expect(r.erased).toBe(0);
    expect(await erased(id)).toBe(false);
    expect(await categoriesOf(id)).toEqual(['identity']);
    const restricted = await sql<{ restricted_at: Date | null }>`
      select restricted_at from subjects where id = ${id}`.execute(db.handle.db);
    expect(restricted.rows[0]?.restricted_at).not.toBeNull();

    await services.subjects.setRestriction(operator, id, null);
    expect((await services.retention.plan()).kept).toEqual([]);
    const after = await services.retention.sweep();
    expect(after).toMatchObject({ erased: 1, kept: [] });
    expect(await erased(id)).toBe(true);
  });

  it('ends a relationship only under a purpose resting on it, and tells nothing of people the purpose does not see', async () => {
    now = new Date('2093-03-02T10:00:00Z');
    const id = await create({ identity: { firstName: 'Testi', lastName: 'Analytiikka' } });
    const gone = await create({ identity: { firstName: 'Testi', lastName: 'Poistettu' } });
    await services.subjects.eraseSubject(operator, gone);
    const unknownId = '0190c6a4-1f2e-7b3c-8d4e-5f6a7b8c9d0f';
    const analytics = (
      await services.apiKeys.createApiKey(operator, {
        name: 'web-analytics',
        purposes: ['analytics'],
        actions: ['read', 'write'],
      })
    ).token;
    const post = (who: string, key: string, purpose: string, verb = 'end') =>
      app.inject({
        method: 'POST',
        url: `/api/v1/subjects/${who}/relationship/${verb}`,
        headers: { authorization: `Bearer ${key}` },
        payload: { purpose },
      });
    const before = await sql`select * from subject_retention order by subject_id`.execute(
      db.handle.db,
    );
    const audits = async () =>
      (
        await sql<{ n: number }>`select count(*)::int as n from audit_events
          where action like 'retention.relationship%'`.execute(db.handle.db)
      ).rows[0]?.n;
    const auditsBefore = await audits();
    // An analytics key writing under its own purpose may not end anyone's customer relationship:
    // refused naming the purpose, the same for a real person as for an unknown id.
    for (const verb of ['end', 'resume']) {
      const real = await post(id, analytics, 'analytics', verb);
      const stranger = await post(unknownId, analytics, 'analytics', verb);
      expect(real.statusCode).toBe(400);
      expect(real.json<{ errors: Array<{ field: string }> }>().errors.map((e) => e.field)).toEqual([
        'purpose',
      ]);
      const same = (a: string, b: string) =>
        expect(a.replaceAll(id, 'ID')).toBe(b.replaceAll(unknownId, 'ID'));
      same(real.body, stranger.body);
      // Nor under the relationship's purpose, which the key may not write under.
      const notMine = await post(id, analytics, 'customer_relationship', verb);
      expect(notMine.statusCode).toBe(403);
      same(notMine.body, (await post(unknownId, analytics, 'customer_relationship', verb)).body);
      // An erased person answers word for word as an unknown id (but for the id itself).
      const erasedOne = await post(gone, token, 'customer_relationship', verb);
      const unknown = await post(unknownId, token, 'customer_relationship', verb);
      expect(erasedOne.statusCode).toBe(404);
      expect(erasedOne.body.replaceAll(gone, 'ID')).toBe(unknown.body.replaceAll(unknownId, 'ID'));
    }
    const after = await sql`select * from subject_retention order by subject_id`.execute(
      db.handle.db,
    );
    expect(after.rows).toEqual(before.rows);
    expect(await audits()).toBe(auditsBefore);
  });

  it('a resumed relationship stops its retention; ending it again counts from the new end', async () => {
    now = new Date('2094-03-02T10:00:00Z');
    const id = await create({ identity: { firstName: 'Testi', lastName: 'Paluumuuttaja' } });
    const resume = (body: unknown) =>
      app.inject({
        method: 'POST',
        url: `/api/v1/subjects/${id}/relationship/resume`,
        headers: { authorization: `Bearer ${token}` },
        payload: body as Record<string, unknown>,
      });
    // Nothing ended: nothing to resume, nothing logged.
    const nothing = await resume({ purpose: 'customer_relationship' });
    expect(nothing.statusCode, nothing.body).toBe(200);
    expect(nothing.json()).toEqual({ resumed: false, endedAt: null });
    now = new Date('2094-06-01T10:00:00Z');
    expect((await endRelationship(id, { purpose: 'customer_relationship' })).statusCode).toBe(200);
    // Bad input changes nothing.
    const extra = await resume({ purpose: 'customer_relationship', at: '2094-01-01' });
    expect(extra.statusCode).toBe(400);
    expect((await services.retention.ofSubject(id)).relationshipEndedAt).toBe(
      '2094-06-01T10:00:00.000Z',
    );
    now = new Date('2095-01-10T10:00:00Z');
    const resumed = await resume({ purpose: 'customer_relationship' });
    expect(resumed.statusCode, resumed.body).toBe(200);
    expect(resumed.json()).toEqual({ resumed: true, endedAt: '2094-06-01T10:00:00.000Z' });
    expect((await services.retention.ofSubject(id)).relationshipEndedAt).toBeNull();
    const logged = await sql<{ action: string; purpose: string }>`
      select action, purpose from audit_events where subject_id = ${id}
         and action like 'retention.%' order by id`.execute(db.handle.db);
    expect(logged.rows).toEqual([
      { action: 'retention.relationship_end', purpose: 'customer_relationship' },
      { action: 'retention.relationship_resume', purpose: 'customer_relationship' },
    ]);
    // Long after the first end's retention (vouchers: end of 2100): still a customer, kept.
    now = new Date('2101-03-01T10:00:00Z');
    await services.retention.sweep();
    expect(await erased(id)).toBe(false);
    // Ended again: counted from the new end (2 years, and six from the end of its year's books).
    expect((await endRelationship(id, { purpose: 'customer_relationship' })).json()).toEqual({
      endedAt: '2101-03-01T10:00:00.000Z',
    });
    const identity = (await services.retention.ofSubject(id)).categories[0];
    expect(identity?.purposes.find((p) => p.rule === 'after_relationship')?.until).toBe(
      '2103-03-01',
    );
  });

  it("keeps an expired category a hold keeps in place readable only for the hold's purpose while the person keeps others", async () => {
    now = new Date('2110-03-02T10:00:00Z');
    const id = await create({
      identity: { firstName: 'Testi', lastName: 'Kirjanpito' },
      orders: { orderCount: 2, paymentMethod: 'invoice' },
    });
    await services.permissions.record(
      operator,
      id,
      [{ kind: 'newsletter', channel: 'email', state: 'granted' }],
      { method: 'form', wording: { text: 'Yes, send me the newsletter.', language: 'en' } },
    );
    await services.subjects.updateSubject(operator, id, {
      purpose: 'newsletter',
      source: 'subject',
      values: { marketing: { interests: 'decaf' } },
    });
    now = new Date('2110-06-01T10:00:00Z');
    await services.retention.endRelationship(operator, id, 'customer_relationship');
    const seen = async (purpose: string) =>
      Object.keys((await services.subjects.getSubject(operator, id, purpose)).categories).sort();
    expect(await seen('customer_relationship')).toEqual(['identity', 'orders']);

    // 2 January 2117: the orders' rules have ended (vouchers: end of 2116), the books' hold
    // keeps them until the end of 2120; identity and marketing live on with the newsletter.
    now = new Date('2117-01-02T10:00:00Z');
    const r = await services.retention.sweep();
    expect(r.categoriesHeld).toBeGreaterThanOrEqual(1);
    expect(await categoriesOf(id)).toEqual(['identity', 'marketing', 'orders']);
    expect(await seen('customer_relationship')).toEqual(['identity']);
    expect(await seen('legal_claims')).toEqual(['identity']);
    expect(await seen('billing')).toEqual(['identity', 'orders']);
    const history = await services.subjects.getHistory(operator, id, 'customer_relationship');
    expect(history.some((h) => h.category === 'orders')).toBe(false);
    const listed = await services.subjects.findSubjects(operator, {
      purpose: 'customer_relationship',
      q: 'Kirjanpito',
    });
    expect(listed.items.map((v) => Object.keys(v.categories).sort())).toEqual([['identity']]);

    // When the hold ends, the next sweep deletes the orders; the person stays.
    now = new Date('2121-01-02T10:00:00Z');
    await services.retention.sweep();
    expect(await categoriesOf(id)).toEqual(['identity', 'marketing']);
    const left = await sql<{ n: number }>`select count(*)::int as n from subject_category_holds
      where subject_id = ${id}`.execute(db.handle.db);
    expect(left.rows[0]?.n).toBe(0);
  });

  it('a category kept only for billing is not there for other purposes: not written, cleared, searched or counted for b2b', async () => {
    now = new Date('2150-03-02T10:00:00Z');
    const id = await create({
      identity: { firstName: 'Testi', lastName: 'Yhteyshenkilo' },
      contact: { email: 'testi.yhteyshenkilo@example.fi' },
      organisation: { organisation: 'Kahvipaahtimo Oy' },
      orders: { orderCount: 2, paymentMethod: 'invoice' },
    });
    // Identity and contact live on with a newsletter consent.
    await services.permissions.record(
      operator,
      id,
      [{ kind: 'newsletter', channel: 'email', state: 'granted' }],
      { method: 'form', wording: { text: 'Yes, send me the newsletter.', language: 'en' } },
    );
    now = new Date('2150-06-01T10:00:00Z');
    await services.retention.endRelationship(operator, id, 'customer_relationship');
    const b2b = async () => {
      const check = await services.permissions.check(operator, {
        purpose: 'b2b_marketing',
        subjectId: id,
        channel: 'email',
      });
      const members: string[] = [];
      for await (const page of services.audiences.members(operator, {
        purpose: 'b2b_marketing',
        channel: 'email',
        filters: [],
      })) {
        members.push(...page.map((m) => m.id));
      }
      return { allowed: check.allowed, inAudience: members.includes(id) };
    };
    expect(await b2b()).toEqual({ allowed: true, inAudience: true });
    const search = async (q: string) =>
      (
        await services.subjects.findSubjects(operator, { purpose: 'customer_relationship', q })
      ).items.map((v) => v.id);
    expect(await search('Kahvipaahtimo')).toContain(id);

    // 2 January 2157: the organisation's and orders' rules have ended; the books' hold keeps
    // them in place for billing until the end of 2160.
    now = new Date('2157-01-02T10:00:00Z');
    await services.retention.sweep();
    expect(await categoriesOf(id)).toEqual(['contact', 'identity', 'orders', 'organisation']);
    const seen = async (purpose: string) =>
      Object.keys((await services.subjects.getSubject(operator, id, purpose)).categories).sort();
    expect(await seen('customer_relationship')).toEqual(['contact', 'identity']);
    // Not an organisation contact any more for b2b marketing, in the check and the audience.
    expect(await b2b()).toEqual({ allowed: false, inAudience: false });
    // Nobody finds them by a word of the held organisation; their name still finds them.
    expect(await search('Kahvipaahtimo')).not.toContain(id);
    expect(await search('Yhteyshenkilo')).toContain(id);

    const holds = async () =>
      (
        await sql<{ category: string; purpose: string }>`select category, purpose
          from subject_category_holds where subject_id = ${id} order by category`.execute(
          db.handle.db,
        )
      ).rows;
    const heldBefore = await holds();
    expect(heldBefore).toEqual([
      { category: 'orders', purpose: 'billing' },
      { category: 'organisation', purpose: 'billing' },
    ]);
    const versions = async () =>
      (
        await sql<{ category: string; version: number }>`select category, version
          from subject_values where subject_id = ${id} order by category`.execute(db.handle.db)
      ).rows;
    const versionsBefore = await versions();
    const patch = (values: Record<string, unknown>) =>
      app.inject({
        method: 'PATCH',
        url: `/api/v1/subjects/${id}`,
        headers: { authorization: `Bearer ${token}` },
        payload: { purpose: 'customer_relationship', source: 'subject', values },
      });
    // Clearing the held orders under the customer relationship: refused naming the fields, not
    // the values; the orders and the hold stay.
    const cleared = await patch({ orders: { orderCount: null, paymentMethod: null } });
    expect(cleared.statusCode, cleared.body).toBe(409);
    expect(cleared.body).not.toContain('invoice');
    expect(
      cleared
        .json<{ errors: Array<{ field: string }> }>()
        .errors.map((e) => e.field)
        .sort(),
    ).toEqual(['values.orders.orderCount', 'values.orders.paymentMethod']);
    // Writing one field of it: refused too, so its old fields and history stay hidden.
    const one = await patch({ orders: { paymentMethod: 'card' } });
    expect(one.statusCode, one.body).toBe(409);
    expect(one.json<{ errors: Array<{ field: string }> }>().errors.map((e) => e.field)).toEqual([
      'values.orders.paymentMethod',
    ]);
    // A write naming a held category and a visible one changes neither.
    const mixed = await patch({
      identity: { lastName: 'Uusinimi' },
      organisation: { organisation: 'Toinen Oy' },
    });
    expect(mixed.statusCode, mixed.body).toBe(409);
    expect(await versions()).toEqual(versionsBefore);
    expect(await holds()).toEqual(heldBefore);
    expect(await seen('customer_relationship')).toEqual(['contact', 'identity']);
    const history = await services.subjects.getHistory(operator, id, 'customer_relationship');
    expect(history.some((h) => h.category === 'orders' || h.category === 'organisation')).toBe(
      false,
    );
    // The hold's own purpose writes it: collected anew, no longer only held.
    await services.subjects.updateSubject(operator, id, {
      purpose: 'billing',
      source: 'subject',
      values: { orders: { paymentMethod: 'card' } },
    });
    expect(await holds()).toEqual([{ category: 'organisation', purpose: 'billing' }]);
    expect(await seen('customer_relationship')).toEqual(['contact', 'identity', 'orders']);
    // The write recomputed the search index: the held organisation's words stay out of it.
    expect(await search('Kahvipaahtimo')).not.toContain(id);
  });

  it('as an attacker: a person whose address a hold keeps for billing is not found by it under another purpose, as an unknown address', async () => {
    now = new Date('2190-03-02T10:00:00Z');
    const address = `testi.pidatetty.${randomBytes(4).toString('hex')}@example.fi`;
    const id = await create({
      identity: { firstName: 'Testi', lastName: 'Pidatetty' },
      contact: { email: address },
      orders: { orderCount: 1, paymentMethod: 'invoice' },
    });
    now = new Date('2190-06-01T10:00:00Z');
    await services.retention.endRelationship(operator, id, 'customer_relationship');
    // A later order is booked for billing: the vouchers' hold on identity and contact runs to the
    // end of 2197, the orders' own rule too.
    now = new Date('2191-03-01T10:00:00Z');
    await services.subjects.updateSubject(operator, id, {
      purpose: 'billing',
      source: 'subject',
      values: { orders: { orderCount: 2 } },
    });
    // 2 January 2197: identity's and contact's rules have ended (the end of 2196); the holds keep
    // them in place for billing only; the orders live on for every purpose using them.
    now = new Date('2197-01-02T10:00:00Z');
    await services.retention.sweep();
    expect(await categoriesOf(id)).toEqual(['contact', 'identity', 'orders']);
    const held = await sql<{ category: string; purpose: string }>`select distinct category, purpose
      from subject_category_holds where subject_id = ${id} order by category`.execute(db.handle.db);
    expect(held.rows).toEqual([
      { category: 'contact', purpose: 'billing' },
      { category: 'identity', purpose: 'billing' },
    ]);

    const key = (
      await services.apiKeys.createApiKey(operator, {
        name: 'attacker',
        purposes: ['customer_relationship', 'barista_courses', 'billing'],
        actions: ['read'],
      })
    ).token;
    const get = (query: string) =>
      app.inject({
        method: 'GET',
        url: `/api/v1/subjects?${query}`,
        headers: { authorization: `Bearer ${key}` },
      });
    const unknown = `nobody.${randomBytes(4).toString('hex')}@example.fi`;
    for (const purpose of ['barista_courses', 'customer_relationship']) {
      for (const email of [address, address.toUpperCase()]) {
        const a = await get(`purpose=${purpose}&email=${encodeURIComponent(email)}`);
        const b = await get(`purpose=${purpose}&email=${encodeURIComponent(unknown)}`);
        // Status and body exactly as for an address nobody has.
        expect(a.statusCode, `${purpose} ${a.body}`).toBe(200);
        expect(a.statusCode).toBe(b.statusCode);
        expect(a.body).toBe(b.body);
        expect(a.json()).toEqual({ items: [], nextCursor: null });
      }
    }
    // Listing everyone: a purpose that sees nothing of the person does not list them; the
    // customer relationship still sees the live orders, and lists them with those only.
    const list = async (purpose: string) => {
      const found: Array<{ id: string; categories: Record<string, unknown> }> = [];
      let cursor: string | null = null;
      do {
        const res = await get(
          `purpose=${purpose}&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        expect(res.statusCode, res.body).toBe(200);
        const page = res.json<{
          items: Array<{ id: string; categories: Record<string, unknown> }>;
          nextCursor: string | null;
        }>();
        found.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      return found.find((v) => v.id === id);
    };
    expect(await list('barista_courses')).toBeUndefined();
    // The permission check under a purpose that sees nothing of the person: as an unknown id.
    const check = async (purpose: string, subject: string) =>
      (
        await services.permissions.check(operator, {
          purpose,
          subjectId: subject,
          channel: 'email',
        })
      ).reason.code;
    const nobody = '00000000-0000-4000-8000-000000000000';
    expect(await check('market_research', id)).toBe(await check('market_research', nobody));
    expect(await check('market_research', id)).toBe('unknown_subject');
    expect(await check('barista_courses', id)).toBe('unknown_subject');
    expect(Object.keys((await list('customer_relationship'))?.categories ?? {})).toEqual([
      'orders',
    ]);
    // Under the hold's own purpose the lookup works, with the held values.
    const billing = await get(`purpose=billing&email=${encodeURIComponent(address)}`);
    expect(billing.statusCode, billing.body).toBe(200);
    const items = billing.json<{
      items: Array<{
        id: string;
        categories: Record<string, Record<string, { value: unknown }>>;
      }>;
    }>().items;
    expect(items.map((v) => v.id)).toEqual([id]);
    expect(items[0]?.categories.contact?.email?.value).toBe(address);
    expect(Object.keys(items[0]?.categories ?? {}).sort()).toEqual([
      'contact',
      'identity',
      'orders',
    ]);
    // A data subject's request still reaches them (their own data, whatever purpose keeps it).
    expect(await services.subjects.matchForRequest(operator, { email: address })).toEqual([id]);
    // Bad input is refused naming the field, as for anyone.
    const bad = await get('purpose=barista_courses&email=not-an-address');
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('email');
  });

  it('as an attacker: a person held only for billing is, under another purpose, an unknown id to a read or a write, in no audience, and their held address is taken to a create and an import as any other', async () => {
    // As above: customers whose identity and contact a hold keeps for billing only, their orders
    // live on for the customer relationship. The only people added after 2290.
    now = new Date('2290-03-02T10:00:00Z');
    const address = `testi.pidossa.${randomBytes(4).toString('hex')}@example.fi`;
    const importedAddress = `testi.tuotu.${randomBytes(4).toString('hex')}@example.fi`;
    const people: string[] = [];
    for (const email of [address, importedAddress]) {
      people.push(
        await create({
          identity: { firstName: 'Testi', lastName: 'Pidossa' },
          contact: { email },
          orders: { orderCount: 1, paymentMethod: 'invoice' },
        }),
      );
    }
    const [id = '', other = ''] = people;
    const since = { createdAfter: '2290-01-01T00:00:00.000Z' };
    const audienceOf = async () => {
      const q = { purpose: 'market_research', channel: 'email', ...since };
      const { count } = await services.audiences.count(operator, q);
      let csv = '';
      for await (const line of services.audiences.exportCsv(operator, q).lines) {
        csv += line;
      }
      return { count, csv };
    };
    // Market research reaches them by e-mail (an opt-out basis, nobody refused): its audience.
    const before = await audienceOf();
    expect(before.count).toBe(2);
    expect(before.csv).toContain(id);
    now = new Date('2290-06-01T10:00:00Z');
    for (const p of people) {
      await services.retention.endRelationship(operator, p, 'customer_relationship');
    }
    now = new Date('2291-03-01T10:00:00Z');
    for (const p of people) {
      await services.subjects.updateSubject(operator, p, {
        purpose: 'billing',
        source: 'subject',
        values: { orders: { orderCount: 2 } },
      });
    }
    now = new Date('2297-01-02T10:00:00Z');
    await services.retention.sweep();
    const held = await sql<{ category: string; purpose: string }>`select distinct category, purpose
      from subject_category_holds where subject_id = ${id} order by category`.execute(db.handle.db);
    expect(held.rows).toEqual([
      { category: 'contact', purpose: 'billing' },
      { category: 'identity', purpose: 'billing' },
    ]);

    // Out of the market research audience: neither counted nor exported (no id, no link).
    const after = await audienceOf();
    expect(after.count).toBe(0);
    expect(after.csv).not.toContain(id);
    expect(after.csv.trim().split('\n')).toHaveLength(1); // the header only

    const key = (
      await services.apiKeys.createApiKey(operator, {
        name: 'attacker-by-id',
        purposes: ['barista_courses', 'market_research', 'billing', 'customer_relationship'],
        actions: ['read', 'write'],
      })
    ).token;
    const call = (method: 'GET' | 'PATCH' | 'POST', url: string, payload?: object) =>
      app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${key}` },
        ...(payload ? { payload } : {}),
      });
    const nobody = '0190c6a4-1f2e-7b3c-8d4e-5f6a7b8c9d2b';
    const same = async (
      path: (who: string) => string,
      method: 'GET' | 'PATCH' = 'GET',
      payload?: object,
    ) => {
      const a = await call(method, path(id), payload);
      const b = await call(method, path(nobody), payload);
      expect(a.statusCode, a.body).toBe(404);
      expect(a.statusCode).toBe(b.statusCode);
      expect(a.body.replaceAll(id, 'ID')).toBe(b.body.replaceAll(nobody, 'ID'));
    };
    // Read by id, its history, and a write by id: word for word as for an unknown id.
    for (const purpose of ['barista_courses', 'market_research']) {
      await same((who) => `/api/v1/subjects/${who}?purpose=${purpose}`);
      await same((who) => `/api/v1/subjects/${who}/history?purpose=${purpose}`);
    }
    await same((who) => `/api/v1/subjects/${who}`, 'PATCH', {
      purpose: 'barista_courses',
      source: 'subject',
      values: { identity: { firstName: 'Kurssi', lastName: 'Laiset' } },
    });
    // The hold's purpose reads them with the held values; the customer relationship, the orders.
    const billing = await call('GET', `/api/v1/subjects/${id}?purpose=billing`);
    expect(billing.statusCode, billing.body).toBe(200);
    const view = billing.json<{ categories: { contact?: { email?: { value: string } } } }>();
    expect(view.categories.contact?.email?.value).toBe(address);
    const crm = await call('GET', `/api/v1/subjects/${id}?purpose=customer_relationship`);
    expect(crm.statusCode, crm.body).toBe(200);
    expect(Object.keys(crm.json<{ categories: object }>().categories)).toEqual(['orders']);

    // A create under the course purpose with the held address is refused as with an address a
    // live person holds: the same conflict, word for word, which says that someone has the address
    // (addresses are unique), not who, nor that a hold keeps it (docs/retention.md).
    const taken = `testi.varattu.${randomBytes(4).toString('hex')}@example.fi`;
    const live = await create({
      identity: { firstName: 'Testi', lastName: 'Elossa' },
      contact: { email: taken },
      orders: { orderCount: 1, paymentMethod: 'card' },
    });
    const createWith = (email: string) =>
      call('POST', '/api/v1/subjects', {
        purpose: 'barista_courses',
        source: 'subject',
        values: { identity: { firstName: 'Testi', lastName: 'Kurssi' }, contact: { email } },
      });
    const onHeld = await createWith(address);
    const onTaken = await createWith(taken);
    expect(onHeld.statusCode, onHeld.body).toBe(409);
    expect(onHeld.statusCode).toBe(onTaken.statusCode);
    expect(onHeld.body).toBe(onTaken.body);
    expect(onHeld.body).not.toContain(id);
    // Nobody new: the course purpose finds no one by either address, the hold's purpose the held
    // person alone, whose writes under it go on.
    const ids = async (purpose: string, email: string) => {
      const res = await call(
        'GET',
        `/api/v1/subjects?purpose=${purpose}&email=${encodeURIComponent(email)}`,
      );
      expect(res.statusCode, res.body).toBe(200);
      return res.json<{ items: Array<{ id: string }> }>().items.map((v) => v.id);
    };
    expect(await ids('barista_courses', address)).toEqual([]);
    expect(await ids('billing', address)).toEqual([id]);
    await services.subjects.updateSubject(operator, id, {
      purpose: 'billing',
      source: 'subject',
      values: { contact: { phone: '+358 40 555 0199' }, orders: { orderCount: 3 } },
    });
    expect(await ids('billing', address)).toEqual([id]);

    // An import under the course purpose: the other held person's address is skipped as a
    // duplicate, as the live person's is, and nothing of theirs changes.
    const dir = await mkdtemp(join(tmpdir(), 'rekisteri-held-import-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const mapping = checkMapping(
      {
        purpose: 'barista_courses',
        source: 'partner',
        dedupe: 'skip',
        columns: {
          Etunimi: 'identity.firstName',
          Sukunimi: 'identity.lastName',
          Email: 'contact.email',
        },
      },
      services.register,
    );
    const importOf = async (name: string, email: string) => {
      const file = join(dir, name);
      await writeFile(file, `Etunimi,Sukunimi,Email\nTesti,Tuonti ${name},${email}\n`);
      return services.imports.importFile(operator, { file, mapping });
    };
    const counts = (r: { created: number; skipped: number; merged: number; rejected: number }) => ({
      created: r.created,
      skipped: r.skipped,
      merged: r.merged,
      rejected: r.rejected,
    });
    const onHeldImport = await importOf('held.csv', importedAddress);
    const onTakenImport = await importOf('taken.csv', taken);
    expect(counts(onHeldImport)).toEqual({ created: 0, skipped: 1, merged: 0, rejected: 0 });
    expect(counts(onTakenImport)).toEqual(counts(onHeldImport));
    expect(await ids('barista_courses', importedAddress)).toEqual([]);
    expect(await ids('billing', importedAddress)).toEqual([other]);
    const heldView = await call('GET', `/api/v1/subjects/${other}?purpose=billing`);
    expect(heldView.json<{ categories: { identity?: object } }>().categories.identity).toEqual(
      expect.objectContaining({ lastName: expect.objectContaining({ value: 'Pidossa' }) }),
    );
    expect(live).toBeTruthy();
  });

  it('ends or resumes a relationship only under a purpose the person has data under, and resumes only under the purpose that ended it', async () => {
    now = new Date('2170-01-10T10:00:00Z');
    const customer = await create({
      identity: { firstName: 'Testi', lastName: 'Verkkokauppa' },
      orders: { orderCount: 1, paymentMethod: 'card' },
    });
    const unknownId = '0190c6a4-1f2e-7b3c-8d4e-5f6a7b8c9d1a';
    const courses = (
      await services.apiKeys.createApiKey(operator, {
        name: 'courses',
        purposes: ['barista_courses'],
        actions: ['read', 'write'],
      })
    ).token;
    const post = (who: string, key: string, purpose: string, verb: string) =>
      app.inject({
        method: 'POST',
        url: `/api/v1/subjects/${who}/relationship/${verb}`,
        headers: { authorization: `Bearer ${key}` },
        payload: { purpose },
      });
    // The course key cannot end (or resume) the webshop relationship of a person who never took
    // a course: the answer is the unknown id's, word for word.
    for (const verb of ['end', 'resume']) {
      const real = await post(customer, courses, 'barista_courses', verb);
      const stranger = await post(unknownId, courses, 'barista_courses', verb);
      expect(real.statusCode).toBe(404);
      expect(real.body.replaceAll(customer, 'ID')).toBe(stranger.body.replaceAll(unknownId, 'ID'));
    }
    expect((await services.retention.ofSubject(customer)).relationshipEndedAt).toBeNull();

    // A person who is both a customer and a course participant: ended by the webshop, the
    // course key may not resume it; the webshop may.
    const both = await create({ identity: { firstName: 'Testi', lastName: 'Kurssilainen' } });
    await services.subjects.updateSubject(operator, both, {
      purpose: 'barista_courses',
      source: 'subject',
      values: { courses: { courseName: 'Latte art' } },
    });
    expect((await endRelationship(both, { purpose: 'customer_relationship' })).statusCode).toBe(
      200,
    );
    const endedBy = async () =>
      (
        await sql<{ relationship_ended_by: string | null }>`select relationship_ended_by
          from subject_retention where subject_id = ${both}`.execute(db.handle.db)
      ).rows[0]?.relationship_ended_by;
    expect(await endedBy()).toBe('customer_relationship');
    const notTheirs = await post(both, courses, 'barista_courses', 'resume');
    expect(notTheirs.statusCode, notTheirs.body).toBe(409);
    expect(
      notTheirs.json<{ errors: Array<{ field: string }> }>().errors.map((e) => e.field),
    ).toEqual(['purpose']);
    expect((await services.retention.ofSubject(both)).relationshipEndedAt).toBe(
      '2170-01-10T10:00:00.000Z',
    );
    const mine = await post(both, token, 'customer_relationship', 'resume');
    expect(mine.statusCode, mine.body).toBe(200);
    expect((await services.retention.ofSubject(both)).relationshipEndedAt).toBeNull();
    // The course key may end it for its own courses; the purpose is recorded.
    const ended = await post(both, courses, 'barista_courses', 'end');
    expect(ended.statusCode, ended.body).toBe(200);
    expect(await endedBy()).toBe('barista_courses');
  });

  it('a sweep that dies between the data and the key store is finished from the erasure journal', async () => {
    now = new Date('2130-03-02T10:00:00Z');
    const people: string[] = [];
    for (let i = 0; i < 3; i++) {
      people.push(await create({ identity: { firstName: 'Testi', lastName: `Avaimet${i}` } }));
      const res = await endRelationship(people[i]!, { purpose: 'customer_relationship' });
      expect(res.statusCode, res.body).toBe(200);
    }
    now = new Date('2137-01-02T10:00:00Z');
    expect(await keys.present(people)).toHaveLength(3);
    // The key store refuses to destroy keys (down, or the process killed after the data commit).
    await sql`create function refuse_key_delete() returns trigger language plpgsql as
                $$ begin raise exception 'key store unavailable'; end $$`.execute(keys.db);
    await sql`create trigger refuse_key_delete before delete on person_keys
                for each row execute function refuse_key_delete()`.execute(keys.db);
    try {
      const r = await services.retention.sweep({ batchSize: 2 });
      expect(r.erased).toBeGreaterThanOrEqual(3);
    } finally {
      await sql`drop trigger refuse_key_delete on person_keys`.execute(keys.db);
      await sql`drop function refuse_key_delete()`.execute(keys.db);
    }
    // The data are gone and journalled; the keys are still there until the journal is applied.
    for (const id of people) {
      expect(await erased(id)).toBe(true);
      expect(await categoriesOf(id)).toEqual([]);
    }
    expect(await keys.present(people)).toHaveLength(3);
    const journalled = await sql<{ n: number }>`
      select count(*)::int as n from erasure_journal
       where reason = 'retention' and subject_id = any(${`{${people.join(',')}}`}::uuid[])`.execute(
      db.handle.db,
    );
    expect(journalled.rows[0]?.n).toBe(3);
    // The key store's cleaning job applies the journal: the keys go, nobody is erased twice.
    const applied = await services.subjects.reconcileErasures();
    expect(applied.keysDestroyed).toBeGreaterThanOrEqual(3);
    expect(applied.subjectsErased).toBe(0);
    expect(await keys.present(people)).toEqual([]);
    // A rerun finds nothing more to do for them; each was logged once, in a chain that verifies.
    const again = await services.retention.sweep();
    expect(again.erased).toBe(0);
    const logged = await sql<{ action: string; n: number }>`
      select action, count(*)::int as n from audit_events
       where subject_id = any(${`{${people.join(',')}}`}::uuid[])
         and action in ('subject.expire', 'subject.erase')
       group by action`.execute(db.handle.db);
    expect(logged.rows).toEqual([{ action: 'subject.expire', n: 3 }]);
    expect((await services.audit.verify()).ok).toBe(true);
  });

  it('answers only once the key store has destroyed the keys of every batch, though it is slow', async () => {
    now = new Date('2140-03-02T10:00:00Z');
    const people: string[] = [];
    for (let i = 0; i < 5; i++) {
      people.push(await create({ identity: { firstName: 'Testi', lastName: `Hidas${i}` } }));
      await services.retention.endRelationship(operator, people[i]!, 'customer_relationship');
    }
    now = new Date('2147-01-02T10:00:00Z');
    // Each erase in the key store takes a while: the lanes go on to their next batch meanwhile.
    await sql`create function slow_key_delete() returns trigger language plpgsql as
                $$ begin perform pg_sleep(0.3); return null; end $$`.execute(keys.db);
    await sql`create trigger slow_key_delete before delete on person_keys
                for each statement execute function slow_key_delete()`.execute(keys.db);
    try {
      const r = await services.retention.sweep({ batchSize: 2, concurrency: 2 });
      expect(r.erased).toBe(5);
      // Not one key left when the sweep answers, the last batches' included.
      expect(await keys.present(people)).toEqual([]);
    } finally {
      await sql`drop trigger slow_key_delete on person_keys`.execute(keys.db);
      await sql`drop function slow_key_delete()`.execute(keys.db);
    }
    for (const id of people) {
      expect(await erased(id)).toBe(true);
      expect(await categoriesOf(id)).toEqual([]);
    }
  });
});

describe('rekisteri retention sweep: its options', () => {
  const parse = async (args: string[]) => {
    const cmd = retentionCommand();
    let err = '';
    for (const c of [cmd, ...cmd.commands]) {
      c.exitOverride().configureOutput({ writeErr: (s) => (err += s), writeOut: () => undefined });
    }
    // A parse stops at the options, before any database opens: the action never runs here.
    const sweep = cmd.commands.find((c) => c.name() === 'sweep');
    sweep?.action(() => undefined);
    await cmd.parseAsync(['sweep', ...args], { from: 'user' }).catch(() => undefined);
    return { err, opts: sweep?.opts() ?? {} };
  };

  it('takes --concurrency from 1 to 8 and refuses anything else, naming the option', async () => {
    expect((await parse(['--concurrency', '3'])).opts).toMatchObject({ concurrency: 3 });
    expect((await parse([])).opts).toMatchObject({ concurrency: 1, batch: 1000 });
    for (const bad of ['0', '9', '-1', '1.5', 'two', '']) {
      const r = await parse(['--concurrency', bad]);
      expect(r.err, bad).toMatch(/--concurrency <n>.*expected a whole number from 1 to 8/);
    }
  });
});

describe.each(DATABASES)(
  'the permission ledger of a person held for another purpose on %s',
  (kind) => {
    const cleanup: Array<() => Promise<void>> = [];
    let services: Services;
    let app: Awaited<ReturnType<typeof createApp>>;
    let db: Awaited<ReturnType<typeof openTestDatabase>>;
    let now = new Date('2290-03-02T10:00:00Z');
    let held = '';
    const nobody = '0190c6a4-1f2e-7b3c-8d4e-5f6a7b8c9d2b';
    const keyFor = async (purposes: string[]) =>
      (
        await services.apiKeys.createApiKey(operator, {
          name: `ledger-${purposes.join('-')}`,
          purposes,
          actions: ['read', 'write'],
        })
      ).token;
    const call = (key: string, method: 'GET' | 'POST', url: string, payload?: object) =>
      app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${key}` },
        ...(payload ? { payload } : {}),
      });
    const ledgerRows = async () =>
      (
        await sql<{ state: string; method: string }>`select state, method from permission_history
        where subject_id = ${held} order by id`.execute(db.handle.db)
      ).rows;

    beforeAll(async () => {
      const register = parseDefinition(await readFile(DEMO, 'utf8'));
      db = await openTestDatabase(kind);
      const ks = await openTestKeyStore(kind);
      cleanup.push(
        () => db.dispose(),
        () => ks.dispose(),
      );
      services = createServices({
        database: db.handle,
        keys: ks.keys,
        register,
        vault: createVault(randomBytes(32)),
        clock: { now: () => now },
      });
      app = await createApp(services);
      cleanup.push(() => app.close());
      // A customer who refused the newsletter by e-mail; years on, their identity and contact
      // are kept by a hold for billing only, their orders live on for the customer relationship
      // (as in the attacker tests of the sweep above).
      held = (
        await services.subjects.createSubject(operator, {
          purpose: 'customer_relationship',
          source: 'subject',
          values: {
            identity: { firstName: 'Testi', lastName: 'Pidossa' },
            contact: { email: `testi.pidossa.${randomBytes(4).toString('hex')}@example.fi` },
            orders: { orderCount: 1, paymentMethod: 'invoice' },
          },
        })
      ).id;
      await services.permissions.record(
        operator,
        held,
        [{ kind: 'newsletter', channel: 'email', state: 'refused' }],
        { method: 'api' },
      );
      now = new Date('2290-06-01T10:00:00Z');
      await services.retention.endRelationship(operator, held, 'customer_relationship');
      now = new Date('2291-03-01T10:00:00Z');
      await services.subjects.updateSubject(operator, held, {
        purpose: 'billing',
        source: 'subject',
        values: { orders: { orderCount: 2 } },
      });
      now = new Date('2297-01-02T10:00:00Z');
      await services.retention.sweep();
      const holds = await sql<{
        category: string;
        purpose: string;
      }>`select distinct category, purpose
      from subject_category_holds where subject_id = ${held} order by category`.execute(
        db.handle.db,
      );
      expect(holds.rows).toEqual([
        { category: 'contact', purpose: 'billing' },
        { category: 'identity', purpose: 'billing' },
      ]);
    });
    afterAll(async () => {
      for (const fn of cleanup.reverse()) {
        await fn();
      }
    });

    it('as an attacker: under purposes that see none of their data the ledger by id answers as for an unknown id, and records nothing', async () => {
      const key = await keyFor(['barista_courses', 'newsletter']);
      const before = await ledgerRows();
      expect(before.map((r) => r.state)).toEqual(['refused']);
      const same = async (method: 'GET' | 'POST', path: string, payload?: object) => {
        const a = await call(key, method, path.replace('ID', held), payload);
        const b = await call(key, method, path.replace('ID', nobody), payload);
        expect(a.statusCode, `${method} ${path}: ${a.body}`).toBe(b.statusCode);
        expect(a.body.replaceAll(held, 'ID'), `${method} ${path}`).toBe(
          b.body.replaceAll(nobody, 'ID'),
        );
        return a;
      };
      expect((await same('GET', '/api/v1/subjects/ID/permissions')).statusCode).toBe(404);
      expect((await same('GET', '/api/v1/subjects/ID/consent-receipts')).statusCode).toBe(404);
      // A withdrawal, and a grant with its wording: 404 as for a random id, and nothing recorded.
      for (const state of ['withdrawn', 'granted'] as const) {
        const r = await same('POST', '/api/v1/subjects/ID/permissions', {
          changes: [{ kind: 'newsletter', channel: 'email', state }],
          evidence: {
            method: 'form',
            ...(state === 'granted'
              ? { wording: { text: 'Kyllä, lähettäkää uutiskirje.', language: 'fi' } }
              : {}),
          },
        });
        expect(r.statusCode, r.body).toBe(404);
      }
      // Bad input is refused alike, naming the field, before anyone is looked up.
      const bad = await same('POST', '/api/v1/subjects/ID/permissions', {
        changes: [{ kind: 'newsletter', channel: 'email', state: 'maybe' }],
        evidence: { method: 'form' },
      });
      expect(bad.statusCode).toBe(400);
      expect(bad.body).toMatch(/changes.*state/);
      // The check: unknown_subject without the ledger's state (the refusal), as for a random id.
      const checked = await same(
        'GET',
        '/api/v1/permissions/check?purpose=newsletter&channel=email&subject=ID',
      );
      expect(checked.json<{ state: unknown; reason: { code: string } }>()).toMatchObject({
        state: null,
        reason: { code: 'unknown_subject' },
      });
      // Even for the operator the check under newsletter (which sees nothing of them) says no state.
      const op = await services.permissions.check(operator, {
        purpose: 'newsletter',
        subjectId: held,
        channel: 'email',
      });
      expect({ code: op.reason.code, state: op.state }).toEqual({
        code: 'unknown_subject',
        state: null,
      });
      expect(await ledgerRows()).toEqual(before);
    });

    it("the hold's purpose, a purpose that sees their orders, the operator and the person themself still see and change their ledger", async () => {
      for (const purposes of [['billing'], ['customer_relationship', 'newsletter']]) {
        const key = await keyFor(purposes);
        const r = await call(key, 'GET', `/api/v1/subjects/${held}/permissions`);
        expect(r.statusCode, `${purposes.join(',')}: ${r.body}`).toBe(200);
        expect(r.json<{ state: Array<{ state: string }> }>().state.map((s) => s.state)).toEqual([
          'refused',
        ]);
        const receipts = await call(key, 'GET', `/api/v1/subjects/${held}/consent-receipts`);
        expect(receipts.statusCode, receipts.body).toBe(200);
        expect(receipts.json<{ receipts: unknown[] }>().receipts).toEqual([]);
      }
      expect((await services.permissions.stateOf(operator, held)).map((s) => s.state)).toEqual([
        'refused',
      ]);
      // The person themself withdraws (the ledger as the person; the portal's preference page no
      // longer finds them, test/portal-held.test.ts): recorded (a "no" is never harder to say
      // than what it stops), and the hold's purpose sees it.
      const own = await services.permissions.record(
        subjectActor(held),
        held,
        [{ kind: 'newsletter', channel: 'email', state: 'withdrawn' }],
        { method: 'preference_page' },
      );
      expect(own.recorded.map((r) => r.state)).toEqual(['withdrawn']);
      expect((await services.permissions.stateOf(subjectActor(held), held))[0]?.state).toBe(
        'withdrawn',
      );
      const billing = await call(
        await keyFor(['billing']),
        'GET',
        `/api/v1/subjects/${held}/permissions`,
      );
      expect(billing.json<{ state: Array<{ state: string }> }>().state.map((s) => s.state)).toEqual(
        ['withdrawn'],
      );
      // A refusal by a purpose that sees them (the customer relationship) is recorded too.
      const crm = await call(
        await keyFor(['customer_relationship']),
        'POST',
        `/api/v1/subjects/${held}/permissions`,
        {
          changes: [{ kind: 'newsletter', channel: '*', state: 'refused' }],
          evidence: { method: 'api' },
        },
      );
      expect(crm.statusCode, crm.body).toBe(200);
      expect((await ledgerRows()).map((r) => r.state)).toEqual(['refused', 'withdrawn', 'refused']);
    });
  },
);
