/**
 * Erasure with legal holds, and the suppression list. A person with held and unheld categories is
 * erased: the unheld values are gone from the tables, the held ones live on in held records
 * readable only for their hold's purpose, listed with the right end date for each kind of hold,
 * shredded by the job when the hold ends, and a backup from before the erasure restored after it
 * shows nothing more. Attacked as a careless administrator would: a role with every purpose but
 * the hold's, an export by the old id, re-creating the erased address by API and by import.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.ts';
import { backupStore, restoreStore } from '../src/backup/backup.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { openDatabase } from '../src/db/database.ts';
import { operator, type Actor } from '../src/lib/actor.ts';
import { AppError } from '../src/lib/errors.ts';
import { parseDefinition } from '../src/modules/definition/loader.ts';
import { checkMapping } from '../src/modules/imports/mapping.ts';
import { createServices, type Services } from '../src/services.ts';
import { createVault } from '../src/vault/vault.ts';
import {
  createPostgresDatabase,
  DATABASES,
  DEMO,
  openTestDatabase,
  openTestKeyStore,
} from './helpers.ts';

/** The demo's two bookkeeping holds, and three legal-claims holds with other starting events. */
const EXTRA_HOLDS = `
    - id: claims_notes
      law: Vahingonkorvauslaki 412/1974
      purpose: legal_claims
      categories: [notes]
      duration: P3Y
      from: collection
      label: { sv: Anteckningar, fi: Muistiinpanot, en: Notes }
    - id: claims_activity
      law: Vahingonkorvauslaki 412/1974
      purpose: legal_claims
      categories: [notes]
      duration: P2Y
      from: last_activity
      label: { sv: Anteckningar, fi: Muistiinpanot, en: Notes }
    - id: claims_orders
      law: Kuluttajansuojalaki 38/1978
      purpose: legal_claims
      categories: [orders]
      duration: P1Y
      from: request_closed
      label: { sv: Beställningar, fi: Tilaukset, en: Orders }
`;

const person = {
  identity: { firstName: 'Hilkka', lastName: 'Vuorijärvi' },
  contact: { email: 'Hilkka.Vuorijarvi@Example.fi', phone: '040 765 4321' },
  organisation: { organisation: 'Kanervan Leipomo Oy' },
  orders: { orderCount: 7, paymentMethod: 'invoice' },
  feedback: { rating: 2, comment: 'Kahvi oli kylmää Hämeenlinnassa' },
};

