/**
 * The public portal in a real browser (Debian's Chromium through playwright-core) against the
 * real server on a fresh embedded database: `/` shows the register's published summary with the
 * controller's name, in English, Finnish and Swedish, with landmarks and headings, under the same
 * security headers as the console. With UPDATE_SCREENSHOTS=1, docs/screenshots/portal.png is
 * refreshed.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { loadDefinition } from '../../src/modules/definition/loader.ts';
import { createServices } from '../../src/services.ts';
import { createVault } from '../../src/vault/vault.ts';
import { DEMO, ROOT, openTestDatabase, openTestKeyStore, type TestDatabase } from '../helpers.ts';
import type { FastifyInstance } from 'fastify';

const CHROMIUM = '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
if (!HAS_CHROMIUM) {
  console.log(`portal browser tests skipped: ${CHROMIUM} not found`);
}

const DIST = join(ROOT, 'web', 'dist');
const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS
  ? join(ROOT, 'docs', 'screenshots')
  : join(tmpdir(), 'rekisteri-screenshots');
const CONTROLLER = 'Revontuli Kahvipaahtimo Oy';

/** Builds the portal once when no build is there (`npm run build:web` does the same). */
function ensurePortalBuilt(): void {
  if (existsSync(join(DIST, 'portal', 'index.html'))) {
    return;
  }
  execFileSync(
    process.execPath,
    [
      join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'),
      'build',
      '--config',
      'web/vite.portal.config.ts',
    ],
    { cwd: ROOT, stdio: 'pipe' },
  );
}

describe.skipIf(!HAS_CHROMIUM)('public portal in Chromium', () => {
  let db: TestDatabase;
  let keyStore: Awaited<ReturnType<typeof openTestKeyStore>> | undefined;
  let app: FastifyInstance;
  let browser: Browser;
  let page: Page;
  let base: string;

  const h1 = () => page.getByRole('heading', { level: 1 });
  const h2 = (name: string) => page.getByRole('heading', { level: 2, name, exact: true });
  const lang = () => page.evaluate(() => document.documentElement.lang);

  beforeAll(async () => {
    ensurePortalBuilt();
    mkdirSync(SCREENSHOTS, { recursive: true });
    db = await openTestDatabase('pglite');
    keyStore = await openTestKeyStore('pglite');
    const services = createServices({
      database: db.handle,
      keys: keyStore.keys,
      register: await loadDefinition(DEMO),
      vault: createVault(randomBytes(32)),
    });
    app = await createApp(services, { portalDir: join(DIST, 'portal') });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const context = await browser.newContext({
      viewport: { width: 1280, height: 860 },
      locale: 'en-GB',
    });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (e) => console.log('[browser error]', e.message));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await keyStore?.dispose();
    await db?.dispose();
  });

  it('answers at / with the summary and the controller’s name, under a strict CSP', async () => {
    const res = await page.goto(`${base}/`);
    expect(res?.status()).toBe(200);
    expect(new URL(page.url()).pathname).toBe('/');
    const headers = res?.headers() ?? {};
    expect(headers['content-security-policy']).toContain("script-src 'self'");
    expect(headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(headers['cache-control']).toBe('no-store');
    // No inline script: every script comes from a file of ours.
    const scripts = await page.evaluate(() =>
      [...document.scripts].map((s) => ({ src: s.src, inline: s.textContent?.trim() ?? '' })),
    );
    expect(scripts.length).toBeGreaterThan(0);
    for (const s of scripts) {
      expect(s.src).toContain('/assets/');
      expect(s.inline).toBe('');
    }
    const asset = await page.request.get(scripts[0]!.src);
    expect(asset.status()).toBe(200);
    expect(asset.headers()['cache-control']).not.toContain('no-store');

    await expect(h1().innerText()).resolves.toBe('How we handle personal data');
    await h2('Controller').waitFor();
    await page.locator('.portal-controller', { hasText: CONTROLLER }).waitFor();
    await page.getByRole('heading', { level: 3, name: 'Customer relationship' }).first().waitFor();
    await h2('Recipients').waitFor();
    await page.getByRole('heading', { level: 3, name: 'Kauppapilvi Oy' }).waitFor();
    await h2('Transfers outside the EU and EEA').waitFor();
    await page.getByText('EU–US Data Privacy Framework').first().waitFor();
    await h2('How long the data is kept').waitFor();
    expect(await lang()).toBe('en');
    await page.screenshot({ path: join(SCREENSHOTS, 'portal.png'), fullPage: false });
  }, 60_000);

  it('has one banner, one main region and one footer, and a skip link to the content', async () => {
    await expect(page.getByRole('banner').count()).resolves.toBe(1);
    await expect(page.getByRole('main').count()).resolves.toBe(1);
    await expect(page.getByRole('contentinfo').count()).resolves.toBe(1);
    await expect(page.getByRole('heading', { level: 1 }).count()).resolves.toBe(1);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
  });

  it('switches to Finnish and Swedish, headings and the lang attribute with it', async () => {
    await page.getByLabel('Language', { exact: true }).selectOption('fi');
    await h2('Rekisterinpitäjä').waitFor();
    await expect(h1().innerText()).resolves.toBe('Miten käsittelemme henkilötietoja');
    await h2('Vastaanottajat').waitFor();
    expect(await lang()).toBe('fi');
    await page.getByLabel('Kieli', { exact: true }).selectOption('sv');
    await h2('Personuppgiftsansvarig').waitFor();
    await expect(h1().innerText()).resolves.toBe('Hur vi behandlar personuppgifter');
    expect(await lang()).toBe('sv');
    // The controller's name is the same in every language; the choice outlives a reload.
    await page.locator('.portal-controller', { hasText: CONTROLLER }).waitFor();
    await page.reload();
    await h2('Personuppgiftsansvarig').waitFor();
    await page.getByLabel('Språk', { exact: true }).selectOption('en');
    await h2('Controller').waitFor();
  }, 60_000);

  it('keeps the API documentation reachable and answers an unknown path with a problem, not the portal', async () => {
    const docs = await page.request.get(`${base}/api/docs`, { maxRedirects: 5 });
    expect(docs.status()).toBe(200);
    expect(await docs.text()).toContain('swagger');
    const missing = await page.request.get(`${base}/no-such-page`);
    expect(missing.status()).toBe(404);
    expect(missing.headers()['content-type']).toContain('application/problem+json');
    const missingAsset = await page.request.get(`${base}/assets/no-such-file.js`);
    expect(missingAsset.status()).toBe(404);
  });

  it('shows a clear error when the summary cannot be had', async () => {
    await page.route('**/api/v1/definition', (route) =>
      route.fulfill({
        status: 503,
        contentType: 'application/problem+json',
        body: JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status: 503 }),
      }),
    );
    await page.reload();
    await page.getByRole('alert').waitFor();
    await expect(page.getByRole('alert').innerText()).resolves.toContain('503');
    await page.unroute('**/api/v1/definition');
    await page.getByRole('button', { name: 'Try again' }).click();
    await page.locator('.portal-controller', { hasText: CONTROLLER }).waitFor();
  }, 60_000);
});

