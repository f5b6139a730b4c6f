import { Command } from 'commander';
import { startServer } from '../main.ts';

export function startCommand(): Command {
  return new Command('start')
    .description(
      'Run the server (PORT, DATABASE_URL and the rest from the environment; see README)',
    )
    .action(async () => {
      await startServer();
    });
}
