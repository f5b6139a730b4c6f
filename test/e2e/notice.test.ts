/**
 * The privacy notice page in a real browser (Debian's Chromium through playwright-core) against
 * the real server: `/notice` opens in the browser's language, its headings are the Art. 13/14
 * items, the language links switch it, the PDF and Markdown downloads answer, the links lead to
 * the portal's request and preference pages, and the page runs no script and breaks no rule of
 * its content security policy.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { loadDefinition } from '../../src/modules/definition/loader.ts';
import { NOTICE_ITEMS } from '../../src/modules/notice/index.ts';
import { noticeMessages } from '../../src/modules/notice/messages.ts';
import { createServices } from '../../src/services.ts';
import { createVault } from '../../src/vault/vault.ts';
import { DEMO, openTestDatabase, openTestKeyStore, type TestDatabase } from '../helpers.ts';

const CHROMIUM = '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);

describe.skipIf(!HAS_CHROMIUM)('the privacy notice page in Chromium', () => {
  let db: TestDatabase;
  let keyStore: Awaited<ReturnType<typeof openTestKeyStore>> | undefined;
  let app: FastifyInstance;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    db = await openTestDatabase('pglite');
    keyStore = await openTestKeyStore('pglite');
    const services = createServices({
      database: db.handle,
      keys: keyStore.keys,
      register: await loadDefinition(DEMO),
      vault: createVault(randomBytes(32)),
    });
    app = await createApp(services);
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await keyStore?.dispose();
    await db?.dispose();
  });

  it('opens in the browser’s language with every item, switches language, and downloads', async () => {
    const context = await browser.newContext({ locale: 'fi-FI' });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' || /Content Security Policy/i.test(m.text())) {
        problems.push(m.text());
      }
    });

    const res = await page.goto(`${base}/notice`);
    expect(res?.status()).toBe(200);
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('fi');
    const h1 = await page.getByRole('heading', { level: 1 }).innerText();
    expect(h1).toMatch(/^Tietosuojaseloste: /);
    const h2 = await page.getByRole('heading', { level: 2 }).allInnerTexts();
    for (const item of NOTICE_ITEMS) {
      expect(h2).toContain(item.heading(noticeMessages.fi));
    }
    expect(await page.evaluate(() => document.scripts.length)).toBe(0);
    // The portal's request and preference pages are linked.
    await expect(
      page.getByRole('link', { name: noticeMessages.fi.requestPage }).getAttribute('href'),
    ).resolves.toBe('/requests/new');
    expect(
      await page.getByRole('link', { name: noticeMessages.fi.preferencePage }).count(),
    ).toBeGreaterThan(0);

    // The PDF and the Markdown answer as downloads.
    const pdfHref = await page.getByRole('link', { name: 'PDF', exact: true }).getAttribute('href');
    const pdf = await page.request.get(`${base}${pdfHref}`);
    expect(pdf.status()).toBe(200);
    expect(pdf.headers()['content-type']).toBe('application/pdf');
    const mdHref = await page.getByRole('link', { name: 'Markdown' }).getAttribute('href');
    expect((await (await page.request.get(`${base}${mdHref}`)).text()).startsWith('# Tieto')).toBe(
      true,
    );

    // Another language, by its link.
    await page.getByRole('link', { name: 'Svenska' }).click();
    await page.waitForURL(`${base}/sv/notice`);
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('sv');
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toMatch(
      /^Dataskyddsbeskrivning: /,
    );
    await page.getByRole('link', { name: 'English' }).click();
    await page.waitForURL(`${base}/en/notice`);
    await page.getByRole('heading', { level: 2, name: 'Your rights', exact: true }).waitFor();
    expect(problems).toEqual([]);
    await context.close();
  }, 90_000);
});
