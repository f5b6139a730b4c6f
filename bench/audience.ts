/**
 * Target: an audience of a 1,000,000-person register, filtered by channel and purpose (the
 * permission ledger), streamed as CSV in <= 10 s with flat memory (docs/PERFORMANCE.md).
 *
 * Uses an existing populated database whose people have a permission ledger (bench/ledger.sql):
 * starts the real server in a child process, asks the audience's size (POST
 * /api/v1/audiences/count), then streams POST /api/v1/audiences/export to nowhere while sampling
 * the server's RSS every 100 ms. Reports rows, bytes, duration, rows/s and the server's RSS before,
 * at peak and at the end.
 *
 *   node --import tsx bench/audience.ts --database-url postgres://…/rekisteri_bench_perm \
 *     --master-key <hex> [--purpose newsletter] [--channel email] [--filter field=value]
 */
import {
  createApiKey,
  fmt,
  forkServer,
  log,
  mb,
  openBenchRuntime,
  options,
  sampleRss,
  stringOption,
} from './lib.ts';

const USAGE = `usage: node --import tsx bench/audience.ts --database-url <u> --master-key <hex> [options]

  --purpose <id>      a marketing purpose (default newsletter)
  --channel <id>      one of its channels (default email)
  --filter <f>        field=value (equals) on a category the purpose may use`;

const opts = options(
  {
    'database-url': { type: 'string' },
    'master-key': { type: 'string' },
    purpose: { type: 'string' },
    channel: { type: 'string' },
    filter: { type: 'string' },
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
const filter = stringOption(opts.filter);

async function main(databaseUrl: string, key: string) {
  const rt = await openBenchRuntime(databaseUrl, key);
  let token: string;
  try {
    token = await createApiKey(rt, [purpose], ['read', 'export_audiences']);
  } finally {
    await rt.close();
  }
  const server = await forkServer('rekisteri', {
    BENCH_SERVER_DATABASE_URL: databaseUrl,
    BENCH_SERVER_MASTER_KEY: key,
  });
  try {
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const [field, value] = filter?.split('=') ?? [];
    const body = JSON.stringify({
      purpose,
      channel,
      ...(field && value !== undefined ? { filters: [{ field, op: 'equals', value }] } : {}),
    });
    const started = Date.now();
    const counted = await fetch(`${server.url}/api/v1/audiences/count`, {
      method: 'POST',
      headers,
      body,
    });
    const { count } = (await counted.json()) as { count: number };
    const countMs = Date.now() - started;
    log(
      `audience ${purpose}/${channel}${filter ? ` ${filter}` : ''}: ${fmt(count)} people (count in ${fmt(countMs)} ms)`,
    );

    const pid = server.child.pid as number;
    const rss = sampleRss(pid, 100);
    await new Promise((r) => setTimeout(r, 300));
    const before = rss.samples.at(-1)?.rss ?? 0;
    const t0 = Date.now();
    const res = await fetch(`${server.url}/api/v1/audiences/export`, {
      method: 'POST',
      headers,
      body,
    });
    if (res.status !== 200 || !res.body) {
      throw new Error(`export answered ${res.status}: ${await res.text()}`);
    }
    let bytes = 0;
    let lines = 0;
    let firstByteMs = 0;
    for await (const chunk of res.body) {
      const buf = chunk as Uint8Array;
      if (bytes === 0) {
        firstByteMs = Date.now() - t0;
      }
      bytes += buf.length;
      for (const b of buf) {
        if (b === 10) {
          lines++;
        }
      }
    }
    const ms = Date.now() - t0;
    await rss.stop();
    const peak = Math.max(...rss.samples.map((s) => s.rss));
    const after = rss.samples.at(-1)?.rss ?? 0;
    const rows = lines - 1;
    const result = {
      purpose,
      channel,
      filter: filter ?? null,
      people: rows,
      counted: count,
      bytes,
      seconds: ms / 1000,
      firstByteMs,
      rowsPerSecond: Math.round(rows / (ms / 1000)),
      rssBeforeMb: Math.round(mb(before)),
      rssPeakMb: Math.round(mb(peak)),
      rssAfterMb: Math.round(mb(after)),
      // RSS at each tenth of the run, to show it flat.
      rssTenthsMb: Array.from({ length: 10 }, (_, i) => {
        const s = rss.samples.filter((x) => x.t >= (i * (ms + 300)) / 10);
        return Math.round(mb(s[0]?.rss ?? 0));
      }),
      target: 'audience of 1,000,000 as CSV in <= 10 s, flat memory',
      met: ms <= 10_000,
    };
    log(
      `${fmt(rows)} rows, ${fmt(mb(bytes), 1)} MB in ${fmt(ms / 1000, 2)} s (${fmt(result.rowsPerSecond)} rows/s); server RSS ${result.rssBeforeMb} → peak ${result.rssPeakMb} → ${result.rssAfterMb} MB`,
    );
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await server.stop();
  }
}

await main(url, masterKey);
