/**
 * The directories a start writes to. One whose parent does not exist is refused, and nothing is
 * created: it is more often a volume that is not mounted, or a typo, than a new register (a new
 * empty database and a new administrator would appear where the real ones were expected).
 * `rekisteri init` creates them, parents included.
 */
import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Config } from '../config/config.ts';
import { StartupError } from './database-errors.ts';

type DirectoryVariable = 'REKISTERI_DATA' | 'REKISTERI_KEYSTORE';

/** The directories this configuration writes to, with the variable that names each. */
export function directoriesOf(
  config: Readonly<Config>,
): Array<{ variable: DirectoryVariable; dir: string }> {
  return [
    ...(config.databaseUrl ? [] : [{ variable: 'REKISTERI_DATA' as const, dir: config.dataDir }]),
    // Always: the access log's anchors are kept there, and without KEYSTORE_DATABASE_URL the key
    // store's embedded database too.
    { variable: 'REKISTERI_KEYSTORE' as const, dir: config.keystoreDir },
  ];
}

async function kind(path: string): Promise<'dir' | 'other' | 'missing' | 'under-a-file'> {
  try {
    return (await stat(path)).isDirectory() ? 'dir' : 'other';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      return 'missing';
    }
    if (code === 'ENOTDIR') {
      return 'under-a-file';
    }
    throw new StartupError(`cannot look at ${path}: ${(err as Error).message}`);
  }
}

/** Refuses a directory that is a file, or that is missing and whose parent is missing too. */
export async function checkDirectory(variable: DirectoryVariable, dir: string): Promise<void> {
  const here = await kind(dir);
  if (here === 'dir') {
    return;
  }
  if (here === 'other') {
    throw new StartupError(`${variable}: ${dir} is not a directory`);
  }
  if (here === 'under-a-file') {
    throw new StartupError(
      `${variable}: ${dir} is not a directory: a path above it is a file, not a directory`,
    );
  }
  const parent = dirname(dir);
  const above = await kind(parent);
  if (above === 'missing') {
    throw new StartupError(
      `${variable}: ${dir} does not exist, nor does ${parent}: is its volume mounted, or is the path mistyped? Nothing was created; \`rekisteri init\` creates the directories for a new register`,
    );
  }
  if (above === 'other' || above === 'under-a-file') {
    throw new StartupError(`${variable}: ${parent} is not a directory`);
  }
  try {
    await access(parent, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new StartupError(
      code === 'EROFS'
        ? `${variable}: cannot create ${dir}: ${parent} is on a read-only file system`
        : `${variable}: cannot create ${dir}: this user may not write in ${parent} (${code ?? 'refused'})`,
    );
  }
}

export async function checkDirectories(config: Readonly<Config>): Promise<void> {
  for (const { variable, dir } of directoriesOf(config)) {
    await checkDirectory(variable, dir);
  }
}

/** For `rekisteri init`: the directories, created with their parents, private to this user. */
export async function createDirectories(config: Readonly<Config>): Promise<string[]> {
  const created: string[] = [];
  for (const { variable, dir } of directoriesOf(config)) {
    if ((await kind(dir)) === 'dir') {
      continue;
    }
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new StartupError(`${variable}: cannot create ${dir}: ${(err as Error).message}`);
    }
    created.push(dir);
  }
  return created;
}
