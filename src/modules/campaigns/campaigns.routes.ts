/**
 * HTTP routes of campaigns under /api/v1 (docs/campaigns.md): draft, count, start, pause, resume,
 * cancel, progress, the per-person sends, and bounces and complaints fed back. Every route needs
 * the staff action `export_audiences` and the right to read under the campaign's purpose; the
 * refusal comes before anything is read or changed.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../http/auth/index.ts';
import { problemSchema } from '../../http/problem.ts';
import type { CampaignsService } from './campaigns.service.ts';
import {
  CAMPAIGN_STATES,
  campaignContent,
  campaignInput,
  campaignSender,
  feedbackInput,
  liftBounceInput,
  requeueSendInput,
  resolveSendInput,
  SEND_STATES,
} from './model.ts';

const errors = {
  400: problemSchema,
  401: problemSchema,
  403: problemSchema,
  404: problemSchema,
  409: problemSchema,
};

const progress = z
  .object({
    total: z.number().int(),
    queued: z.number().int(),
    sending: z.number().int(),
    sent: z.number().int(),
    skipped: z.number().int(),
    failed: z.number().int(),
    uncertain: z
      .number()
      .int()
      .describe(
        'Mails the SMTP server may or may not have taken (the connection failed at or after DATA, or the run stopped while handing it over): never sent again by themselves',
      ),
    bounced: z.number().int(),
    complained: z.number().int(),
  })
  .meta({ id: 'CampaignProgress' });

const campaign = z
  .object({
    id: z.uuid(),
    name: z.string(),
    purpose: z.string(),
    channel: z.string(),
    filters: z.array(z.unknown()),
    content: campaignContent,
    sender: campaignSender.nullable(),
    state: z.enum(CAMPAIGN_STATES),
    createdBy: z.string(),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    ratePerMinute: z
      .number()
      .int()
      .describe(
        "Mails per minute: the campaign's own rate, else CAMPAIGN_SEND_RATE, and never above CAMPAIGN_SEND_RATE as it is now",
      ),
    reason: z
      .string()
      .nullable()
      .describe(
        'Why the campaign paused by itself (its send job gave up, with the last failure); null otherwise, and cleared when it is started again',
      ),
    progress,
  })
  .meta({ id: 'Campaign' });

const send = z
  .object({
    subjectId: z.uuid(),
    state: z.enum(SEND_STATES),
    reason: z
      .string()
      .nullable()
      .describe(
        "Why a person was skipped (the permission check's code, not_in_audience, no_address, undeliverable, bounced_before), why a mail failed or is uncertain (the SMTP server's answer, classified; interrupted: the run stopped while handing it over), or the feedback: bounce (with the report's status code when it gave one, such as bounce 5.1.1) or complaint",
      ),
    locale: z.string().nullable(),
    messageId: z.string().nullable(),
    at: z.string(),
  })
  .meta({ id: 'CampaignSend' });

const params = z.strictObject({ id: z.uuid() });

export function campaignsRoutes(app: FastifyInstance, service: CampaignsService) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['campaigns'];
  const security: Array<Record<string, string[]>> = [{ bearer: [] }, { session: [] }];

  r.get('/campaigns', {
    schema: {
      operationId: 'listCampaigns',
      tags,
      security,
      summary: 'Campaigns, newest first, with their progress',
      description:
        'The campaigns of purposes the caller may read under. Needs the action export_audiences.',
      querystring: z.strictObject({
        limit: z.coerce.number().int().min(1).max(500).default(100),
      }),
      response: { 200: z.object({ items: z.array(campaign) }), ...errors },
    },
    handler: async (req) => ({
      items: await service.list(actorOf(req), { limit: req.query.limit }),
    }),
  });

  r.post('/campaigns', {
    schema: {
      operationId: 'createCampaign',
      tags,
      security,
      summary: 'Draft a campaign',
      description:
        "A marketing purpose, one of its e-mail channels, the audience filters (as for audiences), a subject and body in sv, fi and/or en, optionally the sender and the campaign's own rate (ratePerMinute, at most CAMPAIGN_SEND_RATE: 400 naming ratePerMinute above it). Nothing is sent until it is started.",
      body: campaignInput,
      response: { 201: campaign, ...errors },
    },
    config: { multiline: ['content.sv.body', 'content.fi.body', 'content.en.body'] },
    handler: async (req, reply) =>
      reply.code(201).send(await service.create(actorOf(req), req.body)),
  });

  r.get('/campaigns/:id', {
    schema: {
      operationId: 'getCampaign',
      tags,
      security,
      summary: 'A campaign and its progress',
      params,
      response: { 200: campaign, ...errors },
    },
    handler: async (req) => service.get(actorOf(req), req.params.id),
  });

  r.get('/campaigns/:id/count', {
    schema: {
      operationId: 'countCampaign',
      tags,
      security,
      summary: "How many people the campaign's audience holds now",
      params,
      response: {
        200: z.object({
          count: z.number().int(),
          /** Set when a filtered audience is smaller than this: `count` is then 0. */
          fewerThan: z.number().int().optional(),
        }),
        ...errors,
      },
    },
    handler: async (req) => service.count(actorOf(req), req.params.id),
  });

  for (const [action, summary, description] of [
    [
      'start',
      'Start (or resume) sending',
      "A draft: the audience as it is now is written to the database page by page (ids only) and mailed in batches at the campaign's rate (ratePerMinute, else CAMPAIGN_SEND_RATE per minute), each person's permission checked again right before their mail. The start takes the campaign first (state starting): a second start meanwhile is refused, 409 naming state; a start that stopped is taken over after 10 minutes. A paused campaign: sending resumes (its reason cleared). 409 without an SMTP server, naming PUBLIC_URL when it is not an https:// address (every mail's one-click unsubscribe link must be), or from another state.",
    ],
    ['pause', 'Pause sending', 'No further mail until it is started again. 409 unless sending.'],
    [
      'cancel',
      'Cancel the campaign',
      'No further mail, ever; what was sent stays recorded. 409 once finished or cancelled.',
    ],
  ] as const) {
    r.post(`/campaigns/:id/${action}`, {
      schema: {
        operationId: `${action}Campaign`,
        tags,
        security,
        summary,
        description,
        params,
        response: { 200: campaign, ...errors },
      },
      handler: async (req) => service[action](actorOf(req), req.params.id),
    });
  }

  r.get('/campaigns/:id/sends', {
    schema: {
      operationId: 'listCampaignSends',
      tags,
      security,
      summary: 'What became of each person’s mail',
      description:
        'One row per person of the audience at start, by id: queued, sending, sent, skipped (with the reason), failed, uncertain (the server may have the mail; never sent again by itself: check with the mail server before mailing the person another way), bounced or complained. A person the campaign’s purpose no longer sees (erased since, or all they have left kept by a legal hold for another purpose) is not listed, as their mail’s detail answers 404; the campaign’s counts still count their mail. Keyset pages: pass the last subjectId as after.',
      params,
      querystring: z.strictObject({
        state: z.enum(SEND_STATES).optional(),
        limit: z.coerce.number().int().min(1).max(1000).default(100),
        after: z.uuid().optional(),
      }),
      response: { 200: z.object({ items: z.array(send) }), ...errors },
    },
    handler: async (req) => ({
      items: await service.sends(actorOf(req), req.params.id, {
        limit: req.query.limit,
        ...(req.query.state ? { state: req.query.state } : {}),
        ...(req.query.after ? { after: req.query.after } : {}),
      }),
    }),
  });

  const sendParams = z.strictObject({ id: z.uuid(), subjectId: z.uuid() });
  /**
   * Before the body is validated: the right (403), the campaign and the person's mail (404, the
   * same for a person erased or one the campaign's purpose no longer sees as for a stranger), so
   * bad input about a mail the caller may not know of is never told apart by a 400.
   */
  const sendFirst = {
    preValidation: async (req: { params: unknown } & Parameters<typeof actorOf>[0]) => {
      const p = req.params as { id?: string; subjectId?: string };
      await service.checkSend(actorOf(req), p.id ?? '', p.subjectId ?? '');
    },
  };
  const detail = send
    .extend({
      bounceSuppressedUntil: z
        .string()
        .nullable()
        .describe(
          'Until when a bounce keeps the address from campaigns (180 days from it); null when not bounced, expired or lifted',
        ),
      events: z
        .array(
          z.object({
            action: z.enum([
              'marked_sent',
              'marked_failed',
              'requeued',
              'bounce_lifted',
              'bounced',
              'complained',
            ]),
            from: z.string(),
            to: z.string(),
            messageId: z
              .string()
              .nullable()
              .describe("The mail's Message-ID then (a requeued mail's old one)"),
            reason: z.string().describe('The reason staff gave'),
            actor: z.string().describe('Who, by kind only: staff, api_key, operator'),
            at: z.string(),
          }),
        )
        .describe('What staff did about this mail, oldest first: append-only'),
    })
    .meta({ id: 'CampaignSendDetail' });

  r.get('/campaigns/:id/sends/:subjectId', {
    schema: {
      operationId: 'getCampaignSend',
      tags,
      security,
      summary: "One person's mail, with what staff did about it",
      description:
        "A person erased, or one the campaign's purpose no longer sees (a legal hold keeps all they have left for another purpose), is answered as one the campaign has no mail to (404 naming subjectId).",
      params: sendParams,
      response: { 200: detail, ...errors },
    },
    handler: async (req) => service.sendDetail(actorOf(req), req.params.id, req.params.subjectId),
  });

  r.post('/campaigns/:id/sends/:subjectId/resolve', {
    ...sendFirst,
    schema: {
      operationId: 'resolveCampaignSend',
      tags,
      security,
      summary: 'Resolve an uncertain mail as sent or failed',
      description:
        "For a mail whose handover may or may not have happened (uncertain): staff asked the mail server. sent: it was taken; failed: it was not delivered, and it is never sent again by itself. A reason is required; it is kept in the send's history, and the access log records the change without it. 409 naming state unless the mail is uncertain. Needs export_audiences and reading under the campaign's purpose, checked before anything changes. A person erased, or one the campaign's purpose no longer sees (a legal hold keeps all they have left for another purpose), is answered as one the campaign has no mail to (404 naming subjectId), before the body is read, and nothing is written.",
      params: sendParams,
      body: resolveSendInput,
      response: { 200: detail, ...errors },
    },
    handler: async (req) =>
      service.resolveSend(actorOf(req), req.params.id, req.params.subjectId, req.body),
  });

  r.post('/campaigns/:id/sends/:subjectId/requeue', {
    ...sendFirst,
    schema: {
      operationId: 'requeueCampaignSend',
      tags,
      security,
      summary: 'Send an uncertain mail again (risks a second copy)',
      description:
        "Puts an uncertain mail back in the queue: the person may get it twice, so confirmSendAgain must be true, and a reason is required. The mail goes out only through the queue, with the person's permission checked again right before it (someone who unsubscribed meanwhile is skipped). A paused campaign sends it when resumed; a finished one is sending again for it (409 without an SMTP server); a cancelled one sends nothing more (409 naming state). 409 naming state unless the mail is uncertain. A person erased, or one the campaign's purpose no longer sees (a legal hold keeps all they have left for another purpose), is answered as one the campaign has no mail to (404 naming subjectId), before the body is read, and nothing is written.",
      params: sendParams,
      body: requeueSendInput,
      response: { 200: detail, ...errors },
    },
    handler: async (req) =>
      service.requeueSend(actorOf(req), req.params.id, req.params.subjectId, req.body),
  });

  r.post('/campaigns/:id/sends/:subjectId/lift-bounce', {
    ...sendFirst,
    schema: {
      operationId: 'liftCampaignBounce',
      tags,
      security,
      summary: "Lift a bounce's 180-day suppression early",
      description:
        "The person fixed their mailbox: the address this bounced mail went to is mailed by campaigns again. Every bounce of that address recorded up to now stops counting, in every campaign of every purpose (a bounce is a fact about the mailbox, not a choice of the person); the bounce stays recorded and the lift is added to the send's history with the reason. It lifts the bounce only: a refusal, withdrawal or objection, a complaint, a restriction, a stop, or a prohibition list still keeps the person out. 409 naming state unless the mail bounced within the last 180 days and was not lifted since. A person erased, or one the campaign's purpose no longer sees (a legal hold keeps all they have left for another purpose), is answered as one the campaign has no mail to (404 naming subjectId), before the body is read, and nothing is written.",
      params: sendParams,
      body: liftBounceInput,
      response: { 200: detail, ...errors },
    },
    handler: async (req) =>
      service.liftBounce(actorOf(req), req.params.id, req.params.subjectId, req.body),
  });

  r.post('/campaigns/feedback', {
    schema: {
      operationId: 'campaignFeedback',
      tags,
      security,
      summary: 'Feed back a bounce or a complaint',
      description:
        "By the campaign mail's Message-ID, given or quoted in the delivery status notification or feedback report: only a report on a mail we sent counts (an address alone is refused, 400 naming messageId), and a recipient or campaignId given must match that mail. A bounce is recorded on the send with the report's status code as evidence, and the address is not mailed by campaigns for 180 days after it; a complaint also records an objection (a withdrawn consent where the channel rests on consent) in the permission ledger, in the same transaction. A mail to a person erased since is answered as one that is not ours (404, never the person's id): a bounce keeps only the address out (its keyed blind index and the time), a complaint records nothing, and nothing of the send or the access log changes. A Message-ID a mail had before staff requeued it (the first copy) still finds its send, whatever the send's state now: the report is applied to it (a complaint withdraws; a bounce keeps the address that copy went to out, and a send still queued is not mailed again). On a send already bounced or complained, or (a bounce) one whose second copy went to another address, it changes nothing of the send (its state, reason and address stay) and is kept as a history row of its own (bounced or complained), a bounce keeping the first copy's address out; state answers the send's. A mail that is not ours, not yet sent, or of a purpose the caller may not read under is answered alike, 404.",
      body: feedbackInput,
      response: {
        200: z.object({
          campaignId: z.uuid(),
          subjectId: z.uuid(),
          state: z
            .enum(['bounced', 'complained', 'sent', 'uncertain', 'failed'])
            .describe(
              "The send's state now: bounced or complained, or its own when a late report on a requeued mail's first copy leaves it as it was",
            ),
        }),
        ...errors,
      },
    },
    config: { multiline: ['report'] },
    handler: async (req) => service.feedback(actorOf(req), req.body),
  });
}
