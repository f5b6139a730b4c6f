import { Command } from 'commander';
import { auditAnchorFile } from '../runtime.ts';
import { withRuntime } from './with-runtime.ts';

export function auditCommand(): Command {
  const cmd = new Command('audit').description('The tamper-evident access log');
  cmd
    .command('verify')
    .description(
      'Seal pending entries, check every MAC, recompute the hash chain and compare it with the latest anchor; name the first entry that does not match (exit 1)',
    )
    .action(async () => {
      await withRuntime(
        async ({ services, config }) => {
          const result = await services.audit.verify();
          if (result.ok) {
            console.log(
              `the access log is intact: ${result.checked} entries verified${result.unsealed > 0 ? `, ${result.unsealed} not yet sealed` : ''}`,
            );
            if (result.unauthenticated > 0) {
              console.log(
                `${result.unauthenticated} of them were written before entries carried a MAC: the chain alone protects them`,
              );
            }
            if (result.head) {
              console.log(`chain head: entry ${result.head.seq}, hash ${result.head.hash}`);
            }
            if (result.anchor) {
              console.log(
                `checked against the anchor of entry ${result.anchor.seq} (${result.anchor.time}) in ${auditAnchorFile(config)}`,
              );
            } else {
              console.log(
                'no anchor outside the database yet: entries cut off the end could not be detected',
              );
            }
            return;
          }
          const b = result.broken;
          const where =
            b?.seq && b.eventId
              ? `chain entry ${b.seq} (event ${b.eventId})`
              : b?.seq
                ? `chain entry ${b.seq}`
                : `event ${b?.eventId ?? '?'}`;
          console.error(`the access log has been tampered with: ${where}: ${b?.reason ?? ''}`);
          console.error(`${result.checked} entries before it verified`);
          if (result.forged.length > 0) {
            console.error(
              `events not written by Rekisteri (never chained): ${result.forged.join(', ')}`,
            );
          }
          process.exitCode = 1;
        },
        { quiet: true },
      );
    });
  return cmd;
}
