/**
 * The floor under bench/audience.ts: what an audience export of a populated register cannot be
 * faster than on this machine, in three parts, each in this one process (no server, no HTTP):
 *
 *  1. PostgreSQL alone: the export's own statement (src/modules/subjects/audience.repo.ts,
 *     `pageSql`) for the whole audience at once, counted inside the server (no rows sent), and
 *     the key store's keys of everyone likewise.
 *  2. Reading through the client: every page and its keys as the export reads them (one page read
 *     ahead), parsed by the driver, nothing opened.
 *  3. The cryptography alone: for `--crypto` people (default 1,000,000), cycling over the first
 *     pages' people, each person's key unwrapped, their rows opened (AES-256-GCM) and one
 *     unsubscribe link issued, as the export does, with nothing else.
 *
 *   node --import tsx bench/audience-floor.ts --database-url postgres://…/rekisteri_bench_aud \
 *     --master-key <hex> [--purpose newsletter] [--channel email] [--crypto 1000000] [--skip-read]
 */
import { sql } from 'kysely';
import pg from 'pg';
import type { FieldMeta } from '../src/db/types.ts';
import { createUnsubscribeLinks } from '../src/modules/permissions/index.ts';
// The floor is measured on the export's own statement and codec, which the subjects module keeps
// internal (its index exports nothing that reads without authorising): a benchmark may look inside.
/* eslint-disable rekisteri/module-boundaries */
import { audienceRepo, pageSql } from '../src/modules/subjects/audience.repo.ts';
import type { AudiencePageRow } from '../src/modules/subjects/audience.repo.ts';
import { createSubjectCodec } from '../src/modules/subjects/subject-codec.ts';
/* eslint-enable rekisteri/module-boundaries */
import { fmt, intOption, log, openBenchRuntime, options, stringOption } from './lib.ts';

const USAGE = `usage: node --import tsx bench/audience-floor.ts --database-url <u> --master-key <hex> [options]

  --purpose <id>      a marketing purpose (default newsletter)
  --channel <id>      one of its channels (default email)
  --crypto <n>        people to open in the cryptography part (default 1000000)
  --skip-read         leave out part 2 (reading every page through the client)
  --explain           first print the plan of one page, with its timings`;

const opts = options(
  {
    'database-url': { type: 'string' },
    'master-key': { type: 'string' },
    purpose: { type: 'string' },
    channel: { type: 'string' },
    crypto: { type: 'string' },
    'skip-read': { type: 'boolean' },
    explain: { type: 'boolean' },
  },
  USAGE,
);
const url = stringOption(opts['database-url']);
const masterKey = stringOption(opts['master-key']);
if (!url || !masterKey) {
  console.error(USAGE);
  process.exit(2);
}
const purpose = stringOption(opts.purpose) ?? 'newsletter';
const channel = stringOption(opts.channel) ?? 'email';
const cryptoPeople = intOption(opts.crypto, 'crypto', 1_000_000);
const PAGE = 2000;
const parseTimestamptz = pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ) as (
  text: string,
) => Date;

