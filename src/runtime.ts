/**
 * Opens everything a command needs: the definition, the master key, the database (migrated), the
 * vault and the services. Shared by the server and every CLI command.
 */
import { randomUUID } from 'node:crypto';
import { access, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { masterKeyFromEnvironment, smtpSettings, type Config } from './config/config.ts';
import { openDatabase, type DatabaseHandle } from './db/database.ts';
import { migrateToLatest } from './db/migrate.ts';
import { createSettingsRepo } from './db/settings.repo.ts';
import { withTransaction } from './db/transaction.ts';
import { checkStorageAtStart, requireFreeSpace } from './ops/storage.ts';
import { embeddedVolumes } from './ops/volumes.ts';
import { loadDefinition } from './modules/definition/index.ts';
import type { Register } from './modules/definition/index.ts';
import { system } from './lib/actor.ts';
import { openKeyStore, type KeyStore } from './keystore/keystore.ts';
import { createServices, type Services } from './services.ts';
import { createMasterKeyFile, loadMasterKey, type MasterKeySource } from './vault/master-key.ts';
import { explained, StartupError, type DatabaseOrigin } from './startup/database-errors.ts';
import { checkDirectories } from './startup/directories.ts';
import { refuseNewKeyBesideRegister } from './startup/new-key.ts';
import { underStartLock } from './startup/first-start.ts';
import {
  describeChange,
  outline,
  parseOutline,
  type DefinitionOutline,
} from './startup/summary.ts';
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
  /** What changed in the definition, when this start recorded a new one. */
  definitionChange: string[] | undefined;
  /** Runs work that must happen once per database, however many instances start together. */
  firstStart<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
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

export interface RuntimeOptions {
  /** Whether a master key file may be created (only beside databases that hold nothing). */
  createKey?: boolean;
  /**
   * Record a definition other than the one the database was last run with (`rekisteri definition
   * apply`); without it such a start is refused.
   */
  applyDefinition?: boolean;
  /**
   * Open a database whose recorded definition differs from the file without recording or refusing
   * it (backups and restores: a copy is wanted most just before a change is applied). A note says
   * so; nothing is written about the definition.
   */
  tolerateDefinitionChange?: boolean;
}

export async function openRuntime(
  config: Readonly<Config>,
  opts: RuntimeOptions = {},
): Promise<Runtime> {
  const notes: string[] = [];
  await checkDirectories(config);
  const { file, demo } = await resolveRegisterFile(config);
  if (demo && config.databaseUrl) {
    throw new StartupError(
      `REKISTERI_REGISTER: ${config.registerFile} does not exist, and DATABASE_URL is set: the demo register runs only on the embedded database. Point REKISTERI_REGISTER at your register's definition, or write one with \`rekisteri init\``,
    );
  }
  if (demo && config.keystoreUrl) {
    throw new StartupError(
      `REKISTERI_REGISTER: ${config.registerFile} does not exist, and KEYSTORE_DATABASE_URL is set: the demo register and its invented people run only on embedded databases, never beside a key store on a server. Point REKISTERI_REGISTER at your register's definition, or unset KEYSTORE_DATABASE_URL for the demo`,
    );
  }
  if (demo) {
    notes.push(
      `no ${config.registerFile}: running the demo register (${file}); \`rekisteri init\` writes one of your own`,
    );
  }
  const register = await loadDefinition(file);
  const fromEnv = masterKeyFromEnvironment(config);
  let master = await loadMasterKey({ fromEnv, file: config.keyFile });
  if (!master && !(await isDirectory(dirname(config.keyFile)))) {
    // Refused before any database is opened (and created).
    throw new StartupError(
      `REKISTERI_KEY_FILE: ${config.keyFile} does not exist, nor does its directory: is its volume mounted, or the path mistyped? Set REKISTERI_MASTER_KEY, or run \`rekisteri init\` for a new register`,
    );
  }
  if (!master) {
    // Before either database is opened: a refusal leaves no new empty database behind.
    if (!(opts.createKey ?? true)) {
      throw new StartupError(
        `no master key: set REKISTERI_MASTER_KEY or create REKISTERI_KEY_FILE (${config.keyFile}) with \`rekisteri init\``,
      );
    }
    await refuseNewKeyBesideRegister(config, keystoreDatabaseDir(config));
  }
  const dataOrigin: DatabaseOrigin = config.databaseUrl
    ? { variable: 'DATABASE_URL', where: config.databaseUrl }
    : { variable: 'REKISTERI_DATA', where: config.dataDir };
  const keyOrigin: DatabaseOrigin = config.keystoreUrl
    ? { variable: 'KEYSTORE_DATABASE_URL', where: config.keystoreUrl }
    : { variable: 'REKISTERI_KEYSTORE', where: keystoreDatabaseDir(config) };
  // Every command, not only the server: an import or a restore on a volume too full for the
  // embedded database's log would hang it (at 100 % CPU, deaf to Ctrl-C).
  const volumes = embeddedVolumes(config);
  await checkStorageAtStart(volumes, config.minFreeSpace);
  const database = await explained(dataOrigin, () =>
    openDatabase(
      config.databaseUrl
        ? { url: config.databaseUrl, timeouts: config.databaseTimeouts }
        : { dataDir: config.dataDir },
    ),
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
    await explained(dataOrigin, async () => {
      // Checked before anything is written: DATABASE_URL and KEYSTORE_DATABASE_URL swapped would
      // otherwise put the data's tables into the key store's database.
      const keyTables = await sql<{ n: number }>`
        select count(*)::int as n from information_schema.tables
         where table_schema = current_schema() and table_name in ('person_keys', 'keystore_settings')`.execute(
        database.db,
      );
      if ((keyTables.rows[0]?.n ?? 0) > 0) {
        throw new StartupError(
          'the data database holds a key store: DATABASE_URL and KEYSTORE_DATABASE_URL are swapped, or point at the same database',
        );
      }
      await migrateToLatest(database.db, dataOrigin);
    });
    keys = await explained(keyOrigin, () =>
      openKeyStore(
        config.keystoreUrl
          ? { url: config.keystoreUrl, origin: keyOrigin, timeouts: config.databaseTimeouts }
          : { dir: keystoreDatabaseDir(config), origin: keyOrigin },
      ),
    );
    if (demo) {
      await guardDemoKeyStore(database, keys, config);
    }
    if (!master) {
      master = await newMasterKey(config, database, keys, opts.createKey ?? true);
      notes.push(
        `created the master key file ${config.keyFile} (mode 0600): back it up, without it the data cannot be read`,
      );
    }
    vault = await vaultFor(master.key, keys, register.definition.defaultCountryCallingCode);
    await verifyMasterKey(database, vault.keyCheck());
    await pairKeyStore(database, keys, vault, notes);
  } catch (err) {
    await keys?.close();
    await database.close();
    throw err;
  } finally {
    // Every key the vault needs is derived by now; the master key itself is kept nowhere.
    master?.key.fill(0);
  }
  // Imports seal on two worker threads: the machine this runs on has at least two cores.
  const services = createServices({
    database,
    keys,
    register,
    vault,
    sealWorkers: { size: 2 },
    audit: { anchorFile: auditAnchorFile(config) },
    mail: { smtp: smtpSettings(config), ttlMs: config.mailOutboxTtl },
    campaigns: { ratePerMinute: config.campaignSendRate },
    publicUrl: config.publicUrl,
  });
  const opened = keys;
  let definitionChange: string[] | undefined;
  try {
    const applied = await services.subjects.reconcileErasures();
    if (applied.keysDestroyed > 0 || applied.subjectsErased > 0) {
      notes.push(
        `applied the erasure journal: ${applied.keysDestroyed} keys destroyed, ${applied.subjectsErased} people erased in the data`,
      );
    }
    await opened.clean();
    definitionChange = await underStartLock(database, async () => {
      await guardDemo(database, config, demo);
      return recordDefinitionVersion(database, services, register, {
        apply: demo || (opts.applyDefinition ?? false),
        tolerate: opts.tolerateDefinitionChange ?? false,
        notes,
        file,
      });
    });
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
    definitionChange,
    firstStart: (fn) => underStartLock(database, fn),
    close: async () => {
      await opened.close();
      await database.close();
    },
  };
}

/**
 * A new master key file, made only when neither database holds anything a key sealed: a missing
 * key file beside an existing register is a key not restored or a wrong REKISTERI_KEY_FILE, and a
 * new key would only be refused later (and left where the real one belongs).
 */
async function newMasterKey(
  config: Readonly<Config>,
  database: DatabaseHandle,
  keys: KeyStore,
  allowed: boolean,
): Promise<MasterKeySource> {
  if (!allowed) {
    throw new StartupError(
      `no master key: set REKISTERI_MASTER_KEY or create REKISTERI_KEY_FILE (${config.keyFile}) with \`rekisteri init\``,
    );
  }
  const settings = createSettingsRepo();
  const used =
    (await settings.get(database.db, 'key_check')) !== undefined ||
    (await settings.inUse(database.db)) ||
    (await keys.setting('key_check')) !== undefined ||
    (await keys.countKeys()) > 0;
  if (used) {
    throw new StartupError(
      `REKISTERI_KEY_FILE: ${config.keyFile} does not exist, but the database already holds a register sealed with a master key: restore that key file (or point REKISTERI_KEY_FILE at it), or set REKISTERI_MASTER_KEY. No new key was created: it could not open this data`,
    );
  }
  return createMasterKeyFile(config.keyFile);
}

/**
 * The demo register and its invented people run only on an embedded database that is empty or
 * already the demo's; a database that holds the demo takes no other definition.
 */
async function guardDemo(
  database: DatabaseHandle,
  config: Readonly<Config>,
  demo: boolean,
): Promise<void> {
  const settings = createSettingsRepo();
  const marked = (await settings.get(database.db, 'demo')) !== undefined;
  if (demo) {
    if (marked) {
      return;
    }
    if (
      (await settings.get(database.db, 'definition_digest')) !== undefined ||
      (await settings.inUse(database.db))
    ) {
      throw new StartupError(
        `REKISTERI_REGISTER: ${config.registerFile} does not exist, and the database in REKISTERI_DATA (${config.dataDir}) holds a register that is not the demo: point REKISTERI_REGISTER at that register's definition (the demo register and its invented people never run on it)`,
      );
    }
    await settings.insertIfAbsent(database.db, 'demo', 'examples/demo.yaml');
    return;
  }
  if (marked) {
    throw new StartupError(
      `REKISTERI_REGISTER: this database holds the demo register and its invented people, which must not mix with a real register: start your register with new, empty REKISTERI_DATA and REKISTERI_KEYSTORE directories (and a new key), or remove ${config.registerFile} to go on with the demo`,
    );
  }
}

/**
 * The demo's people get person keys: a key store that already belongs to a register (its data
 * somewhere else, this data database new) takes none of them. Checked before anything is written
 * to the key store.
 */
async function guardDemoKeyStore(
  database: DatabaseHandle,
  keys: KeyStore,
  config: Readonly<Config>,
): Promise<void> {
  const settings = createSettingsRepo();
  if (
    (await settings.get(database.db, 'demo')) !== undefined ||
    (await settings.get(database.db, 'register_id'))
  ) {
    // The demo's own pair, or a data database whose own pairing is checked by pairKeyStore.
    return;
  }
  if ((await keys.setting('register_id')) !== undefined || (await keys.countKeys()) > 0) {
    throw new StartupError(
      `REKISTERI_KEYSTORE: ${config.keystoreDir} holds the key store of a register, and the demo register's invented people would get their keys there: start the demo with new, empty REKISTERI_DATA and REKISTERI_KEYSTORE directories, or point REKISTERI_REGISTER at that register's definition`,
    );
  }
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
  const settings = createSettingsRepo();
  const setting = (key: string) => settings.get(db, key);
  const claimCheck = await keys.claimSetting('key_check', vault.keyCheck());
  if (claimCheck !== vault.keyCheck()) {
    throw new Error(
      'the key store was made with another master key: start with the master key of this register, or the key store that belongs to it',
    );
  }
  const dataId = await setting('register_id');
  const keyId = await keys.setting('register_id');
  const people = await settings.livePeople(db);
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
  await settings.insertIfAbsent(db, 'register_id', id);
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
  const settings = createSettingsRepo();
  let stored = await settings.get(database.db, 'key_check');
  if (stored === undefined) {
    if (await settings.inUse(database.db)) {
      throw new Error(
        'this database holds people, staff accounts or an access log but no master-key check (the key_check row of the settings table is missing): ' +
          'refusing to start, since any key would be accepted. Restore the row, or the database, from a backup',
      );
    }
    await settings.insertIfAbsent(database.db, 'key_check', check);
    stored = await settings.get(database.db, 'key_check');
  }
  if (stored !== check) {
    throw new Error(
      'the master key does not match the one this database was sealed with: restore the original key file or REKISTERI_MASTER_KEY',
    );
  }
}

/**
 * The definition the database runs with. The first start records it; a different one later is a
 * change to roles and purposes, refused unless applied explicitly (`rekisteri definition apply`),
 * and logged once. Returns what changed, when something was recorded.
 */
async function recordDefinitionVersion(
  database: DatabaseHandle,
  services: Services,
  register: Register,
  opts: { apply: boolean; tolerate: boolean; notes: string[]; file: string },
): Promise<string[] | undefined> {
  const db = database.db;
  const settings = createSettingsRepo();
  const stored = await settings.get(database.db, 'definition_digest');
  const now = outline(register);
  if (stored === register.digest) {
    // Databases recorded before outlines were kept get one now, for the next change's summary.
    await settings.insertIfAbsent(database.db, 'definition_outline', JSON.stringify(now));
    return undefined;
  }
  const before = stored
    ? parseOutline(await settings.get(database.db, 'definition_outline'))
    : undefined;
  const lines = stored ? describeChange(before, now) : ['first start: the definition recorded'];
  if (stored && !opts.apply && opts.tolerate) {
    opts.notes.push(
      `${opts.file} is not the definition this database was last run with: left as it is; \`rekisteri definition apply\` records the change before the next start`,
    );
    return undefined;
  }
  if (stored && !opts.apply) {
    throw new StartupError(
      `REKISTERI_REGISTER: ${opts.file} is not the definition this database was last run with (version ${stored.slice(0, 12)}, now ${register.digest.slice(0, 12)}): if the change is intended, run \`rekisteri definition apply\` (it shows what changed and records it in the access log), then start again`,
    );
  }
  const kinds = ['purposes', 'categories', 'fields', 'roles', 'recipients'] as const;
  const changed = (from: DefinitionOutline | undefined, to: DefinitionOutline | undefined) =>
    Object.fromEntries(
      kinds
        .map((k) => [k, (to?.[k] ?? []).filter((x) => from && !from[k].includes(x))] as const)
        .filter(([, ids]) => ids.length > 0),
    );
  await withTransaction(db, async (tx) => {
    await settings.put(tx, 'definition_digest', register.digest);
    await settings.put(tx, 'definition_outline', JSON.stringify(now));
    await services.audit.record(tx, {
      actor: system,
      action: 'definition.change',
      data: {
        from: stored ? stored.slice(0, 12) : null,
        to: register.digest.slice(0, 12),
        controllerChanged: before !== undefined && before.controller !== now.controller,
        added: before ? changed(before, now) : {},
        removed: before ? changed(now, before) : {},
      },
    });
  });
  return lines;
}
