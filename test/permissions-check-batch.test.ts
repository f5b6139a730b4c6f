/**
 * The permission check under load (docs/permissions.md, "The check under load"): checks that
 * arrive together are read from the ledger in one statement, and that changes no answer. Every
 * read starts after its request arrived (no cache), so a check made after a change sees it, and
 * a campaign's send decides each person from a statement of its own; kinds of question are
 * served in turn. Also the prepared statements the hot queries run as (src/db/prepared.ts),
 * prepared anew when a migration changed a column under them (PostgreSQL's 0A000).
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operator, subjectActor } from '../src/lib/actor.ts';
import {
  isStalePlan,
  prepared,
  prepareMarkedStatements,
  statementName,
} from '../src/db/prepared.ts';
import { createCheckBatcher, MAX_BATCH } from '../src/modules/permissions/check-batcher.ts';
import {
  UNKNOWN_CHECK_ROW,
  type CheckQuery,
  type CheckRow,
} from '../src/modules/permissions/permissions.repo.ts';
import type { CheckResult } from '../src/modules/permissions/index.ts';
import { newSubjectVia, tag } from './factories.ts';
import {
  createPostgresDatabase,
  createTestContext,
  DATABASES,
  type TestContext,
} from './helpers.ts';

const WORDING = { text: 'Haluan uutiskirjeen sähköpostiini.', language: 'fi' as const };

const query = (over: Partial<CheckQuery> = {}): CheckQuery => ({
  purpose: 'newsletter',
  kind: 'newsletter',
  channel: 'email',
  categories: ['identity', 'contact'],
  organisationCategory: null,
  customerCategory: null,
  at: null,
  address: 'email',
  ...over,
});

const rowFor = (id: string): CheckRow => ({ ...UNKNOWN_CHECK_ROW, found: true, stop: id });

describe('reading checks together (createCheckBatcher)', () => {
  it('answers each check with its own person, in as few statements as are allowed at once', async () => {
    const calls: Array<{ q: CheckQuery; ids: string[] }> = [];
    const read = createCheckBatcher(async (q, ids) => {
      calls.push({ q, ids });
      await new Promise((r) => setTimeout(r, 5));
      return new Map(ids.filter((id) => !id.endsWith('0')).map((id) => [id, rowFor(id)]));
    }, 2);
    const ids = Array.from({ length: 60 }, (_, i) => `p${i}`);
    const rows = await Promise.all(ids.map((id) => read(query(), id)));
    ids.forEach((id, i) => {
      // A person the database did not answer for is unknown.
      expect(rows[i]).toEqual(id.endsWith('0') ? UNKNOWN_CHECK_ROW : rowFor(id));
    });
    // Sixty checks asked in one turn: one statement.
    expect(calls).toHaveLength(1);
    expect(calls[0]?.ids).toHaveLength(60);
  });

  it('never mixes checks of another purpose, channel or time in one statement', async () => {
    const calls: Array<{ q: CheckQuery; ids: string[] }> = [];
    const read = createCheckBatcher((q, ids) => {
      calls.push({ q, ids });
      return Promise.resolve(
        new Map(ids.map((id) => [id, { ...rowFor(id), stop: `${q.channel}:${id}` }])),
      );
    }, 4);
    const at = new Date('2026-01-01T00:00:00Z');
    const [a, b, c, d] = await Promise.all([
      read(query(), 'x'),
      read(query({ channel: 'sms', address: 'phone' }), 'x'),
      read(query({ at }), 'x'),
      read(query(), 'y'),
    ]);
    expect([a?.stop, b?.stop, c?.stop, d?.stop]).toEqual([
      'email:x',
      'sms:x',
      'email:x',
      'email:y',
    ]);
    expect(calls.map((x) => [x.q.channel, x.q.at?.toISOString() ?? null, x.ids])).toEqual([
      ['email', null, ['x', 'y']],
      ['sms', null, ['x']],
      ['email', at.toISOString(), ['x']],
    ]);
  });

  it('asks once for a person checked twice, and for at most MAX_BATCH people a statement', async () => {
    const sizes: number[] = [];
    const read = createCheckBatcher((_q, ids) => {
      sizes.push(ids.length);
      return Promise.resolve(new Map(ids.map((id) => [id, rowFor(id)])));
    }, 1);
    const twice = await Promise.all(['a', 'a', 'A'].map((id) => read(query(), id)));
    expect(twice).toEqual([rowFor('a'), rowFor('a'), rowFor('a')]);
    expect(sizes).toEqual([1]);
    const ids = Array.from({ length: MAX_BATCH + 10 }, (_, i) => `p${i}`);
    await Promise.all(ids.map((id) => read(query(), id)));
    expect(sizes).toEqual([1, MAX_BATCH, 10]);
  });

  it('serves the kinds of question in turn: a flood of one kind does not hold up another', async () => {
    const calls: Array<[string, number]> = [];
    const read = createCheckBatcher(async (q, ids) => {
      calls.push([q.channel ?? '', ids.length]);
      await new Promise((r) => setImmediate(r));
      return new Map(ids.map((id) => [id, rowFor(id)]));
    }, 1);
    const flood = Array.from({ length: 2 * MAX_BATCH + 88 }, (_, i) => read(query(), `e${i}`));
    const sms = read(query({ channel: 'sms', address: 'phone' }), 's1');
    const mobile = read(query({ channel: 'mobile', address: 'phone' }), 'm1');
    await Promise.all([...flood, sms, mobile]);
    // One statement's worth of the flood, then each other kind waiting, then the flood again
    // (before: the whole flood first, the others after all three of its statements).
    expect(calls).toEqual([
      ['email', MAX_BATCH],
      ['sms', 1],
      ['mobile', 1],
      ['email', MAX_BATCH],
      ['email', 88],
    ]);
    // A kind arriving while the flood is partly served waits for at most one statement of each
    // kind ahead of it (before: for the whole flood).
    calls.length = 0;
    const second = Array.from({ length: 3 * MAX_BATCH }, (_, i) => read(query(), `f${i}`));
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual([['email', MAX_BATCH]]);
    const late = read(query({ channel: 'sms', address: 'phone' }), 's2');
    await Promise.all([...second, late]);
    expect(calls).toEqual([
      ['email', MAX_BATCH],
      ['email', MAX_BATCH],
      ['sms', 1],
      ['email', MAX_BATCH],
    ]);
  });

  it('a failed read fails every check it carried, and the next checks are read anew', async () => {
    let fail = true;
    const read = createCheckBatcher((_q, ids) => {
      if (fail) {
        fail = false;
        return Promise.reject(new Error('the database went away'));
      }
      return Promise.resolve(new Map(ids.map((id) => [id, rowFor(id)])));
    }, 1);
    const first = await Promise.allSettled([read(query(), 'a'), read(query(), 'b')]);
    expect(first.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await read(query(), 'a')).toEqual(rowFor('a'));
  });

  it('bursts of many kinds, read out of order: each check answered once, with its own person and kind', async () => {
    // A small deterministic generator, so that a failure repeats.
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      let state = seed;
      const random = () => {
        state = (state * 1664525 + 1013904223) >>> 0;
        return state / 2 ** 32;
      };
      const read = createCheckBatcher(
        async (q, ids) => {
          expect(ids.length).toBeLessThanOrEqual(MAX_BATCH);
          expect(new Set(ids).size).toBe(ids.length);
          await new Promise((r) => setTimeout(r, Math.floor(random() * 4)));
          // People whose id ends in 7 are not in the ledger.
          return new Map(
            ids
              .filter((id) => !id.endsWith('7'))
              .map((id) => [id, { ...UNKNOWN_CHECK_ROW, found: true, stop: `${q.channel}:${id}` }]),
          );
        },
        1 + Math.floor(random() * 4),
      );
      const asked: Array<{ channel: string; id: string; answer: Promise<CheckRow> }> = [];
      for (let burst = 0; burst < 8; burst++) {
        for (let i = Math.floor(random() * 500); i > 0; i--) {
          const channel = ['email', 'sms', 'post', 'phone'][Math.floor(random() * 4)] as string;
          const id = `P${Math.floor(random() * 900)}`;
          asked.push({ channel, id, answer: read(query({ channel }), id) });
        }
        await new Promise((r) => setTimeout(r, Math.floor(random() * 3)));
      }
      const answers = await Promise.all(asked.map((a) => a.answer));
      expect(answers).toEqual(
        asked.map((a) =>
          a.id.endsWith('7')
            ? UNKNOWN_CHECK_ROW
            : { ...UNKNOWN_CHECK_ROW, found: true, stop: `${a.channel}:${a.id.toLowerCase()}` },
        ),
      );
    }
  });

  it('refuses a bad number of statements', () => {
    expect(() => createCheckBatcher(() => Promise.resolve(new Map<string, CheckRow>()), 0)).toThrow(
      /maxStatements/,
    );
  });
});

describe('prepared statements (src/db/prepared.ts)', () => {
  it('names a marked text by its name and digest, and leaves other texts alone', async () => {
    const a = `${prepared('permission_check')}select 1`;
    const b = `${prepared('permission_check')}select 2`;
    expect(statementName(a)).toMatch(/^permission_check_[0-9a-f]{16}$/);
    expect(statementName(b)).not.toBe(statementName(a));
    expect(statementName(a)).toBe(statementName(a));
    expect(statementName('select 1')).toBeNull();
    expect(() => prepared('Drop table')).toThrow(/not a statement name/);
    const seen: unknown[][] = [];
    const client = {
      query: (...args: unknown[]) => {
        seen.push(args);
        return Promise.resolve({ rows: [] });
      },
    };
    prepareMarkedStatements(client);
    await client.query(a, [1]);
    await client.query('select 3', [2]);
    await client.query(a);
    expect(seen).toEqual([
      [{ name: statementName(a), text: a, values: [1] }],
      ['select 3', [2]],
      [a],
    ]);
  });
});

describe.skipIf(!DATABASES.includes('postgres'))(
  'a prepared statement whose result type a migration changed (PostgreSQL)',
  () => {
    let database: Awaited<ReturnType<typeof createPostgresDatabase>>;
    let client: pg.Client;
    let other: pg.Client;
    beforeAll(async () => {
      database = await createPostgresDatabase();
      client = new pg.Client({ connectionString: database.url });
      other = new pg.Client({ connectionString: database.url });
      await client.connect();
      await other.connect();
      prepareMarkedStatements(client);
      await other.query('create table stale_probe (id int primary key, state text not null)');
      await other.query(`insert into stale_probe values (1, 'granted')`);
    });
    afterAll(async () => {
      await client?.end();
      await other?.end();
      await database?.drop();
    });
    const text = `${prepared('stale_probe')}select id, state from stale_probe where id = $1`;
    const read = async () => (await client.query<{ state: string }>(text, [1])).rows;

    it('is prepared anew and the call retried once: the next call answers, no restart', async () => {
      expect(await read()).toEqual([{ id: 1, state: 'granted' }]);
      await other.query('alter table stale_probe alter column state type varchar(20)');
      // Without the wrapper's retry, PostgreSQL answers 0A000 here, and on every call after it.
      expect(await read()).toEqual([{ id: 1, state: 'granted' }]);
      expect(await read()).toEqual([{ id: 1, state: 'granted' }]);
      // Changed back, and a value of another type: still answered.
      await other.query('alter table stale_probe alter column state type text');
      expect(await read()).toEqual([{ id: 1, state: 'granted' }]);
      await other.query('alter table stale_probe alter column id type bigint');
      expect(await read()).toEqual([{ id: '1', state: 'granted' }]);
    });

    it('inside a transaction the error reaches its caller (the transaction failed), and the next call after it answers', async () => {
      expect(await read()).toHaveLength(1);
      await other.query('alter table stale_probe alter column state type varchar(30)');
      await client.query('begin');
      const failed = await read().then(
        () => null,
        (err: unknown) => err,
      );
      expect(isStalePlan(failed)).toBe(true);
      await client.query('rollback');
      expect(await read()).toEqual([{ id: '1', state: 'granted' }]);
      // Inside a healthy transaction too.
      await other.query('alter table stale_probe alter column state type text');
      await client.query('begin');
      await expect(read()).rejects.toSatisfy(isStalePlan);
      await client.query('rollback');
      await client.query('begin');
      expect(await read()).toEqual([{ id: '1', state: 'granted' }]);
      await client.query('commit');
    });

    it('an INSERT … RETURNING refused as stale is retried once: the row is written once', async () => {
      await other.query('create table stale_ins (id serial primary key, state text not null)');
      const ins = `${prepared('stale_ins')}insert into stale_ins (state) values ($1) returning id, state`;
      await client.query(ins, ['a']);
      await other.query('alter table stale_ins alter column state type varchar(20)');
      expect((await client.query(ins, ['b'])).rows).toHaveLength(1);
      const rows = await other.query<{ state: string }>('select state from stale_ins order by id');
      expect(rows.rows.map((r) => r.state)).toEqual(['a', 'b']);
    });

    it('other errors pass through unchanged and are not retried', async () => {
      const bad = `${prepared('stale_probe_bad')}select 1 / $1::int as x`;
      await expect(client.query(bad, [0])).rejects.toMatchObject({ code: '22012' });
      expect((await client.query(bad, [1])).rows).toEqual([{ x: 1 }]);
    });
  },
);

describe.each(DATABASES)('the check under load on %s', (kind) => {
  let t: TestContext;
  const person = (organisation = false) =>
    newSubjectVia(t.services, {
      values: {
        identity: { firstName: 'Testi', lastName: 'Kuormitus' },
        contact: { email: `kuorma.${tag()}@example.com` },
        ...(organisation ? { organisation: { organisation: 'Kahvila Kuura Oy' } } : {}),
      },
    });
  const withoutTime = (r: CheckResult) => ({ ...r, checkedAt: undefined });

  beforeAll(async () => {
    t = await createTestContext(kind);
  });
  afterAll(async () => {
    await t?.close();
  });

  it.skipIf(kind !== 'postgres')(
    'a migration changing a column the check reads, while the server runs: the check answers on',
    async () => {
      const p = await person();
      await t.services.permissions.record(
        operator,
        p.id,
        [{ kind: 'newsletter', channel: 'email', state: 'granted' }],
        { method: 'staff', wording: WORDING },
      );
      const check = () =>
        t.services.permissions.check(operator, {
          purpose: 'newsletter',
          subjectId: p.id,
          channel: 'email',
        });
      const burst = async () => {
        for (let i = 0; i < 6; i++) {
          expect((await check()).reason.code).toBe('consent_granted');
        }
        const together = await Promise.all(Array.from({ length: 8 }, () => check()));
        expect(together.map((r) => r.reason.code)).toEqual(Array(8).fill('consent_granted'));
      };
      await burst();
      const other = new pg.Client({ connectionString: t.db.url });
      await other.connect();
      try {
        await other.query('alter table permission_states alter column state type varchar(20)');
        await burst();
        await other.query('alter table permission_states alter column state type text');
        await burst();
      } finally {
        await other.end();
      }
    },
  );

  it('checks made together answer exactly as each made alone, for every reason', async () => {
    const granted = await person();
    await t.services.permissions.record(
      operator,
      granted.id,
      [{ kind: 'newsletter', channel: 'email', state: 'granted' }],
      { method: 'staff', wording: WORDING },
    );
    const withdrawn = await person();
    await t.services.permissions.record(
      operator,
      withdrawn.id,
      [{ kind: 'newsletter', channel: 'email', state: 'granted' }],
      { method: 'staff', wording: WORDING },
    );
    await t.services.permissions.record(
      subjectActor(withdrawn.id),
      withdrawn.id,
      [{ kind: 'newsletter', channel: 'email', state: 'withdrawn' }],
      { method: 'unsubscribe_link' },
    );
    const objecting = await person(true);
    await t.services.permissions.record(
      operator,
      objecting.id,
      [{ kind: 'direct_marketing', channel: 'email', state: 'objected' }],
      { method: 'staff' },
    );
    const restricted = await person();
    await t.services.subjects.setRestriction(operator, restricted.id, 'Kiistetty');
    const stopped = await person();
    await t.services.subjects.stopProcessing(operator, stopped.id, {
      reason: 'marketing_prohibition',
    });
    const erased = await person();
    await t.services.subjects.eraseSubject(operator, erased.id, 'request');
    const organisation = await person(true);
    const people = [
      granted.id,
      withdrawn.id,
      objecting.id,
      restricted.id,
      stopped.id,
      erased.id,
      organisation.id,
      // The same person in capitals, and someone the register never held.
      granted.id.toUpperCase(),
      '0190c6a4-1f2e-7b3c-8d4e-5f6a7b8c9d0e',
    ];
    const questions = people.flatMap((subjectId) =>
      [
        ['newsletter', 'email'],
        ['newsletter', 'phone'],
        ['b2b_marketing', 'email'],
        ['b2b_marketing', 'post'],
        ['market_research', 'sms'],
        ['customer_relationship', 'email'],
        ['legal_claims', 'email'],
        ['analytics', undefined],
      ].map(([purpose, channel]) => ({
        purpose: purpose as string,
        subjectId,
        ...(channel ? { channel } : {}),
      })),
    );
    // One at a time, each from a statement of its own.
    const alone: CheckResult[] = [];
    for (const q of questions) {
      alone.push(await t.services.permissions.decide(q));
    }
    // All at once, as the API's checks under load, read together.
    const together = await Promise.all(
      questions.map((q) => t.services.permissions.check(operator, q)),
    );
    expect(together.map(withoutTime)).toEqual(alone.map(withoutTime));
    // Every reason the people above give is among them (the test covers what it says).
    expect(new Set(together.map((r) => r.reason.code))).toEqual(
      new Set([
        'consent_granted',
        'withdrawn',
        'objected',
        'restricted',
        'stopped',
        'erased',
        'unknown_subject',
        'no_consent',
        'not_refused',
        'not_organisation_contact',
        'not_marketing',
        'channel_not_used',
      ]),
    );
  });

  it('a check made after a withdrawal says no, even while other checks are being read', async () => {
    const p = await person();
    const others = await Promise.all([person(), person(), person()]);
    for (let round = 0; round < 5; round++) {
      // The person's own choice on their preference page (only it undoes their withdrawal).
      await t.services.permissions.record(
        subjectActor(p.id),
        p.id,
        [{ kind: 'newsletter', channel: 'email', state: 'granted' }],
        { method: 'preference_page', wording: WORDING },
      );
      const before = await t.services.permissions.check(operator, {
        purpose: 'newsletter',
        subjectId: p.id,
        channel: 'email',
      });
      expect(before.reason.code).toBe('consent_granted');
      // Checks of the same kind keep the reads busy while the person withdraws.
      const load = Array.from({ length: 40 }, (_, i) =>
        t.services.permissions.check(operator, {
          purpose: 'newsletter',
          subjectId: (others[i % others.length] ?? p).id,
          channel: 'email',
        }),
      );
      await new Promise((r) => setTimeout(r, 1));
      await t.services.permissions.record(
        subjectActor(p.id),
        p.id,
        [{ kind: 'newsletter', channel: 'email', state: 'withdrawn' }],
        { method: 'unsubscribe_link' },
      );
      const after = await t.services.permissions.check(operator, {
        purpose: 'newsletter',
        subjectId: p.id,
        channel: 'email',
      });
      expect(after.reason.code).toBe('withdrawn');
      // And the send's own decision, made now, from a statement of its own.
      expect(
        (
          await t.services.permissions.decide({
            purpose: 'newsletter',
            subjectId: p.id,
            channel: 'email',
          })
        ).reason.code,
      ).toBe('withdrawn');
      await Promise.all(load);
      // The next grant must come later than the withdrawal to win (same moment: a refusal wins).
      await new Promise((r) => setTimeout(r, 2));
    }
  });

  it('every check made together is in the access log, one entry each', async () => {
    const p = await person();
    const before = await t.services.audit.list({ subjectId: p.id, limit: 1000 });
    await Promise.all(
      Array.from({ length: 25 }, () =>
        t.services.permissions.check(operator, {
          purpose: 'newsletter',
          subjectId: p.id,
          channel: 'email',
        }),
      ),
    );
    const after = await t.services.audit.list({ subjectId: p.id, limit: 1000 });
    expect(after.filter((e) => e.action === 'permission.check')).toHaveLength(
      before.filter((e) => e.action === 'permission.check').length + 25,
    );
  });
});

/**
 * A server whose messages are translated (lc_messages, set by initdb from the host's locale, e.g.
 * sv_SE.UTF-8; only a superuser changes it) sends 0A000 with its message in that language. The
 * test server has no Swedish locale to switch to, so the client rewrites the message of the real
 * error as the Swedish catalogue has it; code, routine and the rest are the server's own.
 */
