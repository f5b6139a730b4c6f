/**
 * Start-up safety and start-up errors, as an operator meets them: the real `rekisteri` command in
 * a scratch directory (embedded database) or on the PostgreSQL test server, and openRuntime where
 * several instances start in one process.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, cp, mkdir, mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loggerOptions } from '../src/app.ts';
import { describeError } from '../src/cli/errors.ts';
import { ConfigError, loadConfig } from '../src/config/config.ts';
import { openDatabase } from '../src/db/database.ts';
import { openRuntime, type Runtime } from '../src/runtime.ts';
import { explainDatabaseError } from '../src/startup/database-errors.ts';
import { describeChange } from '../src/startup/summary.ts';
import { createPostgresDatabase, DATABASES, DEMO, freePort, ROOT } from './helpers.ts';

const exec = promisify(execFile);
const BIN = join(ROOT, 'bin/rekisteri.js');
const PG = process.env.TEST_DATABASE_URL;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * The environment of this process without anything that would choose a database or a key. A demo
 * start invents a handful of people rather than the default 2,000: what these tests check does not
 * depend on how many, and each start would otherwise spend seconds sealing them.
 */
function baseEnv(): Record<string, string> {
  return {
    REKISTERI_DEMO_PEOPLE: '12',
    ...baseEnvOfProcess(),
  };
}

function baseEnvOfProcess(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([k, v]) =>
        v !== undefined &&
        ![
          'DATABASE_URL',
          'KEYSTORE_DATABASE_URL',
          'REKISTERI_MASTER_KEY',
          'REKISTERI_REGISTER',
          'REKISTERI_KEYSTORE',
          'REKISTERI_DATA',
          'REKISTERI_KEY_FILE',
          'PORT',
          'HOST',
        ].includes(k),
    ),
  ) as Record<string, string>;
}

async function rekisteri(
  cwd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<Result> {
  const started = Date.now();
  try {
    const { stdout, stderr } = await exec(process.execPath, [BIN, ...args], {
      cwd,
      env: { ...baseEnv(), ...env },
      timeout: 90_000,
    });
    return { code: 0, stdout, stderr, ms: Date.now() - started };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr, ms: Date.now() - started };
  }
}

/** One line on stderr, prefixed with the command's name. */
function oneLine(r: Result): string {
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^rekisteri: /);
  return lines[0] as string;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** The demo definition with another controller: a register of one's own, as `init` starts it. */
async function ownRegister(file: string, controller = 'Oma Rekisteri Oy'): Promise<void> {
  const text = await readFile(DEMO, 'utf8');
  const changed = text.replace(/(controller:\n\s+name:\s*).*/, `$1${controller}`);
  expect(changed).not.toBe(text);
  await writeFile(file, changed);
}

async function definitionChanges(dataDir: string): Promise<Array<Record<string, unknown> | null>> {
  const database = await openDatabase({ dataDir });
  try {
    const rows = await database.db
      .selectFrom('audit_events')
      .select('data')
      .where('action', '=', 'definition.change')
      .orderBy('at')
      .execute();
    return rows.map((r) => r.data);
  } finally {
    await database.close();
  }
}

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'rekisteri-startup-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});
/** Every process a test spawned that has not exited: killed after each test, even a failed one. */
const running = new Set<ChildProcess>();
function track<T extends ChildProcess>(child: T): T {
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}
afterEach(async () => {
  await Promise.all(
    [...running].map(async (child) => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await exited;
      }
      running.delete(child);
    }),
  );
});
async function freshDir(): Promise<string> {
  return mkdtemp(join(scratch, 'd-'));
}

let madeOnce: Promise<string> | undefined;
/**
 * A fresh directory holding a register of one's own (Oma Rekisteri Oy) that has been run once: its
 * definition, key file, embedded database and key store. The first call makes it with the real
 * command (`rekisteri apikey list`); later calls copy that directory, which is what the command
 * would have left there, without spending a process start on making each one again.
 */
async function usedRegister(): Promise<string> {
  madeOnce ??= (async () => {
    const made = await freshDir();
    await ownRegister(join(made, 'register.yaml'));
    const r = await rekisteri(made, ['apikey', 'list']);
    expect(r.code, r.stderr).toBe(0);
    return made;
  })();
  const dir = await freshDir();
  await cp(await madeOnce, dir, { recursive: true });
  return dir;
}

