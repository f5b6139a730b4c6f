/**
 * A new embedded database starts from a copy of an empty cluster instead of running initdb.
 *
 * PGlite makes a new cluster by running initdb in WebAssembly, which takes several seconds of CPU
 * (7 to 9 s on a busy 2-core machine), and then loads the result as a tarball. The result depends
 * only on the PGlite release, so it is made once and kept in `node_modules/.cache/rekisteri/`
 * under the release's version; every later new database (a first start, a new key store, every
 * embedded test database) loads that tarball, which takes about a second. An existing database is
 * never touched: PGlite loads a tarball only into a directory that holds no cluster.
 *
 * The copy is an empty cluster as initdb leaves it: no table, no role but PGlite's own, no data.
 * If the cache cannot be read or written (a read-only install), the database is made as before.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PGlite } from '@electric-sql/pglite';
import { create as createTar } from 'tar';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const CACHE_DIR = join(ROOT, 'node_modules/.cache/rekisteri');
/** A tar of an empty cluster starts with the PG_VERSION entry or a directory entry; both are ustar. */
const USTAR = Buffer.from('ustar');

let version: Promise<string | undefined> | undefined;

/** The installed PGlite release, from its package.json; undefined when it cannot be read. */
function pgliteVersion(): Promise<string | undefined> {
  version ??= readFile(join(ROOT, 'node_modules/@electric-sql/pglite/package.json'), 'utf8')
    .then((text) => {
      const v = (JSON.parse(text) as { version?: unknown }).version;
      return typeof v === 'string' && /^[\w.+-]+$/.test(v) ? v : undefined;
    })
    .catch(() => undefined);
  return version;
}

/** Whether a data directory (or memory) holds no cluster yet, so a template may be loaded into it. */
export function isNewCluster(dataDir: string | undefined): boolean {
  return dataDir === undefined || !existsSync(join(dataDir, 'PG_VERSION'));
}

/** A plain tar (not gzip): its header carries "ustar" at offset 257. */
function looksLikeTar(bytes: Buffer): boolean {
  return bytes.length > 512 && bytes.subarray(257, 262).equals(USTAR);
}

/**
 * Whether a cached tarball loads as an empty cluster (checked once per process, in memory): a file
 * that does not, planted or changed or from another build, is made again instead of used.
 */
async function isEmptyCluster(PGliteClass: typeof PGlite, tarball: Blob): Promise<boolean> {
  let probe: PGlite | undefined;
  try {
    probe = await PGliteClass.create('memory://', { loadDataDir: tarball });
    return (await unexpectedInCluster(probe)) === undefined;
  } catch {
    return false;
  } finally {
    await probe?.close().catch(() => undefined);
  }
}

let made: Promise<Blob | undefined> | undefined;

/**
 * The empty cluster of the installed PGlite release, as a tarball: read from the cache, or made
 * and written there atomically. Undefined when none can be had.
 *
 * It is made on disk and closed before it is packed, so it is a cluster that was shut down
 * cleanly: a copy loaded from it starts without crash recovery. (A tarball dumped from a running
 * instance would make every copy run recovery at start, and PGlite then leaves an interval timer
 * behind that keeps the process alive after close.)
 */
export function emptyCluster(PGliteClass: typeof PGlite): Promise<Blob | undefined> {
  made ??= (async () => {
    const v = await pgliteVersion();
    if (!v) {
      return undefined;
    }
    const file = join(CACHE_DIR, `pglite-${v}-empty-cluster.tar`);
    const cached = await readFile(file).catch(() => undefined);
    if (cached && looksLikeTar(cached)) {
      const tarball = new Blob([cached]);
      if (await isEmptyCluster(PGliteClass, tarball)) {
        return tarball;
      }
    }
    const scratch = await mkdtemp(join(tmpdir(), 'rekisteri-cluster-'));
    try {
      const cluster = join(scratch, 'data');
      const instance = await PGliteClass.create(cluster);
      await instance.close();
      await rm(join(cluster, 'postmaster.pid'), { force: true });
      const packed = join(scratch, 'cluster.tar');
      await createTar({ cwd: cluster, file: packed, portable: true }, await readdir(cluster));
      const bytes = await readFile(packed);
      if (!looksLikeTar(bytes)) {
        return undefined;
      }
      const partial = `${file}.${process.pid}.${Date.now()}.partial`;
      try {
        await mkdir(CACHE_DIR, { recursive: true });
        await writeFile(partial, bytes, { mode: 0o600 });
        await rename(partial, file);
      } catch {
        await rm(partial, { force: true }).catch(() => undefined);
      }
      return new Blob([bytes]);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  })().catch(() => undefined);
  return made;
}

/** The query side of a PGlite instance, as far as the check below uses it. */
interface Queryable {
  query<T>(sql: string): Promise<{ rows: T[] }>;
}

/**
 * What a cluster loaded from the cached tarball must not hold: the copy is trusted to be an empty
 * cluster as initdb leaves it, and a tarball planted or changed in the cache (it lives in
 * node_modules, which the server's user may write to) could otherwise hand every new database,
 * the key store's included, an event trigger that copies each new table's rows elsewhere (keys
 * kept after an erasure), a function, a role or a setting (a search_path) of its own. Answers the
 * first thing found, or undefined when the cluster is empty.
 */
export async function unexpectedInCluster(pg: Queryable): Promise<string | undefined> {
  const checks: Array<[string, string]> = [
    ['an event trigger', 'select evtname as name from pg_event_trigger'],
    [
      'a relation outside the system schemas',
      `select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')`,
    ],
    [
      'a function outside the system schemas',
      `select p.proname as name from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname not in ('pg_catalog', 'information_schema')`,
    ],
    [
      'a schema of its own',
      `select nspname as name from pg_namespace
        where nspname not in ('pg_catalog', 'information_schema', 'pg_toast', 'public')
          and nspname not like 'pg\\_temp\\_%' and nspname not like 'pg\\_toast\\_temp\\_%'`,
    ],
    [
      'a role of its own',
      `select rolname as name from pg_roles where rolname <> 'postgres' and rolname not like 'pg\\_%'`,
    ],
    ['a setting per database or role', 'select setrole::text as name from pg_db_role_setting'],
    [
      'a database of its own',
      `select datname as name from pg_database
        where datname not in ('postgres', 'template0', 'template1')`,
    ],
  ];
  for (const [what, query] of checks) {
    const { rows } = await pg.query<{ name: string }>(query);
    if (rows[0]) {
      return `${what} (${rows[0].name})`;
    }
  }
  return undefined;
}
