/**
 * Shared pieces of the benchmarks: throw-away PostgreSQL databases, a Rekisteri runtime pointed
 * at one of them, populating it with invented people, child processes for the servers under load,
 * and RSS sampling from /proc.
 *
 * Every benchmark creates its own databases named rekisteri_bench_<something> through the admin
 * connection BENCH_DATABASE_URL and drops them at the end unless told to --keep them.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { sql } from 'kysely';
import pg from 'pg';
import { loadConfig } from '../src/config/config.ts';
import { inventPeople, inventPerson, randomGenerator } from '../src/demo/people.ts';
import { operator } from '../src/lib/actor.ts';
import { DEMO_REGISTER, openRuntime, type Runtime } from '../src/runtime.ts';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Scratch space for generated files and kept-database notes (gitignored). */
export const WORK_DIR = fileURLToPath(new URL('./.work/', import.meta.url));
export const ADMIN_URL =
  process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** The purpose and source invented people are collected for, as `rekisteri seed` does. */
export const SEED_PURPOSE = 'customer_relationship';
export const SEED_SOURCE = 'subject';
/** The purpose the lookup and memory benchmarks read for. */
export const READ_PURPOSE = 'newsletter';

// ---------------------------------------------------------------------------------------------
// Options and output
// ---------------------------------------------------------------------------------------------

type OptionSpec = Record<string, { type: 'string' | 'boolean' }>;
export type OptionValues<T extends OptionSpec> = {
  [K in keyof T]?: T[K]['type'] extends 'boolean' ? boolean : string;
};

