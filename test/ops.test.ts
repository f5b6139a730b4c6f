/**
 * Running safely: health and readiness, metrics, refusing writes on a low volume, 503s for a
 * database that is down or too slow, problem+json while closing, and the pools' timeouts.
 */
import { randomBytes } from 'node:crypto';
import { operator } from '../src/lib/actor.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.ts';
import { ConfigError, loadConfig, metricsToken } from '../src/config/config.ts';
import {
  openDatabase,
  withoutStatementTimeout,
  type DatabaseHandle,
  type PoolTimeouts,
} from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { loadDefinition } from '../src/modules/definition/loader.ts';
import { openKeyStore, type KeyStore } from '../src/keystore/keystore.ts';
import { StorageGuard } from '../src/ops/storage.ts';
import { createServices, type Services } from '../src/services.ts';
import { createVault } from '../src/vault/vault.ts';
import { anna, createPostgresDatabase, DATABASES, DEMO } from './helpers.ts';

const TOKEN = randomBytes(24).toString('hex'); // 48 characters

interface OpsContext {
  app: FastifyInstance;
  services: Services;
  database: DatabaseHandle;
  keys: KeyStore;
  url?: string;
  dbName?: string;
  logs: Array<Record<string, unknown>>;
  storage: StorageGuard;
  storageLog: string[];
  writer: { authorization: string };
  close(): Promise<void>;
}

