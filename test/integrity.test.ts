/**
 * A database superuser rolls back or edits sealed rows and their provenance behind Rekisteri's back:
 * every such change is refused when the person is read, with a problem+json that names the
 * integrity failure and nothing of the person.
 */
import { sql } from 'kysely';
import { Migrator } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/database.ts';
import { migrations } from '../src/db/migrations/index.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { createVault } from '../src/vault/vault.ts';
import { anna, createTestContext, DATABASES, type TestContext } from './helpers.ts';

describe.each(DATABASES)('integrity of sealed rows on %s', (kind) => {
  let t: TestContext;
  let headers: { authorization: string };
  beforeAll(async () => {
    t = await createTestContext(kind);
    headers = await t.key(['*'], ['read', 'write', 'export', 'handle_requests']);
  });
  afterAll(async () => {
    await t?.close();
  });

  const db = () => t.db.handle.db;
  const create = async (values: Record<string, unknown>) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/subjects',
      headers,
      payload: { purpose: 'customer_relationship', source: 'subject', values },
    });
    expect(res.statusCode).toBe(201);
    return res.json<{ id: string }>().id;
  };
  const rectify = async (id: string, values: Record<string, unknown>) => {
    const res = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/subjects/${id}`,
      headers,
      payload: { purpose: 'customer_relationship', source: 'staff', reason: 'typo', values },
    });
    expect(res.statusCode).toBe(200);
  };
  const read = (id: string, what = '') =>
    t.app.inject({
      url: `/api/v1/subjects/${id}${what}?purpose=customer_relationship`,
      headers,
    });
  const row = (id: string, category: string) =>
    db()
      .selectFrom('subject_values')
      .selectAll()
      .where('subject_id', '=', id)
      .where('category', '=', category)
      .executeTakeFirstOrThrow();

  /** The answer a tampered person gets: an integrity problem, naming none of their values. */
  const expectIntegrityFailure = (res: Awaited<ReturnType<typeof read>>, id: string) => {
    expect(res.statusCode).toBe(500);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = res.json<{ type: string; title: string; detail: string }>();
    expect(body.type).toMatch(/\/integrity-failed$/);
    expect(body.title).toMatch(/integrity/);
    expect(body.detail).toContain(id);
    for (const leak of ['Kuusisto', 'Anna', 'Example.com', 'authentication', 'VaultError', 'at ']) {
      expect(res.body.includes(leak), leak).toBe(false);
    }
  };

  it('refuses an older ciphertext copied over the current one, and opens again when put back', async () => {
    const id = await create(anna);
    const before = await row(id, 'identity');
    expect(before.version).toBe(1);
    await rectify(id, { identity: { lastName: 'Kuusisto-Lahti' } });
    const after = await row(id, 'identity');
    expect(after.version).toBe(2);

    // The superuser's rollback: the old sealed value over the new one.
    await db()
      .updateTable('subject_values')
      .set({ sealed: before.sealed })
      .where('subject_id', '=', id)
      .where('category', '=', 'identity')
      .execute();
    expectIntegrityFailure(await read(id), id);
    expectIntegrityFailure(
      await t.app.inject({ method: 'GET', url: `/api/v1/subjects/${id}/export`, headers }),
      id,
    );
    const lookup = await t.app.inject({
      url: `/api/v1/subjects?purpose=customer_relationship&email=${encodeURIComponent(anna.contact.email)}`,
      headers,
    });
    expectIntegrityFailure(lookup, id);
    // A change cannot be built on a rolled-back row either.
    const patch = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/subjects/${id}`,
      headers,
      payload: {
        purpose: 'customer_relationship',
        source: 'staff',
        values: { identity: { firstName: 'Anna' } },
      },
    });
    expectIntegrityFailure(patch, id);
    expect((await row(id, 'identity')).version).toBe(2);

    // Put back, it opens: the refusal was the rollback's doing.
    await db()
      .updateTable('subject_values')
      .set({ sealed: after.sealed })
      .where('subject_id', '=', id)
      .where('category', '=', 'identity')
      .execute();
    const ok = await read(id);
    expect(ok.statusCode).toBe(200);
    expect(
      ok.json<{ categories: { identity: { lastName: { value: string } } } }>().categories.identity
        .lastName.value,
    ).toBe('Kuusisto-Lahti');
  });

  it('refuses a version counter set back, and provenance edited in place', async () => {
    const id = await create({ ...anna, contact: { email: 'provenance@example.org' } });
    await rectify(id, { contact: { phone: '040 111 2222' } });
    const edits: Array<[string, ReturnType<typeof sql>]> = [
      ['version', sql`version = version - 1`],
      ['purpose', sql`purpose = 'newsletter'`],
      ['source', sql`source = 'staff'`],
      ['collected_at', sql`collected_at = collected_at - interval '1 day'`],
      ['field_meta', sql`field_meta = jsonb_set(field_meta, '{phone,source}', '"subject"')`],
    ];
    for (const [column, set] of edits) {
      const original = await row(id, 'contact');
      await sql`update subject_values set ${set} where subject_id = ${id} and category = 'contact'`.execute(
        db(),
      );
      const changed = await row(id, 'contact');
      expect(changed, column).not.toEqual(original);
      expectIntegrityFailure(await read(id), id);
      await sql`update subject_values set sealed = ${original.sealed}, version = ${original.version},
                  purpose = ${original.purpose}, source = ${original.source},
                  collected_at = ${original.collected_at}, field_meta = ${JSON.stringify(original.field_meta)}::jsonb
                where subject_id = ${id} and category = 'contact'`.execute(db());
      expect((await read(id)).statusCode, column).toBe(200);
    }
  });

  it('refuses history rows whose id, purpose or source were edited, or whose changes were swapped', async () => {
    const id = await create({ ...anna, contact: { email: 'history@example.org' } });
    await rectify(id, { identity: { lastName: 'Ensimmäinen' } });
    await rectify(id, { identity: { lastName: 'Toinen' } });
    expect((await read(id, '/history')).statusCode).toBe(200);
    const rows = await db()
      .selectFrom('subject_history')
      .selectAll()
      .where('subject_id', '=', id)
      .orderBy('id')
      .execute();
    expect(rows).toHaveLength(2);
    const [first, second] = rows as [(typeof rows)[number], (typeof rows)[number]];

    const attempts: Array<{
      name: string;
      tamper: () => Promise<unknown>;
      undo: () => Promise<unknown>;
    }> = [
      {
        name: 'purpose',
        tamper: () =>
          sql`update subject_history set purpose = 'newsletter' where subject_id = ${id} and id = ${first.id}`.execute(
            db(),
          ),
        undo: () =>
          sql`update subject_history set purpose = ${first.purpose} where subject_id = ${id} and id = ${first.id}`.execute(
            db(),
          ),
      },
      {
        name: 'source',
        tamper: () =>
          sql`update subject_history set source = 'subject' where subject_id = ${id} and id = ${first.id}`.execute(
            db(),
          ),
        undo: () =>
          sql`update subject_history set source = ${first.source} where subject_id = ${id} and id = ${first.id}`.execute(
            db(),
          ),
      },
      {
        // The two changes of the same field swap places: each is bound to its own row id.
        name: 'swap',
        tamper: () =>
          sql`update subject_history set sealed_change = case id when ${first.id} then ${second.sealed_change}::bytea else ${first.sealed_change}::bytea end
                where subject_id = ${id} and id in (${first.id}, ${second.id})`.execute(db()),
        undo: () =>
          sql`update subject_history set sealed_change = case id when ${first.id} then ${first.sealed_change}::bytea else ${second.sealed_change}::bytea end
                where subject_id = ${id} and id in (${first.id}, ${second.id})`.execute(db()),
      },
    ];
    for (const a of attempts) {
      await a.tamper();
      expectIntegrityFailure(await read(id, '/history'), id);
      await a.undo();
      expect((await read(id, '/history')).statusCode, a.name).toBe(200);
    }
  });
});

