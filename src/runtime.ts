/**
 * Opens everything a command needs: the definition, the master key, the database (migrated), the
 * vault and the services. Shared by the server and every CLI command.
 */
import { randomUUID } from 'node:crypto';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { masterKeyFromEnvironment, type Config } from './config/config.ts';
import { openDatabase, type DatabaseHandle } from './db/database.ts';
import { migrateToLatest } from './db/migrate.ts';
import { createSettingsRepo } from './db/settings.repo.ts';
import { checkStorageAtStart, requireFreeSpace } from './ops/storage.ts';
import { embeddedVolumes } from './ops/volumes.ts';
import { loadDefinition } from './definition/loader.ts';
import type { Register } from './definition/register.ts';
import { system } from './lib/actor.ts';
import { openKeyStore, type KeyStore } from './keystore/keystore.ts';
import { createServices, type Services } from './services.ts';
import { loadOrCreateMasterKey } from './vault/master-key.ts';
import { createVault, type Vault } from './vault/vault.ts';

export const DEMO_REGISTER = fileURLToPath(new URL('../examples/demo.yaml', import.meta.url));
/** The built staff console (`npm run build:web`). */
export const CONSOLE_DIR = fileURLToPath(new URL('../web/dist/console', import.meta.url));

export interface Runtime {
  config: Readonly<Config>;
  database: DatabaseHandle;
  keys: KeyStore;
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
  // Every command, not only the server: an import or a restore on a volume too full for the
  // embedded database's log would hang it (at 100 % CPU, deaf to Ctrl-C).
  const volumes = embeddedVolumes(config);
  await checkStorageAtStart(volumes, config.minFreeSpace);
  const database = await openDatabase(
    config.databaseUrl
      ? { url: config.databaseUrl, timeouts: config.databaseTimeouts }
      : { dataDir: config.dataDir },
  );
  if (volumes.length > 0 && config.minFreeSpace > 0) {
    // Imports, seeding and restores write in batches, each a bulk transaction: one that would
    // start below the threshold stops the command instead (batches already committed are kept).
    const bulk = database.bulkTransaction;
    database.bulkTransaction = async (fn) => {
      await requireFreeSpace(
        volumes,
        config.minFreeSpace,
        'stopped before writing more (what was committed is kept); free some space and run the command again',
      );
      return bulk(fn);
    };
  }
  let keys: KeyStore | undefined;
  let vault: Vault;
  try {
    // Checked before anything is written: DATABASE_URL and KEYSTORE_DATABASE_URL swapped would
    // otherwise put the data's tables into the key store's database.
    const keyTables = await sql<{ n: number }>`
      select count(*)::int as n from information_schema.tables
       where table_schema = current_schema() and table_name in ('person_keys', 'keystore_settings')`.execute(
      database.db,
    );
    if ((keyTables.rows[0]?.n ?? 0) > 0) {
      throw new Error(
        'the data database holds a key store: DATABASE_URL and KEYSTORE_DATABASE_URL are swapped, or point at the same database',
      );
    }
    await migrateToLatest(database.db);
    keys = await openKeyStore(
      config.keystoreUrl
        ? { url: config.keystoreUrl, timeouts: config.databaseTimeouts }
        : { dir: keystoreDatabaseDir(config) },
    );
    vault = await vaultFor(master.key, keys, register.definition.defaultCountryCallingCode);
    await verifyMasterKey(database, vault.keyCheck());
    await pairKeyStore(database, keys, vault, notes);
  } catch (err) {
    await keys?.close();
    await database.close();
    throw err;
  } finally {
    // Every key the vault needs is derived by now; the master key itself is kept nowhere.
    master.key.fill(0);
  }
  // Imports seal on two worker threads: the machine this runs on has at least two cores.
  const services = createServices({
    database,
    keys,
    register,
    vault,
    sealWorkers: { size: 2 },
    audit: { anchorFile: auditAnchorFile(config) },
  });
  const opened = keys;
  try {
    const applied = await services.subjects.reconcileErasures();
    if (applied.keysDestroyed > 0 || applied.subjectsErased > 0) {
      notes.push(
        `applied the erasure journal: ${applied.keysDestroyed} keys destroyed, ${applied.subjectsErased} people erased in the data`,
      );
    }
    await opened.clean();
    await recordDefinitionVersion(database, services, register);
  } catch (err) {
    await opened.close();
    await database.close();
    throw err;
  }
  return {
    config,
    database,
    keys: opened,
    register,
    services,
    demo,
    notes,
    close: async () => {
      await opened.close();
      await database.close();
    },
  };
}

