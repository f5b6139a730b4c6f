/**
 * Normalisation before blind indexing, so that equal values written differently index alike.
 */

/**
 * Characters that display as nothing: zero-width space, non-joiner and joiner, word joiner, the
 * byte-order mark, the soft hyphen and every other default-ignorable code point. Pasted from web
 * pages and documents into addresses, they made `anna@…` and `an\u200bna@…` two people.
 */
const INVISIBLE = /\p{Default_Ignorable_Code_Point}/gu;

/**
 * An e-mail address as written, without what a mail server would not see: surrounding space,
 * invisible characters, and the trailing dot of a fully qualified domain (`example.com.`). Case is
 * kept. This is the form stored.
 */
export function cleanEmail(email: string): string {
  const n = email.replace(INVISIBLE, '').trim();
  const at = n.lastIndexOf('@');
  return at > 0 && n.endsWith('.') && !n.endsWith('..') ? n.slice(0, -1) : n;
}

/**
 * Cleaned (above), Unicode-normalised and lower-cased: what the blind index and the
 * de-duplication compare. Undefined when it is not an address.
 */
export function normaliseEmail(email: string): string | undefined {
  const n = cleanEmail(email.normalize('NFC')).toLowerCase();
  // Control characters (a NUL, a line break) are never part of an address.
  return /^[^\s@\p{Cc}]+@(?:[^\s@.\p{Cc}]+\.)+[^\s@.\p{Cc}]+$/u.test(n) ? n : undefined;
}

/** E.164-like: `+` and digits. A leading trunk 0 takes the default calling code; 00 becomes +. */
export function normalisePhone(phone: string, defaultCallingCode = '+358'): string | undefined {
  let n = phone.trim().replace(/[\s\-().]/g, '');
  if (n.startsWith('00')) {
    n = `+${n.slice(2)}`;
  } else if (n.startsWith('0')) {
    n = `${defaultCallingCode}${n.slice(1)}`;
  }
  return /^\+\d{6,15}$/.test(n) ? n : undefined;
}

export const MIN_PREFIX = 3;

/**
 * Words of a name-like text, lower-cased and Unicode-normalised (Å, Ä, Ö kept as letters). With
 * `prefixes`, every prefix of at least three characters of each word is included too, so that a
 * search for "virt" finds "Virtanen".
 */
export function searchTokens(text: string, prefixes = false): string[] {
  const words = text
    .normalize('NFKC')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0);
  if (!prefixes) {
    return words;
  }
  const out: string[] = [];
  for (const w of words) {
    // Prefixes grow one character (code point) at a time.
    let prefix = '';
    let length = 0;
    for (const ch of w) {
      prefix += ch;
      length++;
      if (length >= MIN_PREFIX) {
        out.push(prefix);
      }
    }
    if (length < MIN_PREFIX) {
      out.push(w);
    }
  }
  return out;
}