describe.each(DATABASES)('erasure with legal holds on %s', (kind) => {
  const cleanup: Array<() => Promise<void>> = [];
  let services: Services;
  let app: Awaited<ReturnType<typeof createApp>>;
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let keys: Awaited<ReturnType<typeof openTestKeyStore>>['keys'];
  let masterKey: Buffer;
  let register: ReturnType<typeof parseDefinition>;
  let dir: string;
  let now = new Date('2025-03-10T10:00:00Z');
  let id: string;
  let sealedBefore: string[];
  let dataBackup: string;
  let held: Array<{ id: string; held_purpose: string; until: string; held_holds: string[] }>;
  /** Every purpose but the bookkeeping hold's, with every action: a careless admin's role. */
  let careless: Actor;

  beforeAll(async () => {
    const text = (await readFile(DEMO, 'utf8')).replace(
      /(\n {2}legalHolds:\n(?: {4}.*\n| {6}.*\n| {8}.*\n)*)/,
      (m) => `${m.trimEnd()}\n${EXTRA_HOLDS}`,
    );
    register = parseDefinition(text);
    expect(register.definition.retention.legalHolds.map((h) => h.id)).toEqual([
      'accounting_books',
      'accounting_vouchers',
      'claims_notes',
      'claims_activity',
      'claims_orders',
    ]);
    db = await openTestDatabase(kind);
    const ks = await openTestKeyStore(kind);
    keys = ks.keys;
    cleanup.push(
      () => db.dispose(),
      () => ks.dispose(),
    );
    masterKey = randomBytes(32);
    services = createServices({
      database: db.handle,
      keys,
      register,
      vault: createVault(masterKey),
      clock: { now: () => now },
    });
    app = await createApp(services);
    cleanup.push(() => app.close());
    dir = await mkdtemp(join(tmpdir(), 'rekisteri-holds-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    careless = {
      kind: 'staff',
      id: '0190c6a4-1f2e-7b3c-8d4e-5f6a7b8c9d0e',
      role: 'careless',
      read: new Set(register.definition.purposes.map((p) => p.id).filter((p) => p !== 'billing')),
      write: new Set(register.definition.purposes.map((p) => p.id).filter((p) => p !== 'billing')),
      actions: new Set(['read', 'write', 'erase', 'export', 'handle_requests']),
    };

    id = (
      await services.subjects.createSubject(operator, {
        purpose: 'customer_relationship',
        source: 'subject',
        values: person,
      })
    ).id;
    now = new Date('2026-02-01T12:00:00Z');
    await services.subjects.updateSubject(operator, id, {
      purpose: 'customer_relationship',
      source: 'staff',
      values: { notes: { note: 'Reklamaatio toimituksesta' } },
    });
    const rows = await sql<{ sealed: Buffer }>`
      select sealed from subject_values where subject_id = ${id}
      union all select sealed_change from subject_history where subject_id = ${id}`.execute(
      db.handle.db,
    );
    sealedBefore = rows.rows.map((r) => Buffer.from(r.sealed).toString('hex'));
    expect(sealedBefore.length).toBe(7);
    dataBackup = join(dir, 'before.rkb');
    await backupStore(db.handle, 'data', dataBackup, 'test-register');
  });
  afterAll(async () => {
    for (const fn of cleanup.reverse()) {
      await fn();
    }
  });

  it('erases everything not under a hold and lists what the holds keep, with the end date each kind of hold gives', async () => {
    now = new Date('2026-06-15T09:00:00Z');
    const apiKey = await services.apiKeys.createApiKey(operator, {
      name: 'dpo',
      purposes: ['*'],
      actions: ['read', 'erase', 'handle_requests'],
    });
    const res = await app.inject({
      method: 'DELETE',
      url: `/api/v1/subjects/${id}`,
      headers: { authorization: `Bearer ${apiKey.token}` },
    });
    expect(res.statusCode, res.body).toBe(200);
    const law = (h: string) =>
      register.definition.retention.legalHolds.find((x) => x.id === h)?.law;
    expect(res.json()).toEqual({
      held: [
        {
          hold: 'accounting_books',
          law: law('accounting_books'),
          purpose: 'billing',
          categories: ['identity', 'organisation', 'orders'],
          until: '2035-12-31', // end of 2025 (the rows' last write) + 10 years
        },
        {
          hold: 'accounting_vouchers',
          law: law('accounting_vouchers'),
          purpose: 'billing',
          categories: ['identity', 'contact', 'organisation', 'orders'],
          until: '2031-12-31',
        },
        // notes collected 2026-02-01 + 3 years
        {
          hold: 'claims_notes',
          law: law('claims_notes'),
          purpose: 'legal_claims',
          categories: ['notes'],
          until: '2029-02-01',
        },
        // the person's last change 2026-02-01 + 2 years
        {
          hold: 'claims_activity',
          law: law('claims_activity'),
          purpose: 'legal_claims',
          categories: ['notes'],
          until: '2028-02-01',
        },
        // the erasure (request closed) 2026-06-15 + 1 year
        {
          hold: 'claims_orders',
          law: law('claims_orders'),
          purpose: 'legal_claims',
          categories: ['orders'],
          until: '2027-06-15',
        },
      ],
    });

    // Nothing of the person's own rows is left, sealed or not; the tombstone has no index.
    const raw = db.handle.db;
    const left = await sql<{ n: number }>`
      select (select count(*) from subject_values where subject_id = ${id})::int
           + (select count(*) from subject_history where subject_id = ${id})::int as n`.execute(
      raw,
    );
    expect(left.rows[0]?.n).toBe(0);
    const all = await sql<{ sealed: Buffer }>`
      select sealed from subject_values union all select sealed_change from subject_history`.execute(
      raw,
    );
    const allHex = all.rows.map((r) => Buffer.from(r.sealed).toString('hex'));
    for (const s of sealedBefore) {
      expect(allHex).not.toContain(s);
    }
    expect(await keys.get(id)).toBeUndefined();
    const tomb = await raw
      .selectFrom('subjects')
      .select(['email_index', 'phone_index', 'blind_index', 'erased_at'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(tomb).toMatchObject({ email_index: null, phone_index: null, blind_index: [] });

    // Held records: one per purpose and end date, each with its own key, only held categories.
    held = (
      await sql<{ id: string; held_purpose: string; until: string; held_holds: string[] }>`
        select id, held_purpose, held_until::text as until, held_holds from subjects
         where erased_from = ${id} order by held_purpose, held_until`.execute(raw)
    ).rows;
    expect(held.map((h) => [h.held_purpose, h.until, [...h.held_holds].sort()])).toEqual([
      ['billing', '2031-12-31', ['accounting_vouchers']],
      ['billing', '2035-12-31', ['accounting_books', 'accounting_vouchers']],
      ['legal_claims', '2027-06-15', ['claims_orders']],
      ['legal_claims', '2029-02-01', ['claims_activity', 'claims_notes']],
    ]);
    for (const h of held) {
      expect(await keys.get(h.id)).toBeInstanceOf(Buffer);
    }
    const categories = await raw
      .selectFrom('subject_values')
      .select(['subject_id', 'category'])
      .where(
        'subject_id',
        'in',
        held.map((h) => h.id),
      )
      .execute();
    expect(categories.map((c) => c.category).sort()).toEqual(
      ['contact', 'identity', 'notes', 'orders', 'orders', 'organisation'].sort(),
    );
    // The suppression list holds two blind indexes and a reason code, nothing else.
    const suppression = await raw.selectFrom('suppression').selectAll().execute();
    expect(suppression.map((s) => [s.kind, s.reason])).toEqual(
      expect.arrayContaining([
        ['email', 'request'],
        ['phone', 'request'],
      ]),
    );
    expect(suppression).toHaveLength(2);
  });

  it("keeps held data readable for the hold's purpose only: every other purpose, search, list, lookup and export finds nothing", async () => {
    const [contactRecord, booksRecord] = held as [(typeof held)[0], (typeof held)[0]];
    const billing = await services.subjects.getSubject(operator, booksRecord.id, 'billing');
    expect(Object.keys(billing.categories).sort()).toEqual(['identity', 'orders', 'organisation']);
    expect(billing.categories.identity?.lastName?.value).toBe('Vuorijärvi');
    expect(billing.categories.orders?.orderCount?.value).toBe(7);
    // Provenance stays as it was collected.
    expect(billing.categories.identity?.lastName).toMatchObject({
      source: 'subject',
      purpose: 'customer_relationship',
      collectedAt: '2025-03-10T10:00:00.000Z',
    });
    const byEmail = await services.subjects.findSubjects(operator, {
      purpose: 'billing',
      email: 'hilkka.vuorijarvi@example.fi',
    });
    expect(byEmail.items.map((s) => s.id)).toEqual([contactRecord.id]);
    const byName = await services.subjects.findSubjects(operator, {
      purpose: 'billing',
      q: 'Vuorijärvi',
    });
    expect(byName.items.map((s) => s.id)).toEqual([booksRecord.id]);

    // Writing it is refused even under its purpose; restricting it finds nothing.
    await expect(
      services.subjects.updateSubject(operator, booksRecord.id, {
        purpose: 'billing',
        source: 'staff',
        values: { orders: { orderCount: 8 } },
      }),
    ).rejects.toMatchObject({ code: 'not_found' });
    await expect(
      services.subjects.setRestriction(operator, booksRecord.id, 'x'),
    ).rejects.toMatchObject({ code: 'not_found' });

    const ids = new Set([id, ...held.filter((h) => h.held_purpose === 'billing').map((h) => h.id)]);
    for (const purpose of register.definition.purposes.map((p) => p.id)) {
      if (purpose === 'billing') {
        continue;
      }
      for (const target of ids) {
        await expect(services.subjects.getSubject(careless, target, purpose)).rejects.toMatchObject(
          { code: 'not_found' },
        );
      }
      const listed = await services.subjects.findSubjects(careless, { purpose, limit: 100 });
      expect(listed.items.filter((s) => ids.has(s.id))).toEqual([]);
      for (const query of [
        { email: 'hilkka.vuorijarvi@example.fi' },
        { phone: '+358 40 765 4321' },
        { q: 'Vuorijärvi' },
      ]) {
        const found = await services.subjects
          .findSubjects(careless, { purpose, ...query })
          .catch((err: unknown) => {
            // A purpose that may not look people up that way is refused outright.
            expect(err).toBeInstanceOf(AppError);
            return { items: [] };
          });
        expect(found.items.filter((s) => ids.has(s.id))).toEqual([]);
      }
    }
    // Export: the careless role lacks a purpose; with every purpose, the held record and the
    // original id are not found either; nor may the held record be erased early.
    await expect(services.subjects.exportSubject(careless, booksRecord.id)).rejects.toMatchObject({
      code: 'forbidden',
    });
    for (const target of [id, booksRecord.id]) {
      await expect(services.subjects.exportSubject(operator, target)).rejects.toMatchObject({
        code: 'not_found',
      });
      await expect(services.subjects.eraseSubject(operator, target)).rejects.toMatchObject({
        code: 'not_found',
      });
    }
  });

  it('a data backup from before the erasure, restored after it, shows nothing of the unheld data', async () => {
    const target =
      kind === 'pglite'
        ? await openDatabase({})
        : await (async () => {
            const created = await createPostgresDatabase();
            cleanup.push(() => created.drop());
            return openDatabase({ url: created.url, poolSize: 2 });
          })();
    cleanup.push(() => target.close());
    await restoreStore(target, dataBackup, 'data');
    await migrateToLatest(target.db);
    const restored = createServices({
      database: target,
      keys,
      register,
      vault: createVault(masterKey),
      clock: { now: () => now },
    });
    // Before reconciling, the old rows are there but their key is gone: they open for no one.
    await expect(
      restored.subjects.getSubject(operator, id, 'customer_relationship'),
    ).rejects.toMatchObject({ code: 'not_found' });
    expect(await restored.subjects.reconcileErasures()).toEqual({
      keysDestroyed: 0,
      subjectsErased: 1,
    });
    const rows = await sql<{ n: number }>`
      select count(*)::int as n from subject_values where subject_id = ${id}`.execute(target.db);
    expect(rows.rows[0]?.n).toBe(0);
    for (const purpose of register.definition.purposes.map((p) => p.id)) {
      const listed = await restored.subjects.findSubjects(operator, { purpose, limit: 100 });
      expect(listed.items).toEqual([]);
    }
    // The held records were made after that backup: the restore loses them with every other
    // write since it (docs/requests.md). A backup after the erasure keeps them, for their purpose.
    const after = join(dir, 'after.rkb');
    await backupStore(db.handle, 'data', after, 'test-register');
    const text = (await import('node:zlib')).gunzipSync(await readFile(after)).toString('utf8');
    for (const s of sealedBefore) {
      expect(text).not.toContain(s);
    }
  });

  it('refuses an erased address by API create and import, in any formatting, unless a request handler overrides it; the override is logged', async () => {
    const apiKey = await services.apiKeys.createApiKey(operator, {
      name: 'writer',
      purposes: ['customer_relationship'],
      actions: ['read', 'write'],
    });
    const headers = { authorization: `Bearer ${apiKey.token}` };
    const before = await db.handle.db
      .selectFrom('subjects')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    const create = (values: object, extra: object = {}) =>
      app.inject({
        method: 'POST',
        url: '/api/v1/subjects',
        headers,
        payload: { purpose: 'customer_relationship', source: 'subject', values, ...extra },
      });
    const email = await create({
      identity: { firstName: 'H' },
      contact: { email: 'HILKKA.vuorijarvi@example.fi' },
    });
    expect(email.statusCode).toBe(409);
    expect(email.json<{ errors: unknown[] }>().errors).toEqual([
      expect.objectContaining({ field: 'values.contact.email' }),
    ]);
    expect(email.body).not.toContain('hilkka');
    const phone = await create({
      identity: { firstName: 'H' },
      contact: { email: 'uusi@example.org', phone: '+358 40 765 4321' },
    });
    expect(phone.statusCode).toBe(409);
    expect(phone.json<{ errors: unknown[] }>().errors).toEqual([
      expect.objectContaining({ field: 'values.contact.phone' }),
    ]);
    // An API key cannot handle requests: its override is refused.
    const keyOverride = await create(
      { identity: { firstName: 'H' }, contact: { phone: '040-7654321' } },
      { allowSuppressed: true },
    );
    expect(keyOverride.statusCode).toBe(403);
    const unknownKey = await create({ identity: { firstName: 'H' } }, { allowsuppressed: true });
    expect(unknownKey.statusCode).toBe(400);
    expect(await isSuppressedBoth()).toEqual([true, true, false]);
    const afterRefusals = await db.handle.db
      .selectFrom('subjects')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    expect(afterRefusals.n).toBe(before.n);

    // A request handler overrides, and it is logged.
    const handler: Actor = {
      ...careless,
      read: '*',
      write: '*',
      actions: new Set(['read', 'write', 'handle_requests']),
    };
    const back = await services.subjects.createSubject(handler, {
      purpose: 'customer_relationship',
      source: 'subject',
      values: { identity: { firstName: 'Hilkka' }, contact: { phone: '+358407654321' } },
      allowSuppressed: true,
    });
    const logged = await db.handle.db
      .selectFrom('audit_events')
      .select(['subject_id', 'data'])
      .where('action', '=', 'subject.suppression_override')
      .execute();
    expect(logged).toEqual([
      { subject_id: back.id, data: { via: 'api', fields: ['contact.phone'], count: 1 } },
    ]);

    // Import: the line is rejected naming the field, never the address.
    const mapping = checkMapping(
      {
        purpose: 'customer_relationship',
        source: 'partner',
        dedupe: 'skip',
        columns: {
          'First name': 'identity.firstName',
          'E-mail': 'contact.email',
          Phone: 'contact.phone',
        },
      },
      register,
    );
    const file = join(dir, 'reimport.csv');
    await writeFile(
      file,
      'First name,E-mail,Phone\nHilkka,hilkka.vuorijarvi@EXAMPLE.fi,\nToivo,toivo@example.org,050 123 4567\n',
    );
    const refused = await services.imports.importFile(operator, { file, mapping });
    expect(refused).toMatchObject({ created: 1, rejected: 1 });
    const errors = await readFile(refused.errorFile ?? '', 'utf8');
    expect(errors).toContain('2,"contact.email: this address belonged to a person erased');
    expect(errors.toLowerCase()).not.toContain('hilkka');
    const noRight = { ...handler, actions: new Set(['read', 'write'] as const) };
    await expect(
      services.imports.importFile(noRight, { file, mapping, allowSuppressed: true }),
    ).rejects.toMatchObject({ code: 'forbidden' });
    const overridden = await services.imports.importFile(handler, {
      file,
      mapping,
      allowSuppressed: true,
    });
    expect(overridden).toMatchObject({ created: 1, rejected: 0, skipped: 1 });
    const imported = await db.handle.db
      .selectFrom('audit_events')
      .select(['data'])
      .where('action', '=', 'subject.suppression_override')
      .orderBy('at')
      .execute();
    expect(imported.map((e) => e.data)).toEqual([
      { via: 'api', fields: ['contact.phone'], count: 1 },
      { via: 'import', fields: ['contact.email'], count: 1 },
    ]);
  });

  it('shreds a held record through the erasure path when its hold ends (the daily job), and only that one', async () => {
    now = new Date('2027-06-15T20:00:00Z'); // the last day kept, in Helsinki
    expect(await services.subjects.shredEndedHolds()).toEqual({ shredded: 0 });
    now = new Date('2027-06-16T00:30:00Z'); // the next day in Helsinki
    expect(await services.subjects.shredEndedHolds()).toEqual({ shredded: 1 });
    const orders = held.find((h) => h.until === '2027-06-15')?.id as string;
    const notes = held.find((h) => h.until === '2029-02-01')?.id as string;
    await expect(
      services.subjects.getSubject(operator, orders, 'legal_claims'),
    ).rejects.toMatchObject({ code: 'not_found' });
    expect(await keys.get(orders)).toBeUndefined();
    const rows = await sql<{ n: number }>`
      select count(*)::int as n from subject_values where subject_id = ${orders}`.execute(
      db.handle.db,
    );
    expect(rows.rows[0]?.n).toBe(0);
    const stillHeld = await services.subjects.getSubject(operator, notes, 'legal_claims');
    expect(stillHeld.categories.notes?.note?.value).toBe('Reklamaatio toimituksesta');
    const journal = await keys.journal();
    expect(journal.find((e) => e.subjectId === orders)?.reason).toBe('retention');
    expect(await services.subjects.shredEndedHolds()).toEqual({ shredded: 0 });
  });

  it('holds a bookkeeping record only for a person the law applies to: a newsletter-only subscriber is shredded whole, a customer with orders is held', async () => {
    const subscriber = await services.subjects.createSubject(operator, {
      purpose: 'newsletter',
      source: 'subject',
      values: {
        identity: { firstName: 'Oona', lastName: 'Tilaaja' },
        contact: { email: 'oona.tilaaja@example.fi' },
      },
    });
    const customer = await services.subjects.createSubject(operator, {
      purpose: 'customer_relationship',
      source: 'subject',
      values: {
        identity: { firstName: 'Eino', lastName: 'Asiakas' },
        contact: { email: 'eino.asiakas@example.fi' },
        orders: { orderCount: 1 },
      },
    });
    const heldBefore = await db.handle.db
      .selectFrom('subjects')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('held_purpose', 'is not', null)
      .executeTakeFirstOrThrow();

    expect(await services.subjects.eraseSubject(operator, subscriber.id, 'request')).toEqual({
      held: [],
    });
    const subscriberHeld = await db.handle.db
      .selectFrom('subjects')
      .select('id')
      .where('erased_from', '=', subscriber.id)
      .execute();
    expect(subscriberHeld).toEqual([]);
    // Not findable under billing (or anything) by the address.
    expect(
      await services.subjects.findSubjects(operator, {
        email: 'oona.tilaaja@example.fi',
        purpose: 'billing',
      }),
    ).toMatchObject({ items: [] });

    const { held: customerHeld } = await services.subjects.eraseSubject(
      operator,
      customer.id,
      'request',
    );
    const year = Number(now.toISOString().slice(0, 4));
    expect(customerHeld).toEqual([
      expect.objectContaining({
        hold: 'accounting_books',
        categories: ['identity', 'orders'],
        until: `${year + 10}-12-31`,
      }),
      expect.objectContaining({
        hold: 'accounting_vouchers',
        categories: ['identity', 'contact', 'orders'],
        until: `${year + 6}-12-31`,
      }),
      expect.objectContaining({ hold: 'claims_orders', categories: ['orders'] }),
    ]);
    const heldAfter = await db.handle.db
      .selectFrom('subjects')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('held_purpose', 'is not', null)
      .executeTakeFirstOrThrow();
    expect(Number(heldAfter.n) - Number(heldBefore.n)).toBe(3);
  });

  it('refuses an erased address written by an update too (PATCH, the person themselves), in any formatting, unless a request handler overrides it; the override is logged', async () => {
    const erased = await services.subjects.createSubject(operator, {
      purpose: 'customer_relationship',
      source: 'subject',
      values: {
        identity: { firstName: 'Aino', lastName: 'Poistettu' },
        contact: { email: 'aino.poistettu@example.fi', phone: '+358 50 111 2233' },
      },
    });
    await services.subjects.eraseSubject(operator, erased.id, 'request');
    const b = await services.subjects.createSubject(operator, {
      purpose: 'customer_relationship',
      source: 'subject',
      values: { identity: { firstName: 'Bertta', lastName: 'Uusi' } },
    });
    const apiKey = await services.apiKeys.createApiKey(operator, {
      name: 'rectifier',
      purposes: ['customer_relationship'],
      actions: ['read', 'write'],
    });
    const patch = (contact: object, extra: object = {}) =>
      app.inject({
        method: 'PATCH',
        url: `/api/v1/subjects/${b.id}`,
        headers: { authorization: `Bearer ${apiKey.token}` },
        payload: {
          purpose: 'customer_relationship',
          source: 'staff',
          values: { contact },
          ...extra,
        },
      });
    const state = async () => ({
      values: await db.handle.db
        .selectFrom('subject_values')
        .select(['category', 'version'])
        .where('subject_id', '=', b.id)
        .orderBy('category')
        .execute(),
      history: await db.handle.db
        .selectFrom('subject_history')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('subject_id', '=', b.id)
        .executeTakeFirstOrThrow(),
      index: await db.handle.db
        .selectFrom('subjects')
        .select(['email_index', 'phone_index'])
        .where('id', '=', b.id)
        .executeTakeFirstOrThrow(),
    });
    const before = await state();

    const email = await patch({ email: 'AINO.POISTETTU@EXAMPLE.FI' });
    expect(email.statusCode, email.body).toBe(409);
    expect(email.json<{ errors: unknown[] }>().errors).toEqual([
      expect.objectContaining({ field: 'values.contact.email' }),
    ]);
    expect(email.body.toLowerCase()).not.toContain('aino');
    const phone = await patch({ email: 'bertta@example.org', phone: '050 111 2233' });
    expect(phone.statusCode, phone.body).toBe(409);
    expect(phone.json<{ errors: unknown[] }>().errors).toEqual([
      expect.objectContaining({ field: 'values.contact.phone' }),
    ]);
    // An API key cannot handle requests: its override is refused; an unknown key is refused.
    expect((await patch({ phone: '050 111 2233' }, { allowSuppressed: true })).statusCode).toBe(
      403,
    );
    expect((await patch({ phone: '050 111 2233' }, { allowsuppressed: true })).statusCode).toBe(
      400,
    );
    // The person's own rectification (the portal) is refused too, naming the change.
    await expect(
      services.subjects.rectifyBySubject(b.id, [
        { category: 'identity', field: 'lastName', value: 'Uusi-Nimi' },
        { category: 'contact', field: 'phone', value: '+358501112233' },
      ]),
    ).rejects.toMatchObject({
      code: 'conflict',
      issues: [expect.objectContaining({ field: 'changes[1].field' })],
    });
    expect(await state()).toEqual(before);

    // A request handler overrides, and it is logged.
    const handler: Actor = {
      ...careless,
      read: '*',
      write: '*',
      actions: new Set(['read', 'write', 'handle_requests']),
    };
    const done = await services.subjects.updateSubject(handler, b.id, {
      purpose: 'customer_relationship',
      source: 'staff',
      values: { contact: { email: 'AINO.POISTETTU@EXAMPLE.FI' } },
      allowSuppressed: true,
    });
    expect(done.categories.contact?.email?.value).toBe('AINO.POISTETTU@EXAMPLE.FI');
    const logged = await db.handle.db
      .selectFrom('audit_events')
      .select(['subject_id', 'purpose', 'data'])
      .where('action', '=', 'subject.suppression_override')
      .where('subject_id', '=', b.id)
      .execute();
    expect(logged).toEqual([
      {
        subject_id: b.id,
        purpose: 'customer_relationship',
        data: { via: 'update', fields: ['contact.email'], count: 1 },
      },
    ]);
  });

  async function isSuppressedBoth() {
    return Promise.all([
      services.subjects.isSuppressed(undefined, { email: ' Hilkka.Vuorijarvi@example.FI ' }),
      services.subjects.isSuppressed(undefined, { phone: '040 7654321' }),
      services.subjects.isSuppressed(undefined, { email: 'someone.else@example.fi' }),
    ]);
  }
});
