/**
 * Campaigns (issue 11, item 8; docs/campaigns.md), delivered to a real SMTP server on loopback and
 * read back with a MIME parser, on each database: each person mailed in their language with the
 * RFC 8058 headers and their own unsubscribe link; a person who unsubscribes (one POST, no cookie)
 * after the campaign started is skipped with the reason; a connection the server drops after
 * reading the message leaves the mail `uncertain` and it is never handed over again, while a
 * refusal before the message is retried; a run that stopped re-queues only what it had not
 * attempted; a complaint withdraws the consent in the ledger (in one transaction: nothing for an
 * erased person); only a report on a mail we sent counts, and a bounce keeps the address out for
 * 180 days; a per-campaign rate no higher than the server's; bad input is refused naming the field
 * and writes nothing; no right, 403, and another purpose's caller learns nothing (404 alike).
 */
import type { AddressInfo, Socket } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import pg from 'pg';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.ts';
import { createRunner } from '../src/jobs/index.ts';
import { operator } from '../src/lib/actor.ts';
import type { AppError } from '../src/lib/errors.ts';
import { openDatabase } from '../src/db/database.ts';
import { createServices } from '../src/services.ts';
import { readReport } from '../src/modules/campaigns/index.ts';
import { campaignsRepo } from '../src/modules/campaigns/campaigns.repo.ts';
import { createVault } from '../src/vault/vault.ts';
import { newSubjectVia, tag } from './factories.ts';
import { createTestContext, DATABASES, DEMO, type TestContext } from './helpers.ts';

interface Received {
  rcpt: string[];
  mail: ParsedMail;
  raw: string;
}

/**
 * What the server does with the next mail to an address: drop the connection once it has the
 * whole message (before answering it), refuse the recipient for now (451), or refuse the message
 * after reading it (554); `tempfail_always` refuses the recipient for now every time (451).
 */
type Misbehaviour = 'drop_after_data' | 'tempfail_rcpt' | 'reject_data' | 'tempfail_always';

/**
 * A real SMTP server on loopback that keeps what it is given: each message it read to the end is
 * one delivery attempt, whatever it answered (`received`); `misbehave` sets what it does, once, for
 * the next mail to an address.
 */
