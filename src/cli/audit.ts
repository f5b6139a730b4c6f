import { Command } from 'commander';
import { withRuntime } from './with-runtime.ts';

export function auditCommand(): Command {
  const cmd = new Command('audit').description('The tamper-evident access log');
  cmd
    .command('verify')
    .description(
      'Seal pending entries, recompute the hash chain, and name the first entry that does not match (exit 1)',
    )
    .action(async () => {
      await withRuntime(
        async ({ services }) => {
          const result = await services.audit.verify();
          if (result.ok) {
            console.log(
              `the access log is intact: ${result.checked} entries verified${result.unsealed > 0 ? `, ${result.unsealed} not yet sealed` : ''}`,
            );
            if (result.head) {
              console.log(`chain head: entry ${result.head.seq}, hash ${result.head.hash}`);
              console.log(
                'keep this line somewhere outside the database: a later head must continue from it',
              );
            }
            return;
          }
          const b = result.broken;
          console.error(
            `the access log has been tampered with: chain entry ${b?.seq} (event ${b?.eventId}): ${b?.reason}`,
          );
          console.error(`${result.checked} entries before it verified`);
          process.exitCode = 1;
        },
        { quiet: true },
      );
    });
  return cmd;
}
