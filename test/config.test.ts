import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config/config.ts';
import { openRuntime } from '../src/runtime.ts';
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
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
    ]);
  });

  it('refuses bad values, naming the variable', () => {
    for (const [env, name] of [
      [{ PORT: 'eighty' }, 'PORT'],
      [{ PORT: '70000' }, 'PORT'],
      [{ DATABASE_URL: 'mysql://localhost/x' }, 'DATABASE_URL'],
      [{ LOG_LEVEL: 'chatty' }, 'LOG_LEVEL'],
      [{ TRUST_PROXY: 'maybe' }, 'TRUST_PROXY'],
      [{ TRUST_PROXY: '10.0.0.1,evil host' }, 'TRUST_PROXY'],
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
        await writeFile(join(dir, 'loose.key'), randomBytes(32).toString('hex'), { mode: 0o644 });
        await expect(
          openRuntime(loadConfig({ ...env, REKISTERI_KEY_FILE: join(dir, 'loose.key') })),
        ).rejects.toThrow(/readable by others/);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});