/**
 * The vault of a master key and its key store: after a rotation the key store holds the register's
 * root sealed under the current master key, and every key but the wrapping key derives from it.
 * A rotation left unfinished is refused until it is finished.
 */
export async function vaultFor(
  master: Buffer,
  keys: KeyStore,
  callingCode: string,
): Promise<Vault> {
  if (await keys.setting('rotation')) {
    throw new Error(
      'a master-key rotation is unfinished: run `rekisteri key rotate --new-key-file FILE` again with the same new key, and the current key in place',
    );
  }
  const sealed = await keys.setting('root_sealed');
  if (!sealed) {
    const vault = createVault(master, callingCode);
    await claimWrapKey(keys, vault);
    return vault;
  }
  let root: Buffer;
  try {
    root = createVault(master, callingCode).openRoot(Buffer.from(sealed, 'base64'));
  } catch {
    throw new Error(
      'the master key does not open this key store: its key was rotated to another one, or the key store belongs to another register',
    );
  }
  try {
    const rooted = createVault(master, callingCode, { root });
    await claimWrapKey(keys, rooted);
    return rooted;
  } finally {
    root.fill(0);
  }
}

/** The key store remembers which key wraps its person keys; another one is refused. */
async function claimWrapKey(keys: KeyStore, vault: Vault): Promise<void> {
  if ((await keys.claimSetting('wrap_key_id', vault.wrapKeyId())) !== vault.wrapKeyId()) {
    throw new Error(
      "the master key does not match the one this key store's person keys are wrapped under: start with this register's current master key",
    );
  }
}

/** The embedded key store's database, inside the key store directory. */
export function keystoreDatabaseDir(config: Readonly<Config>): string {
  return join(config.keystoreDir, 'keys');
}

/**
 * Ties a key store to its data database and its master key, and refuses any other pairing: a key
 * store of another register, or an empty one beside a data database that holds people (their keys
 * would be missing: the wrong REKISTERI_KEYSTORE, or a key store not restored), or one whose
 * keys were wrapped under another master key.
 */
async function pairKeyStore(
  database: DatabaseHandle,
  keys: KeyStore,
  vault: Vault,
  notes: string[],
): Promise<void> {
  const db = database.db;
  const setting = async (key: string) =>
    (await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst())
      ?.value;
  const claimCheck = await keys.claimSetting('key_check', vault.keyCheck());
  if (claimCheck !== vault.keyCheck()) {
    throw new Error(
      'the key store was made with another master key: start with the master key of this register, or the key store that belongs to it',
    );
  }
  const dataId = await setting('register_id');
  const keyId = await keys.setting('register_id');
  const live = await db
    .selectFrom('subjects')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('erased_at', 'is', null)
    .executeTakeFirstOrThrow();
  const people = Number(live.n);
  if (dataId && keyId && dataId !== keyId) {
    throw new Error(
      "the key store belongs to another register than this database: set REKISTERI_KEYSTORE (or KEYSTORE_DATABASE_URL) to this register's key store",
    );
  }
  if (!keyId && people > 0 && (await keys.countKeys()) === 0) {
    throw new Error(
      `the key store is empty, but the database holds ${people} people whose keys would be missing: set REKISTERI_KEYSTORE (or KEYSTORE_DATABASE_URL) to this register's key store, or restore it with \`rekisteri restore --keys\``,
    );
  }
  if (!dataId && keyId && people > 0) {
    throw new Error(
      "the key store belongs to another register than this database: set REKISTERI_KEYSTORE (or KEYSTORE_DATABASE_URL) to this register's key store",
    );
  }
  const keyCount = await keys.countKeys();
  if (keyId && keyCount < people) {
    notes.push(
      `warning: ${people - keyCount} people have no key in the key store, so their data cannot be read: the key store is older than the data (restore a newer key-store backup, if there is one)`,
    );
  }
  const id = await keys.claimSetting('register_id', dataId ?? keyId ?? randomUUID());
  await db
    .insertInto('settings')
    .values({ key: 'register_id', value: id })
    .onConflict((oc) => oc.doNothing())
    .execute();
  if ((await setting('register_id')) !== id) {
    throw new Error('the key store belongs to another register than this database');
  }
}

/** The access log's anchors: beside the key store, never in the database. */
export function auditAnchorFile(config: Readonly<Config>): string {
  return join(config.keystoreDir, 'audit-anchors.jsonl');
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
