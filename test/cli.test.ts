import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { sql } from 'kysely';
import { buildProgram } from '../src/cli/program.ts';
import { loadConfig } from '../src/config/config.ts';
import { openDatabase } from '../src/db/database.ts';
import { openRuntime } from '../src/runtime.ts';
import { operator } from '../src/lib/actor.ts';
import { DEMO, freePort, ROOT } from './helpers.ts';

const exec = promisify(execFile);

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real `rekisteri` command in a scratch directory with the embedded database. */
async function rekisteri(
  cwd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<Result> {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) =>
        ![
          'DATABASE_URL',
          'KEYSTORE_DATABASE_URL',
          'REKISTERI_MASTER_KEY',
          'REKISTERI_REGISTER',
          'REKISTERI_KEYSTORE',
        ].includes(k),
    ),
  );
  try {
    const { stdout, stderr } = await exec(
      process.execPath,
      [join(ROOT, 'bin/rekisteri.js'), ...args],
      { cwd, env: { ...base, ...env }, timeout: 60_000 },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** The demo notice's review dates: `check` warns once they are past. */
const noReview = /\n {2}reviewInterval: P1Y\n {2}nextReview: '2027-03-01'/;

describe('rekisteri CLI', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rekisteri-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('check: prints a summary and exits 0 for a valid definition', async () => {
    const r = await rekisteri(dir, ['check', DEMO]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('valid');
    expect(r.stdout).toMatch(/purpose\s+newsletter\s+consent/);
  });

  it('check: points at the broken line and exits 1', async () => {
    const text = (await readFile(DEMO, 'utf8')).replace(
      'legalBasis: consent',
      'legalBasis: concent',
    );
    const file = join(dir, 'broken.yaml');
    await writeFile(file, text);
    const line = text.split('\n').findIndex((l) => l.includes('concent')) + 1;
    const r = await rekisteri(dir, ['check', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `broken\\.yaml:${line}:\\d+  purposes\\[\\d+\\]\\.legalBasis: expected one of consent, contract, .*found "concent"`,
      ),
    );
  });

  it('check: counts only transfers that leave the EU/EEA, and prints warnings with exit 0', async () => {
    // A transfer to a Swedish recipient processing in Sweden stays inside the EEA.
    // Without the notice's review dates, whose warning would depend on the day the test runs.
    const text = (await readFile(DEMO, 'utf8'))
      .replace(noReview, '')
      .replace(
        /^transfers:\n/m,
        'transfers:\n  - recipient: backup_storage\n    country: SE\n    mechanism: scc\n    sccModule: 3\n',
      );
    const file = join(dir, 'inside.yaml');
    await writeFile(file, text);
    const lines = text.split('\n');
    const r = await rekisteri(dir, ['check', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('inside.yaml: valid, 1 warning');
    expect(r.stdout).toContain(
      'warnings (what the definition leaves unsaid or should be checked):',
    );
    expect(r.stdout).toMatch(/recipients\s+15 recipients, 5 transfers outside the EU\/EEA/);
    const inside = lines.findIndex((l) => l.includes('- recipient: backup_storage')) + 1;
    expect(r.stdout).toContain(
      `inside.yaml:${inside}:5  transfers[0]: warning: the recipient and the country are inside the EU/EEA`,
    );
  });

  it('check --json: errors and warnings apart, each with its path', async () => {
    const text = (await readFile(DEMO, 'utf8'))
      .replace(noReview, '')
      .replace('mechanism: dpf', 'mechanism: privacy_shield')
      .replace('mechanism: bcr', 'mechanism: unknown');
    const file = join(dir, 'gaps.yaml');
    await writeFile(file, text);
    const r = await rekisteri(dir, ['check', '--json', file]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as {
      valid: boolean;
      errors: Array<{ path: string; message: string }>;
      warnings: Array<{ path: string; message: string }>;
    };
    expect(out.valid).toBe(false);
    expect(out.errors.map((e) => e.path)).toEqual(['transfers[0].mechanism']);
    expect(out.errors[0]?.message).toContain('16 July 2020');
    expect(out.warnings.map((w) => w.path)).toEqual(['transfers[3].mechanism']);
    expect(out.warnings[0]?.message).toContain('Art. 13(1)(f)');
  });

  it('check: refuses a misspelt key at its own line, suggesting the key meant', async () => {
    const text = (await readFile(DEMO, 'utf8')).replace(
      'allowedDuringRestriction: true',
      'alowedDuringRestriction: true',
    );
    const file = join(dir, 'misspelt.yaml');
    await writeFile(file, text);
    const line = text.split('\n').findIndex((l) => l.includes('alowedDuringRestriction')) + 1;
    const r = await rekisteri(dir, ['check', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      `${file}: 1 problem(s) in the register definition\n  ${file}:${line}:5  purposes[`,
    );
    expect(r.stderr).toContain(
      '.alowedDuringRestriction: unknown key "alowedDuringRestriction": did you mean "allowedDuringRestriction"?',
    );
  });

  it('check: says so when the file does not exist', async () => {
    const r = await rekisteri(dir, ['check', join(dir, 'nope.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('file not found');
  });

  it('every command has --help', { timeout: 120_000 }, async () => {
    const commands = [
      'init',
      'check',
      'start',
      'migrate',
      'import',
      'import-audience',
      'import-prohibitions',
      'suppression-export',
      'address-list',
      'export',
      'seed',
      'apikey',
      'audit',
      'admin',
      'erase',
      'backup',
      'restore',
      'key',
      'definition',
      'outbox',
      'requests',
      'audience',
      'campaign',
      'stats',
      'notice',
      'records',
      'retention',
    ];
    // The program as the command builds it: exactly these commands, and every command and
    // subcommand at any depth prints its usage and says what it does.
    const program = buildProgram();
    expect(program.commands.map((c) => c.name()).sort()).toEqual([...commands].sort());
    const walk = (cmd: Command, path: string[]): void => {
      const help = cmd.helpInformation();
      expect(help, path.join(' ')).toContain(`Usage: ${path.join(' ')}`);
      expect(cmd.description(), path.join(' ')).not.toBe('');
      for (const sub of cmd.commands) {
        walk(sub, [...path, sub.name()]);
      }
    };
    for (const cmd of program.commands) {
      walk(cmd, ['rekisteri', cmd.name()]);
    }

    // The real command prints the same: its list of commands, and a command's own help.
    const [top, start, campaign] = await Promise.all([
      rekisteri(dir, ['--help']),
      rekisteri(dir, ['start', '--help']),
      rekisteri(dir, ['campaign', 'requeue', '--help']),
    ]);
    expect(top.code).toBe(0);
    for (const cmd of commands) {
      expect(top.stdout, cmd).toMatch(new RegExp(`\\n  ${cmd} `));
    }
    expect(start.code).toBe(0);
    expect(start.stdout).toBe(
      (program.commands.find((c) => c.name() === 'start') as Command).helpInformation(),
    );
    expect(campaign.code).toBe(0);
    expect(campaign.stdout).toContain('Usage: rekisteri campaign requeue');
  });

  it('init writes register.yaml and a key file readable only by its owner', async () => {
    const r = await rekisteri(dir, ['init']);
    expect(r.code, r.stderr).toBe(0);
    expect(await readFile(join(dir, 'register.yaml'), 'utf8')).toContain('controller:');
    expect((await stat(join(dir, 'rekisteri.key'))).mode & 0o777).toBe(0o600);
    const again = await rekisteri(dir, ['init']);
    expect(again.stdout).toContain('exists; leaving it');
  });

  it('seed, apikey and export work on the embedded database', { timeout: 300_000 }, async () => {
    const seeded = await rekisteri(dir, ['seed', '--count', '25', '--seed', '3']);
    expect(seeded.code, seeded.stderr).toBe(0);
    expect(seeded.stdout).toMatch(/created 25 people/);

    // The anonymised statistics of the same people: 25 live, as CSV; no count of 1 to 4 shown.
    const stats = await rekisteri(dir, ['stats', '--format', 'csv']);
    expect(stats.code, stats.stderr).toBe(0);
    const statRows = stats.stdout.trim().split('\r\n');
    expect(statRows[0]).toBe('section,group,state,count');
    expect(statRows).toContain('people,live,,25');
    expect(statRows.filter((r) => /,[1-4]$/.test(r))).toEqual([]);
    const statsText = await rekisteri(dir, ['stats']);
    expect(statsText.stdout).toContain('live people (not erased): 25');
    const badFormat = await rekisteri(dir, ['stats', '--format', 'xml']);
    expect(badFormat.code).not.toBe(0);
    expect(badFormat.stderr).toContain('--format');

    // Market research rests on an opt-out: all 25 are in its audience by e-mail; the newsletter
    // rests on consent, which nobody gave.
    const audience = ['--purpose', 'market_research', '--channel', 'email'];
    const counted = await rekisteri(dir, ['audience', 'count', ...audience]);
    expect(counted.code, counted.stderr).toBe(0);
    expect(counted.stdout.trim()).toBe('25');
    // Without an https PUBLIC_URL the rows' unsubscribe links would not work: refused, nothing out.
    const insecure = await rekisteri(dir, ['audience', 'export', ...audience]);
    expect(insecure.code).toBe(1);
    expect(insecure.stdout).toBe('');
    expect(insecure.stderr).toMatch(/PUBLIC_URL is http:\/\/\S+, not an https:\/\/ address/);
    const audienceCsv = await rekisteri(dir, ['audience', 'export', ...audience], {
      PUBLIC_URL: 'https://rekisteri.example.fi',
    });
    expect(audienceCsv.code, audienceCsv.stderr).toBe(0);
    const rows = audienceCsv.stdout
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    expect(rows[0]).toBe('"id","contact.email","unsubscribe_url"');
    expect(rows).toHaveLength(26);
    expect(rows[1]).toMatch(
      /^"[0-9a-f-]{36}","[^"]+@example\.(?:com|org|net)","https:\/\/rekisteri\.example\.fi\/u\/[\w-]+"$/,
    );
    const nobody = await rekisteri(dir, [
      'audience',
      'count',
      '--purpose',
      'newsletter',
      '--channel',
      'email',
    ]);
    expect(nobody.stdout.trim()).toBe('0');
    const badFilter = await rekisteri(dir, [
      'audience',
      'export',
      ...audience,
      '--filter',
      'orders.orderCount=1',
    ]);
    expect(badFilter.code).toBe(1);
    expect(badFilter.stdout).toBe('');
    expect(badFilter.stderr).toContain('filters[0].field');

    const bad = await rekisteri(dir, ['seed', '--count', 'many']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('expected a whole number');

    const created = await rekisteri(dir, [
      'apikey',
      'create',
      '--name',
      'web shop',
      '--purposes',
      'newsletter',
      '--actions',
      'read,write',
    ]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/^rk_[0-9a-f]{32}_\S{43}$/m);
    const refused = await rekisteri(dir, [
      'apikey',
      'create',
      '--name',
      'x',
      '--purposes',
      'gossip',
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('purposes[0]: unknown purpose "gossip"');

    const id = /created API key ([0-9a-f-]{36})/.exec(created.stdout)?.[1] ?? '';
    expect((await rekisteri(dir, ['apikey', 'list'])).stdout).toMatch(
      new RegExp(`${id}\\s+active\\s+web shop`),
    );
    expect((await rekisteri(dir, ['apikey', 'revoke', id])).code).toBe(0);
    expect((await rekisteri(dir, ['apikey', 'list'])).stdout).toMatch(
      new RegExp(`${id}\\s+revoked`),
    );
    expect((await rekisteri(dir, ['apikey', 'list'])).stdout).not.toMatch(/rk_[0-9a-f]{32}_/);

    const csv = join(dir, 'one.csv');
    await writeFile(csv, 'name,email\nSirpa,sirpa.export@example.com\n');
    const mapping = join(dir, 'map.yaml');
    await writeFile(
      mapping,
      'purpose: customer_relationship\nsource: subject\ncolumns:\n  name: identity.firstName\n  email: contact.email\n',
    );
    const imported = await rekisteri(dir, ['import', csv, '--mapping', mapping]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toContain('1 created, 0 merged, 0 skipped, 0 rejected');

    const badMapping = join(dir, 'bad-map.yaml');
    await writeFile(
      badMapping,
      'purpose: customer_relationship\nsource: subject\ncolumns:\n  name: identity.nickname\n',
    );
    const refusedImport = await rekisteri(dir, ['import', csv, '--mapping', badMapping]);
    expect(refusedImport.code).toBe(1);
    expect(refusedImport.stderr).toContain('columns.name: no field identity.nickname');

    const database = await openDatabase({ dataDir: join(dir, 'data') });
    const row = await database.db
      .selectFrom('subjects')
      .select('id')
      .where('email_index', 'is not', null)
      .orderBy('created_at', 'desc')
      .executeTakeFirstOrThrow();
    await database.close();
    const out = join(dir, 'export.json');
    const exported = await rekisteri(dir, ['export', '--subject', row.id, '--out', out]);
    expect(exported.code, exported.stderr).toBe(0);
    expect((await stat(out)).mode & 0o777).toBe(0o600);
    const body = JSON.parse(await readFile(out, 'utf8')) as {
      subject: { id: string };
      categories: { contact: { fields: { email: { value: string; source: string } } } };
    };
    expect(body.subject.id).toBe(row.id);
    expect(body.categories.contact.fields.email).toMatchObject({
      value: 'sirpa.export@example.com',
      source: 'subject',
    });

    const intact = await rekisteri(dir, ['audit', 'verify']);
    expect(intact.code, intact.stderr).toBe(0);
    expect(intact.stdout).toMatch(/the access log is intact: \d+ entries verified/);
    // The head is anchored outside the database, in the key store directory.
    const anchors = join(dir, 'keystore', 'audit-anchors.jsonl');
    expect(intact.stdout).toContain(`in ${anchors}`);
    expect((await stat(anchors)).mode & 0o777).toBe(0o600);
    const tamper = await openDatabase({ dataDir: join(dir, 'data') });
    const victim = await tamper.db
      .selectFrom('audit_events')
      .select('id')
      .where('action', '=', 'subject.export')
      .executeTakeFirstOrThrow();
    await sql`alter table audit_events disable trigger audit_events_append_only`.execute(tamper.db);
    await sql`update audit_events set actor_id = 'someone-else' where id = ${victim.id}`.execute(
      tamper.db,
    );
    await tamper.close();
    const tampered = await rekisteri(dir, ['audit', 'verify']);
    expect(tampered.code).toBe(1);
    expect(tampered.stderr).toContain(
      `(event ${victim.id}): event ${victim.id} does not match its hash`,
    );

    const missing = await rekisteri(dir, [
      'export',
      '--subject',
      '00000000-0000-4000-8000-000000000000',
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no subject with id');
  });

  it(
    'outbox list: shows waiting mail opened, and records the read in the access log',
    { timeout: 120_000 },
    async () => {
      const empty = await rekisteri(dir, ['outbox', 'list']);
      expect(empty.code, empty.stderr).toBe(0);
      expect(empty.stdout).toContain('the outbox is empty');
      // A mail written by the server while no SMTP server is configured.
      const rt = await openRuntime(
        loadConfig({
          REKISTERI_DATA: join(dir, 'data'),
          REKISTERI_KEYSTORE: join(dir, 'keystore'),
          REKISTERI_KEY_FILE: join(dir, 'rekisteri.key'),
          REKISTERI_REGISTER: join(dir, 'register.yaml'),
        }),
      );
      let mailId: string;
      try {
        mailId = await rt.services.mail.sendMail({
          to: 'outi.odottaja@example.fi',
          template: 'verify-address',
          locale: 'sv',
          data: { register: 'Kundregistret', link: 'https://rekisteri.example.fi/v?t=2' },
        });
      } finally {
        await rt.close();
      }
      const listed = await rekisteri(dir, ['outbox', 'list']);
      expect(listed.code, listed.stderr).toBe(0);
      expect(listed.stdout).toMatch(
        new RegExp(
          `${mailId}\\s+waiting\\s+.*sv\\s+outi\\.odottaja@example\\.fi\\s+"Bekräfta din e-postadress"`,
        ),
      );
      const json = await rekisteri(dir, ['outbox', 'list', '--json', '--limit', '5']);
      expect(JSON.parse(json.stdout.trim())).toMatchObject({ id: mailId, state: 'waiting' });
      const bad = await rekisteri(dir, ['outbox', 'list', '--limit', '0']);
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toContain('expected a whole number from 1 to 1000');

      const database = await openDatabase({ dataDir: join(dir, 'data') });
      const reads = await database.db
        .selectFrom('audit_events')
        .select(['actor_kind', 'data'])
        .where('action', '=', 'mail.outbox_read')
        .orderBy('id')
        .execute();
      await database.close();
      expect(reads).toEqual([
        { actor_kind: 'operator', data: { shown: 0 } },
        { actor_kind: 'operator', data: { shown: 1 } },
        { actor_kind: 'operator', data: { shown: 1 } },
      ]);
    },
  );

  it(
    'notice versions, publish, diff and announce: the versions in the database, refusals named',
    { timeout: 120_000 },
    async () => {
      const before = await rekisteri(dir, ['notice', 'versions']);
      expect(before.code, before.stderr).toBe(0);
      expect(before.stdout).toContain('the definition running now needs a new version');
      const none = await rekisteri(dir, ['notice', 'announce', '1']);
      expect(none.code).toBe(1);
      expect(none.stderr).toContain('there is no version 1 of the notice');
      const published = await rekisteri(dir, ['notice', 'publish', '--date', '2026-02-01']);
      expect(published.code, published.stderr).toBe(0);
      expect(published.stdout).toContain('published version 1, dated 2026-02-01');
      const again = await rekisteri(dir, ['notice', 'publish']);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('already published as version 1');
      const listed = await rekisteri(dir, ['notice', 'versions']);
      expect(listed.stdout).toMatch(/version 1\s+dated 2026-02-01/);
      expect(listed.stdout).toContain('the definition running now is version 1');
      const diff = await rekisteri(dir, ['notice', 'diff', '--from', '1']);
      expect(diff.stdout).toContain('nothing material changed');
      // A retention period changed since: the diff shows what it was and what it is.
      const file = join(dir, 'register.yaml');
      const text = await readFile(file, 'utf8');
      const retention = text.indexOf('\nretention:');
      const m = /^( +duration: )'?(P\d+[YMWD])'?$/m.exec(text.slice(retention))!;
      const changedTo = m[2] === 'P7Y' ? 'P8Y' : 'P7Y';
      await writeFile(
        file,
        text.slice(0, retention) + text.slice(retention).replace(m[0], `${m[1]}${changedTo}`),
      );
      try {
        const applied = await rekisteri(dir, ['definition', 'apply']);
        expect(applied.code, applied.stderr).toBe(0);
        const changed = await rekisteri(dir, ['notice', 'diff', '--from', '1']);
        expect(changed.code, changed.stderr).toBe(0);
        expect(changed.stdout).toMatch(/^retention +changed +\S+ \(duration\)$/m);
        expect(changed.stdout).toContain(`duration: ${m[2]} → ${changedTo}`);
      } finally {
        await writeFile(file, text);
        expect((await rekisteri(dir, ['definition', 'apply'])).code).toBe(0);
      }
      // The first version changed nothing anyone was told before: nothing is queued.
      const first = await rekisteri(dir, ['notice', 'announce', '1']);
      expect(first.code).toBe(1);
      expect(first.stderr).toContain('version 1 is the first version of the notice');
      const bad = await rekisteri(dir, ['notice', 'announce', 'latest']);
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toContain('expected a version number');
      const badDate = await rekisteri(dir, ['notice', 'publish', '--date', '1.2.2026']);
      expect(badDate.code).not.toBe(0);
      expect(badDate.stderr).toContain('expected a date, YYYY-MM-DD');
      const runs = await rekisteri(dir, ['notice', 'announcements', '--json']);
      expect(runs.code, runs.stderr).toBe(0);
      expect(JSON.parse(runs.stdout.trim())).toEqual([]);
      // The notice itself is still printed from the definition alone.
      const md = await rekisteri(dir, ['notice', '--lang', 'en']);
      expect(md.code, md.stderr).toBe(0);
      expect(md.stdout).toContain('# ');
    },
  );

  it(
    'requests list and show: the queue with the deadline in words, one request with its history',
    { timeout: 120_000 },
    async () => {
      const none = await rekisteri(dir, ['requests', 'list']);
      expect(none.code, none.stderr).toBe(0);
      expect(none.stdout).toContain('no requests');
      const rt = await openRuntime(
        loadConfig({
          REKISTERI_DATA: join(dir, 'data'),
          REKISTERI_KEYSTORE: join(dir, 'keystore'),
          REKISTERI_KEY_FILE: join(dir, 'rekisteri.key'),
          REKISTERI_REGISTER: join(dir, 'register.yaml'),
        }),
      );
      let id: string;
      try {
        // A letter with a signature: the identity is proven at intake, so the clock runs.
        ({ id } = await rt.services.requests.intake(operator, {
          type: 'access',
          channel: 'postal',
          lang: 'fi',
          name: 'Kirsi Kirjeenkirjoittaja',
          phone: '+358 40 555 0101',
          details: 'Pyydän jäljennöksen tiedoistani.',
          identity: { proof: 'signed_letter' },
        }));
      } finally {
        await rt.close();
      }
      const listed = await rekisteri(dir, ['requests', 'list']);
      expect(listed.code, listed.stderr).toBe(0);
      expect(listed.stdout).toMatch(
        new RegExp(
          `${id}\\s+access\\s+in_progress\\s+postal\\s+received \\d{4}-\\d{2}-\\d{2}\\s+due \\d{4}-\\d{2}-\\d{2} \\(\\d+ days left\\)`,
        ),
      );
      // The queue names no one.
      expect(listed.stdout).not.toContain('Kirsi');
      expect(listed.stdout).not.toContain('555');
      const shown = await rekisteri(dir, ['requests', 'show', id]);
      expect(shown.code, shown.stderr).toBe(0);
      expect(shown.stdout).toContain('identity  signed_letter');
      expect(shown.stdout).toMatch(/history\n\s+\S+\s+received/);
      const json = await rekisteri(dir, ['requests', 'show', id, '--json']);
      expect(JSON.parse(json.stdout)).toMatchObject({ id, type: 'access', channel: 'postal' });
      const bad = await rekisteri(dir, ['requests', 'show', 'not-an-id']);
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toContain('expected a request id (a UUID)');
      const badState = await rekisteri(dir, ['requests', 'list', '--state', 'lost']);
      expect(badState.code).not.toBe(0);
      expect(badState.stderr).toContain('Allowed choices are');
    },
  );
});

describe('rekisteri start', () => {
  it(
    'serves the demo register on the embedded database with invented people, and guards the database',
    { timeout: 120_000 },
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'rekisteri-start-'));
      const base = Object.fromEntries(
        Object.entries(process.env).filter(
          ([k]) =>
            ![
              'DATABASE_URL',
              'KEYSTORE_DATABASE_URL',
              'REKISTERI_MASTER_KEY',
              'REKISTERI_REGISTER',
              'REKISTERI_KEYSTORE',
            ].includes(k),
        ),
      );
      const server = spawn(process.execPath, [join(ROOT, 'bin/rekisteri.js'), 'start'], {
        cwd: dir,
        env: { ...base, PORT: String(await freePort()), REKISTERI_DEMO_PEOPLE: '40' },
        stdio: 'pipe',
      });
      let out = '';
      try {
        const url = await new Promise<string>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`server did not start:\n${out}`)),
            90_000,
          );
          const onData = (d: Buffer) => {
            out += d.toString();
            const m = /serving .*? at (http:\/\/\S+)/.exec(out);
            if (m) {
              clearTimeout(timer);
              resolve(m[1] as string);
            }
          };
          server.stdout.on('data', onData);
          server.stderr.on('data', onData);
          server.on('exit', () => reject(new Error(`server exited:\n${out}`)));
        });
        expect(out).toContain('running the demo register');
        expect(out).toContain('inventing 40 people');
        // Not a terminal: the one-time password is in a file of mode 0600, not in the output.
        const file = join(dir, 'keystore', 'first-admin-password');
        expect(out).toContain(`Its one-time password is in ${file} (mode 0600`);
        expect((await stat(file)).mode & 0o777).toBe(0o600);
        const password = (await readFile(file, 'utf8')).trim();
        expect(password).toMatch(/^\S{20}$/);
        expect(out).not.toContain(password);
        const signIn = await fetch(`${url}/api/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'admin', password }),
        });
        expect(signIn.status).toBe(200);
        expect(signIn.headers.get('set-cookie')).toMatch(/rk_session=.*HttpOnly.*SameSite=Strict/i);
        expect(await (await fetch(`${url}/healthz`)).json()).toMatchObject({ status: 'ok' });
        const def = (await (await fetch(`${url}/api/v1/definition`)).json()) as {
          controller: { name: string };
        };
        expect(def.controller.name).toBe('Revontuli Kahvipaahtimo Oy');
        expect((await fetch(`${url}/api/v1/subjects?purpose=newsletter`)).status).toBe(401);
        const docs = await fetch(`${url}/api/docs/`);
        expect(docs.status).toBe(200);
        expect(docs.headers.get('content-security-policy')).toContain("default-src 'self'");

        const blocked = await rekisteri(dir, ['apikey', 'list']);
        expect(blocked.code).toBe(1);
        expect(blocked.stderr).toMatch(/in use by process \d+/);
      } finally {
        server.kill('SIGTERM');
        await new Promise((r) => server.on('exit', r));
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});
