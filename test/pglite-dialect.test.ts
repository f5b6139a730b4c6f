/**
 * What the embedded database's Kysely dialect must guarantee (docs/architecture.md, "Embedded and
 * server databases"): PGlite is one session, so two overlapping transactions must run one after
 * the other, never statement by statement inside each other; COPY runs inside the bulk
 * transaction; bigint comes back as a string, as from the server.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from './helpers.ts';

describe('the embedded database dialect', () => {
  let t: TestDatabase;

  beforeAll(async () => {
    t = await openTestDatabase('pglite');
    await sql`create table dialect_probe (n int8 not null, who text not null)`.execute(t.handle.db);
  });

  beforeEach(async () => {
    await sql`delete from dialect_probe`.execute(t.handle.db);
  });

  afterAll(async () => {
    await t.dispose();
  });

  it('runs two overlapping transactions one after the other, never interleaved', async () => {
    const events: string[] = [];
    let openB!: () => void;
    const aHasWritten = new Promise<void>((resolve) => (openB = resolve));
    let finishA!: () => void;
    const aMayFinish = new Promise<void>((resolve) => (finishA = resolve));

    const a = t.handle.db.transaction().execute(async (tx) => {
      events.push('A begins');
      await sql`insert into dialect_probe values (1, 'A')`.execute(tx);
      openB();
      await aMayFinish;
      // B started meanwhile; had it slipped into this session, its row would be visible here.
      const seen = await sql<{ who: string }>`select who from dialect_probe order by who`.execute(
        tx,
      );
      events.push(`A sees ${seen.rows.map((r) => r.who).join(',')}`);
      throw new Error('A rolls back');
    });
    await aHasWritten;
    const b = t.handle.db.transaction().execute(async (tx) => {
      events.push('B begins');
      await sql`insert into dialect_probe values (2, 'B')`.execute(tx);
      events.push('B commits');
    });
    // Give B every chance to run before A goes on.
    await new Promise((resolve) => setTimeout(resolve, 50));
    finishA();
    await expect(a).rejects.toThrow('A rolls back');
    await b;

    expect(events).toEqual(['A begins', 'A sees A', 'B begins', 'B commits']);
    const rows = await sql<{ who: string }>`select who from dialect_probe`.execute(t.handle.db);
    // A's rollback did not take B's row with it.
    expect(rows.rows.map((r) => r.who)).toEqual(['B']);
  });

  it('keeps a plain query out of an open transaction until it ends', async () => {
    let finishA!: () => void;
    const aMayFinish = new Promise<void>((resolve) => (finishA = resolve));
    let started!: () => void;
    const aStarted = new Promise<void>((resolve) => (started = resolve));
    const a = t.handle.db.transaction().execute(async (tx) => {
      await sql`insert into dialect_probe values (3, 'A')`.execute(tx);
      started();
      await aMayFinish;
      throw new Error('A rolls back');
    });
    await aStarted;
    const outside = sql`insert into dialect_probe values (4, 'outside')`.execute(t.handle.db);
    await new Promise((resolve) => setTimeout(resolve, 50));
    finishA();
    await expect(a).rejects.toThrow('A rolls back');
    await outside;
    const rows = await sql<{ who: string }>`select who from dialect_probe`.execute(t.handle.db);
    expect(rows.rows.map((r) => r.who)).toEqual(['outside']);
  });

  it('returns int8 as a string, as node-postgres does', async () => {
    const big = '9007199254740993'; // 2^53 + 1: a JavaScript number would round it
    await sql`insert into dialect_probe values (${big}::int8, 'big')`.execute(t.handle.db);
    const row = await t.handle.db
      .selectFrom('dialect_probe' as never)
      .select(sql<string>`n`.as('n'))
      .executeTakeFirstOrThrow();
    expect(row.n).toBe(big);
    const count = await sql<{ c: unknown }>`select count(*) as c from dialect_probe`.execute(
      t.handle.db,
    );
    expect(count.rows[0]?.c).toBe('1');
  });

  it('counts the rows an update touched, zero included', async () => {
    const none = await sql`update dialect_probe set who = 'x' where n = -1`.execute(t.handle.db);
    expect(none.numAffectedRows ?? 0n).toBe(0n);
    await sql`insert into dialect_probe values (5, 'a'), (6, 'b')`.execute(t.handle.db);
    const two = await sql`update dialect_probe set who = 'c'`.execute(t.handle.db);
    expect(two.numAffectedRows).toBe(2n);
  });

  it('writes COPY rows inside the bulk transaction, and a failure takes them back', async () => {
    await expect(
      t.handle.bulkTransaction(async (tx, copyRows) => {
        await copyRows('dialect_probe', ['n', 'who'], [[7, 'copied']]);
        const inside = await sql<{ who: string }>`select who from dialect_probe`.execute(tx);
        expect(inside.rows.map((r) => r.who)).toEqual(['copied']);
        throw new Error('undo');
      }),
    ).rejects.toThrow('undo');
    const after = await sql<{ who: string }>`select who from dialect_probe`.execute(t.handle.db);
    expect(after.rows).toEqual([]);
  });
});
