/**
 * A person uses their right of access in the portal, in a real browser (Debian's Chromium through
 * playwright-core) against one real server on a fresh embedded database: they read their rights
 * and the channels on the summary, fill in the request form at phone width with the keyboard, see
 * "check your mail", open the mailed confirmation link (its token in the fragment) and see the due
 * date; a data protection officer signs in to the staff console in another window, finds the
 * request in the queue and completes it on its page; the person asks for a download link on the
 * download page, opens the mailed link and downloads the ZIP, whose copy lists the request itself
 * among the person's requests. Mail is read from the outbox,
 * opened with the test's keys. With UPDATE_SCREENSHOTS=1, docs/screenshots/portal-request*.png
 * are refreshed.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { operator } from '../../src/lib/actor.ts';
import type { AccessCopy } from '../../src/modules/subjects/index.ts';
import { TEMPLATES, type TemplateName } from '../../src/mail/index.ts';
import type { Locale } from '../../src/mail/templates.ts';
import { loadDefinition } from '../../src/modules/definition/loader.ts';
import { createServices, type Services } from '../../src/services.ts';
import { createVault, type Vault } from '../../src/vault/vault.ts';
import { newSubjectVia } from '../factories.ts';
import { DEMO, ROOT, openTestDatabase, openTestKeyStore, type TestDatabase } from '../helpers.ts';

const CHROMIUM = '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
if (!HAS_CHROMIUM) {
  console.log(`portal request browser tests skipped: ${CHROMIUM} not found`);
}

const DIST = join(ROOT, 'web', 'dist');
const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS
  ? join(ROOT, 'docs', 'screenshots')
  : join(tmpdir(), 'rekisteri-screenshots');
const EMAIL = 'maija.virtanen@example.fi';

/** Builds the portal when no build is there, or when its build predates the request pages. */
function ensurePortalBuilt(): void {
  const assets = join(DIST, 'portal', 'assets');
  const current =
    existsSync(join(DIST, 'portal', 'index.html')) &&
    existsSync(assets) &&
    readdirSync(assets).some(
      (f) =>
        f.endsWith('.js') && readFileSync(join(assets, f), 'utf8').includes('/requests/verify'),
    );
  if (!current) {
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
}

describe.skipIf(!HAS_CHROMIUM)('a request for access in the portal, in Chromium', () => {
  let db: TestDatabase;
  let keyStore: Awaited<ReturnType<typeof openTestKeyStore>> | undefined;
  let services: Services;
  let vault: Vault;
  let app: FastifyInstance;
  let browser: Browser;
  let page: Page;
  let base: string;
  let consoleDir: string;
  const dpo = { username: 'paula.portal', password: 'paulan-oma-tietosuoja-salasana' };

  beforeAll(async () => {
    ensurePortalBuilt();
    // The staff console, built into a folder of this file's own (as console-requests.test.ts).
    consoleDir = mkdtempSync(join(tmpdir(), 'rekisteri-portal-console-'));
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
    db = await openTestDatabase('pglite');
    keyStore = await openTestKeyStore('pglite');
    vault = createVault(randomBytes(32));
    // The server's own address is only known once it listens: mailed links are read for their
    // fragment and opened on it.
    services = createServices({
      database: db.handle,
      keys: keyStore.keys,
      register: await loadDefinition(DEMO),
      vault,
      publicUrl: 'https://rekisteri.example.fi',
    });
    await newSubjectVia(services, {
      values: {
        identity: { firstName: 'Maija', lastName: 'Virtanen' },
        contact: { email: EMAIL },
      },
    });
    await services.staff.createStaff(operator, {
      username: dpo.username,
      displayName: 'Paula Portaali',
      role: 'dpo',
      password: dpo.password,
    });
    app = await createApp(services, { portalDir: join(DIST, 'portal'), consoleDir });
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
      viewport: { width: 360, height: 780 },
      locale: 'en-GB',
      acceptDownloads: true,
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
    if (consoleDir) {
      rmSync(consoleDir, { recursive: true, force: true });
    }
  });

  /** The fragment of the newest mail of a template to the person, as a path on this server. */
  async function mailedLink(template: TemplateName): Promise<string> {
    const rows = await db.handle.db
      .selectFrom('outbox')
      .selectAll()
      .where('template', '=', template)
      .orderBy('id', 'desc')
      .execute();
    for (const row of rows) {
      let plain: Buffer;
      if (row.subject_id === null) {
        plain = vault.openSecret(`outbox:${row.id}`, row.sealed);
      } else {
        const key = vault.unwrapSubjectKey(
          row.subject_id,
          (await keyStore!.keys.get(row.subject_id))!,
        );
        plain = vault.open(key, `outbox:${row.id}:subject:${row.subject_id}`, row.sealed);
      }
      const { to, data } = JSON.parse(plain.toString('utf8')) as { to: string; data: never };
      if (to !== EMAIL) {
        continue;
      }
      const text = TEMPLATES[template].render(row.locale as Locale, data).text;
      const link = /https:\/\/rekisteri\.example\.fi(\/requests\/\w+#token=[\w-]{43})/.exec(text);
      if (link) {
        return link[1]!;
      }
    }
    throw new Error(`no ${template} mail to the person`);
  }

  it('asks for access, confirms by the mailed link, and downloads the completed copy', async () => {
    await page.goto(`${base}/`);
    await page
      .getByRole('heading', { level: 2, name: 'Your rights and how to use them' })
      .waitFor();
    await page.getByText('Erasure does not cover bookkeeping records').waitFor();
    await page.getByText('Postikatu 7 B').waitFor();
    await page.getByRole('link', { name: 'Make a request' }).first().click();

    await page.getByRole('heading', { level: 1, name: 'Make a request' }).waitFor();
    // No sideways scrolling at 360 px.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
      360,
    );
    // Sending without a choice says what is missing.
    await page.getByRole('button', { name: 'Send the request' }).click();
    await page.getByText('Choose what you want to do.').waitFor();
    // The keyboard reaches the choice: the first radio has focus, arrows move within the group.
    await page.keyboard.press('Space');
    expect(await page.getByRole('radio', { name: /See my data/ }).isChecked()).toBe(true);
    await page.getByLabel('Your e-mail address').fill(EMAIL);
    await page.getByLabel('Language of our answer').selectOption('en');
    await page.getByLabel('Details (optional)').fill('Customer since 2024.');
    await page.screenshot({ path: join(SCREENSHOTS, 'portal-request.png'), fullPage: true });
    await page.getByLabel('Details (optional)').focus();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');

    await page.getByRole('heading', { level: 1, name: 'Check your mail' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/requests/sent');

    await page.goto(`${base}${await mailedLink('request-verify')}`);
    await page.getByText('Thank you, your request is confirmed.').waitFor();
    await page.getByText('We answer by', { exact: true }).waitFor();
    // The token left the address bar once read.
    expect(new URL(page.url()).hash).toBe('');
    await page.screenshot({ path: join(SCREENSHOTS, 'portal-request-verified.png') });

    // Staff complete the request in the console, in a window of their own.
    const [request] = await services.requests.list(operator, { type: 'access' });
    expect(request?.state).toBe('in_progress');
    const staffContext = await browser.newContext({
      viewport: { width: 1280, height: 860 },
      locale: 'en-GB',
    });
    const staff = await staffContext.newPage();
    staff.setDefaultTimeout(15_000);
    staff.on('pageerror', (e) => console.log('[console error]', e.message));
    await staff.goto(`${base}/admin/`);
    await staff.getByLabel('Username').fill(dpo.username);
    await staff.getByLabel('Password').fill(dpo.password);
    await staff.getByRole('button', { name: 'Sign in' }).click();
    await staff.getByRole('heading', { level: 1, name: 'Search people' }).waitFor();
    await staff
      .getByRole('navigation', { name: 'Main menu' })
      .getByRole('link', { name: 'Requests' })
      .click();
    await staff.getByRole('heading', { level: 1, name: 'Requests' }).waitFor();
    const row = staff
      .getByRole('row')
      .filter({ has: staff.getByRole('link', { name: 'Access', exact: true }) });
    expect(await row.innerText()).toContain('Portal');
    await row.getByRole('link', { name: 'Access', exact: true }).click();
    const requestHeading = staff.getByRole('heading', { level: 1, name: /Access request/ });
    await requestHeading.waitFor();
    expect(new URL(staff.url()).pathname).toBe(`/admin/requests/${request!.id}`);
    await staff
      .getByRole('form', { name: 'Complete the request' })
      .getByRole('button', { name: 'Complete' })
      .click();
    await requestHeading.getByText('Completed').waitFor();
    await staff.getByText(/The access copy can be downloaded until/).waitFor();
    await staffContext.close();

    await page.goto(`${base}/requests/download`);
    await page.getByRole('heading', { level: 1, name: 'Download your copy' }).waitFor();
    await page.getByLabel('Request number').fill(request!.id);
    await page.getByLabel('Your e-mail address').fill(EMAIL);
    await page.getByRole('button', { name: 'Mail me a link' }).click();
    await page.getByText('a link is on its way').waitFor();

    await page.goto(`${base}${await mailedLink('request-download')}`);
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: 60_000 }),
      page.getByRole('button', { name: 'Download the copy' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^access-copy-.*\.zip$/);
    const path = await download.path();
    const files = unzipSync(new Uint8Array(readFileSync(path)));
    expect(Object.keys(files).length).toBeGreaterThan(1);
    const all = Object.values(files)
      .map((f) => Buffer.from(f).toString('utf8'))
      .join('\n');
    expect(all).toContain('Virtanen');
    // The copy lists the person's own request, completed, without who completed it.
    const copy = JSON.parse(Buffer.from(files['access-copy.json']!).toString('utf8')) as AccessCopy;
    const own = copy.requests.find((r) => r.id === request!.id);
    expect(own).toMatchObject({ type: 'access', channel: 'portal', state: 'completed' });
    expect(own?.details).toBe('Customer since 2024.');
    expect(own?.history.map((e) => e.step)).toEqual(
      expect.arrayContaining(['received', 'identity', 'in_progress', 'completed']),
    );
    expect(JSON.stringify(copy.requests)).not.toContain('paula.portal');
    expect(JSON.stringify(copy.requests)).not.toContain('staff:');
    await page.getByText('The copy was downloaded.').waitFor();
  }, 120_000);
});
