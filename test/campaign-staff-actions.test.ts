/**
 * What staff do about a campaign mail (docs/campaigns.md, "When the outcome is uncertain" and
 * "Lifting a bounce early"), through a real SMTP server on loopback, on each database: an
 * uncertain mail resolved as sent or failed (never mailed again), or put back in the queue only
 * with an explicit confirmation, then mailed once more with the permission checked again (a person
 * who withdrew meanwhile is skipped); a report quoting a requeued mail's first Message-ID still
 * applied (a complaint withdraws, a bounce keeps that address out); a requeue racing the last
 * batch still mailed (PostgreSQL, forced with row locks); a bounce's suppression lifted early for
 * the address, never lifting a withdrawal, a complaint, a stop or a prohibition list; the history's
 * indexes (0041) used; each with its reason in the send's history and a
 * log entry without it; bad input refused naming the field, a wrong state 409 naming `state`,
 * no right 403, and each refusal changing nothing.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo, Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.ts';
import { createRunner } from '../src/jobs/index.ts';
import { operator } from '../src/lib/actor.ts';
import { createServices } from '../src/services.ts';
import { createVault } from '../src/vault/vault.ts';
import { newSubjectVia, tag } from './factories.ts';
import { createTestContext, DATABASES, DEMO, type TestContext } from './helpers.ts';

/** A loopback SMTP server counting what it read, dropping the connection after DATA for some. */
async function smtpServer() {
  const received: string[][] = [];
  const drop = new Set<string>();
  const sockets = new Map<number, Socket>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      stream.on('data', () => undefined);
      stream.on('end', () => {
        const rcpt = session.envelope.rcptTo.map((r) => r.address);
        received.push(rcpt);
        const dropped = rcpt.find((r) => drop.has(r));
        if (dropped !== undefined) {
          drop.delete(dropped);
          // The whole message is here; the connection drops before the server answers.
          sockets.get(session.remotePort)?.destroy();
          return;
        }
        callback();
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
    mailsTo: (address: string) => received.filter((r) => r.includes(address)).length,
    dropAfterData: (address: string) => drop.add(address),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const WORDING = { text: 'Saa lähettää uutiskirjeen sähköpostiini.', language: 'fi' as const };
const CONTENT = { fi: { subject: 'Talven uutiset', body: 'Hei!\n\nTalven uutuudet.' } };

interface Detail {
  subjectId: string;
  state: string;
  reason: string | null;
  messageId: string | null;
  bounceSuppressedUntil: string | null;
  events: Array<{ action: string; from: string; to: string; reason: string; actor: string }>;
}

describe.each(DATABASES)('staff actions on campaign mails on %s', { timeout: 120_000 }, (kind) => {
  let t: TestContext;
  let smtp: Awaited<ReturnType<typeof smtpServer>>;
  let marketer: { authorization: string };
  let dir: string;

  const person = async (lastName: string, mark: string) => {
    const email = `${lastName.toLowerCase()}.${mark}@example.com`;
    const p = await newSubjectVia(t.services, {
      values: { identity: { firstName: 'Posti', lastName }, contact: { email } },
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
  const draft = async (mark: string) => {
    const res = await api('POST', '/campaigns', {
      name: `Talvi ${mark}`,
      purpose: 'newsletter',
      channel: 'email',
      filters: [{ field: 'contact.email', op: 'contains', value: mark }],
      content: CONTENT,
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ id: string }>().id;
  };
  const sendAll = async (id: string) => {
    const runner = createRunner({ db: t.db.handle.db, jobs: t.services.campaigns.jobs });
    for (let i = 0; i < 50; i++) {
      await sql`update jobs set run_at = now() where name = 'campaigns.send'`.execute(
        t.db.handle.db,
      );
      await runner.drainQueue();
      const c = await t.services.campaigns.get(operator, id);
      if (c.state !== 'sending') {
        return c;
      }
    }
    throw new Error('the campaign did not finish');
  };
  const send = (campaign: string, subject: string) =>
    t.services.campaigns.sendDetail(operator, campaign, subject);
  /** The send's row as stored (the routes answer an erased person's send as none). */
  const stored = async (campaign: string, subject: string) =>
    (
      await sql<{ state: string; reason: string | null }>`select state, reason
        from campaign_sends where campaign_id = ${campaign} and subject_id = ${subject}`.execute(
        t.db.handle.db,
      )
    ).rows[0];
  const events = async (campaign: string, action: string) =>
    (await t.services.audit.list({ limit: 1000 })).filter(
      (e) => e.action === action && (e.data as { campaign?: string }).campaign === campaign,
    );
  const fieldsOf = (body: string) =>
    (JSON.parse(body) as { errors?: Array<{ field: string }> }).errors?.map((e) => e.field) ?? [];

  beforeAll(async () => {
    smtp = await smtpServer();
    t = await createTestContext(kind, DEMO, {
      smtp: { url: smtp.url, from: 'Paahtimo Oy <uutiset@example.fi>' },
      campaigns: { ratePerMinute: 600, windowMs: 60_000 },
      publicUrl: 'https://rekisteri.example.fi',
    });
    marketer = await t.key(['newsletter'], ['read', 'export_audiences']);
    dir = await mkdtemp(join(tmpdir(), 'rk-campaign-staff-'));
  });
  afterAll(async () => {
    t?.services.mail.close();
    await t?.close();
    await smtp?.close();
    if (dir) {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('an uncertain mail is resolved as sent or failed with a reason, and never mailed again by itself', async () => {
    const mark = tag();
    const taken = await person('Otettu', mark);
    const lost = await person('Kadonnut', mark);
    const campaign = await draft(mark);
    smtp.dropAfterData(taken.email);
    smtp.dropAfterData(lost.email);
    await api('POST', `/campaigns/${campaign}/start`);
    expect((await sendAll(campaign)).progress).toMatchObject({ uncertain: 2, sent: 0 });
    const url = (id: string, what = '/resolve') => `/campaigns/${campaign}/sends/${id}${what}`;
    const REASON = 'The mail server log shows the message queued at 10:42.';

    // Bad input: each refused naming the field, and nothing changes.
    for (const [body, field] of [
      [{ outcome: 'sent' }, 'reason'],
      [{ outcome: 'sent', reason: '   ' }, 'reason'],
      [{ outcome: 'sent', reason: 'two\nlines' }, 'reason'],
      [{ outcome: 'sent', reason: 'x'.repeat(501) }, 'reason'],
      [{ outcome: 'maybe', reason: REASON }, 'outcome'],
      [{ reason: REASON }, 'outcome'],
      [{ outcome: 'sent', reason: REASON, extra: 1 }, 'extra'],
    ] as const) {
      const res = await api('POST', url(taken.id), body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      // A field by its name; an unknown key is named in the detail of `body`.
      expect(field === 'extra' ? res.body : fieldsOf(res.body).join(' '), res.body).toContain(
        field,
      );
    }
    // A person who is not in the campaign, or a malformed id: 404 / 400 naming subjectId.
    const stranger = await api('POST', url('0190c6a4-1f2e-7b3c-8d4e-5f6a7b8c9d0e'), {
      outcome: 'sent',
      reason: REASON,
    });
    expect(stranger.statusCode).toBe(404);
    expect(stranger.body).toContain('subjectId');
    const malformed = await api('POST', url('not-a-uuid'), { outcome: 'sent', reason: REASON });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.body).toContain('subjectId');
    // No right: 403 before anything (a reader without export_audiences, another purpose's key).
    for (const headers of [
      await t.key(['newsletter'], ['read']),
      await t.key(['market_research'], ['read', 'export_audiences']),
    ]) {
      const res = await api('POST', url(taken.id), { outcome: 'sent', reason: REASON }, headers);
      expect(res.statusCode).toBe(403);
      const requeue = await api(
        'POST',
        url(taken.id, '/requeue'),
        { reason: REASON, confirmSendAgain: true },
        headers,
      );
      expect(requeue.statusCode).toBe(403);
    }
    expect(await send(campaign, taken.id)).toMatchObject({ state: 'uncertain', events: [] });
    expect(await events(campaign, 'campaign.send_resolve')).toHaveLength(0);

    // Sent: the mail server took it.
    const ok = await api('POST', url(taken.id), { outcome: 'sent', reason: REASON });
    expect(ok.statusCode, ok.body).toBe(200);
    const detail = ok.json<Detail>();
    expect(detail).toMatchObject({ state: 'sent', subjectId: taken.id });
    expect(detail.messageId).toMatch(/^<campaign\./);
    expect(detail.reason).toContain('confirmed sent by staff');
    expect(detail.events).toEqual([
      expect.objectContaining({
        action: 'marked_sent',
        from: 'uncertain',
        to: 'sent',
        reason: REASON,
        actor: 'api_key',
      }),
    ]);
    // Again: it is no longer uncertain (409 naming state), nothing more recorded.
    const twice = await api('POST', url(taken.id), { outcome: 'failed', reason: REASON });
    expect(twice.statusCode).toBe(409);
    expect(fieldsOf(twice.body)).toEqual(['state']);
    expect((await send(campaign, taken.id)).events).toHaveLength(1);

    // Failed: not delivered, and never sent again by itself.
    const failed = await api('POST', url(lost.id), {
      outcome: 'failed',
      reason: 'Not in the mail server log.',
    });
    expect(failed.json<Detail>()).toMatchObject({ state: 'failed' });
    const after = await t.services.campaigns.get(operator, campaign);
    expect(after).toMatchObject({
      state: 'finished',
      progress: { uncertain: 0, sent: 1, failed: 1 },
    });
    const runner = createRunner({ db: t.db.handle.db, jobs: t.services.campaigns.jobs });
    await runner.drainQueue();
    expect(smtp.mailsTo(lost.email)).toBe(1);
    expect(smtp.mailsTo(taken.email)).toBe(1);

    // Logged, with the person's id and the outcome, never the reason.
    const logged = await events(campaign, 'campaign.send_resolve');
    expect(logged.map((e) => (e.data as { to: string }).to).sort()).toEqual(['failed', 'sent']);
    expect(logged.map((e) => e.subject_id).sort()).toEqual([taken.id, lost.id].sort());
    expect(JSON.stringify(logged)).not.toContain('mail server log');

    // Erasing the person takes staff's words about their mail with them.
    const reasonsOf = async (id: string) =>
      (
        await sql<{ reason: string }>`
          select reason from campaign_send_events where subject_id = ${id}`.execute(t.db.handle.db)
      ).rows.map((r) => r.reason);
    expect(await reasonsOf(lost.id)).toEqual(['Not in the mail server log.']);
    await t.services.subjects.eraseSubject(operator, lost.id);
    expect(await reasonsOf(lost.id)).toEqual([]);
    expect(await reasonsOf(taken.id)).toEqual([REASON]);
  });

  it('an uncertain mail is sent again only when confirmed, with the permission checked again right before', async () => {
    const mark = tag();
    const again = await person('Uudelleen', mark);
    const withdrew = await person('Peruja', mark);
    const campaign = await draft(mark);
    smtp.dropAfterData(again.email);
    smtp.dropAfterData(withdrew.email);
    await api('POST', `/campaigns/${campaign}/start`);
    expect((await sendAll(campaign)).progress).toMatchObject({ uncertain: 2 });
    const url = (id: string) => `/campaigns/${campaign}/sends/${id}/requeue`;
    const REASON = 'The mail server log has no trace of it.';

    // Without the confirmation, or with it false: refused naming it, nothing changes.
    for (const [body, field] of [
      [{ reason: REASON }, 'confirmSendAgain'],
      [{ reason: REASON, confirmSendAgain: false }, 'confirmSendAgain'],
      [{ reason: REASON, confirmSendAgain: 'yes' }, 'confirmSendAgain'],
      [{ confirmSendAgain: true }, 'reason'],
    ] as const) {
      const res = await api('POST', url(again.id), body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(fieldsOf(res.body).join(' ')).toContain(field);
    }
    expect(await send(campaign, again.id)).toMatchObject({ state: 'uncertain', events: [] });
    expect((await t.services.campaigns.get(operator, campaign)).state).toBe('finished');

    // Confirmed, on an instance whose PUBLIC_URL is plain http: refused naming it (the mail's
    // unsubscribe link would not work), nothing changes.
    const plain = createServices({
      database: t.db.handle,
      keys: t.keys,
      register: t.register,
      vault: createVault(t.masterKey),
      mail: { smtp: { url: smtp.url, from: 'Paahtimo Oy <uutiset@example.fi>' } },
      publicUrl: 'http://rekisteri.example.fi',
    });
    const plainApp = await createApp(plain);
    try {
      const refused = await plainApp.inject({
        method: 'POST',
        url: `/api/v1${url(again.id)}`,
        headers: marketer,
        payload: { reason: REASON, confirmSendAgain: true },
      });
      expect(refused.statusCode, refused.body).toBe(409);
      expect(fieldsOf(refused.body)).toEqual(['PUBLIC_URL']);
    } finally {
      await plainApp.close();
      plain.mail.close();
    }
    expect(await send(campaign, again.id)).toMatchObject({ state: 'uncertain', events: [] });
    expect((await t.services.campaigns.get(operator, campaign)).state).toBe('finished');

    // Confirmed: queued again, the finished campaign sending again for them.
    const oldId = (await send(campaign, again.id)).messageId;
    const res = await api('POST', url(again.id), { reason: REASON, confirmSendAgain: true });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<Detail>()).toMatchObject({
      state: 'queued',
      messageId: null,
      events: [expect.objectContaining({ action: 'requeued', to: 'queued', reason: REASON })],
    });
    expect((await t.services.campaigns.get(operator, campaign)).state).toBe('sending');
    expect(
      (await api('POST', url(withdrew.id), { reason: REASON, confirmSendAgain: true })).statusCode,
    ).toBe(200);
    // Meanwhile one withdraws their consent (one POST to their unsubscribe link would do).
    await t.services.permissions.record(
      operator,
      withdrew.id,
      [{ kind: 'newsletter', channel: 'email', state: 'withdrawn' }],
      { method: 'staff' },
    );
    const done = await sendAll(campaign);
    expect(done).toMatchObject({ state: 'finished', progress: { sent: 1, skipped: 1 } });
    expect(smtp.mailsTo(again.email)).toBe(2);
    expect(smtp.mailsTo(withdrew.email)).toBe(1);
    const resent = await send(campaign, again.id);
    expect(resent.state).toBe('sent');
    expect(resent.messageId).not.toBe(oldId);
    // The old Message-ID is kept in the history.
    expect(
      (
        await t.db.handle.db
          .selectFrom('campaign_send_events')
          .select('message_id')
          .where('subject_id', '=', again.id)
          .executeTakeFirstOrThrow()
      ).message_id,
    ).toBe(oldId);
    expect(await send(campaign, withdrew.id)).toMatchObject({
      state: 'skipped',
      reason: 'withdrawn',
    });
    // A mail no longer uncertain is not requeued (409 naming state).
    const sentAlready = await api('POST', url(again.id), {
      reason: REASON,
      confirmSendAgain: true,
    });
    expect(sentAlready.statusCode).toBe(409);
    expect(fieldsOf(sentAlready.body)).toEqual(['state']);
    const control = await events(campaign, 'campaign.control');
    expect(control.map((e) => (e.data as { reason?: string }).reason)).toContain('requeued');
  });

  it("a complaint or bounce quoting a requeued mail's first Message-ID is applied: the complaint withdraws, the bounce keeps the address out", async () => {
    const mark = tag();
    const complains = await person('Valittaja', mark);
    const bounces = await person('Kimpoava', mark);
    const campaign = await draft(mark);
    smtp.dropAfterData(complains.email);
    smtp.dropAfterData(bounces.email);
    await api('POST', `/campaigns/${campaign}/start`);
    expect((await sendAll(campaign)).progress).toMatchObject({ uncertain: 2 });
    const firstOf = async (p: { id: string }) => (await send(campaign, p.id)).messageId as string;
    const complainsFirst = await firstOf(complains);
    const bouncesFirst = await firstOf(bounces);
    for (const p of [complains, bounces]) {
      const res = await api('POST', `/campaigns/${campaign}/sends/${p.id}/requeue`, {
        reason: 'No trace of it in the server log.',
        confirmSendAgain: true,
      });
      expect(res.statusCode, res.body).toBe(200);
    }

    // Another purpose's key, or a recipient other than the first copy's: refused, nothing changes.
    const stranger = await api(
      'POST',
      '/campaigns/feedback',
      { type: 'complaint', messageId: complainsFirst },
      await t.key(['market_research'], ['read', 'export_audiences']),
    );
    const unknown = await api(
      'POST',
      '/campaigns/feedback',
      { type: 'complaint', messageId: `<campaign.${mark}@nowhere.example>` },
      await t.key(['market_research'], ['read', 'export_audiences']),
    );
    expect(stranger.statusCode).toBe(404);
    expect(stranger.body).toBe(unknown.body);
    const wrongRecipient = await api('POST', '/campaigns/feedback', {
      type: 'complaint',
      messageId: complainsFirst,
      recipient: bounces.email,
    });
    expect(wrongRecipient.statusCode).toBe(400);
    expect(fieldsOf(wrongRecipient.body)).toEqual(['recipient']);
    expect(await send(campaign, complains.id)).toMatchObject({ state: 'queued' });

    // The complaint on the first copy arrives before the second goes: the consent is withdrawn
    // at once and the second copy never goes.
    const complaint = await api('POST', '/campaigns/feedback', {
      type: 'complaint',
      messageId: complainsFirst,
      recipient: complains.email,
    });
    expect(complaint.statusCode, complaint.body).toBe(200);
    expect(complaint.json()).toEqual({
      campaignId: campaign,
      subjectId: complains.id,
      state: 'complained',
    });
    const check = (id: string) =>
      t.services.permissions.check(operator, {
        purpose: 'newsletter',
        subjectId: id,
        channel: 'email',
      });
    expect((await check(complains.id)).reason.code).toBe('withdrawn');
    await sendAll(campaign);
    expect(smtp.mailsTo(complains.email)).toBe(1);
    expect(smtp.mailsTo(bounces.email)).toBe(2);
    expect(await send(campaign, complains.id)).toMatchObject({
      state: 'complained',
      reason: 'complaint (an earlier copy)',
      messageId: complainsFirst,
    });

    // The bounce of the first copy arrives after the second went: the address is kept out.
    const bouncesSecond = await firstOf(bounces);
    expect(bouncesSecond).not.toBe(bouncesFirst);
    const bounce = await api('POST', '/campaigns/feedback', {
      type: 'bounce',
      messageId: bouncesFirst.slice(1, -1),
    });
    expect(bounce.statusCode, bounce.body).toBe(200);
    const bounced = await send(campaign, bounces.id);
    expect(bounced).toMatchObject({ state: 'bounced', messageId: bouncesSecond });
    expect(bounced.bounceSuppressedUntil).not.toBeNull();
    // A report on the second copy still finds it.
    expect(
      (await api('POST', '/campaigns/feedback', { type: 'bounce', messageId: bouncesSecond }))
        .statusCode,
    ).toBe(200);
    const logged = await events(campaign, 'campaign.feedback');
    expect(logged.map((e) => (e.data as { copy?: string }).copy)).toContain('earlier');

    // The next campaign: the one who complained is not in its audience; the bounced address
    // is skipped.
    const next = await draft(mark);
    await api('POST', `/campaigns/${next}/start`);
    expect((await t.services.campaigns.get(operator, next)).progress.queued).toBe(1);
    await sendAll(next);
    await expect(send(next, complains.id)).rejects.toMatchObject({ code: 'not_found' });
    expect(await send(next, bounces.id)).toMatchObject({
      state: 'skipped',
      reason: 'bounced_before',
    });
    expect(smtp.mailsTo(complains.email)).toBe(1);
    expect(smtp.mailsTo(bounces.email)).toBe(2);
  });

  it.skipIf(kind !== 'postgres')(
    'a requeue landing while the last batch decides the campaign is finished is still mailed: no mail stays queued',
    async () => {
      const mark = tag();
      const first = await person('Ensimmainen', mark);
      const second = await person('Toinen', mark);
      const campaign = await draft(mark);
      smtp.dropAfterData(first.email);
      smtp.dropAfterData(second.email);
      await api('POST', `/campaigns/${campaign}/start`);
      expect((await sendAll(campaign)).progress).toMatchObject({ uncertain: 2 });
      const requeue = (id: string) =>
        t.services.campaigns.requeueSend(operator, campaign, id, {
          reason: 'No trace of it in the server log.',
          confirmSendAgain: true,
        });
      // The first requeued: the finished campaign sends again, in a new generation.
      await requeue(first.id);
      const { generation } = await t.db.handle.db
        .selectFrom('campaigns')
        .select('generation')
        .where('id', '=', campaign)
        .executeTakeFirstOrThrow();

      const holder = new pg.Client({ connectionString: t.db.url });
      const watcher = new pg.Client({ connectionString: t.db.url });
      await holder.connect();
      await watcher.connect();
      const lockWaiters = async (n: number) => {
        for (let i = 0; i < 400; i++) {
          const r = await watcher.query<{ n: number }>(
            `select count(*)::int as n from pg_stat_activity
              where wait_event_type = 'Lock' and datname = current_database()`,
          );
          if ((r.rows[0]?.n ?? 0) >= n) {
            return;
          }
          await new Promise((r) => setTimeout(r, 25));
        }
        throw new Error(`never ${n} statements waiting for a lock`);
      };
      try {
        // The campaign's row held elsewhere: the second requeue waits for it first, then the
        // batch mails the first person and, finding nobody else queued yet, waits to finish.
        await holder.query('begin');
        await holder.query('select id from campaigns where id = $1 for update', [campaign]);
        const requeued = requeue(second.id);
        await lockWaiters(1);
        const batch = t.services.campaigns.runBatch(campaign, generation);
        await lockWaiters(2);
        await holder.query('commit');
        await requeued;
        await batch;
      } finally {
        await holder.end().catch(() => undefined);
        await watcher.end().catch(() => undefined);
      }
      // The requeue committed first: the batch saw the person queued and did not finish.
      expect(await send(campaign, second.id)).toMatchObject({ state: 'queued' });
      expect((await t.services.campaigns.get(operator, campaign)).state).toBe('sending');
      const done = await sendAll(campaign);
      expect(done.state).toBe('finished');
      expect(done.progress).toMatchObject({ queued: 0, sent: 2 });
      expect(smtp.mailsTo(second.email)).toBe(2);
      expect(smtp.mailsTo(first.email)).toBe(2);
    },
  );

  it('a cancelled campaign sends nothing more: requeueing its uncertain mail is 409, nothing changes', async () => {
    const mark = tag();
    const p = await person('Peruttu', mark);
    const campaign = await draft(mark);
    await api('POST', `/campaigns/${campaign}/cancel`);
    await t.db.handle.db
      .insertInto('campaign_sends')
      .values({
        campaign_id: campaign,
        subject_id: p.id,
        state: 'uncertain',
        reason: 'interrupted',
        message_id: `<campaign.${mark}@example.fi>`,
        updated_at: new Date(),
      })
      .execute();
    const res = await api('POST', `/campaigns/${campaign}/sends/${p.id}/requeue`, {
      reason: 'Trying again.',
      confirmSendAgain: true,
    });
    expect(res.statusCode).toBe(409);
    expect(fieldsOf(res.body)).toEqual(['state']);
    expect(await send(campaign, p.id)).toMatchObject({ state: 'uncertain', events: [] });
    expect((await t.services.campaigns.get(operator, campaign)).state).toBe('cancelled');
  });

  it('a bounce lifted early lets the address be mailed again, but never lifts a withdrawal, a complaint, a stop or a prohibition list', async () => {
    const mark = tag();
    const fixed = await person('Korjattu', mark);
    const withdrew = await person('Kieltaytyi', mark);
    const listed = await person('Listattu', mark);
    const complained = await person('Valitti', mark);
    const stopped = await person('Kielsi', mark);
    const campaign = await draft(mark);
    await api('POST', `/campaigns/${campaign}/start`);
    await sendAll(campaign);
    const all = [fixed, withdrew, listed, complained, stopped];
    for (const p of all) {
      const messageId = (await send(campaign, p.id)).messageId;
      const b = await api('POST', '/campaigns/feedback', { type: 'bounce', messageId });
      expect(b.statusCode, b.body).toBe(200);
    }
    const bounced = await send(campaign, fixed.id);
    expect(bounced.state).toBe('bounced');
    expect(Date.parse(bounced.bounceSuppressedUntil ?? '')).toBeGreaterThan(
      Date.now() + 170 * 24 * 3600_000,
    );
    const url = (id: string) => `/campaigns/${campaign}/sends/${id}/lift-bounce`;
    const REASON = 'The person called: the mailbox works again.';

    // Bad input, no right: refused, nothing changes.
    for (const [body, field] of [
      [{}, 'reason'],
      [{ reason: '' }, 'reason'],
      [{ reason: REASON, until: 'now' }, 'until'],
    ] as const) {
      const res = await api('POST', url(fixed.id), body);
      expect(res.statusCode).toBe(400);
      expect(field === 'until' ? res.body : fieldsOf(res.body).join(' '), res.body).toContain(
        field,
      );
    }
    const noRight = await api(
      'POST',
      url(fixed.id),
      { reason: REASON },
      await t.key(['newsletter'], ['read']),
    );
    expect(noRight.statusCode).toBe(403);
    expect((await send(campaign, fixed.id)).events).toEqual([]);

    for (const p of all) {
      const res = await api('POST', url(p.id), { reason: REASON });
      expect(res.statusCode, res.body).toBe(200);
      // The bounce stays recorded; the lift is in its history.
      expect(res.json<Detail>()).toMatchObject({
        state: 'bounced',
        bounceSuppressedUntil: null,
        events: [
          expect.objectContaining({ action: 'bounce_lifted', reason: REASON, actor: 'api_key' }),
        ],
      });
    }
    // Lifted once: a second lift is 409 naming state; a mail that did not bounce likewise.
    const twice = await api('POST', url(fixed.id), { reason: REASON });
    expect(twice.statusCode).toBe(409);
    expect(fieldsOf(twice.body)).toEqual(['state']);
    const logged = await events(campaign, 'campaign.bounce_lift');
    expect(logged).toHaveLength(5);
    expect(JSON.stringify(logged)).not.toContain('mailbox works');

    // The next campaign: the fixed address is mailed; the withdrawal and the list still hold.
    const before = smtp.mailsTo(fixed.email);
    const next = await draft(mark);
    await api('POST', `/campaigns/${next}/start`);
    expect((await t.services.campaigns.get(operator, next)).progress.queued).toBe(5);
    // Started with all five queued; before their mails, one withdraws, one's address goes on a
    // prohibition list, one complains of the earlier mail (whose bounce was lifted) and one
    // prohibits direct marketing: the send's permission check still keeps them out.
    const complaint = await api('POST', '/campaigns/feedback', {
      type: 'complaint',
      messageId: (await send(campaign, complained.id)).messageId,
    });
    expect(complaint.statusCode, complaint.body).toBe(200);
    await t.services.subjects.stopProcessing(operator, stopped.id, {
      reason: 'marketing_prohibition',
    });
    await t.services.permissions.record(
      operator,
      withdrew.id,
      [{ kind: 'newsletter', channel: 'email', state: 'withdrawn' }],
      { method: 'staff' },
    );
    const list = join(dir, `prohibitions-${mark}.csv`);
    await writeFile(list, `email,phone\n${listed.email},\n`);
    await t.services.interchange.importProhibitions(operator, {
      file: list,
      source: `asml-${mark}`,
    });

    await sendAll(next);
    expect(smtp.mailsTo(fixed.email)).toBe(before + 1);
    expect(await send(next, fixed.id)).toMatchObject({ state: 'sent' });
    expect(await send(next, withdrew.id)).toMatchObject({ state: 'skipped', reason: 'withdrawn' });
    expect(await send(next, listed.id)).toMatchObject({
      state: 'skipped',
      reason: 'prohibition_list',
    });
    expect(await send(next, complained.id)).toMatchObject({
      state: 'skipped',
      reason: 'withdrawn',
    });
    expect(await send(next, stopped.id)).toMatchObject({ state: 'skipped', reason: 'stopped' });
    for (const p of [withdrew, listed, complained, stopped]) {
      expect(smtp.mailsTo(p.email)).toBe(1);
    }
    const sent = await api('POST', `/campaigns/${next}/sends/${fixed.id}/lift-bounce`, {
      reason: REASON,
    });
    expect(sent.statusCode).toBe(409);
    expect(sent.body).toContain('expected bounced');

    // A new bounce after the lift keeps the address out again.
    const b2 = await api('POST', '/campaigns/feedback', {
      type: 'bounce',
      messageId: (await send(next, fixed.id)).messageId,
    });
    expect(b2.statusCode).toBe(200);
    const third = await draft(mark);
    await api('POST', `/campaigns/${third}/start`);
    await sendAll(third);
    expect(await send(third, fixed.id)).toMatchObject({
      state: 'skipped',
      reason: 'bounced_before',
    });
    // A bounce older than 180 days has expired: nothing to lift (409).
    await t.db.handle.db
      .updateTable('campaign_sends')
      .set({ updated_at: new Date(Date.now() - 181 * 24 * 3600_000) })
      .where('campaign_id', '=', next)
      .where('subject_id', '=', fixed.id)
      .execute();
    const expired = await api('POST', `/campaigns/${next}/sends/${fixed.id}/lift-bounce`, {
      reason: REASON,
    });
    expect(expired.statusCode).toBe(409);
    expect(expired.body).toContain('180 days');
  });

  const requeueOf = (campaign: string, id: string) =>
    api('POST', `/campaigns/${campaign}/sends/${id}/requeue`, {
      reason: 'No trace of it in the server log.',
      confirmSendAgain: true,
    });
  const historyOf = async (subjectId: string) =>
    (
      await sql<{ action: string }>`select action from campaign_send_events
        where subject_id = ${subjectId} order by at, id`.execute(t.db.handle.db)
    ).rows.map((r) => r.action);
  /** A person whose first copy was cut off after DATA, requeued and mailed a second time. */
  const mailedTwice = async (
    lastName: string,
    mark: string,
    between?: (p: { id: string; email: string }) => Promise<void>,
  ) => {
    const p = await person(lastName, mark);
    const campaign = await draft(mark);
    smtp.dropAfterData(p.email);
    await api('POST', `/campaigns/${campaign}/start`);
    expect((await sendAll(campaign)).progress).toMatchObject({ uncertain: 1 });
    const first = (await send(campaign, p.id)).messageId as string;
    expect((await requeueOf(campaign, p.id)).statusCode).toBe(200);
    await between?.(p);
    await sendAll(campaign);
    const second = (await send(campaign, p.id)).messageId as string;
    expect(second).not.toBe(first);
    return { p, campaign, first, second };
  };
  const feedback = async (body: object) => {
    const res = await api('POST', '/campaigns/feedback', body);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ state: string }>();
  };

  it("a late bounce of a requeued mail's first copy leaves the second copy's bounce as it was and keeps both addresses out, even after an erasure", async () => {
    const mark = tag();
    const newEmail = `uusi.${mark}@example.com`;
    // The person's address changes before the second copy goes.
    const { p, campaign, first, second } = await mailedTwice('Muuttaja', mark, async (p) => {
      await t.services.subjects.updateSubject(operator, p.id, {
        purpose: 'customer_relationship',
        source: 'staff',
        values: { contact: { email: newEmail } },
      });
    });
    expect(smtp.mailsTo(newEmail)).toBe(1);
    // The second copy's address is dead; then the first copy's bounce arrives late.
    expect(await feedback({ type: 'bounce', messageId: second, recipient: newEmail })).toEqual(
      expect.objectContaining({ state: 'bounced' }),
    );
    const bounced = await send(campaign, p.id);
    expect(await feedback({ type: 'bounce', messageId: first, recipient: p.email })).toMatchObject({
      state: 'bounced',
    });
    // The send is as the second copy's bounce left it; the first copy's bounce is a row of its own.
    const after = await send(campaign, p.id);
    expect(after).toMatchObject({
      state: 'bounced',
      reason: 'bounce',
      messageId: second,
      at: bounced.at,
      bounceSuppressedUntil: bounced.bounceSuppressedUntil,
    });
    expect(after.events.map((e) => [e.action, e.messageId, e.reason])).toEqual([
      ['requeued', first, 'No trace of it in the server log.'],
      ['bounced', first, 'bounce (an earlier copy)'],
    ]);
    // A report naming the other address for either copy: refused, nothing added.
    const wrong = await api('POST', '/campaigns/feedback', {
      type: 'bounce',
      messageId: first,
      recipient: newEmail,
    });
    expect(wrong.statusCode).toBe(400);
    expect(fieldsOf(wrong.body)).toEqual(['recipient']);
    expect(await historyOf(p.id)).toEqual(['requeued', 'bounced']);

    // Both addresses bounced within 180 days: neither is mailed by the next campaign, whoever is
    // at it (another person now has the old one).
    const other = await person('Perija', mark);
    await t.services.subjects.updateSubject(operator, other.id, {
      purpose: 'customer_relationship',
      source: 'staff',
      values: { contact: { email: p.email } },
    });
    const next = await draft(mark);
    await api('POST', `/campaigns/${next}/start`);
    await sendAll(next);
    for (const id of [p.id, other.id]) {
      expect(await send(next, id)).toMatchObject({ state: 'skipped', reason: 'bounced_before' });
    }
    expect(smtp.mailsTo(newEmail)).toBe(1);
    expect(smtp.mailsTo(p.email)).toBe(1);

    // The erasure takes the person's history; the late bounce keeps its address out without
    // them (an address-only row), as a bounced send does.
    await t.services.subjects.eraseSubject(operator, p.id);
    expect(await historyOf(p.id)).toEqual([]);
    const again = await draft(mark);
    await api('POST', `/campaigns/${again}/start`);
    await sendAll(again);
    expect(await send(again, other.id)).toMatchObject({
      state: 'skipped',
      reason: 'bounced_before',
    });
    expect(smtp.mailsTo(p.email)).toBe(1);
  });

  it("a first copy's bounce arriving before the second copy's (to a changed address) leaves the send to the second address: both are kept out", async () => {
    const mark = tag();
    const newEmail = `uusi.${mark}@example.com`;
    const { p, campaign, first, second } = await mailedTwice('Siirtyja', mark, async (p) => {
      await t.services.subjects.updateSubject(operator, p.id, {
        purpose: 'customer_relationship',
        source: 'staff',
        values: { contact: { email: newEmail } },
      });
    });
    const sent = await send(campaign, p.id);
    expect(sent).toMatchObject({ state: 'sent', messageId: second });
    // The old address bounces: the second copy, handed over to the new one, is left as it was.
    expect(await feedback({ type: 'bounce', messageId: first })).toMatchObject({ state: 'sent' });
    const after = await send(campaign, p.id);
    expect(after).toMatchObject({ state: 'sent', messageId: second, at: sent.at });
    expect(after.events.map((e) => [e.action, e.from, e.to, e.messageId])).toEqual([
      ['requeued', 'uncertain', 'queued', first],
      ['bounced', 'sent', 'sent', first],
    ]);
    // The new address bounces later: found by its own Message-ID and its own recipient.
    expect(await feedback({ type: 'bounce', messageId: second, recipient: newEmail })).toEqual({
      campaignId: campaign,
      subjectId: p.id,
      state: 'bounced',
    });
    const other = await person('Seuraaja', mark);
    await t.services.subjects.updateSubject(operator, other.id, {
      purpose: 'customer_relationship',
      source: 'staff',
      values: { contact: { email: p.email } },
    });
    const next = await draft(mark);
    await api('POST', `/campaigns/${next}/start`);
    await sendAll(next);
    for (const id of [p.id, other.id]) {
      expect(await send(next, id)).toMatchObject({ state: 'skipped', reason: 'bounced_before' });
    }
    expect(smtp.mailsTo(newEmail)).toBe(1);
    expect(smtp.mailsTo(p.email)).toBe(1);
  });

  it("a late complaint on a requeued mail's first copy withdraws, and the second copy's bounce stays", async () => {
    const mark = tag();
    const { p, campaign, first, second } = await mailedTwice('Kaksi', mark);
    expect(await feedback({ type: 'bounce', messageId: second })).toMatchObject({
      state: 'bounced',
    });
    const bounced = await send(campaign, p.id);
    expect(bounced.bounceSuppressedUntil).not.toBeNull();
    expect(await feedback({ type: 'complaint', messageId: first })).toEqual({
      campaignId: campaign,
      subjectId: p.id,
      state: 'bounced',
    });
    const after = await send(campaign, p.id);
    expect(after).toMatchObject({
      state: 'bounced',
      reason: 'bounce',
      bounceSuppressedUntil: bounced.bounceSuppressedUntil,
    });
    expect(after.events.map((e) => [e.action, e.reason])).toEqual([
      ['requeued', 'No trace of it in the server log.'],
      ['complained', 'complaint (an earlier copy)'],
    ]);
    // The complaint still withdrew the consent.
    const check = await t.services.permissions.check(operator, {
      purpose: 'newsletter',
      subjectId: p.id,
      channel: 'email',
    });
    expect(check.reason.code).toBe('withdrawn');
  });

  it('a late bounce of a first copy on a complained send leaves the complaint its state and reason', async () => {
    const mark = tag();
    const { p, campaign, first, second } = await mailedTwice('Valittava', mark);
    expect(await feedback({ type: 'complaint', messageId: second })).toMatchObject({
      state: 'complained',
    });
    const complained = await send(campaign, p.id);
    expect(await feedback({ type: 'bounce', messageId: first })).toMatchObject({
      state: 'complained',
    });
    const after = await send(campaign, p.id);
    expect(after).toMatchObject({
      state: 'complained',
      reason: 'complaint',
      messageId: second,
      at: complained.at,
    });
    expect(after.events.map((e) => [e.action, e.from, e.to, e.reason])).toEqual([
      ['requeued', 'uncertain', 'queued', 'No trace of it in the server log.'],
      ['bounced', 'complained', 'complained', 'bounce (an earlier copy)'],
    ]);
  });

  it("after an erasure, staff's actions on the person's mails are refused as for an unknown person (404), writing nothing", async () => {
    const mark = tag();
    const unsure = await person('Epavarma', mark);
    const unsure2 = await person('Epavarma', `${mark}b`);
    const bounced = await person('Pomppu', mark);
    const campaign = await draft(mark);
    smtp.dropAfterData(unsure.email);
    smtp.dropAfterData(unsure2.email);
    await api('POST', `/campaigns/${campaign}/start`);
    expect((await sendAll(campaign)).state).toBe('finished');
    expect(await send(campaign, unsure.id)).toMatchObject({ state: 'uncertain' });
    await feedback({ type: 'bounce', messageId: (await send(campaign, bounced.id)).messageId });
    await t.services.subjects.eraseSubject(operator, unsure.id);
    await t.services.subjects.eraseSubject(operator, bounced.id);
    // The erased person's uncertain mail stays uncertain (it may have arrived: its bounce still
    // counts), and nobody can send it again (below).
    expect(await stored(campaign, unsure.id)).toMatchObject({ state: 'uncertain' });
    expect(await send(campaign, unsure2.id)).toMatchObject({ state: 'uncertain' });

    const stranger = '0190c6a4-1f2e-7b3c-8d4e-5f6a7b8c9d0e';
    const actions = (id: string) => [
      requeueOf(campaign, id),
      api('POST', `/campaigns/${campaign}/sends/${id}/lift-bounce`, {
        reason: 'Anna Virtanen phoned: her mailbox at work is fixed.',
      }),
      api('POST', `/campaigns/${campaign}/sends/${id}/resolve`, {
        outcome: 'failed',
        reason: 'Anna Virtanen asked us by phone.',
      }),
      // Bad input about their mail: the same 404 as about a stranger's, never a 400.
      api('POST', `/campaigns/${campaign}/sends/${id}/resolve`, { outcome: 'maybe' }),
      api('POST', `/campaigns/${campaign}/sends/${id}/requeue`, { confirmSendAgain: false }),
      api('POST', `/campaigns/${campaign}/sends/${id}/lift-bounce`, { extra: 1 }),
      // The mail's detail is not shown either.
      api('GET', `/campaigns/${campaign}/sends/${id}`),
    ];
    const unknown = await Promise.all(actions(stranger));
    for (const id of [unsure.id, bounced.id]) {
      const answers = await Promise.all(actions(id));
      answers.forEach((res, i) => {
        expect(res.statusCode, res.body).toBe(404);
        expect(fieldsOf(res.body)).toEqual(['subjectId']);
        // The same answer, but for the id in the path.
        expect(res.body.replaceAll(id, stranger)).toBe(unknown[i]?.body);
      });
    }
    expect(await historyOf(unsure.id)).toEqual([]);
    expect(await historyOf(bounced.id)).toEqual([]);
    expect(await events(campaign, 'campaign.send_resolve')).toHaveLength(0);
    expect(await events(campaign, 'campaign.bounce_lift')).toHaveLength(0);
    // The finished campaign stays finished.
    expect((await t.services.campaigns.get(operator, campaign)).state).toBe('finished');
    expect(smtp.mailsTo(unsure.email)).toBe(1);
  });

  it('an erasure waiting behind a staff action, or one landing first, leaves no history of the person', async () => {
    const mark = tag();
    const unsure = await person('Kilpa', mark);
    const campaign = await draft(mark);
    smtp.dropAfterData(unsure.email);
    await api('POST', `/campaigns/${campaign}/start`);
    await sendAll(campaign);
    // Both at once: whichever commits first, nothing of staff's is left once the erasure is done.
    const [res] = await Promise.all([
      api('POST', `/campaigns/${campaign}/sends/${unsure.id}/resolve`, {
        outcome: 'sent',
        reason: 'The server log shows it taken.',
      }),
      t.services.subjects.eraseSubject(operator, unsure.id),
    ]);
    expect([200, 404]).toContain(res.statusCode);
    expect(await historyOf(unsure.id)).toEqual([]);
  });

  it("erasure finds a person's history rows by an index, and feedback a requeued mail's old Message-ID (0041)", async () => {
    const plans = await t.db.handle.db.transaction().execute(async (tx) => {
      // Only the index could make these anything but a read of the whole table.
      await sql`set local enable_seqscan = off`.execute(tx);
      const plan = async (q: ReturnType<typeof sql>) =>
        (await sql<{ 'QUERY PLAN': string }>`explain ${q}`.execute(tx)).rows
          .map((r) => r['QUERY PLAN'])
          .join('\n');
      return {
        erase: await plan(
          sql`delete from campaign_send_events where subject_id = '0190c6a4-1f2e-7b3c-8d4e-5f6a7b8c9d0e'`,
        ),
        feedback: await plan(
          sql`select campaign_id from campaign_send_events where action = 'requeued' and message_id = '<campaign.x@example.fi>'`,
        ),
        bounced: await plan(
          sql`select id from campaign_send_events where action = 'bounced' and recipient_index = 'x' and at >= now()`,
        ),
      };
    });
    expect(plans.erase).toContain('campaign_send_events_subject');
    expect(plans.feedback).toContain('campaign_send_events_message');
    // A first copy's late bounce is found by its address (0044).
    expect(plans.bounced).toContain('campaign_send_events_bounced');
  });

  it('the history is append-only', async () => {
    await expect(
      sql`update campaign_send_events set reason = 'changed'`.execute(t.db.handle.db),
    ).rejects.toThrow(/append-only/);
  });
});