async function opsContext(
  kind: 'pglite' | 'postgres',
  opts: { timeouts?: PoolTimeouts } = {},
): Promise<OpsContext> {
  let database: DatabaseHandle;
  let keys: KeyStore;
  let url: string | undefined;
  const drops: Array<() => Promise<void>> = [];
  if (kind === 'postgres') {
    const data = await createPostgresDatabase();
    const keyDb = await createPostgresDatabase();
    drops.push(
      () => data.drop(),
      () => keyDb.drop(),
    );
    url = data.url;
    database = await openDatabase({
      url: data.url,
      poolSize: 4,
      ...(opts.timeouts ? { timeouts: opts.timeouts } : {}),
    });
    keys = await openKeyStore({
      url: keyDb.url,
      ...(opts.timeouts ? { timeouts: opts.timeouts } : {}),
    });
  } else {
    database = await openDatabase({});
    keys = await openKeyStore({});
  }
  await migrateToLatest(database.db);
  const register = await loadDefinition(DEMO);
  const services = createServices({
    database,
    keys,
    register,
    vault: createVault(randomBytes(32)),
  });
  const dir = await mkdtemp(join(tmpdir(), 'rekisteri-ops-'));
  const storage = new StorageGuard([{ dir, variable: 'REKISTERI_DATA' }], 0);
  const storageLog: string[] = [];
  storage.setLogger({
    error: (_o, msg) => storageLog.push(`error ${msg}`),
    info: (_o, msg) => storageLog.push(`info ${msg}`),
  });
  await storage.check();
  const logs: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  const app = await createApp(services, {
    logger: { level: 'info', stream },
    ops: { database, storage, metricsToken: TOKEN },
  });
  const { token } = await services.apiKeys.createApiKey(operator, {
    name: 'ops',
    purposes: ['*'],
    actions: ['read', 'write'],
  });
  return {
    app,
    services,
    database,
    keys,
    ...(url ? { url, dbName: new URL(url).pathname.slice(1) } : {}),
    logs,
    storage,
    storageLog,
    writer: { authorization: `Bearer ${token}` },
    async close() {
      await app.close();
      await keys.close();
      await database.close();
      for (const drop of drops) {
        await drop();
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const createAnna = (t: OpsContext) =>
  t.app.inject({
    method: 'POST',
    url: '/api/v1/subjects',
    headers: t.writer,
    payload: {
      purpose: 'customer_relationship',
      source: 'subject',
      values: {
        ...anna,
        contact: { email: `anna.${randomBytes(4).toString('hex')}@example.com` },
      },
    },
  });

describe('the configuration of timeouts, free space, the watchdog and metrics', () => {
  it('has defaults in seconds and megabytes, and keeps the metrics token out of the configuration', () => {
    const c = loadConfig({});
    expect(c.databaseTimeouts).toEqual({
      connect: 10_000,
      statement: 30_000,
      idleInTransaction: 60_000,
    });
    expect(c.minFreeSpace).toBe(64 * 1024 * 1024);
    expect(c.watchdogTimeout).toBe(30);
    expect(metricsToken(c)).toBeUndefined();
    const d = loadConfig({
      DATABASE_STATEMENT_TIMEOUT: '0',
      REKISTERI_WATCHDOG_TIMEOUT: '0',
      REKISTERI_METRICS_TOKEN: TOKEN,
    });
    expect(d.databaseTimeouts.statement).toBe(0);
    expect(d.watchdogTimeout).toBe(0);
    expect(metricsToken(d)).toBe(TOKEN);
    expect(JSON.stringify(d)).not.toContain(TOKEN);
  });

  it('refuses bad values, naming the variable', () => {
    for (const [env, name] of [
      [{ DATABASE_CONNECT_TIMEOUT: '0' }, 'DATABASE_CONNECT_TIMEOUT'],
      [{ DATABASE_CONNECT_TIMEOUT: 'soon' }, 'DATABASE_CONNECT_TIMEOUT'],
      [{ DATABASE_STATEMENT_TIMEOUT: '-1' }, 'DATABASE_STATEMENT_TIMEOUT'],
      [{ DATABASE_STATEMENT_TIMEOUT: '1.5' }, 'DATABASE_STATEMENT_TIMEOUT'],
      [{ DATABASE_IDLE_TRANSACTION_TIMEOUT: 'never' }, 'DATABASE_IDLE_TRANSACTION_TIMEOUT'],
      [{ REKISTERI_MIN_FREE_SPACE: 'lots' }, 'REKISTERI_MIN_FREE_SPACE'],
      [{ REKISTERI_WATCHDOG_TIMEOUT: '-5' }, 'REKISTERI_WATCHDOG_TIMEOUT'],
      [{ REKISTERI_METRICS_TOKEN: 'short-token' }, 'REKISTERI_METRICS_TOKEN'],
    ] as const) {
      expect(() => loadConfig({ ...env }), name).toThrow(ConfigError);
      expect(() => loadConfig({ ...env }), name).toThrow(new RegExp(`${name}:`));
    }
    expect(() => loadConfig({ REKISTERI_METRICS_TOKEN: 'short-token' })).toThrow(
      /at least 32 characters/,
    );
  });
});

describe('the storage guard', () => {
  it('measures a volume that does not answer (a stale network mount) once, not again every interval', async () => {
    let calls = 0;
    const guard = new StorageGuard(
      [{ dir: '/nfs/gone', variable: 'REKISTERI_DATA' }],
      1,
      20,
      () => {
        calls++;
        return new Promise<number>(() => undefined);
      },
    );
    guard.start();
    await new Promise((r) => setTimeout(r, 300));
    guard.stop();
    expect(calls).toBe(1);
    expect(guard.low).toBe(false);
  });
});

describe.each(DATABASES)('health, metrics and a low volume on %s', (kind) => {
  let t: OpsContext;
  beforeAll(async () => {
    t = await opsContext(kind);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers liveness without the database and readiness naming each check', async () => {
    const live = await t.app.inject({ url: '/healthz/live' });
    expect(live.statusCode).toBe(200);
    expect(live.json()).toMatchObject({ status: 'ok' });
    for (const url of ['/healthz/ready', '/healthz']) {
      const ready = await t.app.inject({ url });
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toEqual({
        status: 'ok',
        checks: { database: 'ok', keystore: 'ok', storage: 'ok', sealer: 'ok' },
        failed: [],
      });
    }
  });

  it('answers a flood of readiness probes with one check at a time, leaving the pools to requests', async () => {
    const answers = await Promise.all(
      Array.from({ length: 40 }, () => t.app.inject({ url: '/healthz/ready' })),
    );
    expect(answers.map((a) => a.statusCode)).toEqual(answers.map(() => 200));
    if (kind === 'postgres') {
      // The key store's pool (10) served nothing else: one probe at a time needs one connection.
      expect(t.keys.handle.poolStats?.().total).toBeLessThanOrEqual(2);
    }
  });

  it('documents the health routes under the health tag', async () => {
    const doc = (await t.app.inject({ url: '/api/openapi.json' })).json<{
      paths: Record<string, { get?: { tags?: string[] } }>;
    }>();
    for (const path of ['/healthz', '/healthz/live', '/healthz/ready']) {
      expect(doc.paths[path]?.get?.tags).toEqual(['health']);
    }
    expect(doc.paths).not.toHaveProperty('/metrics');
  });

  it('serves /metrics only with the token, with route patterns and pool, log and volume gauges', async () => {
    const created = await createAnna(t);
    expect(created.statusCode).toBe(201);
    const id = created.json<{ id: string }>().id;
    await t.app.inject({
      url: `/api/v1/subjects/${id}?purpose=customer_relationship`,
      headers: t.writer,
    });

    expect((await t.app.inject({ url: '/healthz/live' })).statusCode).toBe(200);
    const none = await t.app.inject({ url: '/metrics' });
    expect(none.statusCode).toBe(401);
    expect(none.headers['content-type']).toMatch(/problem\+json/);
    const wrong = await t.app.inject({
      url: '/metrics',
      headers: { authorization: `Bearer ${TOKEN.slice(0, -1)}x` },
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).not.toContain('rekisteri_http');

    const res = await t.app.inject({
      url: '/metrics',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = res.body;
    const sample = (re: RegExp) => {
      const m = re.exec(text);
      expect(m, `no line matching ${re}`).not.toBeNull();
      return Number(m![1]);
    };
    // The pattern, never the person's id.
    expect(
      sample(
        /^rekisteri_http_requests_total\{method="GET",route="\/api\/v1\/subjects\/:id",status_code="200"\} (\d+)$/m,
      ),
    ).toBe(1);
    expect(text).not.toContain(id);
    // Routes registered before the metrics hook are counted too.
    expect(
      sample(
        /^rekisteri_http_requests_total\{method="GET",route="\/healthz\/live",status_code="200"\} (\d+)$/m,
      ),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(
        /^rekisteri_http_request_duration_seconds_count\{method="POST",route="\/api\/v1\/subjects"\} (\d+)$/m,
      ),
    ).toBe(1);
    expect(sample(/^rekisteri_access_log_unsealed_entries (\d+)$/m)).toBeGreaterThanOrEqual(2);
    expect(sample(/^rekisteri_access_log_sealer_lag_seconds ([\d.e+-]+)$/m)).toBeGreaterThanOrEqual(
      0,
    );
    expect(
      sample(/^rekisteri_storage_free_bytes\{variable="REKISTERI_DATA"\} (\d+)$/m),
    ).toBeGreaterThan(0);
    expect(sample(/^rekisteri_storage_low (\d)$/m)).toBe(0);
    // Background work: the queue by state and the outbox, counts only.
    for (const state of ['queued', 'running', 'failed']) {
      expect(
        sample(new RegExp(`^rekisteri_jobs\\{state="${state}"\\} (\\d+)$`, 'm')),
      ).toBeGreaterThanOrEqual(0);
    }
    expect(sample(/^rekisteri_outbox_mails (\d+)$/m)).toBe(0);
    // Without SMTP a mail waits in the outbox, and the gauge counts it (nothing of it is shown).
    await t.services.mail.sendMail({
      to: 'outbox.waits@example.com',
      template: 'verify-address',
      locale: 'en',
      data: { register: 'Demo', link: 'https://register.example.com/verify/abc' },
    });
    await new Promise((r) => setTimeout(r, 150));
    const later = await t.app.inject({
      url: '/metrics',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(/^rekisteri_outbox_mails (\d+)$/m.exec(later.body)?.[1]).toBe('1');
    expect(later.body).not.toContain('outbox.waits');
    expect(sample(/^process_resident_memory_bytes (\d+)$/m)).toBeGreaterThan(0);
    if (kind === 'postgres') {
      expect(
        sample(/^rekisteri_db_pool_connections\{pool="data",state="total"\} (\d+)$/m),
      ).toBeGreaterThan(0);
      expect(text).toMatch(/^rekisteri_db_pool_connections\{pool="keys",state="waiting"\} 0$/m);
    }
    await t.services.audit.seal();
  });

  it('refuses writes and API reads with 503 while the volume is low, logs it once, and recovers', async () => {
    const before = t.storageLog.length;
    t.storage.minFree = Number.MAX_SAFE_INTEGER;
    await t.storage.check();
    await t.storage.check();
    const write = await createAnna(t);
    expect(write.statusCode).toBe(503);
    expect(write.headers['content-type']).toMatch(/problem\+json/);
    expect(write.headers['retry-after']).toBe('5');
    expect(write.headers['x-content-type-options']).toBe('nosniff');
    expect(write.json()).toMatchObject({ status: 503, title: 'Storage is low' });
    const read = await t.app.inject({
      url: '/api/v1/subjects?purpose=customer_relationship',
      headers: t.writer,
    });
    expect(read.statusCode).toBe(503);
    const login = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'x', password: 'y' },
    });
    expect(login.statusCode).toBe(503);
    // A percent-encoded path reaches the same route, and is refused the same way.
    const encoded = await t.app.inject({
      method: 'POST',
      url: '/%61pi/v1/subjects',
      headers: t.writer,
      payload: {
        purpose: 'customer_relationship',
        source: 'subject',
        values: { ...anna, contact: { email: 'anna.encoded@example.com' } },
      },
    });
    expect(encoded.statusCode).toBe(503);
    expect(encoded.json()).toMatchObject({ title: 'Storage is low' });
    // The public definition writes nothing and is still served.
    expect((await t.app.inject({ url: '/api/v1/definition' })).statusCode).toBe(200);
    const ready = await t.app.inject({ url: '/healthz/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ status: 'unavailable', failed: ['storage'] });
    expect((await t.app.inject({ url: '/healthz/live' })).statusCode).toBe(200);
    const metrics = await t.app.inject({
      url: '/metrics',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(metrics.body).toMatch(/^rekisteri_storage_low 1$/m);
    // One line for the change of state, none per request.
    expect(t.storageLog.slice(before)).toHaveLength(1);
    expect(t.storageLog[before]).toMatch(
      /^error storage is low: .* REKISTERI_DATA .*REKISTERI_MIN_FREE_SPACE/,
    );

    t.storage.minFree = 0;
    await t.storage.check();
    expect(t.storageLog.slice(before)).toEqual([
      expect.stringMatching(/^error storage is low/),
      'info storage has room again: accepting writes',
    ]);
    expect((await createAnna(t)).statusCode).toBe(201);
    expect((await t.app.inject({ url: '/healthz/ready' })).statusCode).toBe(200);
  });

  it('answers requests that arrive while closing with a problem+json 503', async () => {
    const c = await opsContext(kind);
    const closing = c.app.close();
    const res = await c.app.inject({ url: '/healthz/live' }).catch((err: unknown) => err);
    await closing;
    await c.keys.close();
    await c.database.close();
    if (res instanceof Error) {
      // light-my-request refused outright: nothing to check on this path.
      throw res;
    }
    const r = res as Awaited<ReturnType<typeof c.app.inject>>;
    expect(r.statusCode).toBe(503);
    expect(r.headers['content-type']).toMatch(/problem\+json/);
    expect(r.headers['content-security-policy']).toBeDefined();
    expect(r.json()).toMatchObject({ title: 'The server is shutting down', status: 503 });
  });
});

describe.runIf(process.env.TEST_DATABASE_URL)('a PostgreSQL server that fails', () => {
  it('fails to open within the connect timeout when the server accepts but never answers', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    const started = Date.now();
    const err = await openDatabase({
      url: `postgres://rekisteri:secret@127.0.0.1:${port}/register`,
      timeouts: { connect: 1000, statement: 30_000, idleInTransaction: 60_000 },
    }).catch((e: unknown) => e);
    const took = Date.now() - started;
    sockets.forEach((s) => s.destroy());
    silent.close();
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe(
      `DATABASE_URL: the PostgreSQL server at 127.0.0.1:${port} did not answer within 1 s (DATABASE_CONNECT_TIMEOUT)`,
    );
    expect((err as Error).message).not.toContain('secret');
    expect(took).toBeLessThan(3000);
  });

  it('answers 503 after the statement timeout while another session holds a lock, not a long wait', async () => {
    const t = await opsContext('postgres', {
      timeouts: { connect: 5000, statement: 1000, idleInTransaction: 60_000 },
    });
    const locker = new pg.Client({ connectionString: t.url });
    try {
      const id = (await createAnna(t)).json<{ id: string }>().id;
      await locker.connect();
      await locker.query('begin');
      await locker.query('lock table subjects in access exclusive mode');
      const started = Date.now();
      const res = await t.app.inject({
        url: `/api/v1/subjects/${id}?purpose=customer_relationship`,
        headers: t.writer,
      });
      expect(Date.now() - started).toBeLessThan(5000);
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.json()).toMatchObject({ title: 'The database is unavailable', status: 503 });
      const lines = t.logs.filter((l) => l.msg === 'the database is unavailable');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ level: 40, reason: '57014' });
      expect(JSON.stringify(t.logs)).not.toMatch(/stack|Anna|Kuusisto/);
      await locker.query('rollback');
      const again = await t.app.inject({
        url: `/api/v1/subjects/${id}?purpose=customer_relationship`,
        headers: t.writer,
      });
      expect(again.statusCode).toBe(200);
    } finally {
      await locker.end().catch(() => undefined);
      await t.close();
    }
  });

  it('cuts an ordinary statement at the timeout but not imports, backups, migrations or cleaning', async () => {
    const created = await createPostgresDatabase();
    const handle = await openDatabase({
      url: created.url,
      poolSize: 2,
      timeouts: { connect: 5000, statement: 500, idleInTransaction: 500 },
    });
    try {
      const slow = sql`select pg_sleep(0.8)`;
      await expect(slow.execute(handle.db)).rejects.toMatchObject({ code: '57014' });
      // Bulk transactions (imports, restores) and snapshots (backups): neither timeout applies.
      await handle.bulkTransaction(async (tx) => {
        await slow.execute(tx);
        await new Promise((r) => setTimeout(r, 800));
        await slow.execute(tx);
      });
      await handle.snapshot(async (tx) => {
        await slow.execute(tx);
        await new Promise((r) => setTimeout(r, 800));
      });
      await withoutStatementTimeout(handle.db, (conn) => slow.execute(conn));
      // The lift was local: the session's timeout is back afterwards.
      await expect(slow.execute(handle.db)).rejects.toMatchObject({ code: '57014' });
      await migrateToLatest(handle.db);
      // A transaction left idle is ended by the server, and the pool goes on with a new session.
      const idle = await handle.db
        .transaction()
        .execute(async (tx) => {
          await sql`select 1`.execute(tx);
          await new Promise((r) => setTimeout(r, 1200));
          await sql`select 1`.execute(tx);
        })
        .catch((err: unknown) => err);
      expect(idle).toBeInstanceOf(Error);
      expect(await sql<{ n: number }>`select 1 as n`.execute(handle.db)).toMatchObject({
        rows: [{ n: 1 }],
      });
    } finally {
      await handle.close();
      await created.drop();
    }
  });

  it('goes 503 with Retry-After while its database is gone, and recovers by itself', async () => {
    const t = await opsContext('postgres');
    const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await admin.connect();
    const name = t.dbName!;
    try {
      expect((await createAnna(t)).statusCode).toBe(201);
      // Every session of the app is ended, then the database is renamed away.
      await admin.query(
        `select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`,
        [name],
      );
      await admin.query(`alter database ${name} rename to ${name}_away`);
      const res = await createAnna(t);
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.headers['content-type']).toMatch(/problem\+json/);
      expect(res.json()).toEqual({
        type: 'https://rekisteri.example/problems/database-unavailable',
        title: 'The database is unavailable',
        status: 503,
        detail: expect.stringContaining('try again') as string,
      });
      const ready = await t.app.inject({ url: '/healthz/ready' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toMatchObject({ status: 'unavailable', checks: { database: 'failed' } });
      expect((await t.app.inject({ url: '/healthz/live' })).statusCode).toBe(200);
      const failures = t.logs.filter((l) => l.msg === 'the database is unavailable');
      expect(failures.length).toBeGreaterThanOrEqual(1);
      expect(JSON.stringify(t.logs)).not.toContain('"stack"');

      await admin.query(`alter database ${name}_away rename to ${name}`);
      expect((await t.app.inject({ url: '/healthz/ready' })).statusCode).toBe(200);
      expect((await createAnna(t)).statusCode).toBe(201);
    } finally {
      await admin.query(`alter database ${name}_away rename to ${name}`).catch(() => undefined);
      await admin.end();
      await t.close();
    }
  });
});
