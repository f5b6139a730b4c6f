/**
 * The master-key check: a used database without it is refused, and of two instances starting on
 * an empty database with different keys only one runs.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.ts';
import { openDatabase } from '../src/db/database.ts';
import { system } from '../src/lib/actor.ts';
import { openRuntime } from '../src/runtime.ts';
import { newSubjectVia } from './factories.ts';
import { createPostgresDatabase, DATABASES, DEMO } from './helpers.ts';

describe.each(DATABASES)('master-key check on %s', (kind) => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0)) {
      await fn();
    }
  });

  /** A fresh, empty place for a database, and how to open a runtime and the raw database there. */
  const place = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rekisteri-keycheck-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    let url: string | undefined;
    let keysUrl: string | undefined;
    if (kind === 'postgres') {
      const created = await createPostgresDatabase();
      const keyDb = await createPostgresDatabase();
      cleanup.push(
        () => created.drop(),
        () => keyDb.drop(),
      );
      url = created.url;
      keysUrl = keyDb.url;
    }
    const where =
      url && keysUrl
        ? { DATABASE_URL: url, KEYSTORE_DATABASE_URL: keysUrl }
        : { REKISTERI_DATA: join(dir, 'data'), REKISTERI_KEYSTORE: join(dir, 'keystore') };
    return {
      runtime: (key: string) =>
        openRuntime(
          loadConfig({
            ...where,
            REKISTERI_REGISTER: DEMO,
            REKISTERI_KEY_FILE: join(dir, 'absent.key'),
            REKISTERI_MASTER_KEY: key,
          }),
        ),
      raw: () => openDatabase(url ? { url } : { dataDir: join(dir, 'data') }),
    };
  };
  const newKey = () => randomBytes(32).toString('hex');

  it(
    'refuses to start on a database holding people whose key check was deleted, whatever the key',
    { timeout: 120_000 },
    async () => {
      const p = await place();
      const key = newKey();
      const rt = await p.runtime(key);
      await newSubjectVia(
        rt.services,
        { values: { identity: { firstName: 'Kerttu' }, contact: { email: 'kerttu@example.org' } } },
        system,
      );
      await rt.close();

      const raw = await p.raw();
      await sql`delete from settings where key = 'key_check'`.execute(raw.db);
      await raw.close();

      // Another key is already refused by the key store, which knows the key its person keys are
      // wrapped under; the right key is refused by the data database, which lost its check.
      await expect(p.runtime(newKey())).rejects.toThrow(
        /does not match the one this key store's person keys are wrapped under/,
      );
      await expect(p.runtime(key)).rejects.toThrow(
        /holds people, staff accounts or an access log but no master-key check/,
      );
      // Refused, and nothing written: the check is still missing, not made from the wrong key.
      const after = await p.raw();
      const rows = await sql`select 1 from settings where key = 'key_check'`.execute(after.db);
      await after.close();
      expect(rows.rows).toHaveLength(0);
    },
  );

  it(
    'reads the check back after creating it, so an instance that lost the race stops',
    { timeout: 120_000 },
    async () => {
      const p = await place();
      // A database superuser's stand-in for another instance that inserted its own check first:
      // whatever this instance inserts, the row holds the other one's value.
      const raw = await p.raw();
      const { migrateToLatest } = await import('../src/db/migrate.ts');
      await migrateToLatest(raw.db);
      await sql`
      create function other_instance_first() returns trigger language plpgsql as $$
      begin
        if new.key = 'key_check' then
          new.value := 'check-of-another-key';
        end if;
        return new;
      end $$`.execute(raw.db);
      await sql`create trigger other_instance_first before insert on settings
              for each row execute function other_instance_first()`.execute(raw.db);
      await raw.close();
      await expect(p.runtime(newKey())).rejects.toThrow(/does not match/);
    },
  );

  it.runIf(kind === 'postgres')(
    'lets only one of two instances starting together with different keys run',
    { timeout: 120_000 },
    async () => {
      const p = await place();
      const results = await Promise.allSettled([p.runtime(newKey()), p.runtime(newKey())]);
      const ok = results.filter((r) => r.status === 'fulfilled');
      const refused = results.filter((r) => r.status === 'rejected');
      expect(ok).toHaveLength(1);
      expect(refused).toHaveLength(1);
      expect(String((refused[0] as PromiseRejectedResult).reason)).toMatch(/does not match/);
      await (ok[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof p.runtime>>>).value.close();
    },
  );
});
