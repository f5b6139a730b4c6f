/**
 * Target: import 1,000,000 rows at >= 50 % of the rate of a plain COPY of the same rows into an
 * equivalent plaintext table, measured side by side.
 *
 * 1. Writes one CSV of --rows invented contacts (bench/contacts.ts: deterministic, unique e-mail
 *    addresses, long-tailed names) to bench/.work/.
 * 2. Baseline: a fresh database with a plaintext table of the same six text columns, a unique
 *    index on email and a btree index on phone (what Rekisteri indexes uniquely and plainly), and
 *    `COPY … FROM STDIN (FORMAT csv, HEADER true)` of the file, timed.
 * 3. Rekisteri: another fresh database, the runtime as the server builds it, and
 *    services.imports.importFile of the same file through a mapping, timed: reading, checking,
 *    sealing, blind-indexing, deduplicating and writing in batches with resumable bookkeeping.
 * 4. The floor: PostgreSQL alone copying what the import stored into empty tables with the same
 *    indexes, inside the server. No import of these rows can be faster on this machine.
 *
 * Each line also gives the CPU time per row of this process (all threads) and of PostgreSQL.
 *
 *   node --import tsx bench/import.ts [--rows 1000000] [--batch-size 1000] [--names long-tail|demo]
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { progressBar } from '../src/cli/progress.ts';
import { searchTokens } from '../src/vault/normalise.ts';
import { inventPerson, randomGenerator } from '../src/demo/people.ts';
import { contactGenerator } from './contacts.ts';
import { operator } from '../src/lib/actor.ts';
import { checkMapping } from '../src/modules/imports/index.ts';
import {
  checkpoint,
  createDatabase,
  databaseSize,
  databaseUrl,
  dropDatabase,
  fmt,
  intOption,
  log,
  mb,
  newMasterKey,
  openBenchRuntime,
  options,
  SEED_PURPOSE,
  SEED_SOURCE,
  seconds,
  timed,
  timedCpu,
  WORK_DIR,
} from './lib.ts';

const USAGE = `usage: node --import tsx bench/import.ts [options]

  --rows <n>          rows in the CSV (default 1000000)
  --batch-size <n>    rows per import transaction (default: the importer's own, 1000)
  --seed <n>          seed of the invented people (default 1)
  --names <kind>      long-tail (default: bench/contacts.ts, thousands of names) or demo (the
                      demo generator's few dozen names, as the figures before 2026-11-22 used)
  --keep              keep both databases and the CSV`;

const opts = options(
  {
    rows: { type: 'string' },
    'batch-size': { type: 'string' },
    seed: { type: 'string' },
    names: { type: 'string' },
    keep: { type: 'boolean' },
  },
  USAGE,
);
const rows = intOption(opts.rows, 'rows', 1_000_000);
const batchSize = opts['batch-size']
  ? intOption(opts['batch-size'], 'batch-size', 1000)
  : undefined;
const seed = intOption(opts.seed, 'seed', 1);
const names = opts.names ?? 'long-tail';
if (names !== 'long-tail' && names !== 'demo') {
  console.error(`--names: expected long-tail or demo, found "${names}"\n\n${USAGE}`);
  process.exit(2);
}

const COLUMNS = ['first_name', 'last_name', 'email', 'phone', 'organisation', 'title'] as const;
const COPY_DB = 'rekisteri_bench_import_copy';
const REKISTERI_DB = 'rekisteri_bench_import';

interface Measured {
  ms: number;
  /** CPU seconds of this process (every thread) and of PostgreSQL during the run. */
  nodeCpu: number;
  postgresCpu: number | null;
}

/** CPU microseconds per row, as "node X + postgres Y". */
const perRow = (m: Measured) =>
  `CPU per row: node ${fmt((m.nodeCpu * 1e6) / rows)} µs + postgres ${m.postgresCpu === null ? '?' : fmt((m.postgresCpu * 1e6) / rows)} µs`;
const cpuJson = (m: Measured) => ({
  nodeCpuMicrosPerRow: Math.round((m.nodeCpu * 1e6) / rows),
  postgresCpuMicrosPerRow: m.postgresCpu === null ? null : Math.round((m.postgresCpu * 1e6) / rows),
});

/** RFC 4180 quoting, only where a cell needs it. */
const csvCell = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);

/**
 * Writes the CSV of contacts 1..rows (bench/contacts.ts: long-tailed names, unique e-mail
 * addresses). Returns how many distinct search words (with their prefixes) the file holds: each
 * costs the importer one HMAC per worker thread however often it recurs.
 */
