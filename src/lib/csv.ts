/**
 * CSV as RFC 4180 says (every cell quoted, CRLF between records), with the OWASP guard against
 * formula injection: a cell that starts with = + - @, a tab or a carriage return gets a leading
 * single quote, so that no spreadsheet takes a value for a formula.
 *
 * A value that is plainly a number or a phone number (`+358 40 123 4567`, `-12.5`, `(09) 123 45`)
 * is left as it is, byte for byte: it holds nothing a spreadsheet could run, and a portable copy
 * must give the person back what they gave. Every CSV written for people goes through here.
 */
const FORMULA_START = /^[=+\-@\t\r]/;
/** Digits, spaces, parentheses, dots and hyphens after an optional sign: nothing to evaluate. */
const PLAIN_NUMBER = /^[+-]?(?=[^\d]*\d)[\d ().-]+$/;

export function csvCell(text: string): string {
  const guarded = FORMULA_START.test(text) && !PLAIN_NUMBER.test(text) ? `'${text}` : text;
  return `"${guarded.replaceAll('"', '""')}"`;
}

export function csv(head: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  // A byte order mark, so that spreadsheets read the file as UTF-8 (å, ä, ö, €).
  return `\uFEFF${[head, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n')}\r\n`;
}