describe('serving the portal', () => {
  let db: TestDatabase;
  let keyStore: Awaited<ReturnType<typeof openTestKeyStore>> | undefined;
  let services: ReturnType<typeof createServices>;

  beforeAll(async () => {
    ensurePortalBuilt();
    db = await openTestDatabase('pglite');
    keyStore = await openTestKeyStore('pglite');
    services = createServices({
      database: db.handle,
      keys: keyStore.keys,
      register: await loadDefinition(DEMO),
      vault: createVault(randomBytes(32)),
    });
  }, 180_000);
  afterAll(async () => {
    await keyStore?.dispose();
    await db?.dispose();
  });

  it('serves the built portal at / beside the console, and only its own files', async () => {
    // The portal is found beside the console's build, as the server passes only the console's.
    const app = await createApp(services, { consoleDir: join(DIST, 'console') });
    try {
      const page = await app.inject({ url: '/' });
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(page.headers['content-security-policy']).toContain("script-src 'self'");
      expect(page.body).toMatch(/<script type="module" crossorigin src="\/assets\/[^"]+\.js">/);
      expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      for (const url of ['/index.html', '/assets/../index.html', '/assets/nothing.js', '/x']) {
        const res = await app.inject({ url });
        expect(res.statusCode, url).toBe(404);
      }
    } finally {
      await app.close();
    }
  });

  it('sends / to the API documentation when no portal is built', async () => {
    const empty = join(tmpdir(), `rekisteri-no-portal-${randomBytes(4).toString('hex')}`);
    const app = await createApp(services, { portalDir: empty });
    try {
      const res = await app.inject({ url: '/' });
      expect(res.statusCode).toBe(302);
      expect(res.headers.location).toBe('/api/docs');
      expect((await app.inject({ url: '/api/docs' })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});
