/**
 * The console's request screens in a real browser (Debian's Chromium through playwright-core)
 * against the real server on a fresh embedded database: a data protection officer registers an
 * access request made in person with an identity card checked, finds it in the queue with its due
 * date, is refused a refusal without a reason (the field named, nothing changed), extends the
 * time to answer with a reason, and completes it; the person's page links to their requests. A
 * restriction by letter waits for its proof, is linked to the person by hand, is completed with a
 * reason and has a recipient told (Art. 19). Both pages fit 360 px. With UPDATE_SCREENSHOTS=1,
 * screenshots of the queue and a request page go to docs/screenshots/.
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
import { nextWorkingDay } from '../../src/modules/requests/deadlines.ts';
import {
  DEMO,
  ROOT,
  anna,
  openTestDatabase,
  openTestKeyStore,
  type TestDatabase,
} from '../helpers.ts';
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
const PHONE = { width: 360, height: 800 };

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

/** Today in Helsinki, and the calendar month after it clamped to the month's end (the law's rule). */
function helsinkiToday(): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Europe/Helsinki',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(new Date());
}
function addMonths(ymd: string, months: number): string {
  const [y = 0, m = 1, d = 1] = ymd.split('-').map(Number);
  const first = new Date(Date.UTC(y, m - 1 + months, 1));
  const last = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
  return new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), Math.min(d, last)))
    .toISOString()
    .slice(0, 10);
}
/** A calendar date as the console writes it in British English: "30 Dec 2026". */
const shown = (ymd: string) =>
  new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeZone: 'UTC' }).format(
    new Date(`${ymd}T00:00:00Z`),
  );

