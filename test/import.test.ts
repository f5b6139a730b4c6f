import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operator, type Actor } from '../src/lib/actor.ts';
import { AppError } from '../src/lib/errors.ts';
import { checkMapping, type Mapping } from '../src/modules/imports/mapping.ts';
import { ImportFileError } from '../src/modules/imports/readers.ts';
import {
  createPostgresDatabase,
  createTestContext,
  DATABASES,
  DEMO,
  ROOT,
  snapshot,
  type TestContext,
} from './helpers.ts';

const HEADER = 'First name,Last name,E-mail,Phone,Company';
const mappingInput = {
  purpose: 'customer_relationship',
  source: 'partner',
  dedupe: 'skip',
  columns: {
    'First name': 'identity.firstName',
    'Last name': 'identity.lastName',
    'E-mail': 'contact.email',
    Phone: 'contact.phone',
    Company: 'organisation.organisation',
  },
};

function csvOf(n: number, prefix = 'person'): string {
  const rows = Array.from(
    { length: n },
    (_, i) =>
      `Etu${i},Suku${i},${prefix}.${i}@example.com,+358 40 ${String(1000000 + i)},Firma ${i} Oy`,
  );
  return `${HEADER}\n${rows.join('\n')}\n`;
}

describe.each(DATABASES)('import on %s', (kind) => {
  let t: TestContext;
  let dir: string;
  let mapping: Mapping;

  beforeAll(async () => {
    t = await createTestContext(kind);
    dir = await mkdtemp(join(tmpdir(), 'rekisteri-import-'));
    mapping = checkMapping(mappingInput, t.register);
  });
  afterAll(async () => {
    await t?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const file = async (name: string, text: string) => {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  };
  const count = async () => Number((await snapshot(t.db.handle)).subjects);

  it('imports valid rows, rejects bad ones with line and reason, and skips duplicates', async () => {
    const path = await file(
      'mixed.csv',
      [
        HEADER,
        'Aino,Aaltonen,aino.aaltonen@example.com,040 111 2222,Kaamos Kahvila Oy',
        'Bertil,Björk,not-an-address,,',
        'Cecilia,"Carlsson, jr",cecilia@example.org,+46 70 123 4567,',
        'Daniel,Dahl',
        'Aino,Aaltonen-Duplicate,AINO.AALTONEN@example.com,,',
        ',NoFirstName,nofirst@example.net,,',
        '',
      ].join('\n'),
    );
    const before = await count();
    const summary = await t.services.imports.importFile(operator, { file: path, mapping });
    expect(summary).toMatchObject({ created: 2, skipped: 1, rejected: 3, alreadyImported: false });
    expect(await count()).toBe(before + 2);
    const errors = await readFile(summary.errorFile ?? '', 'utf8');
    expect(errors.split('\n')[0]).toBe('line,reason');
    expect(errors).toContain('3,"contact.email: expected an e-mail address"');
    expect(errors).toContain('5,"expected 5 columns, found 2"');
    expect(errors).toContain('7,"identity.firstName: is required"');
    expect(errors).not.toContain('not-an-address');
    const found = await t.services.subjects.findSubjects(operator, {
      purpose: 'customer_relationship',
      email: 'cecilia@example.org',
    });
    expect(found.items[0]?.categories.identity?.lastName).toMatchObject({
      value: 'Carlsson, jr',
      source: 'partner',
    });
    expect(found.items[0]?.categories.identity?.lastName?.collectedAt).toBeTruthy();
  });

  it('does nothing when the same file is imported again', async () => {
    const path = await file('again.csv', csvOf(5, 'again'));
    expect((await t.services.imports.importFile(operator, { file: path, mapping })).created).toBe(
      5,
    );
    const before = await snapshot(t.db.handle);
    const second = await t.services.imports.importFile(operator, { file: path, mapping });
    expect(second).toMatchObject({ alreadyImported: true, created: 0 });
    expect(await snapshot(t.db.handle)).toEqual(before);
  });

  it('merges into an existing person on e-mail, keeping history, with the merge policy', async () => {
    const path = await file(
      'merge.csv',
      `${HEADER}\nAino,Aaltonen-Uusi,aino.aaltonen@example.com,,Uusi Firma Oy\n`,
    );
    const summary = await t.services.imports.importFile(operator, {
      file: path,
      mapping: { ...mapping, dedupe: 'merge' },
    });
    expect(summary).toMatchObject({ created: 0, merged: 1 });
    const [aino] = (
      await t.services.subjects.findSubjects(operator, {
        purpose: 'customer_relationship',
        email: 'aino.aaltonen@example.com',
      })
    ).items;
    expect(aino?.categories.identity?.lastName?.value).toBe('Aaltonen-Uusi');
    expect(aino?.categories.contact?.phone?.value).toBe('040 111 2222');
    const history = await t.services.subjects.getHistory(
      operator,
      aino?.id ?? '',
      'customer_relationship',
    );
    expect(history).toContainEqual(
      expect.objectContaining({
        field: 'lastName',
        old: 'Aaltonen',
        new: 'Aaltonen-Uusi',
        source: 'partner',
      }),
    );
  });

  it('reads JSON Lines, rejecting lines that are not JSON objects', async () => {
    const path = await file(
      'people.jsonl',
      [
        '{"First name":"Jaana","E-mail":"jaana@example.com"}',
        '{"First name":',
        '[1,2]',
        '{"First name":"Kalle","E-mail":"kalle@example.com","Phone":"12"}',
      ].join('\n'),
    );
    const summary = await t.services.imports.importFile(operator, { file: path, mapping });
    expect(summary).toMatchObject({ created: 1, rejected: 3 });
    const errors = await readFile(summary.errorFile ?? '', 'utf8');
    expect(errors).toContain('2,"not valid JSON"');
    expect(errors).toContain('3,"expected a JSON object"');
    expect(errors).toContain('4,"contact.phone: expected a phone number');
  });

  it('refuses a malformed CSV, naming the line, and changes nothing', async () => {
    const path = await file(
      'broken.csv',
      `${HEADER}\nEeva,Ek,eeva@example.com,,\n"Frans,Fors,frans@example.com,,\n`,
    );
    const before = await snapshot(t.db.handle);
    const err = await t.services.imports
      .importFile(operator, { file: path, mapping })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImportFileError);
    expect((err as ImportFileError).message).toMatch(
      /^line \d+: the CSV cannot be read further: a quoted field is never closed/,
    );
    expect(await snapshot(t.db.handle)).toEqual(before);
  });

  it('treats a truncated last row as a rejected line', async () => {
    const path = await file(
      'truncated.csv',
      `${HEADER}\nGustav,Grön,gustav@example.com,,Firma Oy\nHelena,Hol`,
    );
    const summary = await t.services.imports.importFile(operator, { file: path, mapping });
    expect(summary).toMatchObject({ created: 1, rejected: 1 });
    expect(await readFile(summary.errorFile ?? '', 'utf8')).toContain(
      '3,"expected 5 columns, found 2"',
    );
  });

  it('numbers a record whose quoted field spans lines by the line it starts on', async () => {
    const path = await file(
      'multiline.csv',
      `${HEADER}\r\n"Iida\r\nIlona",Ikonen,iida@example.com,,\r\nJuho,Jokela,juho@example.com,12,\r\n`,
    );
    const summary = await t.services.imports.importFile(operator, { file: path, mapping });
    expect(summary).toMatchObject({ created: 0, rejected: 2 });
    const errors = await readFile(summary.errorFile ?? '', 'utf8');
    expect(errors).toMatch(/\n2,"identity\.firstName: must be a single line/);
    expect(errors).toMatch(/\n4,"contact\.phone: expected a phone number/);
  });

  it('refuses a mapping that names what the definition does not have', () => {
    const attempt = (m: object) => {
      try {
        checkMapping({ ...mappingInput, ...m }, t.register);
      } catch (err) {
        expect(err).toBeInstanceOf(AppError);
        return (err as AppError).issues.map((i) => i.field);
      }
      throw new Error('expected a refusal');
    };
    expect(attempt({ columns: { Shoe: 'identity.shoeSize' } })).toEqual(['columns.Shoe']);
    expect(
      attempt({ purpose: 'newsletter', columns: { Company: 'organisation.organisation' } }),
    ).toEqual(['columns.Company']);
    expect(attempt({ purpose: 'gossip' })).toContain('purpose');
    expect(attempt({ source: 'rumour' })).toContain('source');
    expect(attempt({ dedupe: 'sometimes' })).toContain('dedupe');
  });

  it('resumes an interrupted import after the last committed batch, without duplicates or losses', async () => {
    const path = await file('resume.csv', csvOf(1000, 'resume'));
    const before = await count();
    let batches = 0;
    const crash = await t.services.imports
      .importFile(operator, {
        file: path,
        mapping,
        batchSize: 100,
        onProgress: () => {
          batches++;
          if (batches === 3) {
            throw new Error('simulated crash after a commit');
          }
        },
      })
      .catch((e: unknown) => e);
    expect((crash as Error).message).toBe('simulated crash after a commit');
    expect(await count()).toBe(before + 300);
    const resumed = await t.services.imports.importFile(operator, {
      file: path,
      mapping,
      batchSize: 100,
    });
    expect(resumed.resumedAfterLine).toBe(301);
    expect(resumed.created).toBe(1000);
    expect(await count()).toBe(before + 1000);
  });
});

describe.runIf(process.env.TEST_DATABASE_URL)('import killed with SIGKILL (PostgreSQL)', () => {
  it(
    'neither duplicates nor loses rows when re-run after kill -9',
    { timeout: 240_000 },
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'rekisteri-kill-'));
      const database = await createPostgresDatabase();
      const keyDatabase = await createPostgresDatabase();
      const rows = 6000;
      try {
        const csv = join(dir, 'people.csv');
        await writeFile(csv, csvOf(rows, 'killed'));
        const mapFile = join(dir, 'mapping.json');
        await writeFile(mapFile, JSON.stringify(mappingInput));
        const env = {
          ...process.env,
          DATABASE_URL: database.url,
          KEYSTORE_DATABASE_URL: keyDatabase.url,
          REKISTERI_MASTER_KEY: randomBytes(32).toString('hex'),
          REKISTERI_REGISTER: DEMO,
        };
        const run = () =>
          spawn(
            process.execPath,
            [
              join(ROOT, 'bin/rekisteri.js'),
              'import',
              csv,
              '--mapping',
              mapFile,
              '--batch-size',
              '250',
            ],
            { env, stdio: 'pipe' },
          );
        const client = new pg.Client({ connectionString: database.url });

        const first = run();
        const exited = new Promise((resolve) => first.on('exit', resolve));
        let committed = 0;
        await new Promise((r) => setTimeout(r, 1000));
        await client.connect();
        // The first batch commits within seconds on a quiet machine; a loaded one (CI with other
        // suites at work) may take much longer, so wait on the clock, not a count of polls.
        const until = Date.now() + 90_000;
        while (committed === 0 && first.exitCode === null && Date.now() < until) {
          const r = await client
            .query<{ n: string }>('select coalesce(max(lines_committed), 0) as n from import_runs')
            .catch(() => ({ rows: [{ n: '0' }] }));
          committed = Number(r.rows[0]?.n ?? 0);
          if (committed === 0) {
            await new Promise((r) => setTimeout(r, 20));
          }
        }
        expect(committed).toBeGreaterThan(0);
        first.kill('SIGKILL');
        await exited;
        const partial = Number(
          (await client.query<{ n: string }>('select count(*) as n from subjects')).rows[0]?.n,
        );
        expect(partial).toBeGreaterThan(0);
        expect(partial).toBeLessThan(rows);

        const second = run();
        let out = '';
        second.stdout.on('data', (d: Buffer) => (out += d.toString()));
        second.stderr.on('data', (d: Buffer) => (out += d.toString()));
        const code = await new Promise((resolve) => second.on('exit', resolve));
        expect(code, out).toBe(0);
        expect(out).toMatch(/resumed after line \d+/);
        const total = (
          await client.query<{ n: string; distinct_emails: string }>(
            'select count(*) as n, count(distinct email_index) as distinct_emails from subjects',
          )
        ).rows[0];
        expect(Number(total?.n)).toBe(rows);
        expect(Number(total?.distinct_emails)).toBe(rows);
        await client.end();
      } finally {
        await database.drop();
        await keyDatabase.drop();
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});

describe('import with seal workers', () => {
  it('seals on worker threads exactly as in the main thread: readable, indexed, de-duplicated', async () => {
    const t = await createTestContext('pglite', DEMO, { sealWorkers: 2 });
    const dir = await mkdtemp(join(tmpdir(), 'rekisteri-workers-'));
    try {
      const path = join(dir, 'people.csv');
      await writeFile(
        path,
        csvOf(250, 'worker') + 'Etu0,Suku0,worker.0@example.com,,Duplicate Oy\n',
      );
      const summary = await t.services.imports.importFile(operator, {
        file: path,
        mapping: checkMapping(mappingInput, t.register),
        batchSize: 60,
      });
      expect(summary).toMatchObject({ created: 250, skipped: 1, rejected: 0 });
      const found = await t.services.subjects.findSubjects(operator, {
        purpose: 'customer_relationship',
        email: 'worker.137@example.com',
      });
      expect(found.items[0]?.categories.identity?.firstName?.value).toBe('Etu137');
      const byName = await t.services.subjects.findSubjects(operator, {
        purpose: 'customer_relationship',
        q: 'suku13',
      });
      expect(byName.items.length).toBeGreaterThanOrEqual(1);
      expect((await t.services.audit.verify()).ok).toBe(true);
    } finally {
      await t.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe.each(DATABASES)('the subjects bulk writer on %s', (kind) => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext(kind);
  });
  afterAll(async () => {
    await t?.close();
  });

  const batch = (email: string) => {
    const { bulkValues } = t.services.subjects;
    const values = bulkValues.check(
      'customer_relationship',
      { identity: { firstName: 'Oona' }, contact: { email } },
      'create',
    );
    const meta = {
      source: 'partner',
      purpose: 'customer_relationship',
      collectedAt: new Date().toISOString(),
    };
    return {
      purpose: 'customer_relationship',
      source: 'partner',
      dedupe: 'skip' as 'skip' | 'merge',
      now: new Date(),
      records: [
        { line: 1, values, row: bulkValues.seal(values, meta, bulkValues.emailIndex(values)) },
      ],
      reason: 'import test',
      run: 'seed-0123abcd',
    };
  };
  const write = (actor: Actor, b: ReturnType<typeof batch>) =>
    t.db.handle.bulkTransaction((tx, copy) =>
      t.services.subjects.bulkWrite(actor, { tx, copy }, b),
    );

  it('refuses an actor without the write action or the purpose, and writes nothing', async () => {
    const before = await snapshot(t.db.handle);
    const readOnly: Actor = {
      kind: 'api_key',
      id: 'k1',
      read: '*',
      write: '*',
      actions: new Set(['read']),
    };
    const otherPurpose: Actor = {
      kind: 'api_key',
      id: 'k2',
      read: '*',
      write: new Set(['newsletter']),
      actions: new Set(['write']),
    };
    await expect(write(readOnly, batch('oona.luku@example.com'))).rejects.toMatchObject({
      code: 'forbidden',
    });
    await expect(write(otherPurpose, batch('oona.muu@example.com'))).rejects.toMatchObject({
      code: 'forbidden',
    });
    expect(await snapshot(t.db.handle)).toEqual(before);
  });

  it('refuses values in a category the batch purpose does not use, and writes nothing', async () => {
    const { bulkValues } = t.services.subjects;
    const newsletterOnly: Actor = {
      kind: 'api_key',
      id: 'k3',
      read: '*',
      write: new Set(['newsletter']),
      actions: new Set(['write']),
    };
    // Checked for a purpose the actor may not write under (notes are not the newsletter's), then
    // handed to the bulk writer under the newsletter: the writer itself must refuse the notes.
    const values = bulkValues.check(
      'customer_relationship',
      {
        identity: { firstName: 'Oona' },
        contact: { email: 'oona.notes@example.com' },
        notes: { note: 'not for the newsletter' },
      },
      'create',
    );
    const meta = {
      source: 'partner',
      purpose: 'newsletter',
      collectedAt: new Date().toISOString(),
    };
    const before = await snapshot(t.db.handle);
    await expect(
      write(newsletterOnly, {
        ...batch('oona.unused@example.com'),
        purpose: 'newsletter',
        records: [
          { line: 1, values, row: bulkValues.seal(values, meta, bulkValues.emailIndex(values)) },
        ],
      }),
    ).rejects.toMatchObject({ code: 'forbidden' });
    expect(await snapshot(t.db.handle)).toEqual(before);
  });

  it('merges only for an actor that may also read under the purpose, as rectification does', async () => {
    const writeOnly: Actor = {
      kind: 'api_key',
      id: 'k4',
      read: new Set(),
      write: '*',
      actions: new Set(['write']),
    };
    const before = await snapshot(t.db.handle);
    await expect(
      write(writeOnly, { ...batch('oona.merge@example.com'), dedupe: 'merge' }),
    ).rejects.toMatchObject({ code: 'forbidden' });
    expect(await snapshot(t.db.handle)).toEqual(before);
  });

  it('writes a batch for an authorised actor, and skips the same person the second time', async () => {
    expect(await write(operator, batch('oona.kirjoitus@example.com'))).toEqual({
      created: 1,
      merged: 0,
      skipped: 0,
      rejected: [],
    });
    expect(await write(operator, batch('oona.kirjoitus@example.com'))).toMatchObject({
      created: 0,
      skipped: 1,
    });
  });
});
