/**
 * Outgoing mail. `sendMail` checks the message, seals the recipient and the template's data into
 * an outbox row and, when an SMTP server is configured, queues the `mail.deliver` job in the same
 * transaction. Mail to a person of the register (`subjectId`) is sealed under that person's key and
 * removed by their erasure; mail to an address tied to no one is sealed under the server's key.
 * Every row expires (`ttlMs`, MAIL_OUTBOX_TTL) and `mail.expire` removes it then. The job renders
 * the template, delivers it with nodemailer and removes the row; a failure is retried by the jobs
 * runner. Without an SMTP server mail waits in the outbox (readable by roles that handle requests,
 * each read access-logged) and is queued by `mail.release` once a server is configured. Neither
 * the job's payload (an outbox id) nor any log line holds an address.
 */
import type { Kysely } from 'kysely';
import { createTransport, type Transporter } from 'nodemailer';
import { z } from 'zod';
import type { Executor } from '../db/transaction.ts';
import { withTransaction } from '../db/transaction.ts';
import type { Database } from '../db/types.ts';
import { defineJob, defineSchedule, enqueue, JobError, type RetryPolicy } from '../jobs/index.ts';
import type { KeyStore } from '../keystore/keystore.ts';
import { requireAction, requireEveryPurpose, type Actor } from '../lib/actor.ts';
import { systemClock, type Clock } from '../lib/clock.ts';
import { AppError } from '../lib/errors.ts';
import { uuidv7 } from '../lib/ids.ts';
import type { AuditService } from '../modules/audit/index.ts';
import type { Vault } from '../vault/vault.ts';
import { outboxRepo } from './outbox.repo.ts';
import {
  LOCALES,
  TEMPLATES,
  type Locale,
  type MailTemplate,
  type Rendered,
  type TemplateData,
  type TemplateName,
} from './templates.ts';

export interface MailMessage<T extends TemplateName = TemplateName> {
  to: string;
  /**
   * The person of the register the mail is to, when it is one: the mail is then sealed under
   * their key and goes with their erasure. Leave it out only for an address tied to no one yet
   * (one being verified); such mail is sealed under the server's key and only expires.
   */
  subjectId?: string;
  /**
   * Mail tied to no person that must not outlive its use (an erasure's completion): sealed under
   * a key of its own in the key store, destroyed when the mail is sent or expires, instead of
   * under the server's secret. Only without `subjectId`.
   */
  ownKey?: boolean;
  template: T;
  locale: Locale;
  data: TemplateData<T>;
}

export interface OutboxEntry {
  id: string;
  to: string;
  template: string;
  locale: string;
  subject: string;
  /** The person the mail is to, or null for an address tied to no one. */
  subjectId: string | null;
  createdAt: Date;
  /** When the mail leaves the outbox, delivered or not. */
  expiresAt: Date;
  /** `queued`: a delivery job is queued (or retrying); `waiting`: no SMTP server is configured. */
  state: 'queued' | 'waiting';
}

const envelope = z.strictObject({
  to: z.email().max(320),
  subjectId: z.uuid().optional(),
  ownKey: z.boolean().optional(),
  template: z.enum(Object.keys(TEMPLATES) as [TemplateName, ...TemplateName[]]),
  locale: z.enum(LOCALES),
  data: z.unknown(),
});

const sealedPart = z.strictObject({ to: z.string(), data: z.unknown() });

function refuse(issues: z.core.$ZodIssue[], prefix = ''): never {
  const list = issues.map((i) => ({
    field: [prefix, ...i.path.map(String)].filter((p) => p !== '').join('.') || '(message)',
    detail: i.message,
  }));
  throw new AppError(
    'validation_failed',
    `the mail was refused: ${list.map((i) => `${i.field}: ${i.detail}`).join('; ')}`,
    list,
  );
}

/** What a sealed row is bound to: its id, and the person whose key sealed it. */
const aad = (id: string, subjectId: string | null) =>
  subjectId === null ? `outbox:${id}` : `outbox:${id}:subject:${subjectId}`;
/** The additional data of a mail sealed under a key of its own. */
const ownAad = (id: string) => `outbox:${id}:own`;

/** How long a mail stays in the outbox by default, delivered or not: seven days. */
export const DEFAULT_OUTBOX_TTL_MS = 7 * 24 * 3600 * 1000;

