/**
 * Campaigns (issue 11, item 8; docs/campaigns.md): marketing mail the register sends itself.
 *
 * A campaign is drafted (purpose, e-mail channel, the audience's filters, subject and body in
 * sv/fi/en, sender), its audience counted, then started: the people of the audience as it is then
 * are queued page by page (ids only, one row each in `campaign_sends`: never the whole audience in
 * memory), and the `campaigns.send` job mails them in batches at the campaign's rate (its own, at
 * most CAMPAIGN_SEND_RATE per minute, the default). Right before each mail the
 * permission check is asked again, from the ledger as it is that moment: a person who unsubscribed
 * a second ago is skipped, with the check's reason recorded. Each mail carries the person's
 * unsubscribe link in the List-Unsubscribe header with List-Unsubscribe-Post (RFC 8058) and in
 * its text. A person is claimed (queued → sending, committed) before the SMTP server is spoken
 * to, and the claim is marked attempted (committed) right before the mail is handed over, so
 * nobody is mailed twice: a failure known to come before the mail was handed over (no connection,
 * a 4xx to MAIL FROM or RCPT TO, before the DATA command) puts the person back in the queue; a
 * failure at or after the DATA command without the server's refusal is recorded `uncertain` and
 * never retried by itself; a send left `sending` by a run that stopped goes back to the queue if
 * it was not attempted, else becomes `uncertain` (`interrupted`). Bounces and complaints are fed
 * back by the mail's Message-ID only; a complaint records an objection (or a withdrawn consent) in
 * the ledger, in the same transaction.
 */
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { withTransaction, type Executor } from '../../db/transaction.ts';
import type { Database } from '../../db/types.ts';
import { defineJob, defineSchedule, describeError, enqueue, JobError } from '../../jobs/index.ts';
import { actorLabel, requireAction, requirePurpose, system, type Actor } from '../../lib/actor.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError, invalid, invalidAll, zodIssueFields } from '../../lib/errors.ts';
import { uuidv7 } from '../../lib/ids.ts';
import { DirectDeliveryError, escapeHtml, type MailService } from '../../mail/index.ts';
import type { Vault } from '../../vault/vault.ts';
import type { AudiencesService } from '../audiences/index.ts';
import type { AuditService } from '../audit/index.ts';
import type { Register } from '../definition/index.ts';
import type { PermissionsService, UnsubscribeLinks } from '../permissions/index.ts';
import type { AudienceMember, SubjectsService } from '../subjects/index.ts';
import { campaignsRepo as repo, type CampaignRow } from './campaigns.repo.ts';
import {
  CAMPAIGN_LANGUAGES,
  campaignInput,
  feedbackInput,
  liftBounceInput,
  readReport,
  requeueSendInput,
  resolveSendInput,
  SEND_STATES,
  type CampaignContent,
  type CampaignLanguage,
  type CampaignState,
  type SendState,
} from './model.ts';

/** A send's state after a report: its own, when a late report on a first copy leaves it as it is. */
type LateState = 'bounced' | 'complained' | 'sent' | 'uncertain' | 'failed';

export interface CampaignsDeps {
  db: Kysely<Database>;
  register: Register;
  audit: AuditService;
  clock: Clock;
  vault: Pick<Vault, 'emailIndex'>;
  audiences: Pick<AudiencesService, 'count' | 'members'>;
  subjects: Pick<SubjectsService, 'audience'>;
  permissions: Pick<PermissionsService, 'decide' | 'record'>;
  mail: Pick<MailService, 'deliverDirect' | 'canDeliver'>;
  unsubscribeLinks: UnsubscribeLinks;
  /** Where the portal is (PUBLIC_URL): the Message-ID's domain. */
  publicUrl: string;
  /** Mails per minute at most (CAMPAIGN_SEND_RATE, default 600). */
  ratePerMinute?: number;
  /** Milliseconds between batches (default 10 s): each batch is a rate's worth of that time. */
  windowMs?: number;
  /** How long a person deferred by their server (4xx to RCPT TO) waits, times the attempts (default 5 min). */
  deferMs?: number;
  /** Attempts a deferred person gets before being given up on as `failed` (default 5). */
  recipientAttempts?: number;
  /** How long a start may go without renewing its claim before another may take it (default 10 min). */
  startStaleMs?: number;
}

export interface CampaignProgress {
  total: number;
  queued: number;
  sending: number;
  sent: number;
  skipped: number;
  failed: number;
  uncertain: number;
  bounced: number;
  complained: number;
}

export interface Campaign {
  id: string;
  name: string;
  purpose: string;
  channel: string;
  filters: unknown[];
  content: CampaignContent;
  sender: { name?: string; address: string } | null;
  state: CampaignState;
  createdBy: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** Mails per minute: the campaign's own rate, else (and at most) CAMPAIGN_SEND_RATE. */
  ratePerMinute: number;
  /** Why the campaign paused by itself (its send job gave up); null otherwise. */
  reason: string | null;
  progress: CampaignProgress;
}

export interface CampaignSend {
  subjectId: string;
  state: SendState;
  reason: string | null;
  locale: string | null;
  messageId: string | null;
  at: string;
}

/** What staff did about one person's mail (0040): the evidence, oldest first. */
export interface CampaignSendEvent {
  action: 'marked_sent' | 'marked_failed' | 'requeued' | 'bounce_lifted' | 'bounced' | 'complained';
  from: string;
  to: string;
  /** The mail's Message-ID at the time (a requeued mail's old one). */
  messageId: string | null;
  reason: string;
  /** Who, by kind only: staff, api_key, operator. */
  actor: string;
  at: string;
}

export interface CampaignSendDetail extends CampaignSend {
  /** Until when a bounce keeps the address out (null: not bounced, expired, or lifted). */
  bounceSuppressedUntil: string | null;
  events: CampaignSendEvent[];
}

