import { Command, InvalidArgumentError } from 'commander';
import { inventPeople, seedPurpose } from '../demo/people.ts';
import { createSettingsRepo } from '../db/settings.repo.ts';
import { operator } from '../lib/actor.ts';
import { progressBar } from './progress.ts';
import { withRuntime } from './with-runtime.ts';

const positive = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    throw new InvalidArgumentError('expected a whole number of at least 1');
  }
  return n;
};

export function seedCommand(): Command {
  return new Command('seed')
    .description('Add N invented people (for demos and benchmarks)')
    .requiredOption('--count <n>', 'how many people', positive)
    .option(
      '--purpose <id>',
      'the purpose they are collected for (default: the first with identity and contact)',
    )
    .option('--seed <n>', 'random seed', positive)
    .action(async (opts: { count: number; purpose?: string; seed?: number }) => {
      await withRuntime(async ({ services, register, database }) => {
        const purpose = opts.purpose ?? seedPurpose(register);
        if (!purpose || !register.purpose(purpose)) {
          throw new Error(
            `--purpose: ${purpose ? `unknown purpose "${purpose}"` : 'no purpose uses both identity and contact'}`,
          );
        }
        // Invented people never mix with real ones: they go into a database that has never held
        // anyone, the demo's, or one where no one has been added since the last seed (every
        // person ever added keeps a row, erased or not, so the count only grows).
        const settings = createSettingsRepo();
        const everAdded = async () =>
          Number(
            (
              await database.db
                .selectFrom('subjects')
                .select((eb) => eb.fn.countAll<string>().as('n'))
                .executeTakeFirstOrThrow()
            ).n,
          );
        const before = await everAdded();
        const demo = (await settings.get(database.db, 'demo')) !== undefined;
        if (
          !demo &&
          before > 0 &&
          (await settings.get(database.db, 'invented_people')) !== String(before)
        ) {
          throw new Error(
            'this database holds people who were not invented by `rekisteri seed`: refusing to add invented people to a real register (seed an empty database instead)',
          );
        }
        const source =
          register.definition.sources.find((s) => s.kind === 'subject')?.id ??
          register.definition.sources[0]?.id ??
          'subject';
        const bar = progressBar('seeding', opts.count);
        const start = Date.now();
        const seed = opts.seed ?? Date.now() % 2 ** 31;
        const counts = await services.imports.createMany(operator, {
          purpose,
          source,
          records: inventPeople(register, purpose, opts.count, seed),
          batchSize: 2000,
          onBatch: (n) => bar.update(n),
        });
        bar.stop();
        if (!demo) {
          // Only when no one else was added meanwhile (a server on the same PostgreSQL).
          const after = before + counts.created;
          if ((await everAdded()) === after) {
            await settings.put(database.db, 'invented_people', String(after));
          } else {
            await settings.remove(database.db, 'invented_people');
          }
        }
        const secs = (Date.now() - start) / 1000;
        console.log(
          `created ${counts.created} people (${counts.skipped} duplicates skipped) in ${secs.toFixed(1)} s`,
        );
      });
    });
}
