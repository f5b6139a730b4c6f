/**
 * Typed access-log events: each module declares its events with a strict schema of non-personal
 * data and a sentence in sv, fi and en. The log refuses what is not declared or does not fit, the
 * API and the person's access copy show the sentence, the MAC and chain cover the data, and events
 * written before data existed keep verifying.
 */
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { allAuditEvents } from '../src/audit-events.ts';
import type { Database } from '../src/db/types.ts';
import { operator, system } from '../src/lib/actor.ts';
import { createAuditRepo, type NewAuditEvent } from '../src/modules/audit/audit.repo.ts';
import { macInput } from '../src/modules/audit/audit.service.ts';
import {
  AUDIT_LANGS,
  auditData,
  createAuditEventRegistry,
  defineAuditEvent,
  sampleAuditData,
  type AuditEvent,
} from '../src/modules/audit/index.ts';
import { createVault } from '../src/vault/vault.ts';
import { anna, createTestContext, DATABASES, sealEverything, type TestContext } from './helpers.ts';
import { consentToMarketing } from './factories.ts';

const registry = createAuditEventRegistry(allAuditEvents);

/** Every path to a string in a sample of the data, with a setter that replaces it. */
function stringLeaves(value: unknown, path: string[] = []): string[][] {
  if (typeof value === 'string') {
    return [path];
  }
  if (Array.isArray(value)) {
    return value.flatMap((v, i) => stringLeaves(v, [...path, String(i)]));
  }
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => stringLeaves(v, [...path, k]));
  }
  return [];
}

function withLeaf(value: unknown, path: string[], leaf: string): unknown {
  const copy = structuredClone(value) as Record<string, unknown>;
  let at: Record<string, unknown> = copy;
  path.slice(0, -1).forEach((p) => (at = at[p] as Record<string, unknown>));
  at[path[path.length - 1] as string] = leaf;
  return copy;
}

