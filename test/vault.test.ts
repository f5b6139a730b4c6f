import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { uuidv7 } from '../src/lib/ids.ts';
import { normaliseEmail, normalisePhone, searchTokens } from '../src/vault/normalise.ts';
import { createVault, inspectRandomPool, VaultError } from '../src/vault/vault.ts';
import { parseMasterKey } from '../src/vault/master-key.ts';

describe('vault', () => {
  const vault = createVault(randomBytes(32));

  it('seals and opens a value bound to its subject and category', () => {
    const { key, wrapped } = vault.newSubjectKey('s1');
    const sealed = vault.seal(key, 'value:s1:contact', '{"email":"a@example.com"}');
    expect(sealed.includes(Buffer.from('a@example.com'))).toBe(false);
    expect(
      vault.open(vault.unwrapSubjectKey('s1', wrapped), 'value:s1:contact', sealed).toString(),
    ).toBe('{"email":"a@example.com"}');
    expect(() => vault.open(key, 'value:s2:contact', sealed)).toThrow(VaultError);
    expect(() => vault.unwrapSubjectKey('s2', wrapped)).toThrow(VaultError);
    const tampered = Buffer.from(sealed);
    tampered[20] = (tampered[20] as number) ^ 1;
    expect(() => vault.open(key, 'value:s1:contact', tampered)).toThrow(/authentication/);
  });

  it('leaves no data key in the random pool it was drawn from', () => {
    for (let i = 0; i < 3000; i++) {
      // 3000 keys and nonces pass the end of the 64 KiB pool at least once.
      const { key } = vault.newSubjectKey(`s${i}`);
      const { pool, offset } = inspectRandomPool();
      expect(key.equals(Buffer.alloc(32))).toBe(false);
      expect(pool.includes(key), `key ${i}`).toBe(false);
      // The key's slice comes just before its wrapping's 12-byte nonce.
      if (offset >= 44) {
        expect(pool.subarray(offset - 44, offset - 12).equals(Buffer.alloc(32)), `slice ${i}`).toBe(
          true,
        );
      }
    }
  });

  it('cannot open with another master key', () => {
    const { wrapped } = vault.newSubjectKey('s1');
    expect(() => createVault(randomBytes(32)).unwrapSubjectKey('s1', wrapped)).toThrow(VaultError);
  });

  it('indexes equal addresses and numbers alike however they are written', () => {
    expect(vault.emailIndex(' Matti.Meikalainen@EXAMPLE.com ')).toBe(
      vault.emailIndex('matti.meikalainen@example.com'),
    );
    expect(vault.phoneIndex('040 123 4567')).toBe(vault.phoneIndex('+358 40 123 4567'));
    expect(vault.phoneIndex('00358401234567')).toBe(vault.phoneIndex('+358-40-123-4567'));
    expect(vault.emailIndex('a@example.com')).not.toBe(vault.emailIndex('b@example.com'));
    // different domains never collide: an e-mail index is not a token index of the same text
    expect(vault.tokenIndexes('contact.email', 'a@example.com')).not.toContain(
      vault.emailIndex('a@example.com'),
    );
    expect(createVault(randomBytes(32)).emailIndex('a@example.com')).not.toBe(
      vault.emailIndex('a@example.com'),
    );
  });

  it('makes words and their prefixes of three or more characters searchable', () => {
    expect(searchTokens('Åsa Öhman-Lindqvist')).toEqual(['åsa', 'öhman', 'lindqvist']);
    expect(searchTokens('Li Öhman', true)).toEqual(['li', 'öhm', 'öhma', 'öhman']);
    const idx = vault.tokenIndexes('identity.lastName', 'Virtanen');
    expect(idx).toContain(vault.tokenIndex('identity.lastName', 'vir'));
    expect(idx).toContain(vault.tokenIndex('identity.lastName', 'virtanen'));
    expect(idx).not.toContain(vault.tokenIndex('identity.lastName', 'vi'));
  });

  it('stores token indexes in numeric order, which says nothing of where words begin and end', () => {
    const idx = vault.tokenIndexes('identity.lastName', 'Matti Virtanen-Korhonen');
    // mat, matt, matti, vir, …, korhonen: 3 + 6 + 6 indexes, none repeated
    expect(idx).toHaveLength(15);
    const numbers = idx.map((i) => BigInt(i));
    expect(numbers).toEqual([...numbers].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    // Insertion order would have put the prefixes of "matti" first; sorted, that is chance.
    const inOrder = searchTokens('Matti Virtanen-Korhonen', true).map((t) =>
      vault.tokenIndex('identity.lastName', t),
    );
    expect(new Set(idx)).toEqual(new Set(inOrder));
    expect(idx).not.toEqual(inOrder);
  });

  it('gives the same word different indexes in different fields', () => {
    expect(vault.tokenIndex('identity.lastName', 'lumipallo')).not.toBe(
      vault.tokenIndex('organisation.organisation', 'lumipallo'),
    );
    const surname = vault.tokenIndexes('identity.lastName', 'Lumipallo');
    const company = vault.tokenIndexes('organisation.organisation', 'Lumipallo');
    expect(surname.filter((i) => company.includes(i))).toEqual([]);
  });

  it('gives the same token indexes with the import cache as without, also once it is full', () => {
    const key = randomBytes(32);
    const plain = createVault(key);
    const cached = createVault(key, '+358', { tokenCache: 4 });
    const texts = ['Virtanen', 'Anna-Kaisa', 'Virtanen', 'Öhman Oy', 'Virta', 'Anna'];
    for (const round of [1, 2]) {
      for (const text of texts) {
        for (const field of ['identity.lastName', 'organisation.organisation']) {
          expect(cached.tokenIndexes(field, text), `${text}, round ${round}`).toEqual(
            plain.tokenIndexes(field, text),
          );
        }
      }
    }
    expect(cached.tokenIndex('identity.lastName', 'virt')).toBe(
      plain.tokenIndex('identity.lastName', 'virt'),
    );
    expect(cached.tokenIndex('identity.lastName', 'virt')).not.toBe(
      cached.tokenIndex('identity.firstName', 'virt'),
    );
  });

  it('refuses what is not an address or a number', () => {
    expect(normaliseEmail('not-an-address')).toBeUndefined();
    expect(normalisePhone('12')).toBeUndefined();
    expect(normalisePhone('call me')).toBeUndefined();
    expect(vault.emailIndex('nope')).toBeUndefined();
  });

  it('accepts only 32-byte master keys', () => {
    expect(() => createVault(randomBytes(16))).toThrow(/32 bytes/);
    expect(parseMasterKey('ab'.repeat(32))?.length).toBe(32);
    expect(parseMasterKey(randomBytes(32).toString('base64'))?.length).toBe(32);
    expect(parseMasterKey('too short')).toBeUndefined();
  });

  it('makes time-ordered version 7 ids', () => {
    const ids = Array.from({ length: 1000 }, () => uuidv7());
    expect(
      ids.every((id) =>
        /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id),
      ),
    ).toBe(true);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(1000);
  });
});