export function createMailService(deps: {
  db: Kysely<Database>;
  vault: Vault;
  /** Person keys: mail to a person is sealed under theirs, and is unreadable once it is gone. */
  keys: Pick<KeyStore, 'get' | 'getMany' | 'put' | 'erase'>;
  /** Where reads of the outbox are recorded. */
  audit: Pick<AuditService, 'log'>;
  clock?: Clock;
  /** How long a mail stays in the outbox, delivered or not (default seven days). */
  ttlMs?: number;
  /** The SMTP server (SMTP_URL) and sender (MAIL_FROM); without them mail waits in the outbox. */
  smtp?: { url: string; from: string } | undefined;
  /** How delivery is retried (default: 8 retries, from 30 s doubling: about two hours in all). */
  retry?: Partial<RetryPolicy>;
  /**
   * The register's purposes. Reading the outbox shows addresses and mail of people under any of
   * them, so it needs read under every one, as an export does.
   */
  purposes?: readonly string[];
}) {
  const { db, vault, smtp, keys, audit } = deps;
  const clock = deps.clock ?? systemClock;
  const ttlMs = deps.ttlMs ?? DEFAULT_OUTBOX_TTL_MS;
  let transport: Transporter | undefined;
  const transporter = (): Transporter => {
    if (!smtp) {
      throw new JobError('no_smtp', 'no SMTP server is configured');
    }
    transport ??= createTransport(
      {
        url: smtp.url,
        // smtp:// upgrades with STARTTLS; without requireTLS a server that does not offer it (or
        // an attacker who strips the offer) would get the password and the mail in the clear.
        // Only a relay on this machine's loopback may speak plain SMTP.
        requireTLS: !onLoopback(smtp.url),
        // Within the server's 15 s shutdown, so a delivery under way never outlives a stop.
        connectionTimeout: 10_000,
        greetingTimeout: 10_000,
        socketTimeout: 10_000,
      },
      { from: smtp.from },
    );
    return transport;
  };

  /**
   * A row's recipient and data; undefined when it is to a person whose key is gone (erased): such
   * a row, and any copy of it, opens for no one.
   */
  const open = (
    row: { id: string; sealed: Buffer; subject_id: string | null; own_key: boolean },
    wrapped: Buffer | undefined,
  ) => {
    let plain: Buffer;
    if (row.own_key) {
      if (!wrapped) {
        return undefined;
      }
      const key = vault.unwrapSubjectKey(row.id, wrapped);
      try {
        plain = vault.open(key, ownAad(row.id), row.sealed);
      } finally {
        key.fill(0);
      }
    } else if (row.subject_id === null) {
      plain = vault.openSecret(aad(row.id, null), row.sealed);
    } else {
      if (!wrapped) {
        return undefined;
      }
      const key = vault.unwrapSubjectKey(row.subject_id, wrapped);
      try {
        plain = vault.open(key, aad(row.id, row.subject_id), row.sealed);
      } finally {
        key.fill(0);
      }
    }
    return sealedPart.parse(JSON.parse(plain.toString('utf8')));
  };
  const keyOf = async (row: { id: string; subject_id: string | null; own_key: boolean }) =>
    row.own_key ? keys.get(row.id) : row.subject_id === null ? undefined : keys.get(row.subject_id);
  /** Destroys the keys of mail sealed under keys of their own (sent, expired). */
  const eraseOwnKeys = async (ids: readonly string[]): Promise<void> => {
    if (ids.length > 0) {
      const at = clock.now();
      await keys.erase(ids.map((id) => ({ subjectId: id, erasedAt: at, reason: 'retention' })));
    }
  };

  const render = (template: string, locale: string, data: unknown): Rendered => {
    // One template's render takes the data its own schema parsed: seen here as any template.
    const t = TEMPLATES[template as TemplateName] as MailTemplate<unknown> | undefined;
    if (!t || !(LOCALES as readonly string[]).includes(locale)) {
      throw new JobError(
        'unknown_template',
        `the outbox holds an unknown template or language (${template}, ${locale})`,
      );
    }
    return t.render(locale as Locale, t.data.parse(data));
  };

  const deliver = defineJob({
    name: 'mail.deliver',
    payload: z.strictObject({ outboxId: z.uuid() }),
    retry: { limit: 8, backoffMs: 30_000, ...deps.retry },
    handler: async ({ outboxId }) => {
      const row = await outboxRepo.get(db, outboxId);
      if (!row) {
        return; // delivered already, expired, or its person erased
      }
      const opened = row.expires_at <= clock.now() ? undefined : open(row, await keyOf(row));
      if (!opened) {
        // Expired, or to a person erased since: never delivered.
        await outboxRepo.remove(db, outboxId);
        await eraseOwnKeys(row.own_key ? [row.id] : []);
        return;
      }
      const { to, data } = opened;
      const message = render(row.template, row.locale, data);
      await transporter().sendMail({ to, ...message });
      await outboxRepo.remove(db, outboxId);
      await eraseOwnKeys(row.own_key ? [row.id] : []);
    },
  });

  /** Queues delivery of mail that waited for an SMTP server (every minute). */
  const release = defineSchedule({
    name: 'mail.release',
    everySeconds: 60,
    describe: 'queueing waiting mail for delivery',
    handler: async () => {
      if (!smtp) {
        return;
      }
      await withTransaction(db, async (tx) => {
        for (const { id } of await outboxRepo.unqueued(tx, clock.now(), 500)) {
          await enqueue(tx, deliver, { outboxId: id });
          await outboxRepo.markQueued(tx, id);
        }
      });
    },
  });

  /** Removes expired mail, delivered or not (a job dropped by hand, a person never reached). */
  const expireOutbox = async (): Promise<number> => {
    const { removed, ownKeys } = await outboxRepo.removeExpired(db, clock.now());
    await eraseOwnKeys(ownKeys);
    return removed;
  };

  const expire = defineSchedule({
    name: 'mail.expire',
    everySeconds: 60,
    describe: 'removing expired mail from the outbox',
    handler: async (ctx) => {
      const removed = await expireOutbox();
      if (removed > 0) {
        ctx.log.info({ removed }, 'removed expired mail from the outbox');
      }
    },
  });

  return {
    /** The jobs the server's runner must know. */
    jobs: [deliver],
    schedules: [release, expire],
    expireOutbox,

    /**
     * Puts a message in the outbox; returns its id. Refused, naming the field, when the address,
     * template, language or the template's data is not right; nothing is then written. Given a
     * transaction, the mail is sent only if it commits.
     */
    async sendMail<T extends TemplateName>(
      message: MailMessage<T>,
      opts: { db?: Executor } = {},
    ): Promise<string> {
      const env = envelope.safeParse(message);
      if (!env.success) {
        refuse(env.error.issues);
      }
      const data = TEMPLATES[env.data.template].data.safeParse(env.data.data);
      if (!data.success) {
        refuse(data.error.issues, 'data');
      }
      const id = uuidv7();
      const subjectId = env.data.subjectId ?? null;
      const plain = JSON.stringify({ to: env.data.to, data: data.data });
      let sealed: Buffer;
      const ownKey = subjectId === null && message.ownKey === true;
      if (ownKey) {
        const fresh = vault.newSubjectKey(id);
        try {
          // The key first: a key without a mail opens nothing; a mail without its key is lost.
          await keys.put([{ subjectId: id, wrapped: fresh.wrapped }], vault.wrapKeyId());
          sealed = vault.seal(fresh.key, ownAad(id), plain);
        } finally {
          fresh.key.fill(0);
        }
      } else if (subjectId === null) {
        sealed = vault.sealSecret(aad(id, null), plain);
      } else {
        const wrapped = await keys.get(subjectId);
        if (!wrapped) {
          throw new AppError('not_found', 'the mail was refused: subjectId: no such person', [
            { field: 'subjectId', detail: 'no such person (never there, or erased)' },
          ]);
        }
        const key = vault.unwrapSubjectKey(subjectId, wrapped);
        try {
          sealed = vault.seal(key, aad(id, subjectId), plain);
        } finally {
          key.fill(0);
        }
      }
      const now = clock.now();
      const write = async (tx: Executor) => {
        await outboxRepo.insert(tx, {
          id,
          template: env.data.template,
          locale: env.data.locale,
          sealed,
          queued: smtp !== undefined,
          subject_id: subjectId,
          expires_at: new Date(now.getTime() + ttlMs),
          own_key: ownKey,
        });
        if (smtp) {
          await enqueue(tx, deliver, { outboxId: id });
        }
      };
      if (opts.db) {
        await write(opts.db);
      } else {
        await withTransaction(db, write);
      }
      return id;
    },

    /**
     * The mail waiting in the outbox, opened, for a role that handles requests. Each read is
     * recorded in the access log: one entry with the number of mails shown, and one per person
     * whose mail was shown (by id; never an address). Mail to an erased person is not shown.
     */
    async listOutbox(actor: Actor, opts: { limit?: number } = {}): Promise<OutboxEntry[]> {
      requireAction(actor, 'handle_requests');
      requireEveryPurpose(actor, deps.purposes ?? [], 'read the outbox');
      const limit = Math.min(Math.max(Math.trunc(opts.limit ?? 100), 1), 1000);
      const rows = await outboxRepo.list(db, clock.now(), limit);
      const keyIdOf = (r: (typeof rows)[number]) => (r.own_key ? r.id : r.subject_id);
      const wrapped = await keys.getMany([
        ...new Set(rows.flatMap((r) => (keyIdOf(r) === null ? [] : [keyIdOf(r) as string]))),
      ]);
      const entries: OutboxEntry[] = [];
      for (const row of rows) {
        const id = keyIdOf(row);
        const opened = open(row, id === null ? undefined : wrapped.get(id));
        if (!opened) {
          continue;
        }
        entries.push({
          id: row.id,
          to: opened.to,
          template: row.template,
          locale: row.locale,
          subject: render(row.template, row.locale, opened.data).subject,
          subjectId: row.subject_id,
          createdAt: row.created_at,
          expiresAt: row.expires_at,
          state: row.queued ? 'queued' : 'waiting',
        });
      }
      const people = [
        ...new Set(entries.flatMap((e) => (e.subjectId === null ? [] : [e.subjectId]))),
      ];
      await audit.log([
        { actor, action: 'mail.outbox_read', data: { shown: entries.length } },
        ...people.map((subjectId) => ({
          actor,
          action: 'mail.outbox_read_person' as const,
          subjectId,
          data: {},
        })),
      ]);
      return entries;
    },

    /** Whether an SMTP server is configured (campaigns send only then). */
    canDeliver: (): boolean => smtp !== undefined,

    /**
     * Hands one message straight to the SMTP server, past the outbox: for a caller that records
     * each send itself and must never send twice (a campaign, docs/campaigns.md), which the
     * outbox's retries could. `onHandover` is awaited right before the message is handed over
     * (the caller commits that it is being attempted); if it answers false nothing is sent. A
     * failure is thrown as a `DirectDeliveryError` telling whether the DATA command had been
     * written when it happened (`afterData`): from then on the server may have the message.
     */
    async deliverDirect(
      message: {
        to: string;
        subject: string;
        text: string;
        html: string;
        messageId: string;
        headers: Record<string, string>;
        /** The sender, when not MAIL_FROM. */
        from?: { name?: string; address: string };
      },
      opts: { onHandover?: () => Promise<boolean> } = {},
    ): Promise<'sent' | 'not_attempted'> {
      if (!smtp) {
        throw new JobError('no_smtp', 'no SMTP server is configured');
      }
      if (opts.onHandover && !(await opts.onHandover())) {
        return 'not_attempted';
      }
      // A transport of its own, so that this message's SMTP dialogue is known: the client's
      // commands are watched (never kept) for DATA. Nothing of them is logged anywhere.
      let afterData = false;
      const watch = (entry: { tnx?: unknown }, msg: unknown) => {
        if (entry.tnx === 'client' && typeof msg === 'string' && /^DATA\b/i.test(msg)) {
          afterData = true;
        }
      };
      const quiet = () => undefined;
      const direct = createTransport(
        {
          url: smtp.url,
          requireTLS: !onLoopback(smtp.url),
          connectionTimeout: 10_000,
          greetingTimeout: 10_000,
          socketTimeout: 10_000,
          transactionLog: true,
          logger: {
            level: quiet,
            trace: quiet,
            debug: watch,
            info: quiet,
            warn: quiet,
            error: quiet,
            fatal: quiet,
          },
        },
        { from: smtp.from },
      );
      try {
        await direct.sendMail({
          to: message.to,
          subject: message.subject,
          text: message.text,
          html: message.html,
          messageId: message.messageId,
          headers: message.headers,
          ...(message.from ? { from: message.from } : {}),
        });
      } catch (err) {
        throw new DirectDeliveryError(err, afterData);
      } finally {
        direct.close();
      }
      return 'sent';
    },

    close(): void {
      transport?.close();
    },
  };
}

export type MailService = ReturnType<typeof createMailService>;

/**
 * A direct delivery that failed: the SMTP library's error (`cause`, its codes copied for
 * `describeError`) and whether the DATA command had been written when it failed.
 */
export class DirectDeliveryError extends Error {
  override name = 'SmtpError';
  readonly code?: string;
  readonly responseCode?: number;
  readonly command?: string;
  constructor(
    cause: unknown,
    /** The DATA command had been written: the server may have the message. */
    readonly afterData: boolean,
  ) {
    super('the SMTP delivery failed', { cause });
    const e = (cause ?? {}) as { code?: unknown; responseCode?: unknown; command?: unknown };
    if (typeof e.code === 'string') {
      this.code = e.code;
    }
    if (typeof e.responseCode === 'number') {
      this.responseCode = e.responseCode;
    }
    if (typeof e.command === 'string') {
      this.command = e.command;
    }
  }
}

/** Whether an SMTP URL names this machine's loopback (where plain SMTP cannot be overheard). */
export function onLoopback(url: string): boolean {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