describe('sealed format 1 (pre-release)', () => {
  it('is refused when opened, with a message that says why', () => {
    const vault = createVault(Buffer.alloc(32, 7));
    const { key } = vault.newSubjectKey('s');
    const sealed = vault.seal(key, 'aad', 'x');
    expect(sealed[0]).toBe(2);
    const old = Buffer.from(sealed);
    old[0] = 1;
    expect(() => vault.open(key, 'aad', old)).toThrow(/format 1.*pre-release/);
  });

  it('stops the upgrade of a database that holds format-1 values, changing nothing', async () => {
    const handle = await openDatabase({});
    try {
      const migrator = new Migrator({
        db: handle.db,
        provider: { getMigrations: () => Promise.resolve(migrations) },
      });
      const to = await migrator.migrateTo('0003_staff');
      expect(to.error).toBeUndefined();
      await sql`insert into subjects (id) values ('01900000-0000-7000-8000-000000000001')`.execute(
        handle.db,
      );
      await sql`insert into subject_values (subject_id, category, sealed, source, purpose, collected_at)
                values ('01900000-0000-7000-8000-000000000001', 'identity', '\\x01aabbcc'::bytea, 'subject', 'newsletter', now())`.execute(
        handle.db,
      );
      await expect(migrateToLatest(handle.db)).rejects.toThrow(
        /0006_value_version.*format 1 by a pre-release.*empty database/,
      );
      const columns = await sql<{ column_name: string }>`
        select column_name from information_schema.columns where table_name = 'subject_values'`.execute(
        handle.db,
      );
      expect(columns.rows.map((c) => c.column_name)).not.toContain('version');
    } finally {
      await handle.close();
    }
  });
});
