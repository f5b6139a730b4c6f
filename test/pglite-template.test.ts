/**
 * A new embedded database is a copy of a cached empty cluster (src/db/pglite-template.ts): it must
 * be empty, must never replace a database that exists, and must leave nothing running after close.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/database.ts';
import { unexpectedInCluster } from '../src/db/pglite-template.ts';
import { ROOT } from './helpers.ts';

const exec = promisify(execFile);

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'rekisteri-template-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('a new embedded database', () => {
  it('starts empty: no table of ours, no row, only the stock databases', async () => {
    const handle = await openDatabase({});
    try {
      const tables = await sql<{ n: number }>`
        select count(*)::int as n from information_schema.tables
         where table_schema not in ('pg_catalog', 'information_schema')`.execute(handle.db);
      expect(tables.rows[0]?.n).toBe(0);
      const databases = await sql<{ datname: string }>`
        select datname from pg_database order by datname`.execute(handle.db);
      expect(databases.rows.map((r) => r.datname)).toEqual(['postgres', 'template0', 'template1']);
    } finally {
      await handle.close();
    }
  });

  it('never replaces a database that exists: its rows are there after a reopen', async () => {
    const dir = join(scratch, 'kept');
    const first = await openDatabase({ dataDir: dir });
    await sql`create table kept (note text)`.execute(first.db);
    await sql`insert into kept values ('still here')`.execute(first.db);
    await first.close();
    const again = await openDatabase({ dataDir: dir });
    try {
      const rows = await sql<{ note: string }>`select note from kept`.execute(again.db);
      expect(rows.rows).toEqual([{ note: 'still here' }]);
    } finally {
      await again.close();
    }
  });

  it('leaves nothing running once closed: the process ends on its own', async () => {
    // A copy of a cluster that was not shut down cleanly starts with crash recovery, and PGlite
    // then leaves an interval timer behind that keeps the process alive after close.
    const script = join(scratch, 'probe.mts');
    await writeFile(
      script,
      [
        `import { openDatabase } from ${JSON.stringify(join(ROOT, 'src/db/database.ts'))};`,
        'const a = await openDatabase({});',
        'await a.close();',
        `const b = await openDatabase({ dataDir: ${JSON.stringify(join(scratch, 'probe'))} });`,
        'await b.close();',
        "console.log('closed');",
      ].join('\n'),
    );
    try {
      const started = Date.now();
      const { stdout } = await exec(process.execPath, ['--import', 'tsx', script], {
        cwd: ROOT,
        timeout: 60_000,
      });
      expect(stdout.trim()).toBe('closed');
      // Opening two databases takes a few seconds; a timer left behind would hold it for good.
      expect(Date.now() - started).toBeLessThan(55_000);
    } finally {
      await rm(script, { force: true });
    }
  });
});

describe('a cached cluster that is not empty', () => {
  // The cache is checked (in memory, once per process) before any database is made from it; a
  // tarball planted or changed in node_modules/.cache is made again instead of used.
  it.each([
    [
      'an event trigger',
      [
        `create function public.keep_copy() returns event_trigger language plpgsql as $$ begin end $$`,
        `create event trigger keep_copy on ddl_command_end execute function public.keep_copy()`,
      ],
    ],
    ['a relation outside the system schemas', ['create table public.planted (x int)']],
    [
      'a function outside the system schemas',
      ['create function public.planted() returns int language sql as $$ select 1 $$'],
    ],
    ['a schema of its own', ['create schema planted']],
    ['a role of its own', ['create role planted']],
    [
      'a setting per database or role',
      ['alter database postgres set search_path = planted, public'],
    ],
    ['a database of its own', ['create database planted']],
  ])('is refused when it holds %s', async (what, statements) => {
    const handle = await openDatabase({});
    try {
      const pg = handle.pglite;
      if (!pg) {
        throw new Error('expected the embedded database');
      }
      expect(await unexpectedInCluster(pg)).toBeUndefined();
      for (const statement of statements) {
        await pg.exec(statement);
      }
      expect(await unexpectedInCluster(pg)).toMatch(new RegExp(`^${what} \\(`));
    } finally {
      await handle.close();
    }
  });
});
