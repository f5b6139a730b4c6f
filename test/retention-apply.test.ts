/**
 * Which retention rules apply to whom (docs/retention.md): a rule counted from the end of the
 * customer relationship keeps the data of a person whose relationship began (a lasting mark set by
 * the first write under a relationship purpose) until it ends; once ended, by any purpose, it
 * counts from the end. For a person no relationship began for (data written only for marketing)
 * it counts from the category's collection. A held record's retention view names its hold and the
 * hold's end, not the rules. Through the service, the API and the real `rekisteri retention`
 * command. test/retention-related.test.ts tries the mark on every write path.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config/config.ts';
import { openDatabase } from '../src/db/database.ts';
import { openKeyStore } from '../src/keystore/keystore.ts';
import { operator } from '../src/lib/actor.ts';
import { parseDefinition } from '../src/modules/definition/loader.ts';
import { expiryOf } from '../src/modules/retention/index.ts';
import type { RetentionFacts } from '../src/modules/subjects/index.ts';
import { openRuntime } from '../src/runtime.ts';
import { createServices, type Services } from '../src/services.ts';
import { createVault } from '../src/vault/vault.ts';
import { DATABASES, DEMO, openTestDatabase, openTestKeyStore, ROOT } from './helpers.ts';

/**
 * The demo register with a category `membership` that only two purposes use: `service` (legal
 * basis contract, rule `after_contract`: six months from the end of the relationship) and
 * `customer_marketing` (legitimate interest, rule `marketing_activity`: two years from the last
 * activity). The demo's bookkeeping holds stay (orders).
 */
async function registerText(): Promise<string> {
  const doc = parse(await readFile(DEMO, 'utf8')) as {
    categories: Array<{ id: string; fields: Array<Record<string, unknown>> }>;
    sources: Array<{ categories: string[] }>;
    purposes: Array<Record<string, unknown> & { id: string }>;
    retention: { rules: Array<Record<string, unknown>> };
  };
  const social = doc.categories.find((c) => c.id === 'social')!;
  doc.categories.push({
    ...social,
    id: 'membership',
    fields: [{ ...social.fields[0], id: 'memberNo', type: 'text' }],
  });
  doc.sources[0]!.categories.push('membership');
  const contract = doc.purposes.find((p) => p.id === 'customer_relationship')!;
  const interest = doc.purposes.find((p) => p.id === 'legal_claims')!;
  doc.purposes.push(
    { ...contract, id: 'service', categories: ['membership'], retention: 'after_contract' },
    {
      ...interest,
      id: 'customer_marketing',
      categories: ['membership'],
      retention: 'marketing_activity',
    },
  );
  const label = doc.retention.rules[0]!.label;
  doc.retention.rules.push(
    { id: 'after_contract', duration: 'P6M', from: 'end_of_relationship', label },
    { id: 'marketing_activity', duration: 'P2Y', from: 'last_activity', label },
  );
  return stringify(doc);
}

const member = (no: string) => ({ membership: { memberNo: no } });

