/**
 * What a campaign is made of (docs/campaigns.md): a marketing purpose, an e-mail channel, the
 * audience's filters, a subject and a body in one or more of sv/fi/en, and optionally a sender.
 * Strict: an unknown key is refused, naming it.
 */
import { z } from 'zod';
import { audienceFilter } from '../audiences/index.ts';

export const CAMPAIGN_LANGUAGES = ['sv', 'fi', 'en'] as const;
export type CampaignLanguage = (typeof CAMPAIGN_LANGUAGES)[number];

export const CAMPAIGN_STATES = [
  'draft',
  'starting',
  'sending',
  'paused',
  'cancelled',
  'finished',
] as const;
export type CampaignState = (typeof CAMPAIGN_STATES)[number];

export const SEND_STATES = [
  'queued',
  'sending',
  'sent',
  'skipped',
  'failed',
  'uncertain',
  'bounced',
  'complained',
] as const;
export type SendState = (typeof SEND_STATES)[number];

/** One line of text: a header's value must not break into a new header. */
const line = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .regex(/^[^\r\n]*$/, 'must be one line');

const text = z
  .strictObject({
    subject: line(200).describe("The mail's subject"),
    body: z
      .string()
      .trim()
      .min(1)
      .max(20_000)
      .describe('Plain text; paragraphs separated by an empty line. The unsubscribe link is added'),
  })
  .meta({ id: 'CampaignText' });

export const campaignContent = z
  .strictObject({ sv: text.optional(), fi: text.optional(), en: text.optional() })
  .refine((c) => CAMPAIGN_LANGUAGES.some((l) => c[l] !== undefined), {
    message: 'give the subject and body in at least one of sv, fi, en',
  })
  .meta({ id: 'CampaignContent' });
export type CampaignContent = z.infer<typeof campaignContent>;

export const campaignSender = z
  .strictObject({
    name: line(100).optional().describe("The sender's name as the recipient sees it"),
    address: z.email().max(320).describe('The From address (default MAIL_FROM)'),
  })
  .meta({ id: 'CampaignSender' });

export const campaignInput = z
  .strictObject({
    name: line(200).describe("The campaign's name in the console"),
    purpose: z.string().min(1).max(100).describe('A marketing purpose (one with a kind)'),
    channel: z
      .string()
      .min(1)
      .max(100)
      .describe("One of the purpose's channels that reaches people by e-mail"),
    filters: z.array(audienceFilter).max(20).default([]).describe('All must hold (AND)'),
    content: campaignContent,
    sender: campaignSender.optional(),
    ratePerMinute: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .optional()
      .describe(
        "The campaign's own mails per minute, at most the server's CAMPAIGN_SEND_RATE (its default)",
      ),
  })
  .meta({ id: 'CampaignDraft' });
export type CampaignInput = z.input<typeof campaignInput>;

export const FEEDBACK_TYPES = ['bounce', 'complaint'] as const;

/**
 * Why staff did what they did to a campaign mail: one line, kept with the evidence (never in the
 * access log). Say what was checked ("the mail server's log shows it taken at 10:42"), not who the
 * person is.
 */
const staffReason = line(500).describe(
  "Why (kept with the send's history, not logged): what was checked, never personal data",
);

export const resolveSendInput = z
  .strictObject({
    outcome: z
      .enum(['sent', 'failed'])
      .describe(
        "sent: the mail server's log shows the mail taken; failed: it was not delivered (never sent again by itself)",
      ),
    reason: staffReason,
  })
  .meta({ id: 'CampaignSendResolution' });
export type ResolveSendInput = z.input<typeof resolveSendInput>;

export const requeueSendInput = z
  .strictObject({
    reason: staffReason,
    confirmSendAgain: z
      .literal(true)
      .describe(
        'Must be true: the mail may have been delivered already, and sending again may mail the person twice',
      ),
  })
  .meta({ id: 'CampaignSendRequeue' });
export type RequeueSendInput = z.input<typeof requeueSendInput>;

export const liftBounceInput = z
  .strictObject({ reason: staffReason })
  .meta({ id: 'CampaignBounceLift' });
export type LiftBounceInput = z.input<typeof liftBounceInput>;

export const feedbackInput = z
  .strictObject({
    type: z
      .enum(FEEDBACK_TYPES)
      .optional()
      .describe(
        'bounce (the mail could not be delivered) or complaint (the recipient reported it as spam); read from the report when left out',
      ),
    messageId: z
      .string()
      .min(3)
      .max(998)
      .optional()
      .describe(
        'The Message-ID of the campaign mail, with or without <>: required (here or quoted in the report), so that only a report on a mail we sent counts',
      ),
    recipient: z
      .email()
      .max(320)
      .optional()
      .describe(
        'The address the mail was sent to: when given, it must be the one the mail went to',
      ),
    campaignId: z
      .uuid()
      .optional()
      .describe('The campaign: when given, it must be the one the mail belongs to'),
    report: z
      .string()
      .min(1)
      .max(200_000)
      .optional()
      .describe(
        'The bounce (RFC 3464 delivery status notification) or complaint (RFC 5965 feedback report) as received; its Message-ID, recipient and type are read from it',
      ),
  })
  .refine((f) => f.messageId ?? f.report, {
    message: "give the campaign mail's messageId, or the report that quotes it",
    path: ['messageId'],
  })
  .meta({ id: 'CampaignFeedback' });
export type FeedbackInput = z.input<typeof feedbackInput>;

/** Which mail a report is about, read from an RFC 3464 / RFC 5965 report's text. */
export function readReport(report: string): {
  messageId?: string;
  recipient?: string;
  type?: 'bounce' | 'complaint';
  /** A bounce's enhanced status code (RFC 3463), `5.1.1`: kept as the bounce's evidence. */
  status?: string;
} {
  const header = (name: string) =>
    new RegExp(`^${name}:[ \\t]*(.+)$`, 'im').exec(report)?.[1]?.trim();
  const messageId =
    /<[^<>\s@]+@[^<>\s]+>/.exec(header('Original-Message-ID') ?? '')?.[0] ??
    // A bounce quotes the original headers: the Message-ID there is the campaign's.
    [...report.matchAll(/^Message-ID:[ \t]*(<[^<>\s@]+@[^<>\s]+>)/gim)]
      .map((m) => m[1])
      .find((id) => id?.startsWith('<campaign.'));
  const finalRecipient =
    header('Final-Recipient') ?? header('Original-Rcpt-To') ?? header('Original-Recipient');
  const recipient = finalRecipient?.replace(/^rfc822;\s*/i, '').trim();
  const type = /^Feedback-Type:/im.test(report)
    ? 'complaint'
    : /^Action:[ \t]*failed/im.test(report) || /^Status:[ \t]*5\./im.test(report)
      ? 'bounce'
      : undefined;
  const status = /^Status:[ \t]*([245]\.\d{1,3}\.\d{1,3})\b/im.exec(report)?.[1];
  return {
    ...(messageId ? { messageId } : {}),
    ...(recipient ? { recipient } : {}),
    ...(type ? { type } : {}),
    ...(status ? { status } : {}),
  };
}