/** The footer every campaign mail ends with, in the recipient's language. */
const FOOTER: Record<CampaignLanguage, (register: string, url: string) => string> = {
  sv: (r, url) =>
    `Du får detta meddelande från ${r}. Vill du inte längre få dem? Avsluta prenumerationen: ${url}`,
  fi: (r, url) =>
    `Saat tämän viestin rekisteristä ${r}. Etkö halua enää näitä viestejä? Peru tilaus: ${url}`,
  en: (r, url) => `You receive this message from ${r}. No longer want these? Unsubscribe: ${url}`,
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Zod issues as one validation_failed naming each field (`content.fi.subject`, `filters[0].op`). */
function refuse(issues: z.core.$ZodIssue[]): never {
  throw invalidAll(issues.flatMap((i) => zodIssueFields(i)));
}

/** How long a hard bounce keeps its address from being mailed by campaigns (docs/campaigns.md). */
export const BOUNCE_SUPPRESSION_DAYS = 180;
/** Retries of a campaign's send job (after connection-level failures) before it pauses the campaign. */
export const SEND_JOB_RETRIES = 8;
const DAY_MS = 24 * 3600 * 1000;

/** SMTP steps before the message is handed over: a refusal there means nothing was sent. */
const BEFORE_DATA = new Set(['EHLO', 'HELO', 'LHLO', 'STARTTLS', 'AUTH', 'MAIL FROM', 'RCPT TO']);
/** Socket failures that mean no connection was made at all. */
const NO_CONNECTION = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EDNS',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/**
 * What a failed delivery means for the person (docs/campaigns.md, "Exactly once"):
 * - `retry`: known to have failed before the message was handed over (no connection; a timeout,
 *   drop or 4xx answer before the DATA command was written; a 4xx to MAIL FROM or RCPT TO). The
 *   person goes back to the queue.
 * - `failed`: the server refused it for good before DATA (5xx), or answered DATA or the message
 *   with a refusal: not delivered, and not retried.
 * - `uncertain`: anything else at or after the DATA command (the connection dropped or timed out
 *   with the message on its way or sent): the server may have it. Never retried by itself.
 */
export function classifyFailure(err: unknown): 'retry' | 'failed' | 'uncertain' {
  const afterData = err instanceof DirectDeliveryError ? err.afterData : true;
  const cause = (err instanceof DirectDeliveryError ? err.cause : err) as {
    code?: unknown;
    originalCode?: unknown;
    responseCode?: unknown;
    command?: unknown;
  } | null;
  const responseCode = typeof cause?.responseCode === 'number' ? cause.responseCode : undefined;
  const command = typeof cause?.command === 'string' ? cause.command : undefined;
  const codes = [cause?.code, cause?.originalCode].filter((c) => typeof c === 'string');
  if (responseCode !== undefined && command !== undefined && BEFORE_DATA.has(command)) {
    return responseCode >= 500 ? 'failed' : 'retry';
  }
  if (responseCode !== undefined && command === 'DATA') {
    return 'failed';
  }
  if (!(err instanceof DirectDeliveryError)) {
    return 'uncertain';
  }
  if (codes.some((c) => NO_CONNECTION.has(c))) {
    return 'retry';
  }
  return afterData ? 'uncertain' : 'retry';
}

/**
 * A 4xx answer to RCPT TO: this recipient's server wants the mail later (a full mailbox, grey
 * listing). Nothing was sent, and it says nothing about the other recipients.
 */
export function deferredByRecipient(err: unknown): boolean {
  const cause = (err instanceof DirectDeliveryError ? err.cause : err) as {
    responseCode?: unknown;
    command?: unknown;
  } | null;
  return (
    cause?.command === 'RCPT TO' &&
    typeof cause.responseCode === 'number' &&
    cause.responseCode >= 400 &&
    cause.responseCode < 500
  );
}

export function createCampaignsService(deps: CampaignsDeps) {
  const { db, register, audit, clock } = deps;
  const rate = deps.ratePerMinute ?? 600;
  const windowMs = deps.windowMs ?? 10_000;
  const deferMs = deps.deferMs ?? 5 * 60_000;
  const recipientAttempts = deps.recipientAttempts ?? 5;
  const startStaleMs = deps.startStaleMs ?? 10 * 60_000;
  /** The campaign's rate, never above the server's as it is now (it may have been lowered). */
  const rateOf = (row: CampaignRow) => Math.min(row.rate_per_minute ?? rate, rate);
  const batchSizeOf = (row: CampaignRow) =>
    Math.max(1, Math.ceil((rateOf(row) * windowMs) / 60_000));
  const host = new URL(deps.publicUrl).hostname || 'rekisteri.invalid';
  /**
   * Every campaign mail's List-Unsubscribe (RFC 8058) must be an https:// URL: mail services ignore
   * (or hold against the sender) a one-click link over plain http. Starting, resuming and sending
   * again are refused while PUBLIC_URL is not one; the send job pauses a campaign it finds so.
   */
  const linksRefusal = () => deps.unsubscribeLinks.refusal('a campaign cannot be sent');

  const present = (row: CampaignRow, counts: Map<string, number>): Campaign => {
    const progress: CampaignProgress = {
      total: 0,
      queued: 0,
      sending: 0,
      sent: 0,
      skipped: 0,
      failed: 0,
      uncertain: 0,
      bounced: 0,
      complained: 0,
    };
    for (const s of SEND_STATES) {
      progress[s] = counts.get(`${row.id}\u0000${s}`) ?? 0;
      progress.total += progress[s];
    }
    const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());
    return {
      id: row.id,
      name: row.name,
      purpose: row.purpose,
      channel: row.channel,
      filters: row.filters as unknown[],
      content: row.content as CampaignContent,
      sender: (row.sender ?? null) as Campaign['sender'],
      state: row.state,
      createdBy: row.created_by,
      createdAt: new Date(row.created_at).toISOString(),
      startedAt: iso(row.started_at),
      finishedAt: iso(row.finished_at),
      ratePerMinute: rateOf(row),
      reason: row.reason,
      progress,
    };
  };

  const countsOf = async (ids: readonly string[], ex: Executor = db) =>
    new Map(
      (await repo.progress(ex, ids)).map((r) => [`${r.campaign_id}\u0000${r.state}`, Number(r.n)]),
    );

  const authorise = (actor: Actor, purpose: string) => {
    requireAction(actor, 'export_audiences');
    requireAction(actor, 'read');
    requirePurpose(actor, purpose, 'read');
  };

  /** The campaign, authorised: the action, and reading under its purpose. */
  const load = async (actor: Actor, id: string, opts: { field?: string } = {}) => {
    requireAction(actor, 'export_audiences');
    if (!UUID.test(id)) {
      throw invalid(opts.field ?? 'id', 'expected a campaign id (a UUID)');
    }
    const row = await repo.get(db, id);
    if (!row) {
      throw new AppError('not_found', `no campaign with id ${id}`, [
        { field: opts.field ?? 'id', detail: 'no such campaign' },
      ]);
    }
    authorise(actor, row.purpose);
    return row;
  };

  /** The field holding the person's preferred language, among the purpose's categories. */
  const languageField = (purpose: string) => {
    for (const category of register.categoriesOf(purpose)) {
      for (const f of register.category(category)?.fields ?? []) {
        if (f.id === 'language' || f.fideslang === 'user.demographic.language') {
          return { category, field: f.id, values: f.values ?? [] };
        }
      }
    }
    return undefined;
  };
  /** The register's first language: the first of its language field's values, else Finnish. */
  const registerLanguage = (purpose: string): CampaignLanguage => {
    const values = languageField(purpose)?.values ?? [];
    return (
      (values.find((v) => (CAMPAIGN_LANGUAGES as readonly string[]).includes(v)) as
        CampaignLanguage | undefined) ?? 'fi'
    );
  };

  /** The channel's e-mail fields the purpose may see. */
  const emailFields = (purpose: string, channel: string) => {
    const allowed = register.categoriesOf(purpose);
    return (register.marketing.channel(channel)?.fields ?? []).filter(
      (f) => allowed.has(f.category) && register.field(f.category, f.field)?.type === 'email',
    );
  };

  const create = async (actor: Actor, raw: unknown): Promise<Campaign> => {
    requireAction(actor, 'export_audiences');
    const parsed = campaignInput.safeParse(raw);
    if (!parsed.success) {
      refuse(parsed.error.issues);
    }
    const input = parsed.data;
    if (input.ratePerMinute !== undefined && input.ratePerMinute > rate) {
      throw invalid(
        'ratePerMinute',
        `at most ${rate} mails per minute (CAMPAIGN_SEND_RATE, this server's limit)`,
      );
    }
    // The audience: validated (purpose, channel, every filter) and authorised as a count is.
    await deps.audiences.count(actor, {
      purpose: input.purpose,
      channel: input.channel,
      filters: input.filters,
    });
    authorise(actor, input.purpose);
    if (
      register.marketing.purpose(input.purpose)?.addresses.get(input.channel) !== 'email' ||
      emailFields(input.purpose, input.channel).length === 0
    ) {
      throw invalid(
        'channel',
        `a campaign sends e-mail: channel "${input.channel}" does not reach people at an e-mail address the purpose may use`,
      );
    }
    const now = clock.now();
    const id = uuidv7();
    await withTransaction(db, async (tx) => {
      await repo.insert(tx, {
        id,
        name: input.name,
        purpose: input.purpose,
        channel: input.channel,
        filters: input.filters,
        content: input.content,
        sender: input.sender ?? null,
        state: 'draft',
        generation: 0,
        created_by: `${actor.kind}:${actor.id}`,
        created_at: now,
        started_at: null,
        finished_at: null,
        updated_at: now,
        rate_per_minute: input.ratePerMinute ?? null,
        start_token: null,
        start_claimed_at: null,
        reason: null,
      });
      await audit.record(tx, {
        actor,
        action: 'campaign.create',
        purpose: input.purpose,
        data: { campaign: id },
      });
    });
    return get(actor, id);
  };

  const get = async (actor: Actor, id: string): Promise<Campaign> => {
    const row = await load(actor, id);
    return present(row, await countsOf([id]));
  };

  const list = async (actor: Actor, opts: { limit?: number } = {}): Promise<Campaign[]> => {
    requireAction(actor, 'export_audiences');
    requireAction(actor, 'read');
    const limit = Math.min(Math.max(Math.trunc(opts.limit ?? 100), 1), 500);
    const rows = (await repo.list(db, limit)).filter(
      (r) => actor.read === '*' || actor.read.has(r.purpose),
    );
    const counts = await countsOf(rows.map((r) => r.id));
    return rows.map((r) => present(r, counts));
  };

  /**
   * How many people the campaign's audience holds now (before anyone is mailed). A filtered
   * audience under the minimum group is told as `fewerThan`, as an audience's count is
   * (docs/audiences.md): a campaign's filters would otherwise be the same value oracle.
   */
  const count = async (
    actor: Actor,
    id: string,
  ): Promise<{ count: number; fewerThan?: number }> => {
    const row = await load(actor, id);
    const { count: n, fewerThan } = await deps.audiences.count(actor, {
      purpose: row.purpose,
      channel: row.channel,
      filters: row.filters,
    });
    return fewerThan === undefined ? { count: n } : { count: n, fewerThan };
  };

  /** The send job's last attempt failed: the campaign is paused, with why, for staff to see. */
  const giveUp = async (campaignId: string, generation: number, err: unknown) =>
    pause(
      campaignId,
      generation,
      `the send job gave up after ${SEND_JOB_RETRIES + 1} attempts: ${describeError(err)}`,
      'send_job_gave_up',
    );

  /** The send job pauses the campaign by itself, with why, for staff to see. */
  const pause = async (campaignId: string, generation: number, reason: string, code: string) => {
    await withTransaction(db, async (tx) => {
      const current = await repo.get(tx, campaignId, { lock: true });
      if (!current || current.state !== 'sending' || current.generation !== generation) {
        return;
      }
      await repo.setState(tx, campaignId, { state: 'paused', reason, updated_at: clock.now() });
      await audit.record(tx, {
        actor: system,
        action: 'campaign.control',
        purpose: current.purpose,
        data: { campaign: campaignId, to: 'paused', reason: code },
      });
    });
  };

  const sendJob = defineJob({
    name: 'campaigns.send',
    payload: z.strictObject({ campaignId: z.uuid(), generation: z.number().int().min(0) }),
    retry: { limit: SEND_JOB_RETRIES, backoffMs: 30_000 },
    handler: async ({ campaignId, generation }, { attempt }) => {
      try {
        await runBatch(campaignId, generation);
      } catch (err) {
        if (attempt >= SEND_JOB_RETRIES + 1) {
          await giveUp(campaignId, generation, err);
        }
        throw err;
      }
    },
  });

  const conflict = (state: string | undefined, to: 'sending' | 'paused' | 'cancelled') => {
    const from: Record<typeof to, CampaignState[]> = {
      sending: ['draft', 'paused'],
      paused: ['sending'],
      cancelled: ['draft', 'starting', 'sending', 'paused'],
    };
    return new AppError(
      'conflict',
      `a campaign that is ${state ?? 'gone'} cannot be ${to === 'sending' ? 'started' : to}`,
      [{ field: 'state', detail: `expected ${from[to].join(' or ')}; it is ${state ?? 'gone'}` }],
    );
  };

  /**
   * A draft's start (docs/campaigns.md, "Starting"): the start takes the campaign (draft →
   * `starting`, with a token of its own) in one statement, so a second start at the same time is
   * refused (409 naming the state). Only the start holding the token clears the queued rows a
   * stopped start left, queues the audience page by page (renewing its claim each page), and
   * moves the campaign on to `sending`; if it fails, it gives the campaign back as a draft with
   * its rows removed. A `starting` not renewed for START_STALE_MS (its start stopped) may be
   * taken by a new start.
   */
  const startDraft = async (actor: Actor, row: CampaignRow): Promise<void> => {
    const id = row.id;
    const token = uuidv7();
    const now = clock.now();
    const taken = await repo.takeStart(db, id, token, now, new Date(now.getTime() - startStaleMs));
    if (!taken) {
      const current = await repo.get(db, id);
      throw conflict(current?.state, 'sending');
    }
    try {
      await repo.clearStart(db, id, token);
      // The audience as it is now, ids only, written page by page as it is read (a register of a
      // million people is never held in memory); each is checked again when their mail is sent.
      for await (const page of deps.audiences.members(actor, {
        purpose: row.purpose,
        channel: row.channel,
        filters: row.filters,
      })) {
        if (!(await repo.renewStart(db, id, token, clock.now()))) {
          const current = await repo.get(db, id);
          throw conflict(current?.state, 'sending');
        }
        await repo.queue(
          db,
          id,
          token,
          page.map((m) => m.id),
          clock.now(),
        );
      }
      await withTransaction(db, async (tx) => {
        const current = await repo.get(tx, id, { lock: true });
        if (!current || current.state !== 'starting' || current.start_token !== token) {
          throw conflict(current?.state, 'sending');
        }
        const at = clock.now();
        const generation = current.generation + 1;
        const people = await repo.countSends(tx, id);
        await repo.setState(tx, id, {
          state: 'sending',
          generation,
          started_at: at,
          reason: null,
          start_token: null,
          start_claimed_at: null,
          updated_at: at,
        });
        await enqueue(tx, sendJob, { campaignId: id, generation });
        await audit.record(tx, {
          actor,
          action: 'campaign.start',
          purpose: row.purpose,
          data: { campaign: id, channel: row.channel, recipients: people },
        });
      });
    } catch (err) {
      // Only while this start still holds it: back to a draft, its queued rows removed.
      await repo.abandonStart(db, id, token, clock.now()).catch(() => undefined);
      throw err;
    }
  };

  const transition = async (
    actor: Actor,
    id: string,
    to: 'sending' | 'paused' | 'cancelled',
  ): Promise<Campaign> => {
    const row = await load(actor, id);
    if (to === 'sending' && !deps.mail.canDeliver()) {
      throw new AppError(
        'conflict',
        'no SMTP server is configured (SMTP_URL): a campaign cannot be sent',
      );
    }
    const insecure = to === 'sending' ? linksRefusal() : undefined;
    if (insecure) {
      throw insecure;
    }
    if (to === 'sending' && row.state !== 'paused') {
      await startDraft(actor, row);
      return get(actor, id);
    }
    const from: Record<typeof to, CampaignState[]> = {
      sending: ['paused'],
      paused: ['sending'],
      cancelled: ['draft', 'starting', 'sending', 'paused'],
    };
    await withTransaction(db, async (tx) => {
      const current = await repo.get(tx, id, { lock: true });
      if (!current || !from[to].includes(current.state)) {
        throw conflict(current?.state, to);
      }
      const now = clock.now();
      const generation = current.generation + (to === 'sending' ? 1 : 0);
      await repo.setState(tx, id, {
        state: to,
        generation,
        updated_at: now,
        ...(to === 'sending' ? { reason: null } : {}),
        ...(to === 'cancelled' ? { finished_at: now, start_token: null } : {}),
      });
      if (to === 'sending') {
        await enqueue(tx, sendJob, { campaignId: id, generation });
      }
      await audit.record(tx, {
        actor,
        action: 'campaign.control',
        purpose: row.purpose,
        data: { campaign: id, to },
      });
    });
    return get(actor, id);
  };

  /** The language a person is mailed in: theirs if the campaign has it, else the register's. */
  const localeFor = (
    content: CampaignContent,
    member: AudienceMember | undefined,
    purpose: string,
  ): CampaignLanguage => {
    const lf = languageField(purpose);
    const own = lf ? member?.categories[lf.category]?.[lf.field]?.value : undefined;
    const first = registerLanguage(purpose);
    const order = [
      ...(typeof own === 'string' ? [own] : []),
      first,
      ...CAMPAIGN_LANGUAGES,
    ] as string[];
    return (
      order.find((l): l is CampaignLanguage => content[l as CampaignLanguage] !== undefined) ??
      first
    );
  };

  const compose = (
    row: CampaignRow,
    locale: CampaignLanguage,
    unsubscribeUrl: string,
  ): { subject: string; text: string; html: string } => {
    const content = (row.content as CampaignContent)[locale];
    if (!content) {
      throw new JobError('no_text', `the campaign has no text in ${locale}`);
    }
    const registerName = register.definition.register.name[locale];
    const footer = FOOTER[locale](registerName, unsubscribeUrl);
    const paragraphs = content.body.split(/\r?\n\s*\r?\n/);
    const html = [
      `<!doctype html><html lang="${locale}"><body>`,
      ...paragraphs.map((p) => `<p>${escapeHtml(p).replace(/\r?\n/g, '<br>')}</p>`),
      `<hr><p style="font-size:small">${escapeHtml(FOOTER[locale](registerName, '')).trim()} <a href="${escapeHtml(unsubscribeUrl)}">${escapeHtml(unsubscribeUrl)}</a></p>`,
      '</body></html>',
    ].join('\n');
    return { subject: content.subject, text: `${content.body}\n\n-- \n${footer}\n`, html };
  };

  /**
   * One batch of a sending campaign: a rate's worth of the window's mails, then the next batch is
   * queued for when the window ends. Stops when the campaign is paused, cancelled or restarted in
   * another generation (each claim checks it).
   */
  const runBatch = async (campaignId: string, generation: number): Promise<void> => {
    const started = Date.now();
    const row = await repo.get(db, campaignId);
    if (!row || row.state !== 'sending' || row.generation !== generation) {
      return;
    }
    const insecure = linksRefusal();
    if (insecure) {
      // Started under another configuration: nothing is mailed with a link that does not work.
      await pause(campaignId, generation, insecure.message, 'public_url_not_https');
      return;
    }
    const c = { id: row.id, generation };
    /** Whether the campaign is still sending in this job's generation. */
    const mine = async () => {
      const now = await repo.get(db, campaignId);
      return now?.state === 'sending' && now.generation === generation;
    };
    await repo.markInterrupted(db, campaignId, clock.now());
    const batch = await repo.nextQueued(db, campaignId, batchSizeOf(row), clock.now());
    if (batch.length > 0) {
      const lf = languageField(row.purpose);
      const fields = emailFields(row.purpose, row.channel);
      const categories = [
        ...new Set([...fields.map((f) => f.category), ...(lf ? [lf.category] : [])]),
      ];
      // The batch's people still in the audience now, opened for their address and language.
      const members = new Map<string, AudienceMember>();
      for await (const page of deps.subjects.audience(system, {
        purpose: row.purpose,
        channel: row.channel,
        categories,
        ids: batch,
        // Those the channel cannot reach too: each is skipped below with why.
        keepUnreachable: true,
      })) {
        for (const m of page) {
          members.set(m.id, m);
        }
      }
      const addressOf = (member: AudienceMember | undefined) =>
        fields
          .map((f) => member?.categories[f.category]?.[f.field]?.value)
          .find((v): v is string => typeof v === 'string' && v !== '');
      // The batch's addresses an e-mail service reported as hard-bouncing, in one lookup.
      const undeliverable = await repo.undeliverable(
        db,
        [...members.values()]
          .map((m) => addressOf(m))
          .map((a) => (a ? deps.vault.emailIndex(a) : undefined))
          .filter((i): i is string => i !== undefined),
      );
      for (const subjectId of batch) {
        // The permission check, from the ledger as it is this moment (no cache).
        const decision = await deps.permissions.decide({
          purpose: row.purpose,
          subjectId,
          channel: row.channel,
        });
        const member = members.get(subjectId);
        const address = addressOf(member);
        const index = address ? (deps.vault.emailIndex(address) ?? null) : null;
        const skipWhy = !decision.allowed
          ? decision.reason.code
          : !member
            ? 'not_in_audience'
            : !address
              ? 'no_address'
              : index !== null && undeliverable.has(index)
                ? 'undeliverable'
                : index !== null &&
                    (await repo.bouncedBefore(
                      db,
                      index,
                      new Date(clock.now().getTime() - BOUNCE_SUPPRESSION_DAYS * DAY_MS),
                    ))
                  ? 'bounced_before'
                  : null;
        if (skipWhy !== null) {
          if (!(await repo.skip(db, c, subjectId, skipWhy, clock.now())) && !(await mine())) {
            return; // paused, cancelled or restarted meanwhile
          }
          continue;
        }
        const locale = localeFor(row.content as CampaignContent, member, row.purpose);
        const messageId = `<campaign.${uuidv7()}@${host}>`;
        if (
          !(await repo.claim(
            db,
            c,
            subjectId,
            { messageId, locale, recipientIndex: index },
            clock.now(),
          ))
        ) {
          if (!(await mine())) {
            return; // paused, cancelled or restarted meanwhile
          }
          continue; // taken already
        }
        const url = deps.unsubscribeLinks.url(
          deps.unsubscribeLinks.issue({ subjectId, purpose: row.purpose, channel: row.channel }),
        );
        const sender = row.sender as { name?: string; address: string } | null;
        let outcome: 'sent' | 'not_attempted';
        try {
          outcome = await deps.mail.deliverDirect(
            {
              to: address as string,
              ...compose(row, locale, url),
              messageId,
              headers: {
                'List-Unsubscribe': `<${url}>`,
                'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
                Precedence: 'bulk',
              },
              ...(sender ? { from: sender } : {}),
            },
            {
              // Committed before the mail is handed over; false when another run took it over.
              onHandover: () => repo.attempt(db, campaignId, subjectId, messageId, clock.now()),
            },
          );
        } catch (err) {
          if (!(err instanceof DirectDeliveryError)) {
            // Not an SMTP failure (the database, while marking the attempt): the send stays
            // `sending`, and the next run reads from `attempted_at` whether it was attempted.
            throw err;
          }
          const how = classifyFailure(err);
          if (how === 'retry' && deferredByRecipient(err)) {
            // This person's server said "later" (4xx to RCPT TO): nothing was sent. They wait
            // (longer each time) while the others are mailed, and are given up on after
            // `recipientAttempts`.
            await repo.defer(db, campaignId, subjectId, messageId, {
              reason: describeError(err),
              maxAttempts: recipientAttempts,
              deferMs,
              at: clock.now(),
            });
            continue;
          }
          if (how === 'retry') {
            // Refused or unreachable before the mail was handed over: nothing was sent, the
            // person waits for the job's retry.
            await repo.settle(db, campaignId, subjectId, messageId, 'queued', null, clock.now());
            throw err;
          }
          await repo.settle(
            db,
            campaignId,
            subjectId,
            messageId,
            how,
            describeError(err),
            clock.now(),
          );
          continue;
        }
        if (outcome === 'not_attempted') {
          if (!(await mine())) {
            return;
          }
          continue; // taken over by another run, which records it
        }
        await repo.settle(db, campaignId, subjectId, messageId, 'sent', null, clock.now());
      }
    }
    await withTransaction(db, async (tx) => {
      const current = await repo.get(tx, campaignId, { lock: true });
      if (!current || current.state !== 'sending' || current.generation !== generation) {
        return;
      }
      // Read under the campaign's lock: a staff requeue takes it too, so one that committed
      // before is seen here, and one after finds the campaign finished and sends it again.
      const left = await repo.queuedLeft(tx, campaignId);
      if (left.left) {
        // At the next window, or when the first deferred person is due if everyone left is.
        const untilDue = left.dueAt === null ? 0 : left.dueAt.getTime() - clock.now().getTime();
        await enqueue(
          tx,
          sendJob,
          { campaignId, generation },
          { delayMs: Math.max(0, windowMs - (Date.now() - started), untilDue) },
        );
        return;
      }
      const now = clock.now();
      await repo.setState(tx, campaignId, { state: 'finished', finished_at: now, updated_at: now });
      const counts = await countsOf([campaignId], tx);
      const n = (s: SendState) => counts.get(`${campaignId}\u0000${s}`) ?? 0;
      await audit.record(tx, {
        actor: system,
        action: 'campaign.finish',
        purpose: current.purpose,
        data: {
          campaign: campaignId,
          sent: n('sent'),
          skipped: n('skipped'),
          failed: n('failed'),
          uncertain: n('uncertain'),
        },
      });
    });
  };

  const sends = async (
    actor: Actor,
    id: string,
    opts: { state?: SendState; limit?: number; after?: string } = {},
  ): Promise<CampaignSend[]> => {
    const row = await load(actor, id);
    // Only the people the campaign's purpose sees: an erased person's (or one a legal hold keeps
    // from the purpose) id, state and Message-ID are not shown, as their detail is a stranger's.
    const rows = await repo.sends(db, id, row.purpose, [...register.categoriesOf(row.purpose)], {
      limit: Math.min(Math.max(Math.trunc(opts.limit ?? 100), 1), 1000),
      ...(opts.state ? { state: opts.state } : {}),
      ...(opts.after ? { after: opts.after } : {}),
    });
    return rows.map((r) => ({
      subjectId: r.subject_id,
      state: r.state,
      reason: r.reason,
      locale: r.locale,
      messageId: r.message_id,
      at: new Date(r.updated_at).toISOString(),
    }));
  };

  /**
   * A bounce or complaint the mail server reported, by the campaign mail's Message-ID (given, or
   * quoted in the report): only a report on a mail we sent counts, so a forged bounce naming an
   * address alone blocks nothing. A recipient or campaign given with it must match the mail. A
   * bounce is recorded on the send with its evidence (the report's status code) and keeps the
   * address from campaigns for BOUNCE_SUPPRESSION_DAYS; a complaint also records, in the
   * permission ledger and in the same transaction, an objection to the purpose's kind on the
   * channel (a withdrawn consent where the channel rests on consent). A Message-ID a requeued
   * mail had before (its first copy, kept in the `requeued` history row) finds the send too, in
   * any state: the report is applied to it. A mail that is not ours, or of a purpose the caller
   * may not read under, is answered alike (404), and so is a mail to a person erased since: for
   * them a bounce keeps only the address out (campaign_bounces, as an erasure does) and a
   * complaint records nothing, so the caller never learns the person's id (docs/campaigns.md).
   */
  const feedback = async (
    actor: Actor,
    raw: unknown,
  ): Promise<{ campaignId: string; subjectId: string; state: LateState }> => {
    requireAction(actor, 'export_audiences');
    requireAction(actor, 'read');
    const parsed = feedbackInput.safeParse(raw);
    if (!parsed.success) {
      refuse(parsed.error.issues);
    }
    const input = parsed.data;
    const fromReport = input.report ? readReport(input.report) : {};
    const type = input.type ?? fromReport.type;
    if (!type) {
      throw invalid('type', 'say bounce or complaint: the report does not tell');
    }
    const messageId = input.messageId ?? fromReport.messageId;
    const field = input.messageId ? 'messageId' : 'report';
    if (!messageId) {
      throw invalid(
        'report',
        "the report quotes no Message-ID of a campaign mail: give the mail's messageId",
      );
    }
    const recipient = input.recipient ?? fromReport.recipient;
    const recipientIndex = recipient !== undefined ? deps.vault.emailIndex(recipient) : undefined;
    if (recipient !== undefined && recipientIndex === undefined) {
      throw invalid(input.recipient ? 'recipient' : 'report', 'not an e-mail address');
    }
    const bracketed = messageId.startsWith('<') ? messageId : `<${messageId}>`;
    const noMail = () =>
      new AppError('not_found', 'no campaign mail matches', [
        { field, detail: 'no mail of a campaign matches' },
      ]);
    const current = await repo.findSend(db, bracketed);
    // Not the send's Message-ID now: a copy mailed before staff requeued it (its ID is kept in
    // the history). That copy was handed over, so a report on it counts whatever the send's
    // state is now.
    const earlier = current ? undefined : await repo.findEarlierCopy(db, bracketed);
    const send =
      current ??
      (earlier ? await repo.sendOf(db, earlier.campaign_id, earlier.subject_id) : undefined);
    const row = send ? await repo.get(db, send.campaign_id) : undefined;
    const readable = row !== undefined && (actor.read === '*' || actor.read.has(row.purpose));
    if (
      !send ||
      !row ||
      !readable ||
      (current !== undefined &&
        !['sent', 'uncertain', 'bounced', 'complained'].includes(send.state)) ||
      (input.campaignId !== undefined && input.campaignId !== send.campaign_id)
    ) {
      throw noMail();
    }
    authorise(actor, row.purpose);
    const copyIndex = earlier ? earlier.recipient_index : send.recipient_index;
    const otherAddress =
      recipientIndex !== undefined && copyIndex !== null && recipientIndex !== copyIndex;
    const status = type === 'bounce' ? fromReport.status : undefined;
    const reason = `${status ? `${type} ${status}` : type}${earlier ? ' (an earlier copy)' : ''}`;
    const now = clock.now();
    const pm = register.marketing.purpose(row.purpose);
    const reported = type === 'bounce' ? 'bounced' : 'complained';
    let state: LateState = reported;
    const erased = await withTransaction(db, async (tx) => {
      // The person first, then the send: a complaint also records in the person's ledger, and an
      // erasure locks the person before it skips their sends (the other order deadlocked).
      if ((await repo.lockPerson(tx, send.subject_id)).erased) {
        // Erased (before the report, or while it waited for the lock): answered as an unknown
        // Message-ID is, after this transaction. A bounce keeps its address out of campaigns as
        // an erasure keeps a late bounce: the address's keyed blind index and the time, nothing
        // of the person (no state on the send, no access-log entry, no `updated_at`, which would
        // put off the send's anonymisation by `campaigns.prune`). A complaint records nothing:
        // the person's ledger went with them.
        if (type === 'bounce' && !otherAddress && copyIndex !== null) {
          await repo.keepBounce(tx, copyIndex, now);
        }
        return true;
      }
      if (otherAddress) {
        throw invalid(
          input.recipient ? 'recipient' : 'report',
          'the mail of this Message-ID was sent to another address',
        );
      }
      if (earlier) {
        const locked = await repo.sendOf(tx, send.campaign_id, send.subject_id, { lock: true });
        // The second copy was handed over to another address (the person's changed): the first
        // copy's bounce says nothing about that one, which stays on the send.
        const elsewhere =
          type === 'bounce' &&
          locked !== undefined &&
          ['sent', 'uncertain', 'failed'].includes(locked.state) &&
          locked.recipient_index !== null &&
          earlier.recipient_index !== null &&
          locked.recipient_index !== earlier.recipient_index;
        if (
          locked !== undefined &&
          (locked.state === 'bounced' || locked.state === 'complained' || elsewhere)
        ) {
          // The send's own state stands as it is: its address (a bounce of the second copy
          // keeps that one out) and its reason (a complaint's evidence). The first copy's report
          // is a history row of its own; a bounce there keeps that copy's address out too.
          state = locked.state as LateState;
          await repo.addEvent(tx, {
            id: uuidv7(),
            campaign_id: send.campaign_id,
            subject_id: send.subject_id,
            action: type === 'bounce' ? 'bounced' : 'complained',
            from_state: locked.state,
            to_state: locked.state,
            previous_reason: locked.reason,
            message_id: bracketed,
            recipient_index: earlier.recipient_index,
            reason,
            actor: actorLabel(actor),
            at: now,
          });
        } else {
          // Queued again or being mailed: the report stops that (a claim no longer `sending` is
          // never handed over), a bounce because the address fails, a complaint as a withdrawal.
          await repo.setSendState(tx, send.campaign_id, send.subject_id, reported, reason, now, {
            messageId: bracketed,
            recipientIndex: earlier.recipient_index,
          });
        }
      } else {
        await repo.setSendState(tx, send.campaign_id, send.subject_id, reported, reason, now);
      }
      await audit.record(tx, {
        actor,
        action: 'campaign.feedback',
        purpose: row.purpose,
        subjectId: send.subject_id,
        data: { campaign: send.campaign_id, type, ...(earlier ? { copy: 'earlier' } : {}) },
      });
      if (type === 'complaint' && pm) {
        const basis = pm.channels.get(row.channel);
        // In this transaction: a person the ledger refuses (not expected: erasure was checked
        // under the lock) leaves nothing recorded. A person the campaign's purpose no longer sees
        // (a legal hold keeps all they have left for another purpose) is not narrowed away:
        // recording their "no" is always possible, restricted or not.
        // The ledger's refusal is answered as an unknown Message-ID is (never the person's id).
        await deps.permissions
          .record(
            actor,
            send.subject_id,
            [
              {
                kind: pm.kind,
                channel: row.channel,
                state: basis === 'consent' ? 'withdrawn' : 'objected',
              },
            ],
            { method: 'api', reference: `campaign:${send.campaign_id}` },
            { tx, unscoped: true },
          )
          .catch((err: unknown) => {
            throw err instanceof AppError && err.code === 'not_found' ? noMail() : err;
          });
      }
      return false;
    });
    if (erased) {
      throw noMail();
    }
    return { campaignId: send.campaign_id, subjectId: send.subject_id, state };
  };

  /**
   * The person's send in the campaign, authorised (the campaign's role and purpose first). A
   * person the campaign's purpose does not see (erased, or all they have left kept by a legal
   * hold for another purpose) is answered as one the campaign never mailed, before any body is
   * read: bad input about their mail is the same 404 as about a stranger's.
   */
  const loadSend = async (actor: Actor, id: string, subjectId: string) => {
    const row = await load(actor, id);
    if (!UUID.test(subjectId)) {
      throw invalid('subjectId', 'expected a person id (a UUID)');
    }
    const send = await repo.sendOf(db, id, subjectId);
    if (!send || !(await seen(db, row, subjectId))) {
      throw noSend();
    }
    return { row, send };
  };

  const seen = (ex: Executor, row: CampaignRow, subjectId: string, lock = false) =>
    repo.personSeen(ex, subjectId, row.purpose, [...register.categoriesOf(row.purpose)], { lock });

  const noSend = () =>
    new AppError('not_found', 'the campaign has no mail to this person', [
      { field: 'subjectId', detail: 'no send of this campaign to this person' },
    ]);

  /**
   * Inside a staff action's transaction: a person erased (or erased meanwhile), or one the
   * campaign's purpose no longer sees, is answered as one the campaign never mailed, and nothing
   * is written (an erased person's history went with them). The person's row is locked (shared),
   * so an erasure waits for the action or the action for it.
   */
  const refuseUnseen = async (tx: Executor, row: CampaignRow, subjectId: string) => {
    if (!(await seen(tx, row, subjectId, true))) {
      throw noSend();
    }
  };

  const presentSend = (r: {
    subject_id: string;
    state: SendState;
    reason: string | null;
    locale: string | null;
    message_id: string | null;
    updated_at: Date | string;
  }): CampaignSend => ({
    subjectId: r.subject_id,
    state: r.state,
    reason: r.reason,
    locale: r.locale,
    messageId: r.message_id,
    at: new Date(r.updated_at).toISOString(),
  });

  /** One person's send with what staff did about it (oldest first). */
  const sendDetail = async (
    actor: Actor,
    id: string,
    subjectId: string,
  ): Promise<CampaignSendDetail> => {
    await loadSend(actor, id, subjectId);
    return detailOf(id, subjectId);
  };

  const detailOf = async (id: string, subjectId: string): Promise<CampaignSendDetail> => {
    const send = await repo.sendOf(db, id, subjectId);
    if (!send) {
      throw new AppError('not_found', 'the campaign has no mail to this person');
    }
    const lifted =
      send.state === 'bounced' && send.recipient_index !== null
        ? await repo.lastLift(db, send.recipient_index)
        : null;
    const bounceSuppressedUntil =
      send.state === 'bounced' &&
      send.recipient_index !== null &&
      (lifted === null || lifted.getTime() < new Date(send.updated_at).getTime())
        ? new Date(new Date(send.updated_at).getTime() + BOUNCE_SUPPRESSION_DAYS * DAY_MS)
        : null;
    return {
      ...presentSend(send),
      bounceSuppressedUntil:
        bounceSuppressedUntil && bounceSuppressedUntil.getTime() > clock.now().getTime()
          ? bounceSuppressedUntil.toISOString()
          : null,
      events: (await repo.events(db, id, subjectId)).map((e) => ({
        action: e.action,
        from: e.from_state,
        to: e.to_state,
        messageId: e.message_id,
        reason: e.reason,
        actor: e.actor.split(':')[0] ?? e.actor,
        at: new Date(e.at).toISOString(),
      })),
    };
  };

  const notUncertain = (state: string) =>
    new AppError('conflict', `the mail is ${state}, not uncertain: there is nothing to resolve`, [
      { field: 'state', detail: `expected uncertain; it is ${state}` },
    ]);

  /**
   * Staff resolve an `uncertain` mail (docs/campaigns.md, "When the outcome is uncertain"): they
   * asked the mail server, which took it (`sent`) or did not (`failed`: never sent again by
   * itself). The role and the campaign's purpose are checked first; the change, its history row
   * (with the reason) and the log entry (without it) are one transaction.
   */
  const resolveSend = async (
    actor: Actor,
    id: string,
    subjectId: string,
    raw: unknown,
  ): Promise<CampaignSendDetail> => {
    const { row } = await loadSend(actor, id, subjectId);
    const parsed = resolveSendInput.safeParse(raw);
    if (!parsed.success) {
      refuse(parsed.error.issues);
    }
    const { outcome, reason } = parsed.data;
    await withTransaction(db, async (tx) => {
      await refuseUnseen(tx, row, subjectId);
      const send = await repo.sendOf(tx, id, subjectId, { lock: true });
      if (!send || send.state !== 'uncertain') {
        throw notUncertain(send?.state ?? 'gone');
      }
      const at = clock.now();
      const previous = send.reason;
      if (
        !(await repo.resolveUncertain(
          tx,
          id,
          subjectId,
          outcome,
          `${outcome === 'sent' ? 'confirmed sent' : 'confirmed not delivered'} by staff (was uncertain: ${previous ?? 'unknown'})`,
          at,
        ))
      ) {
        throw notUncertain(send.state);
      }
      await repo.addEvent(tx, {
        id: uuidv7(),
        campaign_id: id,
        subject_id: subjectId,
        action: outcome === 'sent' ? 'marked_sent' : 'marked_failed',
        from_state: 'uncertain',
        to_state: outcome,
        previous_reason: previous,
        message_id: send.message_id,
        recipient_index: send.recipient_index,
        reason,
        actor: actorLabel(actor),
        at,
      });
      await audit.record(tx, {
        actor,
        action: 'campaign.send_resolve',
        purpose: row.purpose,
        subjectId,
        data: { campaign: id, to: outcome },
      });
    });
    return detailOf(id, subjectId);
  };

  /**
   * An `uncertain` mail put back in the queue, on staff's explicit confirmation that mailing the
   * person twice is a risk they take (`confirmSendAgain: true`). The person is mailed again only
   * through the queue: right before it, their permission is checked again as for anyone. A
   * finished campaign is sending again for them (409 without an SMTP server); a cancelled one
   * sends nothing more (409).
   */
  const requeueSend = async (
    actor: Actor,
    id: string,
    subjectId: string,
    raw: unknown,
  ): Promise<CampaignSendDetail> => {
    const { row } = await loadSend(actor, id, subjectId);
    const parsed = requeueSendInput.safeParse(raw);
    if (!parsed.success) {
      refuse(parsed.error.issues);
    }
    const { reason } = parsed.data;
    await withTransaction(db, async (tx) => {
      await refuseUnseen(tx, row, subjectId);
      const campaign = await repo.get(tx, id, { lock: true });
      if (!campaign || !['sending', 'paused', 'finished'].includes(campaign.state)) {
        throw new AppError(
          'conflict',
          `a campaign that is ${campaign?.state ?? 'gone'} sends nothing more`,
          [
            {
              field: 'state',
              detail: `expected sending, paused or finished; it is ${campaign?.state ?? 'gone'}`,
            },
          ],
        );
      }
      if (campaign.state === 'finished' && !deps.mail.canDeliver()) {
        throw new AppError(
          'conflict',
          'no SMTP server is configured (SMTP_URL): the mail cannot be sent again',
        );
      }
      const insecure = linksRefusal();
      if (insecure) {
        throw insecure;
      }
      const send = await repo.sendOf(tx, id, subjectId, { lock: true });
      if (!send || send.state !== 'uncertain') {
        throw notUncertain(send?.state ?? 'gone');
      }
      const at = clock.now();
      if (!(await repo.resolveUncertain(tx, id, subjectId, 'queued', null, at))) {
        throw notUncertain(send.state);
      }
      await repo.addEvent(tx, {
        id: uuidv7(),
        campaign_id: id,
        subject_id: subjectId,
        action: 'requeued',
        from_state: 'uncertain',
        to_state: 'queued',
        previous_reason: send.reason,
        message_id: send.message_id,
        recipient_index: send.recipient_index,
        reason,
        actor: actorLabel(actor),
        at,
      });
      await audit.record(tx, {
        actor,
        action: 'campaign.send_resolve',
        purpose: row.purpose,
        subjectId,
        data: { campaign: id, to: 'queued' },
      });
      if (campaign.state === 'finished') {
        // Sending again, for this person: a new generation and its first batch.
        const generation = campaign.generation + 1;
        await repo.setState(tx, id, {
          state: 'sending',
          generation,
          finished_at: null,
          reason: null,
          updated_at: at,
        });
        await enqueue(tx, sendJob, { campaignId: id, generation });
        await audit.record(tx, {
          actor,
          action: 'campaign.control',
          purpose: row.purpose,
          data: { campaign: id, to: 'sending', reason: 'requeued' },
        });
      }
    });
    return detailOf(id, subjectId);
  };

  /**
   * A bounce's suppression lifted before its BOUNCE_SUPPRESSION_DAYS (the person fixed their
   * mailbox): every bounce of the address recorded up to now no longer keeps it from campaigns,
   * of any purpose (a bounce is a fact about the mailbox, not the person's choice or a protection
   * owed to them; docs/campaigns.md, "Lifting a bounce early").
   * The bounce stays recorded; the lift is a history row of its own, with the reason. It lifts
   * the bounce only: a refusal, withdrawal or objection in the ledger, a stop, or a
   * prohibition list still keeps the person out at the send's permission check.
   */
  const liftBounce = async (
    actor: Actor,
    id: string,
    subjectId: string,
    raw: unknown,
  ): Promise<CampaignSendDetail> => {
    const { row } = await loadSend(actor, id, subjectId);
    const parsed = liftBounceInput.safeParse(raw);
    if (!parsed.success) {
      refuse(parsed.error.issues);
    }
    const { reason } = parsed.data;
    await withTransaction(db, async (tx) => {
      await refuseUnseen(tx, row, subjectId);
      const send = await repo.sendOf(tx, id, subjectId, { lock: true });
      const at = clock.now();
      const conflictWith = (detail: string) =>
        new AppError('conflict', `there is no bounce to lift: ${detail}`, [
          { field: 'state', detail },
        ]);
      if (!send || send.state !== 'bounced' || send.recipient_index === null) {
        throw conflictWith(`expected bounced; it is ${send?.state ?? 'gone'}`);
      }
      const bouncedAt = new Date(send.updated_at).getTime();
      if (bouncedAt < at.getTime() - BOUNCE_SUPPRESSION_DAYS * DAY_MS) {
        throw conflictWith(
          `the bounce is older than ${BOUNCE_SUPPRESSION_DAYS} days: it no longer keeps the address out`,
        );
      }
      const lifted = await repo.lastLift(tx, send.recipient_index);
      if (lifted !== null && lifted.getTime() >= bouncedAt) {
        throw conflictWith(`lifted already, at ${lifted.toISOString()}`);
      }
      await repo.addEvent(tx, {
        id: uuidv7(),
        campaign_id: id,
        subject_id: subjectId,
        action: 'bounce_lifted',
        from_state: 'bounced',
        to_state: 'bounced',
        previous_reason: send.reason,
        message_id: send.message_id,
        recipient_index: send.recipient_index,
        reason,
        actor: actorLabel(actor),
        at,
      });
      await audit.record(tx, {
        actor,
        action: 'campaign.bounce_lift',
        purpose: row.purpose,
        subjectId,
        data: { campaign: id },
      });
    });
    return detailOf(id, subjectId);
  };

  /**
   * Daily: an erased person's kept bounce older than BOUNCE_SUPPRESSION_DAYS is removed (it keeps
   * nothing out any longer), and the send rows of a person erased that long ago lose their id,
   * address index and Message-ID (docs/campaigns.md, "Limits").
   */
  const prune = async (): Promise<{ bounces: number; sends: number }> =>
    repo.prune(db, new Date(clock.now().getTime() - BOUNCE_SUPPRESSION_DAYS * DAY_MS));

  const pruneSchedule = defineSchedule({
    name: 'campaigns.prune',
    everySeconds: 24 * 60 * 60,
    describe: "removing campaign bounces and erased people's mail links older than 180 days",
    handler: async (ctx) => {
      const pruned = await prune();
      if (pruned.bounces > 0 || pruned.sends > 0) {
        ctx.log.info(pruned, "removed campaign bounces and erased people's mail links");
      }
    },
  });

  return {
    jobs: [sendJob],
    schedules: [pruneSchedule],
    prune,
    sendDetail,
    /** The right, the campaign and the person's mail, as the staff actions check them first. */
    checkSend: async (actor: Actor, id: string, subjectId: string): Promise<void> => {
      await loadSend(actor, id, subjectId);
    },
    resolveSend,
    requeueSend,
    liftBounce,
    create,
    get,
    list,
    count,
    start: (actor: Actor, id: string) => transition(actor, id, 'sending'),
    pause: (actor: Actor, id: string) => transition(actor, id, 'paused'),
    cancel: (actor: Actor, id: string) => transition(actor, id, 'cancelled'),
    sends,
    feedback,
    /** One batch, as the job runs it (tests). */
    runBatch,
  };
}

export type CampaignsService = ReturnType<typeof createCampaignsService>;
