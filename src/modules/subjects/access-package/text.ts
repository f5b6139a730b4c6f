/**
 * How a stored value is shown to a person: as text, never as markup. Control characters other
 * than tab and line breaks (NUL among them) and unpaired surrogates cannot be shown or may break a
 * reader; they are replaced by U+FFFD here. The exact value stays in access-copy.json.
 */
import type { FieldValue } from '../field-types.ts';
import type { PackageMessages } from './messages.ts';

const UNSHOWABLE =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function showable(text: string): string {
  return text.replace(UNSHOWABLE, '\uFFFD');
}

/** A value as one text: strings as they are, an address as its parts, other objects as JSON. */
export function valueText(value: FieldValue | null | undefined, m: PackageMessages): string {
  if (value === null || value === undefined) {
    return '';
  }
  if (typeof value === 'string') {
    return showable(value);
  }
  if (typeof value === 'boolean') {
    return value ? m.yes : m.no;
  }
  if (typeof value === 'number') {
    return String(value);
  }
  if (!Array.isArray(value)) {
    const parts = Object.values(value);
    if (parts.every((v): v is string => typeof v === 'string')) {
      return showable(parts.join(', '));
    }
  }
  return showable(JSON.stringify(value, null, 2));
}

/** A value for a machine-readable CSV cell: strings as they are, anything else as JSON. */
export function rawText(value: FieldValue | null | undefined): string {
  if (value === null || value === undefined) {
    return '';
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}
