/**
 * Unsubscribe links (src/modules/permissions/unsubscribe-links.ts): opaque, unforgeable, and
 * naming exactly the person, purpose and channel they were issued for.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createUnsubscribeLinks } from '../src/modules/permissions/index.ts';
import { createVault } from '../src/vault/vault.ts';

const subjectId = '0192f3a4-5b6c-7d8e-9fa0-b1c2d3e4f506';
const links = createUnsubscribeLinks({
  vault: createVault(randomBytes(32)),
  publicUrl: 'https://rekisteri.example.fi/',
});

describe('an unsubscribe link', () => {
  it('opens to the person, purpose and channel it was issued for, with the time', () => {
    const at = new Date('2026-11-30T10:00:00Z');
    const token = links.issue({ subjectId, purpose: 'newsletter', channel: 'email' }, at);
    expect(links.open(token)).toEqual({
      subjectId,
      purpose: 'newsletter',
      channel: 'email',
      issuedAt: at,
    });
    expect(links.url(token)).toBe(`https://rekisteri.example.fi/u/${token}`);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('reveals nothing it names: not the id in any spelling, nor the purpose or channel', () => {
    const token = links.issue({ subjectId, purpose: 'newsletter', channel: 'email' });
    const bytes = Buffer.from(token, 'base64url');
    const hex = subjectId.replaceAll('-', '');
    for (const needle of [subjectId, hex, 'newsletter', 'email']) {
      expect(token).not.toContain(needle);
      expect(bytes.includes(Buffer.from(needle))).toBe(false);
    }
    expect(bytes.includes(Buffer.from(hex, 'hex'))).toBe(false);
    // A fresh nonce each time: two links for the same target are unrelated strings.
    expect(links.issue({ subjectId, purpose: 'newsletter', channel: 'email' })).not.toBe(token);
  });

  it('opens to nothing when any byte is changed, cut or added', () => {
    const token = links.issue({ subjectId, purpose: 'newsletter', channel: 'email' });
    const bytes = Buffer.from(token, 'base64url');
    for (let i = 0; i < bytes.length; i++) {
      const changed = Buffer.from(bytes);
      changed[i] = (changed[i] as number) ^ 0x01;
      expect(links.open(changed.toString('base64url')), `byte ${i}`).toBeUndefined();
    }
    expect(links.open(bytes.subarray(0, bytes.length - 1).toString('base64url'))).toBeUndefined();
    expect(
      links.open(Buffer.concat([bytes, Buffer.from([0])]).toString('base64url')),
    ).toBeUndefined();
  });

  it('issued by another register (another master key) opens to nothing here', () => {
    const other = createUnsubscribeLinks({
      vault: createVault(randomBytes(32)),
      publicUrl: 'https://other.example.fi',
    });
    const foreign = other.issue({ subjectId, purpose: 'newsletter', channel: 'email' });
    expect(links.open(foreign)).toBeUndefined();
  });

  it('refuses what is no token at all without trying to open it', () => {
    for (const bad of [
      '',
      'abc',
      '../../etc/passwd',
      'a'.repeat(401),
      `${'A'.repeat(80)}\u0000`,
      'Zm9v+/==',
    ]) {
      expect(links.open(bad)).toBeUndefined();
    }
  });

  it('issued for many people at once, each link opens to its own person, purpose and channel', () => {
    const urlOf = links.urls({ purpose: 'newsletter', channel: 'sms' });
    const others = ['0192f3a4-0000-7d8e-9fa0-000000000001', subjectId];
    const urls = others.map((id) => urlOf(id));
    others.forEach((id, i) => {
      const url = urls[i] ?? '';
      expect(url.startsWith('https://rekisteri.example.fi/u/')).toBe(true);
      expect(links.open(url.slice(url.lastIndexOf('/') + 1))).toMatchObject({
        subjectId: id,
        purpose: 'newsletter',
        channel: 'sms',
      });
    });
    expect(urlOf(subjectId)).not.toBe(urlOf(subjectId));
    expect(() => urlOf('not-a-uuid')).toThrow(/subject id/);
    expect(() => urlOf(subjectId.toUpperCase())).toThrow(/subject id/);
    expect(() => links.urls({ purpose: 'News letter', channel: 'email' })).toThrow(/purpose id/);
  });

  it('is never issued for a malformed id', () => {
    expect(() =>
      links.issue({ subjectId: 'not-a-uuid', purpose: 'newsletter', channel: 'email' }),
    ).toThrow(/subject id/);
    expect(() => links.issue({ subjectId, purpose: 'News letter', channel: 'email' })).toThrow();
    expect(() =>
      links.issue({ subjectId, purpose: 'newsletter', channel: 'e\u0000mail' }),
    ).toThrow();
  });
});
