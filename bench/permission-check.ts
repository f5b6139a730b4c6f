/**
 * Target: the permission check over HTTP (GET /api/v1/permissions/check) at >= 5,000 requests/s
 * with p99 <= 10 ms on PostgreSQL with 1,000,000 people (docs/PERFORMANCE.md).
 *
 * Uses an existing populated database with a permission ledger (bench/ledger.sql). Loads two
 * servers in turn, each in a child process of its own: the real application (an API key reading
 * under the newsletter) and, as a baseline of this machine, a bare Fastify route that reads the
 * same person's ledger rows by primary key. autocannon cycles through a sample of the people's ids.
 *
 *   node --import tsx bench/permission-check.ts --database-url postgres://…/rekisteri_bench_perm \
 *     --master-key <hex> [--duration 20] [--connections 20] [--no-bare]
 */
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import autocannon from 'autocannon';
import pg from 'pg';
import {
  createApiKey,
  fmt,
  forkServer,
  intOption,
  log,
  openBenchRuntime,
  options,
  stringOption,
} from './lib.ts';

const USAGE = `usage: node --import tsx bench/permission-check.ts --database-url <u> --master-key <hex> [options]

  --duration <s>      seconds of measured load per server (default 20)
  --warmup <s>        seconds of unmeasured load before it (default 3)
  --connections <n>   concurrent connections (default 20)
  --ids <n>           distinct people to cycle through (default 5000)
  --rate <n>          requests per second, all connections together (default: as many as the
                      server answers, which saturates it: the p99 is then its queue's)
  --no-bare           leave out the bare-route baseline`;

const opts = options(
  {
    'database-url': { type: 'string' },
    'master-key': { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string' },
    ids: { type: 'string' },
    rate: { type: 'string' },
    'no-bare': { type: 'boolean' },
  },
  USAGE,
);
const url = stringOption(opts['database-url']);
const masterKey = stringOption(opts['master-key']);
if (!url || !masterKey) {
  console.error(USAGE);
  process.exit(2);
}
const duration = intOption(opts.duration, 'duration', 20);
const warmup = intOption(opts.warmup, 'warmup', 3, 0);
const connections = intOption(opts.connections, 'connections', 20);
const idCount = intOption(opts.ids, 'ids', 5000);
const rate = opts.rate === undefined ? undefined : intOption(opts.rate, 'rate', 1);

async function sampleIds(databaseUrl: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const r = await client.query<{ id: string }>(
      'select id from subjects tablesample system (1) where erased_at is null limit $1',
      [idCount],
    );
    return r.rows.map((x) => x.id);
  } finally {
    await client.end();
  }
}

/** CPU seconds used so far by the given processes (all their threads; from /proc). */
async function cpuSecondsOf(pids: readonly number[]): Promise<number> {
  let total = 0;
  for (const pid of pids) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    // Fields after the command: utime is the 14th and stime the 15th of the whole line.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    total += stat ? (Number(rest[11]) + Number(rest[12])) / 100 : 0;
  }
  return total;
}

/** The PostgreSQL backends serving the database now (the server's pool, once it is busy). */
async function backendsOf(databaseUrl: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const r = await client.query<{ pid: number }>(
      'select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
    );
    return r.rows.map((x) => x.pid);
  } finally {
    await client.end();
  }
}

async function measure(
  label: string,
  mode: 'rekisteri' | 'bare',
  env: Record<string, string>,
  path: (id: string) => string,
  headers: Record<string, string>,
  ids: string[],
) {
  const server = await forkServer(mode, env);
  try {
    const probe = await fetch(`${server.url}${path(ids[0] as string)}`, { headers });
    if (probe.status !== 200) {
      throw new Error(`${label}: answered ${probe.status}: ${await probe.text()}`);
    }
    log(`${label}: ${JSON.stringify(await probe.json()).slice(0, 160)}`);
    let i = 0;
    const run = (seconds: number) =>
      autocannon({
        url: server.url,
        connections,
        duration: seconds,
        ...(rate === undefined ? {} : { overallRate: rate }),
        headers,
        requests: [
          { setupRequest: (req) => ({ ...req, path: path(ids[i++ % ids.length] as string) }) },
        ],
      });
    if (warmup > 0) {
      await run(warmup);
    }
    // CPU per request of the server and of the database's backends, which the machine's other
    // load does not change as much as it changes the throughput (backends that start or end
    // during the run are not counted).
    const serverPid = server.child.pid as number;
    const backends = await backendsOf(url as string);
    const before = { server: await cpuSecondsOf([serverPid]), pg: await cpuSecondsOf(backends) };
    const r = await run(duration);
    const after = { server: await cpuSecondsOf([serverPid]), pg: await cpuSecondsOf(backends) };
    const perRequest = (s: number) => Math.round((s * 1e6) / Math.max(1, r.requests.total));
    return {
      label,
      // The machine's load average over the last minute, at the end of the measured load.
      loadAverage: Math.round(loadavg()[0]! * 10) / 10,
      requestsPerSecond: Math.round(r.requests.average),
      p50: r.latency.p50,
      p99: r.latency.p99,
      requests: r.requests.total,
      serverCpuMicros: perRequest(after.server - before.server),
      postgresCpuMicros: perRequest(after.pg - before.pg),
      postgresBackends: backends.length,
      non2xx: r.non2xx,
      errors: r.errors,
    };
  } finally {
    await server.stop();
  }
}

async function main(databaseUrl: string, key: string) {
  const rt = await openBenchRuntime(databaseUrl, key);
  let token: string;
  try {
    token = await createApiKey(rt, ['newsletter'], ['read']);
  } finally {
    await rt.close();
  }
  const ids = await sampleIds(databaseUrl);
  log(`cycling through ${fmt(ids.length)} people`);
  const env = { BENCH_SERVER_DATABASE_URL: databaseUrl, BENCH_SERVER_MASTER_KEY: key };
  const results = [
    await measure(
      'rekisteri',
      'rekisteri',
      env,
      (id) => `/api/v1/permissions/check?purpose=newsletter&channel=email&subject=${id}`,
      { authorization: `Bearer ${token}` },
      ids,
    ),
  ];
  if (!opts['no-bare']) {
    results.push(await measure('bare route', 'bare', env, (id) => `/check?subject=${id}`, {}, ids));
  }
  for (const m of results) {
    console.log(
      `  ${m.label.padEnd(11)} ${fmt(m.requestsPerSecond).padStart(8)} req/s   p50 ${fmt(m.p50, 1).padStart(6)} ms   p99 ${fmt(m.p99, 1).padStart(6)} ms   (${fmt(m.requests)} requests, ${m.non2xx} non-2xx, ${m.errors} errors; load average ${m.loadAverage})\n` +
        `  ${''.padEnd(11)} CPU per request: server ${fmt(m.serverCpuMicros)} µs, PostgreSQL ${fmt(m.postgresCpuMicros)} µs (${m.postgresBackends} backends)`,
    );
  }
  const main = results[0];
  console.log(
    JSON.stringify({
      bench: 'permission-check',
      connections,
      rate: rate ?? null,
      durationSeconds: duration,
      results,
      target: { requestsPerSecond: 5000, p99Ms: 10 },
      pass:
        main !== undefined && main.requestsPerSecond >= 5000 && main.p99 <= 10 && main.non2xx === 0,
    }),
  );
}

await main(url, masterKey);
