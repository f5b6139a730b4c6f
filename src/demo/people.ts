/**
 * Invented people for the demo register and for benchmarks. Names are common Finnish and Swedish
 * first and last names combined at random; e-mail addresses use the reserved example domains and
 * organisations are made up. A seeded generator makes runs repeatable.
 */
import type { Register } from '../modules/definition/index.ts';
import type { ValuesInput } from '../modules/subjects/index.ts';

const FIRST = [
  'Aino',
  'Eino',
  'Helmi',
  'Väinö',
  'Linnea',
  'Oskari',
  'Sofia',
  'Leevi',
  'Ella',
  'Onni',
  'Saga',
  'Elias',
  'Maja',
  'Axel',
  'Ilona',
  'Kasper',
  'Venla',
  'Nils',
  'Emilia',
  'Joel',
  'Iida',
  'Viljo',
  'Astrid',
  'Otto',
  'Selma',
  'Hugo',
  'Lotta',
  'Emil',
  'Ronja',
  'Aatu',
  'Stina',
  'Matias',
];
const LAST = [
  'Virtanen',
  'Korhonen',
  'Mäkinen',
  'Nieminen',
  'Mäkelä',
  'Hämäläinen',
  'Laine',
  'Heikkinen',
  'Koskinen',
  'Järvinen',
  'Lehtonen',
  'Lindqvist',
  'Nyström',
  'Sjöberg',
  'Holmström',
  'Karlsson',
  'Rantanen',
  'Salminen',
  'Tuominen',
  'Lindroos',
  'Björklund',
  'Aaltonen',
  'Kallio',
  'Forsman',
  'Manninen',
  'Öhman',
  'Wikström',
  'Peltonen',
];
const ORG_A = [
  'Pohjolan',
  'Saariston',
  'Kaamos',
  'Lakeus',
  'Revontuli',
  'Kivijärven',
  'Skärgårds',
  'Norrsken',
  'Tunturi',
  'Havu',
];
const ORG_B = [
  'Kahvila',
  'Konditoria',
  'Leipomo',
  'Bistro',
  'Kauppa',
  'Café',
  'Rosteri',
  'Deli',
  'Catering',
  'Hotelli',
];
const TITLES = [
  'Toimitusjohtaja',
  'Ostopäällikkö',
  'Ravintolapäällikkö',
  'Inköpschef',
  'Yrittäjä',
  'Keittiömestari',
  'Vd',
  'Myyntipäällikkö',
];
const DOMAINS = ['example.com', 'example.org', 'example.net'];

/** mulberry32: a small, fast, seeded generator; plenty for invented demo data. */
export function randomGenerator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Lower case without diacritics, for invented e-mail addresses. */
export const ascii = (s: string) =>
  s
    .toLowerCase()
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '');

export interface InventedPerson {
  firstName: string;
  lastName: string;
  email: string;
  phone: string;
  organisation: string;
  title: string;
}

export function inventPerson(n: number, rnd: () => number): InventedPerson {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
  const firstName = pick(FIRST);
  const lastName = pick(LAST);
  const digits = String(Math.floor(rnd() * 10_000_000)).padStart(7, '0');
  return {
    firstName,
    lastName,
    email: `${ascii(firstName)}.${ascii(lastName)}.${n}@${pick(DOMAINS)}`,
    phone: `+358 40 ${digits.slice(0, 3)} ${digits.slice(3)}`,
    organisation: `${pick(ORG_A)} ${pick(ORG_B)} Oy`,
    title: pick(TITLES),
  };
}

/** Maps an invented person onto whatever of identity/contact/organisation the purpose may use. */
export function personValues(register: Register, purpose: string, p: InventedPerson): ValuesInput {
  const allowed = register.categoriesOf(purpose);
  const values: ValuesInput = {};
  const put = (category: string, field: string, value: string) => {
    if (allowed.has(category) && register.field(category, field)) {
      (values[category] ??= {})[field] = value;
    }
  };
  put('identity', 'firstName', p.firstName);
  put('identity', 'lastName', p.lastName);
  put('contact', 'email', p.email);
  put('contact', 'phone', p.phone);
  put('organisation', 'organisation', p.organisation);
  put('organisation', 'title', p.title);
  return values;
}

/** The first purpose that may hold identity and contact data: where invented people go. */
export function seedPurpose(register: Register): string | undefined {
  return register.definition.purposes.find(
    (p) => p.categories.includes('identity') && p.categories.includes('contact'),
  )?.id;
}

export function* inventPeople(
  register: Register,
  purpose: string,
  count: number,
  seed = 1,
): Generator<ValuesInput> {
  const rnd = randomGenerator(seed);
  for (let n = 1; n <= count; n++) {
    yield personValues(register, purpose, inventPerson(n, rnd));
  }
}
