/**
 * The anonymised statistics in the staff console, in a real browser (Debian's Chromium through
 * playwright-core) against the real server: an auditor finds Statistics in the menu, sees the
 * live people counted (an erased person is not), a source of 3 people as "fewer than 5" and the
 * rest of a permission breakdown with a small group hidden, and saves the same as CSV. A member
 * of customer support has no such menu entry and is refused the page. With UPDATE_SCREENSHOTS=1
 * the page goes to docs/screenshots/statistics.png.
 *
 * The server runs on PostgreSQL when TEST_DATABASE_URL is set, else on the embedded database.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { operator } from '../../src/lib/actor.ts';
import { loadDefinition } from '../../src/modules/definition/loader.ts';
import type { Register } from '../../src/modules/definition/index.ts';
import { createServices } from '../../src/services.ts';
import { createVault } from '../../src/vault/vault.ts';
import { DEMO, ROOT, openTestDatabase, openTestKeyStore, type TestDatabase } from '../helpers.ts';

const CHROMIUM = '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
if (!HAS_CHROMIUM) {
  console.log(`browser tests skipped: ${CHROMIUM} not found`);
}

const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS
  ? join(ROOT, 'docs', 'screenshots')
  : join(tmpdir(), 'rekisteri-screenshots');

describe.skipIf(!HAS_CHROMIUM)('the anonymised statistics in the console, in Chromium', () => {
  let db: TestDatabase;
  let keyStore: Awaited<ReturnType<typeof openTestKeyStore>> | undefined;
  let app: FastifyInstance;
  let browser: Browser;
  let page: Page;
  let base: string;
  let consoleDir: string;
  let register: Register;
  const auditor = { username: 'tuula.tarkastaja', password: 'tuulan-oma-tarkastus-salasana' };
  const support = { username: 'aapo.asiakaspalvelu', password: 'aapon-oma-palvelu-salasana' };

  const heading = (name: string | RegExp) => page.getByRole('heading', { level: 1, name });
  const signIn = async (who: { username: string; password: string }) => {
    await page.context().clearCookies();
    await page.goto(`${base}/admin/`);
    await page.getByLabel('Username').fill(who.username);
    await page.getByLabel('Password').fill(who.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await heading('Search people').waitFor();
  };

  beforeAll(async () => {
    consoleDir = mkdtempSync(join(tmpdir(), 'rekisteri-console-statistics-'));
    execFileSync(
      process.execPath,
      [
        join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'),
        'build',
        '--config',
        'web/vite.config.ts',
        '--outDir',
        consoleDir,
        '--emptyOutDir',
      ],
      { cwd: ROOT, stdio: 'pipe' },
    );
    mkdirSync(SCREENSHOTS, { recursive: true });
    const kind = process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite';
    db = await openTestDatabase(kind);
    keyStore = await openTestKeyStore(kind);
    register = await loadDefinition(DEMO);
    const services = createServices({
      database: db.handle,
      keys: keyStore.keys,
      register,
      vault: createVault(randomBytes(32)),
    });
    app = await createApp(services, { consoleDir });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    for (const [who, role, displayName] of [
      [auditor, 'auditor', 'Tuula Tarkastaja'],
      [support, 'support', 'Aapo Asiakaspalvelu'],
    ] as const) {
      await services.staff.createStaff(operator, {
        username: who.username,
        displayName,
        role,
        password: who.password,
      });
    }
    // 40 customers who gave their data themselves, 3 from a partner, 1 more then erased.
    const person = (i: number, source: string) =>
      services.subjects.createSubject(operator, {
        purpose: 'customer_relationship',
        source,
        values: {
          identity: { firstName: 'Tilasto', lastName: `Henkilö ${i}` },
          contact: { email: `tilasto.${i}.${randomBytes(3).toString('hex')}@example.fi` },
        },
      });
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) {
      ids.push((await person(i, 'subject')).id);
    }
    for (let i = 40; i < 43; i++) {
      await person(i, 'partner');
    }
    await services.subjects.eraseSubject(operator, (await person(43, 'partner')).id);
    // The newsletter by e-mail: 30 granted, 2 withdrawn (a small group: the rest is hidden).
    for (const [i, id] of ids.slice(0, 30).entries()) {
      await services.permissions.record(
        operator,
        id,
        [{ kind: 'newsletter', channel: 'email', state: 'granted' }],
        { method: 'form', wording: { text: 'Yes, send me the newsletter.', language: 'en' } },
      );
      if (i < 2) {
        await services.permissions.record(
          operator,
          id,
          [{ kind: 'newsletter', channel: 'email', state: 'withdrawn' }],
          { method: 'staff' },
        );
      }
    }
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const context = await browser.newContext({
      viewport: { width: 1280, height: 860 },
      locale: 'en-GB',
      acceptDownloads: true,
    });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (e) => console.log('[browser error]', e.message));
  }, 180_000);

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail' && page) {
      const path = join(tmpdir(), `rekisteri-console-statistics-failure-${Date.now()}.png`);
      await page.screenshot({ path, fullPage: true });
      console.log(`failed at ${page.url()}; screenshot in ${path}`);
    }
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await keyStore?.dispose();
    await db?.dispose();
    if (consoleDir) {
      rmSync(consoleDir, { recursive: true, force: true });
    }
  });

  it('an auditor reads the statistics: live people only, small groups "fewer than 5", their breakdown hidden, and saves the CSV', async () => {
    await signIn(auditor);
    await page.getByRole('navigation').getByRole('link', { name: 'Statistics' }).click();
    await heading('Anonymised statistics').waitFor();
    // 43 live people: the erased one is not counted.
    await page.getByText('Live people: 43').waitFor();

    const sources = page.getByRole('region', { name: 'People per source' });
    const partner = register.definition.sources.find((s) => s.id === 'partner')?.label.en ?? '';
    await expect(sources.getByRole('row', { name: partner }).innerText()).resolves.toContain(
      'fewer than 5',
    );
    // 40 of 43 from the person themselves: shown, it would tell that 3 came from elsewhere.
    const own = register.definition.sources.find((s) => s.id === 'subject')?.label.en ?? '';
    await expect(sources.getByRole('row', { name: own }).innerText()).resolves.toContain('hidden');

    const permissions = page.getByRole('region', { name: 'Permissions per kind and channel' });
    const newsletter = await permissions
      .getByRole('row', { name: 'Newsletter · E-mail' })
      .innerText();
    expect(newsletter).toContain('fewer than 5');
    expect(newsletter).toContain('hidden');
    // Neither 28 granted nor the 13 never asked is shown beside the small group.
    expect(newsletter).not.toMatch(/\b(28|13|2)\b/);
    // Nobody was asked about post: every one of the 43 never asked, shown.
    const post = await permissions
      .getByRole('row', { name: 'Direct marketing · Post' })
      .innerText();
    expect(post).toContain('43');

    // The page down to the permissions: the people, the sources and a breakdown hidden.
    await page.evaluate(() => window.scrollTo(0, 0));
    const box = await permissions.boundingBox();
    await page.screenshot({
      path: join(SCREENSHOTS, 'statistics.png'),
      fullPage: true,
      clip: {
        x: 0,
        y: 0,
        width: 1280,
        height: Math.ceil((box?.y ?? 1600) + (box?.height ?? 0) + 24),
      },
    });

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Save as CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^statistics-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = readFileSync((await download.path()) ?? '', 'utf8')
      .replace(/^\uFEFF/, '')
      .split('\r\n');
    expect(csv).toContain('people,live,,43');
    expect(csv).toContain('source,partner,,<5');
    expect(csv).toContain('permission,newsletter/email,withdrawn,<5');
    expect(csv).toContain('permission,newsletter/email,granted,hidden');
  }, 120_000);

  it('customer support has no statistics in the menu and is refused the page', async () => {
    await signIn(support);
    await expect(
      page.getByRole('navigation').getByRole('link', { name: 'Statistics' }).count(),
    ).resolves.toBe(0);
    await page.goto(`${base}/admin/statistics`);
    await page.getByRole('heading', { level: 1 }).first().waitFor();
    await expect(page.getByRole('heading', { level: 1 }).innerText()).resolves.not.toBe(
      'Anonymised statistics',
    );
  }, 60_000);
});
