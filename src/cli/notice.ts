/**
 * `rekisteri notice` and `rekisteri records`: the privacy notice (Art. 13/14) and the records of
 * processing (Art. 30) made from the register definition, written to standard output or a file.
 * Neither needs the database: both are made from the definition alone (docs/notice.md).
 */
import { writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
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

async function service(file: string | undefined) {
  const config = loadConfig();
  const target = file ?? (await resolveRegisterFile(config)).file;
  return createNoticeService({
    register: await loadDefinition(target),
    publicUrl: config.publicUrl,
  });
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

export function noticeCommand(): Command {
  return new Command('notice')
    .description('Print the privacy notice made from the register definition (Art. 13 and 14)')
    .argument('[file]', 'the definition (default: REKISTERI_REGISTER or ./register.yaml)')
    .addOption(langOption())
    .addOption(
      new Option('--format <format>', 'html, md or pdf').choices(NOTICE_FORMATS).default('md'),
    )
    .option('-o, --output <file>', 'write to this file instead of standard output')
    .action(
      async (
        file: string | undefined,
        opts: { lang?: NoticeLang; format: NoticeFormat; output?: string },
      ) => {
        const notice = await service(file);
        await output(await notice.render(notice.published(opts.lang), opts.format), opts.output);
      },
    );
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
