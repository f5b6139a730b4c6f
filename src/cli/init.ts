import { copyFile, access } from 'node:fs/promises';
import { Command } from 'commander';
import { loadConfig, masterKeyFromEnvironment } from '../config/config.ts';
import { DEMO_REGISTER, keystoreDatabaseDir } from '../runtime.ts';
import { createDirectories } from '../startup/directories.ts';
import { refuseNewKeyBesideRegister } from '../startup/new-key.ts';
import { loadMasterKey, loadOrCreateMasterKey } from '../vault/master-key.ts';

export function initCommand(): Command {
  return new Command('init')
    .description(
      'Write a starting register.yaml (from the demo register), create the data and key-store directories (with their parents) and the master key file',
    )
    .option('--force', 'overwrite an existing register.yaml')
    .action(async (opts: { force?: boolean }) => {
      const config = loadConfig();
      // Refused before anything is written: a key made now could not open a register in use.
      const fromEnv = masterKeyFromEnvironment(config);
      const found = await loadMasterKey({ fromEnv, file: config.keyFile });
      if (!found) {
        await refuseNewKeyBesideRegister(config, keystoreDatabaseDir(config));
      }
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
      for (const dir of await createDirectories(config)) {
        console.log(`created ${dir} (mode 0700)`);
      }
      const key =
        found ??
        (await loadOrCreateMasterKey({
          fromEnv,
          file: config.keyFile,
          create: true,
          parents: true,
        }));
      console.log(
        key.origin === 'created'
          ? `created ${config.keyFile} (mode 0600): keep a copy somewhere safe, without it the data cannot be read`
          : `master key: using the existing one (${key.origin === 'environment' ? 'REKISTERI_MASTER_KEY' : config.keyFile})`,
      );
    });
}
