/**
 * `rekisteri notice` and `rekisteri records`: the privacy notice (Art. 13/14) and the records of
 * processing (Art. 30) made from the register definition, written to standard output or a file.
 * Neither needs the database: both are made from the definition alone (docs/notice.md).
 *
 * `rekisteri notice versions | publish | diff | announce | announcements`: the published versions
 * in the database, publishing one, what changed, and telling people of a material change by mail
 * (queued for the server's jobs runner), as the operator.
 */
import { writeFile } from 'node:fs/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import { operator } from '../lib/actor.ts';
import { isLoopbackAddress } from '../lib/public-url.ts';
import { loadConfig } from '../config/config.ts';
import { loadDefinition } from '../modules/definition/index.ts';
import {
  createNoticeService,
  NOTICE_FORMATS,
  NOTICE_LANGS,
  RECORD_FORMATS,
  RECORD_ROLES,
  type NoticeFormat,
  type NoticeLang,
  type RecordFormat,
  type RecordRole,
  type Rendered,
} from '../modules/notice/index.ts';
import { resolveRegisterFile } from '../runtime.ts';
import { withRuntime } from './with-runtime.ts';

async function service(file: string | undefined, publicUrl?: string) {
  const config = loadConfig();
  const target = file ?? (await resolveRegisterFile(config)).file;
  return createNoticeService({
    register: await loadDefinition(target),
    publicUrl: publicUrl ?? config.publicUrl,
  });
}

/** `--public-url`: the portal's address, as PUBLIC_URL takes it. */
const portalAddress = (v: string): string => {
  const u = URL.canParse(v) ? new URL(v) : undefined;
  if (
    !u ||
    !['http:', 'https:'].includes(u.protocol) ||
    u.search !== '' ||
    u.hash !== '' ||
    u.username !== '' ||
    u.password !== ''
  ) {
    throw new InvalidArgumentError(
      'expected the portal’s address, an http:// or https:// URL without query, fragment or credentials',
    );
  }
  return v.replace(/\/+$/, '');
};

/**
 * Why the links a Markdown or PDF notice would carry reach no reader: the portal's address is
 * this machine (PUBLIC_URL not set, or a loopback or unspecified address); undefined when the
 * address is one people can reach.
 */
function localLinks(address: string, fromEnv: boolean): string | undefined {
  const local = isLoopbackAddress(address);
  if (!fromEnv) {
    return `the notice's links point to ${address}, this server's own address, as PUBLIC_URL is not set`;
  }
  return local
    ? `the notice's links point to ${address} (PUBLIC_URL), an address only this machine reaches`
    : undefined;
}

async function output(r: Rendered, out: string | undefined) {
  if (out) {
    await writeFile(out, r.body);
    console.error(`wrote ${out}`);
  } else {
    process.stdout.write(r.body);
  }
}

const langOption = () =>
  new Option(
    '--lang <lang>',
    "one of the register's published languages (default: its main language)",
  ).choices(NOTICE_LANGS);

const versionNumber = (v: string): number => {
  const n = /^\d{1,7}$/.test(v) ? Number(v) : NaN;
  if (!(n >= 1 && n <= 1_000_000)) {
    throw new InvalidArgumentError('expected a version number (1 or more)');
  }
  return n;
};

const isoDate = (v: string): string => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`))) {
    throw new InvalidArgumentError('expected a date, YYYY-MM-DD');
  }
  return v;
};

/** The subcommands that read or change the published versions in the database. */
function versionCommands(cmd: Command): Command {
  cmd
    .command('versions')
    .description('The published versions of the notice, and whether the definition needs a new one')
    .option('--json', 'JSON instead of text')
    .action(async (opts: { json?: boolean }) => {
      await withRuntime(
        async ({ services }) => {
          const s = await services.noticeVersions.list();
          if (opts.json) {
            console.log(JSON.stringify(s));
            return;
          }
          for (const v of s.versions) {
            console.log(`version ${v.version}  dated ${v.date}  published ${v.publishedAt}`);
          }
          console.log(
            s.current.needsNewVersion
              ? `the definition running now needs a new version (${s.current.changes.length} material changes)`
              : `the definition running now is version ${s.current.publishedAs ?? 'unpublished'}`,
          );
        },
        { quiet: true },
      );
    });
  cmd
    .command('publish')
    .description('Publish the notice made from the definition running now as a new version')
    .option('--date <date>', 'the date the notice is dated (default today), YYYY-MM-DD', isoDate)
    .action(async (opts: { date?: string }) => {
      await withRuntime(
        async ({ services }) => {
          const v = await services.noticeVersions.publish(operator, { date: opts.date });
          console.log(`published version ${v.version}, dated ${v.date}`);
        },
        { quiet: true },
      );
    });
  cmd
    .command('diff')
    .description('What changed in substance between two versions (to: the definition running now)')
    .requiredOption('--from <version>', 'the earlier version', versionNumber)
    .option(
      '--to <version>',
      'the later version (default: the definition running now)',
      versionNumber,
    )
    .action(async (opts: { from: number; to?: number }) => {
      await withRuntime(
        async ({ services }) => {
          const changes = await services.noticeVersions.diff(opts.from, opts.to);
          const shown = (v: string | number | boolean | null) =>
            v === null ? '(none)' : String(v);
          for (const c of changes) {
            console.log(
              `${c.section.padEnd(10)} ${c.change.padEnd(7)} ${c.id}${c.fields.length ? ` (${c.fields.join(', ')})` : ''}`,
            );
            // Each single value with what it was and what it is: `duration: P6M → P1Y`.
            for (const v of c.values) {
              console.log(`${''.padEnd(19)} ${v.field}: ${shown(v.before)} → ${shown(v.after)}`);
            }
          }
          if (changes.length === 0) {
            console.log('nothing material changed');
          }
        },
        { quiet: true },
      );
    });
  cmd
    .command('announce')
    .description(
      'Tell every person with an active relationship and an e-mail address of a material change (the latest version), by mail in batches',
    )
    .argument('<version>', 'the latest published version', versionNumber)
    .action(async (version: number) => {
      await withRuntime(
        async ({ services }) => {
          const a = await services.noticeAnnouncements.start(operator, version);
          console.log(
            `queued: ${a.eligible} people to be told of version ${a.version}, changes since version ${a.sinceVersion} (announcement ${a.id}); the server's jobs runner mails them in batches`,
          );
        },
        { quiet: true },
      );
    });
  cmd
    .command('announcements')
    .description('The runs of telling people of a version, with their counts')
    .argument('[version]', 'one version only', versionNumber)
    .option('--json', 'JSON instead of text')
    .action(async (version: number | undefined, opts: { json?: boolean }) => {
      await withRuntime(
        async ({ services }) => {
          const list = await services.noticeAnnouncements.list(operator, version);
          if (opts.json) {
            console.log(JSON.stringify(list));
            return;
          }
          for (const a of list) {
            console.log(
              `version ${a.version} (changes since ${a.sinceVersion})  started ${a.startedAt}  ${a.failedAt ? `failed ${a.failedAt}` : a.finishedAt ? `finished ${a.finishedAt}` : 'running'}  mailed ${a.mailed} of ${a.eligible}, skipped ${a.skipped}`,
            );
          }
        },
        { quiet: true },
      );
    });
  return cmd;
}

