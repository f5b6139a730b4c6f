/**
 * Start-up errors of the databases in words an operator acts on, each naming the variable that
 * chose the database: a refused connection, an unknown host, database or role, a database that a
 * newer version of Rekisteri migrated, an embedded directory that cannot be written or read.
 */
import { sql, type Kysely } from 'kysely';

/** Where a database came from: the variable and what it says (a URL without its password). */
export interface DatabaseOrigin {
  variable: 'DATABASE_URL' | 'KEYSTORE_DATABASE_URL' | 'REKISTERI_DATA' | 'REKISTERI_KEYSTORE';
  /** The URL or the directory. */
  where: string;
}

export class StartupError extends Error {
  override name = 'StartupError';
}

/** A URL with its password left out, for messages. */
export function withoutPassword(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) {
      u.password = '***';
    }
    return u.toString();
  } catch {
    return 'the URL (not shown)';
  }
}

function serverParts(url: string): { host: string; database: string; user: string } {
  try {
    const u = new URL(url);
    return {
      host: `${u.hostname}:${u.port || '5432'}`,
      database: decodeURIComponent(u.pathname.replace(/^\//, '')) || '(the user name)',
      user: decodeURIComponent(u.username) || '(the system user)',
    };
  } catch {
    return { host: '?', database: '?', user: '?' };
  }
}

/** The embedded database's file system reports errno numbers of its own (Emscripten's). */
const EMBEDDED_ERRNO: Record<number, string> = {
  2: 'EACCES',
  29: 'EIO',
  44: 'ENOENT',
  51: 'ENOSPC',
  54: 'ENOTDIR',
  63: 'EPERM',
  69: 'EROFS',
};

function codeOf(err: unknown): string | undefined {
  const e = err as { code?: unknown; errors?: unknown[]; name?: unknown; errno?: unknown };
  if (typeof e?.code === 'string') {
    return e.code;
  }
  if (e?.name === 'ErrnoError' && typeof e.errno === 'number') {
    return EMBEDDED_ERRNO[e.errno] ?? `errno ${e.errno}`;
  }
  // Node's connection attempts to several addresses fail with an AggregateError of each.
  const first = Array.isArray(e?.errors) ? (e.errors[0] as { code?: unknown }) : undefined;
  return typeof first?.code === 'string' ? first.code : undefined;
}

/**
 * The error in the words of the variable, or the error itself when it is not one of those known
 * (a refusal of our own, say, which already says what to do).
 */
export function explainDatabaseError(err: unknown, origin: DatabaseOrigin): unknown {
  if (err instanceof StartupError) {
    return err;
  }
  const code = codeOf(err);
  const message = err instanceof Error ? err.message : String(err);
  const v = origin.variable;
  if (v === 'DATABASE_URL' || v === 'KEYSTORE_DATABASE_URL') {
    const { host, database, user } = serverParts(origin.where);
    const say = (what: string) => new StartupError(`${v}: ${what}`);
    switch (code) {
      case 'ECONNREFUSED':
        return say(
          `the PostgreSQL server at ${host} refused the connection: is it running, and listening there?`,
        );
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
        return say(`the host of ${host} was not found: check the host name in the URL`);
      case 'ETIMEDOUT':
      case 'EHOSTUNREACH':
      case 'ENETUNREACH':
        return say(
          `the PostgreSQL server at ${host} cannot be reached (${code}): check the host, the port and the network`,
        );
      case 'ECONNRESET':
        return say(
          `the PostgreSQL server at ${host} closed the connection: is it PostgreSQL, and does it accept this client (pg_hba.conf, TLS)?`,
        );
      case '3D000':
        return say(
          `the database "${database}" does not exist on ${host}: create it (\`createdb ${database}\`) or correct the URL`,
        );
      case '28P01':
        return say(
          `password authentication failed for the role "${user}" on ${host}: check the user name and password in the URL`,
        );
      case '28000':
        return say(
          `the server at ${host} refused the role "${user}" (${message}): create the role or correct the URL`,
        );
      case '57P03':
        return say(
          `the PostgreSQL server at ${host} is starting up or shutting down: try again in a moment`,
        );
      case '53300':
        return say(`the PostgreSQL server at ${host} has no connections left (too many clients)`);
      case '42501':
        return say(
          `the role "${user}" lacks a privilege Rekisteri needs on "${database}" (${message}): it must be able to create tables in its schema`,
        );
      default:
        if (/timeout exceeded when trying to connect|connection timeout/i.test(message)) {
          return say(
            `no answer from the PostgreSQL server at ${host} within the connection timeout: is it up, and reachable from here?`,
          );
        }
        if (/Connection terminated unexpectedly/i.test(message)) {
          return say(
            `the server at ${host} closed the connection before answering: is it PostgreSQL, and does it accept this client (pg_hba.conf, TLS)?`,
          );
        }
        if (/SSL|certificate/i.test(message)) {
          return say(`TLS to ${host} failed: ${message}`);
        }
        if (/Invalid URL|password must be a string|SASL/i.test(message)) {
          return say(`cannot connect with this URL: ${message}`);
        }
        return err;
    }
  }
  // The embedded database.
  const dir = origin.where;
  switch (code) {
    case 'EROFS':
      return new StartupError(
        `${v}: ${dir} is on a read-only file system: the embedded database must be able to write there`,
      );
    case 'EACCES':
    case 'EPERM':
      return new StartupError(
        `${v}: ${dir} cannot be written or read by this user (${code}): fix its owner or permissions`,
      );
    case 'ENOTDIR':
      return new StartupError(`${v}: ${dir} (or a directory above it) is a file, not a directory`);
    case 'ENOSPC':
      return new StartupError(
        `${v}: the disk holding ${dir} is full: free space there (the embedded database needs at least 40 MB, and 16 MB more for each new log segment)`,
      );
    case 'EIO':
      return new StartupError(
        `${v}: reading or writing ${dir} failed (an I/O error): check the disk`,
      );
    case 'ENOENT':
      return new StartupError(
        `${v}: ${dir} (or a directory above it) does not exist or went away while opening it: check the path and that its volume is mounted`,
      );
    default:
      if (
        /Aborted\(\)|ASSERTIONS|failed to initialize|RuntimeError|unreachable|ErrnoError/i.test(
          message,
        ) ||
        (err as { name?: unknown })?.name === 'ErrnoError'
      ) {
        return new StartupError(
          `${v}: the embedded database in ${dir} could not be opened: its files cannot be read or written (permissions, a read-only or full disk), or they are not a database of this version; restore the directory from a backup if they are damaged`,
        );
      }
      return err;
  }
}

/** Runs a step of opening a database, translating its errors for the operator. */
export async function explained<T>(origin: DatabaseOrigin, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw explainDatabaseError(err, origin);
  }
}

/**
 * Refuses a database that a newer version of Rekisteri has migrated: it holds a migration this
 * version does not know, and running on it could misread what the newer code wrote.
 */
export async function refuseNewerDatabase(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the data's or the key store's
  db: Kysely<any>,
  known: readonly string[],
  origin: DatabaseOrigin,
  table = 'kysely_migration',
): Promise<void> {
  const exists = await sql<{ n: number }>`
    select count(*)::int as n from information_schema.tables
     where table_schema = current_schema() and table_name = ${table}`.execute(db);
  if ((exists.rows[0]?.n ?? 0) === 0) {
    return;
  }
  const rows = await sql<{ name: string }>`select name from ${sql.table(table)}`.execute(db);
  const names = new Set(known);
  const unknown = rows.rows.map((r) => r.name).filter((n) => !names.has(n));
  if (unknown.length > 0) {
    throw new StartupError(
      `${origin.variable}: this database is newer than this version of Rekisteri (it has migration ${unknown.sort().join(', ')}, which this version does not know): run the newer version again, or restore a backup made before the upgrade; migrations go forward only`,
    );
  }
}
