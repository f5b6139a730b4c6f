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
        "Why a person was skipped (the permission check's code, not_in_audience, no_address, bounced_before), why a mail failed or is uncertain (the SMTP server's answer, classified; interrupted: the run stopped while handing it over), or the feedback: bounce (with the report's status code when it gave one, such as bounce 5.1.1) or complaint",
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
      "A draft: the audience as it is now is written to the database page by page (ids only) and mailed in batches at the campaign's rate (ratePerMinute, else CAMPAIGN_SEND_RATE per minute), each person's permission checked again right before their mail. The start takes the campaign first (state starting): a second start meanwhile is refused, 409 naming state; a start that stopped is taken over after 10 minutes. A paused campaign: sending resumes (its reason cleared). 409 without an SMTP server, or from another state.",
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
        'One row per person of the audience at start, by id: queued, sending, sent, skipped (with the reason), failed, uncertain (the server may have the mail; never sent again by itself: check with the mail server before mailing the person another way), bounced or complained. Keyset pages: pass the last subjectId as after.',
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

  r.post('/campaigns/feedback', {
    schema: {
      operationId: 'campaignFeedback',
      tags,
      security,
      summary: 'Feed back a bounce or a complaint',
      description:
        "By the campaign mail's Message-ID, given or quoted in the delivery status notification or feedback report: only a report on a mail we sent counts (an address alone is refused, 400 naming messageId), and a recipient or campaignId given must match that mail. A bounce is recorded on the send with the report's status code as evidence, and the address is not mailed by campaigns for 180 days after it; a complaint also records an objection (a withdrawn consent where the channel rests on consent) in the permission ledger, in the same transaction: for a person the ledger no longer holds (erased), 404 and nothing recorded. A mail that is not ours, not yet sent, or of a purpose the caller may not read under is answered alike, 404.",
      body: feedbackInput,
      response: {
        200: z.object({
          campaignId: z.uuid(),
          subjectId: z.uuid(),
          state: z.enum(['bounced', 'complained']),
        }),
        ...errors,
      },
    },
    config: { multiline: ['report'] },
    handler: async (req) => service.feedback(actorOf(req), req.body),
  });
}
