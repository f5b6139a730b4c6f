/**
 * Prepared statements for the few hot queries (run thousands of times a second: the permission
 * check, the access log's insert). A statement whose text starts with `prepared(name)` is parsed
 * and planned once per pooled connection of a PostgreSQL server and then only executed (a named
 * statement of the extended protocol), instead of parsed and planned anew on every call. The
 * marker is an SQL comment, so the embedded database runs the same text as it is.
 *
 * The text must depend only on the query's shape (the values go as parameters): each distinct
 * text is a statement of its own on every connection.
 */
import { createHash } from 'node:crypto';

const NAME = /^[a-z][a-z0-9_]{0,40}$/;
const MARKED = /^\/\* prepared ([a-z][a-z0-9_]{0,40}) \*\/ /;
/** At most this many distinct texts are prepared (per connection); more run as before. */
const MAX_STATEMENTS = 200;

/** The marker that starts a statement to prepare. */
export function prepared(name: string): string {
  if (!NAME.test(name)) {
    throw new Error(`not a statement name: ${name}`);
  }
  return `/* prepared ${name} */ `;
}

/** Statement names by text, for the process: the marked texts are few and fixed by the code. */
const names = new Map<string, string | null>();

/** The statement name of a marked text (its name and a digest of the text), or null. */
export function statementName(text: string): string | null {
  let name = names.get(text);
  if (name === undefined) {
    const m = text.startsWith('/* prepared ') ? MARKED.exec(text) : null;
    // The same name with another text (another shape of the same query) is another statement.
    name =
      m && names.size < MAX_STATEMENTS
        ? `${m[1]}_${createHash('sha256').update(text).digest('hex').slice(0, 16)}`
        : null;
    if (m) {
      names.set(text, name);
    }
  }
  return name;
}

interface QueryConfig {
  name: string;
  text: string;
  values: unknown[];
}

/**
 * PostgreSQL's answer when a prepared statement's result columns changed type since it was
 * prepared (a migration altered a column while the server ran): SQLSTATE 0A000 ("cached plan must
 * not change result type") from the routine RevalidateCachedQuery. The message is in the server's
 * language (lc_messages); the code and the routine's name are never translated, so only they are
 * read. The statement stays broken on that connection until deallocated.
 */
export function isStalePlan(err: unknown): boolean {
  return (
    typeof err === 'object' &&
    err !== null &&
    (err as { code?: unknown }).code === '0A000' &&
    (err as { routine?: unknown }).routine === 'RevalidateCachedQuery'
  );
}

/** The parts of a pg client used here (pg.Client has them). */
interface PgClient {
  query: (...args: never[]) => unknown;
  /** 'I' idle, 'T' in a transaction, 'E' in a failed one (null before the first answer). */
  getTransactionStatus?: () => string | null;
  /** pg's connection, which remembers the names it parsed (`parsedStatements`). */
  connection?: unknown;
}

/**
 * Routes a pooled pg client's marked statements to named, prepared ones; every other call goes
 * through as it was made.
 *
 * A statement PostgreSQL refuses as stale (isStalePlan) is deallocated on that connection and
 * prepared anew: at once, and the call retried once, when the connection is not inside a
 * transaction; otherwise (the transaction has failed with it, and its caller gets the error) right
 * before its next use. So a column changed under a running server costs each connection one
 * failed call at most, never a restart.
 */
export function prepareMarkedStatements(client: PgClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
  /** Statements to deallocate on this connection before their next use. */
  const stale = new Set<string>();
  const status = () => client.getTransactionStatus?.() ?? null;
  const deallocate = async (name: string) => {
    // Names are [a-z0-9_] (NAME and a hex digest). Not prepared itself: a simple query.
    await query(`deallocate "${name}"`);
    stale.delete(name);
    const parsed = (client.connection as { parsedStatements?: Record<string, unknown> } | undefined)
      ?.parsedStatements;
    if (parsed) {
      // Otherwise pg would only bind and execute the name, never parse it again.
      delete parsed[name];
    }
  };
  const run = async (config: QueryConfig) => {
    if (stale.has(config.name)) {
      await deallocate(config.name);
    }
    try {
      return await query(config);
    } catch (err) {
      if (!isStalePlan(err)) {
        throw err;
      }
      stale.add(config.name);
      if (status() !== 'I') {
        // Inside a transaction, which the error has failed: its caller decides.
        throw err;
      }
      await deallocate(config.name);
      return query(config);
    }
  };
  (client as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const [text, values] = args;
    if (args.length === 2 && typeof text === 'string' && Array.isArray(values)) {
      const name = statementName(text);
      if (name !== null) {
        return run({ name, text, values });
      }
    }
    return query(...args);
  };
}
