/**
 * Erasure that reaches copies made before it. Person keys live in a key store apart from the data;
 * these tests attack that as a thief with a backup, a careless administrator restoring an old one,
 * and a crash between the two stores would.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.ts';
import { openDatabase, type DatabaseHandle } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { loadDefinition } from '../src/modules/definition/loader.ts';
import type { Register } from '../src/modules/definition/register.ts';
import { openKeyStore, type KeyStore } from '../src/keystore/keystore.ts';
import { rotateMasterKey } from '../src/keystore/rotate.ts';
import { operator } from '../src/lib/actor.ts';
import { AppError } from '../src/lib/errors.ts';
import { openRuntime } from '../src/runtime.ts';
import { createServices, type Services } from '../src/services.ts';
import { createVault } from '../src/vault/vault.ts';
import {
  anna,
  createPostgresDatabase,
  DATABASES,
  DEMO,
  freePort,
  openTestKeyStore,
  ROOT,
} from './helpers.ts';

const exec = promisify(execFile);

const person = (n: number) => ({
  identity: { firstName: 'Veikko', lastName: `Rautiainen${n}` },
  contact: { email: `veikko.rautiainen${n}@example.fi`, phone: `040 100 ${1000 + n}` },
});

/**
 * Every file under `dir`, read raw, that contains `needle`. A running server may remove a file
 * (a recycled WAL segment, a dropped relation) between the listing and the read: a file gone by
 * then holds nothing.
 */
async function filesHolding(dir: string, needle: Buffer): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) {
      const path = join(entry.parentPath, entry.name);
      const bytes = await readFile(path).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') {
          return Buffer.alloc(0);
        }
        throw err;
      });
      if (bytes.includes(needle)) {
        out.push(path.slice(dir.length));
      }
    }
  }
  return out;
}

/**
 * One register's two stores, and a way to copy its data store the way an operator's backup would:
 * pg_dump on a server, the raw directory of the embedded database.
 */
interface Stores {
  data: DatabaseHandle;
  keys: KeyStore;
  services: Services;
  /** A copy of the data store as it is now. */
  copyData(): Promise<{ open(): Promise<DatabaseHandle>; file?: string }>;
  /** A copy of the key store as it is now. */
  copyKeys(): Promise<{ open(): Promise<KeyStore> }>;
  servicesOver(data: DatabaseHandle, keys: KeyStore): Services;
  dispose(): Promise<void>;
}

