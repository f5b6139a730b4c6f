/**
 * CSV as RFC 4180 says (every cell quoted, CRLF between records), with the OWASP guard against
 * formula injection: a cell that starts with = + - @, a tab or a carriage return gets a leading
 * single quote, so that no spreadsheet takes a value for a formula.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(text: string): string {
  const guarded = FORMULA_START.test(text) ? `'${text}` : text;
  return `"${guarded.replaceAll('"', '""')}"`;
}

export function csv(head: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  // A byte order mark, so that spreadsheets read the file as UTF-8 (å, ä, ö, €).
  return `\uFEFF${[head, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n')}\r\n`;
}
