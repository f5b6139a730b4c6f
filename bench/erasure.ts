/**
 * Target: erase one person among 1,000,000 on PostgreSQL in ≤ 200 ms, with a legal hold (the
 * held categories re-sealed into a held record) and without one.
 *
 * Never touches the shared 1M database itself: it copies it (data and key store, as PostgreSQL
 * templates) into rekisteri_bench_erasure, migrates the copy, and erases there only people it
 * created itself first. Each run creates one invented person (identity, contact, organisation,
 * orders, feedback for customer_relationship), then times `eraseSubject` in the service: the
 * planning of holds, the re-sealing, the suppression list, the data transaction and the key
 * store's. "With a hold" uses the demo register, whose two bookkeeping holds keep identity,
 * contact, organisation and orders for billing; "without" the same register with no legal holds.
 * The two alternate run by run.
 *
 *   node --import tsx bench/erasure.ts [--template rekisteri_bench_shared] [--runs 50]
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { operator } from '../src/lib/actor.ts';
import { createRegister } from '../src/modules/definition/index.ts';
import { vaultFor } from '../src/runtime.ts';
import { createServices, type Services } from '../src/services.ts';
import {
  ADMIN_URL,
  databaseUrl,
  dropDatabase,
  fmt,
  intOption,
  log,
  openBenchRuntime,
  options,
  stringOption,
} from './lib.ts';

const USAGE = `usage: node --import tsx bench/erasure.ts [options]

  --template <name>    the populated database to copy (default rekisteri_bench_shared; it is
                       not changed: the copy is rekisteri_bench_erasure)
  --master-key <hex>   its master key (default: from bench/.work/<template>.json)
  --runs <n>           timed erasures of each kind (default 50)
  --warmup <n>         untimed erasures of each kind first (default 5)
  --keep               keep the copy`;

const opts = options(
  {
    template: { type: 'string' },
    'master-key': { type: 'string' },
    runs: { type: 'string' },
    warmup: { type: 'string' },
    keep: { type: 'boolean' },
  },
  USAGE,
);
const template = stringOption(opts.template) ?? 'rekisteri_bench_shared';
const runs = intOption(opts.runs, 'runs', 50);
const warmup = intOption(opts.warmup, 'warmup', 5, 0);
const COPY = 'rekisteri_bench_erasure';

async function masterKeyOf(name: string): Promise<string> {
  const given = stringOption(opts['master-key']);
  if (given) {
    return given;
  }
  const { readFile } = await import('node:fs/promises');
  const note = JSON.parse(
    await readFile(new URL(`./.work/${name}.json`, import.meta.url), 'utf8'),
  ) as { masterKey: string };
  return note.masterKey;
}

/** Copies the template's data and key-store databases (it must have no other connection). */
async function copyDatabases(from: string, to: string): Promise<void> {
  for (const n of [from, to]) {
    if (!/^rekisteri_bench_[a-z0-9_]+$/.test(n)) {
      throw new Error(`refusing database "${n}": not a rekisteri_bench_* name`);
    }
  }
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    for (const [src, dst] of [
      [from, to],
      [`${from}_keys`, `${to}_keys`],
    ] as const) {
      await c.query(`drop database if exists "${dst}" with (force)`);
      await c.query(`create database "${dst}" template "${src}"`);
    }
  } finally {
    await c.end();
  }
}

function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? 0;
}

const masterKey = await masterKeyOf(template);
log(`copying ${template} into ${COPY} (the shared database is not changed)`);
const copyStart = performance.now();
await copyDatabases(template, COPY);
log(`copied in ${fmt((performance.now() - copyStart) / 1000, 1)} s; migrating the copy`);
const rt = await openBenchRuntime(databaseUrl(COPY), masterKey);
try {
  const population = await rt.services.subjects.countSubjects();
  log(`${fmt(population)} people in the copy`);
  const def = rt.register.definition;
  const vault = await vaultFor(
    Buffer.from(masterKey, 'hex'),
    rt.keys,
    def.defaultCountryCallingCode,
  );
  const withHold = rt.services;
  const withoutHold = createServices({
    database: rt.database,
    keys: rt.keys,
    register: createRegister(
      { ...def, retention: { ...def.retention, legalHolds: [] } },
      `${rt.register.digest}:no-holds`,
    ),
    vault,
  });
  let n = 0;
  const once = async (services: Services, expectHeld: boolean): Promise<number> => {
    n++;
    const tag = `${process.pid}x${n}`;
    const { id } = await services.subjects.createSubject(operator, {
      purpose: 'customer_relationship',
      source: 'subject',
      values: {
        identity: { firstName: 'Bench', lastName: `Poisto${tag}` },
        contact: { email: `bench.erasure.${tag}@example.com`, phone: `+358 50 ${1000000 + n}` },
        organisation: { organisation: `Poisto ${tag} Oy` },
        orders: { orderCount: n, paymentMethod: 'invoice' },
        feedback: { rating: 3, comment: 'Ei kommentteja' },
      },
    });
    const t0 = performance.now();
    const result = await services.subjects.eraseSubject(operator, id, 'request');
    const ms = performance.now() - t0;
    if (result.held.length > 0 !== expectHeld) {
      throw new Error(`erasure of ${id}: expected ${expectHeld ? 'a hold' : 'no hold'}`);
    }
    return ms;
  };
  for (let i = 0; i < warmup; i++) {
    await once(withHold, true);
    await once(withoutHold, false);
  }
  const times = { withHold: [] as number[], withoutHold: [] as number[] };
  for (let i = 0; i < runs; i++) {
    times.withHold.push(await once(withHold, true));
    times.withoutHold.push(await once(withoutHold, false));
  }
  const summary = Object.fromEntries(
    Object.entries(times).map(([k, v]) => [
      k,
      {
        runs: v.length,
        p50: Number(percentile(v, 50).toFixed(1)),
        p95: Number(percentile(v, 95).toFixed(1)),
        max: Number(Math.max(...v).toFixed(1)),
      },
    ]),
  );
  console.log(`erasure of one person among ${fmt(population)} (ms)`);
  console.log('                 runs    p50    p95    max');
  for (const [k, s] of Object.entries(summary)) {
    console.log(
      `${k.padEnd(15)} ${String(s.runs).padStart(5)} ${String(s.p50).padStart(6)} ${String(s.p95).padStart(6)} ${String(s.max).padStart(6)}`,
    );
  }
  const ok = Object.values(summary).every((s) => s.p95 <= 200);
  console.log(`target p95 ≤ 200 ms: ${ok ? 'met' : 'NOT met'}`);
  console.log(JSON.stringify({ bench: 'erasure', population, target: 200, ok, ...summary }));
} finally {
  await rt.close();
  if (opts.keep !== true) {
    await dropDatabase(COPY);
  }
}
