/**
 * The access log attacked by someone with database rights: a superuser who switches the triggers
 * off, edits, deletes and inserts rows, and copies MACs. Each attack must end in verify saying
 * "tampered" and naming the first bad entry, and the sealer must never chain a forged event nor
 * chain on top of a shortened chain.
 */
import { appendFile, mkdtemp, readFile, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { Database } from '../src/db/types.ts';
import { system } from '../src/lib/actor.ts';
import { fileAnchors } from '../src/modules/audit/audit.anchors.ts';
import { allAuditEvents } from '../src/audit-events.ts';
import { createAuditRepo } from '../src/modules/audit/audit.repo.ts';
import { canonicalEvent, createAuditService } from '../src/modules/audit/audit.service.ts';
import { systemClock } from '../src/lib/clock.ts';
import { createVault } from '../src/vault/vault.ts';
import { consentToMarketing, newStaffSession, newSubject } from './factories.ts';
import {
  anna,
  captureLog,
  createTestContext,
  DATABASES,
  type AuditLogLine,
  type TestContext,
} from './helpers.ts';

/** Runs statements as a superuser with every trigger and foreign key switched off. */
async function asSuperuser(
  db: Kysely<Database>,
  fn: (tx: Kysely<Database>) => Promise<void>,
): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await sql`set local session_replication_role = replica`.execute(tx);
    await fn(tx);
  });
}

const chainLength = async (db: Kysely<Database>) =>
  Number(
    (await sql<{ n: string }>`select count(*)::text as n from audit_chain`.execute(db)).rows[0]?.n,
  );

/**
 * Seals until `done` holds. The sealer takes only events older than every running transaction,
 * and on a shared server another suite's transaction can hold that horizon back for a moment.
 */
