import { Command, InvalidArgumentError } from 'commander';
import { operator } from '../lib/actor.ts';
import { ImportFileError, loadMapping } from '../modules/imports/index.ts';
import { progressBar } from './progress.ts';
import { withRuntime } from './with-runtime.ts';

export function importCommand(): Command {
  return new Command('import')
    .description(
      'Import people from CSV or JSON Lines through a mapping file; re-run after a crash to resume',
    )
    .argument('<file>', 'the CSV (with a header row) or .jsonl file')
    .requiredOption(
      '--mapping <file>',
      'YAML mapping: columns → category.field, source, purpose, dedupe',
    )
    .option('--errors <file>', 'where rejected lines go (default: <file>.errors.csv)')
    .option(
      '--allow-suppressed',
      'record addresses of people erased earlier (the suppression list) instead of rejecting their lines; logged',
    )
    .option('--batch-size <n>', 'rows per transaction', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 100_000) {
        throw new InvalidArgumentError('expected a whole number from 1 to 100000');
      }
      return n;
    })
    .action(
      async (
        file: string,
        opts: { mapping: string; errors?: string; batchSize?: number; allowSuppressed?: boolean },
      ) => {
        await withRuntime(async ({ services, register }) => {
          const mapping = await loadMapping(opts.mapping, register);
          let bar: ReturnType<typeof progressBar> | undefined;
          const start = Date.now();
          try {
            const summary = await services.imports.importFile(operator, {
              file,
              mapping,
              ...(opts.errors ? { errorFile: opts.errors } : {}),
              ...(opts.batchSize ? { batchSize: opts.batchSize } : {}),
              ...(opts.allowSuppressed ? { allowSuppressed: true } : {}),
              onProgress: (p) => {
                bar ??= progressBar(
                  'importing',
                  Math.max(1, Math.round(p.totalBytes / 1024)),
                  ' KiB',
                );
                bar.update(Math.round(p.bytes / 1024), {
                  info: `${p.created} new, ${p.merged} merged, ${p.skipped} skipped, ${p.rejected} rejected`,
                });
              },
            });
            bar?.stop();
            if (summary.alreadyImported) {
              console.log(
                `${file} was already imported with this mapping (${summary.lines} lines); nothing to do`,
              );
              return;
            }
            const secs = ((Date.now() - start) / 1000).toFixed(1);
            if (summary.resumedAfterLine > 0) {
              console.log(`resumed after line ${summary.resumedAfterLine}`);
            }
            console.log(
              `${summary.created} created, ${summary.merged} merged, ${summary.skipped} skipped, ${summary.rejected} rejected in ${secs} s`,
            );
            if (summary.errorFile) {
              console.log(`rejected lines and reasons: ${summary.errorFile}`);
              process.exitCode = 2;
            }
          } catch (err) {
            bar?.stop();
            if (err instanceof ImportFileError) {
              throw new Error(
                `${file}: ${err.message}. Rows before it in committed batches are kept; fix the file and import again.`,
              );
            }
            throw err;
          }
        });
      },
    );
}
