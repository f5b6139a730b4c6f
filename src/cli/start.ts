import { Command } from 'commander';
import { startServer } from '../main.ts';

export function startCommand(): Command {
  return new Command('start')
    .description(
      'Run the server (PORT, DATABASE_URL and the rest from the environment; see README)',
    )
    .action(async () => {
      try {
        await startServer();
      } catch (err) {
        // A start that failed ends the process even when something it opened (the embedded
        // database's runtime, a half-made pool) would keep it alive: a supervisor must see it.
        process.exitCode = 1;
        setTimeout(() => process.exit(1), 1000).unref();
        throw err;
      }
    });
}