const rt = await openBenchRuntime(url, masterKey);
try {
  const { register } = rt;
  const db = rt.database.db;
  const marketing = register.marketing.purpose(purpose);
  if (!marketing) {
    throw new Error(`${purpose} is not a marketing purpose`);
  }
  const allowed = register.categoriesOf(purpose);
  const categories = [
    ...new Set(
      (register.marketing.channel(channel)?.fields ?? [])
        .filter((f) => allowed.has(f.category))
        .map((f) => f.category),
    ),
  ];
  const q = {
    purpose,
    marketing,
    purposeCategories: [...allowed],
    channelCategories: categories,
    channel,
    categories,
  };
  const result: Record<string, unknown> = { purpose, channel, categories };

  if (opts.explain) {
    // The plan of one page as the export runs it (JIT and parallel workers off), with its timings.
    const plan = await db.connection().execute(async (conn) => {
      await sql`set jit = off`.execute(conn);
      await sql`set max_parallel_workers_per_gather = 0`.execute(conn);
      await sql`set statement_timeout = 0`.execute(conn);
      const page = pageSql({ ...q, limit: PAGE }).compile(db);
      return conn.executeQuery<{ 'QUERY PLAN': string }>({
        ...page,
        sql: `explain (analyze, buffers) ${page.sql}`,
      });
    });
    console.log(plan.rows.map((r) => r['QUERY PLAN']).join('\n'));
  }

  // 1. PostgreSQL alone.
  {
    const t0 = Date.now();
    const r = await db.connection().execute(async (conn) => {
      await sql`set jit = off`.execute(conn);
      await sql`set max_parallel_workers_per_gather = 0`.execute(conn);
      await sql`set statement_timeout = 0`.execute(conn);
      const inner = pageSql({ ...q, limit: 2_000_000_000 });
      return sql<{ people: number; rows: number; bytes: string }>`
        select count(distinct x.id)::int as people, count(*)::int as rows,
               coalesce(sum(octet_length(x.sealed)), 0)::text as bytes
          from (${inner}) x`.execute(conn);
    });
    const dataMs = Date.now() - t0;
    const t1 = Date.now();
    const k = await sql<{ n: number }>`
      select count(*)::int as n from person_keys where octet_length(wrapped) > 0`.execute(
      rt.keys.db,
    );
    const keysMs = Date.now() - t1;
    const row = r.rows[0];
    result.postgresAlone = {
      people: row?.people,
      valueRows: row?.rows,
      sealedBytes: Number(row?.bytes),
      dataSeconds: dataMs / 1000,
      keyStoreSeconds: keysMs / 1000,
      keysRead: k.rows[0]?.n,
    };
    log(
      `PostgreSQL alone: ${fmt(row?.people ?? 0)} people, ${fmt(row?.rows ?? 0)} rows in ${fmt(dataMs / 1000, 2)} s; the key store's ${fmt(k.rows[0]?.n ?? 0)} keys in ${fmt(keysMs / 1000, 2)} s`,
    );
  }

  // 2. Every page through the client, nothing opened; the first pages kept for part 3.
  const sample: Array<{ rows: AudiencePageRow[]; wrapped: Map<string, Buffer> }> = [];
  const readPage = async (after: string | undefined) => {
    const rows = await audienceRepo.pageWithValues(db, {
      ...q,
      limit: PAGE,
      ...(after ? { after } : {}),
    });
    const ids = [...new Set(rows.map((r) => r.id))];
    return { rows, ids, wrapped: rt.keys.getMany(ids) };
  };
  {
    const t0 = Date.now();
    let people = 0;
    let page = await readPage(undefined);
    for (;;) {
      // With --skip-read only the first page is read: no page ahead is left unawaited.
      const next =
        page.ids.length === PAGE && !opts['skip-read'] ? readPage(page.ids.at(-1)) : null;
      const wrapped = await page.wrapped;
      people += page.ids.length;
      if (sample.length < 10) {
        sample.push({ rows: page.rows, wrapped });
      }
      if (!next) {
        break;
      }
      page = await next;
    }
    const ms = Date.now() - t0;
    if (!opts['skip-read']) {
      result.clientRead = {
        people,
        seconds: ms / 1000,
        peoplePerSecond: Math.round(people / (ms / 1000)),
      };
      log(`read through the client: ${fmt(people)} people in ${fmt(ms / 1000, 2)} s`);
    }
  }

  // 3. The cryptography alone.
  {
    const vault = rt.services.vault;
    const codec = createSubjectCodec(register, vault);
    const links = createUnsubscribeLinks({ vault, publicUrl: 'https://rekisteri.example.fi' });
    const urlOf = links.urls({ purpose, channel });
    const people = sample.flatMap(({ rows, wrapped }) => {
      const byId = new Map<string, AudiencePageRow[]>();
      for (const r of rows) {
        byId.set(r.id, [...(byId.get(r.id) ?? []), r]);
      }
      return [...byId].flatMap(([id, rs]) => {
        const w = wrapped.get(id);
        return w
          ? [
              {
                id,
                wrapped: w,
                rows: rs
                  .filter((r) => r.sealed !== null)
                  .map((r) => ({
                    category: r.category as string,
                    version: r.version as number,
                    sealed: r.sealed as Buffer,
                    provenance: codec.provenanceText({
                      default: {
                        source: r.source as string,
                        purpose: r.purpose as string,
                        collectedAt: parseTimestamptz(r.collected_at as string).toISOString(),
                      },
                      fields: r.field_meta
                        ? (JSON.parse(r.field_meta) as Record<string, FieldMeta>)
                        : {},
                    }),
                  })),
              },
            ]
          : [];
      });
    });
    if (people.length === 0) {
      throw new Error('no people to open');
    }
    let bytes = 0;
    const t0 = process.cpuUsage();
    const w0 = Date.now();
    for (let i = 0; i < cryptoPeople; i++) {
      const p = people[i % people.length] as (typeof people)[number];
      const key = codec.key(p.id, p.wrapped);
      for (const r of p.rows) {
        bytes += Object.keys(
          codec.openSealed(key, p.id, r.category, r.version, r.provenance, r.sealed),
        ).length;
      }
      bytes += urlOf(p.id).length;
    }
    const wallMs = Date.now() - w0;
    const cpu = process.cpuUsage(t0);
    result.cryptoAlone = {
      people: cryptoPeople,
      distinct: people.length,
      seconds: wallMs / 1000,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      microsecondsPerPerson: Math.round(((cpu.user + cpu.system) / cryptoPeople) * 10) / 10,
      checksum: bytes,
    };
    log(
      `cryptography alone: ${fmt(cryptoPeople)} people (cycling over ${fmt(people.length)}) in ${fmt(wallMs / 1000, 2)} s, CPU ${fmt((cpu.user + cpu.system) / 1e6, 2)} s`,
    );
  }
  console.log(JSON.stringify(result, null, 2));
} finally {
  await rt.close();
}
