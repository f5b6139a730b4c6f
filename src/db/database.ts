/**
 * Opens the database: a PostgreSQL server when a URL is given, otherwise the embedded PGlite in
 * a data directory. Both get the same Kysely interface, migrations and queries.
 */
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Kysely, PostgresDialect, sql, type PostgresPoolClient } from 'kysely';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import type { PGlite } from '@electric-sql/pglite';
import { copyStatement, copyText, type BulkTransaction, type Snapshot } from './copy.ts';
import type { Database } from './types.ts';
import { PGliteDialect } from './pglite-dialect.ts';
import { prepareMarkedStatements } from './prepared.ts';
import { emptyCluster, isNewCluster } from './pglite-template.ts';

export interface DatabaseHandle {
  db: Kysely<Database>;
  kind: 'pglite' | 'postgres';
  /** For the embedded database only: the PGlite instance (dumps, tests). */
  pglite?: PGlite;
  /** One transaction in which rows can also be written with COPY (imports, restores). */
  bulkTransaction: BulkTransaction;
  /** One consistent read-only view, with COPY out (backups). */
  snapshot: Snapshot;
  /** For a PostgreSQL server: the pool's connections (metrics). */
  poolStats?: () => { total: number; idle: number; waiting: number };
  close(): Promise<void>;
}

/** Timeouts of a PostgreSQL pool, in milliseconds; 0 means none. */
export interface PoolTimeouts {
  connect: number;
  statement: number;
  idleInTransaction: number;
}

/**
 * What every server session is set to when it opens. Times are read and written in ISO format and
 * UTC, whatever the server's or the database's defaults: backups carry times as text, and the
 * access log's MACs cover them. A statement (a lock wait included) and an idle transaction end
 * after their timeouts, so a stuck database gives errors, not requests that hang.
 *
 * Sent as statements on the new connection, not as the startup packet's `options`: PgBouncer
 * refuses a connection whose `options` it does not know (1.18, Debian 12's, refuses `options`
 * whole; later releases any parameter but a few), and one told to ignore them would drop them
 * silently. In session mode the settings then last as long as the client's session.
 */
export function sessionSettings(timeouts: PoolTimeouts): string {
  const ms = (n: number, name: string) => {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new Error(`${name} must be a whole number of milliseconds, 0 or more`);
    }
    return String(n);
  };
  return (
    "set DateStyle = 'ISO, YMD'; set TimeZone = 'UTC'; set IntervalStyle = 'postgres'; " +
    `set statement_timeout = ${ms(timeouts.statement, 'the statement timeout')}; ` +
    `set idle_in_transaction_session_timeout = ${ms(timeouts.idleInTransaction, 'the idle-in-transaction timeout')}`
  );
}

/**
 * The pool's `onConnect` hook: pg-pool (3.10 and later) awaits what it returns before the new
 * connection is first handed out, and closes the connection when it rejects. @types/pg declares
 * the hook as returning nothing. The connect timeout has stopped once the login is done, and the
 * statement timeout is what this sets: a server (or pooler) that takes the login and then never
 * answers is given up on after the connect timeout here.
 */
function settingsOnConnect(settings: string, timeoutMs: number): (client: pg.ClientBase) => void {
  const hook = async (client: pg.ClientBase): Promise<void> => {
    if (timeoutMs <= 0) {
      await client.query(settings);
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client.query(settings),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new Error(
                  `the database took the login but did not answer within ${timeoutMs / 1000} s (DATABASE_CONNECT_TIMEOUT)`,
                ),
              ),
            timeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  };
  // eslint-disable-next-line @typescript-eslint/no-misused-promises -- pg-pool awaits it (above)
  return hook;
}

/**
 * Without a configuration (CLI tools that open a database themselves): a connection must still
 * come within 10 s, but statements may run as long as they need.
 */
export const DEFAULT_TIMEOUTS: PoolTimeouts = {
  connect: 10_000,
  statement: 0,
  idleInTransaction: 0,
};

/**
 * Runs `fn` on one connection with no statement timeout: migrations, a key store's VACUUM FULL and
 * other work that may rightly take longer than any request. The session's setting comes back after.
 */
export async function withoutStatementTimeout<DB, T>(
  db: Kysely<DB>,
  fn: (conn: Kysely<DB>) => Promise<T>,
): Promise<T> {
  return db.connection().execute(async (conn) => {
    // The session's own value, set when the connection opened (sessionSettings): `reset` would
    // fall back to the server's default instead.
    const before = await sql<{ statement_timeout: string }>`show statement_timeout`.execute(conn);
    const timeout = before.rows[0]?.statement_timeout ?? '0';
    await sql`set statement_timeout = 0`.execute(conn);
    try {
      return await fn(conn);
    } finally {
      await sql`select set_config('statement_timeout', ${timeout}, false)`
        .execute(conn)
        .catch(() => undefined);
    }
  });
}

