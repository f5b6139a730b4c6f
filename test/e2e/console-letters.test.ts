/**
 * Letters to send in a real browser (Debian's Chromium through playwright-core): a request that
 * came by post with no e-mail address is registered with the person's postal address; the
 * acknowledgement waits as a letter on the request's page and the queue marks it "Letter to
 * send"; the printable view shows the controller as sender, the person's address, the date and
 * the letter's words, and prints without the console around it; marking it posted records it in
 * the timeline and takes the marker off the queue. With UPDATE_SCREENSHOTS=1 the printable letter
 * goes to docs/screenshots/console-letter.png. An access request without e-mail is completed to be
 * posted: the completion letter says the copy is enclosed, the PDF is saved to print, and the
 * delivery is recorded, which marks the letter sent.
 *
 * The server runs on PostgreSQL when TEST_DATABASE_URL is set, else on the embedded database.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { loadDefinition } from '../../src/modules/definition/loader.ts';
import { operator } from '../../src/lib/actor.ts';
import { createServices } from '../../src/services.ts';
import { createVault } from '../../src/vault/vault.ts';
import { DEMO, ROOT, openTestDatabase, openTestKeyStore, type TestDatabase } from '../helpers.ts';
import type { FastifyInstance } from 'fastify';

const CHROMIUM = '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
if (!HAS_CHROMIUM) {
  console.log(`browser tests skipped: ${CHROMIUM} not found`);
}

const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS
  ? join(ROOT, 'docs', 'screenshots')
  : join(tmpdir(), 'rekisteri-screenshots');
const WIDE = { width: 1280, height: 860 };

/**
 * The console built afresh into a folder of this file's own: never a stale build, and never the
 * folder another browser test may be building into at the same time.
 */
function buildConsole(outDir: string): void {
  execFileSync(
    process.execPath,
    [
      join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'),
      'build',
      '--config',
      'web/vite.config.ts',
      '--outDir',
      outDir,
      '--emptyOutDir',
    ],
    { cwd: ROOT, stdio: 'pipe' },
  );
}

