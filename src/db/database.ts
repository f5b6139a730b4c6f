/**
 * Opens the database: a PostgreSQL server when a URL is given, otherwise the embedded PGlite in
 * a data directory. Both get the same Kysely interface, migrations and queries.
 */
import { mkdir } from 'node:fs/promises';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { PGlite } from '@electric-sql/pglite';
import type { Database } from './types.ts';
import { PGliteDialect } from './pglite-dialect.ts';

export type DatabaseKind = 'postgres' | 'pglite';

export interface DatabaseHandle {
  db: Kysely<Database>;
  kind: DatabaseKind;
  /** For the server only: the pool, used by bulk paths that stream (COPY). */
  pool?: pg.Pool;
  /** For the embedded database only: the PGlite instance (dumps, tests). */
  pglite?: PGlite;
  close(): Promise<void>;
}

// bigint columns come back as decimal strings on both drivers; numbers that must be numbers are
// cast to int in SQL.
pg.types.setTypeParser(20, (v) => v);

export async function openDatabase(opts: {
  url?: string;
  dataDir?: string;
  poolSize?: number;
}): Promise<DatabaseHandle> {
  if (opts.url) {
    const pool = new pg.Pool({ connectionString: opts.url, max: opts.poolSize ?? 10 });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, kind: 'postgres', pool, close: () => db.destroy() };
  }
  const { PGlite } = await import('@electric-sql/pglite');
  if (opts.dataDir) {
    await mkdir(opts.dataDir, { recursive: true });
  }
  const instance = await PGlite.create(opts.dataDir ?? 'memory://', {
    parsers: { 20: (v: string) => v },
  });
  const db = new Kysely<Database>({ dialect: new PGliteDialect(instance) });
  return { db, kind: 'pglite', pglite: instance, close: () => db.destroy() };
}