async function openStores(kind: 'pglite' | 'postgres', register: Register): Promise<Stores> {
  const vault = createVault(randomBytes(32));
  const cleanup: Array<() => Promise<void>> = [];
  const servicesOver = (data: DatabaseHandle, keys: KeyStore) =>
    createServices({ database: data, keys, register, vault });
  if (kind === 'postgres') {
    const dataDb = await createPostgresDatabase();
    const keyDb = await createPostgresDatabase();
    const data = await openDatabase({ url: dataDb.url, poolSize: 2 });
    await migrateToLatest(data.db);
    const keys = await openKeyStore({ url: keyDb.url });
    cleanup.push(
      () => keys.close(),
      () => data.close(),
      () => dataDb.drop(),
      () => keyDb.drop(),
    );
    const dir = await mkdtemp(join(tmpdir(), 'rekisteri-dump-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const dump = async (url: string) => {
      const file = join(dir, `${randomBytes(4).toString('hex')}.sql`);
      await exec('pg_dump', ['--no-owner', '--file', file, url]);
      return file;
    };
    const restore = async (file: string) => {
      const fresh = await createPostgresDatabase();
      cleanup.push(() => fresh.drop());
      await exec('psql', ['-q', '-v', 'ON_ERROR_STOP=1', '-f', file, fresh.url]);
      return fresh.url;
    };
    return {
      data,
      keys,
      services: servicesOver(data, keys),
      servicesOver,
      async copyData() {
        const file = await dump(dataDb.url);
        return {
          file,
          open: async () => {
            const handle = await openDatabase({ url: await restore(file), poolSize: 2 });
            cleanup.unshift(() => handle.close());
            return handle;
          },
        };
      },
      async copyKeys() {
        const file = await dump(keyDb.url);
        return {
          open: async () => {
            const ks = await openKeyStore({ url: await restore(file) });
            cleanup.unshift(() => ks.close());
            return ks;
          },
        };
      },
      async dispose() {
        for (const fn of cleanup) {
          await fn();
        }
      },
    };
  }
  const dir = await mkdtemp(join(tmpdir(), 'rekisteri-stores-'));
  let data = await openDatabase({ dataDir: join(dir, 'data') });
  await migrateToLatest(data.db);
  let keys = await openKeyStore({ dir: join(dir, 'keys') });
  const stores: Stores = {
    data,
    keys,
    services: servicesOver(data, keys),
    servicesOver,
    // The embedded database is copied as its directory, with the process that owns it stopped.
    async copyData() {
      const copy = join(dir, `data-${randomBytes(4).toString('hex')}`);
      await data.close();
      await cp(join(dir, 'data'), copy, { recursive: true });
      data = await openDatabase({ dataDir: join(dir, 'data') });
      stores.data = data;
      stores.services = servicesOver(data, keys);
      return {
        open: async () => {
          const handle = await openDatabase({ dataDir: copy });
          cleanup.unshift(() => handle.close());
          return handle;
        },
      };
    },
    async copyKeys() {
      const copy = join(dir, `keys-${randomBytes(4).toString('hex')}`);
      await keys.close();
      await cp(join(dir, 'keys'), copy, { recursive: true });
      keys = await openKeyStore({ dir: join(dir, 'keys') });
      stores.keys = keys;
      stores.services = servicesOver(data, keys);
      return {
        open: async () => {
          const ks = await openKeyStore({ dir: copy });
          cleanup.unshift(() => ks.close());
          return ks;
        },
      };
    },
    async dispose() {
      for (const fn of cleanup) {
        await fn();
      }
      await stores.keys.close();
      await stores.data.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return stores;
}

const readable = async (services: Services, id: string) => {
  try {
    await services.subjects.getSubject(operator, id, 'customer_relationship');
    return true;
  } catch (err) {
    if (err instanceof AppError && err.code === 'not_found') {
      return false;
    }
    throw err;
  }
};

describe.each(DATABASES)('erasure that reaches every copy, on %s', (kind) => {
  let register: Register;
  let s: Stores;
  beforeAll(async () => {
    register = await loadDefinition(DEMO);
    s = await openStores(kind, register);
  });
  afterAll(async () => {
    await s?.dispose();
  });

  const create = async (values: Record<string, Record<string, unknown>>) =>
    (
      await s.services.subjects.createSubject(operator, {
        purpose: 'customer_relationship',
        source: 'subject',
        values,
      })
    ).id;

  it('keeps no person key in the data database', async () => {
    const id = await create(person(1));
    // No column of the data database is a bytea but sealed values, and none holds the key.
    const wrapped = (await s.keys.get(id)) as Buffer;
    const columns = await sql<{ table_name: string; column_name: string }>`
      select table_name, column_name from information_schema.columns
       where table_schema = 'public' and data_type = 'bytea' order by 1, 2`.execute(s.data.db);
    for (const c of columns.rows) {
      const hit = await sql<{ n: number }>`
        select count(*)::int as n from ${sql.table(c.table_name)}
         where position(${wrapped} in ${sql.ref(c.column_name)}) > 0`.execute(s.data.db);
      expect(hit.rows[0]?.n, `${c.table_name}.${c.column_name}`).toBe(0);
    }
    expect(columns.rows.map((c) => c.column_name)).not.toContain('wrapped_key');
    const tables = await sql<{ table_name: string }>`
      select table_name from information_schema.tables where table_schema = 'public'`.execute(
      s.data.db,
    );
    expect(tables.rows.map((r) => r.table_name)).not.toContain('person_keys');
    expect(await s.keys.get(id)).toBeInstanceOf(Buffer);
  });

  it('a copy of the data made before an erasure, restored after it, opens nothing of the erased person', async () => {
    const erased = await create(person(2));
    const kept = await create(person(3));
    const wrapped = (await s.keys.get(erased)) as Buffer;
    const copy = await s.copyData();
    if (copy.file) {
      // A thief's first look: the dump holds the sealed values but not the key that opens them.
      const dump = await readFile(copy.file, 'utf8');
      expect(dump).toContain(erased);
      expect(dump).not.toContain(wrapped.toString('hex'));
    }
    await s.services.subjects.eraseSubject(operator, erased);
    expect(await s.keys.get(erased)).toBeUndefined();

    const restored = await copy.open();
    // Before anything is reconciled, the restored copy still has the sealed values…
    const values = await sql<{ n: number }>`
      select count(*)::int as n from subject_values where subject_id = ${erased}`.execute(
      restored.db,
    );
    expect(values.rows[0]?.n).toBeGreaterThan(0);
    // …and no key anywhere opens them.
    const services = s.servicesOver(restored, s.keys);
    expect(await readable(services, erased)).toBe(false);
    expect(await readable(services, kept)).toBe(true);
    // Starting on it re-applies the key store's journal: the copy forgets the person too.
    const applied = await services.subjects.reconcileErasures();
    expect(applied.subjectsErased).toBe(1);
    const after = await sql<{ n: number }>`
      select count(*)::int as n from subject_values where subject_id = ${erased}`.execute(
      restored.db,
    );
    expect(after.rows[0]?.n).toBe(0);
    expect(await readable(services, kept)).toBe(true);
  });

  it('an old key store restored after an erasure does not bring the person back', async () => {
    const erased = await create(person(4));
    const kept = await create(person(5));
    const copy = await s.copyKeys();
    await s.services.subjects.eraseSubject(operator, erased, 'retention');

    const oldKeys = await copy.open();
    expect(await oldKeys.get(erased)).toBeInstanceOf(Buffer);
    const services = s.servicesOver(s.data, oldKeys);
    const applied = await services.subjects.reconcileErasures();
    expect(applied.keysDestroyed).toBe(1);
    expect(await oldKeys.get(erased)).toBeUndefined();
    expect(await readable(services, erased)).toBe(false);
    expect(await readable(services, kept)).toBe(true);
    const journal = await oldKeys.journal();
    expect(journal.find((e) => e.subjectId === erased)?.reason).toBe('retention');
  });

  it('finishes an erasure interrupted between the data and the key store', async () => {
    const id = await create(person(6));
    // The data side committed, then the process died before the key store was told.
    await s.data.db.transaction().execute(async (tx) => {
      await sql`delete from subject_values where subject_id = ${id}`.execute(tx);
      await sql`insert into erasure_journal (subject_id, erased_at, reason) values (${id}, now(), 'request')`.execute(
        tx,
      );
      await sql`update subjects set erased_at = now() where id = ${id}`.execute(tx);
    });
    expect(await s.keys.get(id)).toBeInstanceOf(Buffer);
    await s.services.subjects.reconcileErasures();
    expect(await s.keys.get(id)).toBeUndefined();
  });

  it('journals no personal data, and refuses to edit the journal', async () => {
    const id = await create(anna);
    await s.services.subjects.eraseSubject(operator, id);
    const rows = await sql<Record<string, unknown>>`
      select * from erasure_journal where subject_id = ${id}`.execute(s.data.db);
    expect(Object.keys(rows.rows[0] ?? {}).sort()).toEqual([
      'erased_at',
      'reason',
      'seq',
      'subject_id',
    ]);
    await expect(
      sql`delete from erasure_journal where subject_id = ${id}`.execute(s.data.db),
    ).rejects.toThrow(/append-only/);
    const keyJournal = await s.keys.journal();
    expect(keyJournal.find((e) => e.subjectId === id)?.reason).toBe('request');
  });
});

describe('the embedded key store after an erasure', () => {
  it(
    'holds no byte of the erased key in its files or write-ahead log once cleaned',
    { timeout: 120_000 },
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'rekisteri-residue-'));
      const register = await loadDefinition(DEMO);
      const data = await openDatabase({});
      await migrateToLatest(data.db);
      let keys = await openKeyStore({ dir });
      try {
        const services = createServices({
          database: data,
          keys,
          register,
          vault: createVault(randomBytes(32)),
        });
        const ids: string[] = [];
        for (let i = 0; i < 20; i++) {
          const created = await services.subjects.createSubject(operator, {
            purpose: 'customer_relationship',
            source: 'subject',
            values: person(100 + i),
          });
          ids.push(created.id);
        }
        const victim = ids[7] as string;
        const wrapped = (await keys.get(victim)) as Buffer;
        await sql`checkpoint`.execute(keys.db);
        // The search can see the key while it exists: in the table's file and in the WAL.
        expect((await filesHolding(dir, wrapped)).length).toBeGreaterThan(0);

        await services.subjects.eraseSubject(operator, victim);
        const result = await keys.clean();
        expect(result).toEqual({ cleaned: true, warnings: [] });
        expect(await filesHolding(dir, wrapped)).toEqual([]);
        // Nothing to do the next time, and the others are still there. The victim has no orders,
        // so the demo's bookkeeping holds (triggeredBy: [orders]) kept nothing of them and made no
        // held record with a key of its own (docs/requests.md).
        expect((await keys.clean()).cleaned).toBe(false);
        const held = await sql<{ n: number }>`
          select count(*)::int as n from subjects where erased_from = ${victim}`.execute(data.db);
        expect(held.rows[0]?.n).toBe(0);
        expect(await keys.countKeys()).toBe(19);
        // Still true after the key store is closed and opened again.
        await keys.close();
        keys = await openKeyStore({ dir });
        expect(await filesHolding(dir, wrapped)).toEqual([]);
        const other = (await keys.get(ids[8] as string)) as Buffer;
        expect((await filesHolding(dir, other)).length).toBeGreaterThan(0);
        // Private to the process's user.
        const mode = (await stat(dir)).mode & 0o777;
        expect(mode).toBe(0o700);
        await keys.close();
        for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
          const m = (await stat(join(entry.parentPath, entry.name))).mode & 0o077;
          expect(m, join(entry.parentPath, entry.name)).toBe(0);
        }
      } finally {
        await keys.close().catch(() => undefined);
        await data.close();
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});

describe('pairing a key store with its data', () => {
  it(
    'refuses an empty key store beside people, another register’s key store, and another master key',
    {
      timeout: 180_000,
    },
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'rekisteri-pair-'));
      const masterKey = randomBytes(32).toString('hex');
      const env = {
        REKISTERI_DATA: join(dir, 'data'),
        REKISTERI_KEYSTORE: join(dir, 'keystore'),
        REKISTERI_REGISTER: DEMO,
        REKISTERI_MASTER_KEY: masterKey,
      };
      try {
        const first = await openRuntime(loadConfig({ ...env }));
        await first.services.subjects.createSubject(operator, {
          purpose: 'customer_relationship',
          source: 'subject',
          values: person(200),
        });
        await first.close();
        await expect(
          openRuntime(loadConfig({ ...env, REKISTERI_KEYSTORE: join(dir, 'empty') })),
        ).rejects.toThrow(/key store is empty, but the database holds 1 people/);

        const other = await openRuntime(
          loadConfig({
            ...env,
            REKISTERI_DATA: join(dir, 'other-data'),
            REKISTERI_KEYSTORE: join(dir, 'other-keystore'),
          }),
        );
        await other.close();
        await expect(
          openRuntime(loadConfig({ ...env, REKISTERI_KEYSTORE: join(dir, 'other-keystore') })),
        ).rejects.toThrow(/belongs to another register/);
        await expect(
          openRuntime(
            loadConfig({
              ...env,
              REKISTERI_DATA: join(dir, 'third-data'),
              REKISTERI_MASTER_KEY: randomBytes(32).toString('hex'),
            }),
          ),
        ).rejects.toThrow(/does not match/);
        // The right pair still opens.
        const again = await openRuntime(loadConfig({ ...env }));
        expect(await again.services.subjects.countSubjects()).toBe(1);
        await again.close();
        // Both directories are the process user's alone.
        for (const top of [join(dir, 'data'), join(dir, 'keystore')]) {
          expect((await stat(top)).mode & 0o777, top).toBe(0o700);
          for (const entry of await readdir(top, { withFileTypes: true, recursive: true })) {
            const path = join(entry.parentPath, entry.name);
            expect((await stat(path)).mode & 0o077, path).toBe(0);
          }
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );

  it.runIf(process.env.TEST_DATABASE_URL)(
    'refuses DATABASE_URL and KEYSTORE_DATABASE_URL swapped, before writing to either',
    { timeout: 120_000 },
    async () => {
      const data = await createPostgresDatabase();
      const keyDb = await createPostgresDatabase();
      const env = (d: string, k: string) => ({
        DATABASE_URL: d,
        KEYSTORE_DATABASE_URL: k,
        REKISTERI_REGISTER: DEMO,
        REKISTERI_MASTER_KEY: masterKeyHex,
        REKISTERI_KEY_FILE: '/nonexistent/rekisteri.key',
      });
      const masterKeyHex = randomBytes(32).toString('hex');
      try {
        const first = await openRuntime(loadConfig(env(data.url, keyDb.url)));
        await first.services.subjects.createSubject(operator, {
          purpose: 'customer_relationship',
          source: 'subject',
          values: person(400),
        });
        await first.close();
        await expect(openRuntime(loadConfig(env(keyDb.url, data.url)))).rejects.toThrow(/swapped/);
        // Nothing was written: the right pair still opens.
        const again = await openRuntime(loadConfig(env(data.url, keyDb.url)));
        expect(await again.services.subjects.countSubjects()).toBe(1);
        await again.close();
      } finally {
        await data.drop();
        await keyDb.drop();
      }
    },
  );

  it('refuses a server database without a key store of its own', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://localhost/register' })).toThrow(
      /KEYSTORE_DATABASE_URL: required when DATABASE_URL is set/,
    );
    expect(() =>
      loadConfig({
        DATABASE_URL: 'postgres://localhost/register',
        KEYSTORE_DATABASE_URL: 'postgres://localhost/register',
      }),
    ).toThrow(/must name another database/);
  });
});