describe.skipIf(!DATABASES.includes('postgres'))(
  'a stale prepared statement on a server answering in Swedish (PostgreSQL)',
  () => {
    const SV = 'cache:ad plan får inte ändra resultattyp';
    let database: Awaited<ReturnType<typeof createPostgresDatabase>>;
    let client: pg.Client;
    let other: pg.Client;
    const seen: Array<{ code?: string; routine?: string }> = [];
    beforeAll(async () => {
      database = await createPostgresDatabase();
      client = new pg.Client({ connectionString: database.url });
      other = new pg.Client({ connectionString: database.url });
      await client.connect();
      await other.connect();
      const raw = client.query.bind(client) as (...a: unknown[]) => Promise<unknown>;
      (client as unknown as { query: unknown }).query = (...a: unknown[]) =>
        raw(...a).catch((err: { code?: string; routine?: string; message: string }) => {
          if (err.code === '0A000') {
            seen.push({ code: err.code, routine: err.routine });
            err.message = SV;
          }
          throw err;
        });
      prepareMarkedStatements(client);
      await other.query('create table stale_sv (id int primary key, state text not null)');
      await other.query(`insert into stale_sv values (1, 'granted')`);
    });
    afterAll(async () => {
      await client?.end();
      await other?.end();
      await database?.drop();
    });
    const text = `${prepared('stale_sv')}select id, state from stale_sv where id = $1`;
    const read = async () => (await client.query<{ state: string }>(text, [1])).rows;

    it('is prepared anew as on an English server: recognised by its code and routine, not its words', async () => {
      expect(await read()).toEqual([{ id: 1, state: 'granted' }]);
      await other.query('alter table stale_sv alter column state type varchar(20)');
      for (let i = 0; i < 3; i++) {
        expect(await read()).toEqual([{ id: 1, state: 'granted' }]);
      }
      // The server did refuse the stale plan once, in Swedish; the retry answered.
      expect(seen).toEqual([{ code: '0A000', routine: 'RevalidateCachedQuery' }]);
      expect(isStalePlan({ code: '0A000', routine: 'RevalidateCachedQuery', message: SV })).toBe(
        true,
      );
      // Another 0A000 (a feature not supported) is not a stale plan, whatever its text.
      expect(
        isStalePlan({
          code: '0A000',
          routine: 'transformSelectStmt',
          message: 'cached plan must not change result type',
        }),
      ).toBe(false);
    });
  },
);
