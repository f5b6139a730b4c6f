/**
 * The server: loadConfig → open the runtime → seed the demo on first start → createApp → listen.
 */
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { dirname, join } from 'node:path';
import { createApp, loggerOptions } from './app.ts';
import { loadConfig, metricsToken, type Config } from './config/config.ts';
import { inventPeople, seedPurpose } from './demo/people.ts';
import { system } from './lib/actor.ts';
import { embeddedVolumes } from './ops/volumes.ts';
import { StorageGuard } from './ops/storage.ts';
import { startWatchdog } from './ops/watchdog.ts';
import { CONSOLE_DIR, openRuntime, type Runtime } from './runtime.ts';
import { startServerJobs } from './server-jobs.ts';
import { checkListen, explainListenError } from './startup/listen.ts';

export async function startServer(
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ url: string; stop: () => Promise<void> }> {
  const config = loadConfig(env);
  // A port in use or an unknown host ends the start before anything is opened.
  await checkListen(config.port, config.host);
  // openRuntime refuses a volume too full for the embedded database's log before opening it; from
  // then on the guard watches it.
  const runtime = await openRuntime(config);
  const storage = new StorageGuard(embeddedVolumes(config), config.minFreeSpace);
  await storage.check();
  // From here a stuck event loop ends the process instead of leaving it unresponsive. Not before:
  // the embedded database's recovery and migrations run on this thread and may rightly take long.
  const watchdog = startWatchdog(config.watchdogTimeout);
  for (const note of runtime.notes) {
    console.log(`rekisteri: ${note}`);
  }
  const { services, register } = runtime;
  const passwordFile = firstAdminPasswordFile(config);
  let admin: { username: string; password: string } | undefined;
  try {
    admin = await runtime.firstStart(async () => {
      // The demo's people go only into the demo's own database (openRuntime saw to it), once.
      if (
        runtime.demo &&
        config.demoPeople > 0 &&
        (await services.subjects.countSubjects()) === 0
      ) {
        const purpose = seedPurpose(register);
        const source = register.definition.sources[0]?.id;
        if (purpose && source) {
          console.log(
            `rekisteri: first start on the demo register: inventing ${config.demoPeople} people...`,
          );
          await services.imports.createMany(system, {
            purpose,
            source,
            records: inventPeople(register, purpose, config.demoPeople),
          });
        }
      }
      return services.staff.ensureFirstAdmin();
    });
    if (admin) {
      await announceFirstAdmin(admin, passwordFile);
    } else {
      await removeSpentPasswordFile(runtime, passwordFile);
    }
  } catch (err) {
    await watchdog.stop();
    await runtime.close();
    throw err;
  }
  const app = await createApp(services, {
    logger: loggerOptions(config.logLevel, config.logFormat),
    trustProxy: config.trustProxy,
    bodyLimit: config.bodyLimit,
    apiKeyRateLimit: config.apiKeyRateLimit,
    consoleDir: CONSOLE_DIR,
    ops: {
      database: runtime.database,
      storage,
      ...(metricsToken(config) ? { metricsToken: metricsToken(config) } : {}),
    },
  });
  services.audit.setLogger(app.log);
  storage.setLogger(app.log);
  storage.start();
  services.rateLimits.pauseWhen(() => storage.low);
  let address: string;
  try {
    address = await app.listen({ port: config.port, host: config.host });
  } catch (err) {
    // Taken since the check at the start: nothing is left behind (the embedded lock included).
    storage.stop();
    await app.close().catch(() => undefined);
    await runtime.close();
    await watchdog.stop();
    throw explainListenError(err, config.port, config.host);
  }
  const url = address.replace('127.0.0.1', 'localhost');
  console.log(
    `rekisteri: serving ${register.definition.controller.name} at ${url} (staff console at ${url}/admin, API docs at ${url}/api/docs)`,
  );
  // The sealer, session pruning, the key-store cleaner and mail delivery: declared jobs.
  const jobs = startServerJobs({
    runtime,
    config,
    logger: app.log,
    paused: () => storage.low,
    removeSpentPasswordFile: () => removeSpentPasswordFile(runtime, passwordFile),
  });
  let stopStep = 'starting to stop';
  const stop = async () => {
    // Drains: nothing new is claimed or started, and what runs finishes.
    stopStep = 'waiting for running jobs';
    await jobs.stop();
    storage.stop();
    services.mail.close();
    // Sealing writes to the database: not on a volume below the threshold (the embedded database
    // could hang there); the entries wait, and the next start seals them.
    if (!storage.low) {
      stopStep = 'anchoring the access log';
      await services.audit.anchor().catch(() => undefined);
    }
    stopStep = 'finishing requests in flight';
    const closing = app.close();
    if (storage.low) {
      // A request whose write waits on a nearly full embedded volume may never finish: after 5 s
      // the connections still open are cut, and the stop goes on (the next start recovers).
      const finished = await Promise.race([
        closing.then(() => true),
        delay(5000, false, { ref: false }),
      ]);
      if (!finished) {
        console.error(
          'rekisteri: storage is low: requests still waiting after 5 s were cut off to stop',
        );
        app.server.closeAllConnections();
        await Promise.race([closing, delay(3000, undefined, { ref: false })]);
      }
    } else {
      await closing;
    }
    if (storage.low && runtime.database.kind === 'pglite') {
      // Closing the embedded databases writes a checkpoint, which needs room the volume no longer
      // has. Everything committed is in their write-ahead logs already: the next start recovers
      // from them, and takes over the lock files of this process.
      console.error(
        'rekisteri: storage is low: leaving the embedded databases without a checkpoint; the next start recovers them',
      );
    } else {
      stopStep = 'closing the databases';
      await runtime.close();
    }
    await watchdog.stop();
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      // A stop that cannot finish (a database that no longer answers) does not keep the process.
      setTimeout(() => {
        console.error(
          `rekisteri: stopping took longer than 15 s (${stopStep}): exiting without a clean close`,
        );
        process.exit(1);
      }, 15_000).unref();
      void stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
  return { url, stop };
}

/** Where the first administrator's one-time password waits when no one watches the terminal. */
export function firstAdminPasswordFile(config: Readonly<Config>): string {
  return join(config.keystoreDir, 'first-admin-password');
}

/**
 * The first administrator's one-time password goes to the terminal when there is one; otherwise
 * (a service manager, a container: stdout kept in logs, often of every instance) to a file of
 * mode 0600, whose path is printed instead.
 */
async function announceFirstAdmin(
  admin: { username: string; password: string },
  file: string,
): Promise<void> {
  const purpose =
    'it is good for one thing only: choosing a password of your own, which the first sign-in asks for (then it offers two-factor sign-in)';
  if (process.stdout.isTTY) {
    console.log(
      `rekisteri: created the first administrator. Sign in at /admin as "${admin.username}" with the password\n\n    ${admin.password}\n\nIt is shown only now, and ${purpose}.\n`,
    );
    return;
  }
  // The key store's directory (its parent was checked at start); with KEYSTORE_DATABASE_URL it
  // may not exist yet.
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await rm(file, { force: true });
  await writeFile(file, `${admin.password}\n`, { mode: 0o600, flag: 'wx' });
  console.log(
    `rekisteri: created the first administrator "${admin.username}". Its one-time password is in ${file} (mode 0600; not printed, since this output is not a terminal): sign in at /admin with it; ${purpose}. The file is removed once that password is replaced`,
  );
}

/** Removes the one-time password's file once the first administrator has chosen their own. */
async function removeSpentPasswordFile(runtime: Runtime, file: string): Promise<void> {
  const exists = await stat(file).then(
    () => true,
    () => false,
  );
  if (!exists) {
    return;
  }
  const row = await runtime.database.db
    .selectFrom('staff')
    .select('must_change_password')
    .where('username', '=', 'admin')
    .executeTakeFirst();
  if (!row || !row.must_change_password) {
    await rm(file, { force: true });
  }
}
