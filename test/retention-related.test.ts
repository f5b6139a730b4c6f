/**
 * The lasting mark that a customer relationship began (docs/retention.md, "When data expire";
 * migration 0046): the first write of a person's data under a relationship purpose (resting on the
 * contract, or with a rule from the end of the relationship) marks them for good, on every write
 * path (create, rectification, an import's COPY, an import's merge); an end marks them too. A rule
 * from the end of the relationship keeps a marked person's data until it ends, and counts from the
 * category's collection for a person never marked (Doris, collected for marketing only). A
 * customer whose fields a marketer re-wrote, or whose service data were deleted, stays marked.
 * People stored before the migration count as customers. Through the service, the API and the
 * importer, on PGlite and PostgreSQL.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Migrator, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { createApp } from '../src/app.ts';
import { openDatabase, type DatabaseHandle } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { migrations } from '../src/db/migrations/index.ts';
import { operator } from '../src/lib/actor.ts';
import { parseDefinition } from '../src/modules/definition/loader.ts';
import type { Register } from '../src/modules/definition/register.ts';
import { checkMapping } from '../src/modules/imports/index.ts';
import { createServices, type Services } from '../src/services.ts';
import { createVault } from '../src/vault/vault.ts';
import {
  createPostgresDatabase,
  DATABASES,
  DEMO,
  openTestDatabase,
  openTestKeyStore,
} from './helpers.ts';

/**
 * The demo register with two more purposes sharing `identity`, `contact` and a category
 * `membership`: `service` (legal basis contract, rule `after_contract`: six months from the end
 * of the relationship; also the category `terms`, its own) and `customer_marketing` (legitimate
 * interest, rule `marketing_activity`: two years from the last activity). `identity` and `contact`
 * are also kept by the demo's purposes (bookkeeping: six years from the end of the financial year
 * of their last write).
 */
