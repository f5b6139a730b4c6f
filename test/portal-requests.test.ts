/**
 * The portal's side of data subjects' requests, through the real HTTP app on real databases:
 * a known and an unknown address get byte-for-byte the same answer (status, headers but the date,
 * body) and one mail each, and nothing of either says whether the person is held; the mailed
 * link works once, and a used, expired, forged or malformed one is refused alike; a verified
 * access request, once completed, yields a fresh download link only to its own address, and the
 * link downloads the ZIP once, recorded; a self-editable rectification is applied on
 * verification; the limits per e-mail address and per client address trip; bad input is refused
 * naming the field, changing nothing. Mail is read from the outbox, opened with the test's keys.
 */
import { randomBytes } from 'node:crypto';
import { unzipSync } from 'fflate';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.ts';
import { operator } from '../src/lib/actor.ts';
import { TEMPLATES, type TemplateName } from '../src/mail/index.ts';
import type { Locale } from '../src/mail/templates.ts';
import { loadDefinition } from '../src/modules/definition/loader.ts';
import { createPortalService, dueDate } from '../src/modules/requests/index.ts';
import { createServices, type Services } from '../src/services.ts';
import { createVault, type Vault } from '../src/vault/vault.ts';
import { newSubjectVia } from './factories.ts';
import {
  DATABASES,
  DEMO,
  openTestDatabase,
  openTestKeyStore,
  type TestDatabase,
} from './helpers.ts';

const PUBLIC = 'https://rekisteri.example.fi';
const KNOWN = 'anna.kuusisto@example.fi';
const UNKNOWN = 'ei.rekisterissa@example.org';
const BAD = 'vaarin@example.org';

interface Mail {
  id: string;
  to: string;
  template: string;
  subjectId: string | null;
  text: string;
  html: string;
}

