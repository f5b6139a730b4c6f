/**
 * Rekisteri behind PgBouncer in session mode (docs/operations.md, "Requirements"): Debian's
 * PgBouncer with its own defaults (no `ignore_startup_parameters`) in front of a data database
 * and a key store whose defaults are neither ISO nor UTC. Until 2026-12-01 every connection was
 * refused there ("unsupported startup parameter: options"), and a PgBouncer told to ignore the
 * parameter would have dropped the session's time settings and timeouts silently.
 *
 * Runs where PostgreSQL (TEST_DATABASE_URL) and the `pgbouncer` binary are; `.ci/run` installs it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createApp } from '../src/app.ts';
import { openDatabase, withoutStatementTimeout } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { openKeyStore } from '../src/keystore/keystore.ts';
import { operator } from '../src/lib/actor.ts';
import { loadDefinition } from '../src/modules/definition/loader.ts';
import { createServices } from '../src/services.ts';
import { createVault } from '../src/vault/vault.ts';
import { consentToMarketing } from './factories.ts';
import { anna, createPostgresDatabase, DEMO, freePort } from './helpers.ts';

const PGBOUNCER = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'].find((p) => existsSync(p));
const SERVER = process.env.TEST_DATABASE_URL;

if (SERVER && !PGBOUNCER) {
  console.log('pgbouncer.test.ts: no pgbouncer binary (apt-get install pgbouncer): skipped');
}

/** PgBouncer in session mode on a loopback port, in front of two databases of the test server. */
async function startPgBouncer(databases: Record<string, string>, poolSize = 10) {
  const server = new URL(SERVER!);
  const dir = await mkdtemp(join(tmpdir(), 'rekisteri-pgbouncer-'));
  // PgBouncer will not run as root: as root it is started as `postgres`, who must read these.
  await chmod(dir, 0o755);
  const port = await freePort();
  const lines = Object.entries(databases).map(
    ([alias, name]) =>
      `${alias} = host=${server.hostname} port=${server.port || '5432'} dbname=${name} user=${decodeURIComponent(server.username) || 'postgres'}`,
  );
  const user = decodeURIComponent(server.username) || 'postgres';
  await writeFile(join(dir, 'users.txt'), `"${user}" ""\n`, { mode: 0o644 });
  await writeFile(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      ...lines,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${join(dir, 'users.txt')}`,
      'pool_mode = session',
      'max_client_conn = 50',
      `default_pool_size = ${poolSize}`,
      '',
    ].join('\n'),
    { mode: 0o644 },
  );
  const asRoot = process.getuid?.() === 0;
  const child: ChildProcess = spawn(
    PGBOUNCER!,
    [...(asRoot ? ['-u', 'postgres'] : []), join(dir, 'pgbouncer.ini')],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  // Ready when it accepts a connection.
  const end = Date.now() + 15_000;
  for (;;) {
    const c = new pg.Client({
      connectionString: `postgres://${user}@127.0.0.1:${port}/${Object.keys(databases)[0]}`,
    });
    try {
      await c.connect();
      await c.end();
      break;
    } catch (err) {
      await c.end().catch(() => undefined);
      if (Date.now() > end || child.exitCode !== null) {
        throw new Error(`pgbouncer did not start: ${String(err)}\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url: (alias: string) => `postgres://${user}@127.0.0.1:${port}/${alias}`,
    log: () => log,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

describe.runIf(SERVER && PGBOUNCER)('behind PgBouncer in session mode', () => {
  it(
    'serves, checks permissions with its prepared statements, keeps its times in UTC and its timeouts, and keeps the access log genuine',
    { timeout: 120_000 },
    async () => {
      const cleanup: Array<() => Promise<void>> = [];
      try {
        const data = await createPostgresDatabase();
        const keyDb = await createPostgresDatabase();
        cleanup.unshift(
          () => data.drop(),
          () => keyDb.drop(),
        );
        // A database whose own defaults would break times if the session did not set its own.
        const admin = new pg.Client({ connectionString: SERVER });
        await admin.connect();
        for (const url of [data.url, keyDb.url]) {
          const name = new URL(url).pathname.slice(1);
          await admin.query(`alter database ${name} set datestyle = 'SQL, DMY'`);
          await admin.query(`alter database ${name} set timezone = 'America/St_Johns'`);
          await admin.query(`alter database ${name} set intervalstyle = 'sql_standard'`);
        }
        await admin.end();

        const bouncer = await startPgBouncer({
          rekisteri: new URL(data.url).pathname.slice(1),
          rekisteri_keys: new URL(keyDb.url).pathname.slice(1),
        });
        cleanup.unshift(() => bouncer.stop());

        const handle = await openDatabase({
          url: bouncer.url('rekisteri'),
          poolSize: 4,
          timeouts: { connect: 5000, statement: 2000, idleInTransaction: 2000 },
        });
        cleanup.unshift(() => handle.close());
        // The session's settings arrived through the pooler.
        const settings = await sql<{ tz: string; ds: string; st: string; is: string }>`
          select current_setting('TimeZone') as tz, current_setting('DateStyle') as ds,
                 current_setting('statement_timeout') as st,
                 current_setting('IntervalStyle') as "is"`.execute(handle.db);
        expect(settings.rows[0]).toEqual({ tz: 'UTC', ds: 'ISO, YMD', st: '2s', is: 'postgres' });
        // A statement longer than the timeout is cut; lifted for migrations, then back.
        const slow = sql`select pg_sleep(2.5)`;
        await expect(slow.execute(handle.db)).rejects.toMatchObject({ code: '57014' });
        await migrateToLatest(handle.db);
        await withoutStatementTimeout(handle.db, (conn) => slow.execute(conn));
        const after = await sql<{ st: string }>`
          select current_setting('statement_timeout') as st`.execute(handle.db);
        expect(after.rows[0]?.st).toBe('2s');

        const keys = await openKeyStore({ url: bouncer.url('rekisteri_keys') });
        cleanup.unshift(() => keys.close());
        const services = createServices({
          database: handle,
          keys,
          register: await loadDefinition(DEMO),
          vault: createVault(randomBytes(32)),
        });
        const app = await createApp(services);
        cleanup.unshift(() => app.close());
        const { token } = await services.apiKeys.createApiKey(operator, {
          name: 'through pgbouncer',
          purposes: ['customer_relationship', 'newsletter'],
          actions: ['read', 'write'],
        });
        const headers = { authorization: `Bearer ${token}` };

        const created = await app.inject({
          method: 'POST',
          url: '/api/v1/subjects',
          headers,
          payload: {
            purpose: 'customer_relationship',
            source: 'subject',
            collectedAt: '2026-03-05T10:00:00.000Z',
            values: anna,
          },
        });
        expect(created.statusCode, created.body).toBe(201);
        const id = created.json<{ id: string }>().id;
        await consentToMarketing(services, id);

        const read = await app.inject({
          url: `/api/v1/subjects/${id}?purpose=customer_relationship`,
          headers,
        });
        expect(read.statusCode).toBe(200);
        expect(read.body).toContain('2026-03-05T10:00:00.000Z');

        // The permission check's prepared statement, on every connection of the pool at once.
        const checks = await Promise.all(
          Array.from({ length: 40 }, () =>
            app.inject({
              url: `/api/v1/permissions/check?purpose=newsletter&channel=email&subject=${id}`,
              headers,
            }),
          ),
        );
        for (const c of checks) {
          expect(c.statusCode, c.body).toBe(200);
          expect(c.json()).toMatchObject({ allowed: true });
        }
        const withdrawn = await services.permissions.record(
          operator,
          id,
          [{ kind: 'newsletter', channel: 'email', state: 'withdrawn' }],
          { method: 'staff' },
        );
        expect(withdrawn.recorded).toHaveLength(1);
        const no = await app.inject({
          url: `/api/v1/permissions/check?purpose=newsletter&channel=email&subject=${id}`,
          headers,
        });
        expect(no.json()).toMatchObject({ allowed: false, reason: { code: 'withdrawn' } });

        // Every access above was logged and the chain holds.
        expect((await services.audit.verify()).ok).toBe(true);
        expect(bouncer.log()).not.toMatch(/unsupported startup parameter/);
      } finally {
        for (const fn of cleanup) {
          await fn().catch(() => undefined);
        }
      }
    },
  );

  it(
    'gives up within the connect timeout when the pooler takes the login but has no server connection to give',
    { timeout: 60_000 },
    async () => {
      const data = await createPostgresDatabase();
      const bouncer = await startPgBouncer({ rekisteri: new URL(data.url).pathname.slice(1) }, 1);
      // Another client holds the pool's only server connection for its whole session.
      const holder = new pg.Client({ connectionString: bouncer.url('rekisteri') });
      try {
        await holder.connect();
        await holder.query('select 1');
        const started = Date.now();
        const opened = await openDatabase({
          url: bouncer.url('rekisteri'),
          poolSize: 1,
          timeouts: { connect: 1500, statement: 2000, idleInTransaction: 2000 },
        }).then(
          async (h) => {
            await h.close();
            return undefined;
          },
          (err: unknown) => err,
        );
        expect(opened).toBeInstanceOf(Error);
        expect(String(opened)).toMatch(/DATABASE_CONNECT_TIMEOUT/);
        // Not PgBouncer's own query_wait_timeout (120 s by default).
        expect(Date.now() - started).toBeLessThan(10_000);
      } finally {
        await holder.end().catch(() => undefined);
        await bouncer.stop();
        await data.drop();
      }
    },
  );
});
