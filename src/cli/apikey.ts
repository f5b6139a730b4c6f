import { Command } from 'commander';
import { API_KEY_ACTIONS, operator } from '../lib/actor.ts';
import { withRuntime } from './with-runtime.ts';

const list = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export function apikeyCommand(): Command {
  const cmd = new Command('apikey').description('Manage API keys for integrations');
  cmd
    .command('create')
    .description('Create a key scoped to purposes and actions; prints the key once')
    .requiredOption('--name <name>', 'what the key is for, e.g. "web shop"')
    .requiredOption('--purposes <ids>', 'comma-separated purpose ids, or * for all', list)
    .option('--actions <list>', `comma-separated: ${API_KEY_ACTIONS.join(', ')}`, list, ['read'])
    .action(async (opts: { name: string; purposes: string[]; actions: string[] }) => {
      await withRuntime(async ({ services }) => {
        const { token, key } = await services.apiKeys.createApiKey(operator, opts);
        console.log(
          `created API key ${key.id} "${key.name}" for purposes ${key.purposes.join(', ')}; actions ${key.actions.join(', ')}`,
        );
        console.log('\nThe key (shown only now; store it as a secret):\n');
        console.log(token);
      });
    });
  cmd
    .command('list')
    .description('List keys (never their secrets)')
    .action(async () => {
      await withRuntime(async ({ services }) => {
        const keys = await services.apiKeys.listApiKeys();
        if (keys.length === 0) {
          console.log('no API keys');
        }
        for (const k of keys) {
          console.log(
            `${k.id}  ${k.revokedAt ? 'revoked' : 'active '}  ${k.name}  purposes=${k.purposes.join(',')}  actions=${k.actions.join(',')}  last used ${k.lastUsedAt ?? 'never'}`,
          );
        }
      });
    });
  cmd
    .command('revoke')
    .description('Revoke a key')
    .argument('<id>', 'the key id')
    .action(async (id: string) => {
      await withRuntime(async ({ services }) => {
        await services.apiKeys.revokeApiKey(operator, id);
        console.log(`revoked ${id}`);
      });
    });
  return cmd;
}