async function smtpServer() {
  const received: Received[] = [];
  const plans = new Map<string, Misbehaviour>();
  const sockets = new Map<number, Socket>();
  const take = (rcpt: string[], what: Misbehaviour) => {
    const to = rcpt.find((r) => plans.get(r) === what);
    if (to !== undefined) {
      plans.delete(to);
    }
    return to !== undefined;
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (
        plans.get(address.address) === 'tempfail_always' ||
        take([address.address], 'tempfail_rcpt')
      ) {
        const err = Object.assign(new Error('Mailbox busy, try again later'), {
          responseCode: 451,
        });
        callback(err);
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const rcpt = session.envelope.rcptTo.map((r) => r.address);
        simpleParser(raw).then(
          (mail) => {
            received.push({ rcpt, mail, raw });
            if (take(rcpt, 'drop_after_data')) {
              // The whole message is here; the connection drops before the server answers.
              sockets.get(session.remotePort)?.destroy();
              return;
            }
            if (take(rcpt, 'reject_data')) {
              callback(Object.assign(new Error('Message refused'), { responseCode: 554 }));
              return;
            }
            callback();
          },
          (err: Error) => callback(err),
        );
      });
    },
  });
  server.server.on('connection', (socket: Socket) => {
    const port = socket.remotePort;
    if (port !== undefined) {
      sockets.set(port, socket);
      socket.on('close', () => sockets.delete(port));
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    misbehave: (address: string, what: Misbehaviour) => plans.set(address, what),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** A header's value as sent (unfolded). */
const rawHeader = (raw: string, name: string) =>
  new RegExp(`^${name}:[ \\t]*((?:.*)(?:\\r?\\n[ \\t].*)*)`, 'im')
    .exec(raw.split(/\r?\n\r?\n/)[0] ?? '')?.[1]
    ?.replace(/\r?\n[ \t]+/g, ' ')
    .trim();

const WORDING = { text: 'Saa lähettää uutiskirjeen sähköpostiini.', language: 'fi' as const };
const CONTENT = {
  sv: { subject: 'Höstens nyheter', body: 'Hej!\n\nVåra höstnyheter är här.' },
  fi: { subject: 'Syksyn uutiset', body: 'Hei!\n\nSyksyn uutuudet ovat täällä.' },
};

describe.each(DATABASES)('campaigns on %s', { timeout: 120_000 }, (kind) => {
  let t: TestContext;
  let smtp: Awaited<ReturnType<typeof smtpServer>>;
  let marketer: { authorization: string };
  const SMTP_FROM = 'Paahtimo Oy <uutiset@example.fi>';

  const person = async (lastName: string, mark: string, language?: string) => {
    const email = `${lastName.toLowerCase()}.${mark}@example.com`;
    const p = await newSubjectVia(t.services, {
      values: {
        identity: { firstName: 'Kampanja', lastName },
        contact: { email, ...(language ? { language } : {}) },
      },
    });
    await t.services.permissions.record(
      operator,
      p.id,
      [{ kind: 'newsletter', channel: 'email', state: 'granted' }],
      { method: 'staff', wording: WORDING },
    );
    return { id: p.id, email };
  };
  const api = (method: 'GET' | 'POST', url: string, body?: unknown, headers = marketer) =>
    t.app.inject({
      method,
      url: `/api/v1${url}`,
      headers,
      ...(body === undefined ? {} : { payload: body as object }),
    });
  const draft = async (mark: string, extra: Record<string, unknown> = {}) => {
    const res = await api('POST', '/campaigns', {
      name: `Syksy ${mark}`,
      purpose: 'newsletter',
      channel: 'email',
      filters: [{ field: 'contact.email', op: 'contains', value: mark }],
      content: CONTENT,
      ...extra,
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ id: string; state: string }>();
  };
  /** Time passes: each deferred person's wait is over. */
  const deferralsDue = () =>
    sql`update campaign_sends set not_before = now() where not_before > now()`.execute(
      t.db.handle.db,
    );
  /**
   * Runs the campaign's batches until it is no longer sending (each batch made due at once, and
   * each deferred person's wait over).
   */
  const sendAll = async (services = t.services, id?: string) => {
    const runner = createRunner({ db: t.db.handle.db, jobs: services.campaigns.jobs });
    for (let i = 0; i < 50; i++) {
      await sql`update jobs set run_at = now() where name = 'campaigns.send'`.execute(
        t.db.handle.db,
      );
      await deferralsDue();
      await runner.drainQueue();
      if (id) {
        const c = await services.campaigns.get(operator, id);
        if (c.state !== 'sending') {
          return c;
        }
      }
    }
    return undefined;
  };
  const mailsTo = (email: string) => smtp.received.filter((r) => r.rcpt.includes(email));

  beforeAll(async () => {
    smtp = await smtpServer();
    // Two mails a batch: a campaign of three takes two batches.
    t = await createTestContext(kind, DEMO, {
      smtp: { url: smtp.url, from: SMTP_FROM },
      campaigns: { ratePerMinute: 2, windowMs: 60_000 },
      publicUrl: 'https://rekisteri.example.fi',
    });
    marketer = await t.key(['newsletter'], ['read', 'export_audiences']);
  });
  afterAll(async () => {
    t?.services.mail.close();
    await t?.close();
    await smtp?.close();
  });

  it('mails each person in their language with the RFC 8058 headers, and skips one who unsubscribed after the start', async () => {
    const mark = tag();
    const swede = await person('Svensson', mark, 'sv');
    const finn = await person('Virtanen', mark, 'fi');
    const english = await person('Smith', mark, 'en');
    const leaving = await person('Lähtijä', mark, 'fi');
    const campaign = await draft(mark);
    expect(campaign.state).toBe('draft');
    // Four people under a filter: fewer than the smallest group a count tells exactly.
    expect((await api('GET', `/campaigns/${campaign.id}/count`)).json()).toEqual({
      count: 0,
      fewerThan: 5,
    });

    const started = await api('POST', `/campaigns/${campaign.id}/start`);
    expect(started.statusCode, started.body).toBe(200);
    expect(started.json()).toMatchObject({
      state: 'sending',
      progress: { total: 4, queued: 4, sent: 0 },
    });

    // A second after the start, one person unsubscribes with one POST and no cookie.
    const link = t.services.unsubscribeLinks.url(
      t.services.unsubscribeLinks.issue({
        subjectId: leaving.id,
        purpose: 'newsletter',
        channel: 'email',
      }),
    );
    const unsubscribed = await t.app.inject({
      method: 'POST',
      url: new URL(link).pathname,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'List-Unsubscribe=One-Click',
    });
    expect(unsubscribed.statusCode).toBe(200);

    const done = await sendAll(t.services, campaign.id);
    expect(done).toMatchObject({
      state: 'finished',
      progress: { total: 4, sent: 3, skipped: 1, queued: 0, failed: 0 },
    });
    expect(mailsTo(leaving.email)).toHaveLength(0);

    const sends = (await api('GET', `/campaigns/${campaign.id}/sends?limit=10`)).json<{
      items: Array<{
        subjectId: string;
        state: string;
        reason: string | null;
        messageId: string | null;
        locale: string | null;
      }>;
    }>().items;
    expect(sends.find((s) => s.subjectId === leaving.id)).toMatchObject({
      state: 'skipped',
      reason: 'withdrawn',
    });

    for (const [who, subject, locale] of [
      [swede, 'Höstens nyheter', 'sv'],
      [finn, 'Syksyn uutiset', 'fi'],
      // No English text: the register's first language (the language field's first value, fi).
      [english, 'Syksyn uutiset', 'fi'],
    ] as const) {
      const [got, ...more] = mailsTo(who.email);
      expect(more).toHaveLength(0);
      expect(got?.mail.subject).toBe(subject);
      expect(got?.mail.from?.text).toContain('uutiset@example.fi');
      const send = sends.find((s) => s.subjectId === who.id);
      expect(send).toMatchObject({ state: 'sent', locale });
      expect(got?.mail.messageId).toBe(send?.messageId);
      const raw = got?.raw ?? '';
      expect(rawHeader(raw, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
      const header = rawHeader(raw, 'List-Unsubscribe') ?? '';
      const url = /^<(https?:\/\/[^>]+\/u\/([A-Za-z0-9_-]+))>$/.exec(header);
      expect(url, header).not.toBeNull();
      // Opaque: the token does not show the person's id; it opens to them, the purpose, the channel.
      expect(header).not.toContain(who.id);
      expect(t.services.unsubscribeLinks.open(url?.[2] ?? '')).toMatchObject({
        subjectId: who.id,
        purpose: 'newsletter',
        channel: 'email',
      });
      // The same link in the text.
      expect(got?.mail.text).toContain(url?.[1]);
    }

    // The swede unsubscribes with the mail's own header: one POST, no cookie, 200 without redirect.
    const header = rawHeader(mailsTo(swede.email)[0]?.raw ?? '', 'List-Unsubscribe') ?? '';
    const res = await t.app.inject({
      method: 'POST',
      url: new URL(header.slice(1, -1)).pathname,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'List-Unsubscribe=One-Click',
    });
    expect(res.statusCode).toBe(200);
    const after = await t.services.permissions.decide({
      purpose: 'newsletter',
      subjectId: swede.id,
      channel: 'email',
    });
    expect(after.allowed).toBe(false);
    // The access log holds the start (with the number of recipients) and the end.
    const log = await t.services.audit.list({ limit: 500 });
    expect(log.find((e) => e.action === 'campaign.start')?.data).toMatchObject({
      campaign: campaign.id,
      recipients: 4,
    });
    expect(log.find((e) => e.action === 'campaign.finish')?.data).toMatchObject({
      campaign: campaign.id,
      sent: 3,
      skipped: 1,
    });
  });

  it('skips a person restricted after the start with the reason restricted, though the marketer’s own check answers as for an unknown id', async () => {
    const mark = tag();
    const restricted = await person('Rajoitettu', mark, 'fi');
    const campaign = await draft(mark);
    expect((await api('POST', `/campaigns/${campaign.id}/start`)).statusCode).toBe(200);
    await t.services.subjects.setRestriction(
      operator,
      restricted.id,
      'Tietojen oikeellisuus kiistetty',
    );
    // The marketer's check tells the restricted person from no one not at all.
    const check = await api(
      'GET',
      `/permissions/check?purpose=newsletter&channel=email&subject=${restricted.id}`,
    );
    expect(check.statusCode, check.body).toBe(200);
    expect(check.json()).toMatchObject({ allowed: false, reason: { code: 'unknown_subject' } });
    // The campaign's own check before the mail still knows why, and skips them.
    const done = await sendAll(t.services, campaign.id);
    expect(done?.progress).toMatchObject({ total: 1, skipped: 1, sent: 0 });
    expect(mailsTo(restricted.email)).toHaveLength(0);
    expect(
      await t.db.handle.db
        .selectFrom('campaign_sends')
        .select(['state', 'reason'])
        .where('campaign_id', '=', campaign.id)
        .executeTakeFirst(),
    ).toEqual({ state: 'skipped', reason: 'restricted' });
  });

  it('after a run stops mid-campaign, mails the claimed-but-unattempted person once and never retries an attempted one', async () => {
    const mark = tag();
    const people = [];
    for (const n of ['Aalto', 'Berg', 'Castrén', 'Dahl', 'Eskola']) {
      people.push(await person(n, mark));
    }
    const campaign = await draft(mark);
    expect((await api('POST', `/campaigns/${campaign.id}/start`)).statusCode).toBe(200);
    // The first batch (two mails); the next one waits for its window.
    await createRunner({ db: t.db.handle.db, jobs: t.services.campaigns.jobs }).drainQueue();
    const first = await t.services.campaigns.get(operator, campaign.id);
    expect(first.progress).toMatchObject({ sent: 2, queued: 3 });
    // The run stops (killed, or its job's lease lost) with two people claimed: the third before
    // their mail was handed to the SMTP server, the fourth while it was being handed over.
    const [third, fourth] = await t.db.handle.db
      .selectFrom('campaign_sends')
      .select('subject_id')
      .where('campaign_id', '=', campaign.id)
      .where('state', '=', 'queued')
      .orderBy('subject_id')
      .limit(2)
      .execute();
    for (const [who, attempted] of [
      [third, null],
      [fourth, new Date()],
    ] as const) {
      await t.db.handle.db
        .updateTable('campaign_sends')
        .set({
          state: 'sending',
          message_id: `<campaign.${who?.subject_id}@stopped.example>`,
          attempted_at: attempted,
        })
        .where('campaign_id', '=', campaign.id)
        .where('subject_id', '=', who?.subject_id as string)
        .execute();
    }

    // A new process on the same database picks the campaign up.
    const restarted = createServices({
      database: t.db.handle,
      keys: t.keys,
      register: t.register,
      vault: createVault(t.masterKey),
      mail: { smtp: { url: smtp.url, from: SMTP_FROM } },
      publicUrl: 'https://rekisteri.example.fi',
      campaigns: { ratePerMinute: 2, windowMs: 60_000 },
    });
    try {
      const done = await sendAll(restarted, campaign.id);
      expect(done).toMatchObject({
        state: 'finished',
        progress: { total: 5, sent: 4, uncertain: 1, failed: 0, queued: 0, sending: 0 },
      });
    } finally {
      restarted.mail.close();
    }
    for (const p of people) {
      expect(mailsTo(p.email).length, p.email).toBe(p.id === fourth?.subject_id ? 0 : 1);
    }
    // The third was never attempted: mailed now, with a Message-ID of its own.
    const [sentThird] = await t.services.campaigns.sends(operator, campaign.id, {
      after: people
        .map((p) => p.id)
        .filter((id) => id < (third?.subject_id as string))
        .sort()
        .at(-1),
      limit: 1,
    });
    expect(sentThird).toMatchObject({ subjectId: third?.subject_id, state: 'sent' });
    expect(sentThird?.messageId).toBe(
      mailsTo(people.find((p) => p.id === third?.subject_id)!.email)[0]?.mail.messageId,
    );
    // The fourth may have the mail: uncertain, shown to staff, never sent again by itself.
    const uncertain = await t.services.campaigns.sends(operator, campaign.id, {
      state: 'uncertain',
    });
    expect(uncertain).toEqual([
      expect.objectContaining({ subjectId: fourth?.subject_id, reason: 'interrupted' }),
    ]);
    const finish = (await t.services.audit.list({ limit: 500 })).find(
      (e) =>
        e.action === 'campaign.finish' &&
        (e.data as { campaign?: string }).campaign === campaign.id,
    );
    expect(finish?.data).toMatchObject({ sent: 4, uncertain: 1, failed: 0 });
    // Started again once finished: refused, nothing sent.
    const again = await api('POST', `/campaigns/${campaign.id}/start`);
    expect(again.statusCode).toBe(409);
  });

  it('a run that lost the campaign to another never mails the person the other took back', async () => {
    const mark = tag();
    const who = await person('Vuoro', mark);
    const campaign = await draft(mark);
    await api('POST', `/campaigns/${campaign.id}/start`);
    const db = t.db.handle.db;
    const c = await db
      .selectFrom('campaigns')
      .select(['id', 'generation'])
      .where('id', '=', campaign.id)
      .executeTakeFirstOrThrow();
    // Run A claims the person, then stalls (its job's lease runs out) before the mail goes.
    const mine = '<campaign.run-a@stalled.example>';
    expect(
      await campaignsRepo.claim(
        db,
        c,
        who.id,
        { messageId: mine, locale: 'fi', recipientIndex: null },
        new Date(),
      ),
    ).toBe(true);
    // Run B takes the job over: the claim was never attempted, so the person is queued again…
    expect(await campaignsRepo.markInterrupted(db, campaign.id, new Date())).toEqual({
      requeued: 1,
      uncertain: 0,
    });
    // …and run A, waking up, may no longer hand its mail over.
    expect(await campaignsRepo.attempt(db, campaign.id, who.id, mine, new Date())).toBe(false);
    const done = await sendAll(t.services, campaign.id);
    expect(done?.progress).toMatchObject({ sent: 1, uncertain: 0, failed: 0 });
    expect(mailsTo(who.email)).toHaveLength(1);
  });

  it('never mails twice when the connection drops after the message: uncertain, shown, not retried', async () => {
    const mark = tag();
    const dropped = await person('Katkos', mark);
    const deferred = await person('Viive', mark);
    const refused = await person('Torjuttu', mark);
    // At the server's rate (two a batch here): allowed.
    const campaign = await draft(mark, { ratePerMinute: 2 });
    smtp.misbehave(dropped.email, 'drop_after_data');
    smtp.misbehave(deferred.email, 'tempfail_rcpt');
    smtp.misbehave(refused.email, 'reject_data');
    await api('POST', `/campaigns/${campaign.id}/start`);
    const done = await sendAll(t.services, campaign.id);
    expect(done).toMatchObject({
      state: 'finished',
      progress: { total: 3, sent: 1, uncertain: 1, failed: 1, queued: 0, sending: 0 },
    });
    // The server read the dropped one's message once, and was never given it again.
    expect(mailsTo(dropped.email)).toHaveLength(1);
    // Refused for now at RCPT TO (before the message): retried, and delivered once.
    expect(mailsTo(deferred.email)).toHaveLength(1);
    // Refused after reading it (554): failed, not retried.
    expect(mailsTo(refused.email)).toHaveLength(1);
    const sends = (await api('GET', `/campaigns/${campaign.id}/sends`)).json<{
      items: Array<{ subjectId: string; state: string; reason: string | null }>;
    }>().items;
    const of = (id: string) => sends.find((x) => x.subjectId === id);
    expect(of(dropped.id)?.state).toBe('uncertain');
    expect(of(dropped.id)?.reason).toMatch(/code ECONNECTION.*at CONN/);
    expect(of(deferred.id)).toMatchObject({ state: 'sent', reason: null });
    expect(of(refused.id)?.state).toBe('failed');
    expect(of(refused.id)?.reason).toMatch(/SMTP 554.*at DATA/);
    // The uncertain send is listed by its state for staff, and no later run sends it.
    const uncertain = await api('GET', `/campaigns/${campaign.id}/sends?state=uncertain`);
    expect(uncertain.json<{ items: unknown[] }>().items).toHaveLength(1);
    await sendAll(t.services);
    expect(mailsTo(dropped.email)).toHaveLength(1);
  });

  it('stores the audience at start (a failed start leaves nobody behind) and sends at the campaign’s own rate', async () => {
    const mark = tag();
    const people = [];
    for (const n of ['Hidas', 'Hitaampi']) {
      people.push(await person(n, mark));
    }
    const outsider = await person('Ulkopuolinen', tag());
    // Above the server's rate (2 a minute here): refused naming the field, nothing written.
    const before = await t.db.handle.db
      .selectFrom('campaigns')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    const tooFast = await api('POST', '/campaigns', {
      name: `Nopea ${mark}`,
      purpose: 'newsletter',
      channel: 'email',
      filters: [{ field: 'contact.email', op: 'contains', value: mark }],
      content: CONTENT,
      ratePerMinute: 3,
    });
    expect(tooFast.statusCode).toBe(400);
    expect(tooFast.json<{ errors: Array<{ field: string }> }>().errors.map((e) => e.field)).toEqual(
      ['ratePerMinute'],
    );
    const after = await t.db.handle.db
      .selectFrom('campaigns')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);

    const campaign = await draft(mark, { ratePerMinute: 1 });
    expect(campaign).toMatchObject({ ratePerMinute: 1 });
    // A start that stopped half-way (its process killed) left the campaign `starting` and a row
    // behind (someone not in the audience).
    const stopped = '0190c6a4-1f2e-7b3c-8d4e-5f6a7b8c9d0e';
    const startingSince = async (at: Date) => {
      await t.db.handle.db
        .updateTable('campaigns')
        .set({ state: 'starting', start_token: stopped, start_claimed_at: at })
        .where('id', '=', campaign.id)
        .execute();
    };
    await startingSince(new Date());
    await campaignsRepo.queue(t.db.handle.db, campaign.id, stopped, [outsider.id], new Date());
    // While that start may still be running, another is refused, naming the state.
    const early = await api('POST', `/campaigns/${campaign.id}/start`);
    expect(early.statusCode).toBe(409);
    expect(early.json<{ errors: Array<{ field: string; detail: string }> }>().errors).toEqual([
      { field: 'state', detail: expect.stringContaining('it is starting') as string },
    ]);
    // Once it has not renewed its claim for longer than a start may (10 minutes): taken over.
    await startingSince(new Date(Date.now() - 11 * 60_000));
    const started = await api('POST', `/campaigns/${campaign.id}/start`);
    expect(started.json()).toMatchObject({ progress: { total: 2, queued: 2 } });
    const log = await t.services.audit.list({ limit: 500 });
    expect(
      log.find(
        (e) =>
          e.action === 'campaign.start' &&
          (e.data as { campaign?: string }).campaign === campaign.id,
      )?.data,
    ).toMatchObject({ recipients: 2 });
    // One a minute, in windows of a minute: one mail per batch.
    await createRunner({ db: t.db.handle.db, jobs: t.services.campaigns.jobs }).drainQueue();
    expect((await t.services.campaigns.get(operator, campaign.id)).progress).toMatchObject({
      sent: 1,
      queued: 1,
    });
    const done = await sendAll(t.services, campaign.id);
    expect(done?.progress).toMatchObject({ total: 2, sent: 2 });
    expect(mailsTo(outsider.email)).toHaveLength(0);
  });

  it('pauses between batches and resumes where it stopped, mailing each person once', async () => {
    const mark = tag();
    const people = [];
    for (const n of ['Paussi', 'Jatko', 'Kolmas']) {
      people.push(await person(n, mark));
    }
    const campaign = await draft(mark);
    await api('POST', `/campaigns/${campaign.id}/start`);
    const runner = createRunner({ db: t.db.handle.db, jobs: t.services.campaigns.jobs });
    await runner.drainQueue();
    const paused = await api('POST', `/campaigns/${campaign.id}/pause`);
    expect(paused.json()).toMatchObject({ state: 'paused', progress: { sent: 2, queued: 1 } });
    // The batch that was queued for the next window finds the campaign paused: nothing is sent.
    await sql`update jobs set run_at = now() where name = 'campaigns.send'`.execute(t.db.handle.db);
    await runner.drainQueue();
    expect((await t.services.campaigns.get(operator, campaign.id)).progress.sent).toBe(2);
    const resumed = await api('POST', `/campaigns/${campaign.id}/start`);
    expect(resumed.json()).toMatchObject({ state: 'sending' });
    const done = await sendAll(t.services, campaign.id);
    expect(done).toMatchObject({ state: 'finished', progress: { sent: 3, queued: 0 } });
    for (const p of people) {
      expect(mailsTo(p.email)).toHaveLength(1);
    }
  });

  it.skipIf(kind !== 'postgres')(
    'two starts at once: the second is refused and nobody is mailed twice, however their statements interleave',
    async () => {
      const mark = tag();
      const people = [];
      for (const n of ['Aalto', 'Berg', 'Cedar']) {
        people.push(await person(n, mark));
      }
      const campaign = await draft(mark, { ratePerMinute: 1 });
      const holder = new pg.Client({ connectionString: t.db.url });
      const rowLocker = new pg.Client({ connectionString: t.db.url });
      await holder.connect();
      await rowLocker.connect();
      const lockWaiters = async (n: number) => {
        for (let i = 0; i < 400; i++) {
          const r = await rowLocker.query<{ n: number }>(
            `select count(*)::int as n from pg_stat_activity
              where wait_event_type = 'Lock' and datname = current_database()`,
          );
          if ((r.rows[0]?.n ?? 0) >= n) {
            return;
          }
          await new Promise((r) => setTimeout(r, 25));
        }
        const seen = await rowLocker.query(
          `select datname, state, wait_event_type, wait_event, left(query, 80) as q from pg_stat_activity
            where datname = current_database() and pid <> pg_backend_pid() and state <> 'idle'`,
        );
        throw new Error(`never ${n} statements waiting for a lock: ${JSON.stringify(seen.rows)}`);
      };
      const ordered = [...people].sort((a, b) => a.id.localeCompare(b.id));
      const otherDb = await openDatabase({ url: t.db.url!, poolSize: 4 });
      const elsewhere = createServices({
        database: otherDb,
        keys: t.keys,
        register: t.register,
        vault: createVault(t.masterKey),
        mail: { smtp: { url: smtp.url, from: SMTP_FROM } },
        publicUrl: 'https://rekisteri.example.fi',
        campaigns: { ratePerMinute: 2, windowMs: 60_000 },
      });
      try {
        // The campaign row is held elsewhere: the first start waits on it (after queueing its
        // people, or before, as the start is written).
        await holder.query('begin');
        await holder.query('select id from campaigns where id = $1 for no key update', [
          campaign.id,
        ]);
        const start = (services: typeof t.services) =>
          services.campaigns.start(operator, campaign.id).then(
            (c) => ({ state: c.state, error: undefined }),
            (error: unknown) => ({ state: undefined, error: error as AppError }),
          );
        const first = start(t.services);
        await lockWaiters(1);
        // Whatever rows the first start wrote: the second one's in heap order other than the
        // queue's, and locked, so that a second start deleting rows would stall half-way.
        await rowLocker.query('analyze campaign_sends');
        await rowLocker.query(
          'update campaign_sends set updated_at = updated_at where campaign_id = $1 and subject_id = $2',
          [campaign.id, ordered[0]!.id],
        );
        await rowLocker.query('begin');
        await rowLocker.query(
          'select 1 from campaign_sends where campaign_id = $1 and subject_id = $2 for update',
          [campaign.id, ordered[1]!.id],
        );
        // A double click, answered by another instance of the server.
        const second = start(elsewhere);
        await lockWaiters(2);
        await holder.query('commit');
        expect(await first).toEqual({ state: 'sending', error: undefined });
        // The first batch (one mail) goes while the second start may still be running.
        await sql`update jobs set run_at = now() where name = 'campaigns.send'`.execute(
          t.db.handle.db,
        );
        const runner = createRunner({ db: t.db.handle.db, jobs: t.services.campaigns.jobs });
        const batch = runner.drainQueue();
        for (let i = 0; i < 200 && mailsTo(ordered[0]!.email).length === 0; i++) {
          await new Promise((r) => setTimeout(r, 25));
        }
        await rowLocker.query('commit');
        await batch;
        const b = await second;
        expect(b.error).toMatchObject({ code: 'conflict', issues: [{ field: 'state' }] });
      } finally {
        await holder.end().catch(() => undefined);
        await rowLocker.end().catch(() => undefined);
        elsewhere.mail.close();
        await otherDb.close();
      }
      const done = await sendAll(t.services, campaign.id);
      expect(done).toMatchObject({ state: 'finished', progress: { total: 3, sent: 3 } });
      expect(people.map((p) => mailsTo(p.email).length)).toEqual([1, 1, 1]);
      const starts = (await t.services.audit.list({ limit: 500 })).filter(
        (e) =>
          e.action === 'campaign.start' &&
          (e.data as { campaign?: string }).campaign === campaign.id,
      );
      expect(starts).toHaveLength(1);
    },
  );

  it('a recipient whose server keeps deferring them waits while the others are mailed, and is given up on after five attempts', async () => {
    const mark = tag();
    // Created first: the lowest id, first in the queue's order.
    const stuck = await person('Aina', mark);
    const others = [await person('Muu', mark), await person('Toinen', mark)];
    smtp.misbehave(stuck.email, 'tempfail_always');
    const campaign = await draft(mark, { ratePerMinute: 1 });
    expect((await api('POST', `/campaigns/${campaign.id}/start`)).statusCode).toBe(200);
    const runner = createRunner({ db: t.db.handle.db, jobs: t.services.campaigns.jobs });
    // Batches only (one mail each): no deferral's wait is over yet.
    for (let i = 0; i < 6; i++) {
      await sql`update jobs set run_at = now() where name = 'campaigns.send'`.execute(
        t.db.handle.db,
      );
      await runner.drainQueue();
    }
    expect(others.map((o) => mailsTo(o.email).length)).toEqual([1, 1]);
    const waiting = await t.services.campaigns.get(operator, campaign.id);
    expect(waiting).toMatchObject({ state: 'sending', progress: { sent: 2, queued: 1 } });
    const [deferred] = await t.services.campaigns.sends(operator, campaign.id, {
      state: 'queued',
    });
    expect(deferred?.subjectId).toBe(stuck.id);
    expect(deferred?.reason).toMatch(/^deferred: .*SMTP 451.*at RCPT TO/);
    // The job did not fail: it waits for the deferred person's time.
    const jobs = await sql<{ state: string }>`select state from jobs
      where name = 'campaigns.send' and payload->>'campaignId' = ${campaign.id}`.execute(
      t.db.handle.db,
    );
    expect(jobs.rows.map((j) => j.state)).not.toContain('failed');
    // Time passes: after five attempts in all the person is given up on, and the campaign ends.
    const done = await sendAll(t.services, campaign.id);
    expect(done).toMatchObject({ state: 'finished', progress: { sent: 2, failed: 1, queued: 0 } });
    const [failed] = await t.services.campaigns.sends(operator, campaign.id, { state: 'failed' });
    expect(failed).toMatchObject({ subjectId: stuck.id });
    expect(failed?.reason).toMatch(/^deferred 5 times, given up: .*SMTP 451.*at RCPT TO/);
    const tries = await t.db.handle.db
      .selectFrom('campaign_sends')
      .select('attempts')
      .where('campaign_id', '=', campaign.id)
      .where('subject_id', '=', stuck.id)
      .executeTakeFirstOrThrow();
    expect(tries.attempts).toBe(5);
    expect(mailsTo(stuck.email)).toHaveLength(0);
    expect(others.map((o) => mailsTo(o.email).length)).toEqual([1, 1]);
  });

  it('refuses to start or resume a campaign while PUBLIC_URL is not https, and its send job pauses rather than mail a plain-http link', async () => {
    const mark = tag();
    const who = await person('Salaamaton', mark);
    const campaign = await draft(mark);
    // The same register served with PUBLIC_URL left unset (http://localhost:8080) or given as http.
    const plains = ['', 'http://rekisteri.example.fi'].map((publicUrl) =>
      createServices({
        database: t.db.handle,
        keys: t.keys,
        register: t.register,
        vault: createVault(t.masterKey),
        mail: { smtp: { url: smtp.url, from: SMTP_FROM } },
        ...(publicUrl ? { publicUrl } : {}),
        campaigns: { ratePerMinute: 2, windowMs: 60_000 },
      }),
    );
    const apps = await Promise.all(plains.map((p) => createApp(p)));
    const sendsOf = async () =>
      (
        await sql<{
          n: number;
        }>`select count(*)::int as n from campaign_sends where campaign_id = ${campaign.id}`.execute(
          t.db.handle.db,
        )
      ).rows[0]?.n;
    try {
      for (const app of apps) {
        const refused = await app.inject({
          method: 'POST',
          url: `/api/v1/campaigns/${campaign.id}/start`,
          headers: marketer,
        });
        expect(refused.statusCode, refused.body).toBe(409);
        const problem = refused.json<{ detail: string; errors: Array<{ field: string }> }>();
        expect(problem.detail).toMatch(/^PUBLIC_URL is http:\/\/.*not an https:\/\/ address/);
        expect(problem.errors).toEqual([
          {
            field: 'PUBLIC_URL',
            detail: 'expected a public https:// URL (not a loopback host) for unsubscribe links',
          },
        ]);
        // Nothing changed: still a draft, nobody queued.
        expect((await api('GET', `/campaigns/${campaign.id}`)).json()).toMatchObject({
          state: 'draft',
        });
        expect(await sendsOf()).toBe(0);
      }
      // Started where PUBLIC_URL is https; the send job of an instance without it pauses the
      // campaign with why, and mails nobody.
      expect((await api('POST', `/campaigns/${campaign.id}/start`)).statusCode).toBe(200);
      await sendAll(plains[0], campaign.id);
      expect((await api('GET', `/campaigns/${campaign.id}`)).json()).toMatchObject({
        state: 'paused',
        reason: expect.stringMatching(
          /^PUBLIC_URL is http:\/\/localhost:8080, not an https/,
        ) as string,
        progress: { queued: 1, sent: 0 },
      });
      expect(mailsTo(who.email)).toHaveLength(0);
      const control = (await t.services.audit.list({ limit: 500 })).filter(
        (e) =>
          e.action === 'campaign.control' &&
          (e.data as { campaign?: string }).campaign === campaign.id,
      );
      expect(control.map((e) => e.data)).toContainEqual({
        campaign: campaign.id,
        to: 'paused',
        reason: 'public_url_not_https',
      });
      // Resuming there is refused alike; where PUBLIC_URL is https, the person is mailed once.
      const resume = await apps[1]?.inject({
        method: 'POST',
        url: `/api/v1/campaigns/${campaign.id}/start`,
        headers: marketer,
      });
      expect(resume?.statusCode).toBe(409);
      expect(resume?.json<{ errors: Array<{ field: string }> }>().errors[0]?.field).toBe(
        'PUBLIC_URL',
      );
      expect((await api('GET', `/campaigns/${campaign.id}`)).json()).toMatchObject({
        state: 'paused',
      });
      expect((await api('POST', `/campaigns/${campaign.id}/start`)).statusCode).toBe(200);
      expect(await sendAll(t.services, campaign.id)).toMatchObject({
        state: 'finished',
        progress: { sent: 1 },
      });
      const [mail, ...more] = mailsTo(who.email);
      expect(more).toHaveLength(0);
      expect(rawHeader(mail?.raw ?? '', 'List-Unsubscribe')).toMatch(
        /^<https:\/\/rekisteri\.example\.fi\/u\/[A-Za-z0-9_-]+>$/,
      );
    } finally {
      await Promise.all(apps.map((a) => a.close()));
      for (const p of plains) {
        p.mail.close();
      }
    }
  });

  it('refuses to start a campaign while PUBLIC_URL is an https address on a loopback host (its links reach no recipient)', async () => {
    const mark = tag();
    const who = await person('Silmukka', mark);
    const campaign = await draft(mark);
    for (const publicUrl of ['https://localhost:8443', 'https://127.0.0.1', 'https://[::1]']) {
      const looped = createServices({
        database: t.db.handle,
        keys: t.keys,
        register: t.register,
        vault: createVault(t.masterKey),
        mail: { smtp: { url: smtp.url, from: SMTP_FROM } },
        publicUrl,
      });
      const app = await createApp(looped);
      try {
        const refused = await app.inject({
          method: 'POST',
          url: `/api/v1/campaigns/${campaign.id}/start`,
          headers: marketer,
        });
        expect(refused.statusCode, `${publicUrl}: ${refused.body}`).toBe(409);
        const problem = refused.json<{ detail: string; errors: Array<{ field: string }> }>();
        expect(problem.detail).toMatch(
          /^PUBLIC_URL is https:\/\/.*an address only this machine reaches/,
        );
        expect(problem.errors).toEqual([
          {
            field: 'PUBLIC_URL',
            detail: 'expected a public https:// URL (not a loopback host) for unsubscribe links',
          },
        ]);
        expect((await api('GET', `/campaigns/${campaign.id}`)).json()).toMatchObject({
          state: 'draft',
        });
      } finally {
        await app.close();
        looped.mail.close();
      }
    }
    expect(mailsTo(who.email)).toHaveLength(0);
  });

  it('an address an e-mail service reported cleaned (imported undeliverable) leaves the audience and is skipped by a campaign already started', async () => {
    const mark = tag();
    const bouncing = await person('Palautuva', mark);
    const working = await person('Toimiva', mark);
    const campaign = await draft(mark);
    const exportedIds = async () => {
      const res = await api('POST', '/audiences/export', {
        purpose: 'newsletter',
        channel: 'email',
        filters: [{ field: 'contact.email', op: 'contains', value: mark }],
      });
      expect(res.statusCode, res.body).toBe(200);
      return res.body
        .split('\r\n')
        .slice(1)
        .filter((l) => l !== '')
        .map((l) => l.slice(1, 37));
    };
    const countAll = async () =>
      (await api('POST', '/audiences/count', { purpose: 'newsletter', channel: 'email' })).json<{
        count: number;
      }>().count;
    expect((await exportedIds()).sort()).toEqual([bouncing.id, working.id].sort());
    const before = await countAll();
    // Both are queued at the start; then Mailchimp's cleaned export lists one address.
    expect((await api('POST', `/campaigns/${campaign.id}/start`)).statusCode).toBe(200);
    const importer = await t.key(['newsletter'], ['read', 'write']);
    const imported = await t.app.inject({
      method: 'POST',
      url: '/api/v1/interchange/audience',
      headers: importer,
      payload: {
        format: 'mailchimp',
        purpose: 'newsletter',
        csv: [
          'Email Address,First Name,Last Name,OPTIN_TIME,CONFIRM_TIME,CLEAN_TIME',
          `${bouncing.email.toUpperCase()},Kampanja,Palautuva,"2022-02-02 10:00:00","2022-02-02 10:05:00","2024-06-10 12:00:00"`,
        ].join('\r\n'),
      },
    });
    expect(imported.statusCode, imported.body).toBe(200);
    expect(imported.json()).toMatchObject({ undeliverable: 1, granted: 0, rejected: [] });
    // The ledger is unchanged: the check still allows the person; only the address fails.
    expect(
      (
        await t.services.permissions.decide({
          purpose: 'newsletter',
          subjectId: bouncing.id,
          channel: 'email',
        })
      ).allowed,
    ).toBe(true);
    expect(await sendAll(t.services, campaign.id)).toMatchObject({
      state: 'finished',
      progress: { total: 2, sent: 1, skipped: 1 },
    });
    expect(mailsTo(bouncing.email)).toHaveLength(0);
    expect(mailsTo(working.email)).toHaveLength(1);
    const sends = (await api('GET', `/campaigns/${campaign.id}/sends`)).json<{
      items: Array<{ subjectId: string; state: string; reason: string | null }>;
    }>().items;
    expect(sends.find((x) => x.subjectId === bouncing.id)).toMatchObject({
      state: 'skipped',
      reason: 'undeliverable',
    });
    // The next audience leaves the address out, in the export and in the count alike.
    expect(await exportedIds()).toEqual([working.id]);
    expect(await countAll()).toBe(before - 1);
    // A new campaign does not queue them at all.
    const next = await draft(mark);
    expect((await api('POST', `/campaigns/${next.id}/start`)).json()).toMatchObject({
      progress: { total: 1, queued: 1 },
    });
    await api('POST', `/campaigns/${next.id}/cancel`);
  });

  it('when the mail server cannot be reached, the send job gives up and pauses the campaign with the reason', async () => {
    const mark = tag();
    const who = await person('Tavoittamaton', mark);
    const campaign = await draft(mark);
    // A port nobody listens on (taken, then closed).
    const closed = await new Promise<number>((resolve) => {
      const probe = new SMTPServer({ logger: false });
      probe.listen(0, '127.0.0.1', () => {
        const port = (probe.server.address() as AddressInfo).port;
        probe.close(() => resolve(port));
      });
    });
    const unreachable = createServices({
      database: t.db.handle,
      keys: t.keys,
      register: t.register,
      vault: createVault(t.masterKey),
      mail: { smtp: { url: `smtp://127.0.0.1:${closed}`, from: SMTP_FROM } },
      publicUrl: 'https://rekisteri.example.fi',
      campaigns: { ratePerMinute: 2, windowMs: 60_000 },
    });
    try {
      await unreachable.campaigns.start(operator, campaign.id);
      const runner = createRunner({ db: t.db.handle.db, jobs: unreachable.campaigns.jobs });
      for (let i = 0; i < 12; i++) {
        await sql`update jobs set run_at = now() where name = 'campaigns.send'`.execute(
          t.db.handle.db,
        );
        await runner.drainQueue();
      }
    } finally {
      unreachable.mail.close();
    }
    const paused = await api('GET', `/campaigns/${campaign.id}`);
    expect(paused.json()).toMatchObject({
      state: 'paused',
      reason: expect.stringMatching(/^the send job gave up after 9 attempts: .*at CONN/) as string,
      progress: { queued: 1, sent: 0 },
    });
    // Resumed with a server that answers: the reason is cleared and the person mailed once.
    const resumed = await api('POST', `/campaigns/${campaign.id}/start`);
    expect(resumed.json()).toMatchObject({ state: 'sending', reason: null });
    const done = await sendAll(t.services, campaign.id);
    expect(done).toMatchObject({ state: 'finished', progress: { sent: 1 } });
    expect(mailsTo(who.email)).toHaveLength(1);
  });

  it('a campaign’s own rate is capped by the server’s rate as it is when it sends, lowered since', async () => {
    const mark = tag();
    for (const n of ['Nopea', 'Nopeampi', 'Nopein']) {
      await person(n, mark);
    }
    // Two a minute, allowed when drafted.
    const campaign = await draft(mark, { ratePerMinute: 2 });
    expect(campaign).toMatchObject({ ratePerMinute: 2 });
    // The server is restarted with CAMPAIGN_SEND_RATE of one a minute.
    const slower = createServices({
      database: t.db.handle,
      keys: t.keys,
      register: t.register,
      vault: createVault(t.masterKey),
      mail: { smtp: { url: smtp.url, from: SMTP_FROM } },
      publicUrl: 'https://rekisteri.example.fi',
      campaigns: { ratePerMinute: 1, windowMs: 60_000 },
    });
    try {
      expect(await slower.campaigns.start(operator, campaign.id)).toMatchObject({
        ratePerMinute: 1,
      });
      await createRunner({ db: t.db.handle.db, jobs: slower.campaigns.jobs }).drainQueue();
      // One mail in the first window, not two.
      expect((await slower.campaigns.get(operator, campaign.id)).progress).toMatchObject({
        sent: 1,
        queued: 2,
      });
      const done = await sendAll(slower, campaign.id);
      expect(done?.progress).toMatchObject({ sent: 3 });
    } finally {
      slower.mail.close();
    }
  });

  it('a complaint withdraws the consent in the ledger; a bounce of a mail we sent keeps the address out for a while', async () => {
    const mark = tag();
    const complaining = await person('Valittaja', mark, 'fi');
    const bouncing = await person('Kimpoava', mark, 'fi');
    const campaign = await draft(mark);
    await api('POST', `/campaigns/${campaign.id}/start`);
    await sendAll(t.services, campaign.id);
    const messageId = mailsTo(complaining.email)[0]?.mail.messageId ?? '';
    expect(messageId).toMatch(/^<campaign\./);

    // An abuse report (RFC 5965) as a mailbox provider sends it.
    const report = [
      'Content-Type: message/feedback-report',
      '',
      'Feedback-Type: abuse',
      'User-Agent: SomeMailbox/1.0',
      'Version: 1',
      `Original-Rcpt-To: ${complaining.email}`,
      '',
      'Content-Type: message/rfc822',
      '',
      `Message-ID: ${messageId}`,
      'Subject: Syksyn uutiset',
    ].join('\r\n');
    const complained = await api('POST', '/campaigns/feedback', { report });
    expect(complained.statusCode, complained.body).toBe(200);
    expect(complained.json()).toEqual({
      campaignId: campaign.id,
      subjectId: complaining.id,
      state: 'complained',
    });
    const state = await t.services.permissions.decide({
      purpose: 'newsletter',
      subjectId: complaining.id,
      channel: 'email',
    });
    expect(state).toMatchObject({ allowed: false, reason: { code: 'withdrawn' } });
    const history = await t.services.permissions.history(operator, complaining.id);
    expect(
      history.some((h) => h.state === 'withdrawn' && h.reference === `campaign:${campaign.id}`),
    ).toBe(true);

    // A forged bounce naming only the address: refused, naming the field; nothing recorded.
    const forged = await api('POST', '/campaigns/feedback', {
      type: 'bounce',
      recipient: bouncing.email,
    });
    expect(forged.statusCode).toBe(400);
    expect(forged.json<{ errors: Array<{ field: string }> }>().errors[0]?.field).toBe('messageId');
    // A report naming the address but quoting no Message-ID of ours: refused alike.
    const noId = await api('POST', '/campaigns/feedback', {
      report: `Final-Recipient: rfc822; ${bouncing.email}\r\nAction: failed\r\nStatus: 5.1.1\r\n`,
    });
    expect(noId.statusCode).toBe(400);
    expect(noId.body).toContain('report');
    const bouncedId = mailsTo(bouncing.email)[0]?.mail.messageId ?? '';
    // Our Message-ID with another address than the mail went to: refused, naming the field.
    const mismatch = await api('POST', '/campaigns/feedback', {
      type: 'bounce',
      messageId: bouncedId,
      recipient: complaining.email,
    });
    expect(mismatch.statusCode).toBe(400);
    expect(mismatch.body).toContain('recipient');
    expect(
      (await t.services.campaigns.sends(operator, campaign.id)).find(
        (x) => x.subjectId === bouncing.id,
      ),
    ).toMatchObject({ state: 'sent' });

    // The mail server's bounce (RFC 3464) quoting our Message-ID: recorded with its status.
    const dsn = [
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; mx.example.net',
      '',
      `Final-Recipient: rfc822; ${bouncing.email}`,
      'Action: failed',
      'Status: 5.1.1',
      '',
      'Content-Type: text/rfc822-headers',
      '',
      `Message-ID: ${bouncedId}`,
    ].join('\r\n');
    const bounced = await api('POST', '/campaigns/feedback', { report: dsn });
    expect(bounced.statusCode, bounced.body).toBe(200);
    expect(bounced.json()).toMatchObject({ subjectId: bouncing.id, state: 'bounced' });
    expect(
      (await t.services.campaigns.sends(operator, campaign.id, { state: 'bounced' }))[0],
    ).toMatchObject({ subjectId: bouncing.id, reason: 'bounce 5.1.1' });

    // The next campaign: the bounced address is not mailed, the complainer is not in it.
    const before = mailsTo(bouncing.email).length;
    const next = await draft(mark);
    await api('POST', `/campaigns/${next.id}/start`);
    const done = await sendAll(t.services, next.id);
    expect(done?.progress).toMatchObject({ total: 1, skipped: 1, sent: 0 });
    expect(mailsTo(bouncing.email)).toHaveLength(before);
    const skipped = await t.services.campaigns.sends(operator, next.id);
    expect(skipped.find((x) => x.subjectId === bouncing.id)).toMatchObject({
      state: 'skipped',
      reason: 'bounced_before',
    });

    // 180 days on, the bounce no longer keeps the address out.
    await t.db.handle.db
      .updateTable('campaign_sends')
      .set({ updated_at: new Date(Date.now() - 181 * 24 * 3600 * 1000) })
      .where('campaign_id', '=', campaign.id)
      .where('subject_id', '=', bouncing.id)
      .execute();
    const later = await draft(mark);
    await api('POST', `/campaigns/${later.id}/start`);
    expect((await sendAll(t.services, later.id))?.progress).toMatchObject({ sent: 1 });
    expect(mailsTo(bouncing.email)).toHaveLength(before + 1);

    // Feedback that matches no campaign mail: 404 naming the field.
    const unknown = await api('POST', '/campaigns/feedback', {
      type: 'bounce',
      messageId: '<campaign.nothing@example.fi>',
    });
    expect(unknown.statusCode).toBe(404);
    expect(JSON.stringify(unknown.json())).toContain('messageId');
  });

  it('feedback tells a caller of another purpose nothing, and for an erased person records nothing', async () => {
    const mark = tag();
    const kept = await person('Pysyvä', mark);
    const erased = await person('Poistuva', mark);
    const campaign = await draft(mark);
    await api('POST', `/campaigns/${campaign.id}/start`);
    await sendAll(t.services, campaign.id);
    const idOf = (email: string) => mailsTo(email)[0]?.mail.messageId ?? '';
    const feedbackEvents = async () =>
      (await t.services.audit.list({ limit: 1000 })).filter(
        (e) =>
          e.action === 'campaign.feedback' &&
          (e.data as { campaign?: string }).campaign === campaign.id,
      ).length;

    // A key for another purpose: a real mail and a made-up one are answered alike.
    const other = await t.key(['market_research'], ['read', 'export_audiences']);
    const real = await api(
      'POST',
      '/campaigns/feedback',
      { type: 'complaint', messageId: idOf(kept.email) },
      other,
    );
    const made = await api(
      'POST',
      '/campaigns/feedback',
      { type: 'complaint', messageId: '<campaign.made-up@example.fi>' },
      other,
    );
    expect(real.statusCode).toBe(404);
    expect(made.statusCode).toBe(404);
    const strip = (b: { instance?: string }) => ({ ...b, instance: undefined });
    expect(strip(real.json())).toEqual(strip(made.json()));
    expect(
      (
        await t.services.permissions.decide({
          purpose: 'newsletter',
          subjectId: kept.id,
          channel: 'email',
        })
      ).allowed,
    ).toBe(true);

    // The person is erased; their complaint arrives afterwards: 404, and nothing is recorded.
    await t.services.subjects.eraseSubject(operator, erased.id, 'request');
    const late = await api('POST', '/campaigns/feedback', {
      type: 'complaint',
      messageId: idOf(erased.email),
    });
    expect(late.statusCode, late.body).toBe(404);
    // Answered as a made-up Message-ID is: never the person's id.
    const madeUp = await api('POST', '/campaigns/feedback', {
      type: 'complaint',
      messageId: '<campaign.made-up@example.fi>',
    });
    expect(strip(late.json())).toEqual(strip(madeUp.json()));
    expect(late.body).not.toContain(erased.id);
    // Their send stands as it was (the sends list no longer shows it: the row as stored).
    expect(
      await t.db.handle.db
        .selectFrom('campaign_sends')
        .select(['state', 'reason'])
        .where('campaign_id', '=', campaign.id)
        .where('subject_id', '=', erased.id)
        .executeTakeFirst(),
    ).toEqual({ state: 'sent', reason: null });
    expect(await feedbackEvents()).toBe(0);
  });

  it('refuses bad input naming the field, and writes nothing', async () => {
    const count = async () =>
      Number(
        (
          await t.db.handle.db
            .selectFrom('campaigns')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await count();
    const base = {
      name: 'Huono',
      purpose: 'newsletter',
      channel: 'email',
      content: CONTENT,
    };
    for (const [body, field] of [
      [{ ...base, content: {} }, 'content'],
      [
        { ...base, content: { fi: { subject: 'Rivi\r\nBcc: x@example.com', body: 'x' } } },
        'content.fi.subject',
      ],
      [{ ...base, content: { de: { subject: 'Hallo', body: 'x' } } }, 'content'],
      [{ ...base, surprise: true }, 'surprise'],
      [{ ...base, name: '' }, 'name'],
      [{ ...base, sender: { address: 'not an address' } }, 'sender.address'],
      [
        { ...base, filters: [{ field: 'identity.nosuch', op: 'equals', value: 'x' }] },
        'filters[0].field',
      ],
      [{ ...base, channel: 'sms' }, 'channel'],
    ] as const) {
      const res = await api('POST', '/campaigns', body);
      expect(res.statusCode, `${field}: ${res.body}`).toBe(400);
      expect(res.body, field).toContain(field);
    }
    const feedback = await api('POST', '/campaigns/feedback', { type: 'bounce' });
    expect(feedback.statusCode).toBe(400);
    expect(feedback.body).toContain('messageId');
    expect(await count()).toBe(before);
    const notUuid = await api('GET', '/campaigns/nope');
    expect(notUuid.statusCode).toBe(400);
  });

  it('refuses a key without export_audiences, or without the purpose, before anything', async () => {
    const mark = tag();
    await person('Oikeudeton', mark);
    const campaign = await draft(mark);
    const reader = await t.key(['newsletter'], ['read']);
    const other = await t.key(['market_research'], ['read', 'export_audiences']);
    for (const headers of [reader, other]) {
      for (const [method, url] of [
        ['GET', `/campaigns/${campaign.id}`],
        ['POST', `/campaigns/${campaign.id}/start`],
        ['POST', `/campaigns/${campaign.id}/cancel`],
      ] as const) {
        const res = await api(method, url, undefined, headers);
        expect(res.statusCode, `${method} ${url}`).toBe(403);
      }
    }
    expect((await t.services.campaigns.get(operator, campaign.id)).state).toBe('draft');
    // Pause and cancel by the marketer.
    expect((await api('POST', `/campaigns/${campaign.id}/pause`)).statusCode).toBe(409);
    const cancelled = await api('POST', `/campaigns/${campaign.id}/cancel`);
    expect(cancelled.json()).toMatchObject({ state: 'cancelled' });
  });
});

describe('reading a bounce or complaint report', () => {
  it('reads a delivery status notification (RFC 3464): the quoted Message-ID, the recipient, a bounce', () => {
    const dsn = [
      'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
      '',
      '--b',
      'Content-Type: text/plain',
      '',
      'Your message could not be delivered.',
      '--b',
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; mx.example.net',
      '',
      'Final-Recipient: rfc822; maija.meikalainen@example.fi',
      'Action: failed',
      'Status: 5.1.1',
      '--b',
      'Content-Type: text/rfc822-headers',
      '',
      'Message-ID: <campaign.0193c1a2-aaaa-7bbb-8ccc-123456789abc@rekisteri.example.fi>',
      'Subject: Syksyn uutiset',
      '--b--',
    ].join('\r\n');
    expect(readReport(dsn)).toEqual({
      messageId: '<campaign.0193c1a2-aaaa-7bbb-8ccc-123456789abc@rekisteri.example.fi>',
      recipient: 'maija.meikalainen@example.fi',
      type: 'bounce',
      status: '5.1.1',
    });
    // A delay is no bounce: the type is then the caller's to give.
    expect(
      readReport(
        dsn.replace('Action: failed', 'Action: delayed').replace('Status: 5.1.1', 'Status: 4.4.7'),
      ).type,
    ).toBeUndefined();
  });
});
