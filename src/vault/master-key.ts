/**
 * The master key: from REKISTERI_MASTER_KEY (64 hex characters or base64 of 32 bytes), or from a
 * key file, created on first start with mode 0600.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

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

export async function loadOrCreateMasterKey(opts: {
  fromEnv?: string;
  file: string;
  create: boolean;
}): Promise<MasterKeySource> {
  if (opts.fromEnv) {
    const key = parseMasterKey(opts.fromEnv);
    if (!key) {
      throw new Error(
        'REKISTERI_MASTER_KEY must be 32 bytes as 64 hex characters or base64; generate one with `openssl rand -hex 32`',
      );
    }
    return { key, origin: 'environment' };
  }
  try {
    const st = await stat(opts.file);
    if ((st.mode & 0o077) !== 0) {
      throw new Error(
        `the key file ${opts.file} is readable by others; run \`chmod 600 ${opts.file}\``,
      );
    }
    const key = parseMasterKey(await readFile(opts.file, 'utf8'));
    if (!key) {
      throw new Error(`the key file ${opts.file} does not hold a 32-byte key in hex`);
    }
    return { key, origin: 'file' };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw err;
    }
    if (!opts.create) {
      throw new Error(
        `no master key: set REKISTERI_MASTER_KEY or create ${opts.file} with \`rekisteri init\``,
      );
    }
  }
  const key = randomBytes(32);
  await mkdir(dirname(opts.file), { recursive: true });
  await writeFile(opts.file, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  return { key, origin: 'created' };
}
