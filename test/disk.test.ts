/**
 * A full disk under the embedded database, on a real small volume (a tmpfs mounted for the test;
 * it needs root, and is skipped with a printed line otherwise): the running server refuses writes
 * with 503, readiness fails, it recovers when space returns, it ends on SIGTERM, and a start on the
 * full volume exits non-zero within seconds.
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { statfsSync } from 'node:fs';
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.ts';
import { openRuntime } from '../src/runtime.ts';
import { freePort, ROOT } from './helpers.ts';

const MB = 1024 * 1024;
let scratch = '';
let volume = '';
let mounted = false;
let port = 0;

beforeAll(async () => {
  port = await freePort();
  scratch = await mkdtemp(join(tmpdir(), 'rekisteri-disk-'));
  volume = join(scratch, 'volume');
  await mkdir(volume);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=200m', 'tmpfs', volume], { stdio: 'pipe' });
    mounted = true;
  } catch (err) {
    console.log(
      `disk.test.ts: SKIPPED: cannot mount a tmpfs (${err instanceof Error ? err.message.split('\n')[0] : 'unknown'}); run as root to test a full disk`,
    );
  }
});

afterAll(async () => {
  if (mounted) {
    execFileSync('umount', ['-l', volume]);
  }
  await rm(scratch, { recursive: true, force: true });
});

const free = () => {
  const s = statfsSync(volume);
  return s.bavail * s.bsize;
};

/** Fills the volume until `leave` bytes are free. */
async function fill(file: string, leave: number): Promise<void> {
  const f = await open(join(volume, file), 'a');
  const chunk = Buffer.alloc(MB);
  try {
    while (free() > leave) {
      const n = Math.min(chunk.length, free() - leave);
      await f.write(chunk.subarray(0, Math.max(4096, n)));
    }
  } finally {
    await f.close();
  }
}

function environment(extra: Record<string, string>): Record<string, string> {
  const base = Object.fromEntries(
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
  ) as Record<string, string>;
  return {
    ...base,
    PORT: String(port),
    REKISTERI_DEMO_PEOPLE: '0',
    REKISTERI_DATA: join(volume, 'data'),
    REKISTERI_KEYSTORE: join(volume, 'keystore'),
    REKISTERI_KEY_FILE: join(scratch, 'rekisteri.key'),
    REKISTERI_MIN_FREE_SPACE: '32',
    ...extra,
  };
}

