/**
 * Target: look up a person by e-mail through the API at >= 50 % of the throughput of a bare server
 * route that runs the same single indexed query, same run.
 *
 * Populates a fresh database with --people invented people (or reuses --database-url), then loads
 * two servers in turn, each in a child process of its own and never both at once:
 *
 *   1. the real application, GET /api/v1/subjects?purpose=newsletter&email=… with an API key
 *      scoped to newsletter/read;
 *   2. a bare Fastify route, GET /lookup?email=…, running the query of findByLookupWithValues.
 *
 * Both are loaded with autocannon from this process, cycling through a sample of e-mail addresses
 * of people known to be in the database, after a warm-up.
 *
 *   node --import tsx bench/lookup.ts [--people 1000000] [--duration 20] [--connections 20]
 */
import autocannon from 'autocannon';
import {
  createApiKey,
  fmt,
  forkServer,
  intOption,
  log,
  median,
  openBenchRuntime,
  options,
  preparePopulation,
  READ_PURPOSE,
  releasePopulation,
  sampleEmails,
  stringOption,
  type ServerChild,
} from './lib.ts';

const USAGE = `usage: node --import tsx bench/lookup.ts [options]

  --people <n>         people to populate a fresh database with (default 1000000)
  --database-url <u>   reuse this populated database instead (kept by an earlier --keep run)
  --master-key <hex>   its master key (default: from bench/.work/<database>.json)
  --seed <n>           seed of the invented people (default 1)
  --duration <s>       seconds of measured load per server (default 20)
  --warmup <s>         seconds of unmeasured load before it (default 3)
  --connections <n>    concurrent connections (default 20)
  --emails <n>         distinct known addresses to cycle through (default 2000)
  --rounds <n>         measure each server n times, alternating which goes first (default 1)
  --keep               keep the database this run created`;

const opts = options(
  {
    people: { type: 'string' },
    'database-url': { type: 'string' },
    'master-key': { type: 'string' },
    seed: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string' },
    emails: { type: 'string' },
    rounds: { type: 'string' },
    keep: { type: 'boolean' },
  },
  USAGE,
);
const people = intOption(opts.people, 'people', 1_000_000);
const seed = intOption(opts.seed, 'seed', 1);
const duration = intOption(opts.duration, 'duration', 20);
const warmup = intOption(opts.warmup, 'warmup', 3, 0);
const connections = intOption(opts.connections, 'connections', 20);
const emailCount = intOption(opts.emails, 'emails', 2000);
const rounds = intOption(opts.rounds, 'rounds', 1);

interface Target {
  label: string;
  mode: 'rekisteri' | 'bare';
  path: (email: string) => string;
  headers: Record<string, string>;
  /** Checks one response body: exactly one person, and (where visible) the right one. */
  check: (body: unknown, email: string) => string | null;
}

interface Measured {
  label: string;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  requests: number;
  non2xx: number;
  errors: number;
}

/** Several rounds of one server as one: mean throughput, median latencies, summed counts. */
function combine(runs: Measured[]): Measured {
  const sum = (f: (m: Measured) => number) => runs.reduce((a, m) => a + f(m), 0);
  return {
    label: runs[0]?.label ?? '',
    requestsPerSecond: sum((m) => m.requestsPerSecond) / runs.length,
    p50: median(runs.map((m) => m.p50)),
    p99: median(runs.map((m) => m.p99)),
    requests: sum((m) => m.requests),
    non2xx: sum((m) => m.non2xx),
    errors: sum((m) => m.errors),
  };
}

/** One autocannon run that cycles through `emails`, from one shared counter. */
function load(server: ServerChild, target: Target, emails: string[], seconds: number) {
  let i = 0;
  return autocannon({
    url: server.url,
    connections,
    duration: seconds,
    headers: target.headers,
    requests: [
      {
        setupRequest: (req) => ({
          ...req,
          path: target.path(emails[i++ % emails.length] as string),
        }),
      },
    ],
  });
}

/** Asks for a sample of addresses one by one and checks the answers before loading. */
async function verify(server: ServerChild, target: Target, emails: string[]) {
  const step = Math.max(1, Math.floor(emails.length / 50));
  let checked = 0;
  for (let k = 0; k < emails.length; k += step) {
    const email = emails[k] as string;
    const res = await fetch(`${server.url}${target.path(email)}`, { headers: target.headers });
    if (res.status !== 200) {
      throw new Error(`${target.label}: ${email} answered ${res.status}: ${await res.text()}`);
    }
    const problem = target.check(await res.json(), email);
    if (problem) {
      throw new Error(`${target.label}: ${email}: ${problem}`);
    }
    checked++;
  }
  log(`${target.label}: ${checked} sample lookups answered 200 with exactly the right person`);
}

async function measure(
  target: Target,
  env: Record<string, string>,
  emails: string[],
): Promise<Measured> {
  log(`${target.label}: starting the server`);
  const server = await forkServer(target.mode, env);
  try {
    await verify(server, target, emails);
    if (warmup > 0) {
      log(`${target.label}: warming up for ${warmup} s`);
      await load(server, target, emails, warmup);
    }
    log(`${target.label}: ${duration} s of load, ${connections} connections`);
    const r = await load(server, target, emails, duration);
    if (r.non2xx > 0 || r.errors > 0) {
      log(`${target.label}: WARNING ${r.non2xx} non-2xx answers and ${r.errors} errors`);
    }
    return {
      label: target.label,
      requestsPerSecond: r.requests.average,
      p50: r.latency.p50,
      p99: r.latency.p99,
      requests: r.requests.total,
      non2xx: r.non2xx,
      errors: r.errors,
    };
  } finally {
    await server.stop();
  }
}

