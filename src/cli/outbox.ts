import { Command, InvalidArgumentError } from 'commander';
import { operator } from '../lib/actor.ts';
import { withRuntime } from './with-runtime.ts';

const limit = (v: string): number => {
  const n = /^\d{1,4}$/.test(v) ? Number(v) : NaN;
  if (!(n >= 1 && n <= 1000)) {
    throw new InvalidArgumentError('expected a whole number from 1 to 1000');
  }
  return n;
};

export function outboxCommand(): Command {
  const cmd = new Command('outbox').description('Outgoing mail waiting for delivery');
  cmd
    .command('list')
    .description(
      'Show the mail in the outbox, oldest first, opened (recorded in the access log as a read by the operator)',
    )
    .option('--limit <n>', 'at most this many (1–1000)', limit, 100)
    .option('--json', 'one JSON object per line instead of a table')
    .action(async (opts: { limit: number; json?: boolean }) => {
      await withRuntime(
        async ({ services }) => {
          const entries = await services.mail.listOutbox(operator, { limit: opts.limit });
          if (opts.json) {
            for (const e of entries) {
              console.log(JSON.stringify(e));
            }
            return;
          }
          if (entries.length === 0) {
            console.log('the outbox is empty');
            return;
          }
          for (const e of entries) {
            console.log(
              `${e.id}  ${e.state.padEnd(7)}  ${e.createdAt.toISOString()}  expires ${e.expiresAt.toISOString()}  ${e.locale}  ${e.to}  "${e.subject}"${e.subjectId ? `  person ${e.subjectId}` : ''}`,
            );
          }
        },
        { quiet: true },
      );
    });
  return cmd;
}