describe('the demo register', () => {
  it.skipIf(!PG)(
    'is refused when DATABASE_URL is set, and nothing reaches that database',
    { timeout: 120_000 },
    async () => {
      const dir = await freshDir();
      const data = await createPostgresDatabase();
      const keys = await createPostgresDatabase();
      try {
        const r = await rekisteri(dir, ['start'], {
          DATABASE_URL: data.url,
          KEYSTORE_DATABASE_URL: keys.url,
          PORT: String(await freePort()),
        });
        expect(r.code).toBe(1);
        expect(oneLine(r)).toMatch(
          /REKISTERI_REGISTER: .*register\.yaml does not exist, and DATABASE_URL is set: .*`rekisteri init`/,
        );
        const client = new pg.Client({ connectionString: data.url });
        await client.connect();
        const tables = await client.query(
          "select count(*)::int as n from information_schema.tables where table_schema = 'public'",
        );
        await client.end();
        expect(tables.rows[0]).toEqual({ n: 0 });
        expect(await exists(join(dir, 'rekisteri.key'))).toBe(false);
      } finally {
        await data.drop();
        await keys.drop();
      }
    },
  );

  it(
    'never runs on an embedded database that holds another register, and a demo database takes no other definition',
    { timeout: 240_000 },
    async () => {
      // A register of one's own, started once; then its register.yaml goes missing.
      const own = await usedRegister();
      await rm(join(own, 'register.yaml'));
      const refused = await rekisteri(own, ['start'], {
        PORT: String(await freePort()),
        REKISTERI_DEMO_PEOPLE: '5',
      });
      expect(refused.code).toBe(1);
      expect(oneLine(refused)).toMatch(
        /REKISTERI_REGISTER: .* does not exist, and the database in REKISTERI_DATA \(.*\) holds a register that is not the demo/,
      );
      const database = await openDatabase({ dataDir: join(own, 'data') });
      const people = await database.db
        .selectFrom('subjects')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow();
      const demoMark = await database.db
        .selectFrom('settings')
        .select('value')
        .where('key', '=', 'demo')
        .executeTakeFirst();
      await database.close();
      expect(Number(people.n)).toBe(0);
      expect(demoMark).toBeUndefined();

      // The demo on an empty directory: allowed, and the database remembers it is the demo's.
      const demo = await freshDir();
      const first = await rekisteri(demo, ['apikey', 'list']);
      expect(first.code, first.stderr).toBe(0);
      expect(first.stderr).toContain('running the demo register');
      await ownRegister(join(demo, 'register.yaml'));
      for (const args of [
        ['apikey', 'list'],
        ['definition', 'apply'],
      ]) {
        const r = await rekisteri(demo, args);
        expect(r.code, args.join(' ')).toBe(1);
        expect(oneLine(r)).toMatch(
          /this database holds the demo register and its invented people, .*new, empty REKISTERI_DATA and REKISTERI_KEYSTORE directories/,
        );
      }
      await rm(join(demo, 'register.yaml'));
      expect((await rekisteri(demo, ['apikey', 'list'])).code).toBe(0);
    },
  );

  it(
    'gives no invented person a key in the key store of another register',
    { timeout: 240_000 },
    async () => {
      // A register of one's own, started once: its key store holds its register id.
      const own = await usedRegister();
      // The demo in another directory, with that register's key store and key.
      const demo = await freshDir();
      const borrowed = {
        REKISTERI_KEYSTORE: join(own, 'keystore'),
        REKISTERI_KEY_FILE: join(own, 'rekisteri.key'),
      };
      for (const args of [['seed', '--count', '3'], ['start']]) {
        const r = await rekisteri(demo, args, {
          ...borrowed,
          PORT: String(await freePort()),
          REKISTERI_DEMO_PEOPLE: '3',
        });
        expect(r.code, args.join(' ')).toBe(1);
        expect(oneLine(r)).toMatch(
          /REKISTERI_KEYSTORE: .*keystore holds the key store of a register, and the demo register's invented people/,
        );
      }
      const keys = await openDatabase({ dataDir: join(own, 'keystore', 'keys') });
      const held = await sql<{ n: number }>`select count(*)::int as n from person_keys`.execute(
        keys.db,
      );
      await keys.close();
      expect(held.rows[0]).toEqual({ n: 0 });
      expect((await rekisteri(own, ['apikey', 'list'])).code).toBe(0);

      // A key store on a server is never the demo's: refused before anything is opened.
      const elsewhere = await freshDir();
      const r = await rekisteri(elsewhere, ['seed', '--count', '3'], {
        KEYSTORE_DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
      });
      expect(r.code).toBe(1);
      expect(oneLine(r)).toMatch(
        /REKISTERI_REGISTER: .* does not exist, and KEYSTORE_DATABASE_URL is set: the demo register .* only on embedded databases/,
      );
      expect(await exists(join(elsewhere, 'data'))).toBe(false);
      expect(await exists(join(elsewhere, 'rekisteri.key'))).toBe(false);
    },
  );

  it(
    'seed adds no invented people to a database that holds real ones',
    { timeout: 240_000 },
    async () => {
      const dir = await freshDir();
      await ownRegister(join(dir, 'register.yaml'));
      const csv = join(dir, 'one.csv');
      await writeFile(csv, 'name,email\nSirpa,sirpa.seed@example.com\n');
      const mapping = join(dir, 'map.yaml');
      await writeFile(
        mapping,
        'purpose: customer_relationship\nsource: subject\ncolumns:\n  name: identity.firstName\n  email: contact.email\n',
      );
      // A refused seed (an unknown purpose) leaves nothing that would let a later one in.
      const wrong = await rekisteri(dir, ['seed', '--count', '1', '--purpose', 'nonesuch']);
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toContain('rekisteri: --purpose: unknown purpose "nonesuch"');
      expect((await rekisteri(dir, ['import', csv, '--mapping', mapping])).code).toBe(0);
      const r = await rekisteri(dir, ['seed', '--count', '3']);
      expect(r.code).toBe(1);
      expect(oneLine(r)).toContain('refusing to add invented people to a real register');

      // Seeded while empty (a benchmark), then a real person added: no more invented ones.
      const bench = await freshDir();
      await ownRegister(join(bench, 'register.yaml'));
      const seeded = await rekisteri(bench, ['seed', '--count', '2']);
      expect(seeded.code, seeded.stderr).toBe(0);
      expect((await rekisteri(bench, ['seed', '--count', '2'])).code).toBe(0);
      expect((await rekisteri(bench, ['import', csv, '--mapping', mapping])).code).toBe(0);
      const mixed = await rekisteri(bench, ['seed', '--count', '2']);
      expect(mixed.code).toBe(1);
      expect(oneLine(mixed)).toContain('refusing to add invented people to a real register');
      const database = await openDatabase({ dataDir: join(bench, 'data') });
      const people = await database.db
        .selectFrom('subjects')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow();
      await database.close();
      expect(Number(people.n)).toBe(5);
    },
  );
});

