/**
 * Creates and keeps a populated database for bench/lookup.ts and bench/memory.ts to share, so the
 * (slow) population of 1,000,000 people happens once:
 *
 *   node --import tsx bench/populate.ts --people 1000000
 *   node --import tsx bench/lookup.ts --database-url postgres://…/rekisteri_bench_shared
 *   node --import tsx bench/memory.ts --database-url postgres://…/rekisteri_bench_shared
 *
 * The master key is noted in bench/.work/<database>.json (mode 0600), where the benchmarks find
 * it. Drop the database with `dropdb rekisteri_bench_shared` when done.
 */
import {
  intOption,
  log,
  options,
  preparePopulation,
  releasePopulation,
  stringOption,
} from './lib.ts';

const USAGE = `usage: node --import tsx bench/populate.ts [options]

  --people <n>   people to invent (default 1000000)
  --seed <n>     seed of the invented people (default 1)
  --name <name>  the database is rekisteri_bench_<name> (default shared)
  --master-key <hex>  the new database's master key (default: a new random one, noted in bench/.work)`;

const opts = options(
  {
    people: { type: 'string' },
    seed: { type: 'string' },
    name: { type: 'string' },
    'master-key': { type: 'string' },
  },
  USAGE,
);
const name = stringOption(opts.name) ?? 'shared';
if (!/^[a-z0-9_]+$/.test(name)) {
  console.error('--name: lower-case letters, digits and _ only');
  process.exit(2);
}

const population = await preparePopulation({
  name,
  people: intOption(opts.people, 'people', 1_000_000),
  seed: intOption(opts.seed, 'seed', 1),
  masterKey: stringOption(opts['master-key']),
});
await releasePopulation(population, true, 'lookup');
log(`  node --import tsx bench/memory.ts --database-url ${population.url}`);
console.log(
  JSON.stringify({
    bench: 'populate',
    database: population.name,
    url: population.url,
    people: population.people,
  }),
);
