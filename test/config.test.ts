import { chmod, chown, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { hkdfSync, randomBytes } from 'node:crypto';
import { serialize } from 'node:v8';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, smtpSettings } from '../src/config/config.ts';
import { openRuntime } from '../src/runtime.ts';
import { sealWorkerData } from '../src/modules/subjects/seal-pool.ts';
import { createVault } from '../src/vault/vault.ts';
import { loadDefinition } from '../src/modules/definition/loader.ts';
import { DEMO } from './helpers.ts';

describe('configuration', () => {
  it('has working defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 8080,
      databaseUrl: undefined,
      demoPeople: 2000,
      trustProxy: false,
    });
    expect(c.dataDir).toMatch(/\/data$/);
    expect(Object.isFrozen(c)).toBe(true);
    expect(c.publicUrl).toBe('http://127.0.0.1:8080');
    expect(loadConfig({ PUBLIC_URL: 'https://rekisteri.example.fi/portal/' }).publicUrl).toBe(
      'https://rekisteri.example.fi/portal',
    );
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
    ]);
  });

  it('takes an SMTP server and a sender, keeping the URL (it may hold a password) out of the configuration', () => {
    const config = loadConfig({
      SMTP_URL: 'smtps://mailer:s%40cret@mail.example.fi:465',
      MAIL_FROM: 'Registry <registry@example.fi>',
    });
    expect(smtpSettings(config)).toEqual({
      url: 'smtps://mailer:s%40cret@mail.example.fi:465',
      from: 'Registry <registry@example.fi>',
    });
    expect(JSON.stringify(config)).not.toContain('s%40cret');
    expect(smtpSettings(loadConfig({ MAIL_FROM: 'registry@example.fi' }))).toBeUndefined();
  });

  it('refuses bad values, naming the variable', () => {
    for (const [env, name] of [
      [{ PORT: 'eighty' }, 'PORT'],
      [{ PORT: '70000' }, 'PORT'],
      [{ DATABASE_URL: 'mysql://localhost/x' }, 'DATABASE_URL'],
      [{ LOG_LEVEL: 'chatty' }, 'LOG_LEVEL'],
      [{ TRUST_PROXY: 'maybe' }, 'TRUST_PROXY'],
      [{ TRUST_PROXY: '10.0.0.1,evil host' }, 'TRUST_PROXY'],
      [{ SMTP_URL: 'http://mail.example.fi', MAIL_FROM: 'r@example.fi' }, 'SMTP_URL'],
      [{ SMTP_URL: 'smtp://', MAIL_FROM: 'r@example.fi' }, 'SMTP_URL'],
      [{ SMTP_URL: 'smtp://mail.example.fi' }, 'MAIL_FROM'],
      [{ SMTP_URL: 'smtp://mail.example.fi', MAIL_FROM: 'registry' }, 'MAIL_FROM'],
      [{ MAIL_FROM: 'Registry <registry@example.fi' }, 'MAIL_FROM'],
      [{ API_KEY_RATE_LIMIT: '-1' }, 'API_KEY_RATE_LIMIT'],
      [{ API_KEY_RATE_LIMIT: 'lots' }, 'API_KEY_RATE_LIMIT'],
      [{ PUBLIC_URL: 'javascript:alert(1)' }, 'PUBLIC_URL'],
      [{ PUBLIC_URL: 'rekisteri.example.fi' }, 'PUBLIC_URL'],
      [{ PUBLIC_URL: 'https://rekisteri.example.fi/?next=evil' }, 'PUBLIC_URL'],
    ] as const) {
      expect(() => loadConfig(env), name).toThrow(ConfigError);
      expect(() => loadConfig(env), name).toThrow(new RegExp(`${name}:`));
    }
  });

  it(
    'refuses a malformed master key, and a master key other than the one the data was sealed with',
    { timeout: 120_000 },
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'rekisteri-config-'));
      try {
        const env = {
          REKISTERI_DATA: join(dir, 'data'),
          REKISTERI_KEYSTORE: join(dir, 'keystore'),
          REKISTERI_REGISTER: DEMO,
          REKISTERI_KEY_FILE: join(dir, 'k.key'),
        };
        await expect(
          openRuntime(loadConfig({ ...env, REKISTERI_MASTER_KEY: 'short' })),
        ).rejects.toThrow(/REKISTERI_MASTER_KEY must be 32 bytes/);
        const first = await openRuntime(
          loadConfig({ ...env, REKISTERI_MASTER_KEY: randomBytes(32).toString('hex') }),
        );
        await first.close();
        await expect(
          openRuntime(
            loadConfig({ ...env, REKISTERI_MASTER_KEY: randomBytes(32).toString('hex') }),
          ),
        ).rejects.toThrow(/does not match/);
        await writeFile(join(dir, 'loose.key'), randomBytes(32).toString('hex'));
        // Whatever the process's umask: readable by the group and others.
        await chmod(join(dir, 'loose.key'), 0o644);
        await expect(
          openRuntime(loadConfig({ ...env, REKISTERI_KEY_FILE: join(dir, 'loose.key') })),
        ).rejects.toThrow(/readable by others/);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});