describe('an end-of-relationship rule and a person who never had a relationship', () => {
  it('keeps a related person until the relationship ends, and counts from collection for one who never had one', async () => {
    const register = parseDefinition(await registerText());
    const at = new Date('2023-06-01T09:00:00Z');
    const facts = (over: Partial<RetentionFacts>): RetentionFacts => ({
      id: '0190c6a4-1f2e-7b3c-8d4e-5f6a7b8c9d0e',
      lastActivityAt: at,
      relationshipEndedAt: null,
      relatedAt: null,
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
    const row = (...purposes: string[]) => ({
      category: 'membership',
      collectedAt: at,
      updatedAt: at,
      purposes,
    });
    // Doris: written for marketing only, no relationship ever began. The contract's rule counts
    // from the collection (2023-12-01), marketing's from her last activity (2025-06-01).
    const [doris] = expiryOf(register, facts({ rows: [row('customer_marketing')] }), '2026-12-01');
    expect(doris).toMatchObject({
      until: '2025-06-01',
      rules: ['marketing_activity'],
      expired: true,
    });
    expect(doris?.purposes.find((p) => p.purpose === 'service')).toEqual({
      purpose: 'service',
      rule: 'after_contract',
      countedFrom: 'collection',
      until: '2023-12-01',
    });
    // The same person marked related (a customer whose field a marketer re-tagged): kept.
    const [retagged] = expiryOf(
      register,
      facts({ rows: [row('customer_marketing')], relatedAt: at }),
      '2040-01-01',
    );
    expect(retagged).toMatchObject({ until: null, rules: ['after_contract'], expired: false });
    expect(retagged?.purposes.find((p) => p.purpose === 'service')?.countedFrom).toBe(
      'end_of_relationship',
    );
    // A customer (collected for the service), relationship not ended: kept with no end.
    const [customer] = expiryOf(
      register,
      facts({ rows: [row('service')], relatedAt: at }),
      '2040-01-01',
    );
    expect(customer).toMatchObject({ until: null, rules: ['after_contract'], expired: false });
    // A field still collected for the service keeps the person related even with no mark (a
    // purpose that became a relationship purpose after the write).
    const [mixed] = expiryOf(
      register,
      facts({ rows: [row('customer_marketing', 'service')] }),
      '2040-01-01',
    );
    expect(mixed).toMatchObject({ until: null, expired: false });
    // Data of a purpose resting on another contract (courses) in another category make a
    // relationship too: the service's rule keeps this category until it ends.
    const course = { category: 'courses', collectedAt: at, updatedAt: at };
    const [withCourse] = expiryOf(
      register,
      facts({ rows: [row('customer_marketing'), { ...course, purposes: ['barista_courses'] }] }),
      '2040-01-01',
    );
    expect(withCourse).toMatchObject({ category: 'membership', until: null, expired: false });
    // Ended seven months ago, last active a year ago: the contract's rule has ended (2026-11-01),
    // marketing keeps the category until 2027-12-01.
    const [ended] = expiryOf(
      register,
      facts({
        rows: [row('service')],
        relationshipEndedAt: new Date('2026-05-01T09:00:00Z'),
        lastActivityAt: new Date('2025-12-01T09:00:00Z'),
      }),
      '2026-12-01',
    );
    expect(ended).toMatchObject({
      until: '2027-12-01',
      rules: ['marketing_activity'],
      expired: false,
    });
    expect(ended?.purposes.find((p) => p.purpose === 'service')?.until).toBe('2026-11-01');
    // One relationship per person: once ended (here by another contract purpose), the rule
    // counts from the end even for a person with no data collected for the service.
    const [endedElsewhere] = expiryOf(
      register,
      facts({
        rows: [row('customer_marketing')],
        relationshipEndedAt: new Date('2026-05-01T09:00:00Z'),
      }),
      '2026-12-01',
    );
    expect(endedElsewhere?.purposes.find((p) => p.purpose === 'service')?.until).toBe('2026-11-01');
  });
});

describe.each(DATABASES)('retention of people with and without a relationship on %s', (kind) => {
  const cleanup: Array<() => Promise<void>> = [];
  let services: Services;
  let app: Awaited<ReturnType<typeof createApp>>;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let now = new Date('2023-06-01T09:00:00Z');
  let token: string;
  const ids: Record<string, string> = {};

  const create = async (purpose: string, values: Record<string, Record<string, unknown>>) =>
    (await services.subjects.createSubject(operator, { purpose, source: 'subject', values })).id;
  const retentionOf = async (id: string) =>
    app.inject({
      method: 'GET',
      url: `/api/v1/subjects/${id}/retention`,
      headers: { authorization: `Bearer ${token}` },
    });
  const erased = async (id: string) =>
    (
      await sql<{
        erased_at: Date | null;
      }>`select erased_at from subjects where id = ${id}`.execute(db.handle.db)
    ).rows[0]?.erased_at !== null;

  beforeAll(async () => {
    const register = parseDefinition(await registerText());
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
    token = (
      await services.apiKeys.createApiKey(operator, {
        name: 'crm',
        purposes: ['service', 'customer_marketing', 'customer_relationship'],
        actions: ['read', 'write', 'handle_requests'],
      })
    ).token;
    const end = async (id: string, purpose: string) => {
      const res = await app.inject({
        method: 'POST',
        url: `/api/v1/subjects/${id}/relationship/end`,
        headers: { authorization: `Bearer ${token}` },
        payload: { purpose },
      });
      return res.statusCode;
    };

    // 3 June 2019: a customer with orders (the bookkeeping holds), whose relationship ends
    // on 15 January 2020.
    now = new Date('2019-06-03T09:00:00Z');
    ids.held = await create('customer_relationship', {
      identity: { firstName: 'Hilkka', lastName: 'Vaara' },
      orders: { orderCount: 2, paymentMethod: 'invoice' },
    });
    now = new Date('2020-01-15T09:00:00Z');
    expect(await end(ids.held, 'customer_relationship')).toBe(200);
    // 1 June 2023: Doris, collected for marketing only, and Carl, a customer of the service.
    now = new Date('2023-06-01T09:00:00Z');
    ids.doris = await create('customer_marketing', member('D-1'));
    ids.carl = await create('service', member('C-1'));
    // Her relationship cannot be ended: she has no data collected for the service.
    expect(await end(ids.doris, 'service')).toBe(404);
    // Erik: a customer since 2024, last active on 1 December 2025, his relationship ended on
    // 1 May 2026 (seven months before the sweep).
    now = new Date('2024-01-10T09:00:00Z');
    ids.erik = await create('service', member('E-1'));
    now = new Date('2025-12-01T09:00:00Z');
    await services.subjects.updateSubject(operator, ids.erik, {
      purpose: 'service',
      source: 'subject',
      values: member('E-2'),
    });
    now = new Date('2026-05-01T09:00:00Z');
    expect(await end(ids.erik, 'service')).toBe(200);
    now = new Date('2026-12-01T09:00:00Z');
  });
  afterAll(async () => {
    for (const fn of cleanup.reverse()) {
      await fn();
    }
  });

  it('plans, shows and sweeps: a person written only for marketing expires by her rules from collection and activity; customers stay', async () => {
    const plan = await services.retention.plan();
    // The former customer with orders (to a held record) and Doris.
    expect(plan.erase).toBe(2);
    expect(plan.rows.filter((r) => r.category === 'membership')).toEqual([
      { rule: 'marketing_activity', category: 'membership', people: 1 },
    ]);

    const doris = await retentionOf(ids.doris!);
    expect(doris.statusCode, doris.body).toBe(200);
    expect(doris.json()).toMatchObject({
      relationshipStartedAt: null,
      relationshipBegan: false,
      relationshipEndedAt: null,
      heldRecord: null,
      categories: [
        {
          category: 'membership',
          until: '2025-06-01',
          rules: ['marketing_activity'],
          expired: true,
          held: false,
          purposes: expect.arrayContaining([
            {
              purpose: 'service',
              rule: 'after_contract',
              countedFrom: 'collection',
              until: '2023-12-01',
            },
            {
              purpose: 'customer_marketing',
              rule: 'marketing_activity',
              countedFrom: 'last_activity',
              until: '2025-06-01',
            },
          ]),
        },
      ],
    });
    const carl = await services.retention.ofSubject(ids.carl!);
    expect(carl).toMatchObject({
      relationshipStartedAt: '2023-06-01T09:00:00.000Z',
      relationshipBegan: true,
    });
    expect(carl.categories).toMatchObject([
      { until: null, rules: ['after_contract'], expired: false },
    ]);
    const erik = await retentionOf(ids.erik!);
    expect(erik.json()).toMatchObject({
      categories: [{ until: '2027-12-01', rules: ['marketing_activity'], expired: false }],
    });

    const swept = await services.retention.sweep();
    expect(swept).toMatchObject({ erased: 2, heldRecords: 1, categoriesDeleted: 0 });
    expect(await erased(ids.doris!)).toBe(true);
    expect(await erased(ids.carl!)).toBe(false);
    expect(await erased(ids.erik!)).toBe(false);
    // Run again: nothing more.
    expect(await services.retention.sweep()).toMatchObject({ erased: 0, categoriesDeleted: 0 });
  });

  it("a held record's retention is its hold's: the purpose, the holds and their end, per category", async () => {
    // The sweep (again, when the test above ran it) moves the former customer's books to a
    // held record.
    await services.retention.sweep();
    const held = (
      await sql<{ id: string }>`select id from subjects where erased_from = ${ids.held!}`.execute(
        db.handle.db,
      )
    ).rows[0]?.id;
    expect(held).toBeDefined();
    const res = await retentionOf(held!);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<{ categories: Array<{ category: string }> }>();
    body.categories.sort((a, b) => a.category.localeCompare(b.category));
    // The books are kept ten years from the end of 2019; the record is the hold's, not a rule's.
    expect(body).toMatchObject({
      id: held,
      today: '2026-12-01',
      relationshipStartedAt: null,
      relationshipBegan: false,
      relationshipEndedAt: null,
      heldRecord: { purpose: 'billing', until: '2029-12-31', holds: ['accounting_books'] },
      categories: [
        {
          category: 'identity',
          until: '2029-12-31',
          rules: ['accounting_books'],
          expired: false,
          held: true,
          purposes: [],
        },
        {
          category: 'orders',
          until: '2029-12-31',
          rules: ['accounting_books'],
          expired: false,
          held: true,
          purposes: [],
        },
      ],
    });
    // The day after the hold ends it says so (the shredding job takes it then).
    now = new Date('2030-01-01T09:00:00Z');
    try {
      const after = await services.retention.ofSubject(held!);
      expect(after.categories.every((c) => c.expired && c.held)).toBe(true);
    } finally {
      now = new Date('2026-12-01T09:00:00Z');
    }
    // A person (not a held record) answers heldRecord null; an unknown id 404 as before.
    expect((await retentionOf(ids.carl!)).json()).toMatchObject({ heldRecord: null });
    expect((await retentionOf('0190c6a4-1f2e-7b3c-8d4e-5f6a7b8c9d0e')).statusCode).toBe(404);
  });
});

const exec = promisify(execFile);

describe('rekisteri retention plan --subject and sweep, the real command', () => {
  let dir: string;
  let env: Record<string, string>;
  const run = async (...args: string[]) => {
    try {
      const r = await exec(process.execPath, [join(ROOT, 'bin/rekisteri.js'), ...args], {
        cwd: dir,
        env,
        timeout: 60_000,
      });
      return { code: 0, out: r.stdout, err: r.stderr };
    } catch (e) {
      const x = e as { code: number; stdout: string; stderr: string };
      return { code: x.code, out: x.stdout, err: x.stderr };
    }
  };
  /** A calendar date `years` and `months` before now, at noon UTC. */
  const ago = (years: number, months = 0) => {
    const t = new Date();
    t.setUTCHours(12, 0, 0, 0);
    t.setUTCDate(1);
    t.setUTCMonth(t.getUTCMonth() - months);
    t.setUTCFullYear(t.getUTCFullYear() - years);
    return t;
  };
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rekisteri-retention-apply-'));
    const file = join(dir, 'register.yaml');
    await writeFile(file, await registerText());
    env = {
      ...Object.fromEntries(
        Object.entries(process.env).filter(
          ([k]) => !['DATABASE_URL', 'KEYSTORE_DATABASE_URL'].includes(k),
        ),
      ),
      REKISTERI_REGISTER: file,
      REKISTERI_MASTER_KEY: randomBytes(32).toString('hex'),
      REKISTERI_DATA: join(dir, 'data'),
      REKISTERI_KEYSTORE: join(dir, 'keystore'),
    };
    // The people are made now and then made old, as the retention benchmark does.
    const rt = await openRuntime(loadConfig({ ...env }));
    try {
      const create = async (purpose: string, values: Record<string, Record<string, unknown>>) =>
        (await rt.services.subjects.createSubject(operator, { purpose, source: 'subject', values }))
          .id;
      ids.doris = await create('customer_marketing', member('D-1'));
      ids.carl = await create('service', member('C-1'));
      ids.erik = await create('service', member('E-1'));
      ids.held = await create('customer_relationship', {
        identity: { firstName: 'Hilkka', lastName: 'Vaara' },
        orders: { orderCount: 2, paymentMethod: 'invoice' },
      });
      const db = rt.database.db;
      const age = async (id: string, collected: Date, active: Date, ended: Date | null) => {
        await sql`update subject_values set collected_at = ${collected}, updated_at = ${collected}
                   where subject_id = ${id}`.execute(db);
        await sql`update subjects set created_at = ${collected}, updated_at = ${active}
                   where id = ${id}`.execute(db);
        if (ended) {
          await sql`insert into subject_retention (subject_id, relationship_ended_at)
                    values (${id}, ${ended})
                    on conflict (subject_id) do update
                      set relationship_ended_at = excluded.relationship_ended_at`.execute(db);
        }
      };
      await age(ids.doris, ago(3, 6), ago(3, 6), null);
      await age(ids.carl, ago(3, 6), ago(3, 6), null);
      await age(ids.erik, ago(3), ago(1), ago(0, 7));
      // A held record made by an erasure request now (its values' collection times are sealed
      // with them: they cannot be made old): the books' hold keeps it ten years from the end of
      // this year.
      await rt.services.subjects.eraseSubject(operator, ids.held, 'request');
      ids.record = (
        await sql<{ id: string }>`select id from subjects where erased_from = ${ids.held}`.execute(
          db,
        )
      ).rows[0]?.id as string;
    } finally {
      await rt.close();
    }
  }, 120_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('shows Doris expired (no relationship began) and customers kept until a relationship ends, and the sweep erases only her', async () => {
    const plan = await run('retention', 'plan');
    expect(plan.code, plan.err).toBe(0);
    expect(plan.out).toContain('would erase 1 people whole');
    expect(plan.out).toMatch(/marketing_activity\s+membership\s+1 people/);
    const doris = await run('retention', 'plan', '--subject', ids.doris!);
    expect(doris.code, doris.err).toBe(0);
    expect(doris.out).toContain(
      'relationship began: no (rules from the end of the relationship count from collection)',
    );
    expect(doris.out).toMatch(
      /membership\s+until \d{4}-\d{2}-\d{2}\s+EXPIRED\s+\(marketing_activity\)/,
    );
    const carl = await run('retention', 'plan', '--subject', ids.carl!);
    expect(carl.out).toMatch(/relationship began: \d{4}-\d{2}-\d{2}/);
    expect(carl.out).toMatch(/membership\s+until no end yet\s+kept\s+\(after_contract\)/);
    const erik = await run('retention', 'plan', '--subject', ids.erik!);
    expect(erik.out).toMatch(
      /membership\s+until \d{4}-\d{2}-\d{2}\s+kept\s+\(marketing_activity\)/,
    );

    const swept = await run('retention', 'sweep');
    expect(swept.code, swept.err).toBe(0);
    expect(swept.out).toContain("erased 1 people (0 with a legal hold's categories kept)");

    const database = await openDatabase({ dataDir: join(dir, 'data') });
    let live: string[];
    try {
      live = (
        await sql<{ id: string }>`select id from subjects
           where erased_at is null and held_purpose is null order by id`.execute(database.db)
      ).rows.map((r) => r.id);
    } finally {
      await database.close();
    }
    expect(live.sort()).toEqual([ids.carl!, ids.erik!].sort());
  }, 180_000);

  it('shows a held record by its holds, their purpose and end, not by the rules', async () => {
    expect(ids.record).toBeDefined();
    const year = new Date().getUTCFullYear();
    const record = await run('retention', 'plan', '--subject', ids.record!);
    expect(record.code, record.err).toBe(0);
    expect(record.out).toContain(
      `held record: kept by the legal holds accounting_books, accounting_vouchers for billing until ${year + 10}-12-31`,
    );
    expect(record.out).toMatch(
      new RegExp(
        `identity\\s+until ${year + 10}-12-31\\s+kept by the hold\\s+\\(accounting_books, accounting_vouchers\\)`,
      ),
    );
    expect(record.out).toMatch(
      new RegExp(
        `orders\\s+until ${year + 10}-12-31\\s+kept by the hold\\s+\\(accounting_books, accounting_vouchers\\)`,
      ),
    );
    expect(record.out).not.toContain('relationship ended');
    expect(record.out).not.toContain('no end yet');
  }, 180_000);
});

describe('rekisteri retention sweep, the real command, on a person whose data have expired', () => {
  let dir: string;
  let env: Record<string, string>;
  let frida: string;
  let carl: string;
  const run = async (...args: string[]) => {
    try {
      const r = await exec(process.execPath, [join(ROOT, 'bin/rekisteri.js'), ...args], {
        cwd: dir,
        env,
        timeout: 60_000,
      });
      return { code: 0, out: r.stdout, err: r.stderr };
    } catch (e) {
      const x = e as { code: number; stdout: string; stderr: string };
      return { code: x.code, out: x.stdout, err: x.stderr };
    }
  };
  const yearsAgo = (years: number) => {
    const t = new Date();
    t.setUTCHours(12, 0, 0, 0);
    t.setUTCFullYear(t.getUTCFullYear() - years);
    return t;
  };
  /** The data database's and the key store's view of a person, each opened and closed here. */
  const state = async (id: string) => {
    const database = await openDatabase({ dataDir: join(dir, 'data') });
    let erased: boolean;
    let journalled: string[];
    try {
      erased =
        (
          await sql<{ erased: boolean }>`select erased_at is not null as erased from subjects
             where id = ${id}`.execute(database.db)
        ).rows[0]?.erased ?? true;
      journalled = (
        await sql<{ reason: string }>`select reason from erasure_journal
           where subject_id = ${id}`.execute(database.db)
      ).rows.map((r) => r.reason);
    } finally {
      await database.close();
    }
    const keys = await openKeyStore({ dir: join(dir, 'keystore', 'keys') });
    try {
      return {
        erased,
        journalled,
        key: (await keys.present([id])).length === 1,
        keyJournal: (await keys.journal()).filter((e) => e.subjectId === id).map((e) => e.reason),
      };
    } finally {
      await keys.close();
    }
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rekisteri-retention-sweep-'));
    const file = join(dir, 'register.yaml');
    await writeFile(file, await registerText());
    env = {
      ...Object.fromEntries(
        Object.entries(process.env).filter(
          ([k]) => !['DATABASE_URL', 'KEYSTORE_DATABASE_URL'].includes(k),
        ),
      ),
      REKISTERI_REGISTER: file,
      REKISTERI_MASTER_KEY: randomBytes(32).toString('hex'),
      REKISTERI_DATA: join(dir, 'data'),
      REKISTERI_KEYSTORE: join(dir, 'keystore'),
    };
    const rt = await openRuntime(loadConfig({ ...env }));
    try {
      const create = async (values: Record<string, Record<string, unknown>>) =>
        (
          await rt.services.subjects.createSubject(operator, {
            purpose: 'service',
            source: 'subject',
            values,
          })
        ).id;
      // Frida: a customer whose relationship ended two years ago, last active three years ago:
      // the service's six months and marketing's two years from the last activity have both run.
      frida = await create(member('F-1'));
      // Carl: a customer whose relationship has not ended.
      carl = await create(member('C-1'));
      const db = rt.database.db;
      await sql`update subject_values set collected_at = ${yearsAgo(4)}, updated_at = ${yearsAgo(4)}
                 where subject_id = ${frida}`.execute(db);
      await sql`update subjects set created_at = ${yearsAgo(4)}, updated_at = ${yearsAgo(3)}
                 where id = ${frida}`.execute(db);
      await sql`insert into subject_retention (subject_id, relationship_ended_at)
                values (${frida}, ${yearsAgo(2)})
                on conflict (subject_id) do update
                  set relationship_ended_at = excluded.relationship_ended_at`.execute(db);
    } finally {
      await rt.close();
    }
  }, 120_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a bad --batch or --concurrency naming the option, and erases no one', async () => {
    for (const [args, option, expected] of [
      [['--batch', '0'], '--batch', 'expected a whole number from 1 to 10000'],
      [['--batch', 'all'], '--batch', 'expected a whole number from 1 to 10000'],
      [['--concurrency', '9'], '--concurrency', 'expected a whole number from 1 to 8'],
    ] as const) {
      const r = await run('retention', 'sweep', ...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err).toContain(option);
      expect(r.err).toContain(expected);
      expect(r.out).not.toContain('erased');
    }
    expect(await state(frida)).toEqual({
      erased: false,
      journalled: [],
      key: true,
      keyJournal: [],
    });
  }, 180_000);

  it('erases the expired person, says so, and finishes the erasure journal: their key destroyed', async () => {
    const swept = await run('retention', 'sweep', '--batch', '1');
    expect(swept.code, swept.err).toBe(0);
    expect(swept.out).toContain(
      "erased 1 people (0 with a legal hold's categories kept), deleted 0 categories of others",
    );
    // Both journals name her, with the reason; her key is gone from the key store.
    expect(await state(frida)).toEqual({
      erased: true,
      journalled: ['retention'],
      key: false,
      keyJournal: ['retention'],
    });
    expect(await state(carl)).toMatchObject({ erased: false, key: true, journalled: [] });
    // Run again, it erases no one.
    const again = await run('retention', 'sweep');
    expect(again.code, again.err).toBe(0);
    expect(again.out).toContain("erased 0 people (0 with a legal hold's categories kept)");
  }, 180_000);
});
