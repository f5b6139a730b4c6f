/**
 * `rekisteri backup` and `restore`: two artefacts, restored into new databases, both erasure
 * journals re-applied. Attacked as a careless administrator would: restoring over a register in
 * use, the wrong file, a damaged file, an old backup after an erasure.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../src/db/migrate.ts';
import { loadDefinition } from '../src/modules/definition/loader.ts';
import { backupStore, checkArtefact, restoreStore } from '../src/backup/backup.ts';
import { openDatabase, type DatabaseHandle } from '../src/db/database.ts';
import { EMBEDDED_CONF, openKeyStore } from '../src/keystore/keystore.ts';
import { operator } from '../src/lib/actor.ts';
import { createServices } from '../src/services.ts';
import { createVault } from '../src/vault/vault.ts';
import {
  anna,
  createPostgresDatabase,
  createTestContext,
  DATABASES,
  DEMO,
  ROOT,
  type TestContext,
} from './helpers.ts';

const exec = promisify(execFile);

/** A new, empty database of the given kind, closed and dropped at the end. */
async function emptyDatabase(
  kind: 'pglite' | 'postgres',
  cleanup: Array<() => Promise<void>>,
  keyStore = false,
): Promise<{ handle: DatabaseHandle; url?: string }> {
  if (kind === 'pglite') {
    const handle = await openDatabase(keyStore ? { postgresqlconf: EMBEDDED_CONF } : {});
    cleanup.push(() => handle.close());
    return { handle };
  }
  const created = await createPostgresDatabase();
  const handle = await openDatabase({ url: created.url, poolSize: 2 });
  cleanup.push(
    () => created.drop(),
    () => handle.close(),
  );
  return { handle, url: created.url };
}

