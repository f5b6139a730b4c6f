/**
 * The `rekisteri` command. Each subcommand is a thin shell over the same services the API uses.
 */
import { Command, CommanderError } from 'commander';
import { DefinitionError } from '../modules/definition/index.ts';
import { adminCommand } from './admin.ts';
import { apikeyCommand } from './apikey.ts';
import { audienceCommand } from './audience.ts';
import { auditCommand } from './audit.ts';
import { backupCommand, restoreCommand } from './backup.ts';
import { checkCommand } from './check.ts';
import { definitionCommand } from './definition.ts';
import { describeError, prefixed, quietOnClosedPipe } from './errors.ts';
import { eraseCommand } from './erase.ts';
import { exportCommand } from './export.ts';
import { importCommand } from './import.ts';
import {
  importAudienceCommand,
  importProhibitionsCommand,
  suppressionExportCommand,
} from './interchange.ts';
import { campaignCommand } from './campaign.ts';
import { initCommand } from './init.ts';
import { keyCommand } from './key.ts';
import { migrateCommand } from './migrate.ts';
import { noticeCommand, recordsCommand } from './notice.ts';
import { outboxCommand } from './outbox.ts';
import { requestsCommand } from './requests.ts';
import { retentionCommand } from './retention.ts';
import { seedCommand } from './seed.ts';
import { startCommand } from './start.ts';
import { statsCommand } from './stats.ts';

quietOnClosedPipe();

const program = new Command()
  .name('rekisteri')
  .description('A register of personal data that keeps its own privacy promises')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride();

for (const add of [
  initCommand,
  checkCommand,
  startCommand,
  migrateCommand,
  importCommand,
  importAudienceCommand,
  importProhibitionsCommand,
  suppressionExportCommand,
  exportCommand,
  audienceCommand,
  campaignCommand,
  eraseCommand,
  retentionCommand,
  statsCommand,
  seedCommand,
  auditCommand,
  backupCommand,
  restoreCommand,
  apikeyCommand,
  adminCommand,
  keyCommand,
  definitionCommand,
  outboxCommand,
  requestsCommand,
  noticeCommand,
  recordsCommand,
]) {
  program.addCommand(add());
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode;
  } else if (err instanceof DefinitionError) {
    console.error(err.message);
    process.exitCode = 1;
  } else {
    console.error(prefixed(describeError(err)));
    process.exitCode = 1;
  }
  // A failed command ends within seconds even if something it opened (a pool, a worker) still
  // holds the event loop.
  setTimeout(() => process.exit(), 2000).unref();
}