async function writeCsv(file: string): Promise<number> {
  const out = createWriteStream(file);
  const demo = randomGenerator(seed);
  const contact =
    names === 'demo' ? (n: number) => inventPerson(n, demo) : contactGenerator(rows, seed);
  const tokens = new Set<string>();
  out.write(`${COLUMNS.join(',')}\n`);
  let chunk: string[] = [];
  for (let n = 1; n <= rows; n++) {
    const p = contact(n);
    for (const text of [p.firstName, p.lastName, p.organisation]) {
      for (const t of searchTokens(text, true)) {
        tokens.add(t);
      }
    }
    chunk.push(
      [p.firstName, p.lastName, p.email, p.phone, p.organisation, p.title].map(csvCell).join(','),
    );
    if (chunk.length === 10_000 || n === rows) {
      if (!out.write(`${chunk.join('\n')}\n`)) {
        await once(out, 'drain');
      }
      chunk = [];
    }
  }
  out.end();
  await once(out, 'finish');
  return tokens.size;
}

/** The baseline: COPY into a plaintext table with the same indexes. */
async function copyBaseline(file: string): Promise<Measured> {
  const url = await createDatabase(COPY_DB);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`create table people (${COLUMNS.map((c) => `${c} text`).join(', ')})`);
    await client.query('create unique index people_email on people (email)');
    await client.query('create index people_phone on people (phone)');
    await checkpoint();
    log(`COPY of ${fmt(rows)} rows into a plaintext table...`);
    const measured = await timedCpu(() =>
      pipeline(
        createReadStream(file, { highWaterMark: 1 << 20 }),
        client.query(
          copyFrom(`copy people (${COLUMNS.join(', ')}) from stdin (format csv, header true)`),
        ),
      ),
    );
    const count = await client.query<{ n: string }>('select count(*)::text as n from people');
    if (Number(count.rows[0]?.n) !== rows) {
      throw new Error(`COPY loaded ${count.rows[0]?.n} rows, expected ${rows}`);
    }
    return measured;
  } finally {
    await client.end();
  }
}

/** The same file through Rekisteri's importer, as `rekisteri import` runs it. */
async function rekisteriImport(file: string): Promise<Measured> {
  const url = await createDatabase(REKISTERI_DB);
  const rt = await openBenchRuntime(url, newMasterKey());
  try {
    const mapping = checkMapping(
      {
        purpose: SEED_PURPOSE,
        source: SEED_SOURCE,
        dedupe: 'skip',
        columns: {
          first_name: 'identity.firstName',
          last_name: 'identity.lastName',
          email: 'contact.email',
          phone: 'contact.phone',
          organisation: 'organisation.organisation',
          title: 'organisation.title',
        },
      },
      rt.register,
    );
    await checkpoint();
    log(`Rekisteri import of the same file...`);
    let bar: ReturnType<typeof progressBar> | undefined;
    const measured = await timedCpu(() =>
      rt.services.imports.importFile(operator, {
        file,
        mapping,
        errorFile: `${WORK_DIR}import-${rows}.errors.csv`,
        ...(batchSize ? { batchSize } : {}),
        onProgress: (p) => {
          bar ??= progressBar('importing', Math.max(1, Math.round(p.totalBytes / 1024)), ' KiB');
          bar.update(Math.round(p.bytes / 1024), { info: `${fmt(p.created)} created` });
        },
      }),
    );
    bar?.stop();
    const summary = measured.result;
    if (summary.created !== rows || summary.rejected + summary.skipped + summary.merged > 0) {
      throw new Error(`the import did not create every row: ${JSON.stringify(summary)}`);
    }
    const live = await rt.services.subjects.countSubjects();
    if (live !== rows) {
      throw new Error(`the register holds ${live} people after the import, expected ${rows}`);
    }
    return measured;
  } finally {
    await rt.close();
  }
}

/**
 * A lower bound for the database's share: PostgreSQL copying the rows the import stored (sealed
 * values, keys, blind indexes, log entries) into empty tables with the same indexes, in one
 * statement per table inside the server. No client, no parsing, no encryption: whatever rate this
 * gives, an import that has to write those rows cannot beat it on this machine.
 */
