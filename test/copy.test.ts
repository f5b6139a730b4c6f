import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyStatement, copyText } from '../src/db/copy.ts';
import { DATABASES, openTestDatabase, type TestDatabase } from './helpers.ts';

/** Values that the COPY text format has to escape or quote, and some it must leave alone. */
const awkward = [
  'plain',
  'tab\there',
  'new\nline',
  'carriage\rreturn',
  'back\\slash',
  '\\N',
  'comma, "quotes" and {braces}',
  'Åsa Öhman – ääkköset ✓',
  '',
  'NULL',
  'null',
  'a,b',
  '{x}',
  ' padded ',
  '42',
];

describe('COPY text encoding', () => {
  it('escapes tabs, newlines and backslashes, and writes null as \\N', () => {
    expect(copyText([['a\tb', null, 'c\\d\ne']])).toBe('a\\tb\t\\N\tc\\\\d\\ne\n');
  });

  it('writes bytea as escaped hex, dates as ISO and arrays as literals', () => {
    expect(
      copyText([[Buffer.from([0, 255]), new Date('2026-01-31T12:00:00Z'), ['a', 'b c', '7']]]),
    ).toBe('\\\\x00ff\t2026-01-31T12:00:00.000Z\t{"a","b c",7}\n');
  });

  it('refuses a table or column that is not a plain identifier', () => {
    expect(() => copyStatement('subjects; drop table x', ['id'], 'stdin')).toThrow(/identifier/);
    expect(() => copyStatement('subjects', ['id"'], 'stdin')).toThrow(/identifier/);
  });
});

describe.each(DATABASES)('bulk transactions on %s', (kind) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase(kind);
    await sql`create table copy_probe (n int, t text, b bytea, a text[], ts timestamptz)`.execute(
      db.handle.db,
    );
  });
  afterAll(() => db.dispose());

  it('round-trips awkward text, bytes, arrays and nulls exactly', async () => {
    const rows = awkward.map((t, n) => [
      n,
      t,
      Buffer.from(t, 'utf8'),
      [t, 'x'],
      new Date(Date.UTC(2026, 0, 1 + n)),
    ]);
    await db.handle.bulkTransaction(async (_tx, copy) => {
      await copy('copy_probe', ['n', 't', 'b', 'a', 'ts'], [...rows, [99, null, null, null, null]]);
    });
    const back = await sql<{
      n: number;
      t: string | null;
      b: Uint8Array | null;
      a: string[] | null;
      ts: Date | null;
    }>`select n, t, b, a, ts from copy_probe order by n`.execute(db.handle.db);
    expect(back.rows).toHaveLength(awkward.length + 1);
    awkward.forEach((t, n) => {
      const row = back.rows[n];
      expect(row?.t).toBe(t);
      expect(Buffer.from(row?.b ?? []).toString('utf8')).toBe(t);
      expect(row?.a).toEqual([t, 'x']);
      expect(new Date(row?.ts ?? 0).toISOString()).toBe(
        new Date(Date.UTC(2026, 0, 1 + n)).toISOString(),
      );
    });
    expect(back.rows[awkward.length]).toMatchObject({ n: 99, t: null, b: null, a: null, ts: null });
  });

  it('rolls back the COPY with the rest of a failed transaction', async () => {
    const before = await sql<{ c: number }>`select count(*)::int as c from copy_probe`.execute(
      db.handle.db,
    );
    await expect(
      db.handle.bulkTransaction(async (tx, copy) => {
        await copy('copy_probe', ['n', 't'], [[1000, 'kept only if committed']]);
        await sql`select 1 / 0`.execute(tx);
      }),
    ).rejects.toThrow(/division by zero/);
    const after = await sql<{ c: number }>`select count(*)::int as c from copy_probe`.execute(
      db.handle.db,
    );
    expect(after.rows[0]?.c).toBe(before.rows[0]?.c);
    // the database is usable afterwards
    await db.handle.bulkTransaction(async (_tx, copy) => {
      await copy('copy_probe', ['n'], [[1001]]);
    });
    const last = await sql<{
      c: number;
    }>`select count(*)::int as c from copy_probe where n = 1001`.execute(db.handle.db);
    expect(last.rows[0]?.c).toBe(1);
  });

  it.runIf(kind === 'postgres')(
    'survives the server dropping the connection in the middle of a bulk transaction',
    async () => {
      await expect(
        db.handle.bulkTransaction(async (tx, copy) => {
          await copy('copy_probe', ['n'], [[3000]]);
          const me = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(tx);
          // another connection of the pool ends this one, as a restart or an admin would
          await sql`select pg_terminate_backend(${me.rows[0]?.pid})`.execute(db.handle.db);
          await sql`select 1`.execute(tx);
        }),
      ).rejects.toThrow();
      const r = await sql<{
        c: number;
      }>`select count(*)::int as c from copy_probe where n = 3000`.execute(db.handle.db);
      expect(r.rows[0]?.c).toBe(0);
    },
  );

  it('refuses rows that do not fit their columns, and writes none of them', async () => {
    await expect(
      db.handle.bulkTransaction(async (_tx, copy) => {
        await copy(
          'copy_probe',
          ['n', 't'],
          [
            [2000, 'fine'],
            ['not a number', 'bad'],
          ],
        );
      }),
    ).rejects.toThrow(/integer/);
    const r = await sql<{
      c: number;
    }>`select count(*)::int as c from copy_probe where n = 2000`.execute(db.handle.db);
    expect(r.rows[0]?.c).toBe(0);
  });
});
