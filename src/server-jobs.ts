/**
 * The server's background work as declared jobs, run by one jobs runner per server process: the
 * access-log sealer (every second), session and rate-limit counter pruning (every minute), removal of the first
 * administrator's spent password file (every 5 s, on each instance: the file is the instance's
 * own), the erasure and key-store cleaner (every REKISTERI_KEY_CLEAN_INTERVAL seconds), and mail
 * delivery, the request handlers' daily digest, and the portal's hourly removal of requests nobody
 * verified and of expired link tokens. While the storage guard finds a volume low, nothing is claimed or started.
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
    // Held records (what a legal hold kept at an erasure) whose hold has ended are shredded.
    defineSchedule({
      name: 'subjects.shred-ended-holds',
      everySeconds: 24 * 60 * 60,
      describe: 'shredding data whose legal hold has ended',
      handler: async (ctx) => {
        const { shredded } = await services.subjects.shredEndedHolds();
        if (shredded > 0) {
          ctx.log.info({ shredded }, 'shredded data whose legal hold ended');
        }
      },
    }),
    // Retention: what the definition's rules have let expire is shredded, in batches; several
    // instances share one slot, and skip each other's locked people (docs/retention.md).
    defineSchedule({
      name: 'retention.sweep',
      everySeconds: 24 * 60 * 60,
      describe: 'deleting data whose retention period has ended',
      handler: async (ctx) => {
        // One lane (the sweep's default): at 1,000,000 people it erases 100,000 in about 21 s and
        // leaves the API's lookups their p99 (docs/PERFORMANCE.md, Retention); a second lane is
        // faster but takes the second core from the API (and on the embedded database, whose one
        // connection the API shares, it would only queue ahead of its requests).
        const r = await services.retention.sweep();
        const kept = Object.fromEntries(r.kept.map((k) => [k.reason, k.people]));
        if (r.erased > 0 || r.categoriesDeleted > 0 || r.kept.length > 0) {
          ctx.log.info(
            {
              erased: r.erased,
              categoriesDeleted: r.categoriesDeleted,
              held: r.categoriesHeld,
              kept,
            },
            'deleted data whose retention period ended',
          );
        }
      },
    }),
    // Portal requests nobody verified: deleted, keys destroyed, a day after their link expired.
    defineSchedule({
      name: 'portal.purge-unverified',
      everySeconds: 60 * 60,
      describe: 'deleting portal requests nobody verified',
      handler: async (ctx) => {
        const purged = await services.portal.purgeUnverified();
        if (purged > 0) {
          ctx.log.info({ purged }, 'deleted portal requests nobody verified');
        }
      },
    }),
    // The portal's link tokens expired over a day ago.
    defineSchedule({
      name: 'portal.prune-tokens',
      everySeconds: 60 * 60,
      describe: "pruning the portal's expired link tokens",
      handler: async () => {
        await services.portal.pruneTokens();
      },
    }),
    // The preference page's and sign-ups' links and the person sessions, expired over a day ago.
    defineSchedule({
      name: 'permissions.prune-links',
      everySeconds: 60 * 60,
      describe: 'pruning expired preference links, sign-up confirmations and person sessions',
      handler: async () => {
        await services.preferences.pruneLinks();
      },
    }),
    ...services.mail.schedules,
    // Campaign bounces and erased people's mail links past the 180-day bounce suppression.
    ...services.campaigns.schedules,
    // The request handlers' daily digest of requests overdue and due within a week.
    ...services.requests.schedules,
  ];
  const runner = createRunner({
    db: runtime.database.db,
    jobs: [...services.mail.jobs, ...services.campaigns.jobs, ...services.noticeAnnouncements.jobs],
    schedules,
    logger,
    paused: opts.paused,
  });
  runner.start();
  return runner;
}
