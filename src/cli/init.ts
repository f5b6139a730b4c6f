import { copyFile, access } from 'node:fs/promises';
import { Command } from 'commander';
import { loadConfig, masterKeyFromEnvironment } from '../config/config.ts';
import { DEMO_REGISTER } from '../runtime.ts';
import { loadOrCreateMasterKey } from '../vault/master-key.ts';

export function initCommand(): Command {
  return new Command('init')
    .description(
      'Write a starting register.yaml (from the demo register) and create the master key file',
    )
    .option('--force', 'overwrite an existing register.yaml')
    .action(async (opts: { force?: boolean }) => {
      const config = loadConfig();
      let exists = true;
      try {
        await access(config.registerFile);
      } catch {
        exists = false;
      }
      if (exists && !opts.force) {
        console.log(`${config.registerFile} exists; leaving it (use --force to overwrite)`);
      } else {
        await copyFile(DEMO_REGISTER, config.registerFile);
        console.log(
          `wrote ${config.registerFile}: edit it to describe your register, then run \`rekisteri check\``,
        );
      }
      const key = await loadOrCreateMasterKey({
        fromEnv: masterKeyFromEnvironment(config),
        file: config.keyFile,
        create: true,
      });
      console.log(
        key.origin === 'created'
          ? `created ${config.keyFile} (mode 0600): keep a copy somewhere safe, without it the data cannot be read`
          : `master key: using the existing one (${key.origin === 'environment' ? 'REKISTERI_MASTER_KEY' : config.keyFile})`,
      );
    });
}