describe('a changed definition', () => {
  it(
    'is refused at start until `rekisteri definition apply` records it, once',
    { timeout: 240_000 },
    async () => {
      const dir = await usedRegister();
      const file = join(dir, 'register.yaml');
      await ownRegister(file, 'Toinen Oy');
      const port = String(await freePort());
      const refused = await rekisteri(dir, ['start'], { PORT: port });
      expect(refused.code).toBe(1);
      expect(oneLine(refused)).toMatch(
        /REKISTERI_REGISTER: .*register\.yaml is not the definition this database was last run with \(version [0-9a-f]{12}, now [0-9a-f]{12}\): .*`rekisteri definition apply`/,
      );
      expect(await definitionChanges(join(dir, 'data'))).toHaveLength(1);

      // A backup is wanted most just before a change is applied: it is taken, and records nothing.
      const backup = await rekisteri(dir, ['backup', '--data', 'before-apply.rkb']);
      expect(backup.code, backup.stderr).toBe(0);
      expect(await definitionChanges(join(dir, 'data'))).toHaveLength(1);
      expect((await rekisteri(dir, ['start'], { PORT: port })).code).toBe(1);

      const applied = await rekisteri(dir, ['definition', 'apply']);
      expect(applied.code, applied.stderr).toBe(0);
      expect(applied.stdout).toMatch(/controller: Oma Rekisteri Oy \(.*\) → Toinen Oy \(.*\)/);
      expect(applied.stdout).toContain('recorded in the access log');
      const again = await rekisteri(dir, ['definition', 'apply']);
      expect(again.stdout).toContain('nothing to apply');
      expect((await rekisteri(dir, ['apikey', 'list'])).code).toBe(0);
      const changes = await definitionChanges(join(dir, 'data'));
      expect(changes).toHaveLength(2);
      expect(changes[0]).toMatchObject({ from: null, to: expect.stringMatching(/^[0-9a-f]{12}$/) });
      // The log holds what changed, by identifier: the controller's name stays in the definition.
      expect(changes[1]).toMatchObject({
        from: expect.stringMatching(/^[0-9a-f]{12}$/),
        controllerChanged: true,
      });
      expect(JSON.stringify(changes)).not.toContain('Oy');
    },
  );

  it('is summarised: controller, and what was added and removed', () => {
    const before = {
      controller: 'A Oy (1234567-8)',
      purposes: ['newsletter', 'billing'],
      categories: ['identity', 'contact'],
      fields: ['identity.firstName', 'contact.email'],
      roles: ['admin'],
      recipients: [],
    };
    const after = {
      ...before,
      controller: 'B Oy (1234567-8)',
      purposes: ['newsletter', 'research'],
      categories: ['identity', 'contact', 'health'],
    };
    expect(describeChange(before, after)).toEqual([
      'controller: A Oy (1234567-8) → B Oy (1234567-8)',
      'purposes added: research',
      'purposes removed: billing',
      'categories added: health',
    ]);
    expect(describeChange(before, before)[0]).toMatch(/no purpose, category.*added or removed/);
    expect(describeChange(undefined, after)[0]).toMatch(/previous definition was not recorded/);
  });

  for (const kind of DATABASES) {
    it(
      `is recorded and logged once when three instances start together (${kind})`,
      { timeout: 240_000 },
      async () => {
        const dir = await freshDir();
        const file = join(dir, 'register.yaml');
        await ownRegister(file, 'Yhdessä Oy');
        const key = randomBytes(32).toString('hex');
        const data = kind === 'postgres' ? await createPostgresDatabase() : undefined;
        const keys = kind === 'postgres' ? await createPostgresDatabase() : undefined;
        const env = () => ({
          REKISTERI_REGISTER: file,
          REKISTERI_MASTER_KEY: key,
          REKISTERI_DATA: join(dir, 'data'),
          REKISTERI_KEYSTORE: join(dir, 'keystore'),
          ...(data && keys ? { DATABASE_URL: data.url, KEYSTORE_DATABASE_URL: keys.url } : {}),
        });
        // The embedded database belongs to one process: its instances start one after another.
        const together = async (fn: () => Promise<Runtime>): Promise<Runtime[]> => {
          if (kind === 'postgres') {
            return Promise.all([fn(), fn(), fn()]);
          }
          const all: Runtime[] = [];
          for (let i = 0; i < 3; i++) {
            const rt = await fn();
            all.push(rt);
            await rt.close();
          }
          return all;
        };
        try {
          const first = await together(() => openRuntime(loadConfig(env())));
          if (kind === 'postgres') {
            await Promise.all(first.map((rt) => rt.close()));
          }
          await ownRegister(file, 'Muutettu Oy');
          await expect(openRuntime(loadConfig(env()))).rejects.toThrow(
            /rekisteri definition apply/,
          );
          const applied = await together(() =>
            openRuntime(loadConfig(env()), { applyDefinition: true }),
          );
          expect(applied.filter((rt) => rt.definitionChange !== undefined)).toHaveLength(1);
          const rt = applied[0] as Runtime;
          const check = kind === 'postgres' ? rt : await openRuntime(loadConfig(env()));
          const logged = await check.database.db
            .selectFrom('audit_events')
            .select('data')
            .where('action', '=', 'definition.change')
            .execute();
          expect(logged).toHaveLength(2);
          expect(
            logged.filter((e) => (e.data as { controllerChanged?: boolean }).controllerChanged),
          ).toHaveLength(1);
          if (kind === 'postgres') {
            await Promise.all(applied.map((r) => r.close()));
          } else {
            await check.close();
          }
        } finally {
          await data?.drop();
          await keys?.drop();
        }
      },
    );
  }
});

