/**
 * Serving a built portal without a browser: after a rebuild while the server runs, the page's new
 * hashed assets are found (not 404, which left a blank page until a restart); nothing outside the
 * assets folder, and no hidden file in it, is served.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.ts';
import { loadDefinition } from '../src/modules/definition/loader.ts';
import { createServices } from '../src/services.ts';
import { createVault } from '../src/vault/vault.ts';
import { DEMO, openTestDatabase, openTestKeyStore, type TestDatabase } from './helpers.ts';

describe('the portal’s files', () => {
  const dir = join(tmpdir(), `rekisteri-portal-${randomBytes(4).toString('hex')}`);
  let db: TestDatabase;
  let keyStore: Awaited<ReturnType<typeof openTestKeyStore>>;
  let app: FastifyInstance;

  beforeAll(async () => {
    mkdirSync(join(dir, 'assets'), { recursive: true });
    writeFileSync(
      join(dir, 'index.html'),
      '<script type="module" src="/assets/app-1.js"></script>',
    );
    writeFileSync(join(dir, 'assets', 'app-1.js'), 'console.log(1)');
    writeFileSync(join(dir, 'assets', '.editor-backup'), 'not for the public');
    writeFileSync(join(dir, 'secret.txt'), 'beside the assets, not in them');
    db = await openTestDatabase('pglite');
    keyStore = await openTestKeyStore('pglite');
    const services = createServices({
      database: db.handle,
      keys: keyStore.keys,
      register: await loadDefinition(DEMO),
      vault: createVault(randomBytes(32)),
    });
    app = await createApp(services, { portalDir: dir });
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await keyStore?.dispose();
    await db?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds the assets of a portal rebuilt while the server runs', async () => {
    expect((await app.inject({ url: '/assets/app-1.js' })).statusCode).toBe(200);
    // A rebuild: a new page naming a new hashed script.
    writeFileSync(join(dir, 'assets', 'app-2.js'), 'console.log(2)');
    writeFileSync(
      join(dir, 'index.html'),
      '<script type="module" src="/assets/app-2.js"></script>',
    );
    expect((await app.inject({ url: '/' })).body).toContain('/assets/app-2.js');
    const asset = await app.inject({ url: '/assets/app-2.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.body).toBe('console.log(2)');
  });

  it('serves nothing outside the assets folder, nor a hidden file in it', async () => {
    for (const url of [
      '/assets/.editor-backup',
      '/assets/../secret.txt',
      '/assets/%2e%2e/secret.txt',
      '/assets/..%2fsecret.txt',
      '/assets/%2e%2e%2fsecret.txt',
      '/assets/',
      '/secret.txt',
      '/index.html',
    ]) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type'], url).toBe('application/problem+json');
      expect(res.body, url).not.toContain('not for the public');
      expect(res.body, url).not.toContain('beside the assets');
    }
  });
});
