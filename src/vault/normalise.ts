/**
 * Normalisation before blind indexing, so that equal values written differently index alike.
 */

/** Trimmed, Unicode-normalised, lower-cased; undefined when it is not an address. */
export function normaliseEmail(email: string): string | undefined {
  const n = email.normalize('NFC').trim().toLowerCase();
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(n) ? n : undefined;
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
