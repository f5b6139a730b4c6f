/**
 * Target: server memory with 1,000,000 people <= 300 MB RSS.
 *
 * Starts the real server as a child process (`node bin/rekisteri.js start`) on a populated
 * database, applies the lookup load of bench/lookup.ts with a sprinkling of list and name-search
 * requests, and samples the server's RSS from /proc/<pid>/status throughout. Reports the RSS once
 * ready, the peak (sampled, and the kernel's own high-water mark VmHWM), the steady level (median
 * over the second half of the load) and the level after the load.
 *
 *   node --import tsx bench/memory.ts [--populate 1000000] [--duration 20]
 *   node --import tsx bench/memory.ts --database-url postgres://…/rekisteri_bench_lookup
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import {
  createApiKey,
  fmt,
  freePort,
  intOption,
  log,
  mb,
  median,
  openBenchRuntime,
  options,
  preparePopulation,
  READ_PURPOSE,
  releasePopulation,
  REPO_ROOT,
  sampleEmails,
  sampleRss,
  serverEnv,
  stopChild,
  stringOption,
  waitForHttp,
} from './lib.ts';

const USAGE = `usage: node --import tsx bench/memory.ts [options]

  --populate <n>       people to populate a fresh database with (default 1000000)
  --database-url <u>   reuse this populated database instead (kept by an earlier --keep run)
  --master-key <hex>   its master key (default: from bench/.work/<database>.json)
  --seed <n>           seed of the invented people (default 1)
  --duration <s>       seconds of load (default 20)
  --connections <n>    concurrent connections (default 20)
  --interval <ms>      RSS sampling interval (default 250)
  --log-level <level>  the server's LOG_LEVEL (default warn; info logs every request)
  --limit <MB>         the target peak RSS (default 300)
  --keep               keep the database this run created`;

const opts = options(
  {
    populate: { type: 'string' },
    'database-url': { type: 'string' },
    'master-key': { type: 'string' },
    seed: { type: 'string' },
    duration: { type: 'string' },
    connections: { type: 'string' },
    interval: { type: 'string' },
    'log-level': { type: 'string' },
    limit: { type: 'string' },
    keep: { type: 'boolean' },
  },
  USAGE,
);
const people = intOption(opts.populate, 'populate', 1_000_000);
const seed = intOption(opts.seed, 'seed', 1);
const duration = intOption(opts.duration, 'duration', 20);
const connections = intOption(opts.connections, 'connections', 20);
const interval = intOption(opts.interval, 'interval', 250, 10);
const limitMb = intOption(opts.limit, 'limit', 300);
const logLevel = stringOption(opts['log-level']) ?? 'warn';

/** Name words to search for: common first names and last-name prefixes of the demo people. */
const SEARCHES = ['Aino', 'Virtanen', 'Eino Kor', 'Helmi Mäk', 'Kahvila', 'Lindq'];

async function main() {
  const population = await preparePopulation({
    name: 'memory',
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
    const emails = sampleEmails(population.people, population.seed, 2000);

    const port = await freePort();
    const child = spawn(process.execPath, ['bin/rekisteri.js', 'start'], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        ...serverEnv(population.url, population.masterKey),
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: logLevel,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => console.error(`[server] ${line}`));
    }
    if (child.pid === undefined) {
      throw new Error('the server did not start');
    }
    const sampler = sampleRss(child.pid, interval);
    try {
      const base = `http://127.0.0.1:${port}`;
      await waitForHttp(`${base}/healthz`, 120_000, () => child.exitCode === null);
      await new Promise((r) => setTimeout(r, 1000));
      const readyAt = sampler.now();
      const readyRss = sampler.samples.at(-1)?.rss ?? 0;
      log(`server ready (pid ${child.pid}), RSS ${fmt(mb(readyRss))} MB`);

      // Mostly lookups by e-mail; every 50th request lists a page of 100, every 50th searches.
      let i = 0;
      log(`${duration} s of lookups with list and search requests, ${connections} connections`);
      const loadStart = sampler.now();
      const result = await autocannon({
        url: base,
        connections,
        duration,
        headers: { authorization: `Bearer ${token}` },
        requests: [
          {
            setupRequest: (req) => {
              const n = i++;
              const path =
                n % 50 === 0
                  ? `/api/v1/subjects?purpose=${READ_PURPOSE}&limit=100`
                  : n % 50 === 25
                    ? `/api/v1/subjects?purpose=${READ_PURPOSE}&limit=100&q=${encodeURIComponent(SEARCHES[((n / 50) % SEARCHES.length) | 0] as string)}`
                    : `/api/v1/subjects?purpose=${READ_PURPOSE}&email=${encodeURIComponent(emails[n % emails.length] as string)}`;
              return { ...req, path };
            },
          },
        ],
      });
      const loadEnd = sampler.now();
      await new Promise((r) => setTimeout(r, 2000));
      const afterRss = sampler.samples.at(-1)?.rss ?? 0;
      const hwm = sampler.hwm();
      await sampler.stop();

      const s = sampler.samples;
      const peak = Math.max(...s.map((x) => x.rss));
      const treePeak = Math.max(...s.map((x) => x.treeRss));
      const loadPeak = Math.max(0, ...s.filter((x) => x.t >= loadStart).map((x) => x.rss));
      const steady = median(
        s.filter((x) => x.t >= (loadStart + loadEnd) / 2 && x.t <= loadEnd).map((x) => x.rss),
      );
      const worst = Math.max(peak, hwm);
      const pass = worst <= limitMb * 1024 * 1024 && result.non2xx === 0 && result.errors === 0;

      console.log('');
      console.log(
        `server RSS with ${fmt(population.people)} people, ${duration} s of load (${fmt(result.requests.average)} req/s, ${result.non2xx} non-2xx, ${result.errors} errors), ${s.length} samples every ${interval} ms`,
      );
      console.log(
        `  ready            ${fmt(mb(readyRss)).padStart(5)} MB  (at ${fmt(readyAt / 1000, 1)} s)`,
      );
      console.log(`  peak under load  ${fmt(mb(loadPeak)).padStart(5)} MB`);
      console.log(
        `  steady           ${fmt(mb(steady)).padStart(5)} MB  (median, second half of the load)`,
      );
      console.log(`  after the load   ${fmt(mb(afterRss)).padStart(5)} MB`);
      console.log(
        `  peak overall     ${fmt(mb(peak)).padStart(5)} MB  sampled; kernel VmHWM ${fmt(mb(hwm))} MB`,
      );
      console.log(
        `  with children    ${fmt(mb(treePeak)).padStart(5)} MB  peak of the process tree`,
      );
      console.log(`  target           peak <= ${limitMb} MB: ${pass ? 'PASS' : 'FAIL'}`);
      console.log(
        JSON.stringify({
          bench: 'memory',
          people: population.people,
          durationSeconds: duration,
          connections,
          requestsPerSecond: result.requests.average,
          non2xx: result.non2xx,
          errors: result.errors,
          rssMb: {
            ready: Number(mb(readyRss).toFixed(1)),
            loadPeak: Number(mb(loadPeak).toFixed(1)),
            steady: Number(mb(steady).toFixed(1)),
            after: Number(mb(afterRss).toFixed(1)),
            peak: Number(mb(peak).toFixed(1)),
            hwm: Number(mb(hwm).toFixed(1)),
            treePeak: Number(mb(treePeak).toFixed(1)),
          },
          limitMb,
          pass,
        }),
      );
    } finally {
      await sampler.stop();
      await stopChild(child);
    }
  } finally {
    await releasePopulation(population, opts.keep === true, 'memory');
  }
}

await main();