/** parseArgs over process.argv, strict; prints the usage and exits on --help or a bad option. */
export function options<T extends OptionSpec>(spec: T, usage: string): OptionValues<T> {
  try {
    const config: ParseArgsConfig = {
      options: { ...spec, help: { type: 'boolean' } },
      strict: true,
    };
    const { values } = parseArgs(config);
    if (values.help === true) {
      console.log(usage);
      process.exit(0);
    }
    return values as OptionValues<T>;
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${usage}`);
    process.exit(2);
  }
}

/** A whole number option, with a default; exits with a message when it is not one. */
export function intOption(
  value: string | undefined,
  name: string,
  fallback: number,
  min = 1,
): number {
  if (value === undefined) {
    return fallback;
  }
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    console.error(`--${name}: expected a whole number of at least ${min}`);
    process.exit(2);
  }
  return n;
}

export function stringOption(value: string | undefined): string | undefined {
  return value === '' ? undefined : value;
}

export const seconds = (ms: number) => ms / 1000;
export const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
export const log = (message: string) => console.error(`bench: ${message}`);

/** Times an async function in milliseconds. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const start = process.hrtime.bigint();
  const result = await fn();
  return { result, ms: Number(process.hrtime.bigint() - start) / 1e6 };
}

/** CPU seconds used so far by every PostgreSQL process on this machine (from /proc), or null. */
export async function postgresCpuSeconds(): Promise<number | null> {
  const tick = 100; // USER_HZ on Linux
  let total = 0;
  let found = false;
  let pids: string[];
  try {
    pids = (await readdir('/proc')).filter((d) => /^\d+$/.test(d));
  } catch {
    return null;
  }
  for (const pid of pids) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    const close = stat.lastIndexOf(')');
    if (!stat.slice(stat.indexOf('(') + 1, close).startsWith('postgres')) {
      continue;
    }
    // Fields after the command: state is 3rd, utime 14th and stime 15th of the whole line.
    const rest = stat.slice(close + 2).split(' ');
    total += (Number(rest[11]) + Number(rest[12])) / tick;
    found = true;
  }
  return found ? total : null;
}

/**
 * Times an async function and counts the CPU it cost: this process (all its threads) and the
 * PostgreSQL processes on this machine, in seconds.
 */
export async function timedCpu<T>(
  fn: () => Promise<T>,
): Promise<{ result: T; ms: number; nodeCpu: number; postgresCpu: number | null }> {
  const pgBefore = await postgresCpuSeconds();
  const before = process.cpuUsage();
  const { result, ms } = await timed(fn);
  const used = process.cpuUsage(before);
  const pgAfter = await postgresCpuSeconds();
  return {
    result,
    ms,
    nodeCpu: (used.user + used.system) / 1e6,
    postgresCpu: pgBefore === null || pgAfter === null ? null : pgAfter - pgBefore,
  };
}

// ---------------------------------------------------------------------------------------------
// Databases
// ---------------------------------------------------------------------------------------------

/** The URL of database `name` on the admin connection's server. */
export function databaseUrl(name: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1));
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const ident = (name: string) => {
  if (!/^rekisteri_bench_[a-z0-9_]+$/.test(name)) {
    throw new Error(`refusing to touch database "${name}": not a rekisteri_bench_* name`);
  }
  return `"${name}"`;
};

/** The key store's database beside a benchmark's data database `name`. */
const keysName = (name: string) => `${name}_keys`;

/**
 * Creates database `name` afresh (dropping a leftover of an earlier run), with its key store's
 * database beside it, and returns the data database's URL.
 */
export async function createDatabase(name: string): Promise<string> {
  await withAdmin(async (c) => {
    for (const n of [name, keysName(name)]) {
      await c.query(`drop database if exists ${ident(n)} with (force)`);
      await c.query(`create database ${ident(n)}`);
    }
  });
  return databaseUrl(name);
}

export async function dropDatabase(name: string): Promise<void> {
  await withAdmin(async (c) => {
    for (const n of [name, keysName(name)]) {
      await c.query(`drop database if exists ${ident(n)} with (force)`);
    }
  });
}

/**
 * Asks PostgreSQL to write out dirty buffers now, so that one timed phase does not pay for the
 * writes of the phase before it. Needs superuser or pg_checkpoint; skipped quietly otherwise.
 */
export async function checkpoint(): Promise<void> {
  try {
    await withAdmin((c) => c.query('checkpoint'));
  } catch {
    // Not permitted: the phases then simply share the background writer.
  }
}

export async function databaseSize(name: string): Promise<number> {
  return withAdmin(async (c) => {
    const r = await c.query<{ n: string }>('select pg_database_size($1)::text as n', [name]);
    return Number(r.rows[0]?.n ?? 0);
  });
}

// ---------------------------------------------------------------------------------------------
// Runtime
// ---------------------------------------------------------------------------------------------

export const newMasterKey = () => randomBytes(32).toString('hex');

/** The environment the real server gets for a database, a master key and the demo register. */
export function serverEnv(url: string, masterKey: string): Record<string, string> {
  return {
    DATABASE_URL: url,
    KEYSTORE_DATABASE_URL: databaseUrl(keysName(databaseName(url))),
    REKISTERI_MASTER_KEY: masterKey,
    REKISTERI_REGISTER: DEMO_REGISTER,
    // Never invent demo people into a benchmark database.
    REKISTERI_DEMO_PEOPLE: '0',
    // The audience export hands out unsubscribe links, which need an https:// PUBLIC_URL.
    PUBLIC_URL: 'https://rekisteri.example.fi',
  };
}

/** The runtime exactly as src/runtime.ts builds it, but for the given database and key. */
export async function openBenchRuntime(url: string, masterKey: string): Promise<Runtime> {
  return openRuntime(loadConfig(serverEnv(url, masterKey)), { createKey: false });
}

// ---------------------------------------------------------------------------------------------
// Populated databases, shared by lookup.ts and memory.ts
// ---------------------------------------------------------------------------------------------

/** A database holding `people` invented people numbered 1..people from `seed`. */
export interface Population {
  url: string;
  name: string;
  masterKey: string;
  people: number;
  seed: number;
  /** True when this run created the database (and so should drop it unless --keep). */
  created: boolean;
}

/** Where a kept database's URL and master key are noted, so a later run can reuse it. */
const notePath = (name: string) => `${WORK_DIR}${name}.json`;
const SETTINGS_KEY = 'bench_population';

/** Adds invented people through services.imports.createMany, the path `rekisteri seed` takes. */
export async function populate(rt: Runtime, people: number, seed: number): Promise<number> {
  const started = Date.now();
  let next = 0.1;
  const counts = await rt.services.imports.createMany(operator, {
    purpose: SEED_PURPOSE,
    source: SEED_SOURCE,
    records: inventPeople(rt.register, SEED_PURPOSE, people, seed),
    batchSize: 2000,
    onBatch: (created) => {
      // A line at every tenth of the way.
      if (created >= next * people) {
        const rate = created / seconds(Date.now() - started);
        log(`populated ${fmt(created)} / ${fmt(people)} (${fmt(rate)} people/s)`);
        while (next * people <= created) {
          next += 0.1;
        }
      }
    },
  });
  if (counts.created !== people) {
    throw new Error(`populating created ${counts.created} people, expected ${people}`);
  }
  // A running server seals the access log every second; here nobody did, so seal it now, or the
  // measured server would spend its first minutes catching up.
  const sealed = await rt.services.audit.seal();
  log(`sealed ${fmt(sealed)} access-log entries`);
  await sql`analyze`.execute(rt.database.db);
  return Date.now() - started;
}

/**
 * Either reuses the database at `databaseUrl` (populated earlier by a benchmark run with --keep,
 * or by bench/populate.ts) or creates `rekisteri_bench_<name>` and populates it.
 */
export async function preparePopulation(opts: {
  name: string;
  people: number;
  seed: number;
  databaseUrl?: string | undefined;
  masterKey?: string | undefined;
}): Promise<Population> {
  if (opts.databaseUrl) {
    const name = databaseName(opts.databaseUrl);
    let masterKey = opts.masterKey;
    if (!masterKey) {
      const note = await readNote(name);
      if (!note) {
        throw new Error(`--master-key is needed for ${name} (no note of it in ${notePath(name)})`);
      }
      masterKey = note.masterKey;
    }
    const rt = await openBenchRuntime(opts.databaseUrl, masterKey);
    try {
      const row = await rt.database.db
        .selectFrom('settings')
        .select('value')
        .where('key', '=', SETTINGS_KEY)
        .executeTakeFirst();
      const recorded = row ? (JSON.parse(row.value) as { people: number; seed: number }) : null;
      const people = recorded?.people ?? (await rt.services.subjects.countSubjects());
      log(
        `reusing ${name}: ${fmt(people)} people` +
          (recorded ? ` (seed ${recorded.seed})` : ' (no population record; assuming --seed)'),
      );
      return {
        url: opts.databaseUrl,
        name,
        masterKey,
        people,
        seed: recorded?.seed ?? opts.seed,
        created: false,
      };
    } finally {
      await rt.close();
    }
  }
  const name = `rekisteri_bench_${opts.name}`;
  const url = await createDatabase(name);
  const masterKey = opts.masterKey ?? newMasterKey();
  log(`created ${name}; populating ${fmt(opts.people)} people (seed ${opts.seed})`);
  const rt = await openBenchRuntime(url, masterKey);
  try {
    const ms = await populate(rt, opts.people, opts.seed);
    log(`populated in ${fmt(seconds(ms), 1)} s (${fmt(opts.people / seconds(ms))} people/s)`);
    await rt.database.db
      .insertInto('settings')
      .values({
        key: SETTINGS_KEY,
        value: JSON.stringify({ people: opts.people, seed: opts.seed }),
      })
      .execute();
  } catch (err) {
    await rt.close();
    await dropDatabase(name);
    throw err;
  }
  await rt.close();
  return { url, name, masterKey, people: opts.people, seed: opts.seed, created: true };
}

/** Drops a database this run created, or notes how to reuse it when kept. */
export async function releasePopulation(p: Population, keep: boolean, script: string) {
  if (!p.created) {
    return;
  }
  if (!keep) {
    await dropDatabase(p.name);
    log(`dropped ${p.name}`);
    return;
  }
  await mkdir(WORK_DIR, { recursive: true });
  await writeFile(notePath(p.name), JSON.stringify({ url: p.url, masterKey: p.masterKey }), {
    mode: 0o600,
  });
  log(`kept ${p.name}; its master key is in ${notePath(p.name)}. Reuse it with`);
  log(`  node --import tsx bench/${script}.ts --database-url ${p.url}`);
}

async function readNote(name: string): Promise<{ url: string; masterKey: string } | null> {
  try {
    return JSON.parse(await readFile(notePath(name), 'utf8')) as {
      url: string;
      masterKey: string;
    };
  } catch {
    return null;
  }
}

/**
 * `count` e-mail addresses of people in a population, spread evenly over 1..people. Replays
 * inventPerson with the same seed, as inventPeople does (it numbers people from 1).
 */
export function sampleEmails(people: number, seed: number, count: number): string[] {
  const want = Math.min(count, people);
  const step = people / want;
  const rnd = randomGenerator(seed);
  const out: string[] = [];
  let nextPick = 1;
  for (let n = 1; n <= people && out.length < want; n++) {
    const p = inventPerson(n, rnd);
    if (n >= nextPick) {
      out.push(p.email);
      nextPick = Math.floor(1 + out.length * step);
    }
  }
  return out;
}

/** An API key for the benchmark's load, created through the service as the CLI does. */
export async function createApiKey(
  rt: Runtime,
  purposes: string[],
  actions: string[] = ['read'],
): Promise<string> {
  const { token } = await rt.services.apiKeys.createApiKey(operator, {
    name: `bench ${new Date().toISOString()}`,
    purposes,
    actions,
  });
  return token;
}

// ---------------------------------------------------------------------------------------------
// Child processes
// ---------------------------------------------------------------------------------------------

/** A free TCP port on 127.0.0.1 (free when asked; good enough for a benchmark). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

export interface ServerChild {
  child: ChildProcess;
  url: string;
  stop(): Promise<void>;
}

/**
 * Forks bench/server.ts (under tsx) in `mode`, waits for it to report its URL over IPC. The load
 * generator stays in this process, so the server has its own event loop.
 */
export async function forkServer(
  mode: 'rekisteri' | 'bare',
  env: Record<string, string>,
): Promise<ServerChild> {
  const child = fork(fileURLToPath(new URL('./server.ts', import.meta.url)), [mode], {
    // BENCH_PROFILE=1 writes a CPU profile of each server to bench/.work/profiles/ on exit.
    execArgv: [
      '--import',
      'tsx',
      ...(process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=bench/.work/profiles'] : []),
    ],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (m: { ready?: string }) =>
      m.ready ? resolve(m.ready) : reject(new Error('server did not start')),
    );
    child.once('exit', (code) => reject(new Error(`the ${mode} server exited with ${code}`)));
  });
  return { child, url, stop: () => stopChild(child) };
}

/** SIGTERM, then SIGKILL after 10 s; resolves when the process has gone. */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Polls `url` until it answers 200, or fails after `timeoutMs`. */
export async function waitForHttp(url: string, timeoutMs = 60_000, alive = () => true) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive()) {
      throw new Error(`the server exited before ${url} answered`);
    }
    try {
      const res = await fetch(url);
      if (res.ok) {
        return;
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

// ---------------------------------------------------------------------------------------------
// Memory
// ---------------------------------------------------------------------------------------------

/** Reads VmRSS and VmHWM (peak RSS as the kernel saw it) in bytes, or null once the pid is gone. */
export async function readMemory(pid: number): Promise<{ rss: number; hwm: number } | null> {
  try {
    const text = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1]);
    return { rss: kb('VmRSS') * 1024, hwm: kb('VmHWM') * 1024 };
  } catch {
    return null;
  }
}

/** The descendants of `pid` (tsx may run an esbuild service beside node). */
async function descendants(pid: number): Promise<number[]> {
  const out: number[] = [];
  try {
    for (const tid of await readdir(`/proc/${pid}/task`)) {
      const text = await readFile(`/proc/${pid}/task/${tid}/children`, 'utf8').catch(() => '');
      for (const c of text.split(/\s+/).filter(Boolean).map(Number)) {
        out.push(c, ...(await descendants(c)));
      }
    }
  } catch {
    // gone
  }
  return out;
}

export interface RssSample {
  /** ms since sampling started */
  t: number;
  /** RSS of the process itself */
  rss: number;
  /** RSS of the process and its descendants */
  treeRss: number;
}

/** Samples the RSS of `pid` (and of its process tree) every `intervalMs`. */
export function sampleRss(pid: number, intervalMs: number) {
  const samples: RssSample[] = [];
  const start = Date.now();
  let lastHwm = 0;
  let busy = false;
  const tick = async () => {
    if (busy) {
      return;
    }
    busy = true;
    try {
      const own = await readMemory(pid);
      if (!own) {
        return;
      }
      lastHwm = own.hwm;
      let tree = own.rss;
      for (const c of await descendants(pid)) {
        tree += (await readMemory(c))?.rss ?? 0;
      }
      samples.push({ t: Date.now() - start, rss: own.rss, treeRss: tree });
    } finally {
      busy = false;
    }
  };
  void tick();
  const timer = setInterval(() => void tick(), intervalMs);
  return {
    samples,
    /** ms since sampling started */
    now: () => Date.now() - start,
    /** The kernel's peak RSS of the process, as of the last sample. */
    hwm: () => lastHwm,
    async stop() {
      clearInterval(timer);
      await tick();
    },
  };
}

export const mb = (bytes: number) => bytes / 1024 / 1024;

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) {
    return 0;
  }
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}
