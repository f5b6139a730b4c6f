/**
 * Interchange commands (docs/interchange.md): an e-mail service's audience export into the
 * permission ledger, a direct-marketing prohibition list, the suppression list's export as
 * keyed hashes, and one address on the undeliverable or prohibition list looked up or taken off
 * (`address-list show|remove`). Rejected lines go to `<file>.errors.csv` (line, column, reason:
 * never a value).
 */
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { operator } from '../lib/actor.ts';
import {
  ADDRESS_LISTS,
  AUDIENCE_FORMATS,
  type AudienceFormat,
  type Rejection,
} from '../modules/interchange/index.ts';
import { withRuntime } from './with-runtime.ts';

async function writeRejections(file: string, rejected: Rejection[]): Promise<string | null> {
  if (rejected.length === 0) {
    return null;
  }
  const q = (s: string) => `"${s.replaceAll('"', '""')}"`;
  const out = `${file}.errors.csv`;
  await writeFile(
    out,
    `line,field,reason\n${rejected.map((r) => `${r.line},${q(r.field)},${q(r.reason)}`).join('\n')}\n`,
  );
  return out;
}

export function importAudienceCommand(): Command {
  return new Command('import-audience')
    .description(
      "Import an e-mail service's audience export (Mailchimp, listmonk) into the permission ledger",
    )
    .argument('<file>', 'the CSV export')
    .addOption(
      new Option('--format <format>', 'the service that wrote it')
        .choices([...AUDIENCE_FORMATS])
        .makeOptionMandatory(),
    )
    .requiredOption(
      '--purpose <purpose>',
      'the marketing purpose the list is for (e.g. newsletter)',
    )
    .option('--channel <channel>', 'the channel the list reaches people on', 'email')
    .option(
      '--source <source>',
      'where new people came from (a source of the definition)',
      'subject',
    )
    .option('--dry-run', 'read and report what would change; write nothing')
    .action(
      async (
        file: string,
        opts: {
          format: AudienceFormat;
          purpose: string;
          channel: string;
          source: string;
          dryRun?: boolean;
        },
      ) => {
        await withRuntime(async ({ services }) => {
          const s = await services.interchange.importAudience(operator, {
            file,
            format: opts.format,
            purpose: opts.purpose,
            channel: opts.channel,
            source: opts.source,
            dryRun: opts.dryRun === true,
          });
          const would = s.dryRun ? 'dry run, nothing written: would record' : 'recorded';
          console.log(
            `${s.lines} lines (${s.run}); ${would} ${s.granted} granted, ${s.withdrawn} withdrawn, ${s.refused} refused, ${s.pending} pending; ${s.unchanged} unchanged; ${s.superseded} superseded (older than the ledger's state); ${s.undeliverable} undeliverable; ${s.matched} people matched, ${s.created} ${s.dryRun ? 'to create' : 'created'}; ${s.suppressed} on the suppression list (not created); ${s.skipped.length} skipped (the person's own refusal stands); ${s.rejected.length} rejected`,
          );
          const errors = await writeRejections(file, s.rejected);
          if (errors) {
            console.log(`rejected lines and reasons: ${errors}`);
            process.exitCode = 2;
          }
        });
      },
    );
}

export function importProhibitionsCommand(): Command {
  return new Command('import-prohibitions')
    .description(
      'Import a direct-marketing prohibition list (e-mail addresses and/or phone numbers) as keyed hashes',
    )
    .argument('<file>', 'CSV with a header row: a column email and/or phone')
    .requiredOption('--source <name>', "the list's name, kept with each entry (e.g. asml-2026-11)")
    .option('--dry-run', 'read and report what would change; write nothing')
    .action(async (file: string, opts: { source: string; dryRun?: boolean }) => {
      await withRuntime(async ({ services }) => {
        const s = await services.interchange.importProhibitions(operator, {
          file,
          source: opts.source,
          dryRun: opts.dryRun === true,
        });
        console.log(
          `${s.lines} lines (${s.run}); ${s.dryRun ? 'dry run, nothing written: would add' : 'added'} ${s.email} e-mail addresses and ${s.phone} phone numbers; ${s.already} already listed; ${s.rejected.length} rejected`,
        );
        const errors = await writeRejections(file, s.rejected);
        if (errors) {
          console.log(`rejected lines and reasons: ${errors}`);
          process.exitCode = 2;
        }
      });
    });
}

