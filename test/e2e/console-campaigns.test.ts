/**
 * Campaigns in the console, in a real browser (Debian's Chromium through playwright-core), with a
 * real SMTP server on loopback and the server's jobs runner: a marketer drafts a newsletter in
 * Finnish, sees the audience's size, starts it and watches it finish; the mails arrive with the
 * RFC 8058 headers, and a person who unsubscribed between the draft and the start gets none. When
 * the mail server drops the connection after reading a message, the console shows that mail as
 * uncertain, and it is not sent again.
 *
 * The server runs on PostgreSQL when TEST_DATABASE_URL is set, else on the embedded database.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { SMTPServer } from 'smtp-server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { createRunner, type Runner } from '../../src/jobs/index.ts';
import { loadDefinition } from '../../src/modules/definition/loader.ts';
import { operator } from '../../src/lib/actor.ts';
import { createServices, type Services } from '../../src/services.ts';
import { createVault } from '../../src/vault/vault.ts';
import { DEMO, ROOT, openTestDatabase, openTestKeyStore, type TestDatabase } from '../helpers.ts';
import type { FastifyInstance } from 'fastify';

const CHROMIUM = '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
if (!HAS_CHROMIUM) {
  console.log(`browser tests skipped: ${CHROMIUM} not found`);
}

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

describe.skipIf(!HAS_CHROMIUM)('campaigns in the console, in Chromium', () => {
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
  /** Addresses whose next mail the server reads and then drops the connection on, unanswered. */
  const dropOnce = new Set<string>();
  const sockets = new Map<number, Socket>();
  const marketer = { username: 'maria.marketing', password: '' };
  const people: Record<string, { id: string; email: string }> = {};

  const heading = (name: string | RegExp) => page.getByRole('heading', { level: 1, name });

  beforeAll(async () => {
    consoleDir = mkdtempSync(join(tmpdir(), 'rekisteri-console-campaigns-'));
    buildConsole(consoleDir);

    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, session, callback) {
        simpleParser(stream).then(
          (mail) => {
            const rcpt = session.envelope.rcptTo.map((r) => r.address);
            received.push({ rcpt, mail });
            const drop = rcpt.find((a) => dropOnce.has(a));
            if (drop !== undefined) {
              // The message is read; the connection drops before the server answers.
              dropOnce.delete(drop);
              sockets.get(session.remotePort)?.destroy();
              return;
            }
            callback();
          },
          (err: Error) => callback(err),
        );
      },
    });
    smtp.server.on('connection', (socket: Socket) => {
      const port = socket.remotePort;
      if (port !== undefined) {
        sockets.set(port, socket);
        socket.on('close', () => sockets.delete(port));
      }
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
      mail: { smtp: { url: `smtp://127.0.0.1:${smtpPort}`, from: 'uutiset@example.fi' } },
      publicUrl: 'https://rekisteri.example.fi',
      campaigns: { ratePerMinute: 6000, windowMs: 1000 },
    });
    app = await createApp(services, { consoleDir });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    runner = createRunner({ db: db.handle.db, jobs: services.campaigns.jobs, pollMs: 200 });
    runner.start();

    for (const [lastName, language] of [
      ['Uutinen', 'fi'],
      ['Nyhet', 'sv'],
      ['Peruja', 'fi'],
    ] as const) {
      const email = `${lastName.toLowerCase()}@example.com`;
      const created = await services.subjects.createSubject(operator, {
        purpose: 'customer_relationship',
        source: 'staff',
        values: { identity: { firstName: 'Kampanja', lastName }, contact: { email, language } },
      });
      await services.permissions.record(
        operator,
        created.id,
        [{ kind: 'newsletter', channel: 'email', state: 'granted' }],
        { method: 'staff', wording: { text: 'Saa lähettää uutiskirjeen.', language: 'fi' } },
      );
      people[lastName] = { id: created.id, email };
    }

    const created = await services.staff.createStaff(operator, {
      username: marketer.username,
      displayName: 'Maria Markkinointi',
      role: 'marketing',
    });
    marketer.password = created.password;

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
      const path = join(tmpdir(), `rekisteri-console-campaigns-failure-${Date.now()}.png`);
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

  it('drafts, counts, starts and follows a campaign; the mails carry the unsubscribe headers', async () => {
    await page.goto(`${base}/admin/`);
    await page.getByLabel('Username').fill(marketer.username);
    await page.getByLabel('Password').fill(marketer.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await heading('Choose your own password').waitFor();
    const oneTime = marketer.password;
    marketer.password = 'marian-oma-markkinointi-salasana';
    await page.getByLabel('Current password').fill(oneTime);
    await page.getByLabel('New password', { exact: true }).fill(marketer.password);
    await page.getByLabel('New password again').fill(marketer.password);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('button', { name: 'Continue to the console' }).click();

    await page
      .getByRole('navigation', { name: 'Main menu' })
      .getByRole('link', { name: 'Campaigns' })
      .click();
    await heading('Campaigns').waitFor();
    await page.getByText('No campaigns yet.').waitFor();

    await page.getByLabel('Name').fill('Syksyn uutiskirje');
    await page.locator('#campaign-subject-fi').fill('Syksyn uutiset');
    await page.locator('#campaign-body-fi').fill('Hei!\n\nSyksyn uutuudet ovat täällä.');
    await page.getByRole('button', { name: 'Save draft' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: 'Draft saved: 3 people in the audience now.' })
      .waitFor();
    const row = page.getByRole('row').filter({ hasText: 'Syksyn uutiskirje' });
    await row.getByText('Draft').waitFor();

    // One person unsubscribes after the draft was counted: the audience queued at the start no
    // longer holds them.
    const link = services.unsubscribeLinks.url(
      services.unsubscribeLinks.issue({
        subjectId: people.Peruja?.id ?? '',
        purpose: 'newsletter',
        channel: 'email',
      }),
    );
    const res = await fetch(`${base}${new URL(link).pathname}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(res.status).toBe(200);

    await row.getByRole('button', { name: 'Start: Syksyn uutiskirje' }).click();
    await row.getByText('Finished').waitFor({ timeout: 30_000 });
    await row.getByText('2 of 2 sent, 0 skipped, 0 failed').waitFor();

    expect(received.map((r) => r.rcpt[0]).sort()).toEqual(
      [people.Nyhet?.email, people.Uutinen?.email].sort(),
    );
    for (const r of received) {
      expect(r.mail.subject).toBe('Syksyn uutiset');
      const line = (key: string) =>
        (r.mail.headerLines.find((h) => h.key === key)?.line ?? '').replace(/\r?\n[ \t]+/g, ' ');
      expect(line('list-unsubscribe-post')).toBe(
        'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
      );
      expect(line('list-unsubscribe')).toMatch(
        /^List-Unsubscribe: <https:\/\/rekisteri\.example\.fi\/u\/[A-Za-z0-9_-]+>$/,
      );
    }
  }, 120_000);

  it('shows a mail whose connection dropped after the message as uncertain, and never sends it again', async () => {
    const uutinen = people.Uutinen?.email ?? '';
    const before = received.filter((r) => r.rcpt.includes(uutinen)).length;
    dropOnce.add(uutinen);
    await page.getByLabel('Name').fill('Talven uutiskirje');
    await page.locator('#campaign-subject-fi').fill('Talven uutiset');
    await page.locator('#campaign-body-fi').fill('Hei!\n\nTalven uutuudet ovat täällä.');
    await page.getByRole('button', { name: 'Save draft' }).click();
    const row = page.getByRole('row').filter({ hasText: 'Talven uutiskirje' });
    await row.getByText('Draft').waitFor();
    await row.getByRole('button', { name: 'Start: Talven uutiskirje' }).click();
    await row.getByText('Finished').waitFor({ timeout: 30_000 });
    await row.getByText('1 of 2 sent, 0 skipped, 0 failed').waitFor();
    await row
      .getByText('(1 uncertain: the mail server may have taken them; not sent again by itself.)')
      .waitFor();
    // The server read it once; the jobs runner, still running, never hands it over again.
    await new Promise((r) => setTimeout(r, 1500));
    expect(received.filter((r) => r.rcpt.includes(uutinen))).toHaveLength(before + 1);
  }, 120_000);
});