describe.each(DATABASES)('portal requests on %s', { timeout: 120_000 }, (kind) => {
  let db: TestDatabase;
  let keyStore: Awaited<ReturnType<typeof openTestKeyStore>>;
  let services: Services;
  let vault: Vault;
  let app: FastifyInstance;
  let anna: { id: string };
  let now = new Date('2027-01-31T10:00:00Z');
  const clock = { now: () => now };

  beforeAll(async () => {
    db = await openTestDatabase(kind);
    keyStore = await openTestKeyStore(kind);
    vault = createVault(randomBytes(32));
    services = createServices({
      database: db.handle,
      keys: keyStore.keys,
      register: await loadDefinition(DEMO),
      vault,
      clock,
      publicUrl: PUBLIC,
    });
    app = await createApp(services);
    anna = await newSubjectVia(services, {
      values: {
        identity: { firstName: 'Anna', lastName: 'Kuusisto' },
        contact: { email: 'Anna.Kuusisto@Example.fi' },
      },
    });
  }, 180_000);
  afterAll(async () => {
    await app?.close();
    await keyStore?.dispose();
    await db?.dispose();
  });

  /** Every mail in the outbox, opened and rendered as it would be sent. */
  async function outbox(): Promise<Mail[]> {
    const rows = await db.handle.db.selectFrom('outbox').selectAll().orderBy('id').execute();
    const mails: Mail[] = [];
    for (const row of rows) {
      let plain: Buffer;
      if (row.subject_id === null) {
        plain = vault.openSecret(`outbox:${row.id}`, row.sealed);
      } else {
        const wrapped = await keyStore.keys.get(row.subject_id);
        const key = vault.unwrapSubjectKey(row.subject_id, wrapped!);
        plain = vault.open(key, `outbox:${row.id}:subject:${row.subject_id}`, row.sealed);
      }
      const { to, data } = JSON.parse(plain.toString('utf8')) as { to: string; data: never };
      const rendered = TEMPLATES[row.template as TemplateName].render(row.locale as Locale, data);
      mails.push({
        id: row.id,
        to,
        template: row.template,
        subjectId: row.subject_id,
        ...rendered,
      });
    }
    return mails;
  }
  const mailsTo = async (to: string, template: string) =>
    (await outbox()).filter((m) => m.to === to && m.template === template);
  const tokenIn = (mail: Mail, page: 'verify' | 'download') => {
    const m = new RegExp(`${PUBLIC}/requests/${page}#token=([A-Za-z0-9_-]{43})`).exec(mail.text);
    expect(m, 'the link, its token in the fragment').not.toBeNull();
    return m![1]!;
  };
  const count = async (table: 'requests' | 'outbox' | 'request_tokens') =>
    Number(
      (
        await db.handle.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  let ip = 0;
  /** A client address of its own for each call unless given: the per-address limit stays out. */
  const post = (url: string, payload: unknown, remoteAddress = `192.0.2.${++ip}`) =>
    app.inject({
      method: 'POST',
      url: `/api/v1/portal/${url}`,
      payload: payload as object,
      remoteAddress,
    });
  const headersOf = (res: LightMyRequestResponse) => {
    const h = { ...res.headers };
    delete h.date;
    return h;
  };
  const problem = (res: LightMyRequestResponse) => {
    expect(res.headers['content-type']).toContain('application/problem+json');
    return res.json<{ status: number; detail: string; errors?: Array<{ field: string }> }>();
  };

  let annaToken = '';

  it('answers a known and an unknown address byte for byte alike, and mails each one link', async () => {
    const before = await outbox();
    const known = await post(
      'requests',
      { type: 'access', email: KNOWN, lang: 'fi' },
      '192.0.2.200',
    );
    const unknown = await post(
      'requests',
      { type: 'access', email: UNKNOWN, lang: 'fi' },
      '192.0.2.201',
    );
    expect(known.statusCode).toBe(202);
    expect(unknown.statusCode).toBe(known.statusCode);
    expect(unknown.rawPayload.equals(known.rawPayload)).toBe(true);
    expect(known.json()).toEqual({ status: 'sent' });
    expect(headersOf(unknown)).toEqual(headersOf(known));
    expect(known.headers['set-cookie']).toBeUndefined();

    const after = await outbox();
    expect(after.length - before.length).toBe(2);
    const [toAnna] = await mailsTo(KNOWN, 'request-verify');
    const [toOther] = await mailsTo(UNKNOWN, 'request-verify');
    // Neither mail is tied to a person, and they differ only in their link's token.
    expect(toAnna!.subjectId).toBeNull();
    expect(toOther!.subjectId).toBeNull();
    annaToken = tokenIn(toAnna!, 'verify');
    const otherToken = tokenIn(toOther!, 'verify');
    expect(toAnna!.text.replace(annaToken, 'T')).toBe(toOther!.text.replace(otherToken, 'T'));
    expect(toAnna!.html.replace(annaToken, 'T')).toBe(toOther!.html.replace(otherToken, 'T'));
    expect(toAnna!.text).toContain('24');

    // Both wait for their identity, neither matched to anyone yet.
    const rows = await db.handle.db
      .selectFrom('requests')
      .select(['state', 'subject_id', 'due_on', 'channel'])
      .execute();
    expect(rows).toHaveLength(2);
    for (const r of rows) {
      expect(r).toEqual({
        state: 'identity_pending',
        subject_id: null,
        due_on: null,
        channel: 'portal',
      });
    }
    // Only the token's hash is stored.
    const stored = await db.handle.db.selectFrom('request_tokens').select('token_hash').execute();
    expect(stored.map((s) => s.token_hash.length)).toEqual([32, 32]);
    expect(stored.some((s) => s.token_hash.toString('base64url') === annaToken)).toBe(false);
  });

  it('verifies with the link once; a used, forged, malformed or expired link is refused alike', async () => {
    const ok = await post('verify', { token: annaToken });
    expect(ok.statusCode).toBe(200);
    const body = ok.json<{ request: string; type: string; state: string; dueAt: string }>();
    expect(body).toEqual({
      request: expect.any(String),
      type: 'access',
      state: 'in_progress',
      dueAt: dueDate(now),
    });
    // 31 January (Helsinki) + one month = 28 February, a Sunday: the next working day.
    expect(body.dueAt).toBe('2027-03-01');
    const row = await db.handle.db
      .selectFrom('requests')
      .select(['subject_id', 'identity_proof'])
      .where('id', '=', body.request)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ subject_id: anna.id, identity_proof: 'email_link' });

    // An expired one: a new request, its link opened a moment after 24 hours.
    await post('requests', { type: 'erasure', email: UNKNOWN, lang: 'en' });
    const mails = await mailsTo(UNKNOWN, 'request-verify');
    const late = tokenIn(mails.at(-1)!, 'verify');
    now = new Date(now.getTime() + 24 * 3600_000 + 1);

    const refusals = await Promise.all(
      [annaToken, late, randomBytes(32).toString('base64url'), 'not-a-token'].map((token) =>
        post('verify', { token }),
      ),
    );
    const bodies = refusals.map((r) => {
      expect(r.statusCode).toBe(404);
      return JSON.stringify(problem(r));
    });
    expect(new Set(bodies).size).toBe(1);
    expect(bodies[0]).toContain('token');
    expect(bodies[0]).not.toMatch(/expired"|used"|forged/);
  });

  /** The request registered last (ids are time-ordered). */
  const lastRequest = async () =>
    db.handle.db
      .selectFrom('requests')
      .select(['id', 'state', 'subject_id', 'due_on'])
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirstOrThrow();
  const stepsOf = async (id: string) =>
    (
      await db.handle.db
        .selectFrom('request_events')
        .select('step')
        .where('request_id', '=', id)
        .orderBy('seq')
        .execute()
    ).map((e) => e.step);
  /** Submits a request from the portal and answers its mailed verification token. */
  const submitted = async (email: string, type = 'access') => {
    expect((await post('requests', { type, email, lang: 'en' })).statusCode).toBe(202);
    return tokenIn((await mailsTo(email, 'request-verify')).at(-1)!, 'verify');
  };

  it('verifies an unregistered address too: the clock starts, no one is matched', async () => {
    const token = await submitted('kukaan.ei@example.org');
    const ok = await post('verify', { token });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ type: 'access', state: 'in_progress', dueAt: dueDate(now) });
    expect(await lastRequest()).toMatchObject({
      state: 'in_progress',
      subject_id: null,
      due_on: expect.any(Date),
    });
  });

  it('uses the link only with a proof that succeeded: a failed proof leaves it usable', async () => {
    const token = await submitted('toinen.yritys@example.org');
    const { id } = await lastRequest();
    let failures = 1;
    const flaky = createPortalService({
      db: db.handle.db,
      clock,
      register: services.register,
      audit: services.audit,
      mail: services.mail,
      subjects: services.subjects,
      publicUrl: PUBLIC,
      keys: keyStore.keys,
      vault,
      ports: {
        rectifyBySubject: () => Promise.reject(new Error('not used')),
        buildAccessPackage: () => Promise.reject(new Error('not used')),
      },
      requests: {
        submit: (...args) => services.requests.submit(...args),
        get: (...args) => services.requests.get(...args),
        closeSelfRectified: (...args) => services.requests.closeSelfRectified(...args),
        proveIdentity: (...args) =>
          failures-- > 0
            ? Promise.reject(new Error('the database went away'))
            : services.requests.proveIdentity(...args),
      },
    });
    await expect(flaky.verify(token)).rejects.toThrow('the database went away');
    expect(await lastRequest()).toMatchObject({ id, state: 'identity_pending', due_on: null });
    const ok = await post('verify', { token });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ request: id, state: 'in_progress', dueAt: dueDate(now) });
  });

  it('refuses two uses of one link at once but one, and a cancelled request’s link, alike', async () => {
    const refusal = await post('verify', { token: randomBytes(32).toString('base64url') });
    expect(refusal.statusCode).toBe(404);

    const token = await submitted('kahdesti@example.org');
    const both = await Promise.all([post('verify', { token }), post('verify', { token })]);
    expect(both.map((r) => r.statusCode).sort()).toEqual([200, 404]);
    const lost = both.find((r) => r.statusCode === 404)!;
    expect(lost.rawPayload.equals(refusal.rawPayload)).toBe(true);

    const cancelledToken = await submitted('peruttu@example.org');
    const { id } = await lastRequest();
    await services.requests.cancel(operator, id, { reason: 'asked by phone to cancel' });
    const steps = await stepsOf(id);
    const res = await post('verify', { token: cancelledToken });
    expect(res.statusCode).toBe(404);
    expect(res.rawPayload.equals(refusal.rawPayload)).toBe(true);
    expect(await lastRequest()).toMatchObject({ id, state: 'cancelled', due_on: null });
    expect(await stepsOf(id)).toEqual(steps);
  });

  it('applies a self-editable rectification on verification; refuses one of a field staff correct, changing nothing', async () => {
    const before = { requests: await count('requests'), outbox: await count('outbox') };
    const refused = await post('requests', {
      type: 'rectification',
      email: KNOWN,
      lang: 'sv',
      changes: [{ category: 'contact', field: 'email', value: 'uusi@example.fi' }],
    });
    expect(refused.statusCode).toBe(400);
    expect(problem(refused).errors?.map((e) => e.field)).toEqual(['changes[0].field']);
    expect({ requests: await count('requests'), outbox: await count('outbox') }).toEqual(before);

    const completedBefore = (await mailsTo(KNOWN, 'request-completed')).length;
    const sent = await post('requests', {
      type: 'rectification',
      email: KNOWN,
      lang: 'sv',
      changes: [{ category: 'identity', field: 'lastName', value: 'Kuusisto-Oja' }],
    });
    expect(sent.statusCode).toBe(202);
    const token = tokenIn((await mailsTo(KNOWN, 'request-verify')).at(-1)!, 'verify');
    const verified = await post('verify', { token });
    expect(verified.statusCode).toBe(200);
    expect(verified.json()).toMatchObject({ type: 'rectification' });
    const person = await services.subjects.getSubject(operator, anna.id, 'customer_relationship');
    expect(person.categories.identity?.lastName?.value).toBe('Kuusisto-Oja');
    // Every change was the person's own to make: the request is done, and they are told so.
    expect(await lastRequest()).toMatchObject({ state: 'completed' });
    expect(await mailsTo(KNOWN, 'request-completed')).toHaveLength(completedBefore + 1);
  });

  it('mails a download link only for a completed access request of that address; the link downloads the ZIP once', async () => {
    const [req] = await db.handle.db
      .selectFrom('requests')
      .select('id')
      .where('subject_id', '=', anna.id)
      .where('type', '=', 'access')
      .execute();
    const id = req!.id;
    // Before completion: the same answer, and no link.
    const early = await post('download-links', { request: id, email: KNOWN, lang: 'en' });
    expect(early.statusCode).toBe(202);
    expect(await mailsTo(KNOWN, 'request-download')).toHaveLength(0);

    await services.requests.complete(operator, id);
    const wrong = await post('download-links', { request: id, email: UNKNOWN, lang: 'en' });
    const noSuch = await post('download-links', {
      request: '0190c6a4-1f2e-7b3c-8d4e-5f6a7b8c9d0e',
      email: KNOWN,
      lang: 'en',
    });
    const right = await post('download-links', {
      request: id,
      email: 'ANNA.kuusisto@example.fi',
      lang: 'en',
    });
    for (const res of [early, wrong, noSuch]) {
      expect(res.statusCode).toBe(right.statusCode);
      expect(res.rawPayload.equals(right.rawPayload)).toBe(true);
    }
    expect(await mailsTo(UNKNOWN, 'request-download')).toHaveLength(0);
    const links = await mailsTo(KNOWN, 'request-download');
    expect(links).toHaveLength(1);
    expect(links[0]!.subjectId).toBe(anna.id);
    expect(links[0]!.text).toContain('30');
    const token = tokenIn(links[0]!, 'download');

    const zip = await post('downloads', { token });
    expect(zip.statusCode).toBe(200);
    expect(zip.headers['content-type']).toBe('application/zip');
    expect(zip.headers['content-disposition']).toMatch(
      /^attachment; filename="access-copy-[\d-]+\.zip"$/,
    );
    expect(zip.headers['cache-control']).toBe('no-store');
    const files = unzipSync(new Uint8Array(zip.rawPayload));
    expect(Object.keys(files).length).toBeGreaterThan(1);
    expect(JSON.stringify(Object.keys(files))).toMatch(/\.json/);

    const again = await post('downloads', { token });
    expect(again.statusCode).toBe(404);
    const logged = await db.handle.db
      .selectFrom('audit_events')
      .select('action')
      .where('action', 'in', ['request.download', 'request.download_link'])
      .execute();
    expect(logged.map((l) => l.action).sort()).toEqual([
      'request.download',
      'request.download_link',
    ]);
    const steps = await db.handle.db
      .selectFrom('request_events')
      .select('step')
      .where('request_id', '=', id)
      .execute();
    expect(steps.map((s) => s.step)).toEqual(
      expect.arrayContaining(['download_link', 'downloaded']),
    );

    // A link past its 30 minutes is refused like a used one.
    await post('download-links', { request: id, email: KNOWN, lang: 'en' });
    const later = tokenIn((await mailsTo(KNOWN, 'request-download')).at(-1)!, 'download');
    now = new Date(now.getTime() + 30 * 60_000 + 1);
    const expired = await post('downloads', { token: later });
    expect(expired.statusCode).toBe(404);
    expect(expired.rawPayload.equals(again.rawPayload)).toBe(true);
  });

  it('logs no read for a wrong address, and does not tell that a person was erased', async () => {
    // A fresh hour: the per-address counters of the tests before are spent.
    now = new Date(now.getTime() + 2 * 3600_000);
    const [req] = await db.handle.db
      .selectFrom('requests')
      .select('id')
      .where('subject_id', '=', anna.id)
      .where('type', '=', 'access')
      .execute();
    const id = req!.id;
    const reads = () =>
      db.handle.db
        .selectFrom('audit_events')
        .select('id')
        .where('action', '=', 'request.read')
        .execute()
        .then((r) => r.length);
    const readsBefore = await reads();
    const probe = await post('download-links', { request: id, email: BAD, lang: 'en' });
    expect(probe.statusCode).toBe(202);
    expect(await reads()).toBe(readsBefore);

    const linksBefore = (await mailsTo(KNOWN, 'request-download')).length;
    expect(
      (await post('download-links', { request: id, email: KNOWN, lang: 'en' })).statusCode,
    ).toBe(202);
    const links = await mailsTo(KNOWN, 'request-download');
    expect(links).toHaveLength(linksBefore + 1);
    const token = tokenIn(links.at(-1)!, 'download');
    const refusal = await post('downloads', { token: randomBytes(32).toString('base64url') });

    await services.subjects.eraseSubject(operator, anna.id, 'request');
    const outboxBefore = await count('outbox');
    const afterErasure = await post('download-links', { request: id, email: KNOWN, lang: 'en' });
    expect(afterErasure.statusCode).toBe(202);
    expect(afterErasure.rawPayload.equals(probe.rawPayload)).toBe(true);
    expect(await count('outbox')).toBe(outboxBefore);
    const download = await post('downloads', { token });
    expect(download.statusCode).toBe(404);
    expect(download.rawPayload.equals(refusal.rawPayload)).toBe(true);
  });

  it('refuses bad input naming the field, changing nothing', async () => {
    const before = {
      requests: await count('requests'),
      outbox: await count('outbox'),
      tokens: await count('request_tokens'),
    };
    const cases: Array<[string, unknown, string]> = [
      ['requests', { type: 'access', email: BAD, lang: 'fi', extra: 1 }, 'extra'],
      ['requests', { type: 'access', email: 'not an address', lang: 'fi' }, 'email'],
      ['requests', { type: 'everything', email: BAD, lang: 'fi' }, 'type'],
      ['requests', { type: 'access', email: BAD, lang: 'de' }, 'lang'],
      [
        'requests',
        {
          type: 'access',
          email: BAD,
          lang: 'fi',
          changes: [{ category: 'identity', field: 'lastName', value: 'X' }],
        },
        'changes',
      ],
      [
        'requests',
        {
          type: 'rectification',
          email: BAD,
          lang: 'fi',
          changes: [{ category: 'identity', field: 'lastName', value: 'X', note: 1 }],
        },
        'note',
      ],
      ['verify', { token: annaToken, more: true }, 'more'],
      ['download-links', { request: 'nope', email: BAD, lang: 'fi' }, 'request'],
      ['downloads', {}, 'token'],
    ];
    for (const [url, payload, field] of cases) {
      const res = await post(url, payload);
      expect(res.statusCode, `${url} ${field}`).toBe(400);
      expect(JSON.stringify(problem(res).errors ?? [])).toContain(field);
    }
    expect({
      requests: await count('requests'),
      outbox: await count('outbox'),
      tokens: await count('request_tokens'),
    }).toEqual(before);
  });

  it('limits requests per e-mail address (known or not) and per client address, naming what was limited', async () => {
    for (const email of ['raja@example.org', KNOWN]) {
      const answers: number[] = [];
      for (let i = 0; i < 6; i++) {
        answers.push(
          (await post('download-links', { request: randomUuid(), email, lang: 'fi' })).statusCode,
        );
      }
      // KNOWN has used some of its five already; each address is refused past five, alike.
      expect(answers.at(-1)).toBe(429);
    }
    // Five requests made in someone's name use up new requests for the address, not its
    // download links: a counter of their own.
    const victim = 'oikea.ihminen@example.org';
    for (let i = 0; i < 5; i++) {
      expect(
        (await post('requests', { type: 'access', email: victim, lang: 'fi' })).statusCode,
      ).toBe(202);
    }
    const before = await count('requests');
    const refused = await post('requests', { type: 'access', email: victim, lang: 'fi' });
    expect(refused.statusCode).toBe(429);
    expect(problem(refused).detail).toContain('e-mail address');
    expect(refused.headers['retry-after']).toBeDefined();
    expect(await count('requests')).toBe(before);
    expect(
      (await post('download-links', { request: randomUuid(), email: victim, lang: 'fi' }))
        .statusCode,
    ).toBe(202);
    const from = '203.0.113.9';
    for (let i = 0; i < 30; i++) {
      expect(
        (await post('verify', { token: randomBytes(32).toString('base64url') }, from)).statusCode,
      ).toBe(404);
    }
    const limited = await post(
      'requests',
      { type: 'access', email: 'toinen@example.org', lang: 'fi' },
      from,
    );
    expect(limited.statusCode).toBe(429);
    expect(problem(limited).detail).toContain('portal from this address');
    // Another client address is not limited by it.
    expect(
      (await post('requests', { type: 'access', email: 'toinen@example.org', lang: 'fi' }))
        .statusCode,
    ).toBe(202);
  });

  it('deletes portal requests nobody verified a day after their link expired, keys and tokens too', async () => {
    const pending = async () =>
      (
        await db.handle.db
          .selectFrom('requests')
          .select('id')
          .where('state', '=', 'identity_pending')
          .orderBy('id')
          .execute()
      ).map((r) => r.id);
    const open = (await db.handle.db.selectFrom('requests').select('id').execute()).length;
    const older = await pending();
    await submitted('unohtunut@example.org');
    const forgotten = (await lastRequest()).id;
    now = new Date(now.getTime() + 47 * 3600_000);
    await submitted('tuore@example.org');
    const fresh = (await lastRequest()).id;
    // 47 hours on: the first link expired 23 hours ago, within the day's grace.
    const first = await services.portal.purgeUnverified();
    expect(await pending()).toEqual(expect.arrayContaining([forgotten, fresh]));

    now = new Date(now.getTime() + 2 * 3600_000);
    expect(first + (await services.portal.purgeUnverified())).toBe(older.length + 1);
    expect(await pending()).toEqual([fresh]);
    expect(await keyStore.keys.get(forgotten)).toBeUndefined();
    expect(await keyStore.keys.get(fresh)).toBeDefined();
    const tokens = await db.handle.db
      .selectFrom('request_tokens')
      .select('request_id')
      .where('request_id', 'in', [forgotten, ...older])
      .execute();
    expect(tokens).toEqual([]);
    // Requests that were verified stay.
    expect((await db.handle.db.selectFrom('requests').select('id').execute()).length).toBe(
      open - older.length + 1,
    );
    expect(await services.portal.pruneTokens()).toBeGreaterThanOrEqual(0);
  });
});

function randomUuid(): string {
  return crypto.randomUUID();
}