export function suppressionExportCommand(): Command {
  return new Command('suppression-export')
    .description(
      'Export the suppression and prohibition lists as keyed hashes (hash,kind,since,reason) for a processor',
    )
    .argument('<out>', 'the CSV to write')
    .option('--print-key', 'also print the interchange key (hex) the receiver needs to compare')
    .action(async (out: string, opts: { printKey?: boolean }) => {
      await withRuntime(async ({ services }) => {
        const stream = createWriteStream(out, { mode: 0o600 });
        const write = (chunk: string) =>
          new Promise<void>((resolve, reject) =>
            stream.write(chunk, (err) => (err ? reject(err) : resolve())),
          );
        const r = await services.interchange.exportSuppression(operator, write);
        await new Promise<void>((resolve) => stream.end(resolve));
        console.log(
          `${r.rows} entries written to ${out}${r.withoutHash ? `; ${r.withoutHash} older entries have no interchange hash and were left out` : ''}`,
        );
        if (opts.printKey) {
          console.log(
            `interchange key (give it to the receiver apart from the file): ${services.interchange.interchangeKey(operator)}`,
          );
        }
      });
    });
}

/**
 * `rekisteri address-list show|remove --list L --email A | --phone N [--reason R]`: one address on
 * the undeliverable or prohibition list, as `POST /interchange/address-lists/{list}/lookup` and
 * `/remove` do. The address is normalised as the lists key it and never printed back.
 */
export function addressListCommand(): Command {
  const cmd = new Command('address-list').description(
    'One address on the undeliverable or prohibition list: look it up, or take it off with a reason',
  );
  const address = (c: Command) =>
    c
      .addOption(
        new Option('--list <list>', 'undeliverable or prohibition')
          .choices([...ADDRESS_LISTS])
          .makeOptionMandatory(),
      )
      .option('--email <address>', 'the e-mail address (normalised as the list keys it)')
      .option('--phone <number>', 'the phone number (normalised to E.164 as the list keys it)');
  type Opts = { list: string; email?: string; phone?: string; reason?: string };
  const which = (o: Opts) => ({
    ...(o.email === undefined ? {} : { email: o.email }),
    ...(o.phone === undefined ? {} : { phone: o.phone }),
  });
  address(cmd.command('show'))
    .description('Whether the address is on the list, since when and where from')
    .action(async (o: Opts) => {
      await withRuntime(
        async ({ services }) => {
          const e = await services.interchange.lookupAddress(operator, o.list, which(o));
          console.log(
            e.listed
              ? `listed on ${e.list} since ${e.listedAt ?? '?'} (source ${e.source ?? '?'})`
              : `not listed on ${e.list}`,
          );
        },
        { quiet: true },
      );
    });
  address(cmd.command('remove'))
    .description(
      'Take the address off the list: audiences and campaigns reach it again (undeliverable), or the permission check no longer answers prohibition_list (prohibition)',
    )
    .requiredOption(
      '--reason <text>',
      'why (one line, up to 500 characters, never personal data); the access log keeps its digest',
    )
    .action(async (o: Opts) => {
      await withRuntime(
        async ({ services }) => {
          const r = await services.interchange.removeAddress(operator, o.list, {
            ...which(o),
            reason: o.reason,
          });
          console.log(
            `removed from ${r.list} (listed since ${r.listedAt}, source ${r.source}) at ${r.removedAt}`,
          );
        },
        { quiet: true },
      );
    });
  return cmd;
}
