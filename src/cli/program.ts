/**
 * The `rekisteri` command's definition: every subcommand with its options and help, built without
 * running anything, so that its help can be read in-process (test/cli.test.ts) as well as printed.
 */
import { Command } from 'commander';
import { adminCommand } from './admin.ts';
import { apikeyCommand } from './apikey.ts';
import { audienceCommand } from './audience.ts';
import { auditCommand } from './audit.ts';
import { backupCommand, restoreCommand } from './backup.ts';
import { checkCommand } from './check.ts';
import { definitionCommand } from './definition.ts';
import { eraseCommand } from './erase.ts';
import { exportCommand } from './export.ts';
import { importCommand } from './import.ts';
import {
  addressListCommand,
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

export function buildProgram(): Command {
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
    addressListCommand,
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
  return program;
}
