/**
 * The interchange commands as an operator runs them (docs/interchange.md), on the embedded
 * database: import-audience with a dry run first and its error file, import-prohibitions,
 * suppression-export with the key a receiver compares with, and address-list show|remove taking a
 * listed address off with a reason. Invented people.
 */
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './helpers.ts';

const exec = promisify(execFile);
const fixture = (name: string) =>
  fileURLToPath(new URL(`./fixtures/interchange/${name}`, import.meta.url));

async function rekisteri(cwd: string, args: string[]) {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) =>
        ![
          'DATABASE_URL',
          'KEYSTORE_DATABASE_URL',
          'REKISTERI_MASTER_KEY',
          'REKISTERI_REGISTER',
          'REKISTERI_KEYSTORE',
        ].includes(k),
    ),
  );
  try {
    const { stdout, stderr } = await exec(
      process.execPath,
      [join(ROOT, 'bin/rekisteri.js'), ...args],
      { cwd, env, timeout: 60_000 },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('interchange commands', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rekisteri-interchange-cli-'));
    const init = await rekisteri(dir, ['init']);
    expect(init.code, init.stderr).toBe(0);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it(
    'import-audience: a dry run, the import, an error file naming line and column',
    { timeout: 180_000 },
    async () => {
      const args = ['--format', 'mailchimp', '--purpose', 'newsletter', '--channel', 'email'];
      const dry = await rekisteri(dir, [
        'import-audience',
        fixture('mailchimp-subscribed.csv'),
        ...args,
        '--dry-run',
      ]);
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toContain('dry run, nothing written: would record 2 granted');
      expect(dry.stdout).toContain('2 to create');
      const real = await rekisteri(dir, [
        'import-audience',
        fixture('mailchimp-subscribed.csv'),
        ...args,
      ]);
      expect(real.code, real.stderr).toBe(0);
      expect(real.stdout).toMatch(/recorded 2 granted.*2 created/);
      const again = await rekisteri(dir, [
        'import-audience',
        fixture('mailchimp-subscribed.csv'),
        ...args,
      ]);
      expect(again.stdout).toContain('2 unchanged');

      const copy = join(dir, 'malformed.csv');
      await writeFile(copy, await readFile(fixture('mailchimp-malformed.csv')));
      const bad = await rekisteri(dir, ['import-audience', copy, ...args]);
      expect(bad.code).toBe(2);
      expect(bad.stdout).toContain('5 rejected');
      const errors = await readFile(`${copy}.errors.csv`, 'utf8');
      expect(errors.split('\n').slice(0, 3)).toEqual([
        'line,field,reason',
        '2,"Email Address","not an e-mail address"',
        '4,"OPTIN_TIME","a date in the future"',
      ]);
      expect(errors).not.toMatch(/@|ei-osoite|eilen/);

      const wrong = await rekisteri(dir, [
        'import-audience',
        fixture('listmonk.csv'),
        ...args.slice(0, 1),
        'zapier',
        ...args.slice(2),
      ]);
      expect(wrong.code).not.toBe(0);
      expect(wrong.stderr).toContain('mailchimp, listmonk');
    },
  );

  it(
    'import-prohibitions and suppression-export: the receiver with the key finds the listed address',
    { timeout: 180_000 },
    async () => {
      const listed = await rekisteri(dir, [
        'import-prohibitions',
        fixture('prohibitions.csv'),
        '--source',
        'asml-2026-11',
      ]);
      expect(listed.code).toBe(2);
      expect(listed.stdout).toContain(
        'added 1 e-mail addresses and 1 phone numbers; 1 already listed; 1 rejected',
      );
      const out = join(dir, 'suppression.csv');
      const exported = await rekisteri(dir, ['suppression-export', out, '--print-key']);
      expect(exported.code, exported.stderr).toBe(0);
      expect((await stat(out)).mode & 0o777).toBe(0o600);
      const key = /interchange key .*: ([0-9a-f]{64})/.exec(exported.stdout)?.[1];
      expect(key).toBeDefined();
      const text = await readFile(out, 'utf8');
      const hmac = (s: string) =>
        createHmac('sha256', Buffer.from(key!, 'hex')).update(s).digest('hex');
      expect(text).toContain(`${hmac('robin.kieltaja@example.com')},email,`);
      expect(text).toContain(`${hmac('+358407654321')},phone,`);
      expect(text).not.toContain(hmac('aino.kuusela@example.com'));
    },
  );

  it(
    'address-list show and remove: a prohibition taken off with a reason; bad input refused, nothing changed',
    { timeout: 180_000 },
    async () => {
      // Listed by the previous test's prohibition list.
      const args = ['--list', 'prohibition', '--email', ' Robin.Kieltaja@Example.com'];
      const shown = await rekisteri(dir, ['address-list', 'show', ...args]);
      expect(shown.code, shown.stderr).toBe(0);
      expect(shown.stdout).toMatch(/^listed on prohibition since \S+ \(source asml-2026-11\)/);
      expect(shown.stdout).not.toContain('@');

      const noReason = await rekisteri(dir, ['address-list', 'remove', ...args]);
      expect(noReason.code).not.toBe(0);
      expect(noReason.stderr).toContain('--reason');
      const longReason = await rekisteri(dir, [
        'address-list',
        'remove',
        ...args,
        '--reason',
        'x'.repeat(501),
      ]);
      expect(longReason.code).not.toBe(0);
      expect(longReason.stderr).toContain('reason');
      const unknownList = await rekisteri(dir, [
        'address-list',
        'show',
        '--list',
        'bounced',
        '--email',
        'robin.kieltaja@example.com',
      ]);
      expect(unknownList.code).not.toBe(0);
      expect(unknownList.stderr).toContain('undeliverable, prohibition');
      const malformed = await rekisteri(dir, [
        'address-list',
        'show',
        '--list',
        'prohibition',
        '--email',
        'ei-osoite',
      ]);
      expect(malformed.code).not.toBe(0);
      expect(malformed.stderr).toContain('email: not an e-mail address');
      // Nothing of that changed anything: the entry comes off once, with its first source.
      const removed = await rekisteri(dir, [
        'address-list',
        'remove',
        ...args,
        '--reason',
        'No longer on the prohibition service (checked 2026-12-01)',
      ]);
      expect(removed.code, removed.stderr).toBe(0);
      expect(removed.stdout).toMatch(
        /^removed from prohibition \(listed since \S+, source asml-2026-11\) at /,
      );
      expect((await rekisteri(dir, ['address-list', 'show', ...args])).stdout).toContain(
        'not listed on prohibition',
      );
      const again = await rekisteri(dir, [
        'address-list',
        'remove',
        ...args,
        '--reason',
        'No longer on the prohibition service',
      ]);
      expect(again.code).not.toBe(0);
      expect(again.stderr).toContain('not listed');
      // The phone number of the same list is still there.
      const phone = await rekisteri(dir, [
        'address-list',
        'show',
        '--list',
        'prohibition',
        '--phone',
        '+358 40 765 4321',
      ]);
      expect(phone.stdout).toContain('listed on prohibition since');
    },
  );
});
