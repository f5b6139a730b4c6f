/**
 * Outgoing mail. `sendMail` checks the message, seals the recipient and the template's data into
 * an outbox row and, when an SMTP server is configured, queues the `mail.deliver` job in the same
 * transaction. The job renders the template, delivers it with nodemailer and removes the row; a
 * failure is retried by the jobs runner. Without an SMTP server mail waits in the outbox (readable
 * by roles that handle requests) and is queued by `mail.release` once a server is configured.
 * Neither the job's payload (an outbox id) nor any log line holds an address.
 */
import type { Kysely } from 'kysely';
import { createTransport, type Transporter } from 'nodemailer';
import { z } from 'zod';
import type { Database } from '../db/types.ts';
import { defineJob, defineSchedule, enqueue, type RetryPolicy } from '../jobs/index.ts';
import { requireAction, type Actor } from '../lib/actor.ts';
import { AppError } from '../lib/errors.ts';
import { uuidv7 } from '../lib/ids.ts';
import type { Vault } from '../vault/vault.ts';
import { outboxRepo } from './outbox.repo.ts';
import {
  LOCALES,
  TEMPLATES,
  type Locale,
  type Rendered,
  type TemplateData,
  type TemplateName,
} from './templates.ts';

export interface MailMessage<T extends TemplateName = TemplateName> {
  to: string;
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
  createdAt: Date;
  /** `queued`: a delivery job is queued (or retrying); `waiting`: no SMTP server is configured. */
  state: 'queued' | 'waiting';
}

const envelope = z.strictObject({
  to: z.email().max(320),
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

const aad = (id: string) => `outbox:${id}`;

export function createMailService(deps: {
  db: Kysely<Database>;
  vault: Vault;
  /** The SMTP server (SMTP_URL) and sender (MAIL_FROM); without them mail waits in the outbox. */
  smtp?: { url: string; from: string } | undefined;
  /** How delivery is retried (default: 8 retries, from 30 s doubling: about two hours in all). */
  retry?: Partial<RetryPolicy>;
}) {
  const { db, vault, smtp } = deps;
  let transport: Transporter | undefined;
  const transporter = (): Transporter => {
    if (!smtp) {
      throw new Error('no SMTP server is configured');
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

  const open = (row: { id: string; sealed: Buffer }) =>
    sealedPart.parse(JSON.parse(vault.openSecret(aad(row.id), row.sealed).toString('utf8')));

  const render = (template: string, locale: string, data: unknown): Rendered => {
    const t = TEMPLATES[template as TemplateName];
    if (!t || !(LOCALES as readonly string[]).includes(locale)) {
      throw new Error(`the outbox holds an unknown template or language (${template}, ${locale})`);
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
        return; // delivered already
      }
      const { to, data } = open(row);
      const message = render(row.template, row.locale, data);
      await transporter().sendMail({ to, ...message });
      await outboxRepo.remove(db, outboxId);
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
      await db.transaction().execute(async (tx) => {
        for (const { id } of await outboxRepo.unqueued(tx, 500)) {
          await enqueue(tx, deliver, { outboxId: id });
          await outboxRepo.markQueued(tx, id);
        }
      });
    },
  });

  return {
    /** The jobs the server's runner must know. */
    jobs: [deliver],
    schedules: [release],

    /**
     * Puts a message in the outbox; returns its id. Refused, naming the field, when the address,
     * template, language or the template's data is not right; nothing is then written. Given a
     * transaction, the mail is sent only if it commits.
     */
    async sendMail<T extends TemplateName>(
      message: MailMessage<T>,
      opts: { db?: Kysely<Database> } = {},
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
      const sealed = vault.sealSecret(
        aad(id),
        JSON.stringify({ to: env.data.to, data: data.data }),
      );
      const write = async (tx: Kysely<Database>) => {
        await outboxRepo.insert(tx, {
          id,
          template: env.data.template,
          locale: env.data.locale,
          sealed,
          queued: smtp !== undefined,
        });
        if (smtp) {
          await enqueue(tx, deliver, { outboxId: id });
        }
      };
      if (opts.db) {
        await write(opts.db);
      } else {
        await db.transaction().execute(write);
      }
      return id;
    },

    /** The mail waiting in the outbox, opened, for a role that handles requests. */
    async listOutbox(actor: Actor, opts: { limit?: number } = {}): Promise<OutboxEntry[]> {
      requireAction(actor, 'handle_requests');
      const rows = await outboxRepo.list(db, Math.min(Math.max(opts.limit ?? 100, 1), 1000));
      return rows.map((row) => {
        const { to, data } = open(row);
        return {
          id: row.id,
          to,
          template: row.template,
          locale: row.locale,
          subject: render(row.template, row.locale, data).subject,
          createdAt: row.created_at,
          state: row.queued ? 'queued' : 'waiting',
        };
      });
    },

    close(): void {
      transport?.close();
    },
  };
}

export type MailService = ReturnType<typeof createMailService>;

/** Whether an SMTP URL names this machine's loopback (where plain SMTP cannot be overheard). */
export function onLoopback(url: string): boolean {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
