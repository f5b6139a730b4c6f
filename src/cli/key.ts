import { resolve } from 'node:path';
import { Command } from 'commander';
import { loadConfig, masterKeyFromEnvironment } from '../config/config.ts';
import { openKeyStore } from '../keystore/keystore.ts';
import { rotateMasterKey } from '../keystore/rotate.ts';
import { keystoreDatabaseDir } from '../runtime.ts';
import { loadOrCreateMasterKey } from '../vault/master-key.ts';

export function keyCommand(): Command {
  const cmd = new Command('key').description('The master key');
  cmd
    .command('rotate')
    .description(
      'Re-wrap every person key under a new master key (resumable); stop every server first',
    )
    .requiredOption(
      '--new-key-file <file>',
      'the new master key: 64 hex characters in a file of mode 0600 (`openssl rand -hex 32`)',
    )
    .action(async (opts: { newKeyFile: string }) => {
      const config = loadConfig();
      const current = await loadOrCreateMasterKey({
        fromEnv: masterKeyFromEnvironment(config),
        file: config.keyFile,
        create: false,
      });
      const next = await loadOrCreateMasterKey({ file: resolve(opts.newKeyFile), create: false });
      const keys = await openKeyStore(
        config.keystoreUrl ? { url: config.keystoreUrl } : { dir: keystoreDatabaseDir(config) },
      );
      try {
        const result = await rotateMasterKey({
          keys,
          oldMaster: current.key,
          newMaster: next.key,
          callingCode: '+358',
          onBatch: (n) => console.error(`rekisteri: re-wrapped ${n} person keys`),
        });
        console.log(`re-wrapped ${result.rewrapped} person keys under the new master key`);
        console.log(
          `now put the new key in place of the old one (${current.origin === 'environment' ? 'REKISTERI_MASTER_KEY' : config.keyFile}) and start the server; the old key opens nothing in this key store any more, but key-store backups made before now still need it: keep it as long as those backups, then destroy both`,
        );
      } finally {
        current.key.fill(0);
        next.key.fill(0);
        await keys.close();
      }
    });
  return cmd;
}
