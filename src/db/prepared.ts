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
 * Routes a pooled pg client's marked statements to named, prepared ones; every other call goes
 * through as it was made.
 */
export function prepareMarkedStatements(client: { query: (...args: never[]) => unknown }): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const [text, values] = args;
    if (args.length === 2 && typeof text === 'string' && Array.isArray(values)) {
      const name = statementName(text);
      if (name !== null) {
        const config: QueryConfig = { name, text, values };
        return query(config);
      }
    }
    return query(...args);
  };
}
