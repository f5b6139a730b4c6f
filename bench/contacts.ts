/**
 * Invented contacts for the import benchmark, with names spread the way a real customer file
 * spreads them: a few common first names and surnames, and a long tail of rare ones. The demo
 * generator (src/demo/people.ts) picks from a few dozen names, which would let the importer's cache
 * of name-word indexes answer almost every word; here most of a file's distinct words are rare,
 * so the figure is not flattered by repetition a real file would not have.
 *
 * - first names: 3,000, Zipf-distributed (exponent 0.8);
 * - surnames: 50,000, Zipf-distributed (exponent 0.8);
 * - organisations: one per five contacts, each two invented words and a company form, the words
 *   from a vocabulary of 20,000;
 * - titles: 40.
 *
 * Everything is built from a seeded generator, so a run can be repeated.
 */
import { ascii, randomGenerator } from '../src/demo/people.ts';

const ONSETS = [
  '',
  'b',
  'd',
  'f',
  'h',
  'j',
  'k',
  'l',
  'm',
  'n',
  'p',
  'r',
  's',
  't',
  'v',
  'sj',
  'st',
  'kr',
  'tr',
  'br',
];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'y', 'ä', 'ö', 'aa', 'ei', 'ie', 'uo', 'å'];
const CODAS = ['', '', 'n', 'l', 'r', 's', 'k', 't', 'm', 'st', 'nd', 'rk'];
const SURNAME_ENDINGS = [
  'nen',
  'la',
  'lä',
  'berg',
  'ström',
  'qvist',
  'lund',
  'mäki',
  'niemi',
  'salo',
  'vaara',
  'dahl',
];
const FORMS = ['Oy', 'Ab', 'Ky', 'Tmi', 'Oyj', 'Ay'];
const TITLES = Array.from(
  { length: 40 },
  (_, i) =>
    [
      'Toimitusjohtaja',
      'Ostopäällikkö',
      'Inköpschef',
      'Myyntipäällikkö',
      'Yrittäjä',
      'Controller',
      'Kehityspäällikkö',
      'Verksamhetschef',
    ][i % 8] + (i < 8 ? '' : ` ${['I', 'II', 'III', 'Senior', 'Junior'][i % 5]}`),
);

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** `count` distinct invented words of 2–3 syllables, with an optional ending. */
function words(count: number, rnd: () => number, endings: readonly string[] = ['']): string[] {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
  const out = new Set<string>();
  while (out.size < count) {
    const syllables = 2 + Math.floor(rnd() * 2);
    let w = '';
    for (let i = 0; i < syllables; i++) {
      w += pick(ONSETS) + pick(VOWELS) + (i === syllables - 1 ? pick(CODAS) : '');
    }
    out.add(capital(w + pick(endings)));
  }
  return [...out];
}

/** A sampler of ranks 0..n-1 with probability proportional to 1 / (rank + 1)^s. */
function zipf(n: number, s: number, rnd: () => number): () => number {
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    total += 1 / (i + 1) ** s;
    cumulative[i] = total;
  }
  return () => {
    const x = rnd() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cumulative[mid] as number) < x) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  };
}

export interface Contact {
  firstName: string;
  lastName: string;
  email: string;
  phone: string;
  organisation: string;
  title: string;
}

/** A generator of contacts 1..n; e-mail addresses are unique because they carry n. */
export function contactGenerator(rows: number, seed: number): (n: number) => Contact {
  const rnd = randomGenerator(seed);
  const firstNames = words(3_000, rnd);
  const surnames = words(50_000, rnd, SURNAME_ENDINGS);
  const vocabulary = words(20_000, rnd);
  const organisations = Array.from(
    { length: Math.max(1, Math.ceil(rows / 5)) },
    () =>
      `${vocabulary[Math.floor(rnd() * vocabulary.length)]} ${vocabulary[Math.floor(rnd() * vocabulary.length)]} ${FORMS[Math.floor(rnd() * FORMS.length)]}`,
  );
  const firstRank = zipf(firstNames.length, 0.8, rnd);
  const surnameRank = zipf(surnames.length, 0.8, rnd);
  const titleRank = zipf(TITLES.length, 1, rnd);
  return (n) => {
    const firstName = firstNames[firstRank()] as string;
    const lastName = surnames[surnameRank()] as string;
    const digits = String(Math.floor(rnd() * 10_000_000)).padStart(7, '0');
    return {
      firstName,
      lastName,
      email: `${ascii(firstName)}.${ascii(lastName)}.${n}@example.${['com', 'org', 'net'][n % 3]}`,
      phone: `+358 4${n % 10} ${digits.slice(0, 3)} ${digits.slice(3)}`,
      organisation: organisations[Math.floor(rnd() * organisations.length)] as string,
      title: TITLES[titleRank()] as string,
    };
  };
}