async function sealUntil(
  sealer: { seal: () => Promise<number> },
  done: () => boolean | Promise<boolean>,
): Promise<void> {
  for (let i = 0; i < 200; i++) {
    await sealer.seal();
    if (await done()) {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

const seqOf = async (db: Kysely<Database>, eventId: string) =>
  (
    await sql<{
      seq: string;
    }>`select seq::text as seq from audit_chain where event_id = ${eventId}`.execute(db)
  ).rows[0]?.seq;

describe.each(DATABASES)('access log under attack on %s', (kind) => {
  let t: TestContext;
  let headers: { authorization: string };
  let auditor: { cookie: string };
  let id: string;

  /** A register with a person, reads of them, everything sealed and anchored. */
  async function setUp(): Promise<void> {
    t = await createTestContext(kind);
    headers = await t.key(['*'], ['read', 'write', 'export', 'handle_requests']);
    const session = await newStaffSession(t, 'auditor', {
      username: 'auditor',
      // A password of the auditor's own: a made-up one would first have to be replaced.
      password: 'a passphrase of my own, long enough',
    });
    auditor = { cookie: session.cookie };
    id = (await newSubject(t, { values: anna }, headers)).id;
    await consentToMarketing(t.services, id);
    for (const purpose of ['newsletter', 'customer_relationship', 'newsletter']) {
      await t.app.inject({ url: `/api/v1/subjects/${id}?purpose=${purpose}`, headers });
    }
    // On a shared PostgreSQL server a transaction of another database (another test file's backup,
    // say) holds the cluster's snapshot horizon back for a moment: wait until all is sealed.
    for (let i = 0; i < 200; i++) {
      await t.services.audit.seal({ anchor: true });
      if ((await t.services.audit.verify()).unsealed === 0) {
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    await t.services.audit.seal({ anchor: true });
    const before = await t.services.audit.verify();
    expect(before).toMatchObject({ ok: true, unsealed: 0, forged: [] });
    expect(before.anchor?.seq).toBe(before.head?.seq);
  }

  /** A second sealer on the same database and anchor file: the server after a restart. */
  function restarted(logged: AuditLogLine[] = []) {
    return createAuditService({
      db: t.db.handle.db,
      repo: createAuditRepo(),
      events: allAuditEvents,
      vault: createVault(t.masterKey),
      clock: systemClock,
      anchors: fileAnchors(t.anchorFile),
      logger: captureLog(logged),
    });
  }

  const errors = () => t.auditLog.filter((l) => l.level === 'error');

  afterEach(async () => {
    await t?.close();
  });

  it('(a) an event edited with the triggers off and its chain rows deleted: not re-chained, named as tampered', async () => {
    await setUp();
    const reads = (await t.services.audit.list({ subjectId: id, limit: 50 }))
      .filter((e) => e.action === 'subject.read')
      .reverse();
    const victim = reads[1];
    expect(victim).toBeDefined();
    const seq = await seqOf(t.db.handle.db, victim?.id ?? '');
    expect(seq).toBeDefined();
    const before = await chainLength(t.db.handle.db);
    await asSuperuser(t.db.handle.db, async (tx) => {
      await sql`update audit_events set purpose = 'legal_claims' where id = ${victim?.id}`.execute(
        tx,
      );
      await sql`delete from audit_chain where seq >= ${seq}`.execute(tx);
    });

    // The sealer that sealed those entries refuses to chain on top, and says so at error level.
    expect(await t.services.audit.seal()).toBe(0);
    expect(t.services.audit.alarms()).toContainEqual(
      expect.objectContaining({ kind: 'truncated', seq }),
    );
    expect(errors().map((l) => l.msg)).toContainEqual(
      expect.stringContaining(`chain entries ${seq} to `),
    );
    // So does one started afresh, which knows the head only from the anchor file.
    const logged: AuditLogLine[] = [];
    const fresh = restarted(logged);
    expect(await fresh.seal()).toBe(0);
    expect(logged.some((l) => l.level === 'error' && l.obj.auditAlarm)).toBe(true);
    expect(await chainLength(t.db.handle.db)).toBe(Number(seq) - 1);
    expect(before).toBeGreaterThan(Number(seq) - 1);

    for (const service of [t.services.audit, fresh]) {
      const result = await service.verify();
      expect(result.ok).toBe(false);
      expect(result.broken).toMatchObject({ kind: 'truncated', seq, eventId: null });
      expect(result.broken?.reason).toContain(`chain entries ${seq} to ${before}`);
      // The edited event is named: its MAC no longer fits.
      expect(result.forged).toContain(victim?.id);
    }
    const api = await t.app.inject({ url: '/api/v1/audit/verify', headers: auditor });
    expect(api.statusCode).toBe(200);
    expect(api.json()).toMatchObject({
      ok: false,
      broken: { kind: 'truncated', seq },
      alarms: expect.arrayContaining([expect.objectContaining({ kind: 'truncated', seq })]),
    });
  });

  it('(a′) without any anchor or memory, a sealer still never re-chains the edited event', async () => {
    await setUp();
    const victim = (await t.services.audit.list({ subjectId: id, limit: 50 })).find(
      (e) => e.action === 'subject.read',
    );
    const seq = await seqOf(t.db.handle.db, victim?.id ?? '');
    const n = await chainLength(t.db.handle.db);
    await asSuperuser(t.db.handle.db, async (tx) => {
      await sql`update audit_events set purpose = 'legal_claims' where id = ${victim?.id}`.execute(
        tx,
      );
      await sql`delete from audit_chain where seq >= ${seq}`.execute(tx);
    });
    // One more genuine event, so that a re-built chain reaches the anchored length again.
    await t.services.audit.log({ actor: system, action: 'audit.read' });
    const logged: AuditLogLine[] = [];
    const amnesiac = createAuditService({
      db: t.db.handle.db,
      repo: createAuditRepo(),
      events: allAuditEvents,
      vault: createVault(t.masterKey),
      clock: systemClock,
      logger: captureLog(logged),
    });
    // Until the alarm is raised and the genuine event after it is chained (the horizon can hold
    // that one back for a pass or two).
    await sealUntil(
      amnesiac,
      async () =>
        logged.some((l) => JSON.stringify(l.obj).includes(`"eventId":"${victim?.id}"`)) &&
        (await chainLength(t.db.handle.db)) >= n,
    );
    expect(await seqOf(t.db.handle.db, victim?.id ?? '')).toBeUndefined();
    expect(logged).toContainEqual(
      expect.objectContaining({
        level: 'error',
        obj: { auditAlarm: { kind: 'forged', seq: null, eventId: victim?.id } },
      }),
    );
    const result = await amnesiac.verify();
    expect(result.ok).toBe(false);
    expect(result.broken).toMatchObject({ kind: 'forged', eventId: victim?.id, seq: null });
    expect(result.broken?.reason).toContain('does not match its contents');
    expect(await chainLength(t.db.handle.db)).toBe(n);
    // With its anchor file the server's own verification sees the chain was re-built.
    const anchored = await t.services.audit.verify();
    expect(anchored.ok).toBe(false);
    expect(anchored.broken).toMatchObject({ kind: 'anchor', seq: String(n) });
    expect(anchored.forged).toContain(victim?.id);
  });

  it('(b) a subject.read inserted by SQL is never chained and is named as forged', async () => {
    await setUp();
    const insert = (mac: Buffer | null) =>
      sql<{ id: string }>`
        insert into audit_events (at, actor_kind, actor_id, role, purpose, subject_id, action, categories, fields, outcome, mac)
        values (now(), 'staff', ${'00000000-0000-4000-8000-000000000001'}, 'handler', 'newsletter', ${id},
                'subject.read', '{contact}', '{contact.email}', 'ok', ${mac})
        returning id::text as id`.execute(t.db.handle.db);
    const forged = (await insert(null)).rows[0]?.id ?? '';
    const withNoise = (await insert(Buffer.alloc(48, 7))).rows[0]?.id ?? '';
    // Genuine events after them are still chained.
    await t.services.audit.log({ actor: system, action: 'audit.read' });
    await sealUntil(t.services.audit, () => {
      const seen = t.services.audit.alarms().map((a) => a.eventId);
      return seen.includes(forged) && seen.includes(withNoise);
    });
    expect(await seqOf(t.db.handle.db, forged)).toBeUndefined();
    expect(await seqOf(t.db.handle.db, withNoise)).toBeUndefined();
    const listed = await t.services.audit.list({ subjectId: id, limit: 50 });
    expect(listed.find((e) => e.id === forged)?.sealed).toBe(false);
    expect(t.services.audit.alarms()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'forged', eventId: forged }),
        expect.objectContaining({ kind: 'forged', eventId: withNoise }),
      ]),
    );
    expect(errors().map((l) => l.obj)).toContainEqual({
      auditAlarm: { kind: 'forged', seq: null, eventId: forged },
    });

    const result = await t.services.audit.verify();
    expect(result).toMatchObject({
      ok: false,
      broken: { kind: 'forged', eventId: forged, seq: null },
      forged: [forged, withNoise],
    });
    expect(result.broken?.reason).toContain('carries no MAC');
    const api = await t.app.inject({ url: '/api/v1/audit/verify', headers: auditor });
    expect(api.json()).toMatchObject({ ok: false, broken: { kind: 'forged', eventId: forged } });
    // Verifying again does not raise the same alarm twice.
    const count = errors().length;
    await t.services.audit.verify();
    expect(errors().length).toBe(count);
  });

  it('(c) every chain row deleted: the sealer refuses to start a new chain, verify names entry 1', async () => {
    await setUp();
    const before = await chainLength(t.db.handle.db);
    await sql`alter table audit_chain disable trigger all`.execute(t.db.handle.db);
    await sql`delete from audit_chain`.execute(t.db.handle.db);
    await sql`alter table audit_chain enable trigger all`.execute(t.db.handle.db);
    await t.services.audit.log({ actor: system, action: 'audit.read' });

    expect(await t.services.audit.seal()).toBe(0);
    expect(await restarted().seal()).toBe(0);
    expect(await chainLength(t.db.handle.db)).toBe(0);
    expect(t.services.audit.alarms()).toContainEqual(
      expect.objectContaining({ kind: 'truncated', seq: '1' }),
    );
    const result = await restarted().verify();
    expect(result.ok).toBe(false);
    expect(result.checked).toBe(0);
    expect(result.broken).toMatchObject({ kind: 'truncated', seq: '1', eventId: null });
    expect(result.broken?.reason).toContain(`chain entries 1 to ${before} are missing`);
  });

  it('(d) the tail cut off (last chain rows and their events deleted): named from the first missing entry', async () => {
    await setUp();
    const n = await chainLength(t.db.handle.db);
    await asSuperuser(t.db.handle.db, async (tx) => {
      await sql`delete from audit_events where id in (select event_id from audit_chain where seq > ${n - 2})`.execute(
        tx,
      );
      await sql`delete from audit_chain where seq > ${n - 2}`.execute(tx);
    });
    // Without the anchor the chain alone would still look whole.
    await t.services.audit.seal();
    expect(await chainLength(t.db.handle.db)).toBe(n - 2);
    for (const service of [t.services.audit, restarted()]) {
      const result = await service.verify();
      expect(result.ok).toBe(false);
      expect(result.checked).toBe(n - 2);
      expect(result.broken).toMatchObject({ kind: 'truncated', seq: String(n - 1) });
      expect(result.forged).toEqual([]);
    }
  });

  it('(e) MACs copied from another event: a different event, a replayed copy, a chained event', async () => {
    await setUp();
    const events = (await t.services.audit.list({ subjectId: id, limit: 50 })).reverse();
    const [first, second] = events;
    // The unique index would refuse a repeated MAC; a superuser drops it first.
    await sql`drop index audit_events_mac`.execute(t.db.handle.db);
    const other = await sql<{ id: string }>`
      insert into audit_events (at, actor_kind, actor_id, role, purpose, subject_id, action, categories, fields, outcome, request_id, detail, data, mac)
      select at, actor_kind, actor_id, role, 'legal_claims', subject_id, action, categories, fields, outcome, request_id, detail, data, mac
        from audit_events where id = ${first?.id}
      returning id::text as id`.execute(t.db.handle.db);
    const replay = await sql<{ id: string }>`
      insert into audit_events (at, actor_kind, actor_id, role, purpose, subject_id, action, categories, fields, outcome, request_id, detail, data, mac)
      select at, actor_kind, actor_id, role, purpose, subject_id, action, categories, fields, outcome, request_id, detail, data, mac
        from audit_events where id = ${second?.id}
      returning id::text as id`.execute(t.db.handle.db);
    const otherId = other.rows[0]?.id ?? '';
    const replayId = replay.rows[0]?.id ?? '';
    // Another suite's open transaction on a shared server can keep both out of reach for a moment.
    await sealUntil(t.services.audit, () =>
      [otherId, replayId].every((forgedId) =>
        t.services.audit.alarms().some((a) => a.kind === 'forged' && a.eventId === forgedId),
      ),
    );
    expect(await seqOf(t.db.handle.db, otherId)).toBeUndefined();
    expect(await seqOf(t.db.handle.db, replayId)).toBeUndefined();
    const unchained = await t.services.audit.verify();
    expect(unchained).toMatchObject({
      ok: false,
      broken: { kind: 'forged', eventId: otherId },
      forged: [otherId, replayId],
    });
    expect(t.services.audit.alarms()).toContainEqual(
      expect.objectContaining({
        kind: 'forged',
        eventId: replayId,
        message: expect.stringContaining('copy'),
      }),
    );

    // A chained event given another's MAC no longer matches its chain entry.
    const seq = await seqOf(t.db.handle.db, second?.id ?? '');
    await asSuperuser(t.db.handle.db, async (tx) => {
      await sql`update audit_events set mac = (select mac from audit_events where id = ${first?.id}) where id = ${second?.id}`.execute(
        tx,
      );
    });
    const chained = await t.services.audit.verify();
    expect(chained.ok).toBe(false);
    expect(chained.broken).toMatchObject({ kind: 'changed', seq, eventId: second?.id });
  });

  it('a chain row deleted from the middle: a starting sealer refuses to chain on top, verify names it', async () => {
    await setUp();
    await asSuperuser(t.db.handle.db, async (tx) => {
      await sql`delete from audit_chain where seq = 2`.execute(tx);
    });
    await t.services.audit.log({ actor: system, action: 'audit.read' });
    const before = await chainLength(t.db.handle.db);
    const logged: AuditLogLine[] = [];
    const fresh = restarted(logged);
    expect(await fresh.seal()).toBe(0);
    expect(await chainLength(t.db.handle.db)).toBe(before);
    expect(fresh.alarms()).toContainEqual(expect.objectContaining({ kind: 'missing', seq: '2' }));
    expect(logged.filter((l) => l.level === 'error').map((l) => l.msg)).toContainEqual(
      expect.stringContaining('chain entry 2 has disappeared'),
    );
    const result = await fresh.verify();
    expect(result.ok).toBe(false);
    expect(result.broken).toMatchObject({ kind: 'missing', seq: '2', eventId: null });
    expect(result.checked).toBe(1);
  });

  it('entries from before MACs count as unauthenticated; one without a MAC after MACs began is forged', async () => {
    await setUp();
    const vault = createVault(t.masterKey);
    const repo = createAuditRepo();
    /** Drops the MAC of the given positions and rebuilds the chain, as only the key holder could. */
    const withoutMac = async (seqs: string[]) => {
      await asSuperuser(t.db.handle.db, async (tx) => {
        await sql`update audit_events set mac = null
                   where id in (select event_id from audit_chain where seq::text in (${sql.join(seqs)}))`.execute(
          tx,
        );
      });
      let prev: Buffer = Buffer.alloc(32);
      for (const entry of await repo.chainPage(t.db.handle.db, '0', 1000)) {
        if (!entry.event) {
          throw new Error('event missing');
        }
        prev = vault.auditHash(prev, canonicalEvent(entry.event));
        await asSuperuser(t.db.handle.db, async (tx) => {
          await sql`update audit_chain set hash = ${prev} where seq = ${entry.seq}`.execute(tx);
        });
      }
    };
    // As after an upgrade: the first entries were sealed before events carried a MAC.
    await withoutMac(['1', '2']);
    const amnesiac = createAuditService({
      db: t.db.handle.db,
      repo,
      events: allAuditEvents,
      vault,
      clock: systemClock,
      logger: captureLog([]),
    });
    const legacy = await amnesiac.verify();
    expect(legacy).toMatchObject({ ok: true, unauthenticated: 2 });
    await withoutMac(['4']);
    const gap = await amnesiac.verify();
    expect(gap.ok).toBe(false);
    expect(gap.broken).toMatchObject({ kind: 'forged', seq: '4' });
    expect(gap.broken?.reason).toContain('carries no MAC, although entries before it do');
  });

  it('anchors the head outside the database: a 0600 file of JSON lines in a 0700 directory, and the log', async () => {
    await setUp();
    const lines = (await readFile(t.anchorFile, 'utf8')).trim().split('\n');
    const last = JSON.parse(lines[lines.length - 1] ?? '') as Record<string, string>;
    expect(Object.keys(last).sort()).toEqual(['hash', 'seq', 'time']);
    expect(last.hash).toMatch(/^[0-9a-f]{64}$/);
    const head = (await t.services.audit.verify()).head;
    expect(last).toMatchObject({ seq: head?.seq, hash: head?.hash });
    if (process.platform !== 'win32') {
      expect((await stat(t.anchorFile)).mode & 0o777).toBe(0o600);
      expect((await stat(dirname(t.anchorFile))).mode & 0o777).toBe(0o700);
    }
    expect(t.auditLog).toContainEqual({
      level: 'info',
      obj: { auditAnchor: { seq: last.seq, hash: last.hash } },
      msg: 'access log chain head anchored',
    });
    // Within the interval a pass that advanced the chain does not anchor again; forced, it does.
    await t.services.audit.log({ actor: system, action: 'audit.read' });
    // Seal until the new entry is chained: another database's transaction on a shared server can
    // hold the sealer's horizon back for a moment (as in setUp).
    for (let i = 0; i < 200; i++) {
      await t.services.audit.seal();
      if ((await t.services.audit.verify()).unsealed === 0) {
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await t.services.audit.verify()).head?.seq).toBe(String(Number(last.seq) + 1));
    expect((await readFile(t.anchorFile, 'utf8')).trim().split('\n')).toHaveLength(lines.length);
    await t.services.audit.anchor();
    const after = (await readFile(t.anchorFile, 'utf8')).trim().split('\n');
    expect(after).toHaveLength(lines.length + 1);
    const newest = JSON.parse(after[after.length - 1] ?? '') as { seq: string };
    expect(newest.seq).toBe(String(Number(last.seq) + 1));
  });

  it('writes a MAC with every event: in a transaction, through the batcher and through COPY in imports', async () => {
    await setUp();
    await t.services.imports.createMany(system, {
      purpose: 'customer_relationship',
      source: 'subject',
      records: [
        {
          identity: { firstName: 'Veikko', lastName: 'Lahtinen' },
          contact: { email: 'veikko.lahtinen@example.org' },
        },
      ],
    });
    const rows = await sql<{
      action: string;
      n: number;
      with_mac: number;
    }>`select action, count(*)::int as n, count(*) filter (where length(mac) = 48)::int as with_mac
         from audit_events group by action`.execute(t.db.handle.db);
    const byAction = new Map(rows.rows.map((r) => [r.action, r]));
    for (const action of ['subject.create', 'subject.read', 'subject.import']) {
      expect(byAction.get(action)?.n, action).toBeGreaterThan(0);
    }
    for (const r of rows.rows) {
      expect(r.with_mac, r.action).toBe(r.n);
    }
    expect(await t.services.audit.verify()).toMatchObject({ ok: true, forged: [] });
  });
});

describe('the anchor file', () => {
  it('survives a line torn by a crash, takes the highest position, and refuses a symbolic link', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rekisteri-anchors-'));
    try {
      const file = join(dir, 'keystore', 'audit-anchors.jsonl');
      const store = fileAnchors(file);
      expect(await store.latest()).toBeUndefined();
      const hash = (c: string) => c.repeat(64);
      await store.append({ seq: '7', hash: hash('a'), time: '2026-11-30T10:00:00.000Z' });
      await store.append({ seq: '9', hash: hash('b'), time: '2026-11-30T10:00:10.000Z' });
      // Another process anchored an older head after this one: the highest still counts.
      await store.append({ seq: '8', hash: hash('c'), time: '2026-11-30T10:00:11.000Z' });
      await appendFile(file, '{"seq":"12","hash":"dd');
      expect(await store.latest()).toEqual({
        seq: '9',
        hash: hash('b'),
        time: '2026-11-30T10:00:10.000Z',
      });
      const link = join(dir, 'link.jsonl');
      await symlink(file, link);
      await expect(fileAnchors(link).latest()).rejects.toThrow(/ELOOP|symbolic/);
      await expect(
        fileAnchors(link).append({ seq: '10', hash: hash('e'), time: 'now' }),
      ).rejects.toThrow(/ELOOP|symbolic/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
