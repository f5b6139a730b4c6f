/**
 * Test support: a fresh database per suite (embedded PGlite always; a new PostgreSQL database on
 * the TEST_DATABASE_URL server when it is set), the demo register, a random master key, and the
 * real HTTP app driven through inject().
 */
import { randomBytes } from 'node:crypto';
import { operator } from '../src/lib/actor.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createApp } from '../src/app.ts';
import { openDatabase, type DatabaseHandle } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { loadDefinition } from '../src/modules/definition/loader.ts';
import type { Register } from '../src/modules/definition/register.ts';
import { openKeyStore, type KeyStore } from '../src/keystore/keystore.ts';
import { createServices, type Services } from '../src/services.ts';
import { createVault } from '../src/vault/vault.ts';
import type { FastifyInstance } from 'fastify';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DEMO = fileURLToPath(new URL('../examples/demo.yaml', import.meta.url));

export interface TestDatabase {
  kind: 'pglite' | 'postgres';
  /** For postgres: the URL of the fresh database. */
  url?: string;
  handle: DatabaseHandle;
  dispose(): Promise<void>;
}

/** The databases every integration suite runs on. */
export const DATABASES: Array<'pglite' | 'postgres'> = process.env.TEST_DATABASE_URL
  ? ['pglite', 'postgres']
  : ['pglite'];

/** A new, empty PostgreSQL database on the test server. */
export async function createPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) {
    throw new Error('TEST_DATABASE_URL is not set');
  }
  const name = `rekisteri_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

/** A fresh key store beside a test database: embedded in memory, or a second new database. */
export async function openTestKeyStore(
  kind: 'pglite' | 'postgres',
): Promise<{ keys: KeyStore; url?: string; dispose(): Promise<void> }> {
  if (kind === 'pglite') {
    const keys = await openKeyStore({});
    return { keys, dispose: () => keys.close() };
  }
  const created = await createPostgresDatabase();
  const keys = await openKeyStore({ url: created.url });
  return {
    keys,
    url: created.url,
    async dispose() {
      await keys.close();
      await created.drop();
    },
  };
}

export async function openTestDatabase(kind: 'pglite' | 'postgres'): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const handle = await openDatabase({});
    await migrateToLatest(handle.db);
    return { kind, handle, dispose: () => handle.close() };
  }
  const created = await createPostgresDatabase();
  const handle = await openDatabase({ url: created.url, poolSize: 4 });
  await migrateToLatest(handle.db);
  return {
    kind,
    url: created.url,
    handle,
    async dispose() {
      await handle.close();
      await created.drop();
    },
  };
}

export interface TestContext {
  db: TestDatabase;
  keys: KeyStore;
  register: Register;
  services: Services;
  app: FastifyInstance;
  masterKey: Buffer;
  /** The access log's anchor file, in a scratch key-store directory of this context. */
  anchorFile: string;
  /** What the access log's sealer logged (anchors at info, alarms at error). */
  auditLog: AuditLogLine[];
  /** A fresh API key's bearer header. */
  key(purposes: string[], actions: string[]): Promise<{ authorization: string }>;
  close(): Promise<void>;
}

export interface AuditLogLine {
  level: 'info' | 'error';
  obj: Record<string, unknown>;
  msg: string;
}

/** A logger for the access log's sealer that keeps what it is told. */
export function captureLog(into: AuditLogLine[]) {
  return {
    info: (obj: Record<string, unknown>, msg: string) => into.push({ level: 'info', obj, msg }),
    error: (obj: Record<string, unknown>, msg: string) => into.push({ level: 'error', obj, msg }),
  };
}

export async function createTestContext(
  kind: 'pglite' | 'postgres',
  registerFile = DEMO,
  opts: {
    sealWorkers?: number;
    /** An SMTP server to deliver through (a loopback one: test/mail.test.ts). */
    smtp?: { url: string; from: string };
    campaigns?: {
      ratePerMinute?: number;
      windowMs?: number;
      deferMs?: number;
      recipientAttempts?: number;
      startStaleMs?: number;
    };
    /** People per batch when telling people of a notice change. */
    noticeAnnounceBatch?: number;
    /** PUBLIC_URL: an https:// one lets campaigns start and audiences export their links. */
    publicUrl?: string;
  } = {},
): Promise<TestContext> {
  const db = await openTestDatabase(kind);
  const keyStore = await openTestKeyStore(kind);
  const register = await loadDefinition(registerFile);
  const masterKey = randomBytes(32);
  const keystore = await mkdtemp(join(tmpdir(), 'rekisteri-keystore-'));
  const anchorFile = join(keystore, 'audit-anchors.jsonl');
  const auditLog: AuditLogLine[] = [];
  const services = createServices({
    database: db.handle,
    keys: keyStore.keys,
    register,
    vault: createVault(masterKey),
    ...(opts.sealWorkers ? { sealWorkers: { size: opts.sealWorkers } } : {}),
    audit: { anchorFile, logger: captureLog(auditLog) },
    ...(opts.smtp ? { mail: { smtp: opts.smtp } } : {}),
    ...(opts.campaigns ? { campaigns: opts.campaigns } : {}),
    ...(opts.noticeAnnounceBatch ? { noticeAnnounceBatch: opts.noticeAnnounceBatch } : {}),
    ...(opts.publicUrl ? { publicUrl: opts.publicUrl } : {}),
  });
  const app = await createApp(services);
  return {
    db,
    keys: keyStore.keys,
    register,
    services,
    app,
    masterKey,
    anchorFile,
    auditLog,
    async key(purposes, actions) {
      const { token } = await services.apiKeys.createApiKey(operator, {
        name: 'test',
        purposes,
        actions,
      });
      return { authorization: `Bearer ${token}` };
    },
    async close() {
      await app.close();
      await keyStore.dispose();
      await db.dispose();
      await rm(keystore, { recursive: true, force: true });
    },
  };
}

/** Counts of every table a change could touch, to prove a refusal changed nothing. */
export async function snapshot(handle: DatabaseHandle): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of [
    'subjects',
    'subject_values',
    'subject_history',
    'import_runs',
    'import_rejections',
  ] as const) {
    const r = await handle.db
      .selectFrom(t)
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    out[t] = Number(r.n);
  }
  const touched = await handle.db
    .selectFrom('subjects')
    .select((eb) => eb.fn.max('updated_at').as('m'))
    .executeTakeFirstOrThrow();
  out.lastUpdate = touched.m ? new Date(touched.m).getTime() : 0;
  return out;
}

export const anna = {
  identity: { firstName: 'Anna-Liisa', lastName: 'Kuusisto' },
  contact: { email: 'Anna-Liisa.Kuusisto@Example.com', phone: '040 765 4321' },
  organisation: { organisation: 'Lumipallo Kahvila Oy', title: 'Yrittäjä' },
};

/**
 * A port that was free a moment ago, for a server started in a child process (PORT=0 is refused:
 * an operator who sets it means a mistake, not "any port").
 */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') {
    throw new Error('no port');
  }
  return address.port;
}

/**
 * Seals until nothing is left unsealed. On a shared PostgreSQL server a writing transaction of
 * another database (another test file's held lock or idle transaction, say) holds the cluster's
 * snapshot horizon back for a while, and the sealer rightly waits for it.
 */
export async function sealEverything(
  audit: { seal(): Promise<unknown>; verify(): Promise<{ unsealed: number }> },
  ms = 60_000,
): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    await audit.seal();
    if ((await audit.verify()).unsealed === 0) {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