describe('the master key stays where it is needed', () => {
  const withDir = async (fn: (dir: string) => Promise<void>) => {
    const dir = await mkdtemp(join(tmpdir(), 'rekisteri-key-'));
    try {
      await fn(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
  const envFor = (dir: string, keyFile: string) => ({
    REKISTERI_DATA: join(dir, 'data'),
    REKISTERI_KEYSTORE: join(dir, 'keystore'),
    REKISTERI_REGISTER: DEMO,
    REKISTERI_KEY_FILE: keyFile,
  });

  it(
    'refuses a key file that is a symbolic link, even to a good key file',
    { timeout: 120_000 },
    async () => {
      await withDir(async (dir) => {
        const real = join(dir, 'real.key');
        await writeFile(real, randomBytes(32).toString('hex'), { mode: 0o600 });
        await symlink(real, join(dir, 'link.key'));
        await expect(openRuntime(loadConfig(envFor(dir, join(dir, 'link.key'))))).rejects.toThrow(
          /symbolic link/,
        );
        // The file itself is accepted: the refusal is the link's.
        const rt = await openRuntime(loadConfig(envFor(dir, real)));
        await rt.close();
      });
    },
  );

  it(
    'refuses a key file its group may read, or that another user owns',
    { timeout: 120_000 },
    async () => {
      await withDir(async (dir) => {
        const file = join(dir, 'k.key');
        await writeFile(file, randomBytes(32).toString('hex'), { mode: 0o600 });
        await chmod(file, 0o640);
        await expect(openRuntime(loadConfig(envFor(dir, file)))).rejects.toThrow(
          /readable by others \(mode 640\)/,
        );
        await chmod(file, 0o600);
        const uid = process.getuid?.();
        if (uid === 0) {
          // Only root can give a file away; elsewhere this part cannot be staged.
          await chown(file, 4321, 4321);
          await expect(openRuntime(loadConfig(envFor(dir, file)))).rejects.toThrow(
            /owned by uid 4321, not by the user this process runs as \(uid 0\)/,
          );
        }
      });
    },
  );

  it(
    'takes REKISTERI_MASTER_KEY out of the environment and keeps it out of the configuration',
    { timeout: 120_000 },
    async () => {
      await withDir(async (dir) => {
        const key = randomBytes(32).toString('hex');
        const saved = { ...process.env };
        try {
          Object.assign(process.env, envFor(dir, join(dir, 'absent.key')), {
            REKISTERI_MASTER_KEY: key,
          });
          const config = loadConfig();
          expect(process.env.REKISTERI_MASTER_KEY).toBeUndefined();
          expect(JSON.stringify(config)).not.toContain(key);
          expect(Object.values(config)).not.toContain(key);
          expect(config).not.toHaveProperty('masterKey');
          // The runtime still opens with it (no key file exists to fall back on)…
          const rt = await openRuntime(config);
          await rt.close();
          // …and the database was sealed with it: another key is refused.
          process.env.REKISTERI_MASTER_KEY = randomBytes(32).toString('hex');
          await expect(openRuntime(loadConfig())).rejects.toThrow(/does not match/);
          expect(process.env.REKISTERI_MASTER_KEY).toBeUndefined();
        } finally {
          for (const k of Object.keys(process.env)) {
            if (!(k in saved)) {
              delete process.env[k];
            }
          }
          Object.assign(process.env, saved);
        }
      });
    },
  );

  it('gives seal workers the wrapping and index keys only, never the master key', async () => {
    const master = randomBytes(32);
    const vault = createVault(master);
    const data = sealWorkerData((await loadDefinition(DEMO)).definition, vault);
    const bytes = serialize(data);
    const derived = (label: string) =>
      Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `rekisteri/${label}/v1`, 32));
    expect(bytes.includes(master)).toBe(false);
    for (const label of ['audit-chain', 'staff-secrets', 'recovery-codes']) {
      expect(bytes.includes(derived(label)), label).toBe(false);
    }
    expect(Object.keys(data).sort()).toEqual(['definition', 'sealingKeys']);
    expect(Object.keys(data.sealingKeys).sort()).toEqual(['blindIndex', 'wrap']);
    expect(Buffer.from(data.sealingKeys.wrap).equals(derived('wrap'))).toBe(true);

    // A worker's vault seals and indexes as the full one does, and can do nothing else.
    const worker = createVault({ sealingKeys: data.sealingKeys });
    const { key, wrapped } = worker.newSubjectKey('s1');
    expect(vault.unwrapSubjectKey('s1', wrapped).equals(key)).toBe(true);
    expect(worker.tokenIndexes('identity.lastName', 'Virtanen')).toEqual(
      vault.tokenIndexes('identity.lastName', 'Virtanen'),
    );
    expect(worker.phoneIndex('040 123 4567')).toBe(vault.phoneIndex('040 123 4567'));
    expect(() => worker.sealSecret('totp:x', 'secret')).toThrow(/only the sealing keys/);
    expect(() => worker.auditHash(Buffer.alloc(32), 'entry')).toThrow(/only the sealing keys/);
    expect(() => worker.recoveryCodeHash('x', 'CODE')).toThrow(/only the sealing keys/);
  });
});
