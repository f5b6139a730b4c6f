import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { system } from '../src/lib/actor.ts';
import { consentToMarketing, newApiKey, newSubject } from './factories.ts';
import { anna, createTestContext, DATABASES, sealEverything, type TestContext } from './helpers.ts';

describe.each(DATABASES)('access log on %s', (kind) => {
  let t: TestContext;
  let headers: { authorization: string };
  let id: string;

  beforeAll(async () => {
    t = await createTestContext(kind);
    headers = (await newApiKey(t, ['*'], ['read', 'write', 'export', 'handle_requests'])).headers;
    id = (await newSubject(t, { values: anna }, headers)).id;
    // The newsletter reads below: the person signed up for it.
    await consentToMarketing(t.services, id);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('records every read and write with purpose, categories, fields and request id, and no personal data', async () => {
    const read = await t.app.inject({ url: `/api/v1/subjects/${id}?purpose=newsletter`, headers });
    await t.app.inject({
      url: `/api/v1/subjects?purpose=newsletter&email=${encodeURIComponent(anna.contact.email)}`,
      headers,
    });
    await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/subjects/${id}`,
      headers,
      payload: {
        purpose: 'customer_relationship',
        source: 'staff',
        values: { contact: { phone: '+358 50 111 2222' } },
      },
    });
    const events = await t.services.audit.list({ subjectId: id, limit: 50 });
    const actions = events.map((e) => e.action).reverse();
    // the answer to the rectification shows the purpose's view, so it is a read as well
    expect(actions).toEqual([
      'subject.create',
      'permission.record',
      'subject.read',
      'subject.search',
      'subject.update',
      'subject.read',
    ]);
    const readEvent = events.find((e) => e.action === 'subject.read' && e.purpose === 'newsletter');
    expect(readEvent).toMatchObject({
      purpose: 'newsletter',
      actor_kind: 'api_key',
      request_id: read.headers['x-request-id'] ?? expect.any(String),
    });
    expect(readEvent?.categories.sort()).toEqual(['contact', 'identity']);
    expect(readEvent?.fields).toContain('contact.email');
    expect(events.find((e) => e.action === 'subject.update')?.fields).toEqual(['contact.phone']);
    const dump = JSON.stringify(
      await t.db.handle.db.selectFrom('audit_events').selectAll().execute(),
    );
    for (const s of [anna.contact.email, 'Kuusisto', '111 2222']) {
      expect(dump).not.toContain(s);
    }
  });

  it('refuses UPDATE and DELETE of the log', async () => {
    await expect(
      sql`update audit_events set purpose = 'x'`.execute(t.db.handle.db),
    ).rejects.toThrow(/append-only/);
    await expect(sql`delete from audit_events`.execute(t.db.handle.db)).rejects.toThrow(
      /append-only/,
    );
    // The sealer chains only entries no running transaction can still precede (other suites
    // share the server): seal until something is chained, so the delete has a row to refuse.
    for (let i = 0; i < 100; i++) {
      await t.services.audit.seal();
      const chained = await sql<{ n: number }>`select count(*)::int as n from audit_chain`.execute(
        t.db.handle.db,
      );
      if ((chained.rows[0]?.n ?? 0) > 0) {
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    await expect(sql`delete from audit_chain`.execute(t.db.handle.db)).rejects.toThrow(
      /append-only/,
    );
  });

  it('gives the person their own view of the log without naming who looked', async () => {
    const copy = (await t.app.inject({ url: `/api/v1/subjects/${id}/export`, headers })).json<{
      accessLog: Array<Record<string, unknown>>;
    }>();
    expect(copy.accessLog.length).toBeGreaterThanOrEqual(4);
    expect(copy.accessLog).toContainEqual(
      expect.objectContaining({
        action: 'subject.read',
        purpose: 'newsletter',
        role: 'integration',
      }),
    );
    expect(JSON.stringify(copy.accessLog)).not.toMatch(/api_key:|actor/);
  });

  it('writes a record of many events whole and in the order given, or none of it when one is invalid', async () => {
    const db = t.db.handle.db;
    // A person of their own, so that the other tests' listings of `id` stay as they were.
    const someone = randomUUID();
    const logged = async () =>
      (
        await sql<{ rule: string }>`
          select data->'rules'->>0 as rule from audit_events
           where action = 'subject.expire' and subject_id = ${someone} order by id`.execute(db)
      ).rows.map((r) => r.rule);
    // More events than are MACed at once (a retention sweep's batch of 1,000 is made in shares).
    const events = Array.from({ length: 450 }, (_, i) => ({
      actor: system,
      action: 'subject.expire' as const,
      subjectId: someone,
      categories: ['identity'],
      data: { whole: false, rules: [`rule_${String(i).padStart(3, '0')}`] },
    }));
    // One event in a later share carries what is not a rule's code (a name and an address):
    // refused, naming nothing of it, and none of the 450 is written.
    const bad = events.map((e, i) =>
      i === 300 ? { ...e, data: { whole: false, rules: ['Anna Virtanen <anna@example.fi>'] } } : e,
    );
    const refused: unknown = await db
      .transaction()
      .execute((tx) => t.services.audit.record(tx, bad))
      .then(
        () => null,
        (err: unknown) => err,
      );
    expect(refused).toBeInstanceOf(Error);
    expect(String((refused as Error).message)).not.toMatch(/Anna|example\.fi/);
    expect(await logged()).toEqual([]);
    await db.transaction().execute((tx) => t.services.audit.record(tx, events));
    expect(await logged()).toEqual(events.map((e) => e.data.rules[0]));
    await sealEverything(t.services.audit);
    expect(await t.services.audit.verify()).toMatchObject({ ok: true, unsealed: 0 });
  });

  it(
    'verifies the chain, and names the entry edited behind its back',
    { timeout: 90_000 },
    async () => {
      await sealEverything(t.services.audit);
      const ok = await t.services.audit.verify();
      expect(ok).toMatchObject({ ok: true, unsealed: 0 });
      expect(ok.checked).toBeGreaterThanOrEqual(5);
      const victim = (await t.services.audit.list({ subjectId: id, limit: 50 })).find(
        (e) => e.action === 'subject.read',
      );
      // A database superuser can switch the trigger off; the chain still tells.
      await sql`alter table audit_events disable trigger audit_events_append_only`.execute(
        t.db.handle.db,
      );
      await sql`update audit_events set purpose = 'legal_claims' where id = ${victim?.id}`.execute(
        t.db.handle.db,
      );
      await sql`alter table audit_events enable trigger audit_events_append_only`.execute(
        t.db.handle.db,
      );
      const result = await t.services.audit.verify();
      expect(result.ok).toBe(false);
      expect(result.broken).toMatchObject({
        eventId: victim?.id,
        reason: expect.stringContaining('changed after it was sealed'),
      });
    },
  );
});

describe.runIf(process.env.TEST_DATABASE_URL)(
  'access log sealing across transactions (PostgreSQL)',
  () => {
    it(
      'waits for a transaction still running, then chains its entry and the ones after it',
      { timeout: 90_000 },
      async () => {
        const t = await createTestContext('postgres');
        try {
          const actor = { kind: 'system' as const, id: 'test' };
          let releaseA!: () => void;
          const holdA = new Promise<void>((r) => (releaseA = r));
          let startedA!: () => void;
          const aStarted = new Promise<void>((r) => (startedA = r));
          const a = t.db.handle.db.transaction().execute(async (tx) => {
            await t.services.audit.record(tx, {
              actor,
              action: 'audit.read',
            });
            startedA();
            await holdA;
          });
          await aStarted;
          await t.services.audit.log({ actor, action: 'audit.read' });
          await t.services.audit.seal();
          const during = await t.services.audit.verify();
          expect(during.ok).toBe(true);
          releaseA();
          await a;
          await sealEverything(t.services.audit);
          const after = await t.services.audit.verify();
          expect(after).toMatchObject({ ok: true, unsealed: 0 });
          expect(after.checked).toBe(2);
        } finally {
          await t.close();
        }
      },
    );
  },
);
