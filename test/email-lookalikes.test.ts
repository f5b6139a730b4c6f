/**
 * E-mail addresses that differ only by what a reader cannot see (zero-width characters, a soft
 * hyphen, a byte-order mark) or by the trailing dot of a fully qualified domain are one address:
 * one person, through the API and through the import, found by any of the spellings.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operator } from '../src/lib/actor.ts';
import { checkMapping } from '../src/modules/imports/mapping.ts';
import { normaliseEmail } from '../src/vault/normalise.ts';
import { createTestContext, DATABASES, type TestContext } from './helpers.ts';

/** Look-alikes of `base` (local part `tuuli.tuulinen`, domain `example.com`). */
function lookAlikes(local: string, domain: string): Array<[string, string]> {
  return [
    ['zero-width space in the local part', `${local.slice(0, 3)}\u200b${local.slice(3)}@${domain}`],
    ['zero-width non-joiner', `${local}\u200c@${domain}`],
    ['zero-width joiner in the domain', `${local}@${domain.slice(0, 3)}\u200d${domain.slice(3)}`],
    ['word joiner', `\u2060${local}@${domain}`],
    ['byte-order mark', `\ufeff${local}@${domain}`],
    ['soft hyphen', `${local.slice(0, 5)}\u00ad${local.slice(5)}@${domain}`],
    ['trailing dot on the domain', `${local}@${domain}.`],
    [
      'all of them, in capitals',
      `\ufeff${local.toUpperCase().slice(0, 2)}\u200b${local.toUpperCase().slice(2)}@${domain.toUpperCase()}.`,
    ],
  ];
}

describe('normaliseEmail', () => {
  it('gives every look-alike the same form, and refuses what is not an address', () => {
    for (const [name, address] of lookAlikes('tuuli.tuulinen', 'example.com')) {
      expect(normaliseEmail(address), name).toBe('tuuli.tuulinen@example.com');
    }
    for (const bad of ['a@example.com..', 'a@.example.com', 'a@example..com', 'a@\u200b.com']) {
      expect(normaliseEmail(bad), bad).toBeUndefined();
    }
  });
});

describe.each(DATABASES)('e-mail look-alikes on %s', (kind) => {
  let t: TestContext;
  let key: { authorization: string };

  beforeAll(async () => {
    t = await createTestContext(kind);
    key = await t.key(['*'], ['read', 'write']);
  });
  afterAll(async () => {
    await t?.close();
  });

  const create = (email: string, firstName = 'Tuuli') =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/subjects',
      headers: key,
      payload: {
        purpose: 'customer_relationship',
        source: 'subject',
        values: { identity: { firstName }, contact: { email } },
      },
    });
  const lookup = async (email: string) =>
    (
      await t.app.inject({
        url: `/api/v1/subjects?purpose=customer_relationship&email=${encodeURIComponent(email)}`,
        headers: key,
      })
    ).json<{
      items: Array<{ id: string; categories: { contact: { email: { value: string } } } }>;
    }>().items;

  it('refuses a second person through the API, and finds the one by every spelling', async () => {
    const first = await create('Tuuli.Tuulinen@example.com');
    expect(first.statusCode).toBe(201);
    const id = first.json<{ id: string }>().id;
    for (const [name, address] of lookAlikes('tuuli.tuulinen', 'example.com')) {
      const res = await create(address);
      expect(res.statusCode, name).toBe(409);
      const found = await lookup(address);
      expect(
        found.map((s) => s.id),
        name,
      ).toEqual([id]);
    }
    expect(await t.services.subjects.countSubjects()).toBe(1);
  });

  it('stores an address without invisible characters or the trailing dot', async () => {
    const res = await create('\u200bAapo.A\u00adakkonen@example.org.', 'Aapo');
    expect(res.statusCode).toBe(201);
    const [found] = await lookup('aapo.aakkonen@example.org');
    expect(found?.categories.contact.email.value).toBe('Aapo.Aakkonen@example.org');
  });

  it('makes one person of each address through the import', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rekisteri-lookalike-'));
    try {
      const rows = [
        ...lookAlikes('vilja.virtanen', 'example.net').map(([, a]) => a),
        'vilja.virtanen@example.net',
        ...lookAlikes('ukko.ukkonen', 'example.fi').map(([, a]) => a),
      ];
      const file = join(dir, 'people.csv');
      await writeFile(
        file,
        `First name,E-mail\n${rows.map((a, i) => `Henkilö${i},${a}`).join('\n')}\n`,
      );
      const mapping = checkMapping(
        {
          purpose: 'customer_relationship',
          source: 'partner',
          dedupe: 'skip',
          columns: { 'First name': 'identity.firstName', 'E-mail': 'contact.email' },
        },
        t.register,
      );
      const before = await t.services.subjects.countSubjects();
      const summary = await t.services.imports.importFile(operator, { file, mapping });
      expect(summary).toMatchObject({ created: 2, skipped: rows.length - 2, rejected: 0 });
      expect(await t.services.subjects.countSubjects()).toBe(before + 2);
      // A second file with the API's person's look-alikes adds nobody.
      const again = join(dir, 'again.csv');
      await writeFile(
        again,
        `First name,E-mail\n${lookAlikes('tuuli.tuulinen', 'example.com')
          .map(([, a], i) => `Toinen${i},${a}`)
          .join('\n')}\n`,
      );
      const second = await t.services.imports.importFile(operator, { file: again, mapping });
      expect(second).toMatchObject({ created: 0, rejected: 0 });
      expect(await t.services.subjects.countSubjects()).toBe(before + 2);
      expect(await lookup('vilja.virtanen@example.net')).toHaveLength(1);
      expect(await lookup('ukko.ukkonen@example.fi.')).toHaveLength(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
