/**
 * A person's marketing choices in the portal, in a real browser (Debian's Chromium through
 * playwright-core) against one real server on a fresh embedded database: they sign up for the
 * newsletter on the sign-up page with the keyboard, open the mailed confirmation link (its token in
 * the fragment) and are granted; they ask for a link to their preference page, open it, and
 * withdraw the newsletter with a checkbox; and a marketing mail's unsubscribe link, opened, shows
 * its page and changes nothing until its button is pressed. Mail is read from the outbox, opened
 * with the test's keys. With UPDATE_SCREENSHOTS=1, docs/screenshots/portal-marketing*.png are
 * refreshed.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { subjectActor, system } from '../../src/lib/actor.ts';
import { TEMPLATES, type TemplateName } from '../../src/mail/index.ts';
import type { Locale } from '../../src/mail/templates.ts';
import { loadDefinition } from '../../src/modules/definition/loader.ts';
import { createServices, type Services } from '../../src/services.ts';
import { createVault, type Vault } from '../../src/vault/vault.ts';
import { DEMO, ROOT, openTestDatabase, openTestKeyStore, type TestDatabase } from '../helpers.ts';

const CHROMIUM = '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
if (!HAS_CHROMIUM) {
  console.log(`portal marketing browser tests skipped: ${CHROMIUM} not found`);
}

const DIST = join(ROOT, 'web', 'dist');
const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS
  ? join(ROOT, 'docs', 'screenshots')
  : join(tmpdir(), 'rekisteri-screenshots');
const EMAIL = 'ville.uusi@example.fi';

/** Builds the portal when no build is there, or when its build predates the marketing pages. */
function ensurePortalBuilt(): void {
  const assets = join(DIST, 'portal', 'assets');
  const current =
    existsSync(join(DIST, 'portal', 'index.html')) &&
    existsSync(assets) &&
    readdirSync(assets).some(
      (f) => f.endsWith('.js') && readFileSync(join(assets, f), 'utf8').includes('/signup/confirm'),
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

describe.skipIf(!HAS_CHROMIUM)('marketing choices in the portal, in Chromium', () => {
  let db: TestDatabase;
  let keyStore: Awaited<ReturnType<typeof openTestKeyStore>> | undefined;
  let services: Services;
  let vault: Vault;
  let app: FastifyInstance;
  let browser: Browser;
  let page: Page;
  let base: string;

  beforeAll(async () => {
    ensurePortalBuilt();
    mkdirSync(SCREENSHOTS, { recursive: true });
    db = await openTestDatabase('pglite');
    keyStore = await openTestKeyStore('pglite');
    vault = createVault(randomBytes(32));
    services = createServices({
      database: db.handle,
      keys: keyStore.keys,
      register: await loadDefinition(DEMO),
      vault,
      publicUrl: 'https://rekisteri.example.fi',
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
      viewport: { width: 360, height: 780 },
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

  /** The fragment link of the newest mail of a template to the person, as a path here. */
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
      const link = /https:\/\/rekisteri\.example\.fi(\/[\w/]+#token=[\w-]{43})/.exec(text);
      if (link) {
        return link[1]!;
      }
    }
    throw new Error(`no ${template} mail to the person`);
  }

  const person = async () =>
    (await services.subjects.matchForRequest(system, { email: EMAIL }))[0]!;
  const newsletter = async () =>
    services.permissions.check(system, {
      purpose: 'newsletter',
      subjectId: await person(),
      channel: 'email',
    });

  it('signs up, confirms by mail, and withdraws the newsletter on the preference page', async () => {
    await page.goto(`${base}/signup`);
    await page.getByRole('heading', { level: 1, name: 'Subscribe' }).waitFor();
    await page.getByLabel('Your e-mail address').fill(EMAIL);
    // The keyboard reaches the choice and ticks it.
    await page.getByLabel('Your e-mail address').focus();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Space');
    expect(await page.getByRole('checkbox', { name: /Newsletter/ }).isChecked()).toBe(true);
    await page.screenshot({
      path: join(SCREENSHOTS, 'portal-marketing-signup.png'),
      fullPage: true,
    });
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await page.getByText('a confirmation link is on its way').waitFor();
    // Until the link is followed there is no person in the register at all.
    expect(await services.subjects.matchForRequest(system, { email: EMAIL })).toEqual([]);

    await page.goto(`${base}${await mailedLink('signup-confirm')}`);
    await page.getByText('Confirmed. Thank you!').waitFor();
    expect(new URL(page.url()).hash).toBe('');
    expect((await newsletter()).allowed).toBe(true);

    await page.goto(`${base}/preferences`);
    await page.getByRole('heading', { level: 1, name: 'My marketing choices' }).waitFor();
    await page.getByLabel('Your e-mail address').fill(EMAIL);
    await page.keyboard.press('Enter');
    await page.getByText('a link is on its way').waitFor();

    await page.goto(`${base}${await mailedLink('preferences-link')}`);
    const box = page.getByRole('checkbox', { name: /Newsletter/ });
    await box.waitFor();
    expect(await box.isChecked()).toBe(true);
    await page.screenshot({
      path: join(SCREENSHOTS, 'portal-marketing-preferences.png'),
      fullPage: true,
    });
    await box.focus();
    await page.keyboard.press('Space');
    await page.getByText('Saved.').waitFor();
    expect(await box.isChecked()).toBe(false);
    const check = await newsletter();
    expect(check.allowed).toBe(false);
    expect(check.reason.code).toBe('withdrawn');
    const last = (await services.permissions.history(system, await person())).at(-1)!;
    expect(last.method).toBe('preference_page');
  }, 120_000);

  it('an unsubscribe link: the page changes nothing, its button withdraws', async () => {
    const subjectId = await person();
    // She subscribes again herself (after withdrawing above: only her own choice may).
    await services.permissions.record(
      subjectActor(subjectId),
      subjectId,
      [{ kind: 'newsletter', channel: 'email', state: 'granted' }],
      { method: 'form', wording: { text: 'Newsletter by e-mail', language: 'en' } },
    );
    const token = services.unsubscribeLinks.issue({
      subjectId,
      purpose: 'newsletter',
      channel: 'email',
    });
    await page.goto(`${base}/u/${token}`);
    await page.getByRole('heading', { level: 1, name: 'Unsubscribe' }).waitFor();
    expect((await newsletter()).allowed).toBe(true);
    await page.screenshot({ path: join(SCREENSHOTS, 'portal-marketing-unsubscribe.png') });
    await page.getByRole('button', { name: 'Unsubscribe' }).focus();
    await page.keyboard.press('Enter');
    await page.getByText('Done: you will no longer get mail like this from us.').waitFor();
    expect((await newsletter()).reason.code).toBe('withdrawn');
  }, 60_000);
});
