/**
 * The register definition page of the console in a real browser (Debian's Chromium through
 * playwright-core): the DPO sees what `rekisteri check` says about the definition running now
 * (no errors; its warnings each once, with their articles and the notice item they leave
 * unanswered) and its transfers with their mechanisms; a pasted draft that transfers on the
 * EU-US Privacy Shield is not valid, with the error at the mechanism and the transfer flagged
 * void. With UPDATE_SCREENSHOTS=1 the page goes to docs/screenshots/console-register.png.
 *
 * The server runs on PostgreSQL when TEST_DATABASE_URL is set, else on the embedded database.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { createApp } from '../../src/app.ts';
import type { RegisterDefinition } from '../../src/modules/definition/index.ts';
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

/** The demo with `change` applied, as YAML. */
function demoWith(change: (d: RegisterDefinition) => void): string {
  const d = parseYaml(readFileSync(DEMO, 'utf8')) as RegisterDefinition;
  if (d.notice) {
    delete d.notice.nextReview;
    delete d.notice.reviewInterval;
  }
  change(d);
  return stringify(d);
}

describe.skipIf(!HAS_CHROMIUM)('the register definition page of the console, in Chromium', () => {
  let db: TestDatabase;
  let app: FastifyInstance;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let base: string;
  let consoleDir: string;
  let dir: string;
  let keyStore: Awaited<ReturnType<typeof openTestKeyStore>> | undefined;
  const dpo = { username: 'dora.dpo', password: '' };

  const heading = (name: string | RegExp, level = 1) => page.getByRole('heading', { level, name });
  const shot = (name: string) =>
    page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    consoleDir = mkdtempSync(join(tmpdir(), 'rekisteri-console-register-'));
    buildConsole(consoleDir);
    mkdirSync(SCREENSHOTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'rekisteri-register-def-'));
    // A register made from a notice silent on two items: its legal-claims basis and whether
    // decisions are automated.
    const file = join(dir, 'register.yaml');
    writeFileSync(
      file,
      demoWith((d) => {
        const claims = d.purposes.find((p) => p.id === 'legal_claims')!;
        (claims as { legalBasis: string }).legalBasis = 'unknown';
        delete claims.legitimateInterest;
        d.automatedDecisions = 'unknown';
      }),
    );

    const kind = process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite';
    db = await openTestDatabase(kind);
    keyStore = await openTestKeyStore(kind);
    const register = await loadDefinition(file);
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
      const path = join(tmpdir(), `rekisteri-console-register-failure-${Date.now()}.png`);
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
    for (const d of [consoleDir, dir]) {
      if (d) {
        rmSync(d, { recursive: true, force: true });
      }
    }
  });

  it('shows the running definition: no errors, each warning once with its articles, the transfers', async () => {
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

    await page
      .getByRole('navigation', { name: 'Main menu' })
      .getByRole('link', { name: 'Register definition' })
      .click();
    await heading('Register definition: check').waitFor();
    await page.getByText(/^Valid \(version [0-9a-f]{12}\), 2 warnings\.$/).waitFor();
    await heading('Errors (0)', 3).first().waitFor();
    expect(await page.getByText('No errors.').first().isVisible()).toBe(true);

    const warnings = page.getByRole('region', { name: 'Warnings (2)' });
    const rows = warnings.getByRole('row');
    // A header row and one row per warning: the unknown basis is listed once, not twice.
    expect(await rows.count()).toBe(3);
    const basis = warnings.getByRole('row', { name: /purposes\[\d+\]\.legalBasis/ });
    expect(await basis.count()).toBe(1);
    expect(await basis.innerText()).toContain('Art. 13(1)(c), 14(1)(c)');
    const automated = warnings.getByRole('row', { name: /automatedDecisions/ });
    expect(await automated.innerText()).toContain('Art. 22');
    expect(await automated.innerText()).toContain('automated_decisions');

    const transfers = page.getByRole('region', { name: 'Transfers and their mechanisms' });
    expect(await transfers.getByText(/^Void:/).count()).toBe(0);
    expect(await transfers.getByRole('row').count()).toBeGreaterThan(1);
    expect(await transfers.innerText()).toContain('scc (module 2)');
  }, 120_000);

  it('checks a pasted draft: Privacy Shield is an error and its transfer is flagged void', async () => {
    const draft = demoWith((d) => {
      d.transfers[0]!.mechanism = 'privacy_shield';
      delete d.transfers[0]!.sccModule;
    });
    await page.getByLabel('Draft definition (YAML)').fill(draft);
    await page.getByRole('button', { name: 'Check draft' }).click();
    await heading('The draft', 3).waitFor();
    const result = page.getByRole('region', { name: 'The draft' });
    await result.getByText('Not valid: 1 error').waitFor();
    const errors = result.getByRole('region', { name: 'Errors (1)' });
    const row = errors.getByRole('row', { name: /transfers\[0\]\.mechanism/ });
    expect(await row.innerText()).toContain('16 July 2020');
    expect(await row.innerText()).toContain('C-311/18');
    const flagged = result
      .getByRole('region', { name: 'Transfers and their mechanisms' })
      .getByText(/^Void: EU-US Privacy Shield, invalid since 16 July 2020/);
    expect(await flagged.count()).toBe(1);
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot('console-register');
    // Nothing was loaded: the running definition is still valid.
    await page.reload();
    await page.getByText(/^Valid \(version [0-9a-f]{12}\), 2 warnings\.$/).waitFor();
  }, 120_000);
});
