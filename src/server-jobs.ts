/**
 * The server's background work as declared jobs, run by one jobs runner per server process: the
 * access-log sealer (every second), session and rate-limit counter pruning (every minute), removal of the first
 * administrator's spent password file (every 5 s, on each instance: the file is the instance's
 * own), the erasure and key-store cleaner (every REKISTERI_KEY_CLEAN_INTERVAL seconds), and mail
 * delivery, and the request handlers' daily digest. While the storage guard finds a volume low, nothing is claimed or started.
 */
import type { Config } from './config/config.ts';
import { createRunner, defineSchedule, type JobLogger, type Runner } from './jobs/index.ts';
import type { Runtime } from './runtime.ts';

export function startServerJobs(opts: {
  runtime: Runtime;
  config: Readonly<Config>;
  logger: JobLogger;
  /** The storage guard's verdict: while true, no job is claimed or started. */
  paused: () => boolean;
  removeSpentPasswordFile: () => Promise<void>;
}): Runner {
  const { runtime, logger } = opts;
  const { services } = runtime;
  const schedules = [
    // Chains committed access-log entries; verification and export also seal on demand.
    defineSchedule({
      name: 'audit.seal',
      everySeconds: 1,
      describe: 'sealing the access log',
      handler: async () => {
        await services.audit.seal();
      },
    }),
    defineSchedule({
      name: 'staff.prune-sessions',
      everySeconds: 60,
      describe: 'pruning expired staff sessions',
      handler: async () => {
        await services.staff.pruneSessions();
      },
    }),
    // Rate-limit counters whose window has passed (the table never holds an address; see
    // src/http/rate-limit).
    defineSchedule({
      name: 'http.prune-rate-limits',
      everySeconds: 60,
      describe: 'pruning spent rate-limit counters',
      handler: async () => {
        await services.rateLimits.prune();
      },
    }),
    defineSchedule({
      name: 'staff.remove-spent-password-file',
      everySeconds: 5,
      scope: 'instance',
      describe: "removing the first administrator's spent password file",
      handler: opts.removeSpentPasswordFile,
    }),
    // Erasures reach the key store at once; this pass finishes any the key store missed (a crash
    // between the two stores), then removes erased keys' bytes from the key store's files and WAL.
    defineSchedule({
      name: 'keystore.clean',
      everySeconds: opts.config.keyCleanInterval,
      describe: 'cleaning the key store',
      handler: async (ctx) => {
        const applied = await services.subjects.reconcileErasures();
        if (applied.keysDestroyed > 0 || applied.subjectsErased > 0) {
          ctx.log.info(applied, 'finished erasures from the erasure journal');
        }
        const result = await runtime.keys.clean();
        for (const warning of result.warnings) {
          ctx.log.warn({}, `cleaning the key store: ${warning}`);
        }
      },
    }),
    ...services.mail.schedules,
    // The request handlers' daily digest of requests overdue and due within a week.
    ...services.requests.schedules,
  ];
  const runner = createRunner({
    db: runtime.database.db,
    jobs: [...services.mail.jobs],
    schedules,
    logger,
    paused: opts.paused,
  });
  runner.start();
  return runner;
}