async function registerText(): Promise<string> {
  const doc = parse(await readFile(DEMO, 'utf8')) as {
    categories: Array<{ id: string; fields: Array<Record<string, unknown>> }>;
    sources: Array<{ categories?: string[] }>;
    purposes: Array<Record<string, unknown> & { id: string }>;
    retention: { rules: Array<Record<string, unknown>> };
  };
  const social = doc.categories.find((c) => c.id === 'social')!;
  doc.categories.push(
    {
      ...social,
      id: 'membership',
      fields: [{ ...social.fields[0], id: 'memberNo', type: 'text', selfEditable: true }],
    },
    { ...social, id: 'terms', fields: [{ ...social.fields[0], id: 'plan', type: 'text' }] },
  );
  for (const s of doc.sources) {
    s.categories?.push('membership', 'terms');
  }
  const contract = doc.purposes.find((p) => p.id === 'customer_relationship')!;
  const interest = doc.purposes.find((p) => p.id === 'legal_claims')!;
  doc.purposes.push(
    {
      ...contract,
      id: 'service',
      categories: ['identity', 'contact', 'membership', 'terms'],
      retention: 'after_contract',
    },
    {
      ...interest,
      id: 'customer_marketing',
      categories: ['identity', 'contact', 'membership'],
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

const person = (first: string, email: string, memberNo: string) => ({
  identity: { firstName: first, lastName: 'Koivisto' },
  contact: { email },
  membership: { memberNo },
});

describe('the register', () => {
  it('counts as relationship purposes those resting on the contract or counted from the end of the relationship', async () => {
    const register = parseDefinition(await registerText());
    expect([...register.relationshipPurposes].sort()).toEqual([
      'barista_courses', // contract
      'customer_relationship', // contract, from the end
      'legal_claims', // legitimate interest, from the end
      'service',
    ]);
  });
});

describe.each(DATABASES)('a relationship that began, on %s', (kind) => {
  const cleanup: Array<() => Promise<void>> = [];
  let services: Services;
  let app: Awaited<ReturnType<typeof createApp>>;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let now = new Date('2023-06-01T09:00:00Z');
  let token: string;
  let dir: string;
  const ids: Record<string, string> = {};

  const create = async (purpose: string, values: Record<string, Record<string, unknown>>) =>
    (await services.subjects.createSubject(operator, { purpose, source: 'subject', values })).id;
  const update = async (
    id: string,
    purpose: string,
    values: Record<string, Record<string, unknown>>,
  ) => services.subjects.updateSubject(operator, id, { purpose, source: 'subject', values });
  const relatedAt = async (id: string) =>
    (
      await sql<{
        related_at: Date | null;
      }>`select related_at from subject_retention where subject_id = ${id}`.execute(db.handle.db)
    ).rows[0]?.related_at ?? null;
  const erased = async (id: string) =>
    (
      await sql<{
        erased_at: Date | null;
      }>`select erased_at from subjects where id = ${id}`.execute(db.handle.db)
    ).rows[0]?.erased_at !== null;
  const idOf = async (email: string) => {
    const found = await services.subjects.findSubjects(operator, {
      purpose: 'service',
      email,
    });
    return found.items[0]?.id;
  };
  const importCsv = async (
    name: string,
    purpose: string,
    dedupe: 'skip' | 'merge',
    csv: string,
  ) => {
    const file = join(dir, name);
    await writeFile(file, csv);
    const mapping = checkMapping(
      {
        purpose,
        source: 'subject',
        dedupe,
        columns: {
          Etunimi: 'identity.firstName',
          Sukunimi: 'identity.lastName',
          Email: 'contact.email',
          Jasen: 'membership.memberNo',
        },
      },
      services.register,
    );
    return services.imports.importFile(operator, { file, mapping });
  };

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
        purposes: ['service', 'customer_marketing'],
        actions: ['read', 'write', 'handle_requests'],
      })
    ).token;
    dir = await mkdtemp(join(tmpdir(), 'rekisteri-retention-related-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));

    // 1 June 2023. Doris: collected for marketing only, never a customer. Carl: a customer of
    // the service, the same data on the same day.
    now = new Date('2023-06-01T09:00:00Z');
    ids.doris = await create('customer_marketing', person('Doris', 'doris@example.com', 'D-1'));
    ids.carl = await create('service', person('Carl', 'carl@example.com', 'C-1'));
    // Rita: a customer whose every field a marketer re-wrote four days later (re-tagging them).
    ids.rita = await create('service', { membership: { memberNo: 'R-1' } });
    // Sami: a customer of the service whose service data (terms) were deleted, keeping only what
    // marketing collected.
    ids.sami = await create('service', { terms: { plan: 'gold' } });
    // Paula: marketing only, who corrects her own membership number in the portal.
    ids.paula = await create('customer_marketing', { membership: { memberNo: 'P-1' } });
    // Imported: Iida under the service, Dora under marketing (the importer's COPY), and Maija,
    // collected for marketing, whom an import under the service then merges (a customer now).
    ids.maija = await create('customer_marketing', person('Maija', 'maija@example.com', 'M-1'));
    const head = 'Etunimi,Sukunimi,Email,Jasen\n';
    const customers = await importCsv(
      'service.csv',
      'service',
      'merge',
      `${head}Iida,Koivisto,iida@example.com,I-1\nMaija,Koivisto-Lahti,maija@example.com,M-1\n`,
    );
    expect(customers).toMatchObject({ created: 1, merged: 1, rejected: 0 });
    const marketed = await importCsv(
      'marketing.csv',
      'customer_marketing',
      'skip',
      `${head}Dora,Koivisto,dora@example.com,O-1\n`,
    );
    expect(marketed).toMatchObject({ created: 1, rejected: 0 });
    ids.iida = (await idOf('iida@example.com'))!;
    ids.dora = (
      await services.subjects.findSubjects(operator, {
        purpose: 'customer_marketing',
        email: 'dora@example.com',
      })
    ).items[0]!.id;
    now = new Date('2023-06-02T09:00:00Z');
    await update(ids.sami, 'customer_marketing', { membership: { memberNo: 'S-1' } });
    await services.subjects.rectifyBySubject(ids.paula, [
      { category: 'membership', field: 'memberNo', value: 'P-01' },
    ]);
    now = new Date('2023-06-03T09:00:00Z');
    await update(ids.sami, 'service', { terms: { plan: null } });
    now = new Date('2023-06-05T09:00:00Z');
    await update(ids.rita, 'customer_marketing', { membership: { memberNo: 'R-01' } });
    // Eight years on: every rule has ended for what was only marketing's, bookkeeping's six years
    // after 2023 included.
    now = new Date('2031-06-02T09:00:00Z');
  }, 120_000);
  afterAll(async () => {
    for (const fn of cleanup.reverse()) {
      await fn();
    }
  });

  it('marks customers on every write path and never marks a person collected only for marketing', async () => {
    const began = new Date('2023-06-01T09:00:00Z');
    for (const who of ['carl', 'rita', 'sami', 'iida', 'maija']) {
      expect([who, await relatedAt(ids[who]!)]).toEqual([who, began]);
    }
    for (const who of ['doris', 'paula', 'dora']) {
      expect([who, await relatedAt(ids[who]!)]).toEqual([who, null]);
    }
    // Sami's data left: only what marketing collected.
    const sami = await services.subjects.getSubject(operator, ids.sami!, 'customer_marketing');
    expect(Object.keys(sami.categories)).toEqual(['membership']);
  });

  it('plans and shows Doris counted from collection, customers kept until their relationship ends', async () => {
    const plan = await services.retention.plan();
    expect(plan).toMatchObject({ erase: 3, partial: 0, held: [], kept: [] });
    expect(plan.rows).toContainEqual({
      rule: 'marketing_activity',
      category: 'membership',
      people: 3,
    });

    const res = await app.inject({
      method: 'GET',
      url: `/api/v1/subjects/${ids.doris}/retention`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.statusCode, res.body).toBe(200);
    const doris = res.json<{
      categories: Array<{
        category: string;
        expired: boolean;
        purposes: Array<{ purpose: string; countedFrom: string | null; until: string | null }>;
      }>;
    }>();
    expect(doris).toMatchObject({ relationshipStartedAt: null, relationshipBegan: false });
    expect(doris.categories.map((c) => [c.category, c.expired]).sort()).toEqual([
      ['contact', true],
      ['identity', true],
      ['membership', true],
    ]);
    const identity = doris.categories.find((c) => c.category === 'identity')!;
    expect(identity.purposes.find((p) => p.purpose === 'service')).toEqual({
      purpose: 'service',
      rule: 'after_contract',
      countedFrom: 'collection',
      until: '2023-12-01',
    });
    expect(identity.purposes.find((p) => p.purpose === 'customer_relationship')).toMatchObject({
      countedFrom: 'collection',
      until: '2025-06-01',
    });

    for (const who of ['carl', 'rita', 'sami', 'iida', 'maija']) {
      const view = await services.retention.ofSubject(ids[who]!);
      expect([who, view.relationshipStartedAt, view.relationshipBegan]).toEqual([
        who,
        '2023-06-01T09:00:00.000Z',
        true,
      ]);
      const membership = view.categories.find((c) => c.category === 'membership');
      expect([who, membership?.until, membership?.expired]).toEqual([who, null, false]);
    }
  });

  it("reads as the sweep's candidates, by a rule from the end of the relationship, only the people none began for", async () => {
    const before = new Date('2024-01-01T00:00:00Z');
    const candidates = await services.subjects.retention.candidates([
      { from: 'end_of_relationship', before },
      { from: 'collection', before, unrelatedOnly: true },
    ]);
    expect(candidates).toEqual([ids.doris!, ids.paula!, ids.dora!].sort());
    // Collected after the bound: nobody.
    expect(
      await services.subjects.retention.candidates([
        { from: 'end_of_relationship', before },
        { from: 'collection', before: new Date('2023-05-01T00:00:00Z'), unrelatedOnly: true },
      ]),
    ).toEqual([]);
  });

  it('sweeps Doris and the others collected only for marketing; keeps every customer', async () => {
    const swept = await services.retention.sweep();
    expect(swept).toMatchObject({ erased: 3, heldRecords: 0, categoriesDeleted: 0 });
    for (const who of ['doris', 'paula', 'dora']) {
      expect([who, await erased(ids[who]!)]).toEqual([who, true]);
    }
    for (const who of ['carl', 'rita', 'sami', 'iida', 'maija']) {
      expect([who, await erased(ids[who]!)]).toEqual([who, false]);
    }
    // Their marks went with them (the row goes with the erasure).
    expect(await relatedAt(ids.doris!)).toBeNull();
    expect(await services.retention.sweep()).toMatchObject({ erased: 0, categoriesDeleted: 0 });
    // Ended now, Carl's rule counts from the end: six months, then bookkeeping's years.
    const end = await app.inject({
      method: 'POST',
      url: `/api/v1/subjects/${ids.carl}/relationship/end`,
      headers: { authorization: `Bearer ${token}` },
      payload: { purpose: 'service' },
    });
    expect(end.statusCode, end.body).toBe(200);
    const carl = await services.retention.ofSubject(ids.carl!);
    expect(carl.relationshipStartedAt).toBe('2023-06-01T09:00:00.000Z');
    expect(carl.categories.find((c) => c.category === 'membership')).toMatchObject({
      until: '2031-12-02',
      expired: false,
    });
  });

  it('bad input changes nothing: no mark, no person', async () => {
    now = new Date('2031-07-01T09:00:00Z');
    const nora = await create('customer_marketing', { membership: { memberNo: 'N-1' } });
    const rows = async () =>
      (
        await sql<{
          n: number;
        }>`select count(*)::int as n from subject_retention where related_at is not null`.execute(
          db.handle.db,
        )
      ).rows[0]?.n;
    const before = await rows();
    // Ending her relationship under marketing is refused naming the purpose; under the service,
    // whose data she has none of, she is an unknown id.
    const asMarketing = await app.inject({
      method: 'POST',
      url: `/api/v1/subjects/${nora}/relationship/end`,
      headers: { authorization: `Bearer ${token}` },
      payload: { purpose: 'customer_marketing' },
    });
    expect(asMarketing.statusCode).toBe(400);
    expect(asMarketing.json()).toMatchObject({ errors: [{ field: 'purpose' }] });
    const asService = await app.inject({
      method: 'POST',
      url: `/api/v1/subjects/${nora}/relationship/end`,
      headers: { authorization: `Bearer ${token}` },
      payload: { purpose: 'service' },
    });
    expect(asService.statusCode).toBe(404);
    // A create under the service with a field the register does not have: 400 naming it.
    const bad = await app.inject({
      method: 'POST',
      url: '/api/v1/subjects',
      headers: { authorization: `Bearer ${token}` },
      payload: { purpose: 'service', source: 'subject', values: { membership: { shoeSize: 44 } } },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ errors: [{ field: 'values.membership.shoeSize' }] });
    // An import under the service whose only line is invalid creates and marks nobody.
    const rejected = await importCsv(
      'bad.csv',
      'service',
      'skip',
      'Etunimi,Sukunimi,Email,Jasen\n,Koivisto,not-an-address,X-1\n',
    );
    expect(rejected).toMatchObject({ created: 0, merged: 0, rejected: 1 });
    // A person's retention by an id that is no id: 400 naming it.
    const notId = await app.inject({
      method: 'GET',
      url: '/api/v1/subjects/not-an-id/retention',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(notId.statusCode).toBe(400);
    expect(notId.json()).toMatchObject({ errors: [{ field: 'id' }] });
    expect(await rows()).toBe(before);
    expect(await relatedAt(nora)).toBeNull();
    expect((await services.retention.ofSubject(nora)).relationshipBegan).toBe(false);
  });

  it('marks a newsletter subscriber who becomes a customer with the very same data: a merging or skipping import under the service, not a refused update', async () => {
    now = new Date('2031-08-01T09:00:00Z');
    const anni = await create('customer_marketing', person('Anni', 'anni@example.com', 'A-1'));
    const ville = await create('customer_marketing', person('Ville', 'ville@example.com', 'V-1'));
    expect(await relatedAt(anni)).toBeNull();
    expect(await relatedAt(ville)).toBeNull();
    now = new Date('2031-08-02T09:00:00Z');
    // An update under the service that changes nothing is refused, and marks nothing.
    await expect(
      update(anni, 'service', person('Anni', 'anni@example.com', 'A-1')),
    ).rejects.toMatchObject({ code: 'validation_failed' });
    expect(await relatedAt(anni)).toBeNull();
    // A customer file merged over her with the very same data changes none of it, yet she is
    // the service's customer now.
    const merged = await importCsv(
      'customers-merge.csv',
      'service',
      'merge',
      'Etunimi,Sukunimi,Email,Jasen\nAnni,Koivisto,anni@example.com,A-1\n',
    );
    expect(merged).toMatchObject({ created: 0, merged: 0, rejected: 0 });
    expect(await relatedAt(anni)).toEqual(now);
    expect((await services.retention.ofSubject(anni)).relationshipBegan).toBe(true);
    // A customer file imported with `dedupe: skip` (the default) names Ville: his data stay as
    // they were, and he is a customer.
    const skipped = await importCsv(
      'customers-again.csv',
      'service',
      'skip',
      'Etunimi,Sukunimi,Email,Jasen\nVille,Koivisto,ville@example.com,V-1\n',
    );
    expect(skipped).toMatchObject({ created: 0, merged: 0, rejected: 0 });
    expect(await relatedAt(ville)).toEqual(now);
    // A skipping import under marketing marks nobody.
    const marketing = await create('customer_marketing', person('Oona', 'oona@example.com', 'O-9'));
    await importCsv(
      'newsletter-again.csv',
      'customer_marketing',
      'skip',
      'Etunimi,Sukunimi,Email,Jasen\nOona,Koivisto,oona@example.com,O-9\n',
    );
    expect(await relatedAt(marketing)).toBeNull();
  });
});

/** A database migrated up to (not including) 0046, on either kind. */
async function openBefore0046(
  kind: 'pglite' | 'postgres',
): Promise<{ handle: DatabaseHandle; dispose: () => Promise<void> }> {
  let handle: DatabaseHandle;
  let dispose: () => Promise<void>;
  if (kind === 'pglite') {
    handle = await openDatabase({});
    dispose = () => handle.close();
  } else {
    const created = await createPostgresDatabase();
    handle = await openDatabase({ url: created.url, poolSize: 2 });
    dispose = async () => {
      await handle.close();
      await created.drop();
    };
  }
  const migrator = new Migrator({
    db: handle.db,
    provider: { getMigrations: () => Promise.resolve(migrations) },
  });
  expect((await migrator.migrateTo('0045_campaign_bounces')).error).toBeUndefined();
  return { handle, dispose };
}

describe.each(DATABASES)('migration 0046 on %s', (kind) => {
  it('counts every person stored before it as a customer, so the upgrade erases nobody kept before', async () => {
    const { handle, dispose } = await openBefore0046(kind);
    const ks = await openTestKeyStore(kind);
    try {
      const db = handle.db;
      // Before the upgrade: Dora, collected for marketing only in 2023 (kept then, as every
      // person under a rule from the end of the relationship was), Bo with no values left, Eva
      // whose relationship ended in 2024, and Ed, erased.
      const dora = '01900000-0000-7000-8000-00000000d001';
      const bo = '01900000-0000-7000-8000-00000000b001';
      const eva = '01900000-0000-7000-8000-00000000e001';
      const ed = '01900000-0000-7000-8000-00000000e002';
      await sql`insert into subjects (id, created_at, updated_at, erased_at) values
          (${dora}, '2023-05-01T09:00:00Z', '2023-06-01T09:00:00Z', null),
          (${bo}, '2022-02-02T09:00:00Z', '2022-02-02T09:00:00Z', null),
          (${eva}, '2021-01-01T09:00:00Z', '2021-01-01T09:00:00Z', null),
          (${ed}, '2021-01-01T09:00:00Z', '2021-01-01T09:00:00Z', '2022-01-01T09:00:00Z')`.execute(
        db,
      );
      const value = (id: string, category: string, collected: string) =>
        sql`insert into subject_values (subject_id, category, sealed, source, purpose, collected_at, version, updated_at)
            values (${id}, ${category}, '\\x00', 'subject', 'customer_marketing', ${collected}, 1, ${collected})`.execute(
          db,
        );
      await value(dora, 'membership', '2023-06-01T09:00:00Z');
      await value(dora, 'identity', '2023-05-01T09:00:00Z');
      await value(eva, 'membership', '2021-01-01T09:00:00Z');
      await sql`insert into subject_retention (subject_id, relationship_ended_at, relationship_ended_by)
                values (${eva}, '2024-01-01T09:00:00Z', 'service')`.execute(db);

      await migrateToLatest(db);

      const marks = await sql<{ subject_id: string; related_at: Date | null }>`
          select subject_id, related_at from subject_retention order by subject_id`.execute(db);
      expect(marks.rows).toEqual([
        { subject_id: bo, related_at: new Date('2022-02-02T09:00:00Z') },
        { subject_id: dora, related_at: new Date('2023-05-01T09:00:00Z') },
        { subject_id: eva, related_at: new Date('2021-01-01T09:00:00Z') },
      ]);

      // Eight years on, Dora (stored before the upgrade) is kept as a customer, and her view
      // says a relationship began; only Eva, whose relationship ended, goes.
      const register: Register = parseDefinition(await registerText());
      const services = createServices({
        database: handle,
        keys: ks.keys,
        register,
        vault: createVault(randomBytes(32)),
        clock: { now: () => new Date('2031-06-02T09:00:00Z') },
      });
      const plan = await services.retention.plan();
      expect(plan.erase).toBe(1);
      expect(plan.rows.filter((r) => r.category === 'membership')).toEqual([
        { rule: 'after_contract', category: 'membership', people: 1 },
      ]);
      const view = await services.retention.ofSubject(dora);
      expect(view).toMatchObject({
        relationshipStartedAt: '2023-05-01T09:00:00.000Z',
        relationshipBegan: true,
      });
      expect(view.categories.find((c) => c.category === 'membership')).toMatchObject({
        until: null,
        rules: ['after_contract'],
        expired: false,
      });
    } finally {
      await dispose();
      await ks.dispose();
    }
  }, 60_000);
});
