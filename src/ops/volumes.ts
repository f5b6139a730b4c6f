import type { Config } from '../config/config.ts';
import { keystoreDatabaseDir } from '../runtime.ts';
import type { WatchedVolume } from './storage.ts';

/** The embedded databases this configuration opens (none on PostgreSQL servers). */
export function embeddedVolumes(config: Readonly<Config>): WatchedVolume[] {
  return [
    ...(config.databaseUrl ? [] : [{ dir: config.dataDir, variable: 'REKISTERI_DATA' }]),
    ...(config.keystoreUrl
      ? []
      : [{ dir: keystoreDatabaseDir(config), variable: 'REKISTERI_KEYSTORE' }]),
  ];
}