describe.skipIf(!HAS_CHROMIUM)('request screens of the console in Chromium', () => {
  let db: TestDatabase;
  let app: FastifyInstance;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let base: string;
  let subjectId: string;
  let requestUrl: string;
  let consoleDir: string;
  let keyStore: Awaited<ReturnType<typeof openTestKeyStore>> | undefined;
  const dpo = { username: 'dora.dpo', password: '' };

  const heading = (name: string | RegExp) => page.getByRole('heading', { level: 1, name });
  const shot = (name: string, fullPage = true) =>
    page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage });
  const focusedTag = () => page.evaluate(() => document.activeElement?.tagName ?? '');
  const nav = () => page.getByRole('navigation', { name: 'Main menu' });

  beforeAll(async () => {
    consoleDir = mkdtempSync(join(tmpdir(), 'rekisteri-console-requests-'));
    buildConsole(consoleDir);
    mkdirSync(SCREENSHOTS, { recursive: true });

    // One server for the file: on PostgreSQL when the suite has one, else the embedded database.
    const kind = process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite';
    db = await openTestDatabase(kind);
    keyStore = await openTestKeyStore(kind);
    const register = await loadDefinition(DEMO);
    const services = createServices({
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
    const person = await services.subjects.createSubject(operator, {
      purpose: 'customer_relationship',
      source: 'subject',
      values: anna,
    });
    subjectId = person.id;

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
      const path = join(tmpdir(), `rekisteri-console-requests-failure-${Date.now()}.png`);
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

  it('registers a request made in person with an identity card checked', async () => {
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

    // The queue is in the navigation of a role that handles requests; keyboard only from here.
    await nav().getByRole('link', { name: 'Requests' }).focus();
    await page.keyboard.press('Enter');
    await heading('Requests').waitFor();
    expect(await focusedTag()).toBe('H1');
    await page.getByText('No requests.').waitFor();
    await page.getByRole('link', { name: 'Register a request' }).focus();
    await page.keyboard.press('Enter');
    await heading('Register a request').waitFor();
    expect(await focusedTag()).toBe('H1');

    await page.getByLabel('Came by').selectOption('in_person');
    await page.getByLabel('Type of request').selectOption('access');
    await page.getByLabel('Name').fill('Anna-Liisa Kuusisto');
    await page.getByLabel('E-mail address').fill('anna-liisa.kuusisto@example.com');
    // In person, the proof is a photo ID; which document was checked is asked, never its number.
    expect(await page.getByLabel('Proof of identity').inputValue()).toBe('photo_id');
    await page.getByRole('button', { name: 'Register the request' }).click();
    await page.getByText('Choose the identity document you checked.').waitFor();
    expect(new URL(page.url()).pathname).toBe('/admin/requests/new');
    await page.getByLabel('Identity document checked').selectOption('id_card');
    // Keyboard: Tab from the last field reaches the button, Enter sends the form.
    await page.getByLabel('Identity document checked').focus();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');

    await heading(/Access request/).waitFor();
    expect(await focusedTag()).toBe('H1');
    requestUrl = page.url();
    const identity = page.getByRole('region', { name: 'Identity' });
    await identity.getByText('Photo ID checked by staff', { exact: true }).waitFor();
    await identity.getByText('Identity card', { exact: true }).waitFor();
    await identity.getByText('you (Dora Dataskydd)').waitFor();
    // Proven in person, matched by the address: the clock runs and the person is linked.
    const due = nextWorkingDay(addMonths(helsinkiToday(), 1));
    await page.locator('.request-facts').getByText(shown(due)).waitFor();
    await page.locator('.request-facts').getByRole('link', { name: subjectId }).waitFor();
    await page
      .getByRole('list', { name: 'Timeline' })
      .getByText('Received', { exact: true })
      .waitFor();
  }, 90_000);

  it('lists the request in the queue with its due date and days left', async () => {
    await page.getByRole('link', { name: 'Requests' }).first().click();
    await heading('Requests').waitFor();
    const row = page
      .getByRole('row')
      .filter({ has: page.getByRole('link', { name: 'Access', exact: true }) });
    await row.waitFor();
    const text = await row.innerText();
    expect(text).toContain('In progress');
    expect(text).toContain('In person');
    expect(text).toContain(shown(nextWorkingDay(addMonths(helsinkiToday(), 1))));
    expect(text).toMatch(/\d+ days left/);
    // Filters: a state the request is not in hides it, and the address keeps the choice.
    await page.getByLabel('State').selectOption('completed');
    await page.getByText('No requests.').waitFor();
    expect(page.url()).toContain('state=completed');
    await page.getByLabel('State').selectOption('open');
    await page.getByLabel('Type of request').selectOption('access');
    await row.waitFor();
    await shot('requests');

    // The person's page links to the person's requests.
    await page.goto(`${base}/admin/people/${subjectId}?purpose=customer_relationship`);
    await heading(/Anna-Liisa Kuusisto/).waitFor();
    await page.getByRole('link', { name: 'Requests from this person' }).click();
    await heading('Requests').waitFor();
    await page.getByText(`Requests linked to person ${subjectId}.`).waitFor();
    await row.waitFor();
  }, 60_000);

  it('refuses a refusal without a reason, naming the field, and changes nothing', async () => {
    await page.goto(requestUrl);
    await heading(/Access request/).waitFor();
    const refuse = page.getByRole('form', { name: 'Refuse the request' });
    await refuse.getByText(/right to complain to .+/).waitFor();
    await refuse.getByRole('button', { name: 'Refuse' }).click();
    const reason = refuse.getByLabel('Reason for refusal');
    await refuse.getByText('Give a reason.').waitFor();
    expect(await reason.getAttribute('aria-invalid')).toBe('true');
    await page.reload();
    await heading(/Access request/).waitFor();
    await expect(heading(/Access request/).innerText()).resolves.toContain('In progress');
  }, 60_000);

  it('extends the time to answer with a reason, then completes the request', async () => {
    const original = nextWorkingDay(addMonths(helsinkiToday(), 1));
    const extend = page.getByRole('form', { name: 'Extend the time to answer' });
    await extend.getByLabel('2 months').check();
    await extend.getByRole('button', { name: 'Extend' }).click();
    await extend.getByText('Give a reason.').waitFor();
    await extend
      .getByLabel('Reason for the extension')
      .fill('The request covers records from several years.');
    await extend.getByRole('button', { name: 'Extend' }).click();
    const facts = page.locator('.request-facts');
    await facts.getByText('Originally due').waitFor();
    // The form is gone with the new state: focus starts again from the heading.
    expect(await focusedTag()).toBe('H1');
    await facts.getByText(shown(original)).waitFor();
    // Three months from the proof, moved off a weekend or holiday as the due date is.
    await facts.getByText(shown(nextWorkingDay(addMonths(helsinkiToday(), 3)))).waitFor();
    await page
      .getByRole('list', { name: 'Timeline' })
      .getByText('Time to answer extended')
      .waitFor();
    // Extended once: no second extension is offered.
    await expect(
      page.getByRole('form', { name: 'Extend the time to answer' }).count(),
    ).resolves.toBe(0);
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot('request');

    const complete = page.getByRole('form', { name: 'Complete the request' });
    await complete.getByRole('button', { name: 'Complete' }).focus();
    await page.keyboard.press('Enter');
    await heading(/Access request/)
      .getByText('Completed')
      .waitFor();
    await page.getByRole('list', { name: 'Timeline' }).getByText('Completed').waitFor();
    await page.getByText(/The access copy can be downloaded until/).waitFor();
    await expect(page.getByRole('form', { name: 'Refuse the request' }).count()).resolves.toBe(0);

    // Closed requests leave the open queue.
    await page.getByRole('link', { name: 'Requests' }).first().click();
    await heading('Requests').waitFor();
    await page.getByText('No requests.').waitFor();
  }, 60_000);

  it('records a signed letter, links the person, completes a restriction with a reason and records a recipient told', async () => {
    await page.goto(`${base}/admin/requests/new`);
    await heading('Register a request').waitFor();
    await page.getByLabel('Came by').selectOption('postal');
    await page.getByLabel('Type of request').selectOption('restriction');
    // A number the register does not hold: the person is linked by hand below.
    await page.getByLabel('Phone number').fill('+358 40 000 0000');
    await page
      .getByLabel('What the person asks')
      .fill('Please stop using my data while you check it.');
    // By post the proof is a signed letter, with no document type; here it is still to come.
    expect(await page.getByLabel('Proof of identity').inputValue()).toBe('signed_letter');
    await expect(page.getByLabel('Identity document checked').count()).resolves.toBe(0);
    await page.getByLabel('Proof of identity').selectOption('');
    await page.getByRole('button', { name: 'Register the request' }).click();
    await heading(/Restriction request/).waitFor();
    await heading(/Restriction request/)
      .getByText('Identity pending')
      .waitFor();
    await page.locator('.request-facts').getByText('When identity is proven').waitFor();

    const prove = page.getByRole('form', { name: 'Record the proof of identity' });
    await prove.getByLabel('Proof of identity').selectOption('signed_letter');
    await prove.getByRole('button', { name: 'Record proof' }).click();
    await heading(/Restriction request/)
      .getByText('In progress')
      .waitFor();
    await page
      .locator('.request-facts')
      .getByText(shown(nextWorkingDay(addMonths(helsinkiToday(), 1))))
      .waitFor();

    const link = page.getByRole('region', { name: 'Link to a person' });
    await link.getByLabel('E-mail address or phone number').fill('anna-liisa.kuusisto@example.com');
    await link.getByRole('button', { name: 'Search' }).click();
    await link.getByRole('button', { name: 'Link to Anna-Liisa Kuusisto' }).click();
    await page.locator('.request-facts').getByRole('link', { name: subjectId }).waitFor();
    await page
      .getByText('The recipients to tell are listed here once the request is completed.')
      .waitFor();

    const complete = page.getByRole('form', { name: 'Complete the request' });
    await complete.getByRole('button', { name: 'Complete' }).click();
    await complete.getByText('Give a reason.').waitFor();
    await complete
      .getByLabel('Reason for the restriction')
      .fill('The person contests the accuracy.');
    await complete.getByRole('button', { name: 'Complete' }).click();
    await heading(/Restriction request/)
      .getByText('Completed')
      .waitFor();

    // Art. 19: the recipients that received the person's data, each to be told.
    const recipients = page.getByRole('region', { name: 'Recipients told (Art. 19)' });
    const first = recipients.getByRole('listitem').first();
    await first.waitFor();
    const name = (await first.getByRole('heading').innerText()).trim();
    await first.getByLabel(`How ${name} was told`).selectOption('letter');
    await first.getByRole('button', { name: 'Record' }).click();
    await recipients
      .getByRole('listitem')
      .filter({ hasText: name })
      .getByText(/Told.*by Letter, recorded by you \(Dora Dataskydd\)/)
      .waitFor();
    await page.getByRole('list', { name: 'Timeline' }).getByText('Recipient told').waitFor();
  }, 60_000);

  it('fits a request page into a 360 px wide screen', async () => {
    await page.setViewportSize(PHONE);
    await page.goto(requestUrl);
    await heading(/Access request/).waitFor();
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(PHONE.width);
    await shot('phone-request', false);
    await page.goto(`${base}/admin/requests?state=all`);
    await heading('Requests').waitFor();
    await page.getByRole('link', { name: 'Access', exact: true }).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
      PHONE.width,
    );
    await page.setViewportSize(WIDE);
  }, 60_000);
});
