/**
 * `rekisteri campaign list|feedback`: campaigns (docs/campaigns.md) at the command line, as the
 * operator. `feedback` feeds back a bounce or a complaint, by Message-ID or recipient, or from the
 * delivery status notification or abuse report as received (a file, or `-` for standard input),
 * as `POST /api/v1/campaigns/feedback` does.
 */
import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { operator } from '../lib/actor.ts';
import { withRuntime } from './with-runtime.ts';

async function readAll(file: string): Promise<string> {
  if (file !== '-') {
    return readFile(file, 'utf8');
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function campaignCommand(): Command {
  const cmd = new Command('campaign').description('Campaigns: marketing mail the register sends');
  cmd
    .command('list')
    .description('The campaigns, newest first, with their state and progress')
    .action(async () => {
      await withRuntime(
        async ({ services }) => {
          for (const c of await services.campaigns.list(operator)) {
            const p = c.progress;
            console.log(
              `${c.id}  ${c.state.padEnd(9)}  ${c.purpose}/${c.channel}  ${p.sent}/${p.total} sent, ${p.skipped} skipped, ${p.failed} failed, ${p.bounced} bounced, ${p.complained} complained  ${c.name}`,
            );
          }
        },
        { quiet: true },
      );
    });
  cmd
    .command('feedback')
    .description(
      'Record a bounce or complaint of a campaign mail; a complaint also records an objection (or a withdrawn consent) in the permission ledger',
    )
    .addOption(new Option('--type <type>', 'bounce or complaint').choices(['bounce', 'complaint']))
    .option(
      '--message-id <id>',
      "the campaign mail's Message-ID (required, here or quoted in --report: only a report on a mail we sent counts)",
    )
    .option('--recipient <address>', 'the address the mail went to (checked against the mail)')
    .option('--campaign <id>', 'the campaign (checked against the mail)')
    .option('--report <file>', 'the DSN or abuse report as received (- for standard input)')
    .action(
      async (opts: {
        type?: 'bounce' | 'complaint';
        messageId?: string;
        recipient?: string;
        campaign?: string;
        report?: string;
      }) => {
        const report = opts.report ? await readAll(opts.report) : undefined;
        await withRuntime(
          async ({ services }) => {
            const r = await services.campaigns.feedback(operator, {
              ...(opts.type ? { type: opts.type } : {}),
              ...(opts.messageId ? { messageId: opts.messageId } : {}),
              ...(opts.recipient ? { recipient: opts.recipient } : {}),
              ...(opts.campaign ? { campaignId: opts.campaign } : {}),
              ...(report ? { report } : {}),
            });
            console.log(`${r.state}: person ${r.subjectId} in campaign ${r.campaignId}`);
          },
          { quiet: true },
        );
      },
    );
  return cmd;
}