function start(extra: Record<string, string> = {}): {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; after: number }>;
} {
  const started = Date.now();
  const child = spawn(process.execPath, [join(ROOT, 'bin/rekisteri.js'), 'start'], {
    cwd: scratch,
    env: environment(extra),
    stdio: 'pipe',
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; after: number }>(
    (r) => child.on('exit', (code, signal) => r({ code, signal, after: Date.now() - started })),
  );
  return { child, output: () => out, exited };
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) {
      return v;
    }
    if (Date.now() > end) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('a full disk under the embedded database', () => {
  it(
    'refuses writes with 503 and fails readiness while the volume is low, recovers, ends on SIGTERM, and will not start on it',
    { timeout: 240_000 },
    async (ctx) => {
      if (!mounted) {
        ctx.skip();
      }
      const server = start();
      try {
        const url = await until(
          'the server to listen',
          () =>
            Promise.resolve(
              /serving .*? at (http:\/\/\S+)/.exec(server.output())?.[1] ?? undefined,
            ),
          120_000,
        );
        const login = () =>
          fetch(`${url}/api/v1/auth/login`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ username: 'admin', password: 'not the password' }),
          });
        expect((await login()).status).toBe(401);
        expect((await fetch(`${url}/healthz/ready`)).status).toBe(200);

        await fill('filler', 16 * MB);
        const ready = await until(
          'readiness to fail',
          async () => {
            const r = await fetch(`${url}/healthz/ready`);
            return r.status === 503 ? r : undefined;
          },
          10_000,
        );
        expect(await ready.json()).toMatchObject({ status: 'unavailable', failed: ['storage'] });
        for (let i = 0; i < 5; i++) {
          const refused = await login();
          expect(refused.status).toBe(503);
          expect(refused.headers.get('retry-after')).toBe('5');
          expect(refused.headers.get('content-type')).toMatch(/problem\+json/);
          expect(await refused.json()).toMatchObject({ title: 'Storage is low', status: 503 });
        }
        expect((await fetch(`${url}/api/v1/subjects?purpose=newsletter`)).status).toBe(503);
        expect((await fetch(`${url}/api/v1/definition`)).status).toBe(200);
        expect((await fetch(`${url}/healthz/live`)).status).toBe(200);
        // Once per volume when the state changes, not once per refused request.
        const lows = server.output().match(/storage is low: /g) ?? [];
        expect(lows.length).toBeGreaterThanOrEqual(1);
        expect(lows.length).toBeLessThanOrEqual(2);
        expect(server.output()).toMatch(/REKISTERI_DATA|REKISTERI_KEYSTORE/);

        await rm(join(volume, 'filler'));
        await until(
          'readiness to return',
          async () => ((await fetch(`${url}/healthz/ready`)).status === 200 ? true : undefined),
          10_000,
        );
        expect((await login()).status).toBe(401);
        expect(server.output()).toContain('storage has room again');

        await fill('filler', 8 * MB);
        await until(
          'readiness to fail again',
          async () => ((await fetch(`${url}/healthz/ready`)).status === 503 ? true : undefined),
          10_000,
        );
        server.child.kill('SIGTERM');
        const end = await server.exited;
        expect(end.code, server.output().slice(-2000)).toBe(0);
      } finally {
        server.child.kill('SIGKILL');
      }

      // A start on the low volume: one line naming the variable and the free space, exit 1.
      const refused = start();
      const r = await refused.exited;
      expect(r.code).toBe(1);
      expect(r.after).toBeLessThan(15_000);
      expect(refused.output().trim().split('\n')).toEqual([
        expect.stringMatching(
          /REKISTERI_DATA: only \d+\.\d MB free on the volume of .*, below REKISTERI_MIN_FREE_SPACE \(32\.0 MB\)/,
        ),
      ]);
    },
  );

  it(
    'stops a command on the low volume, and a batch that would start below the threshold',
    { timeout: 180_000 },
    async (ctx) => {
      if (!mounted) {
        ctx.skip();
      }
      await rm(join(volume, 'filler'), { force: true });
      await fill('filler', 8 * MB);
      // A CLI command opens the embedded database too: one line naming the variable, exit 1.
      const started = Date.now();
      const cli = spawn(process.execPath, [join(ROOT, 'bin/rekisteri.js'), 'audit', 'verify'], {
        cwd: scratch,
        env: environment({}),
        stdio: 'pipe',
      });
      let out = '';
      cli.stdout.on('data', (d: Buffer) => (out += d.toString()));
      cli.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const code = await new Promise<number | null>((r) => cli.on('exit', r));
      expect(code).toBe(1);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(out.trim().split('\n')).toEqual([
        expect.stringMatching(
          /^rekisteri: REKISTERI_DATA: only \d+\.\d MB free on the volume of .*, below REKISTERI_MIN_FREE_SPACE \(32\.0 MB\)/,
        ),
      ]);

      // A command already running (an import, a restore) stops before its next batch.
      await rm(join(volume, 'filler'));
      const rt = await openRuntime(loadConfig(environment({})));
      try {
        await fill('filler', 20 * MB);
        let wrote = false;
        const batch = () =>
          rt.database.bulkTransaction(() => {
            wrote = true;
            return Promise.resolve('written');
          });
        await expect(batch()).rejects.toThrow(
          /^REKISTERI_DATA: only \d+\.\d MB free .* below REKISTERI_MIN_FREE_SPACE \(32\.0 MB\): stopped before writing more/,
        );
        expect(wrote).toBe(false);
        await rm(join(volume, 'filler'));
        await expect(batch()).resolves.toBe('written');
        expect(wrote).toBe(true);
      } finally {
        await rm(join(volume, 'filler'), { force: true });
        await rt.close();
      }
    },
  );

  it(
    'exits non-zero within seconds when the embedded database cannot start',
    { timeout: 120_000 },
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'rekisteri-badstart-'));
      try {
        const env = {
          REKISTERI_DATA: join(dir, 'data'),
          REKISTERI_KEYSTORE: join(dir, 'keystore'),
          REKISTERI_KEY_FILE: join(dir, 'rekisteri.key'),
        };
        const first = start(env);
        await until(
          'the first start',
          () => Promise.resolve(/serving /.test(first.output()) ? true : undefined),
          90_000,
        );
        first.child.kill('SIGTERM');
        expect((await first.exited).code).toBe(0);
        // The key store's database claims a version this PostgreSQL cannot open.
        await writeFile(join(dir, 'keystore', 'keys', 'PG_VERSION'), '15\n');
        const again = start(env);
        const end = await Promise.race([
          again.exited,
          new Promise<undefined>((r) => setTimeout(r, 30_000)),
        ]);
        again.child.kill('SIGKILL');
        expect(end, `still running after 30 s:\n${again.output()}`).toBeDefined();
        expect(end!.code).toBe(1);
        expect(again.output()).not.toMatch(/serving /);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});
