import { Command } from 'commander';
import { loadConfig } from '../config/config.ts';
import { openRuntime } from '../runtime.ts';

export function definitionCommand(): Command {
  const cmd = new Command('definition').description(
    'The register definition the database runs with',
  );
  cmd
    .command('apply')
    .description(
      'Record REKISTERI_REGISTER as the definition this database runs with: print what changed (controller, purposes, categories, fields, roles, recipients) and log the change in the access log once. A start with a changed definition is refused until this is run',
    )
    .action(async () => {
      const rt = await openRuntime(loadConfig(), { applyDefinition: true, createKey: false });
      try {
        for (const note of rt.notes) {
          console.error(`rekisteri: ${note}`);
        }
        const version = rt.register.digest.slice(0, 12);
        if (!rt.definitionChange) {
          console.log(
            `the database already runs with this definition (version ${version}): nothing to apply`,
          );
          return;
        }
        console.log(`applied the definition ${rt.config.registerFile} (version ${version}):`);
        for (const line of rt.definitionChange) {
          console.log(`  ${line}`);
        }
        console.log('the change is recorded in the access log (definition.change)');
      } finally {
        await rt.close();
      }
    });
  return cmd;
}
