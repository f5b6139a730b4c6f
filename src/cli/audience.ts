/**
 * `rekisteri audience count|export`: the audiences service (docs/audiences.md) at the command line,
 * as the operator. The export streams CSV to standard output (or --out) page by page, with a
 * progress bar on a terminal; it is logged as one processing, like an export through the API.
 */
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Command, Option } from 'commander';
import { operator } from '../lib/actor.ts';
import { invalid } from '../lib/errors.ts';
import { progressBar } from './progress.ts';
import { withRuntime } from './with-runtime.ts';

interface AudienceOpts {
  purpose: string;
  channel: string;
  filter: string[];
  createdAfter?: string;
  out?: string;
}

/** `field=value` (equals), `field~value` (contains) or `field:in=a,b,c` (one of). */
export function parseFilter(text: string, i: number): Record<string, unknown> {
  const m = /^([^=~:]+)(:in=|=|~)(.*)$/s.exec(text);
  if (!m) {
    throw invalid(
      `filters[${i}]`,
      'expected field=value, field~value (contains) or field:in=a,b (one of), e.g. contact.language=fi',
    );
  }
  const [, field = '', op, value = ''] = m;
  return op === ':in='
    ? { field, op: 'in', values: value.split(',') }
    : { field, op: op === '~' ? 'contains' : 'equals', value };
}

function input(opts: AudienceOpts) {
  return {
    purpose: opts.purpose,
    channel: opts.channel,
    filters: opts.filter.map(parseFilter),
    ...(opts.createdAfter ? { createdAfter: opts.createdAfter } : {}),
  };
}

function withAudienceOptions(c: Command): Command {
  return c
    .requiredOption('--purpose <id>', 'a marketing purpose')
    .requiredOption('--channel <id>', 'one of its channels (email, sms, phone, post, …)')
    .addOption(
      new Option(
        '--filter <filter>',
        'field=value, field~value (contains) or field:in=a,b; repeat for more (all must hold)',
      )
        .argParser((v: string, prev: string[]) => [...prev, v])
        .default([]),
    )
    .option('--created-after <time>', 'only people added after this ISO 8601 time');
}

export function audienceCommand(): Command {
  const cmd = new Command('audience').description(
    'Audiences: the people a marketing purpose may reach on a channel now',
  );
  cmd.addCommand(
    withAudienceOptions(new Command('count'))
      .description('How many people the audience holds now')
      .action(async (opts: AudienceOpts) => {
        await withRuntime(
          async ({ services }) => {
            const { count, fewerThan } = await services.audiences.count(operator, input(opts));
            process.stdout.write(fewerThan === undefined ? `${count}\n` : `< ${fewerThan}\n`);
          },
          { quiet: true },
        );
      }),
  );
  cmd.addCommand(
    withAudienceOptions(new Command('export'))
      .description('Write the audience as CSV: id, the channel’s value(s), unsubscribe link')
      .option('--out <file>', 'write to a file (mode 0600) instead of standard output')
      .action(async (opts: AudienceOpts) => {
        await withRuntime(
          async ({ services }) => {
            let bar: ReturnType<typeof progressBar> | undefined;
            let written = 0;
            const { lines, estimate } = services.audiences.exportCsv(operator, input(opts), {
              onRows: (n) => {
                written = n;
                bar?.update(n);
              },
            });
            if (process.stderr.isTTY) {
              bar = progressBar('audience', await estimate(), ' people');
            }
            try {
              await pipeline(
                Readable.from(lines),
                opts.out ? createWriteStream(opts.out, { mode: 0o600 }) : process.stdout,
              );
            } finally {
              bar?.stop();
            }
            console.error(`${written} people${opts.out ? ` written to ${opts.out}` : ''}`);
          },
          { quiet: true },
        );
      }),
  );
  return cmd;
}
