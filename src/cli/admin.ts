import { Command } from 'commander';
import { operator } from '../lib/actor.ts';
import { withRuntime } from './with-runtime.ts';

export function adminCommand(): Command {
  const cmd = new Command('admin').description('Staff accounts of the console');
  cmd
    .command('create')
    .description('Create a staff account and print its one-time password')
    .requiredOption('--username <name>', 'sign-in name: letters, digits, . - _')
    .option('--name <display name>', 'the name shown in the console', 'Administrator')
    .option('--role <role>', 'a role of the register definition', 'admin')
    .option('--email <address>', 'where the requests digest goes (a role with handle_requests)')
    .option('--lang <sv|fi|en>', 'the language of mail to them')
    .action(
      async (opts: {
        username: string;
        name: string;
        role: string;
        email?: string;
        lang?: string;
      }) => {
        await withRuntime(async ({ services }) => {
          const { staff, password } = await services.staff.createStaff(operator, {
            username: opts.username,
            displayName: opts.name,
            role: opts.role,
            ...(opts.email !== undefined ? { email: opts.email } : {}),
            ...(opts.lang !== undefined ? { lang: opts.lang as 'sv' | 'fi' | 'en' } : {}),
          });
          console.log(
            `created ${staff.username} (${staff.role}). The one-time password, shown only now:\n\n    ${password}\n\nThe first sign-in with it asks for a password of their own.\n`,
          );
        });
      },
    );
  return cmd;
}