async function storageFloor(): Promise<Measured & { parts: Record<string, number> }> {
  const client = new pg.Client({ connectionString: databaseUrl(REKISTERI_DB) });
  await client.connect();
  try {
    const tables = ['subjects', 'subject_values', 'subject_retention', 'audit_events'];
    for (const t of tables) {
      await client.query(
        `create table floor_${t} (like ${t} including defaults including indexes)`,
      );
    }
    // The same people without the GIN index of name words and prefixes, to show its share.
    await client.query(
      'create table floor_subjects_without_gin (like subjects including defaults)',
    );
    await client.query('alter table floor_subjects_without_gin add primary key (id)');
    await client.query('create unique index on floor_subjects_without_gin (email_index)');
    await client.query('create index on floor_subjects_without_gin (phone_index)');
    await checkpoint();
    log('PostgreSQL alone storing the same sealed rows (the floor)...');
    const parts: Record<string, number> = {};
    const measured = await timedCpu(async () => {
      await client.query('begin');
      for (const t of tables) {
        const start = performance.now();
        await client.query(`insert into floor_${t} select * from ${t}`);
        parts[t] = performance.now() - start;
      }
      await client.query('commit');
    });
    const start = performance.now();
    await client.query('insert into floor_subjects_without_gin select * from subjects');
    parts['subjects without the GIN index'] = performance.now() - start;
    return { ...measured, parts };
  } finally {
    await client.end();
  }
}

async function main() {
  await mkdir(WORK_DIR, { recursive: true });
  const file = `${WORK_DIR}import-${rows}-${names}.csv`;
  try {
    log(`writing ${fmt(rows)} invented people to ${file}...`);
    const generate = await timed(() => writeCsv(file));
    const distinctTokens = generate.result;
    log(
      `written in ${fmt(seconds(generate.ms), 1)} s; ${fmt(distinctTokens)} distinct search words and prefixes`,
    );

    const copy = await copyBaseline(file);
    const imported = await rekisteriImport(file);
    // Sizes before the floor adds its copies to the Rekisteri database.
    const [copySize, importSize] = await Promise.all([
      databaseSize(COPY_DB),
      databaseSize(REKISTERI_DB),
    ]);
    const floor = await storageFloor();
    const floorRate = rows / seconds(floor.ms);
    const copyMs = copy.ms;
    const importMs = imported.ms;
    const copyRate = rows / seconds(copyMs);
    const importRate = rows / seconds(importMs);
    const ratio = importRate / copyRate;

    console.log('');
    console.log(`import of ${fmt(rows)} rows (CSV written in ${fmt(seconds(generate.ms), 1)} s)`);
    console.log(
      `  COPY, plaintext   ${fmt(seconds(copyMs), 1).padStart(7)} s  ${fmt(copyRate).padStart(9)} rows/s  (database ${fmt(mb(copySize))} MB; ${perRow(copy)})`,
    );
    console.log(
      `  Rekisteri import  ${fmt(seconds(importMs), 1).padStart(7)} s  ${fmt(importRate).padStart(9)} rows/s  (database ${fmt(mb(importSize))} MB; ${perRow(imported)})`,
    );
    console.log(
      `  ratio             ${(ratio * 100).toFixed(1)} % of COPY (target >= 50 %): ${ratio >= 0.5 ? 'PASS' : 'FAIL'}`,
    );
    console.log(
      `  floor             ${fmt(seconds(floor.ms), 1).padStart(7)} s  ${fmt(floorRate).padStart(9)} rows/s  PostgreSQL alone storing the same sealed rows: ${((floorRate / copyRate) * 100).toFixed(1)} % of COPY (${perRow(floor)})`,
    );
    console.log(
      `                    of which, in µs per row: ${Object.entries(floor.parts)
        .map(([t, ms]) => `${t} ${fmt((ms * 1000) / rows)}`)
        .join(', ')}`,
    );
    console.log(
      JSON.stringify({
        bench: 'import',
        rows,
        names,
        batchSize: batchSize ?? null,
        generateSeconds: Number(seconds(generate.ms).toFixed(3)),
        distinctTokens,
        copy: {
          seconds: Number(seconds(copyMs).toFixed(3)),
          rowsPerSecond: Math.round(copyRate),
          ...cpuJson(copy),
        },
        rekisteri: {
          seconds: Number(seconds(importMs).toFixed(3)),
          rowsPerSecond: Math.round(importRate),
          ...cpuJson(imported),
        },
        floor: {
          seconds: Number(seconds(floor.ms).toFixed(3)),
          rowsPerSecond: Math.round(floorRate),
          ratio: Number((floorRate / copyRate).toFixed(4)),
          ...cpuJson(floor),
          microsPerRow: Object.fromEntries(
            Object.entries(floor.parts).map(([t, ms]) => [t, Math.round((ms * 1000) / rows)]),
          ),
        },
        ratio: Number(ratio.toFixed(4)),
        target: 0.5,
        pass: ratio >= 0.5,
      }),
    );
  } finally {
    if (opts.keep) {
      log(`kept ${COPY_DB}, ${REKISTERI_DB} and ${file}`);
    } else {
      await dropDatabase(COPY_DB);
      await dropDatabase(REKISTERI_DB);
      await rm(file, { force: true });
      log(`dropped ${COPY_DB} and ${REKISTERI_DB}`);
    }
  }
}

await main();