describe('the master key', () => {
  for (const kind of DATABASES) {
    it(
      `is never created beside a database that holds a register (${kind})`,
      { timeout: 120_000 },
      async () => {
        const dir = await freshDir();
        const keyFile = join(dir, 'rekisteri.key');
        const data = kind === 'postgres' ? await createPostgresDatabase() : undefined;
        const keys = kind === 'postgres' ? await createPostgresDatabase() : undefined;
        const env = () => ({
          REKISTERI_REGISTER: DEMO,
          REKISTERI_KEY_FILE: keyFile,
          REKISTERI_DATA: join(dir, 'data'),
          REKISTERI_KEYSTORE: join(dir, 'keystore'),
          ...(data && keys ? { DATABASE_URL: data.url, KEYSTORE_DATABASE_URL: keys.url } : {}),
        });
        try {
          const first = await openRuntime(loadConfig(env()));
          expect(first.notes.join('\n')).toContain(`created the master key file ${keyFile}`);
          await first.close();
          await rm(keyFile);
          await expect(openRuntime(loadConfig(env()))).rejects.toThrow(
            new RegExp(
              `^REKISTERI_KEY_FILE: ${keyFile} does not exist, but the database already holds a register .*REKISTERI_MASTER_KEY`,
            ),
          );
          expect(await exists(keyFile)).toBe(false);
        } finally {
          await data?.drop();
          await keys?.drop();
        }
      },
    );
  }
});

describe('a missing key file beside a register in use', () => {
  it(
    'is refused by init and by a start, and nothing is written: no key, no file, no new database',
    { timeout: 240_000 },
    async () => {
      const own = await usedRegister();
      for (const [variable, value] of [
        ['REKISTERI_KEYSTORE', join(own, 'keystore')],
        ['REKISTERI_DATA', join(own, 'data')],
      ] as const) {
        for (const args of [['init'], ['apikey', 'list']]) {
          const dir = await freshDir();
          const r = await rekisteri(dir, args, {
            [variable]: value,
            REKISTERI_REGISTER: join(own, 'register.yaml'),
          });
          expect(r.code, `${variable} ${args[0]}`).toBe(1);
          expect(oneLine(r)).toMatch(
            new RegExp(
              `REKISTERI_KEY_FILE: .*rekisteri\\.key does not exist, but the database already holds a register sealed with a master key \\(${variable}\\): .*Nothing was created`,
            ),
          );
          for (const name of ['rekisteri.key', 'data', 'keystore']) {
            expect(await exists(join(dir, name)), `${variable} ${args[0]}: ${name}`).toBe(false);
          }
        }
      }
      // The register itself still opens with its key.
      expect((await rekisteri(own, ['apikey', 'list'])).code).toBe(0);
    },
  );

  it(
    'is refused by definition apply, which never makes a key, before any database is made',
    {
      timeout: 120_000,
    },
    async () => {
      const dir = await freshDir();
      await ownRegister(join(dir, 'register.yaml'));
      const r = await rekisteri(dir, ['definition', 'apply']);
      expect(r.code).toBe(1);
      expect(oneLine(r)).toMatch(
        /^rekisteri: no master key: set REKISTERI_MASTER_KEY or create REKISTERI_KEY_FILE \(.*rekisteri\.key\)/,
      );
      for (const name of ['rekisteri.key', 'data', 'keystore']) {
        expect(await exists(join(dir, name)), name).toBe(false);
      }
    },
  );
});

describe('backup', () => {
  it(
    'in a directory without a register makes none: refused, nothing created',
    {
      timeout: 120_000,
    },
    async () => {
      const dir = await freshDir();
      const r = await rekisteri(dir, ['backup', '--data', 'd.rkb', '--keys', 'k.rkb']);
      expect(r.code).toBe(1);
      expect(oneLine(r)).toMatch(
        /^rekisteri: REKISTERI_DATA: .*data holds no register: nothing to back up, and nothing was created/,
      );
      for (const name of ['rekisteri.key', 'data', 'keystore', 'd.rkb', 'k.rkb']) {
        expect(await exists(join(dir, name)), name).toBe(false);
      }
    },
  );
});

