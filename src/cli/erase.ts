import { Command, Option } from 'commander';
import { ERASURE_REASONS, type ErasureReason } from '../keystore/keystore.ts';
import { operator } from '../lib/actor.ts';
import { withRuntime } from './with-runtime.ts';

export function eraseCommand(): Command {
  return new Command('erase')
    .description(
      "Erase one subject: values and history deleted, the person's key destroyed in the key store, the erasure journalled",
    )
    .requiredOption('--subject <id>', 'the subject id')
    .addOption(
      new Option('--reason <code>', 'why')
        .choices(ERASURE_REASONS.filter((r) => r !== 'journal'))
        .default('request'),
    )
    .action(async (opts: { subject: string; reason: ErasureReason }) => {
      await withRuntime(
        async ({ services, keys }) => {
          await services.subjects.eraseSubject(operator, opts.subject, opts.reason);
          const cleaned = await keys.clean();
          console.log(`erased ${opts.subject}`);
          for (const warning of cleaned.warnings) {
            console.error(`rekisteri: cleaning the key store: ${warning}`);
          }
        },
        { quiet: true },
      );
    });
}