/**
 * On a server: a connection of the pool for the whole transaction, with Kysely on top of it for
 * the ordinary queries and COPY FROM STDIN through the same connection.
 */
function serverBulkTransaction(pool: pg.Pool): BulkTransaction {
  return async (fn) => {
    const client = await pool.connect();
    // Kysely over this one connection; releasing it is ours to do, once, below.
    const one = new Kysely<Database>({
      dialect: new PostgresDialect({
        pool: {
          // pg's client is what PostgresDialect expects; only its release is replaced.
          connect: () =>
            Promise.resolve<PostgresPoolClient>({
              query: client.query.bind(client),
              release: () => undefined,
            }),
          end: () => Promise.resolve(),
        },
      }),
    });
    let broken: Error | undefined;
    try {
      return await one.transaction().execute(async (tx) => {
        // An import or a restore may rightly run for minutes, and wait between statements while
        // rows are sealed: neither timeout applies inside it.
        await sql`set local statement_timeout = 0`.execute(tx);
        await sql`set local idle_in_transaction_session_timeout = 0`.execute(tx);
        return fn(
          tx,
          async (table, columns, rows) => {
            if (rows.length > 0) {
              await pipeline(
                Readable.from([copyText(rows)]),
                client.query(copyFrom(copyStatement(table, columns, 'stdin'))),
              );
            }
          },
          async (table, columns, lines) => {
            await pipeline(
              Readable.from(lines),
              client.query(copyFrom(copyStatement(table, columns, 'stdin'))),
            );
          },
        );
      });
    } catch (err) {
      // A connection whose transaction failed (perhaps in the middle of a COPY) is closed rather
      // than handed out again.
      broken = err instanceof Error ? err : new Error(String(err));
      throw err;
    } finally {
      await one.destroy();
      client.release(broken);
    }
  };
}

/**
 * On a server: one connection in a repeatable-read, read-only transaction, so every table of a
 * backup is read as of the same moment while the server goes on writing.
 */
function serverSnapshot(pool: pg.Pool): Snapshot {
  return async (fn) => {
    const client = await pool.connect();
    const one = new Kysely<Database>({
      dialect: new PostgresDialect({
        pool: {
          connect: () =>
            Promise.resolve<PostgresPoolClient>({
              query: client.query.bind(client),
              release: () => undefined,
            }),
          end: () => Promise.resolve(),
        },
      }),
    });
    let broken: Error | undefined;
    try {
      await client.query('begin transaction isolation level repeatable read read only');
      // A backup reads every table in one transaction: no statement or idle timeout cuts it.
      await client.query('set local statement_timeout = 0');
      await client.query('set local idle_in_transaction_session_timeout = 0');
      const result = await fn(one, (table, columns) => {
        const stream = client.query(copyTo(copyStatement(table, columns, 'stdout', 'to')));
        stream.setEncoding('utf8');
        return stream as AsyncIterable<string>;
      });
      await client.query('commit');
      return result;
    } catch (err) {
      broken = err instanceof Error ? err : new Error(String(err));
      throw err;
    } finally {
      await one.destroy();
      client.release(broken);
    }
  };
}

function isConnectTimeout(err: unknown): boolean {
  const message = err instanceof Error ? err.message : '';
  return /connection timeout|timeout exceeded when trying to connect|timeout expired/i.test(
    message,
  );
}