/** Starts the server in `dir` and waits until it serves; returns its URL, output and process. */
async function startServer(dir: string, env: Record<string, string>) {
  const server = track(
    spawn(process.execPath, [BIN, 'start'], {
      cwd: dir,
      env: { ...baseEnv(), ...env },
      stdio: 'pipe',
    }),
  );
  const output = { text: '' };
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      server.kill('SIGKILL'); // not serving after two minutes: it must not keep its port
      reject(new Error(`no start:\n${output.text}`));
    }, 120_000);
    const onData = (d: Buffer) => {
      output.text += d.toString();
      const m = /serving .*? at (http:\/\/\S+)/.exec(output.text);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    };
    server.stdout.on('data', onData);
    server.stderr.on('data', onData);
    server.on('exit', () => {
      clearTimeout(timer);
      reject(new Error(`server exited:\n${output.text}`));
    });
  });
  const stop = async () => {
    if (server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((r) => server.once('exit', r));
      server.kill('SIGTERM');
      // A server that does not end on SIGTERM within 15 s is killed: no port stays taken.
      const timer = setTimeout(() => server.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
  };
  return { url, output, stop };
}

describe('the first administrator', () => {
  it(
    'has their one-time password in a 0600 file, not in the output; the file goes once they choose their own; then a missing key file is refused, and none is written',
    { timeout: 300_000 },
    async () => {
      const dir = await freshDir();
      await ownRegister(join(dir, 'register.yaml'));
      const env = { PORT: String(await freePort()) };
      const file = join(dir, 'keystore', 'first-admin-password');
      const first = await startServer(dir, env);
      try {
        expect(first.output.text).toContain(`Its one-time password is in ${file} (mode 0600`);
        expect((await stat(file)).mode & 0o777).toBe(0o600);
        const password = (await readFile(file, 'utf8')).trim();
        expect(first.output.text).not.toContain(password);
        const login = await fetch(`${first.url}/api/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'admin', password }),
        });
        expect(login.status).toBe(200);
        const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
        const { csrfToken } = (await login.json()) as { csrfToken: string };
        const changed = await fetch(`${first.url}/api/v1/auth/password`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrfToken },
          body: JSON.stringify({ current: password, next: 'pitkä-oma-salasana-kahville' }),
        });
        expect(changed.status, await changed.text()).toBe(204);
        // The running server removes it within seconds.
        const until = Date.now() + 20_000;
        while ((await exists(file)) && Date.now() < until) {
          await new Promise((r) => setTimeout(r, 250));
        }
        expect(await exists(file)).toBe(false);
      } finally {
        await first.stop();
      }

      await rm(join(dir, 'rekisteri.key'));
      const refused = await rekisteri(dir, ['start'], env);
      expect(refused.code).toBe(1);
      expect(oneLine(refused)).toMatch(
        /REKISTERI_KEY_FILE: .*rekisteri\.key does not exist, but the database already holds a register .*REKISTERI_MASTER_KEY/,
      );
      expect(await exists(join(dir, 'rekisteri.key'))).toBe(false);
      const init = await rekisteri(dir, ['init']);
      expect(init.code).toBe(1);
      expect(init.stderr).toContain('REKISTERI_KEY_FILE');
      expect(await exists(join(dir, 'rekisteri.key'))).toBe(false);
      expect(await exists(join(dir, 'data', 'rekisteri.lock'))).toBe(false);
    },
  );
});

describe('the log', () => {
  it('is readable on a terminal and JSON elsewhere, unless LOG_FORMAT says which', () => {
    expect(loadConfig({}).logFormat).toBe('auto');
    expect(loadConfig({ LOG_FORMAT: 'json' }).logFormat).toBe('json');
    const readable = (o: unknown) => typeof (o as { stream?: unknown }).stream === 'object';
    expect(readable(loggerOptions('info', 'auto', true))).toBe(true);
    expect(readable(loggerOptions('info', 'auto', false))).toBe(false);
    expect(readable(loggerOptions('info', 'json', true))).toBe(false);
    expect(readable(loggerOptions('info', 'pretty', false))).toBe(true);
  });

  it(
    'is JSON lines when stdout is not a terminal, readable lines when LOG_FORMAT=pretty, with no personal data either way',
    { timeout: 300_000 },
    async () => {
      const dir = await usedRegister();
      const env = { PORT: String(await freePort()), LOG_LEVEL: 'info' };
      // A query string that a careless logger would write out.
      const probe = '/api/v1/subjects?email=aino.virtanen%40example.fi';
      const json = await startServer(dir, env);
      try {
        await fetch(`${json.url}${probe}`);
      } finally {
        await json.stop();
      }
      const logLines = json.output.text
        .split('\n')
        .filter((l) => l.trim() !== '' && !l.startsWith('rekisteri:'));
      expect(logLines.length).toBeGreaterThan(0);
      const entries = logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
      for (const entry of entries) {
        expect(typeof entry.level).toBe('number');
        expect(typeof entry.time).toBe('number');
      }
      expect(entries.some((e) => (e.req as { path?: string })?.path === '/api/v1/subjects')).toBe(
        true,
      );
      expect(json.output.text).not.toContain('aino');

      const pretty = await startServer(dir, { ...env, LOG_FORMAT: 'pretty' });
      try {
        await fetch(`${pretty.url}${probe}`);
      } finally {
        await pretty.stop();
      }
      const prettyLines = pretty.output.text
        .split('\n')
        .filter((l) => l.trim() !== '' && !l.startsWith('rekisteri:'));
      expect(prettyLines.some((l) => /INFO.*incoming request/.test(l))).toBe(true);
      expect(prettyLines.some((l) => l.startsWith('{'))).toBe(false);
      // Not a terminal: no colour codes.
      expect(pretty.output.text).not.toContain('\u001b[');
      expect(pretty.output.text).not.toContain('aino');
    },
  );
});

describe('three instances on one PostgreSQL', () => {
  it.skipIf(!PG)(
    'create one administrator and record the definition once, whose password only one of them wrote down',
    { timeout: 300_000 },
    async () => {
      const dir = await freshDir();
      await ownRegister(join(dir, 'register.yaml'));
      const data = await createPostgresDatabase();
      const keys = await createPostgresDatabase();
      const key = randomBytes(32).toString('hex');
      const servers: Array<Awaited<ReturnType<typeof startServer>>> = [];
      try {
        const started = await Promise.allSettled(
          [1, 2, 3].map(async (n) =>
            startServer(dir, {
              DATABASE_URL: data.url,
              KEYSTORE_DATABASE_URL: keys.url,
              REKISTERI_MASTER_KEY: key,
              REKISTERI_KEYSTORE: join(dir, `keystore-${n}`),
              PORT: String(await freePort()),
            }),
          ),
        );
        for (const s of started) {
          if (s.status === 'fulfilled') {
            servers.push(s.value);
          }
        }
        expect(started.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
        const announced = servers.filter((s) =>
          s.output.text.includes('created the first administrator'),
        );
        expect(announced).toHaveLength(1);
        const files = await Promise.all(
          [1, 2, 3].map((n) => exists(join(dir, `keystore-${n}`, 'first-admin-password'))),
        );
        expect(files.filter(Boolean)).toHaveLength(1);
        const client = new pg.Client({ connectionString: data.url });
        await client.connect();
        const changes = await client.query(
          "select count(*)::int as n from audit_events where action = 'definition.change'",
        );
        const staff = await client.query('select count(*)::int as n from staff');
        await client.end();
        expect(changes.rows[0]).toEqual({ n: 1 });
        expect(staff.rows[0]).toEqual({ n: 1 });
      } finally {
        await Promise.all(servers.map((s) => s.stop()));
        await data.drop();
        await keys.drop();
      }
    },
  );
});

describe('directories', () => {
  it(
    'refuses a data or key-store directory whose parent is missing, creating nothing; init creates them',
    { timeout: 180_000 },
    async () => {
      const dir = await freshDir();
      await ownRegister(join(dir, 'register.yaml'));
      const data = join(dir, 'volume', 'data');
      const keystore = join(dir, 'other-volume', 'keystore');
      const r1 = await rekisteri(dir, ['apikey', 'list'], { REKISTERI_DATA: data });
      expect(r1.code).toBe(1);
      expect(oneLine(r1)).toBe(
        `rekisteri: REKISTERI_DATA: ${data} does not exist, nor does ${join(dir, 'volume')}: is its volume mounted, or is the path mistyped? Nothing was created; \`rekisteri init\` creates the directories for a new register`,
      );
      const r2 = await rekisteri(dir, ['start'], {
        REKISTERI_KEYSTORE: keystore,
        PORT: String(await freePort()),
      });
      expect(r2.code).toBe(1);
      expect(oneLine(r2)).toMatch(/^rekisteri: REKISTERI_KEYSTORE: .* does not exist, nor does/);
      expect(await exists(join(dir, 'volume'))).toBe(false);
      expect(await exists(join(dir, 'other-volume'))).toBe(false);
      expect(await exists(join(dir, 'data'))).toBe(false);
      expect(await exists(join(dir, 'rekisteri.key'))).toBe(false);

      const r4 = await rekisteri(dir, ['apikey', 'list'], {
        REKISTERI_KEY_FILE: join(dir, 'unmounted', 'rekisteri.key'),
      });
      expect(r4.code).toBe(1);
      expect(oneLine(r4)).toMatch(
        /^rekisteri: REKISTERI_KEY_FILE: .*unmounted\/rekisteri\.key does not exist, nor does its directory/,
      );
      expect(await exists(join(dir, 'data'))).toBe(false);

      await writeFile(join(dir, 'a-file'), 'not a directory');
      const r3 = await rekisteri(dir, ['apikey', 'list'], { REKISTERI_DATA: join(dir, 'a-file') });
      expect(oneLine(r3)).toBe(
        `rekisteri: REKISTERI_DATA: ${join(dir, 'a-file')} is not a directory`,
      );
      const under = join(dir, 'a-file', 'data');
      const r5 = await rekisteri(dir, ['apikey', 'list'], { REKISTERI_DATA: under });
      expect(r5.code).toBe(1);
      expect(oneLine(r5)).toBe(
        `rekisteri: REKISTERI_DATA: ${under} is not a directory: a path above it is a file, not a directory`,
      );

      const env = { REKISTERI_DATA: data, REKISTERI_KEYSTORE: keystore };
      const init = await rekisteri(dir, ['init'], env);
      expect(init.code, init.stderr).toBe(0);
      expect(init.stdout).toContain(`created ${data} (mode 0700)`);
      expect((await stat(keystore)).mode & 0o777).toBe(0o700);
      const after = await rekisteri(dir, ['apikey', 'list'], env);
      expect(after.code, after.stderr).toBe(0);
    },
  );

  it(
    'names REKISTERI_DATA for a read-only volume and for files that are not a database',
    { timeout: 180_000 },
    async () => {
      const dir = await freshDir();
      await ownRegister(join(dir, 'register.yaml'));
      // Garbage where the embedded database's files should be: PGlite aborts, in its own words.
      await mkdir(join(dir, 'bad', 'base'), { recursive: true });
      await writeFile(join(dir, 'bad', 'PG_VERSION'), 'garbage\n');
      const bad = await rekisteri(dir, ['migrate'], { REKISTERI_DATA: join(dir, 'bad') });
      expect(bad.code).toBe(1);
      expect(oneLine(bad)).toMatch(
        /^rekisteri: REKISTERI_DATA: the embedded database in .*bad could not be opened: its files cannot be read or written/,
      );
      expect(bad.stderr).not.toContain('Aborted');

      const mnt = join(dir, 'mnt');
      await mkdir(mnt);
      try {
        await exec('mount', ['-t', 'tmpfs', '-o', 'size=256m', 'tmpfs', mnt]);
      } catch (err) {
        console.warn(`skipped the read-only volume: cannot mount a tmpfs here (${String(err)})`);
        return;
      }
      try {
        const env = { REKISTERI_DATA: join(mnt, 'data'), REKISTERI_KEYSTORE: join(mnt, 'ks') };
        expect((await rekisteri(dir, ['apikey', 'list'], env)).code).toBe(0);
        await exec('mount', ['-o', 'remount,ro', mnt]);
        const ro = await rekisteri(dir, ['apikey', 'list'], env);
        expect(ro.code).toBe(1);
        expect(oneLine(ro)).toBe(
          `rekisteri: REKISTERI_DATA: ${join(mnt, 'data')} is on a read-only file system: the embedded database must be able to write there`,
        );
        const fresh = await rekisteri(dir, ['migrate'], { REKISTERI_DATA: join(mnt, 'new') });
        expect(oneLine(fresh)).toBe(
          `rekisteri: REKISTERI_DATA: cannot create ${join(mnt, 'new')}: ${mnt} is on a read-only file system`,
        );
      } finally {
        await exec('umount', [mnt]).catch(() => undefined);
      }
    },
  );
});

describe('start-up errors', () => {
  it('refuses PORT 0, a blank PORT and blank or malformed values, naming each', () => {
    for (const [env, pattern] of [
      [{ PORT: '0' }, /^PORT: must be a port number from 1 to 65535 \(found "0"\)/],
      [{ PORT: ' ' }, /^PORT: is only spaces/],
      [{ PORT: '65536' }, /^PORT: must be a port number/],
      [{ PORT: '80.5' }, /^PORT: must be a port number/],
      [{ REKISTERI_DATA: '  ' }, /^REKISTERI_DATA: is only spaces/],
      [{ LOG_FORMAT: 'colour' }, /^LOG_FORMAT: must be auto, json or pretty/],
      [
        { DATABASE_URL: 'postgres://user:p@ss@[host/db', KEYSTORE_DATABASE_URL: 'postgres://h/k' },
        /^DATABASE_URL: not a valid URL/,
      ],
    ] as const) {
      expect(() => loadConfig({ ...env }), JSON.stringify(env)).toThrow(ConfigError);
      expect(() => loadConfig({ ...env }), JSON.stringify(env)).toThrow(pattern);
    }
    // Empty means unset: the default.
    expect(loadConfig({ PORT: '' }).port).toBe(8080);
    expect(loadConfig({ PORT: '1' }).port).toBe(1);
  });

  it(
    'ends a start at once with one line for a blank PORT, a port in use and a bad HOST, leaving no lock',
    { timeout: 180_000 },
    async () => {
      const dir = await freshDir();
      await ownRegister(join(dir, 'register.yaml'));
      const blank = await rekisteri(dir, ['start'], { PORT: ' ' });
      expect(blank.code).toBe(1);
      expect(oneLine(blank)).toMatch(/^rekisteri: PORT: is only spaces/);

      const busy: Server = createServer();
      const port = await new Promise<number>((resolve) =>
        busy.listen(0, '127.0.0.1', () => resolve((busy.address() as { port: number }).port)),
      );
      try {
        const inUse = await rekisteri(dir, ['start'], { PORT: String(port) });
        expect(inUse.code).toBe(1);
        expect(oneLine(inUse)).toBe(
          `rekisteri: PORT: port ${port} on 127.0.0.1 is in use by another process (another Rekisteri?): stop it, or set PORT to a free port`,
        );
        // Node and tsx start in about two seconds here; the database is never opened.
        expect(inUse.ms).toBeLessThan(10_000);
        expect(await exists(join(dir, 'data', 'rekisteri.lock'))).toBe(false);
      } finally {
        await new Promise((r) => busy.close(r));
      }
      for (const [host, pattern] of [
        [
          'no-such-host.invalid',
          /^rekisteri: HOST: "no-such-host\.invalid" is not a known host name/,
        ],
        ['192.0.2.1', /^rekisteri: HOST: 192\.0\.2\.1 is not an address of this machine/],
      ] as const) {
        const r = await rekisteri(dir, ['start'], { PORT: String(await freePort()), HOST: host });
        expect(r.code, host).toBe(1);
        expect(oneLine(r)).toMatch(pattern);
        expect(r.ms).toBeLessThan(15_000);
      }
    },
  );

  it(
    'names DATABASE_URL, without its password, for a server that closes the connection or refuses it',
    { timeout: 120_000 },
    async () => {
      const dir = await freshDir();
      // Something listens, but hangs up on every client without a word (not PostgreSQL).
      const sockets = new Set<Socket>();
      const closing: Server = createServer((socket) => {
        sockets.add(socket);
        socket.on('error', () => undefined);
        socket.end();
      });
      const port = await new Promise<number>((resolve) =>
        closing.listen(0, '127.0.0.1', () => resolve((closing.address() as { port: number }).port)),
      );
      try {
        for (const [url, pattern] of [
          [
            `postgres://rekisteri:Sal41nen-s3cret@127.0.0.1:${port}/register`,
            new RegExp(
              `^rekisteri: DATABASE_URL: the server at 127\\.0\\.0\\.1:${port} closed the connection before answering`,
            ),
          ],
          [
            'postgres://rekisteri:Sal41nen-s3cret@127.0.0.1:1/register',
            /^rekisteri: DATABASE_URL: the PostgreSQL server at 127\.0\.0\.1:1 refused the connection/,
          ],
        ] as const) {
          const r = await rekisteri(dir, ['migrate'], {
            DATABASE_URL: url,
            KEYSTORE_DATABASE_URL: 'postgres://keys:Sal41nen-s3cret@127.0.0.1:1/keys',
          });
          expect(r.code, url).toBe(1);
          expect(oneLine(r)).toMatch(pattern);
          expect(r.stderr + r.stdout).not.toContain('Sal41nen-s3cret');
          expect(r.ms).toBeLessThan(20_000);
        }
      } finally {
        for (const socket of sockets) {
          socket.destroy();
        }
        await new Promise((r) => closing.close(r));
      }
    },
  );

  it.skipIf(!PG)(
    'names DATABASE_URL or KEYSTORE_DATABASE_URL and what is wrong with the server',
    { timeout: 180_000 },
    async () => {
      const dir = await freshDir();
      const base = new URL(PG as string);
      const at = (change: (u: URL) => void) => {
        const u = new URL(base);
        change(u);
        return u.toString();
      };
      const keys = await createPostgresDatabase();
      try {
        for (const [url, pattern] of [
          [
            at((u) => (u.port = '1')),
            /^rekisteri: DATABASE_URL: the PostgreSQL server at 127\.0\.0\.1:1 refused the connection/,
          ],
          [
            at((u) => (u.pathname = '/no_such_database')),
            /^rekisteri: DATABASE_URL: the database "no_such_database" does not exist on .*: create it/,
          ],
          [
            at((u) => (u.username = 'no_such_role')),
            /^rekisteri: DATABASE_URL: the server at .* refused the role "no_such_role" \(role "no_such_role" does not exist\)/,
          ],
          [
            at((u) => (u.hostname = 'no-such-host.invalid')),
            /^rekisteri: DATABASE_URL: the host of no-such-host\.invalid:5432 was not found/,
          ],
          ['postgres://x:y@[broken/db', /^rekisteri: DATABASE_URL: not a valid URL/],
        ] as const) {
          const r = await rekisteri(dir, ['migrate'], {
            DATABASE_URL: url,
            KEYSTORE_DATABASE_URL: keys.url,
          });
          expect(r.code, url).toBe(1);
          expect(oneLine(r)).toMatch(pattern);
          expect(r.stderr).not.toMatch(/migration .* failed/);
        }
        // The key store's database, named by its own variable.
        const data = await createPostgresDatabase();
        try {
          const r = await rekisteri(dir, ['apikey', 'list'], {
            REKISTERI_REGISTER: DEMO,
            DATABASE_URL: data.url,
            KEYSTORE_DATABASE_URL: at((u) => (u.pathname = '/no_such_keystore')),
          });
          expect(r.code).toBe(1);
          expect(oneLine(r)).toMatch(
            /^rekisteri: KEYSTORE_DATABASE_URL: the database "no_such_keystore" does not exist/,
          );
        } finally {
          await data.drop();
        }
      } finally {
        await keys.drop();
      }
    },
  );

  for (const kind of DATABASES) {
    it(
      `says a database migrated by a newer version is newer than this version (${kind})`,
      { timeout: 180_000 },
      async () => {
        const dir = await freshDir();
        const data = kind === 'postgres' ? await createPostgresDatabase() : undefined;
        const keys = kind === 'postgres' ? await createPostgresDatabase() : undefined;
        const env: Record<string, string> = {
          REKISTERI_REGISTER: DEMO,
          ...(data && keys ? { DATABASE_URL: data.url, KEYSTORE_DATABASE_URL: keys.url } : {}),
        };
        const variable = kind === 'postgres' ? 'DATABASE_URL' : 'REKISTERI_DATA';
        try {
          expect((await rekisteri(dir, ['migrate'], env)).code).toBe(0);
          const database = await openDatabase(
            data ? { url: data.url } : { dataDir: join(dir, 'data') },
          );
          await sql`insert into kysely_migration (name, timestamp) values ('9999_from_the_future', ${new Date().toISOString()})`.execute(
            database.db,
          );
          await database.close();
          for (const args of [['migrate'], ['apikey', 'list']]) {
            const r = await rekisteri(dir, args, env);
            expect(r.code, args.join(' ')).toBe(1);
            expect(oneLine(r)).toBe(
              `rekisteri: ${variable}: this database is newer than this version of Rekisteri (it has migration 9999_from_the_future, which this version does not know): run the newer version again, or restore a backup made before the upgrade; migrations go forward only`,
            );
          }
        } finally {
          await data?.drop();
          await keys?.drop();
        }
      },
    );
  }

  it('prints any thrown value readably, never [object Object]', () => {
    expect(describeError(new Error('plain'))).toBe('plain');
    expect(describeError({ message: 'from an object' })).toBe('from an object');
    expect(describeError({ code: 'XX', detail: 'no message' })).toBe(
      "{ code: 'XX', detail: 'no message' }",
    );
    expect(describeError('a string')).toBe('a string');
    expect(describeError(undefined)).toBe('undefined');
    expect(describeError(new Error(''))).toBe('Error');
    // What the embedded database's file system throws on a full disk: named, in words.
    const full = explainDatabaseError(
      { name: 'ErrnoError', errno: 51 },
      { variable: 'REKISTERI_KEYSTORE', where: '/srv/keystore/keys' },
    );
    expect(describeError(full)).toMatch(
      /^REKISTERI_KEYSTORE: the disk holding \/srv\/keystore\/keys is full/,
    );
  });

  it(
    'ends quietly when its output pipe is closed early, closing its database',
    { timeout: 120_000 },
    async () => {
      const dir = await usedRegister();
      for (const args of [['check', DEMO], ['audit', 'verify'], ['--help']]) {
        const child = track(
          spawn(process.execPath, [BIN, ...args], {
            cwd: dir,
            env: baseEnv(),
            stdio: ['ignore', 'pipe', 'pipe'],
          }),
        );
        // Like `| head -0`: the reader goes away before the first line is written.
        child.stdout.destroy();
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
        // (audit verify logs its anchor on stderr; nothing else may appear there.)
        expect(stderr, args.join(' ')).not.toMatch(/EPIPE|Error|rekisteri:/);
        expect(code, args.join(' ')).toBe(0);
      }
      expect(await exists(join(dir, 'data', 'rekisteri.lock'))).toBe(false);
      expect((await rekisteri(dir, ['audit', 'verify'])).stdout).toContain('intact');

      // Output to a full device: one line, and a failed command (no stack trace).
      const full = await open('/dev/full', 'w');
      try {
        for (const args of [['audit', 'verify'], ['--help']]) {
          const child = track(
            spawn(process.execPath, [BIN, ...args], {
              cwd: dir,
              env: baseEnv(),
              stdio: ['ignore', full.fd, 'pipe'],
            }),
          );
          let stderr = '';
          child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
          const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
          expect(code, args.join(' ')).toBe(1);
          expect(stderr, args.join(' ')).toContain('rekisteri: cannot write the output: ENOSPC\n');
          expect(stderr, args.join(' ')).not.toMatch(/ at |Error:/);
        }
      } finally {
        await full.close();
      }
      expect(await exists(join(dir, 'data', 'rekisteri.lock'))).toBe(false);
    },
  );
});