describe.skipIf(!HAS_CHROMIUM)('letters to send in the console, in Chromium', () => {
  let db: TestDatabase;
  let app: FastifyInstance;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let base: string;
  let requestUrl: string;
  let consoleDir: string;
  let keyStore: Awaited<ReturnType<typeof openTestKeyStore>> | undefined;
  const dpo = { username: 'dora.dpo', password: '' };
  let services: ReturnType<typeof createServices>;

  const heading = (name: string | RegExp) => page.getByRole('heading', { level: 1, name });
  const shot = (name: string, fullPage = true) =>
    page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage });
  const nav = () => page.getByRole('navigation', { name: 'Main menu' });

  beforeAll(async () => {
    consoleDir = mkdtempSync(join(tmpdir(), 'rekisteri-console-letters-'));
    buildConsole(consoleDir);
    mkdirSync(SCREENSHOTS, { recursive: true });

    // One server for the file: on PostgreSQL when the suite has one, else the embedded database.
    const kind = process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite';
    db = await openTestDatabase(kind);
    keyStore = await openTestKeyStore(kind);
    const register = await loadDefinition(DEMO);
    services = createServices({
      database: db.handle,
      keys: keyStore.keys,
      register,
      vault: createVault(randomBytes(32)),
    });
    app = await createApp(services, { consoleDir });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

    const created = await services.staff.createStaff(operator, {
      username: dpo.username,
      displayName: 'Dora Dataskydd',
      role: 'dpo',
    });
    dpo.password = created.password;

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
    context = await browser.newContext({ viewport: WIDE, locale: 'en-GB' });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (e) => console.log('[browser error]', e.message));
    page.on('response', (r) => {
      if (r.status() >= 500) {
        console.log('[server error]', r.status(), r.request().method(), r.url());
      }
    });
  }, 180_000);

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail' && page) {
      const path = join(tmpdir(), `rekisteri-console-letters-failure-${Date.now()}.png`);
      await page.screenshot({ path, fullPage: true });
      console.log(`failed at ${page.url()}; screenshot in ${path}`);
    }
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await app?.close();
    await keyStore?.dispose();
    await db?.dispose();
    if (consoleDir) {
      rmSync(consoleDir, { recursive: true, force: true });
    }
  });

  it('registers a postal request without e-mail: the acknowledgement waits as a letter', async () => {
    await page.goto(`${base}/admin/`);
    await page.getByLabel('Username').fill(dpo.username);
    await page.getByLabel('Password').fill(dpo.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await heading('Choose your own password').waitFor();
    const oneTime = dpo.password;
    dpo.password = 'doran-oma-tietosuoja-salasana';
    await page.getByLabel('Current password').fill(oneTime);
    await page.getByLabel('New password', { exact: true }).fill(dpo.password);
    await page.getByLabel('New password again').fill(dpo.password);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('button', { name: 'Continue to the console' }).click();
    await heading('Search people').waitFor();

    await page.goto(`${base}/admin/requests/new`);
    await heading('Register a request').waitFor();
    await page.getByLabel('Came by').selectOption('postal');
    await page.getByLabel('Type of request').selectOption('access');
    await page.getByLabel('Name').fill('Kirsti Kirjeenvaihtaja');
    await page.getByLabel('Phone number').fill('+358 40 765 4321');
    await page.getByLabel('Street address').fill('Kirjekuja 7 B 12');
    await page.getByLabel('Postal code').fill('00990');
    await page.getByLabel('Town or city').fill('Helsinki');
    expect(await page.getByLabel('Proof of identity').inputValue()).toBe('signed_letter');
    await page.getByRole('button', { name: 'Register the request' }).click();
    await heading(/Access request/).waitFor();
    requestUrl = page.url();

    const letters = page.getByRole('region', { name: 'Letters to send' });
    const item = letters.getByRole('listitem').first();
    await item.getByRole('heading', { name: /We have received your request/ }).waitFor();
    await item.getByText('Letter to send').waitFor();
    await item.getByText('To: Kirsti Kirjeenvaihtaja, Kirjekuja 7 B 12, 00990 Helsinki').waitFor();
    await page
      .getByRole('list', { name: 'Timeline' })
      .getByText('Letter to send recorded (no e-mail address)')
      .waitFor();

    // The queue marks the request.
    await nav().getByRole('link', { name: 'Requests' }).click();
    await heading('Requests').waitFor();
    await page.getByRole('row').filter({ hasText: 'Letter to send' }).waitFor();
  }, 90_000);

  it('opens the printable letter: sender, address, date and the words of the mail', async () => {
    await page.goto(requestUrl);
    await heading(/Access request/).waitFor();
    await page.getByRole('link', { name: 'Open the printable letter' }).click();
    await heading('Letter to print').waitFor();
    const sheet = page.locator('.letter-sheet');
    await sheet.getByText('Revontuli Kahvipaahtimo Oy').first().waitFor();
    await sheet.getByText('Paahtimokuja 4').waitFor();
    await sheet.getByText('Kirjekuja 7 B 12').waitFor();
    await sheet.getByText(/00990 Helsinki/).waitFor();
    const today = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/Helsinki',
      day: 'numeric',
      month: 'long',
      year: 'numeric',
    }).format(new Date());
    await sheet.getByText(today, { exact: true }).waitFor();
    await sheet.getByRole('heading', { name: 'We have received your request' }).waitFor();
    const text = await sheet.innerText();
    expect(text).toContain('confirmed your identity. We will answer by');
    expect(text).toContain(requestUrl.split('/').at(-1));

    // Printed, only the letter: the console's frame and the buttons are gone.
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('.topbar').isVisible()).toBe(false);
    expect(await page.locator('.sidebar').isVisible()).toBe(false);
    expect(await page.getByRole('button', { name: 'Print' }).isVisible()).toBe(false);
    expect(await sheet.isVisible()).toBe(true);
    await page.emulateMedia({ media: 'screen' });
    await shot('console-letter');
  }, 60_000);

  it('marks the letter posted: recorded in the timeline and off the queue', async () => {
    await page.getByRole('link', { name: 'Back to the request' }).click();
    await heading(/Access request/).waitFor();
    const letters = page.getByRole('region', { name: 'Letters to send' });
    const item = letters.getByRole('listitem').first();
    await item.getByLabel('How the person was told').selectOption('post');
    await item.getByRole('button', { name: 'Mark sent' }).click();
    await item.getByText(/Posted on .*, recorded by you \(Dora Dataskydd\)/).waitFor();
    await item.getByText('Sent', { exact: true }).waitFor();
    await page.getByRole('list', { name: 'Timeline' }).getByText('Letter sent').waitFor();
    expect(await item.getByRole('button', { name: 'Mark sent' }).count()).toBe(0);

    await nav().getByRole('link', { name: 'Requests' }).click();
    await heading('Requests').waitFor();
    await page.getByRole('link', { name: 'Access', exact: true }).waitFor();
    expect(await page.getByRole('row').filter({ hasText: 'Letter to send' }).count()).toBe(0);
  }, 60_000);

  it('an access copy without e-mail: completed to be posted, the PDF saved, the delivery recorded', async () => {
    const person = await services.subjects.createSubject(operator, {
      purpose: 'customer_relationship',
      source: 'staff',
      values: { identity: { firstName: 'Paula', lastName: 'Postinen' } },
    });
    const created = await services.requests.intake(operator, {
      type: 'access',
      channel: 'postal',
      lang: 'en',
      name: 'Paula Postinen',
      address: { street: 'Postikuja 3 A 5', postalCode: '90100', city: 'Oulu' },
      subjectId: person.id,
      identity: { proof: 'signed_letter' },
    });
    await page.goto(`${base}/admin/requests/${created.id}`);
    await heading(/Access request/).waitFor();
    const form = page.getByRole('form', { name: 'Complete the request' });
    expect(await form.getByLabel('How the printed copy reaches the person').inputValue()).toBe(
      'post',
    );
    await form.getByRole('button', { name: 'Complete' }).click();
    const card = page.getByRole('region', { name: 'Printed access copy' });
    await card.getByText(/printed and posted to the request's postal address/).waitFor();
    const letters = page.getByRole('region', { name: 'Letters to send' });
    await letters.getByRole('heading', { name: /Your request has been handled/ }).waitFor();

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      card.getByRole('button', { name: 'Save the PDF to print' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^access-copy-\d{4}-\d{2}-\d{2}\.pdf$/);
    await page
      .getByRole('list', { name: 'Timeline' })
      .getByText('Access copy saved for printing')
      .waitFor();

    await card.getByLabel('How the copy reached the person').selectOption('post');
    await card.getByRole('button', { name: 'Record the delivery' }).click();
    await page
      .getByRole('region', { name: 'Printed access copy' })
      .getByText(/By post on .*, recorded by you \(Dora Dataskydd\)/)
      .waitFor();
    await page
      .getByRole('list', { name: 'Timeline' })
      .getByText('Printed access copy delivered')
      .waitFor();
    const completion = page
      .getByRole('region', { name: 'Letters to send' })
      .getByRole('listitem')
      .filter({ hasText: /Posted on/ });
    expect(await completion.count()).toBe(1);
  }, 90_000);
});
