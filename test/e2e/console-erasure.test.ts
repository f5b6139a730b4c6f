/**
 * An erasure with a legal hold, through the staff console in a real browser (Debian's Chromium
 * through playwright-core) against the real server: a data protection officer registers an
 * erasure request made in person (an identity card checked), completes it from the request's
 * page, and the page then shows what the bookkeeping holds keep: each hold with its law, the
 * categories kept, the one purpose they stay readable for and the last day they are kept (ten and
 * six years from the end of the financial year of the person's last order). The person's page is
 * gone. With UPDATE_SCREENSHOTS=1 the request page goes to docs/screenshots/request-erasure.png.
 *
 * The server runs on PostgreSQL when TEST_DATABASE_URL is set, else on the embedded database.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
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

/** A calendar date as the console writes it in British English: "31 Dec 2036". */
const shown = (ymd: string) =>
  new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeZone: 'UTC' }).format(
    new Date(`${ymd}T00:00:00Z`),
  );

describe.skipIf(!HAS_CHROMIUM)('an erasure with a legal hold in the console, in Chromium', () => {
  let db: TestDatabase;
  let keyStore: Awaited<ReturnType<typeof openTestKeyStore>> | undefined;
  let app: FastifyInstance;
  let browser: Browser;
  let page: Page;
  let base: string;
  let consoleDir: string;
  let register: Register;
  let subjectId: string;
  const dpo = { username: 'eero.erasure', password: 'eeron-oma-tietosuoja-salasana' };
  const EMAIL = 'ville.poistettava@example.fi';

  const heading = (name: string | RegExp) => page.getByRole('heading', { level: 1, name });

  beforeAll(async () => {
    consoleDir = mkdtempSync(join(tmpdir(), 'rekisteri-console-erasure-'));
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
    // A password of the member's own (not one-time): the sign-in goes straight to the console.
    await services.staff.createStaff(operator, {
      username: dpo.username,
      displayName: 'Eero Erasure',
      role: 'dpo',
      password: dpo.password,
    });
    // A customer with orders: bookkeeping keeps them under the Accounting Act.
    subjectId = (
      await services.subjects.createSubject(operator, {
        purpose: 'customer_relationship',
        source: 'subject',
        values: {
          identity: { firstName: 'Ville', lastName: 'Poistettava' },
          contact: { email: EMAIL, phone: '040 111 2233' },
          orders: { orderCount: 4, paymentMethod: 'invoice' },
          feedback: { rating: 3, comment: 'Ihan hyvää kahvia' },
        },
      })
    ).id;
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
    });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (e) => console.log('[browser error]', e.message));
  }, 180_000);

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail' && page) {
      const path = join(tmpdir(), `rekisteri-console-erasure-failure-${Date.now()}.png`);
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

  it('registers an erasure request, completes it, and shows what the holds keep, by which law and until when', async () => {
    await page.goto(`${base}/admin/`);
    await page.getByLabel('Username').fill(dpo.username);
    await page.getByLabel('Password').fill(dpo.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await heading('Search people').waitFor();

    await page.goto(`${base}/admin/requests/new`);
    await heading('Register a request').waitFor();
    await page.getByLabel('Came by').selectOption('in_person');
    await page.getByLabel('Type of request').selectOption('erasure');
    await page.getByLabel('Name').fill('Ville Poistettava');
    await page.getByLabel('E-mail address').fill(EMAIL);
    await page.getByLabel('Identity document checked').selectOption('passport');
    await page.getByRole('button', { name: 'Register the request' }).click();
    await heading(/Erasure request/).waitFor();
    await heading(/Erasure request/)
      .getByText('In progress')
      .waitFor();
    // Matched by the address: the person is linked.
    await page.locator('.request-facts').getByRole('link', { name: subjectId }).waitFor();
    // Nothing is listed as kept before the erasure is done.
    await expect(
      page.getByRole('region', { name: 'Kept under legal holds' }).count(),
    ).resolves.toBe(0);

    const complete = page.getByRole('form', { name: 'Complete the request' });
    await complete
      .getByText(
        'Everything not under a legal hold is erased; what a hold keeps is listed to the person.',
      )
      .waitFor();
    await complete.getByRole('button', { name: 'Complete' }).click();
    await heading(/Erasure request/)
      .getByText('Completed')
      .waitFor();

    // What the holds keep: each with its law, categories, purpose and last day.
    const held = page.getByRole('region', { name: 'Kept under legal holds' });
    await held.waitFor();
    const year = Number(
      new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Helsinki', year: 'numeric' }).format(
        new Date(),
      ),
    );
    const holds = register.definition.retention.legalHolds;
    expect(holds.map((h) => h.id)).toEqual(['accounting_books', 'accounting_vouchers']);
    const expected = {
      accounting_books: {
        until: `${year + 10}-12-31`,
        kept: ['Name', 'Order, billing and delivery details'],
      },
      accounting_vouchers: {
        until: `${year + 6}-12-31`,
        kept: ['Name', 'Contact details', 'Order, billing and delivery details'],
      },
    } as const;
    for (const hold of holds) {
      const item = held.locator(`[data-hold="${hold.id}"]`);
      await item.waitFor();
      const text = await item.innerText();
      const want = expected[hold.id as keyof typeof expected];
      expect(text).toContain(hold.law);
      expect(text).toContain(shown(want.until));
      expect(await item.locator('[data-until]').getAttribute('data-until')).toBe(want.until);
      for (const category of want.kept) {
        expect(text).toContain(category);
      }
      // Feedback is under no hold: it is not kept.
      expect(text).not.toContain('Customer feedback');
      expect(text).toContain(register.purpose('billing')?.label.en);
    }
    await page.getByRole('list', { name: 'Timeline' }).getByText('Completed').waitFor();
    await page.evaluate(() => window.scrollTo(0, 0));
    // The page down to the holds: the facts, the identity and what is kept.
    const box = await held.boundingBox();
    await page.screenshot({
      path: join(SCREENSHOTS, 'request-erasure.png'),
      fullPage: true,
      clip: {
        x: 0,
        y: 0,
        width: 1280,
        height: Math.ceil((box?.y ?? 800) + (box?.height ?? 0) + 24),
      },
    });

    // The person is gone from the console.
    await page.goto(`${base}/admin/people/${subjectId}?purpose=customer_relationship`);
    await page.getByText('There is no registered person with this id.').waitFor();
  }, 120_000);
});
