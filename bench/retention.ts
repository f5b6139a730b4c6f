/**
 * Target: a retention sweep that deletes 100,000 expired people among 1,000,000 in ≤ 30 s on
 * PostgreSQL, while the API's lookup by e-mail keeps its p99 ≤ 50 ms.
 *
 * Never changes the populated database: it copies it (data and key store, as PostgreSQL
 * templates) into rekisteri_bench_retention_run and works there. In the copy, --expired people
 * (chosen by a hash of their id, none of the addresses the load looks up) are made old: their
 * data collected and last written on 1 January 2012, their customer relationship ended on
 * 1 June 2012, so that every rule of the demo register has ended for every category they hold
 * (they have no orders: no legal hold applies). Then:
 *
 *   1. the plan (`rekisteri retention plan`), timed, which must count exactly --expired people;
 *   2. the API server in a child process, loaded with lookups by e-mail (autocannon) for
 *      --baseline seconds: the lookup p99 without a sweep;
 *   3. the same load again, and during it the sweep (`services.retention.sweep`, batches of
 *      --batch people), timed; the load stops when the sweep returns: the lookup p99 during it;
 *   4. checks: exactly --expired people erased (journalled, keys destroyed), everyone else live,
 *      and the sampled lookups still answer with the right person.
 *
 *   node --import tsx bench/retention.ts [--template rekisteri_bench_shared] [--expired 100000]
 */
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { sql } from 'kysely';
import pg from 'pg';
import {
  ADMIN_URL,
  createApiKey,
  databaseUrl,
  dropDatabase,
  fmt,
  forkServer,
  intOption,
  log,
  openBenchRuntime,
  options,
  READ_PURPOSE,
  sampleEmails,
  serverEnv,
  stringOption,
  type ServerChild,
} from './lib.ts';

const USAGE = `usage: node --import tsx bench/retention.ts [options]

  --template <name>    the populated database to copy (default rekisteri_bench_shared; it is
                       not changed: the copy is rekisteri_bench_retention_run)
  --master-key <hex>   its master key (default: from bench/.work/<template>.json)
  --expired <n>        people made old enough to expire (default: a tenth of the population)
  --batch <n>          people per sweep batch (default 1000)
  --concurrency <n>    sweep batches in flight at once (default: the sweep's own, 1)
  --baseline <s>       seconds of lookup load without a sweep (default 10)
  --connections <n>    concurrent lookup connections (default 10)
  --rate <n>           lookups per second, all connections together (default: as many as the
                       server answers, which saturates it: its p99 is then its queue's)
  --emails <n>         distinct known addresses the load cycles through (default 2000)
  --copy <name>        the copy's name (default rekisteri_bench_retention_run)
  --keep               keep the copy`;

const opts = options(
  {
    template: { type: 'string' },
    'master-key': { type: 'string' },
    expired: { type: 'string' },
    batch: { type: 'string' },
    concurrency: { type: 'string' },
    baseline: { type: 'string' },
    connections: { type: 'string' },
    rate: { type: 'string' },
    emails: { type: 'string' },
    copy: { type: 'string' },
    keep: { type: 'boolean' },
  },
  USAGE,
);
const template = stringOption(opts.template) ?? 'rekisteri_bench_shared';
const batch = intOption(opts.batch, 'batch', 1000);
const concurrency = intOption(opts.concurrency, 'concurrency', 1);
const baseline = intOption(opts.baseline, 'baseline', 10);
const connections = intOption(opts.connections, 'connections', 10);
const rate = opts.rate === undefined ? undefined : intOption(opts.rate, 'rate', 1);
const emailCount = intOption(opts.emails, 'emails', 2000);
const COPY = stringOption(opts.copy) ?? 'rekisteri_bench_retention_run';