/** host:port of a URL, never its user or password. */
function serverOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname || 'localhost'}:${u.port || '5432'}`;
  } catch {
    return 'the given address';
  }
}

// bigint columns come back as decimal strings on both drivers; numbers that must be numbers are
// cast to int in SQL.
pg.types.setTypeParser(20, (v) => v);

export async function openDatabase(opts: {
  url?: string;
  dataDir?: string;
  poolSize?: number;
  /** Extra postgresql.conf lines for the embedded database (the key store turns off WAL reuse). */
  postgresqlconf?: string[];
  /** PostgreSQL only; DEFAULT_TIMEOUTS when not given. */
  timeouts?: PoolTimeouts;
  /** The variable that gave the URL, for errors (DATABASE_URL unless told). */
  variable?: string;
}): Promise<DatabaseHandle> {
  if (opts.url) {
    const timeouts = opts.timeouts ?? DEFAULT_TIMEOUTS;
    const pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.poolSize ?? 10,
      connectionTimeoutMillis: timeouts.connect,
      keepAlive: true,
      onConnect: settingsOnConnect(sessionSettings(timeouts), timeouts.connect),
    });
    // A connection the server drops reports an 'error' event, idle or in use; with no listener Node
    // would end the process. The query under way fails on its own and the pool discards the client.
    pool.on('error', () => undefined);
    pool.on('connect', (client) => {
      client.on('error', () => undefined);
      prepareMarkedStatements(client);
    });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    // One query now: a server that accepts connections but never answers fails the start within
    // the connect timeout instead of hanging it.
    try {
      await pool.query('select 1');
    } catch (err) {
      await pool.end().catch(() => undefined);
      if (isConnectTimeout(err)) {
        throw new Error(
          `${opts.variable ?? 'DATABASE_URL'}: the PostgreSQL server at ${serverOf(opts.url)} did not answer within ${timeouts.connect / 1000} s (DATABASE_CONNECT_TIMEOUT)`,
        );
      }
      throw err;
    }
    return {
      db,
      kind: 'postgres',
      bulkTransaction: serverBulkTransaction(pool),
      snapshot: serverSnapshot(pool),
      poolStats: () => ({
        total: pool.totalCount,
        idle: pool.idleCount,
        waiting: pool.waitingCount,
      }),
      close: () => db.destroy(),
    };
  }
  const { PGlite } = await import('@electric-sql/pglite');
  let unlock = () => Promise.resolve();
  if (opts.dataDir) {
    await privateDirectory(opts.dataDir);
    unlock = await lockDataDir(opts.dataDir);
  }
  try {
    // A new cluster is loaded from the cached empty one instead of running initdb (pglite-template.ts).
    const template = isNewCluster(opts.dataDir) ? await emptyCluster(PGlite) : undefined;
    const instance = await PGlite.create(opts.dataDir ?? 'memory://', {
      ...(template ? { loadDataDir: template } : {}),
      parsers: { 20: (v: string) => v },
      ...(opts.postgresqlconf ? { postgresqlconf: opts.postgresqlconf } : {}),
    });
    const db = new Kysely<Database>({ dialect: new PGliteDialect(instance) });
    if (opts.dataDir) {
      await narrowPermissions(opts.dataDir);
    }
    return {
      db,
      kind: 'pglite',
      pglite: instance,
      // The transaction holds the embedded database's only session, so COPY from a blob issued
      // on the instance runs inside it.
      bulkTransaction: (fn) =>
        db.transaction().execute((tx) =>
          fn(
            tx,
            async (table, columns, rows) => {
              if (rows.length > 0) {
                await instance.query(copyStatement(table, columns, "'/dev/blob'"), [], {
                  blob: new Blob([copyText(rows)]),
                });
              }
            },
            async (table, columns, lines) => {
              const parts: string[] = [];
              for await (const line of lines) {
                parts.push(line);
              }
              await instance.query(copyStatement(table, columns, "'/dev/blob'"), [], {
                blob: new Blob(parts),
              });
            },
          ),
        ),
      // The embedded database has one session, so any transaction sees one consistent state.
      snapshot: (fn) =>
        db.transaction().execute((tx) =>
          fn(tx, async function* (table, columns) {
            const result = await instance.query(copyStatement(table, columns, "'/dev/blob'", 'to'));
            if (result.blob) {
              yield await result.blob.text();
            }
          }),
        ),
      close: async () => {
        await db.destroy();
        if (opts.dataDir) {
          await narrowPermissions(opts.dataDir).catch(() => undefined);
        }
        await unlock();
      },
    };
  } catch (err) {
    await unlock();
    throw err;
  }
}

/**
 * An embedded database's directory belongs to this process's user alone: created 0700, files
 * 0600. The embedded PostgreSQL creates its files with the process's umask, so the umask is
 * narrowed for the whole process (it holds personal data; nothing it writes is for others), and
 * what an older version left readable is narrowed too.
 */
async function privateDirectory(dir: string): Promise<void> {
  process.umask(0o077);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await narrowPermissions(dir);
}

/**
 * Sets 0700 on directories and 0600 on files under `dir`. The embedded PostgreSQL gives some files
 * modes of its own (0644) whatever the umask: this runs again once it has started and when it
 * closes. In between, the directory's own 0700 keeps every other user out of what it creates.
 */
async function narrowPermissions(dir: string): Promise<void> {
  const walk = async (path: string, isDir: boolean): Promise<void> => {
    await chmod(path, isDir ? 0o700 : 0o600);
    if (isDir) {
      for (const entry of await readdir(path, { withFileTypes: true })) {
        if (!entry.isSymbolicLink()) {
          await walk(join(path, entry.name), entry.isDirectory());
        }
      }
    }
  };
  await walk(dir, true);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The embedded database belongs to one process at a time. A lock file holds the owner's pid; a
 * lock left by a process that no longer runs (a crash) is taken over.
 */
async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  const file = join(dir, 'rekisteri.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(file, String(process.pid), { flag: 'wx' });
      return () => rm(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw err;
      }
      const owner = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw new Error(
          `the embedded database in ${dir} is in use by process ${owner} (a running server?). Stop it first, or set DATABASE_URL to a PostgreSQL server, which many processes can share.`,
        );
      }
      await rm(file, { force: true });
    }
  }
  throw new Error(`cannot lock the embedded database in ${dir}`);
}
