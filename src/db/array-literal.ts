/**
 * The one encoder of PostgreSQL array literals (`{…}`), for arrays sent as a single text value:
 * in SQL (`${arrayLiteral(list)}::text[]`), and inside COPY rows (src/db/copy.ts). Every element
 * that is not a plain integer is quoted, so that a word such as `null` (which, bare, means SQL
 * NULL: a category named `null` once dropped out of lookups), or one holding a comma, a quote, a
 * brace, a backslash or a space, comes back as it went in. A JavaScript null is SQL NULL.
 */

/** Plain decimal integers (blind indexes) need no quotes; anything else is quoted. */
const INTEGER = /^-?\d+$/;

export function arrayLiteral(items: ReadonlyArray<string | null>): string {
  let out = '{';
  for (let i = 0; i < items.length; i++) {
    const s = items[i] as string | null;
    if (i > 0) {
      out += ',';
    }
    if (s === null) {
      out += 'NULL';
    } else {
      out += INTEGER.test(s) ? s : `"${s.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
    }
  }
  return `${out}}`;
}