describe('master-key rotation', () => {
  it(
    're-wraps every person key, resumes after a crash, and leaves the old key opening nothing',
    {
      timeout: 300_000,
    },
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'rekisteri-rotate-'));
      const oldKey = randomBytes(32);
      const newKey = randomBytes(32);
      const env = {
        REKISTERI_DATA: join(dir, 'data'),
        REKISTERI_KEYSTORE: join(dir, 'keystore'),
        REKISTERI_REGISTER: DEMO,
      };
      const open = (key: Buffer) =>
        openRuntime(loadConfig({ ...env, REKISTERI_MASTER_KEY: key.toString('hex') }));
      try {
        const first = await open(oldKey);
        const ids: string[] = [];
        for (let i = 0; i < 7; i++) {
          const created = await first.services.subjects.createSubject(operator, {
            purpose: 'customer_relationship',
            source: 'subject',
            values: person(300 + i),
          });
          ids.push(created.id);
        }
        const before = await first.services.subjects.exportSubject(operator, ids[3] as string);
        const oldWrapped = (await first.keys.get(ids[3] as string)) as Buffer;
        await first.close();

        const keys = await openKeyStore({ dir: join(dir, 'keystore', 'keys') });
        // A crash after the first of four batches.
        await expect(
          rotateMasterKey({
            keys,
            oldMaster: oldKey,
            newMaster: newKey,
            callingCode: '+358',
            batchSize: 2,
            stopAfterBatches: 1,
          }),
        ).rejects.toThrow(/stopped on purpose/);
        await keys.close();
        // Half-way, no server starts, with either key.
        await expect(open(oldKey)).rejects.toThrow(/rotation is unfinished/);
        await expect(open(newKey)).rejects.toThrow(/rotation is unfinished/);
        // Another new key cannot take over the unfinished rotation.
        const again = await openKeyStore({ dir: join(dir, 'keystore', 'keys') });
        await expect(
          rotateMasterKey({
            keys: again,
            oldMaster: oldKey,
            newMaster: randomBytes(32),
            callingCode: '+358',
          }),
        ).rejects.toThrow(/another rotation is unfinished/);
        const done = await rotateMasterKey({
          keys: again,
          oldMaster: oldKey,
          newMaster: newKey,
          callingCode: '+358',
          batchSize: 2,
        });
        expect(done.rewrapped).toBe(5);
        await again.close();
        // The old wrapped form is gone from the key store's files too.
        expect(await filesHolding(join(dir, 'keystore'), oldWrapped)).toEqual([]);

        await expect(open(oldKey)).rejects.toThrow(/does not open this key store/);
        const after = await open(newKey);
        try {
          const exported = await after.services.subjects.exportSubject(operator, ids[3] as string);
          expect(exported.categories).toEqual(before.categories);
          // Blind indexes and the access log's keys did not change: lookups and verification work.
          const found = await after.services.subjects.findSubjects(operator, {
            purpose: 'customer_relationship',
            email: person(303).contact.email,
          });
          expect(found.items.map((s) => s.id)).toEqual([ids[3]]);
          expect((await after.services.audit.verify()).ok).toBe(true);
        } finally {
          await after.close();
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});

describe('the running server cleans the key store on its own', () => {
  it(
    'erased through the API, the key is gone from the key store directory within the cleaning interval',
    {
      timeout: 300_000,
    },
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'rekisteri-cleaner-'));
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
        REKISTERI_DEMO_PEOPLE: '0',
        REKISTERI_KEY_CLEAN_INTERVAL: '2',
        PORT: String(await freePort()),
      };
      const cli = (...args: string[]) =>
        exec(process.execPath, [join(ROOT, 'bin/rekisteri.js'), ...args], { cwd: dir, env });
      let server: ReturnType<typeof spawn> | undefined;
      try {
        await cli('seed', '--count', '5');
        const created = await cli(
          'apikey',
          'create',
          '--name',
          'eraser',
          '--purposes',
          '*',
          '--actions',
          'read,erase,handle_requests',
        );
        const token = /(rk_\S+)/.exec(created.stdout)?.[1] as string;
        // The victim and their wrapped key, read from the key store before the server takes it.
        const keys = await openKeyStore({ dir: join(dir, 'keystore', 'keys') });
        const all = await keys.db
          .selectFrom('person_keys')
          .select(['subject_id', 'wrapped'])
          .execute();
        await keys.close();
        const victim = all[2] as { subject_id: string; wrapped: Buffer };
        const wrapped = Buffer.from(victim.wrapped);
        expect((await filesHolding(join(dir, 'keystore'), wrapped)).length).toBeGreaterThan(0);

        server = spawn(process.execPath, [join(ROOT, 'bin/rekisteri.js'), 'start'], {
          cwd: dir,
          env,
          stdio: 'pipe',
        });
        let out = '';
        const url = await new Promise<string>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no start:\n${out}`)), 120_000);
          const onData = (d: Buffer) => {
            out += d.toString();
            const m = /serving .*? at (http:\/\/\S+)/.exec(out);
            if (m) {
              clearTimeout(timer);
              resolve(m[1] as string);
            }
          };
          server?.stdout?.on('data', onData);
          server?.stderr?.on('data', onData);
        });
        const erased = await fetch(`${url}/api/v1/subjects/${victim.subject_id}?reason=request`, {
          method: 'DELETE',
          headers: { authorization: `Bearer ${token}` },
        });
        expect(erased.status).toBe(200);
        // Within a few cleaning intervals, with the server still running.
        let left: string[] = ['not yet looked'];
        for (let i = 0; i < 30 && left.length > 0; i++) {
          await new Promise((r) => setTimeout(r, 1000));
          left = await filesHolding(join(dir, 'keystore'), wrapped);
        }
        expect(left).toEqual([]);
        // The others are still readable.
        const other = all[3] as { subject_id: string };
        const read = await fetch(
          `${url}/api/v1/subjects/${other.subject_id}?purpose=customer_relationship`,
          { headers: { authorization: `Bearer ${token}` } },
        );
        expect(read.status).toBe(200);
      } finally {
        server?.kill('SIGTERM');
        await new Promise((r) => setTimeout(r, 1000));
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});

describe.each(DATABASES)('rotation against a busy key store on %s', (kind) => {
  it('lets one of two rotations started together finish, and refuses keys wrapped under the old key afterwards', async () => {
    const store = await openTestKeyStore(kind);
    const keys = store.keys;
    try {
      const a = randomBytes(32);
      const b = randomBytes(32);
      const c = randomBytes(32);
      const vaultA = createVault(a);
      await keys.claimSetting('key_check', vaultA.keyCheck());
      await keys.claimSetting('wrap_key_id', vaultA.wrapKeyId());
      const people = Array.from({ length: 30 }, () => randomUUID());
      await keys.put(
        people.map((id) => ({ subjectId: id, wrapped: vaultA.newSubjectKey(id).wrapped })),
        vaultA.wrapKeyId(),
      );
      const rotate = (to: Buffer) =>
        rotateMasterKey({ keys, oldMaster: a, newMaster: to, callingCode: '+358', batchSize: 4 });
      const results = await Promise.allSettled([rotate(b), rotate(c)]);
      const won = results.findIndex((r) => r.status === 'fulfilled');
      expect(won).toBeGreaterThanOrEqual(0);
      expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
      const winner = createVault(won === 0 ? b : c, '+358', { root: a });
      // Every key is under the winner's key, and opens with it.
      const rows = await keys.db
        .selectFrom('person_keys')
        .select(['subject_id', 'wrapped', 'wrapped_by'])
        .execute();
      expect(new Set(rows.map((r) => r.wrapped_by))).toEqual(new Set([winner.wrapKeyId()]));
      for (const r of rows) {
        expect(winner.unwrapSubjectKey(r.subject_id, r.wrapped)).toHaveLength(32);
      }
      expect(await keys.setting('rotation')).toBeUndefined();
      // A process still running with the old key cannot add a person no current key opens.
      const late = randomUUID();
      await expect(
        keys.put(
          [{ subjectId: late, wrapped: vaultA.newSubjectKey(late).wrapped }],
          vaultA.wrapKeyId(),
        ),
      ).rejects.toThrow(/master key was rotated/);
      expect(await keys.get(late)).toBeUndefined();
    } finally {
      await store.dispose();
    }
  });
});
