/**
 * What text may hold. Everywhere text enters (request bodies, query strings, path parameters,
 * people's values, command-line input), it must be well-formed Unicode without control
 * characters and without bidirectional overrides or isolates, which can make a value display as
 * something else than it is (a name that reads backwards in the console, an address that hides
 * its domain). Tab and line breaks are allowed only in fields that hold several lines.
 */
import type { FieldIssue } from './errors.ts';

const hex = (c: number) => `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * Why `s` may not be stored, or null when it may. Multi-line text may hold tab, line feed and
 * carriage return; nothing else below U+0020, no DEL and no C1 control (U+007F–U+009F).
 */
export function textFault(s: string, multiline = false): string | null {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
      if (multiline && (c === 0x09 || c === 0x0a || c === 0x0d)) {
        continue;
      }
      return c === 0x0a || c === 0x0d || c === 0x09
        ? `must be a single line: contains a ${c === 0x09 ? 'tab' : 'line break'} (${hex(c)})`
        : `contains a control character (${hex(c)})`;
    }
    if ((c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)) {
      return `contains a bidirectional control character (${hex(c)})`;
    }
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      return 'is not valid Unicode: contains a lone surrogate';
    }
    if (c >= 0xdc00 && c <= 0xdfff) {
      return 'is not valid Unicode: contains a lone surrogate';
    }
  }
  return null;
}

/**
 * Every fault in the strings of a parsed JSON value or query object, keys included, each named by
 * its path in the style of every other field name (docs/subjects-api.md, "Errors and headers"):
 * object keys joined by dots, array positions in brackets (`changes[0].kind`, `[1]` at the top).
 * `multiline(path)` says whether the string at `path` may hold several lines.
 */
export function textFaults(
  value: unknown,
  path: string,
  multiline: (path: string) => boolean,
  out: FieldIssue[] = [],
): FieldIssue[] {
  if (out.length >= 20) {
    return out;
  }
  if (typeof value === 'string') {
    const fault = textFault(value, multiline(path));
    if (fault) {
      out.push({ field: path || 'body', detail: fault });
    }
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => textFaults(v, `${path}[${i}]`, multiline, out));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const keyFault = textFault(k);
      if (keyFault) {
        // The key itself is at fault: it is not echoed, only where it was found.
        out.push({ field: path || 'body', detail: `a property name ${keyFault}` });
        continue;
      }
      textFaults(v, path ? `${path}.${k}` : k, multiline, out);
    }
  }
  return out;
}