describe.each(DATABASES)('backup and restore on %s', (kind) => {
  let t: TestContext;
  let dir: string;
  const cleanup: Array<() => Promise<void>> = [];
  const ids: string[] = [];
  let registerId: string;

  beforeAll(async () => {
    t = await createTestContext(kind);
    dir = await mkdtemp(join(tmpdir(), 'rekisteri-backup-'));
    for (let i = 0; i < 3; i++) {
      const created = await t.services.subjects.createSubject(operator, {
        purpose: 'customer_relationship',
        source: 'subject',
        values: {
          ...anna,
          contact: { email: `anna.${i}@example.fi`, phone: `040 765 43${i}0` },
        },
      });
      ids.push(created.id);
    }
    await t.services.subjects.updateSubject(operator, ids[0] as string, {
      purpose: 'customer_relationship',
      source: 'staff',
      reason: 'married',
      values: { identity: { lastName: 'Kuusisto-Laine' } },
    });
    await t.services.subjects.setRestriction(operator, ids[1] as string, 'contests the address');
    await t.services.audit.seal();
    registerId = 'test-register';
  });
  afterAll(async () => {
    for (const fn of cleanup.reverse()) {
      await fn();
    }
    await t?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('restores a register exactly, in new databases, and the erasure made after the backup still holds', async () => {
    const dataFile = join(dir, `data-${kind}.rkb`);
    const keysFile = join(dir, `keys-${kind}.rkb`);
    const dataRows = await backupStore(t.db.handle, 'data', dataFile, registerId);
    const keyRows = await backupStore(t.keys.handle, 'keys', keysFile, registerId);
    expect(dataRows.subjects).toBe(3);
    expect(keyRows.person_keys).toBe(3);
    // Each artefact is private to its owner, and the data artefact holds no person key.
    expect((await stat(dataFile)).mode & 0o077).toBe(0);
    const dataText = gunzipSync(await readFile(dataFile)).toString('utf8');
    for (const id of ids) {
      const wrapped = (await t.keys.get(id)) as Buffer;
      expect(dataText).not.toContain(wrapped.toString('hex'));
    }
    expect(dataText).not.toContain('Kuusisto');
    const before = await t.services.subjects.exportSubject(operator, ids[0] as string);

    await t.services.subjects.eraseSubject(operator, ids[2] as string);

    // The old data beside today's key store.
    const data = await emptyDatabase(kind, cleanup);
    const restored = await restoreStore(data.handle, dataFile, 'data');
    expect(restored.rows).toEqual(dataRows);
    const services = createServices({
      database: data.handle,
      keys: t.keys,
      register: t.register,
      vault: createVault(t.masterKey),
    });
    expect(await services.subjects.reconcileErasures()).toEqual({
      keysDestroyed: 0,
      subjectsErased: 1,
    });
    expect(await services.subjects.countSubjects()).toBe(2);
    const after = await services.subjects.exportSubject(operator, ids[0] as string);
    expect(after.categories).toEqual(before.categories);
    expect(after.history).toEqual(before.history);
    expect(after.subject.restricted).toBe(false);
    const restricted = await services.subjects.exportSubject(operator, ids[1] as string);
    expect(restricted.subject.restrictionReason).toBe('contests the address');
    // The access log came along, chain and all, and goes on from where it was.
    const verified = await services.audit.verify();
    expect(verified.ok).toBe(true);
    expect(verified.checked).toBeGreaterThan(0);
    await services.subjects.createSubject(operator, {
      purpose: 'customer_relationship',
      source: 'subject',
      values: { contact: { email: 'uusi@example.fi' } },
    });
    expect((await services.audit.verify()).ok).toBe(true);

    // The old key store beside today's data.
    const keyDb = await emptyDatabase(kind, cleanup, true);
    await restoreStore(keyDb.handle, keysFile, 'keys');
    await keyDb.handle.close();
    cleanup.pop();
    const oldKeys =
      kind === 'pglite'
        ? undefined // an in-memory database does not outlive its handle; covered by the CLI test
        : await openKeyStore({ url: keyDb.url });
    if (oldKeys) {
      cleanup.push(() => oldKeys.close());
      expect(await oldKeys.get(ids[2] as string)).toBeInstanceOf(Buffer);
      const withOldKeys = createServices({
        database: t.db.handle,
        keys: oldKeys,
        register: t.register,
        vault: createVault(t.masterKey),
      });
      expect(await withOldKeys.subjects.reconcileErasures()).toEqual({
        keysDestroyed: 1,
        subjectsErased: 0,
      });
      expect(await oldKeys.get(ids[2] as string)).toBeUndefined();
      expect(await oldKeys.get(ids[0] as string)).toBeInstanceOf(Buffer);
    }
  });

  it("a person's mail in a backup taken before their erasure opens for no one after a restore, and the restore removes it", async () => {
    const address = 'veikko.varis@example.fi';
    const { id } = await t.services.subjects.createSubject(operator, {
      purpose: 'customer_relationship',
      source: 'subject',
      values: { ...anna, contact: { email: address } },
    });
    const mailId = await t.services.mail.sendMail({
      to: address,
      subjectId: id,
      template: 'verify-address',
      locale: 'fi',
      data: { register: 'Asiakasrekisteri', link: 'https://rekisteri.example.fi/v?t=1' },
    });
    const dataFile = join(dir, `mail-data-${kind}.rkb`);
    await backupStore(t.db.handle, 'data', dataFile, registerId);
    expect(gunzipSync(await readFile(dataFile)).toString('utf8')).not.toContain('veikko');

    await t.services.subjects.eraseSubject(operator, id);
    const outboxOf = (h: DatabaseHandle) =>
      h.db.selectFrom('outbox').selectAll().where('id', '=', mailId).execute();
    expect(await outboxOf(t.db.handle)).toEqual([]);

    // The attacker's view: the old backup restored, with the master key and today's key store.
    const data = await emptyDatabase(kind, cleanup);
    await restoreStore(data.handle, dataFile, 'data');
    const [copy] = await outboxOf(data.handle);
    expect(copy?.subject_id).toBe(id);
    expect(copy!.sealed.includes(Buffer.from('veikko'))).toBe(false);
    const vault = createVault(t.masterKey);
    expect(() => vault.openSecret(`outbox:${mailId}`, copy!.sealed)).toThrow();
    expect(await t.keys.get(id)).toBeUndefined();
    const services = createServices({
      database: data.handle,
      keys: t.keys,
      register: t.register,
      vault,
    });
    expect((await services.mail.listOutbox(operator)).map((e) => e.id)).not.toContain(mailId);
    // The restore re-applies the erasure from the key store's journal: the row goes.
    await services.subjects.reconcileErasures();
    expect(await outboxOf(data.handle)).toEqual([]);
  });

  it('refuses to restore over a register in use, the wrong artefact, and a damaged file; nothing is changed', async () => {
    const dataFile = join(dir, `refuse-data-${kind}.rkb`);
    const keysFile = join(dir, `refuse-keys-${kind}.rkb`);
    await backupStore(t.db.handle, 'data', dataFile, registerId);
    await backupStore(t.keys.handle, 'keys', keysFile, registerId);
    const count = await t.services.subjects.countSubjects();
    await expect(restoreStore(t.db.handle, dataFile, 'data')).rejects.toThrow(/is not empty/);
    expect(await t.services.subjects.countSubjects()).toBe(count);

    const target = await emptyDatabase(kind, cleanup);
    await expect(restoreStore(target.handle, keysFile, 'data')).rejects.toThrow(
      /is a backup of the key store, not of the data/,
    );
    const damaged = join(dir, `damaged-${kind}.rkb`);
    const whole = await readFile(dataFile);
    await writeFile(damaged, whole.subarray(0, Math.floor(whole.length * 0.7)));
    await expect(restoreStore(target.handle, damaged, 'data')).rejects.toThrow();
    // Read through without loading, as a restore of both stores does first.
    await expect(checkArtefact(damaged, 'data')).rejects.toThrow(/damaged|incomplete|ends early/);
    await expect(checkArtefact(keysFile, 'data')).rejects.toThrow(/not of the data/);
    expect((await checkArtefact(dataFile, 'data')).store).toBe('data');
    const notOurs = join(dir, `not-ours-${kind}.rkb`);
    await writeFile(notOurs, 'hello');
    await expect(restoreStore(target.handle, notOurs, 'data')).rejects.toThrow(
      /not a Rekisteri backup/,
    );
    // A failed restore loaded nothing: the target holds no row.
    const rows = await target.handle.db
      .selectFrom('subjects')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirst()
      .catch(() => undefined);
    expect(Number(rows?.n ?? 0)).toBe(0);
    // …and is as empty as before, so the restore can be tried again with a good file.
    const retried = await restoreStore(target.handle, dataFile, 'data');
    expect(retried.rows.subjects).toBeGreaterThan(0);
    // And a backup never overwrites a file.
    await expect(backupStore(t.db.handle, 'data', dataFile, registerId)).rejects.toThrow(/EEXIST/);
  });
});

describe('rekisteri backup and restore from the command line (embedded)', () => {
  it(
    'restores each store on its own after an erasure, and the erased person stays erased',
    {
      timeout: 300_000,
    },
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'rekisteri-cli-backup-'));
      const env = {
        ...Object.fromEntries(
          Object.entries(process.env).filter(
            ([k]) =>
              ![
                'DATABASE_URL',
                'KEYSTORE_DATABASE_URL',
                'REKISTERI_MASTER_KEY',
                'REKISTERI_KEYSTORE',
                'REKISTERI_DATA',
              ].includes(k),
          ),
        ),
        REKISTERI_REGISTER: DEMO,
        REKISTERI_MASTER_KEY: randomBytes(32).toString('hex'),
      };
      const run = async (...args: string[]) => {
        try {
          const r = await exec(process.execPath, [join(ROOT, 'bin/rekisteri.js'), ...args], {
            cwd: dir,
            env,
          });
          return { code: 0, out: r.stdout + r.stderr };
        } catch (err) {
          const e = err as { code: number; stdout: string; stderr: string };
          return { code: e.code, out: e.stdout + e.stderr };
        }
      };
      try {
        expect((await run('seed', '--count', '4')).code).toBe(0);
        const b = await run('backup', '--data', 'd.rkb', '--keys', 'k.rkb');
        expect(b.out).toContain('4 person keys');
        const text = gunzipSync(await readFile(join(dir, 'd.rkb'))).toString('utf8');
        const id = /\n([0-9a-f-]{36})\t/.exec(text.slice(text.indexOf('"table":"subjects"')))?.[1];
        expect(id).toBeDefined();
        expect((await run('erase', '--subject', id as string, '--reason', 'request')).code).toBe(0);

        // The old data restored beside today's key store.
        await exec('mv', [join(dir, 'data'), join(dir, 'data.today')]);
        const r1 = await run('restore', '--data', 'd.rkb');
        expect(r1.code, r1.out).toBe(0);
        expect(r1.out).toContain('1 people erased in the data');
        // Seeded people have no orders, so the demo's bookkeeping holds (triggeredBy: [orders])
        // kept nothing and the erasure made no held record (docs/requests.md).
        expect(r1.out).toContain('3 people, 3 person keys');
        // The anchors of the log the restore cut short are kept aside, and the log verifies.
        expect(r1.out).toMatch(/anchors name entries the restored log no longer has: kept as/);
        const verified = await run('audit', 'verify');
        expect(verified.code, verified.out).toBe(0);
        const exported = await run('export', '--subject', id as string);
        expect(exported.code).toBe(1);
        expect(exported.out).toContain('no subject with id');

        // The old key store restored beside today's data.
        await exec('mv', [join(dir, 'keystore'), join(dir, 'keystore.today')]);
        const r2 = await run('restore', '--keys', 'k.rkb');
        expect(r2.code, r2.out).toBe(0);
        expect(r2.out).toContain('1 keys destroyed');
        expect(r2.out).toContain('3 people, 3 person keys');

        // Over a register in use: refused, nothing touched.
        const r3 = await run('restore', '--data', 'd.rkb');
        expect(r3.code).toBe(1);
        expect(r3.out).toMatch(/is not empty: move it away first/);

        // Another register's data beside this key store: refused before anything is written.
        const other = join(dir, 'other');
        await exec('mkdir', [other]);
        const otherKey = randomBytes(32).toString('hex');
        const inOther = async (...args: string[]) =>
          exec(process.execPath, [join(ROOT, 'bin/rekisteri.js'), ...args], {
            cwd: other,
            env: { ...env, REKISTERI_MASTER_KEY: otherKey },
          });
        await inOther('seed', '--count', '1');
        await inOther('backup', '--data', join(dir, 'foreign.rkb'));
        await exec('mv', [join(dir, 'data'), join(dir, 'data.restored')]);
        const r4 = await run('restore', '--data', 'foreign.rkb');
        expect(r4.code).toBe(1);
        expect(r4.out).toContain('belongs to another register');
        await expect(stat(join(dir, 'data'))).rejects.toThrow(/ENOENT/);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});

describe.runIf(process.env.TEST_DATABASE_URL)('times on a server with other defaults', () => {
  it(
    'keeps the access log genuine and backups restorable whatever DateStyle and TimeZone the database has',
    {
      timeout: 120_000,
    },
    async () => {
      const cleanup: Array<() => Promise<void>> = [];
      const odd = async () => {
        const created = await createPostgresDatabase();
        const admin = await openDatabase({ url: created.url, poolSize: 1 });
        const name = new URL(created.url).pathname.slice(1);
        await sql`alter database ${sql.id(name)} set datestyle = 'SQL, DMY'`.execute(admin.db);
        await sql`alter database ${sql.id(name)} set timezone = 'America/St_Johns'`.execute(
          admin.db,
        );
        await admin.close();
        const handle = await openDatabase({ url: created.url, poolSize: 2 });
        cleanup.unshift(
          () => handle.close(),
          () => created.drop(),
        );
        return handle;
      };
      try {
        const data = await odd();
        await migrateToLatest(data.db);
        const keyDb = await createPostgresDatabase();
        const keys = await openKeyStore({ url: keyDb.url });
        cleanup.unshift(
          () => keys.close(),
          () => keyDb.drop(),
        );
        const register = await loadDefinition(DEMO);
        const masterKey = randomBytes(32);
        const services = createServices({
          database: data,
          keys,
          register,
          vault: createVault(masterKey),
        });
        const created = await services.subjects.createSubject(operator, {
          purpose: 'customer_relationship',
          source: 'subject',
          collectedAt: '2026-03-05T10:00:00.000Z',
          values: anna,
        });
        expect((await services.audit.verify()).ok).toBe(true);
        const before = await services.subjects.exportSubject(operator, created.id);

        const dir = await mkdtemp(join(tmpdir(), 'rekisteri-datestyle-'));
        cleanup.push(() => rm(dir, { recursive: true, force: true }));
        await backupStore(data, 'data', join(dir, 'd.rkb'), null);
        const restored = await odd();
        await restoreStore(restored, join(dir, 'd.rkb'), 'data');
        const again = createServices({
          database: restored,
          keys,
          register,
          vault: createVault(masterKey),
        });
        const after = await again.subjects.exportSubject(operator, created.id);
        expect(after.categories).toEqual(before.categories);
        expect(JSON.stringify(after.categories)).toContain('2026-03-05T10:00:00.000Z');
        expect((await again.audit.verify()).ok).toBe(true);
      } finally {
        for (const fn of cleanup) {
          await fn();
        }
      }
    },
  );
});
