import { readdir } from 'node:fs/promises';
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
      if (
        !config.keystoreUrl &&
        (await readdir(keystoreDatabaseDir(config)).catch(() => [])).length === 0
      ) {
        throw new Error(
          `no key store in ${keystoreDatabaseDir(config)}: check REKISTERI_KEYSTORE (nothing was created)`,
        );
      }
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
        for (const warning of result.warnings) {
          console.error(`rekisteri: cleaning the key store: ${warning}`);
        }
        console.log(
          `now put the new key in place of the old one (${current.origin === 'environment' ? 'REKISTERI_MASTER_KEY' : config.keyFile}) and start the server. The old key no longer opens any person key in this key store; key-store backups made before now still need it. What it still opens is in docs/operations.md ("Rotating the master key").`,
        );
      } finally {
        current.key.fill(0);
        next.key.fill(0);
        await keys.close();
      }
    });
  return cmd;
}