export function noticeCommand(): Command {
  const cmd = new Command('notice')
    .description('Print the privacy notice made from the register definition (Art. 13 and 14)')
    .argument('[file]', 'the definition (default: REKISTERI_REGISTER or ./register.yaml)')
    .addOption(langOption())
    .addOption(
      new Option('--format <format>', 'html, md or pdf').choices(NOTICE_FORMATS).default('md'),
    )
    .option('-o, --output <file>', 'write to this file instead of standard output')
    .option(
      '--public-url <url>',
      "the portal's address the Markdown's and the PDF's links point to (default: PUBLIC_URL)",
      portalAddress,
    )
    .option(
      '--local-links',
      'make a PDF even when its links point to this machine (a preview, not for publishing)',
    )
    .action(
      async (
        file: string | undefined,
        opts: {
          lang?: NoticeLang;
          format: NoticeFormat;
          output?: string;
          publicUrl?: string;
          localLinks?: boolean;
        },
      ) => {
        // The Markdown and the PDF carry absolute links to the portal's pages: one to this
        // machine reaches no reader. A PDF is made to be handed out: refused without
        // --local-links; the Markdown (the default, read in the terminal) is warned about.
        if (opts.format !== 'html') {
          const address = opts.publicUrl ?? loadConfig().publicUrl;
          const fromEnv = opts.publicUrl !== undefined || (process.env.PUBLIC_URL ?? '') !== '';
          const why = localLinks(address, fromEnv);
          if (why !== undefined) {
            const fix =
              'set PUBLIC_URL, or pass --public-url, to the address people reach the portal at (https://…)';
            if (opts.format === 'pdf' && !opts.localLinks) {
              console.error(
                `error: a PDF of the notice is made to be published, but ${why}: ${fix}; --local-links makes it anyway, for a preview`,
              );
              process.exitCode = 1;
              return;
            }
            console.error(
              `warning: ${why}: ${fix} before publishing this ${opts.format === 'pdf' ? 'PDF' : 'Markdown'}`,
            );
          }
        }
        const notice = await service(file, opts.publicUrl);
        await output(await notice.render(notice.published(opts.lang), opts.format), opts.output);
      },
    );
  return versionCommands(cmd);
}

export function recordsCommand(): Command {
  return new Command('records')
    .description('Print the records of processing (Art. 30(1), or 30(2) for --role processor)')
    .argument('[file]', 'the definition (default: REKISTERI_REGISTER or ./register.yaml)')
    .addOption(langOption())
    .addOption(
      new Option('--format <format>', 'csv, html or pdf').choices(RECORD_FORMATS).default('csv'),
    )
    .addOption(
      new Option('--role <role>', 'controller or processor')
        .choices(RECORD_ROLES)
        .default('controller'),
    )
    .option('-o, --output <file>', 'write to this file instead of standard output')
    .action(
      async (
        file: string | undefined,
        opts: { lang?: NoticeLang; format: RecordFormat; role: RecordRole; output?: string },
      ) => {
        const notice = await service(file);
        const r = await notice.records(notice.published(opts.lang), opts.role, opts.format);
        if (!r) {
          console.error(
            'error: the register definition does not say the company processes data for its customers (register.processorFor): there are no Art. 30(2) records',
          );
          process.exitCode = 1;
          return;
        }
        await output(r, opts.output);
      },
    );
}
