/**
 * The privacy notice's versions in the console, in a real browser (Debian's Chromium through
 * playwright-core), with a real SMTP server on loopback and the server's jobs runner: an
 * administrator sees the published version and that the definition now needs a new one, compares
 * it with the definition running now, publishes version 2, and tells people of the change; the
 * mails arrive, each in the person's language with the link to the notice. A DPO sees the versions
 * and the comparison, without the buttons.
 *
 * With UPDATE_SCREENSHOTS=1 the page's screenshot goes to docs/screenshots/notice-versions.png.
 * The server runs on PostgreSQL when TEST_DATABASE_URL is set, else on the embedded database.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { SMTPServer } from 'smtp-server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createApp } from '../../src/app.ts';
import { createRunner, type Runner } from '../../src/jobs/index.ts';
import { operator } from '../../src/lib/actor.ts';
import { loadDefinition } from '../../src/modules/definition/loader.ts';
import { createNoticeVersions } from '../../src/modules/notice/index.ts';
import { createServices, type Services } from '../../src/services.ts';
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

/** The console built afresh into a folder of this file's own. */
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

describe.skipIf(!HAS_CHROMIUM)('the notice versions in the console, in Chromium', () => {
  let db: TestDatabase;
  let app: FastifyInstance;
  let services: Services;
  let runner: Runner;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let base: string;
  let consoleDir: string;
  let smtp: SMTPServer;
  let keyStore: Awaited<ReturnType<typeof openTestKeyStore>> | undefined;
  const received: Array<{ rcpt: string[]; mail: ParsedMail }> = [];
  const admin = { username: 'astrid.admin', password: '' };
  const dpo = { username: 'dora.dpo', password: '' };

  const heading = (name: string | RegExp) => page.getByRole('heading', { level: 1, name });

  /** Signs in with a one-time password and sets one's own. */
  const signIn = async (who: { username: string; password: string }, own: string) => {
    await page.goto(`${base}/admin/`);
    await page.getByLabel('Username').fill(who.username);
    await page.getByLabel('Password').fill(who.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await heading('Choose your own password').waitFor();
    await page.getByLabel('Current password').fill(who.password);
    who.password = own;
    await page.getByLabel('New password', { exact: true }).fill(own);
    await page.getByLabel('New password again').fill(own);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('button', { name: 'Continue to the console' }).click();
  };
  const openNotice = async () => {
    await page
      .getByRole('navigation', { name: 'Main menu' })
      .getByRole('link', { name: 'Privacy notice' })
      .click();
    await heading('Privacy notice: versions').waitFor();
  };

  beforeAll(async () => {
    consoleDir = mkdtempSync(join(tmpdir(), 'rekisteri-console-notice-'));
    buildConsole(consoleDir);
    mkdirSync(SCREENSHOTS, { recursive: true });

    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, session, callback) {
        simpleParser(stream).then(
          (mail) => {
            received.push({ rcpt: session.envelope.rcptTo.map((r) => r.address), mail });
            callback();
          },
          (err: Error) => callback(err),
        );
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
    const smtpPort = (smtp.server.address() as AddressInfo).port;

    const kind = process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite';
    db = await openTestDatabase(kind);
    keyStore = await openTestKeyStore(kind);
    const register = await loadDefinition(DEMO);
    services = createServices({
      database: db.handle,
      keys: keyStore.keys,
      register,
      vault: createVault(randomBytes(32)),
      mail: { smtp: { url: `smtp://127.0.0.1:${smtpPort}`, from: 'tietosuoja@example.fi' } },
    });
    app = await createApp(services, { consoleDir });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    runner = createRunner({
      db: db.handle.db,
      jobs: [...services.noticeAnnouncements.jobs, ...services.mail.jobs],
      pollMs: 200,
    });
    runner.start();

    // Version 1: the register as it was before, when customer data was kept ten years after the relationship.
    const before = structuredClone(register.definition);
    const rule = before.retention.rules.find((r) => r.id === 'after_relationship');
    if (!rule) {
      throw new Error('the demo has no after_relationship rule');
    }
    rule.duration = 'P10Y';
    await createNoticeVersions({
      db: db.handle.db,
      register: { ...register, definition: before, digest: 'e'.repeat(64) },
      audit: services.audit,
      clock: services.clock,
      markdown: (lang) => Promise.resolve(`# ${lang}`),
    }).publish(operator, { date: '2025-06-01' });

    for (const [lastName, language] of [
      ['Virtanen', 'fi'],
      ['Lindqvist', 'sv'],
    ] as const) {
      await services.subjects.createSubject(operator, {
        purpose: 'customer_relationship',
        source: 'staff',
        values: {
          identity: { firstName: 'Seloste', lastName },
          contact: { email: `${lastName.toLowerCase()}@example.com`, language },
        },
      });
    }
    for (const [who, role, name] of [
      [admin, 'admin', 'Astrid Admin'],
      [dpo, 'dpo', 'Dora DPO'],
    ] as const) {
      who.password = (
        await services.staff.createStaff(operator, {
          username: who.username,
          displayName: name,
          role,
        })
      ).password;
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
    context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-GB' });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (e) => console.log('[browser error]', e.message));
  }, 180_000);

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail' && page) {
      const path = join(tmpdir(), `rekisteri-console-notice-failure-${Date.now()}.png`);
      await page.screenshot({ path, fullPage: true });
      console.log(`failed at ${page.url()}; screenshot in ${path}`);
    }
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await runner?.stop();
    services?.mail.close();
    await app?.close();
    await keyStore?.dispose();
    await db?.dispose();
    await new Promise<void>((r) => (smtp ? smtp.close(() => r()) : r()));
    if (consoleDir) {
      rmSync(consoleDir, { recursive: true, force: true });
    }
  });

  it('lists, compares and publishes versions, and tells people of the change', async () => {
    await signIn(admin, 'astridin-oma-hallinta-salasana');
    await openNotice();
    const versions = page.getByRole('region', { name: 'Published versions' });
    await versions.getByRole('row').filter({ hasText: '2025-06-01' }).waitFor();
    await page.getByText('A new version is needed').waitFor();

    // Version 1 against the definition running now: the retention changed.
    const compare = page.getByRole('region', { name: 'Compare versions' });
    const changed = compare.getByRole('row').filter({ hasText: 'after_relationship' });
    await changed.getByText('Retention').waitFor();
    // What it was and what it is.
    await changed.getByText('duration: P10Y → P2Y').waitFor();

    await page.getByLabel('Date of the notice').fill('2026-01-15');
    await page.getByRole('button', { name: 'Publish a new version' }).click();
    await versions.getByRole('row').filter({ hasText: '2026-01-15' }).waitFor();
    await page.getByText('The definition running now is published as version 2.').waitFor();
    // The comparison now defaults to version 1 against version 2.
    expect(await page.getByLabel('To').inputValue()).toBe('2');
    await changed.waitFor();

    await page.getByRole('button', { name: 'Tell people of version 2' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: 'Queued: 2 people will be told of version 2.' })
      .first()
      .waitFor();
    const runs = page.getByRole('region', { name: 'Announcements' });
    await runs.getByText(/^Finished/).waitFor({ timeout: 30_000 });
    await runs.getByText('2 of 2').waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'notice-versions.png'), fullPage: true });

    // Telling again mails nobody twice.
    await page.getByRole('button', { name: 'Tell people of version 2' }).click();
    await runs.getByText('0 of 0').waitFor({ timeout: 30_000 });

    const deadline = Date.now() + 20_000;
    while (received.length < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(received.map((r) => r.rcpt[0]).sort()).toEqual([
      'lindqvist@example.com',
      'virtanen@example.com',
    ]);
    const sv = received.find((r) => r.rcpt[0] === 'lindqvist@example.com')?.mail;
    expect(sv?.subject).toBe('Vi har ändrat vår dataskyddsbeskrivning');
    expect(sv?.text).toContain(`/sv/notice`);
    const fi = received.find((r) => r.rcpt[0] === 'virtanen@example.com')?.mail;
    expect(fi?.subject).toBe('Tietosuojaselosteemme on muuttunut');
    // It names what changed (the retention periods) and links to the version announced.
    expect(fi?.text).toContain('säilytysajat: kuinka kauan säilytämme tietoja');
    expect(fi?.text).toContain('/fi/notice/versions/2');
  }, 120_000);

  it('shows a DPO the versions and the comparison, without publishing or telling', async () => {
    await context.clearCookies();
    await signIn(dpo, 'doran-oma-tietosuoja-salasana');
    await openNotice();
    await page.getByRole('region', { name: 'Published versions' }).waitFor();
    await page.getByRole('region', { name: 'Compare versions' }).waitFor();
    expect(await page.getByRole('button', { name: /Tell people/ }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Publish a new version' }).count()).toBe(0);
  }, 60_000);
});
