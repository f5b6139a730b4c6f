/**
 * Opens everything a command needs: the definition, the master key, the database (migrated), the
 * vault and the services. Shared by the server and every CLI command.
 */
import { access } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { masterKeyFromEnvironment, type Config } from './config/config.ts';
import { openDatabase, type DatabaseHandle } from './db/database.ts';
import { migrateToLatest } from './db/migrate.ts';
import { createSettingsRepo } from './db/settings.repo.ts';
import { loadDefinition } from './definition/loader.ts';
import type { Register } from './definition/register.ts';
import { system } from './lib/actor.ts';
import { createServices, type Services } from './services.ts';
import { loadOrCreateMasterKey } from './vault/master-key.ts';
import { createVault } from './vault/vault.ts';

export const DEMO_REGISTER = fileURLToPath(new URL('../examples/demo.yaml', import.meta.url));
/** The built staff console (`npm run build:web`). */
export const CONSOLE_DIR = fileURLToPath(new URL('../web/dist/console', import.meta.url));

export interface Runtime {
  config: Readonly<Config>;
  database: DatabaseHandle;
  register: Register;
  services: Services;
  /** True when no register.yaml exists and the demo register runs instead. */
  demo: boolean;
  notes: string[];
  close(): Promise<void>;
}

export async function resolveRegisterFile(
  config: Readonly<Config>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ file: string; demo: boolean }> {
  try {
    await access(config.registerFile);
    return { file: config.registerFile, demo: false };
  } catch {
    if (env.REKISTERI_REGISTER) {
      throw new Error(`REKISTERI_REGISTER points at ${config.registerFile}, which does not exist`);
    }
    return { file: DEMO_REGISTER, demo: true };
  }
}

export async function openRuntime(
  config: Readonly<Config>,
  opts: { createKey?: boolean } = {},
): Promise<Runtime> {
  const notes: string[] = [];
  const { file, demo } = await resolveRegisterFile(config);
  if (demo) {
    notes.push(
      `no ${config.registerFile}: running the demo register (${file}); \`rekisteri init\` writes one of your own`,
    );
  }
  const register = await loadDefinition(file);
  const master = await loadOrCreateMasterKey({
    fromEnv: masterKeyFromEnvironment(config),
    file: config.keyFile,
    create: opts.createKey ?? true,
  });
  if (master.origin === 'created') {
    notes.push(
      `created the master key file ${config.keyFile} (mode 0600): back it up, without it the data cannot be read`,
    );
  }
  const vault = createVault(master.key, register.definition.defaultCountryCallingCode);
  // Every key the vault needs is derived by now; the master key itself is kept nowhere.
  master.key.fill(0);
  const database = await openDatabase(
    config.databaseUrl ? { url: config.databaseUrl } : { dataDir: config.dataDir },
  );
  try {
    await migrateToLatest(database.db);
    await verifyMasterKey(database, vault.keyCheck());
  } catch (err) {
    await database.close();
    throw err;
  }
  // Imports seal on two worker threads: the machine this runs on has at least two cores.
  const services = createServices({
    database,
    register,
    vault,
    sealWorkers: { size: 2 },
  });
  await recordDefinitionVersion(database, services, register);
  return { config, database, register, services, demo, notes, close: () => database.close() };
}

/**
 * Refuses a master key other than the one the database was sealed with. The check value is made
 * only on a database that has never been used (no people, staff or access log): inserted if
 * absent, then read back, so that of two instances starting together on an empty database with
 * different keys only the first to insert runs. A used database without its check value is
 * refused: were it accepted, deleting one row would let any key in.
 */
export async function verifyMasterKey(database: DatabaseHandle, check: string): Promise<void> {
  const settings = createSettingsRepo(database.db);
  let stored = await settings.get('key_check');
  if (stored === undefined) {
    if (await settings.inUse()) {
      throw new Error(
        'this database holds people, staff accounts or an access log but no master-key check (the key_check row of the settings table is missing): ' +
          'refusing to start, since any key would be accepted. Restore the row, or the database, from a backup',
      );
    }
    await settings.insertIfAbsent('key_check', check);
    stored = await settings.get('key_check');
  }
  if (stored !== check) {
    throw new Error(
      'the master key does not match the one this database was sealed with: restore the original key file or REKISTERI_MASTER_KEY',
    );
  }
}

/** A changed definition is a change to roles and purposes: it goes to the access log once. */
async function recordDefinitionVersion(
  database: DatabaseHandle,
  services: Services,
  register: Register,
): Promise<void> {
  const db = database.db;
  const row = await db
    .selectFrom('settings')
    .select('value')
    .where('key', '=', 'definition_digest')
    .executeTakeFirst();
  if (row?.value === register.digest) {
    return;
  }
  await db.transaction().execute(async (tx) => {
    await tx
      .insertInto('settings')
      .values({ key: 'definition_digest', value: register.digest })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value: register.digest }))
      .execute();
    await services.audit.record(tx, {
      actor: system,
      action: 'definition.change',
      detail: `${row ? row.value.slice(0, 12) : 'none'} → ${register.digest.slice(0, 12)}`,
    });
  });
}