describe('declared access-log events', () => {
  it('declares each event once, named module.verb, with the old actions all still there', () => {
    expect(registry.names()).toEqual(expect.arrayContaining(['subject.read', 'staff.update']));
    expect(new Set(allAuditEvents.map((e) => e.name)).size).toBe(allAuditEvents.length);
    for (const name of registry.names()) {
      expect(name).toMatch(/^[a-z]+\.[a-z_]+$/);
    }
  });

  it('renders every declared event in sv, fi and en with nothing left unfilled', () => {
    for (const d of allAuditEvents) {
      const data = sampleAuditData(d.schema) as Record<string, unknown>;
      expect(d.schema.safeParse(data).success, d.name).toBe(true);
      const texts = AUDIT_LANGS.map((lang) => registry.render({ action: d.name, data }, lang));
      for (const text of texts) {
        expect(text, d.name).not.toBe(d.name);
        expect(text.length, d.name).toBeGreaterThan(5);
        expect(text, d.name).not.toMatch(/\$\{|undefined|null|\[object|NaN|\{\{/);
      }
      // Three languages, not one sentence three times (ids and codes aside).
      expect(new Set(texts).size, d.name).toBe(3);
    }
  });

  it('no schema admits personal data: strings are ids or identifiers, objects refuse unknown keys', () => {
    const personal = [
      'maija.meikalainen@example.fi',
      'Maija Meikäläinen',
      '+358 40 123 4567',
      'lives at Esimerkkikatu 1',
      // A personal identity code and a phone number written with hyphens, in a reference.
      '010190-1230',
      '040-123-4567',
    ];
    for (const d of allAuditEvents) {
      const data = sampleAuditData(d.schema);
      expect(d.schema.safeParse({ ...(data as object), note: 'x' }).success, d.name).toBe(false);
      for (const path of stringLeaves(data)) {
        for (const p of personal) {
          expect(
            d.schema.safeParse(withLeaf(data, path, p)).success,
            `${d.name} ${path.join('.')} took "${p}"`,
          ).toBe(false);
        }
      }
    }
  });

  it('refuses a declaration whose data could carry free text, or whose objects are not strict', () => {
    const text = { sv: () => 'x', fi: () => 'x', en: () => 'x' };
    expect(() => defineAuditEvent('demo.note', z.strictObject({ note: z.string() }), text)).toThrow(
      /note: string is not allowed/,
    );
    expect(() => defineAuditEvent('demo.loose', z.object({ id: auditData.id() }), text)).toThrow(
      /strict/,
    );
    expect(() =>
      defineAuditEvent(
        'demo.nested',
        z.strictObject({ who: z.strictObject({ name: z.string().max(50) }) }),
        text,
      ),
    ).toThrow(/who\.name/);
    expect(() => createAuditEventRegistry([...allAuditEvents, allAuditEvents[0]])).toThrow(
      /declared twice/,
    );
  });

  it('renders an old entry by its detail, and an undeclared one by its name', () => {
    expect(
      registry.render({ action: 'staff.update', data: null, detail: 'staff 1: name' }, 'fi'),
    ).toBe('staff 1: name');
    expect(registry.render({ action: 'gone.away', data: {} }, 'sv')).toBe('gone.away');
    expect(registry.render({ action: 'staff.logout', data: null }, 'sv')).toBe('Loggade ut');
  });
});

/** Runs statements as a superuser with every trigger switched off. */
async function asSuperuser(
  db: Kysely<Database>,
  fn: (tx: Kysely<Database>) => Promise<void>,
): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await sql`set local session_replication_role = replica`.execute(tx);
    await fn(tx);
  });
}

const countEvents = async (db: Kysely<Database>) =>
  Number(
    (await sql<{ n: string }>`select count(*)::text as n from audit_events`.execute(db)).rows[0]?.n,
  );

describe.each(DATABASES)('typed access-log events on %s', (kind) => {
  let t: TestContext;
  let auditor: { cookie: string };

  beforeAll(async () => {
    t = await createTestContext(kind);
    const { password } = await t.services.staff.createStaff(operator, {
      username: 'auditor',
      displayName: 'Test auditor',
      role: 'auditor',
      password: 'a passphrase of my own, long enough',
    });
    const login = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'auditor', password },
    });
    expect(login.statusCode, login.body).toBe(200);
    auditor = {
      cookie: `rk_session=${login.cookies.find((c) => c.name === 'rk_session')?.value ?? ''}`,
    };
  }, 120_000);

  afterAll(async () => {
    await t?.close();
  });

  it('refuses an undeclared action, data that does not fit, and unknown keys: nothing is written', async () => {
    const db = t.db.handle.db;
    const before = await countEvents(db);
    const bad = [
      { actor: system, action: 'subject.peek' },
      { actor: system, action: 'subject.erase', data: { reason: 'because she asked' } },
      { actor: system, action: 'subject.erase' },
      { actor: system, action: 'subject.erase', data: { reason: 'request', email: 'a@b.fi' } },
      { actor: system, action: 'staff.create', data: { staffId: 'Maija', role: 'handler' } },
    ] as unknown as AuditEvent[];
    for (const e of bad) {
      await expect(t.services.audit.record(db, e), JSON.stringify(e)).rejects.toThrow(
        /access-log event/,
      );
      await expect(t.services.audit.log(e)).rejects.toThrow(/access-log event/);
    }
    // One bad event in a batch refuses the batch.
    await expect(
      t.services.audit.record(db, [{ actor: system, action: 'audit.read' }, bad[1] as AuditEvent]),
    ).rejects.toThrow(/does not fit/);
    expect(await countEvents(db)).toBe(before);
  });

  it('the API returns each entry with its data and its sentence in the language asked', async () => {
    const { staff } = await t.services.staff.createStaff(operator, {
      username: 'handler1',
      displayName: 'Test handler',
      role: 'support',
    });
    await t.services.staff.updateStaff(operator, staff.id, { role: 'marketing' });
    const page = async (lang?: string) => {
      const r = await t.app.inject({
        url: `/api/v1/audit${lang ? `?lang=${lang}` : ''}`,
        headers: auditor,
      });
      expect(r.statusCode, r.body).toBe(200);
      return r.json<{
        items: Array<{ action: string; data: unknown; text: string; detail?: unknown }>;
      }>().items;
    };
    const fi = (await page('fi')).find((e) => e.action === 'staff.update');
    expect(fi).toMatchObject({
      data: { staffId: staff.id, changed: ['role'], role: { from: 'support', to: 'marketing' } },
      text: `Muutti henkilökunnan tiliä ${staff.id}: rooli (support → marketing)`,
    });
    expect(fi).not.toHaveProperty('detail');
    const sv = (await page('sv')).find((e) => e.action === 'staff.create');
    expect(sv?.text).toBe(`Skapade personalkontot ${staff.id} med rollen support`);
    const en = (await page()).find((e) => e.action === 'staff.create');
    expect(en?.text).toBe(`Created staff account ${staff.id} with role support`);
    // The display name given is nowhere in the log.
    expect(JSON.stringify(await page('en'))).not.toContain('Test handler');
    const wrong = await t.app.inject({ url: '/api/v1/audit?lang=de', headers: auditor });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.body).toContain('lang');
  });

  it("the person's access copy shows each event as a sentence, without the employee", async () => {
    const headers = await t.key(['*'], ['read', 'write', 'export', 'erase', 'handle_requests']);
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/subjects',
      headers,
      payload: { purpose: 'customer_relationship', source: 'subject', values: anna },
    });
    const id = created.json<{ id: string }>().id;
    await consentToMarketing(t.services, id);
    await t.app.inject({ url: `/api/v1/subjects/${id}?purpose=newsletter`, headers });
    const copy = (await t.app.inject({ url: `/api/v1/subjects/${id}/export`, headers })).json<{
      accessLog: Array<{ action: string; text: string }>;
    }>();
    expect(copy.accessLog).toContainEqual(
      expect.objectContaining({ action: 'subject.read', text: 'Data read' }),
    );
    expect(copy.accessLog).toContainEqual(
      expect.objectContaining({ action: 'subject.create', text: 'Data recorded' }),
    );
    const erased = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/subjects/${id}`,
      headers,
    });
    expect(erased.statusCode, erased.body).toBeLessThan(300);
    const log = await t.services.audit.list({ subjectId: id, limit: 10 });
    const erase = log.find((e) => e.action === 'subject.erase');
    expect(erase?.data).toEqual({ reason: 'request' });
    expect(t.services.audit.render(erase as NonNullable<typeof erase>, 'fi')).toBe(
      'Tiedot poistettiin: pyynnöstä',
    );
  });

  it('an API key and its access-log entry commit together: a failing entry leaves the key as it was', async () => {
    const db = t.db.handle.db;
    const { key } = await t.services.apiKeys.createApiKey(operator, {
      name: 'crm',
      purposes: ['customer_relationship'],
      actions: ['read', 'write'],
    });
    const entries = async () =>
      (await t.services.audit.list({ limit: 200 })).filter(
        (e) => (e.data as { keyId?: string } | null)?.keyId === key.id,
      );
    expect((await entries()).map((e) => [e.action, e.actor_kind, e.actor_id])).toEqual([
      ['apikey.create', 'operator', 'cli'],
    ]);
    // The access log refuses the revocation's entry: the revocation is rolled back with it.
    await sql`alter table audit_events add constraint no_revoke check (action <> 'apikey.revoke') not valid`.execute(
      db,
    );
    try {
      await expect(t.services.apiKeys.revokeApiKey(operator, key.id)).rejects.toThrow();
    } finally {
      await sql`alter table audit_events drop constraint no_revoke`.execute(db);
    }
    expect((await t.services.apiKeys.listApiKeys()).find((k) => k.id === key.id)?.revokedAt).toBe(
      null,
    );
    expect(await entries()).toHaveLength(1);
    // A key creation whose entry fails leaves no key either.
    await sql`alter table audit_events add constraint no_create check (action <> 'apikey.create') not valid`.execute(
      db,
    );
    const keysBefore = (await t.services.apiKeys.listApiKeys()).length;
    try {
      await expect(
        t.services.apiKeys.createApiKey(operator, {
          name: 'lost',
          purposes: ['newsletter'],
          actions: ['read'],
        }),
      ).rejects.toThrow();
    } finally {
      await sql`alter table audit_events drop constraint no_create`.execute(db);
    }
    expect(await t.services.apiKeys.listApiKeys()).toHaveLength(keysBefore);
    await t.services.apiKeys.revokeApiKey(operator, key.id);
    expect((await entries()).map((e) => e.action).sort()).toEqual([
      'apikey.create',
      'apikey.revoke',
    ]);
    // Only the operator with every right manages keys.
    const scoped = await t.services.apiKeys.authenticate(
      (
        await t.services.apiKeys.createApiKey(operator, {
          name: 'x',
          purposes: ['*'],
          actions: ['read'],
        })
      ).token,
    );
    await expect(
      t.services.apiKeys.createApiKey(scoped, { name: 'y', purposes: ['*'], actions: ['read'] }),
    ).rejects.toMatchObject({ code: 'forbidden' });
    await expect(t.services.apiKeys.revokeApiKey(scoped, key.id)).rejects.toMatchObject({
      code: 'forbidden',
    });
  });

  it('an entry written before events carried data (version 1, free-text detail) still verifies and shows its detail', async () => {
    const vault = createVault(t.masterKey);
    const nonce = Buffer.alloc(16, 3);
    const old: NewAuditEvent = {
      at: new Date(),
      actor_kind: 'operator',
      actor_id: 'cli',
      role: null,
      purpose: null,
      subject_id: null,
      action: 'staff.update',
      categories: [],
      fields: [],
      outcome: 'ok',
      request_id: null,
      detail: 'staff 0190c6a4: role handler → auditor',
      data: null,
      mac: null,
    };
    old.mac = Buffer.concat([nonce, vault.auditMac(macInput(nonce, old))]);
    expect(macInput(nonce, old)).toContain('rekisteri/audit-event/1');
    await createAuditRepo().insert(t.db.handle.db, [old]);
    await sealEverything(t.services.audit);
    const result = await t.services.audit.verify();
    expect(result).toMatchObject({ ok: true, unsealed: 0, forged: [] });
    const r = await t.app.inject({ url: '/api/v1/audit?lang=sv', headers: auditor });
    expect(r.json<{ items: Array<{ data: unknown; text: string }> }>().items).toContainEqual(
      expect.objectContaining({ data: null, text: 'staff 0190c6a4: role handler → auditor' }),
    );
  });

  it("editing a new event's data with the triggers off is named by verify, sealed or not", async () => {
    const db = t.db.handle.db;
    // Sealed: the chain and the MAC both cover the data.
    const keyHolder = await t.services.apiKeys.createApiKey(operator, {
      name: 'shop',
      purposes: ['newsletter'],
      actions: ['read'],
    });
    await sealEverything(t.services.audit);
    expect((await t.services.audit.verify()).ok).toBe(true);
    const sealed = (await t.services.audit.list({ limit: 50 })).find(
      (e) => e.action === 'apikey.create',
    );
    expect(sealed?.sealed).toBe(true);
    expect(sealed?.data).toMatchObject({ keyId: keyHolder.key.id, purposes: ['newsletter'] });
    // The same keys in another order are the same data: canonical JSON.
    await asSuperuser(db, async (tx) => {
      await sql`update audit_events set data = ${JSON.stringify({ purposes: ['newsletter'], actions: ['read'], keyId: keyHolder.key.id })}::jsonb where id = ${sealed?.id}`.execute(
        tx,
      );
    });
    expect((await t.services.audit.verify()).ok).toBe(true);
    await asSuperuser(db, async (tx) => {
      await sql`update audit_events set data = jsonb_set(data, '{purposes}', '["*"]') where id = ${sealed?.id}`.execute(
        tx,
      );
    });
    const changed = await t.services.audit.verify();
    expect(changed.ok).toBe(false);
    expect(changed.broken).toMatchObject({ eventId: sealed?.id, kind: 'changed' });
    // Put back, the chain holds again.
    await asSuperuser(db, async (tx) => {
      await sql`update audit_events set data = jsonb_set(data, '{purposes}', '["newsletter"]') where id = ${sealed?.id}`.execute(
        tx,
      );
    });
    expect((await t.services.audit.verify()).ok).toBe(true);
  });

  it('an unsealed event whose data is edited, or cleared to pass as an old one, is forged and never chained', async () => {
    const db = t.db.handle.db;
    // Written in a transaction the sealer cannot see yet, edited before it commits.
    let editedId = '';
    let clearedId = '';
    await db.transaction().execute(async (tx) => {
      await t.services.audit.record(tx, [
        { actor: system, action: 'subject.erase', data: { reason: 'retention' } },
        { actor: system, action: 'staff.totp', data: { enabled: true } },
      ]);
      const last = async (action: string) =>
        (
          await sql<{ id: string }>`
            select id::text as id from audit_events where action = ${action} order by id desc limit 1`.execute(
            tx,
          )
        ).rows[0]?.id ?? '';
      editedId = await last('subject.erase');
      clearedId = await last('staff.totp');
      expect(editedId).not.toBe('');
      expect(clearedId).not.toBe('');
      await sql`set local session_replication_role = replica`.execute(tx);
      await sql`update audit_events set data = '{"reason":"request"}' where id = ${editedId}`.execute(
        tx,
      );
      await sql`update audit_events set data = null, detail = 'enabled' where id = ${clearedId}`.execute(
        tx,
      );
    });
    await t.services.audit.seal();
    const result = await t.services.audit.verify();
    expect(result.ok).toBe(false);
    expect(result.forged).toEqual(expect.arrayContaining([editedId, clearedId]));
    expect(result.broken?.reason).toContain('does not match its contents');
    const chained = await sql<{ n: string }>`
      select count(*)::text as n from audit_chain where event_id in (${editedId}, ${clearedId})`.execute(
      db,
    );
    expect(chained.rows[0]?.n).toBe('0');
  });
});
