/**
 * `rekisteri retention`: what the next sweep would delete and why (`plan`, or one person's dates
 * with --subject), and a sweep run now (`sweep`), the same the daily job runs.
 */
import { Command, InvalidArgumentError } from 'commander';
import { withRuntime } from './with-runtime.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const subjectId = (v: string): string => {
  if (!UUID.test(v)) {
    throw new InvalidArgumentError('expected a subject id (a UUID)');
  }
  return v;
};

const batch = (v: string): number => {
  const n = /^\d{1,5}$/.test(v) ? Number(v) : NaN;
  if (!(n >= 1 && n <= 10000)) {
    throw new InvalidArgumentError('expected a whole number from 1 to 10000');
  }
  return n;
};

const lanes = (v: string): number => {
  const n = /^\d$/.test(v) ? Number(v) : NaN;
  if (!(n >= 1 && n <= 8)) {
    throw new InvalidArgumentError('expected a whole number from 1 to 8');
  }
  return n;
};

export function retentionCommand(): Command {
  const cmd = new Command('retention').description(
    'Retention: what the next sweep would delete and why, and the sweep itself',
  );
  cmd
    .command('plan')
    .description(
      'What the next sweep would delete: people erased whole, per rule and category how many lose it, and what legal holds keep; with --subject, one person’s dates',
    )
    .option('--subject <id>', "one person's dates per category", subjectId)
    .option('--json', 'JSON instead of text')
    .action(async (opts: { subject?: string; json?: boolean }) => {
      await withRuntime(
        async ({ services }) => {
          if (opts.subject !== undefined) {
            const s = await services.retention.ofSubject(opts.subject);
            if (opts.json) {
              console.log(JSON.stringify(s));
              return;
            }
            console.log(`subject ${s.id} on ${s.today}`);
            const h = s.heldRecord;
            if (h !== null) {
              // A held record: its holds keep it to their end; the rules no longer apply.
              console.log(
                `  held record: kept by the legal hold${h.holds.length === 1 ? '' : 's'} ${h.holds.join(', ')} for ${h.purpose} until ${h.until}`,
              );
              for (const c of s.categories) {
                console.log(
                  `  ${c.category.padEnd(20)} until ${h.until.padEnd(11)} ${c.expired ? 'hold ended, shredded next' : 'kept by the hold'}  (${c.rules.join(', ')})`,
                );
              }
              return;
            }
            console.log(
              `  relationship began: ${s.relationshipStartedAt?.slice(0, 10) ?? (s.relationshipBegan ? 'yes (a value collected for a relationship purpose)' : 'no (rules from the end of the relationship count from collection)')}`,
            );
            console.log(`  relationship ended: ${s.relationshipEndedAt?.slice(0, 10) ?? 'no'}`);
            console.log(`  last activity: ${s.lastActivityAt.slice(0, 10)}`);
            for (const c of s.categories) {
              const state = c.expired
                ? c.held
                  ? 'EXPIRED, kept by a legal hold'
                  : 'EXPIRED'
                : 'kept';
              console.log(
                `  ${c.category.padEnd(20)} until ${(c.until ?? 'no end yet').padEnd(11)} ${state}  (${c.rules.join(', ')})`,
              );
            }
            return;
          }
          const p = await services.retention.plan();
          if (opts.json) {
            console.log(JSON.stringify(p));
            return;
          }
          console.log(`the next sweep on ${p.today} would erase ${p.erase} people whole`);
          console.log(`and delete categories of ${p.partial} people who keep others`);
          for (const r of p.rows) {
            console.log(`  ${r.rule.padEnd(24)} ${r.category.padEnd(20)} ${r.people} people`);
          }
          for (const h of p.held) {
            console.log(`  kept by a legal hold       ${h.category.padEnd(20)} ${h.people} people`);
          }
          for (const k of p.kept) {
            console.log(`  kept whole, ${k.reason.padEnd(14)} ${''.padEnd(20)} ${k.people} people`);
          }
        },
        { quiet: true },
      );
    });
  cmd
    .command('sweep')
    .description('Delete what has expired now, in batches (the daily job does the same)')
    .option('--batch <n>', 'people per batch (1–10000)', batch, 1000)
    .option(
      '--concurrency <n>',
      'batches in flight at once (1–8; more is faster, but takes CPU from the API)',
      lanes,
      1,
    )
    .action(async (opts: { batch: number; concurrency: number }) => {
      await withRuntime(
        async ({ services, keys }) => {
          const r = await services.retention.sweep({
            batchSize: opts.batch,
            concurrency: opts.concurrency,
          });
          // A key store erase that failed during the sweep is left to the erasure journal: finish
          // it now, not at the next start of some command (the server does so within a minute).
          const journal = await services.subjects.reconcileErasures();
          if (journal.keysDestroyed > 0) {
            console.log(
              `finished the erasure journal: ${journal.keysDestroyed} keys the sweep could not destroy at once destroyed now`,
            );
          }
          await keys.clean();
          console.log(
            `erased ${r.erased} people (${r.heldRecords} with a legal hold's categories kept), deleted ${r.categoriesDeleted} categories of others, ${r.categoriesHeld} kept by legal holds, in ${r.batches} batches`,
          );
          for (const k of r.kept) {
            console.log(`kept ${k.people} people with expired data whole: ${k.reason}`);
          }
        },
        { quiet: true },
      );
    });
  return cmd;
}