async function main() {
  const population = await preparePopulation({
    name: 'lookup',
    people,
    seed,
    databaseUrl: stringOption(opts['database-url']),
    masterKey: stringOption(opts['master-key']),
  });
  try {
    const rt = await openBenchRuntime(population.url, population.masterKey);
    let token: string;
    try {
      token = await createApiKey(rt, [READ_PURPOSE]);
    } finally {
      await rt.close();
    }
    const emails = sampleEmails(population.people, population.seed, emailCount);
    log(`cycling through ${fmt(emails.length)} known addresses of ${fmt(population.people)}`);

    const env = {
      BENCH_SERVER_DATABASE_URL: population.url,
      BENCH_SERVER_MASTER_KEY: population.masterKey,
    };
    const q = (email: string) => encodeURIComponent(email);
    const targets: Record<'rekisteri' | 'bare', Target> = {
      rekisteri: {
        label: 'rekisteri',
        mode: 'rekisteri',
        path: (email) => `/api/v1/subjects?purpose=${READ_PURPOSE}&email=${q(email)}`,
        headers: { authorization: `Bearer ${token}` },
        check: (body, email) => {
          const items = (body as { items?: Array<{ categories?: Record<string, unknown> }> }).items;
          if (items?.length !== 1) {
            // The newsletter rests on consent: the permission ledger shows it only people who
            // granted it, and a population from bench/populate.ts has no ledger.
            return items?.length === 0
              ? `not found: the ${READ_PURPOSE} purpose sees only people who granted it (a population without a permission ledger: psql -f bench/ledger.sql, then look up people it grants)`
              : `expected one item, got ${items?.length ?? 'none'}`;
          }
          const contact = items[0]?.categories?.contact as
            { email?: { value?: unknown } } | undefined;
          return contact?.email?.value === email
            ? null
            : `answered with someone else (${String(contact?.email?.value)})`;
        },
      },
      bare: {
        label: 'bare route',
        mode: 'bare',
        path: (email) => `/lookup?email=${q(email)}`,
        headers: {},
        check: (body) => {
          const items = (body as { items?: Array<{ id?: string }> }).items ?? [];
          // One row per category of the purpose that the person has, all of the same person.
          const ids = new Set(items.map((r) => r.id));
          return items.length > 0 && ids.size === 1 ? null : `expected one person, got ${ids.size}`;
        },
      },
    };

    // Rounds alternate which server goes first (A B, B A, …) so that drift in the machine's other
    // load falls on both alike.
    const runs: Record<'rekisteri' | 'bare', Measured[]> = { rekisteri: [], bare: [] };
    for (let round = 0; round < rounds; round++) {
      if (rounds > 1) {
        log(`round ${round + 1} of ${rounds}`);
      }
      const order =
        round % 2 === 0 ? (['rekisteri', 'bare'] as const) : (['bare', 'rekisteri'] as const);
      for (const mode of order) {
        runs[mode].push(await measure(targets[mode], env, emails));
      }
    }
    const rekisteri = combine(runs.rekisteri);
    const bare = combine(runs.bare);

    const ratio = rekisteri.requestsPerSecond / bare.requestsPerSecond;
    const clean = rekisteri.non2xx + rekisteri.errors + bare.non2xx + bare.errors === 0;
    console.log('');
    console.log(
      `lookup by e-mail among ${fmt(population.people)} people, ${connections} connections, ${duration} s per server${rounds > 1 ? ` and round, ${rounds} rounds` : ''}`,
    );
    if (rounds > 1) {
      runs.rekisteri.forEach((r, k) => {
        const b = runs.bare[k] as Measured;
        console.log(
          `  round ${k + 1}: rekisteri ${fmt(r.requestsPerSecond)} req/s, bare ${fmt(b.requestsPerSecond)} req/s, ${((r.requestsPerSecond / b.requestsPerSecond) * 100).toFixed(1)} %`,
        );
      });
    }
    for (const m of [rekisteri, bare]) {
      console.log(
        `  ${m.label.padEnd(11)} ${fmt(m.requestsPerSecond).padStart(8)} req/s   p50 ${fmt(m.p50, 1).padStart(6)} ms   p99 ${fmt(m.p99, 1).padStart(6)} ms   (${fmt(m.requests)} requests, ${m.non2xx} non-2xx, ${m.errors} errors)`,
      );
    }
    console.log(
      `  ratio       ${(ratio * 100).toFixed(1)} % of the bare route (target >= 50 %): ${ratio >= 0.5 && clean ? 'PASS' : 'FAIL'}`,
    );
    console.log(
      JSON.stringify({
        bench: 'lookup',
        people: population.people,
        connections,
        durationSeconds: duration,
        rounds,
        rekisteri,
        bare,
        ratio: Number(ratio.toFixed(4)),
        target: 0.5,
        pass: ratio >= 0.5 && clean,
      }),
    );
  } finally {
    await releasePopulation(population, opts.keep === true, 'lookup');
  }
}

await main();
