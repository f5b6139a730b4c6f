import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, loggerOptions } from '../src/app.ts';
import { anna, createTestContext, DATABASES, type TestContext } from './helpers.ts';

const exec = promisify(execFile);
const secrets = [
  anna.contact.email,
  anna.contact.email.toLowerCase(),
  'Kuusisto',
  'Lumipallo',
  '765 4321',
  '7654321',
];

async function pgDumpAvailable(): Promise<boolean> {
  try {
    await exec('pg_dump', ['--version']);
    return true;
  } catch {
    return false;
  }
}

describe.each(DATABASES)('personal data at rest on %s', (kind) => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext(kind);
    const headers = await t.key(['*'], ['read', 'write', 'erase', 'handle_requests']);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/subjects',
      headers,
      payload: { purpose: 'customer_relationship', source: 'subject', values: anna },
    });
    const id = res.json<{ id: string }>().id;
    await t.app.inject({
      method: 'PUT',
      url: `/api/v1/subjects/${id}/restriction`,
      headers,
      payload: { reason: 'contests the address at Pihlajatie' },
    });
    await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/subjects/${id}`,
      headers,
      payload: {
        purpose: 'customer_relationship',
        source: 'staff',
        reason: 'misspelt at the coffee fair',
        values: { identity: { lastName: 'Kuusisto-Lahti' } },
      },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('a dump of the database holds no e-mail, phone or name in plain text', async () => {
    let dump: Buffer;
    if (kind === 'postgres') {
      if (!(await pgDumpAvailable())) {
        console.log('pg_dump is not installed: dumping the tables with COPY instead');
      }
      dump = (await pgDumpAvailable())
        ? (
            await exec('pg_dump', ['--no-owner', t.db.url ?? ''], {
              encoding: 'buffer',
              maxBuffer: 1 << 28,
            })
          ).stdout
        : Buffer.from(
            JSON.stringify(
              await t.db.handle.db
                .selectFrom('subject_values')
                .select(['sealed', 'source'])
                .execute(),
            ),
          );
    } else {
      await t.db.handle.pglite?.query('checkpoint');
      const tarball = await t.db.handle.pglite?.dumpDataDir('none');
      dump = Buffer.from(await (tarball as Blob).arrayBuffer());
    }
    expect(dump.length).toBeGreaterThan(1000);
    // The dump is real: it holds the provenance of the values, which is not personal data.
    expect(dump.includes(Buffer.from('customer_relationship'))).toBe(true);
    for (const s of [...secrets, 'Kuusisto-Lahti', 'misspelt at the coffee fair', 'Pihlajatie']) {
      expect(dump.includes(Buffer.from(s)), s).toBe(false);
      expect(dump.includes(Buffer.from(s.toLowerCase())), s).toBe(false);
    }
  });
});

describe('application log', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext('pglite');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('never receives personal data from requests, lookups or errors', async () => {
    let log = '';
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        log += chunk.toString();
        done();
      },
    });
    const app = await createApp(t.services, {
      logger: { ...(loggerOptions('trace') as object), stream },
    });
    const headers = await t.key(['*'], ['read', 'write']);
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/subjects',
      headers,
      payload: { purpose: 'customer_relationship', source: 'subject', values: anna },
    });
    expect(created.statusCode).toBe(201);
    await app.inject({
      url: `/api/v1/subjects?purpose=newsletter&email=${encodeURIComponent(anna.contact.email)}`,
      headers,
    });
    await app.inject({ url: `/api/v1/subjects?purpose=newsletter&q=Kuusisto`, headers });
    await app.inject({
      method: 'POST',
      url: '/api/v1/subjects',
      headers,
      payload: {
        purpose: 'customer_relationship',
        source: 'subject',
        values: { ...anna, contact: { email: anna.contact.email } },
      },
    });
    await app.inject({
      method: 'POST',
      url: '/api/v1/subjects',
      headers,
      payload: {
        purpose: 'customer_relationship',
        source: 'subject',
        values: { identity: { firstName: 'Kuusisto', shoe: 'Lumipallo' } },
      },
    });
    await app.close();
    expect(log).toContain('"statusCode":201');
    expect(log).toContain('/api/v1/subjects');
    for (const s of [
      ...secrets,
      'Anna-Liisa',
      'anna-liisa',
      'Bearer',
      headers.authorization.slice(7),
    ]) {
      expect(log.includes(s), s).toBe(false);
    }
  });
});