async function note(name: string): Promise<{ masterKey: string }> {
  const given = stringOption(opts['master-key']);
  if (given) {
    return { masterKey: given };
  }
  const { readFile } = await import('node:fs/promises');
  return JSON.parse(await readFile(new URL(`./.work/${name}.json`, import.meta.url), 'utf8')) as {
    masterKey: string;
  };
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

interface Load {
  requests: number;
  p50: number;
  p99: number;
  max: number;
  non2xx: number;
  errors: number;
}

/** Lookups by e-mail, cycling through `emails`, until `seconds` pass or `until` settles. */
async function lookups(
  server: ServerChild,
  token: string,
  emails: string[],
  seconds: number,
  until?: Promise<unknown>,
): Promise<Load> {
  let i = 0;
  let finish: (r: autocannon.Result) => void = () => undefined;
  let fail: (e: unknown) => void = () => undefined;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const instance = autocannon(
    {
      url: server.url,
      connections,
      duration: seconds,
      ...(rate === undefined ? {} : { overallRate: rate }),
      headers: { authorization: `Bearer ${token}` },
      requests: [
        {
          setupRequest: (req) => ({
            ...req,
            path: `/api/v1/subjects?purpose=${READ_PURPOSE}&email=${encodeURIComponent(emails[i++ % emails.length] ?? '')}`,
          }),
        },
      ],
    },
    (err, result) => (err ? fail(err) : finish(result)),
  );
  if (until) {
    const stop = () => instance.stop();
    until.then(stop, stop);
  }
  const r = await done;
  return {
    requests: r.requests.total,
    p50: r.latency.p50,
    p99: r.latency.p99,
    max: r.latency.max,
    non2xx: r.non2xx,
    errors: r.errors,
  };
}

/** Looks each address up once, in turn: 200 with exactly that person, or the run fails. */
async function checkLookups(
  server: ServerChild,
  token: string,
  emails: string[],
): Promise<boolean> {
  for (const email of emails) {
    const res = await fetch(
      `${server.url}/api/v1/subjects?purpose=${READ_PURPOSE}&email=${encodeURIComponent(email)}`,
      { headers: { authorization: `Bearer ${token}` } },
    );
    const body = (await res.json()) as {
      items?: Array<{ categories?: { contact?: { email?: { value?: unknown } } } }>;
    };
    const found = body.items?.map((i) => i.categories?.contact?.email?.value);
    if (res.status !== 200 || found?.length !== 1 || found[0] !== email) {
      log(`lookup of ${email} answered ${res.status} with ${JSON.stringify(found)}`);
      return false;
    }
  }
  log(`${fmt(emails.length)} lookups answered 200 with exactly the right person`);
  return true;
}

const { masterKey } = await note(template);
log(`copying ${template} into ${COPY} (the populated database is not changed)`);
const copyStart = performance.now();
await copyDatabases(template, COPY);
log(`copied in ${fmt((performance.now() - copyStart) / 1000, 1)} s`);
const url = databaseUrl(COPY);
const rt = await openBenchRuntime(url, masterKey);
let server: ServerChild | undefined;
try {
  const db = rt.database.db;
  const settings = await db
    .selectFrom('settings')
    .select('value')
    .where('key', '=', 'bench_population')
    .executeTakeFirstOrThrow();
  const { people, seed } = JSON.parse(settings.value) as { people: number; seed: number };
  const expired = intOption(opts.expired, 'expired', Math.floor(people / 10));
  const emails = sampleEmails(people, seed, emailCount);
  const sampleIndexes = emails.map((e) => rt.services.vault.emailIndex(e));
  log(`${fmt(people)} people; making ${fmt(expired)} of them old`);

  const prep = performance.now();
  await sql`create unlogged table bench_expired as
      select id from subjects
       where held_purpose is null and erased_at is null
         and not (email_index = any(${`{${sampleIndexes.join(',')}}`}::bigint[]))
       order by md5(id::text) limit ${expired}`.execute(db);
  await sql`update subjects set created_at = '2012-01-01', updated_at = '2012-01-01'
             where id in (select id from bench_expired)`.execute(db);
  await sql`update subject_values set collected_at = '2012-01-01', updated_at = '2012-01-01',
              field_meta = null where subject_id in (select id from bench_expired)`.execute(db);
  // The population was imported under the customer relationship (a relationship purpose), so
  // every person has a row marking it begun (migration 0046): theirs began in 2012 and ended.
  await sql`insert into subject_retention (subject_id, relationship_ended_at, related_at)
              select id, '2012-06-01', '2012-01-01' from bench_expired
            on conflict (subject_id) do update
              set relationship_ended_at = excluded.relationship_ended_at,
                  related_at = excluded.related_at`.execute(db);
  // The load looks people up under the newsletter, a purpose resting on consent: the permission
  // ledger lets it see only people who granted it (src/modules/subjects/marketing.repo.ts). The
  // population has no ledger, so without this every lookup would answer "not found" and the load
  // would measure that instead of a lookup. The people looked up grant it by e-mail, as
  // bench/ledger.sql gives 60 % of a population (none of them is among the expired).
  const granted = await sql`
      with people as (
        select id from subjects
         where email_index = any(${`{${sampleIndexes.join(',')}}`}::bigint[]) and held_purpose is null),
        h as (
        insert into permission_history (subject_id, kind, channel, state, previous_state, given_at,
                                        recorded_at, method, reference, actor)
        select id, 'newsletter', 'email', 'granted', null, now() - interval '30 days', now(),
               'import', 'bench-retention', 'operator:cli' from people
        returning id, subject_id, kind, channel, state, given_at)
      insert into permission_states (subject_id, kind, channel, state, changed_at, history_id)
      select subject_id, kind, channel, state, given_at, id from h`.execute(db);
  if (Number(granted.numAffectedRows) !== emails.length) {
    throw new Error(
      `granted the newsletter to ${granted.numAffectedRows} people, expected ${emails.length}`,
    );
  }
  await sql`analyze`.execute(db);
  log(`made ${fmt(expired)} people old in ${fmt((performance.now() - prep) / 1000, 1)} s`);

  const planStart = performance.now();
  const plan = await rt.services.retention.plan();
  const planSeconds = (performance.now() - planStart) / 1000;
  log(
    `plan: ${fmt(plan.erase)} to erase, ${fmt(plan.partial)} partial, in ${fmt(planSeconds, 1)} s`,
  );
  if (plan.erase !== expired || plan.partial !== 0) {
    throw new Error(
      `the plan counts ${plan.erase} (+${plan.partial} partial), expected ${expired}`,
    );
  }

  const token = await createApiKey(rt, [READ_PURPOSE]);
  server = await forkServer('rekisteri', {
    BENCH_SERVER_DATABASE_URL: url,
    BENCH_SERVER_MASTER_KEY: masterKey,
    ...serverEnv(url, masterKey),
  });
  // Every address once, one at a time, each answered with exactly that person: a check, and the
  // warm-up of the pages the load reads (3 s of load did not reach every address once).
  if (!(await checkLookups(server, token, emails))) {
    throw new Error('the lookups do not answer with the people looked up');
  }
  log(
    `lookups without a sweep: ${baseline} s, ${connections} connections, ${rate === undefined ? 'as fast as answered' : `${fmt(rate)} a second`} (after 3 s warm-up)`,
  );
  await lookups(server, token, emails, 3);
  const before = await lookups(server, token, emails, baseline);

  log(`the sweep, batches of ${fmt(batch)}, ${concurrency} at once, under the same load`);
  const sweepStart = performance.now();
  const sweep = rt.services.retention.sweep({ batchSize: batch, concurrency });
  const during = await lookups(server, token, emails, 3600, sweep);
  const result = await sweep;
  const sweepSeconds = (performance.now() - sweepStart) / 1000;

  const afterCheck = await checkLookups(
    server,
    token,
    emails.filter((_, k) => k % 40 === 0),
  );
  const counts = await sql<{ erased: number; live: number; journal: number }>`
      select (select count(*)::int from subjects where erased_at is not null and held_purpose is null) as erased,
             (select count(*)::int from subjects where erased_at is null and held_purpose is null) as live,
             (select count(*)::int from erasure_journal where reason = 'retention') as journal`.execute(
    db,
  );
  const c = counts.rows[0];
  const wrong = await sql<{ n: number }>`
      select count(*)::int as n from bench_expired e join subjects s on s.id = e.id
       where s.erased_at is null`.execute(db);
  // Every erased person's key is gone (in pages: the last batches are what an overlapped key
  // store erase would leave behind).
  const expiredIds = (
    await sql<{ id: string }>`select id from bench_expired order by id`.execute(db)
  ).rows.map((r) => r.id);
  let keysLeft = 0;
  for (let i = 0; i < expiredIds.length; i += 5000) {
    keysLeft += (await rt.keys.present(expiredIds.slice(i, i + 5000))).length;
  }
  const ok =
    result.erased === expired &&
    c?.erased === expired &&
    c.live === people - expired &&
    c.journal === expired &&
    wrong.rows[0]?.n === 0 &&
    keysLeft === 0 &&
    afterCheck &&
    during.non2xx === 0 &&
    during.errors === 0;
  const pass = ok && sweepSeconds <= 30 && during.p99 <= 50;

  console.log('');
  console.log(`population                 ${fmt(people)} people`);
  console.log(`expired                    ${fmt(expired)} people`);
  console.log(`plan                       ${fmt(planSeconds, 2)} s`);
  console.log(
    `sweep                      ${fmt(sweepSeconds, 2)} s (${fmt(expired / sweepSeconds)} people/s, ${result.batches} batches)  target ≤ 30 s`,
  );
  console.log(
    `lookup p99 without sweep   ${before.p99} ms (p50 ${before.p50} ms, ${fmt(before.requests)} requests, ${fmt(before.requests / baseline)}/s)`,
  );
  console.log(
    `lookup p99 during sweep    ${during.p99} ms (p50 ${during.p50} ms, max ${during.max} ms, ${fmt(during.requests)} requests, ${fmt(during.requests / sweepSeconds)}/s)  target ≤ 50 ms`,
  );
  console.log(`deletion set exact         ${ok ? 'yes' : 'NO'}`);
  console.log(
    JSON.stringify({
      bench: 'retention',
      people,
      expired,
      batch,
      concurrency,
      connections,
      lookupRate: rate ?? null,
      planSeconds,
      sweepSeconds,
      lookupP99Before: before.p99,
      lookupP99During: during.p99,
      lookupRequestsDuring: during.requests,
      exact: ok,
      pass,
    }),
  );
  if (!ok) {
    process.exitCode = 1;
  }
} finally {
  await server?.stop();
  await rt.close();
  if (!opts.keep) {
    await dropDatabase(COPY);
  }
}
