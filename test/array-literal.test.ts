/**
 * Arrays sent to the database as one literal go through one encoder (src/db/array-literal.ts). A
 * category named `null` (a legal identifier) once became SQL NULL in the lookup's category list,
 * so e-mail and phone lookups returned the person without their contact details.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arrayLiteral } from '../src/db/array-literal.ts';
import { operator } from '../src/lib/actor.ts';
import { createTestContext, DATABASES, DEMO, type TestContext } from './helpers.ts';

/** The demo register with its `contact` category renamed `null`. */
async function nullCategoryRegister(dir: string): Promise<string> {
  const text = (await readFile(DEMO, 'utf8'))
    .replace(/^ {2}- id: contact$/m, '  - id: "null"')
    .replace(/^(\s+categories: \[.*)$/gm, (line) =>
      line.replace(/(?<=[[ ,])contact(?=[,\]])/g, '"null"'),
    )
    // The marketing channels name the fields they reach people at.
    .replace(/^(\s+fields: \[)contact\./gm, '$1null.');
  const file = join(dir, 'null-category.yaml');
  await writeFile(file, text);
  return file;
}

describe('arrayLiteral', () => {
  it('gives back every word as it went in, in text[] on the database', async () => {
    const words = [
      'null',
      'NULL',
      'a,b',
      'say "hi"',
      'back\\slash',
      '{brace}',
      ' space ',
      '',
      '42',
    ];
    const t = await createTestContext('pglite');
    try {
      const r = await sql<{
        a: string[];
      }>`select ${arrayLiteral(words)}::text[] as a`.execute(t.db.handle.db);
      expect(r.rows[0]?.a).toEqual(words);
      const n = await sql<{ a: Array<string | null> }>`select ${arrayLiteral([
        '1',
        null,
        '-3',
      ])}::bigint[]::text[] as a`.execute(t.db.handle.db);
      expect(n.rows[0]?.a).toEqual(['1', null, '-3']);
    } finally {
      await t.close();
    }
  });
});

describe.each(DATABASES)('a category named null on %s', (kind) => {
  let t: TestContext;
  let dir: string;
  let key: { authorization: string };
  let id = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rekisteri-null-'));
    t = await createTestContext(kind, await nullCategoryRegister(dir));
    expect(t.register.category('null')).toBeDefined();
    key = await t.key(['*'], ['read', 'write', 'export', 'handle_requests']);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/subjects',
      headers: key,
      payload: {
        purpose: 'customer_relationship',
        source: 'subject',
        values: {
          identity: { firstName: 'Nolla', lastName: 'Nollanen' },
          null: { email: 'nolla.nollanen@example.com', phone: '040 000 0001' },
        },
      },
    });
    expect(res.statusCode, res.body).toBe(201);
    id = res.json<{ id: string }>().id;
  });
  afterAll(async () => {
    await t?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('returns the category from e-mail and phone lookups', async () => {
    for (const q of ['email=nolla.nollanen%40example.com', 'phone=%2B358400000001']) {
      const res = await t.app.inject({
        url: `/api/v1/subjects?purpose=customer_relationship&${q}`,
        headers: key,
      });
      expect(res.statusCode).toBe(200);
      const items = res.json<{
        items: Array<{ id: string; categories: Record<string, Record<string, { value: string }>> }>;
      }>().items;
      expect(
        items.map((s) => s.id),
        q,
      ).toEqual([id]);
      expect(items[0]?.categories.null?.email?.value, q).toBe('nolla.nollanen@example.com');
      expect(items[0]?.categories.null?.phone?.value, q).toBe('040 000 0001');
    }
  });

  it('returns it from a read, a list, the history and an access copy, and logs it', async () => {
    const read = await t.app.inject({
      url: `/api/v1/subjects/${id}?purpose=customer_relationship`,
      headers: key,
    });
    expect(Object.keys(read.json<{ categories: object }>().categories)).toContain('null');
    const list = await t.app.inject({
      url: '/api/v1/subjects?purpose=customer_relationship&q=nolla',
      headers: key,
    });
    expect(
      list.json<{ items: Array<{ categories: object }> }>().items[0]?.categories,
    ).toHaveProperty('null');
    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/subjects/${id}`,
      headers: key,
      payload: {
        purpose: 'customer_relationship',
        source: 'subject',
        values: { null: { phone: '040 000 0002' } },
      },
    });
    expect(patched.statusCode).toBe(200);
    const history = await t.app.inject({
      url: `/api/v1/subjects/${id}/history?purpose=customer_relationship`,
      headers: key,
    });
    expect(
      history.json<{ items: Array<{ category: string }> }>().items.map((h) => h.category),
    ).toEqual(['null']);
    const copy = await t.services.subjects.exportSubject(operator, id);
    expect(Object.keys(copy.categories)).toContain('null');
    const log = await t.services.audit.forSubject(id);
    expect(log.some((e) => e.categories.includes('null'))).toBe(true);
  });
});
