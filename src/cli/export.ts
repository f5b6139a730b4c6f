import { writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import { operator } from '../lib/actor.ts';
import { withRuntime } from './with-runtime.ts';

export function exportCommand(): Command {
  return new Command('export')
    .description('Write everything held about one subject as JSON')
    .requiredOption('--subject <id>', 'the subject id')
    .option('--out <file>', 'write to a file (mode 0600) instead of standard output')
    .action(async (opts: { subject: string; out?: string }) => {
      await withRuntime(
        async ({ services }) => {
          const data = await services.subjects.exportSubject(operator, opts.subject);
          const text = `${JSON.stringify(data, null, 2)}\n`;
          if (opts.out) {
            await writeFile(opts.out, text, { mode: 0o600 });
            console.error(`wrote ${opts.out}`);
          } else {
            process.stdout.write(text);
          }
        },
        { quiet: true },
      );
    });
}
