/**
 * Writes the OpenAPI document the server publishes at /api/openapi.json, from the app built
 * in-process (real services on an in-memory embedded database and the demo register), so that
 * `npm run lint:openapi` and `npm run gen:api` need no running server.
 * Usage: tsx bin/openapi.ts <output file>
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApp } from '../src/app.ts';
import { openDatabase } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { loadDefinition } from '../src/modules/definition/index.ts';
import { openKeyStore } from '../src/keystore/keystore.ts';
import { createServices } from '../src/services.ts';
import { createVault } from '../src/vault/vault.ts';

/** The published document as the server builds it. */
export async function openApiDocument(): Promise<unknown> {
  const database = await openDatabase({});
  const keys = await openKeyStore({});
  try {
    await migrateToLatest(database.db);
    const register = await loadDefinition(
      fileURLToPath(new URL('../examples/demo.yaml', import.meta.url)),
    );
    const services = createServices({
      database,
      keys,
      register,
      vault: createVault(randomBytes(32)),
    });
    const app = await createApp(services);
    try {
      const res = await app.inject({ method: 'GET', url: '/api/openapi.json' });
      if (res.statusCode !== 200) {
        throw new Error(`GET /api/openapi.json answered ${res.statusCode}`);
      }
      return res.json();
    } finally {
      await app.close();
    }
  } finally {
    await keys.close();
    await database.close();
  }
}

const out = process.argv[2];
if (out && import.meta.url === `file://${resolve(process.argv[1] ?? '')}`) {
  const doc = await openApiDocument();
  mkdirSync(dirname(resolve(out)), { recursive: true });
  writeFileSync(out, `${JSON.stringify(doc, null, 2)}\n`);
}
