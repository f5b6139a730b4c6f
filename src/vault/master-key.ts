/**
 * The master key: from REKISTERI_MASTER_KEY (64 hex characters or base64 of 32 bytes), or from a
 * key file, created on first start with mode 0600.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * The key file's text, or undefined when there is no file. Opened once, without following a
 * symbolic link (O_NOFOLLOW), and checked on that descriptor: a regular file, owned by the user
 * this process runs as, with no permission for group or others. Checking a path and then reading
 * it again would let the file be swapped in between.
 */
async function readKeyFile(file: string): Promise<string | undefined> {
  let handle;
  try {
    handle = await open(
      file,
      constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0),
    );
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      return undefined;
    }
    if (code === 'ELOOP' || code === 'EMLINK') {
      throw new Error(
        `the key file ${file} is a symbolic link, which is refused: point REKISTERI_KEY_FILE at the file itself`,
      );
    }
    throw err;
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) {
      throw new Error(`the key file ${file} is not a regular file`);
    }
    if ((st.mode & 0o077) !== 0) {
      throw new Error(
        `the key file ${file} is readable by others (mode ${(st.mode & 0o777).toString(8)}): run \`chmod 600 ${file}\``,
      );
    }
    const uid = process.getuid?.();
    if (uid !== undefined && st.uid !== uid) {
      throw new Error(
        `the key file ${file} is owned by uid ${st.uid}, not by the user this process runs as (uid ${uid}): run \`chown ${uid} ${file}\` or run as its owner`,
      );
    }
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

export function parseMasterKey(text: string): Buffer | undefined {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) {
    return Buffer.from(t, 'hex');
  }
  const b = Buffer.from(t, 'base64');
  return b.length === 32 && /^[A-Za-z0-9+/=_-]+$/.test(t) ? b : undefined;
}

export interface MasterKeySource {
  key: Buffer;
  origin: 'environment' | 'file' | 'created';
}

/** The master key from REKISTERI_MASTER_KEY or the key file; undefined when there is neither. */
export async function loadMasterKey(opts: {
  fromEnv?: string;
  file: string;
}): Promise<MasterKeySource | undefined> {
  if (opts.fromEnv) {
    const key = parseMasterKey(opts.fromEnv);
    if (!key) {
      throw new Error(
        'REKISTERI_MASTER_KEY must be 32 bytes as 64 hex characters or base64; generate one with `openssl rand -hex 32`',
      );
    }
    return { key, origin: 'environment' };
  }
  const text = await readKeyFile(opts.file);
  if (text !== undefined) {
    const key = parseMasterKey(text);
    if (!key) {
      throw new Error(`the key file ${opts.file} does not hold a 32-byte key in hex`);
    }
    return { key, origin: 'file' };
  }
  return undefined;
}

/**
 * Writes a new random key file (mode 0600). Its directory must exist unless `parents` is given
 * (`rekisteri init`): a missing directory is more often a volume not mounted than a wish. When
 * another process wrote the file first, that key is used.
 */
export async function createMasterKeyFile(
  file: string,
  opts: { parents?: boolean } = {},
): Promise<MasterKeySource> {
  if (opts.parents) {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  }
  const key = randomBytes(32);
  try {
    // wx: O_CREAT | O_EXCL, which neither follows a symbolic link nor replaces an existing file.
    await writeFile(file, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      key.fill(0);
      const other = await loadMasterKey({ file });
      if (other) {
        return other;
      }
    }
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new Error(
        `REKISTERI_KEY_FILE: the directory of ${file} does not exist: check the path, or run \`rekisteri init\`, which creates it`,
      );
    }
    throw err;
  }
  return { key, origin: 'created' };
}

export async function loadOrCreateMasterKey(opts: {
  fromEnv?: string;
  file: string;
  create: boolean;
  parents?: boolean;
}): Promise<MasterKeySource> {
  const found = await loadMasterKey(opts);
  if (found) {
    return found;
  }
  if (!opts.create) {
    throw new Error(
      `no master key: set REKISTERI_MASTER_KEY or create ${opts.file} with \`rekisteri init\``,
    );
  }
  return createMasterKeyFile(opts.file, { parents: opts.parents ?? false });
}
