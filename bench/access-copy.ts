/**
 * Target: an access copy of one person among 1,000,000, with the ZIP built (JSON, CSV, HTML and
 * PDF), in at most 200 ms.
 *
 * Reuses a populated database (bench/populate.ts --people 1000000, or --database-url) or
 * populates a fresh one with --people. Picks --runs people spread over the population by their
 * id (a read-only sample of the subjects table), and for each, one after another, times what an
 * access request does: `services.subjects.exportSubject` as operator (authorisation, the
 * person's key from the key store, opening every category, the history, the access-log entry of
 * the export and the person's own view of the log) and then `buildAccessPackage`. The first
 * --warmup runs are not counted. The only writes are those of the normal export path: one
 * access-log entry per export.
 *
 *   node --import tsx bench/access-copy.ts --database-url …/rekisteri_bench_shared [--runs 60]
 */
import { sql } from 'kysely';
import { operator } from '../src/lib/actor.ts';
import { buildAccessPackage } from '../src/modules/subjects/index.ts';
import {
  fmt,
  intOption,
  log,
  openBenchRuntime,
  options,
  preparePopulation,
  releasePopulation,
  stringOption,
} from './lib.ts';

const USAGE = `usage: node --import tsx bench/access-copy.ts [options]

  --people <n>         people to populate a fresh database with (default 1000000)
  --database-url <u>   reuse this populated database instead (kept by an earlier --keep run)
  --master-key <hex>   its master key (default: from bench/.work/<database>.json)
  --seed <n>           seed of the invented people (default 1)
  --runs <n>           access copies measured (default 60)
  --warmup <n>         access copies made first and not counted (default 5)
  --lang <sv|fi|en>    the language of the copy (default fi)
  --portability        also build portable.json and portable.csv
  --limit <ms>         the target for p95 (default 200)
  --keep               keep the database this run created`;

const opts = options(
  {
    people: { type: 'string' },
    'database-url': { type: 'string' },
    'master-key': { type: 'string' },
    seed: { type: 'string' },
    runs: { type: 'string' },
    warmup: { type: 'string' },
    lang: { type: 'string' },
    portability: { type: 'boolean' },
    limit: { type: 'string' },
    keep: { type: 'boolean' },
  },
  USAGE,
);
const people = intOption(opts.people, 'people', 1_000_000);
const seed = intOption(opts.seed, 'seed', 1);
const runs = intOption(opts.runs, 'runs', 60);
const warmup = intOption(opts.warmup, 'warmup', 5, 0);
const limit = intOption(opts.limit, 'limit', 200);
const lang = (stringOption(opts.lang) ?? 'fi') as 'sv' | 'fi' | 'en';
if (!['sv', 'fi', 'en'].includes(lang)) {
  console.error(USAGE);
  process.exit(2);
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) {
    return 0;
  }
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)] as number;
}

async function main() {
  const population = await preparePopulation({
    name: 'access_copy',
    people,
    seed,
    databaseUrl: stringOption(opts['database-url']),
    masterKey: stringOption(opts['master-key']),
  });
  const rt = await openBenchRuntime(population.url, population.masterKey);
  try {
    // People spread over the whole population: the first id at or after evenly spaced points of
    // the id space (ids are UUIDv7, so this also spreads them over the time they were created).
    const want = runs + warmup;
    const edge = async (dir: 'asc' | 'desc') =>
      (
        await sql<{ id: string }>`
          select id::text as id from subjects where erased_at is null
          order by id ${sql.raw(dir)} limit 1
        `.execute(rt.database.db)
      ).rows[0]?.id ?? '';
    const lo = await edge('asc');
    const hi = await edge('desc');
    const toBig = (u: string) => BigInt(`0x${u.replaceAll('-', '')}`);
    const toUuid = (n: bigint) => {
      const h = n.toString(16).padStart(32, '0');
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    };
    const span = toBig(hi) - toBig(lo);
    const ids: string[] = [];
    for (let k = 0; k < want; k++) {
      const at = toUuid(toBig(lo) + (span * BigInt(k)) / BigInt(want));
      const r = await sql<{ id: string }>`
        select id::text as id from subjects where id >= ${at}::uuid and erased_at is null
        order by id limit 1
      `.execute(rt.database.db);
      const id = r.rows[0]?.id;
      if (id && !ids.includes(id)) {
        ids.push(id);
      }
    }
    log(`${fmt(ids.length)} people picked across ${fmt(population.people)}`);

    const total: number[] = [];
    const exportMs: number[] = [];
    const packageMs: number[] = [];
    const cpuMs: number[] = [];
    let bytes = 0;
    for (const [k, id] of ids.entries()) {
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const copy = await rt.services.subjects.exportSubject(operator, id, lang);
      const t1 = performance.now();
      const zip = await buildAccessPackage(copy, rt.register, lang, {
        portability: opts.portability ?? false,
      });
      const t2 = performance.now();
      const cpu = process.cpuUsage(cpu0);
      if (Object.keys(copy.categories).length === 0 || zip.length < 1000) {
        throw new Error(`the access copy of ${id} is empty`);
      }
      if (k >= warmup) {
        total.push(t2 - t0);
        exportMs.push(t1 - t0);
        packageMs.push(t2 - t1);
        cpuMs.push((cpu.user + cpu.system) / 1000);
        bytes += zip.length;
      }
    }
    const stats = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      return { p50: percentile(s, 50), p95: percentile(s, 95), max: s[s.length - 1] ?? 0 };
    };
    const all = stats(total);
    const ex = stats(exportMs);
    const pk = stats(packageMs);
    const cp = stats(cpuMs);
    const row = (label: string, x: { p50: number; p95: number; max: number }) =>
      `${label.padEnd(28)} ${fmt(x.p50, 1).padStart(8)} ${fmt(x.p95, 1).padStart(8)} ${fmt(x.max, 1).padStart(8)}`;
    console.log(
      `access copy with the ZIP built, ${fmt(total.length)} runs, ${fmt(population.people)} people, lang ${lang}`,
    );
    console.log(
      `${''.padEnd(28)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'max ms'.padStart(8)}`,
    );
    console.log(row('exportSubject', ex));
    console.log(row('buildAccessPackage', pk));
    console.log(row('total', all));
    console.log(row('CPU of this process (total)', cp));
    console.log(
      `mean ZIP size ${fmt(bytes / Math.max(1, total.length) / 1024, 1)} KiB; target p95 ≤ ${limit} ms: ${all.p95 <= limit ? 'met' : 'MISSED'}`,
    );
    console.log(
      JSON.stringify({
        bench: 'access-copy',
        people: population.people,
        runs: total.length,
        lang,
        p50: Math.round(all.p50 * 10) / 10,
        p95: Math.round(all.p95 * 10) / 10,
        max: Math.round(all.max * 10) / 10,
        exportP50: Math.round(ex.p50 * 10) / 10,
        packageP50: Math.round(pk.p50 * 10) / 10,
        cpuP50: Math.round(cp.p50 * 10) / 10,
        limit,
        pass: all.p95 <= limit,
      }),
    );
  } finally {
    await rt.close();
    await releasePopulation(population, opts.keep ?? false, 'access-copy');
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
