/**
 * `rekisteri campaign list|feedback|resolve|requeue|lift-bounce`: campaigns (docs/campaigns.md)
 * at the command line, as the operator. `resolve` and `requeue` deal with an uncertain mail,
 * `lift-bounce` with a bounce's suppression, as the routes under `/campaigns/{id}/sends/` do. `feedback` feeds back a bounce or a complaint, by Message-ID or recipient, or from the
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
  const showDetail = (d: {
    subjectId: string;
    state: string;
    reason: string | null;
    bounceSuppressedUntil: string | null;
  }) =>
    console.log(
      `${d.state}: person ${d.subjectId}${d.reason ? ` (${d.reason})` : ''}${d.bounceSuppressedUntil ? `, kept out until ${d.bounceSuppressedUntil}` : ''}`,
    );
  cmd
    .command('resolve <campaign> <subject>')
    .description(
      'Resolve an uncertain campaign mail after asking the mail server: sent (it was taken) or failed (not delivered; never sent again by itself)',
    )
    .addOption(
      new Option('--outcome <outcome>', 'sent or failed')
        .choices(['sent', 'failed'])
        .makeOptionMandatory(),
    )
    .requiredOption('--reason <text>', 'what was checked (kept in the history, not logged)')
    .action(
      async (
        campaign: string,
        subject: string,
        opts: { outcome: 'sent' | 'failed'; reason: string },
      ) => {
        await withRuntime(
          async ({ services }) =>
            showDetail(
              await services.campaigns.resolveSend(operator, campaign, subject, {
                outcome: opts.outcome,
                reason: opts.reason,
              }),
            ),
          { quiet: true },
        );
      },
    );
  cmd
    .command('requeue <campaign> <subject>')
    .description(
      'Send an uncertain campaign mail again: the person may get it twice (--confirm-send-again); their permission is checked again right before',
    )
    .requiredOption('--reason <text>', 'why (kept in the history, not logged)')
    .option('--confirm-send-again', 'I accept that the person may get this mail twice')
    .action(
      async (
        campaign: string,
        subject: string,
        opts: { reason: string; confirmSendAgain?: boolean },
      ) => {
        await withRuntime(
          async ({ services }) =>
            showDetail(
              await services.campaigns.requeueSend(operator, campaign, subject, {
                reason: opts.reason,
                // Left out unless given: the service refuses it, naming confirmSendAgain.
                ...(opts.confirmSendAgain ? { confirmSendAgain: true } : {}),
              }),
            ),
          { quiet: true },
        );
      },
    );
  cmd
    .command('lift-bounce <campaign> <subject>')
    .description(
      'Lift the 180-day suppression of the address this bounced mail went to (the person fixed their mailbox); refusals and prohibition lists still apply',
    )
    .requiredOption('--reason <text>', 'why (kept in the history, not logged)')
    .action(async (campaign: string, subject: string, opts: { reason: string }) => {
      await withRuntime(
        async ({ services }) =>
          showDetail(
            await services.campaigns.liftBounce(operator, campaign, subject, {
              reason: opts.reason,
            }),
          ),
        { quiet: true },
      );
    });
  return cmd;
}
