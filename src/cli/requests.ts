/**
 * `rekisteri requests`: the data subjects' requests from the command line, most pressing first,
 * and one request with its history. A thin layer over the requests service, acting as the
 * operator; each read of a request is recorded in the access log as the console's are.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { operator } from '../lib/actor.ts';
import {
  REQUEST_STATES,
  type RequestState,
  type RequestSummary,
} from '../modules/requests/index.ts';
import { withRuntime } from './with-runtime.ts';

const limit = (v: string): number => {
  const n = /^\d{1,3}$/.test(v) ? Number(v) : NaN;
  if (!(n >= 1 && n <= 500)) {
    throw new InvalidArgumentError('expected a whole number from 1 to 500');
  }
  return n;
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `due 2027-02-28 (3 days left)`, `OVERDUE since 2027-02-28`, or the state of a closed one. */
function dueText(r: RequestSummary): string {
  if (r.closedAt !== null) {
    return `closed ${r.closedAt.slice(0, 10)}`;
  }
  if (r.dueOn === null) {
    return 'identity not yet proven (the clock has not started)';
  }
  const days = Math.round(
    (Date.parse(`${r.dueOn}T00:00:00Z`) -
      Date.parse(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`)) /
      86_400_000,
  );
  const ext = r.extended ? `, extended from ${r.originalDueOn ?? '?'}` : '';
  return r.overdue
    ? `OVERDUE since ${r.dueOn}${ext}`
    : `due ${r.dueOn} (${days} day${days === 1 ? '' : 's'} left${ext})`;
}

export function requestsCommand(): Command {
  const cmd = new Command('requests').description(
    "Data subjects' requests: the queue, and one request with its history",
  );
  cmd
    .command('list')
    .description('Open requests, overdue first, then by due date, then those awaiting identity')
    .addOption(
      new Option('--state <state...>', 'only these states (default: the open ones)').choices([
        ...REQUEST_STATES,
      ]),
    )
    .option('--limit <n>', 'at most this many (1–500)', limit, 100)
    .option('--json', 'one JSON object per line instead of a table')
    .action(async (opts: { state?: RequestState[]; limit: number; json?: boolean }) => {
      await withRuntime(
        async ({ services }) => {
          const rows = await services.requests.list(operator, {
            ...(opts.state ? { states: opts.state } : {}),
            limit: opts.limit,
          });
          if (opts.json) {
            for (const r of rows) {
              console.log(JSON.stringify(r));
            }
            return;
          }
          if (rows.length === 0) {
            console.log('no requests');
            return;
          }
          for (const r of rows) {
            console.log(
              `${r.id}  ${r.type.padEnd(21)}  ${r.state.padEnd(16)}  ${r.channel.padEnd(9)}  received ${r.receivedAt.slice(0, 10)}  ${dueText(r)}`,
            );
          }
        },
        { quiet: true },
      );
    });
  cmd
    .command('show')
    .description('One request, opened, with its history (recorded in the access log as a read)')
    .argument('<id>', 'the request id', (v: string) => {
      if (!UUID.test(v)) {
        throw new InvalidArgumentError('expected a request id (a UUID)');
      }
      return v.toLowerCase();
    })
    .option('--json', 'the whole request as one JSON object')
    .action(async (id: string, opts: { json?: boolean }) => {
      await withRuntime(
        async ({ services }) => {
          const r = await services.requests.get(operator, id);
          if (opts.json) {
            console.log(JSON.stringify(r, null, 2));
            return;
          }
          console.log(`request   ${r.id}`);
          console.log(`type      ${r.type}`);
          console.log(`state     ${r.state}${r.extended ? ' (extended)' : ''}`);
          console.log(`channel   ${r.channel}, language ${r.lang}`);
          console.log(`received  ${r.receivedAt}`);
          console.log(`deadline  ${dueText(r)}`);
          console.log(
            `identity  ${r.identity.proof ?? 'not proven'}${r.identity.documentType ? `, ${r.identity.documentType} checked` : ''}${r.identity.checkedBy ? ` by ${r.identity.checkedBy}` : ''} (accepted: ${r.identity.accepted.join(', ')})`,
          );
          console.log(`person    ${r.subjectId ?? 'not linked'}`);
          console.log('history');
          for (const e of r.events) {
            console.log(`  ${e.at}  ${e.step.padEnd(18)}  ${e.actor}`);
          }
        },
        { quiet: true },
      );
    });
  return cmd;
}
