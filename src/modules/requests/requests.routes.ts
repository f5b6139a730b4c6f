/**
 * HTTP routes for data subjects' requests under /api/v1, for staff who handle requests and for
 * API keys allowed `handle_requests`. Thin: check input with zod (strict at every depth), call the
 * service (which authorises before anything else), answer through the response schema.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../http/auth/index.ts';
import { problemSchema } from '../../http/problem.ts';
import { IDENTITY_PROOFS, REQUEST_CHANNELS, REQUEST_TYPES } from '../definition/index.ts';
import {
  DELIVERY_HOW,
  DOCUMENT_TYPES,
  fieldValueSchema,
  LETTER_HOW,
  postalAddressSchema,
  REQUEST_LANGS,
  REQUEST_STATES,
  TOLD_HOW,
} from './model.ts';
import type { RequestsService } from './requests.service.ts';

const id = z.uuid().describe('Request id');
const isoDate = z.iso.date();

/** Channels staff and integrations register requests from; the portal has its own routes. */
const STAFF_CHANNELS = REQUEST_CHANNELS.filter((c) => c !== 'portal') as [
  Exclude<(typeof REQUEST_CHANNELS)[number], 'portal'>,
  ...Array<Exclude<(typeof REQUEST_CHANNELS)[number], 'portal'>>,
];

const change = z.strictObject({
  category: z.string().min(1).max(100),
  field: z.string().min(1).max(100),
  value: fieldValueSchema.describe('The value asked for; null to remove it'),
});

const identityInput = z
  .strictObject({
    proof: z.enum(IDENTITY_PROOFS).describe('How the person proved who they are'),
    documentType: z
      .enum(DOCUMENT_TYPES)
      .optional()
      .describe(
        'For photo_id (and a signed letter with a copy): which document was checked; never its number',
      ),
  })
  .meta({ id: 'IdentityProofInput' });

const summary = z
  .object({
    id: z.uuid(),
    type: z.enum(REQUEST_TYPES),
    state: z.enum(REQUEST_STATES),
    extended: z.boolean(),
    channel: z.enum(REQUEST_CHANNELS),
    lang: z.enum(REQUEST_LANGS),
    subjectId: z.uuid().nullable().describe('The person, once matched or linked'),
    receivedAt: z.string(),
    identityProvenAt: z.string().nullable(),
    dueOn: isoDate
      .nullable()
      .describe('Due date (Europe/Helsinki calendar date); null until the identity is proven'),
    originalDueOn: isoDate.nullable().describe('The due date before any extension'),
    closedAt: z.string().nullable(),
    overdue: z.boolean(),
    lettersWaiting: z
      .number()
      .int()
      .describe('Letters to the person not yet marked sent (the request gives no e-mail address)'),
    deliveryPending: z
      .boolean()
      .describe(
        'Completed with a printed copy to post or hand over whose delivery is not yet recorded: listed with the open requests, overdue after its due date until then',
      ),
  })
  .meta({ id: 'RequestSummary' });

const postalAddress = postalAddressSchema.meta({ id: 'PostalAddress' });

const letter = z
  .object({
    id: z.uuid(),
    template: z.string().describe('The mail template whose words the letter uses'),
    lang: z.enum(REQUEST_LANGS),
    dueAt: z.string().describe('When the letter became due (the step that told the person)'),
    subject: z.string(),
    text: z.string().describe('The letter, as the mail would have said it'),
    from: z
      .object({
        name: z.string(),
        street: z.string(),
        postalCode: z.string(),
        city: z.string(),
        country: z.string(),
      })
      .describe("The controller, as the letter's sender"),
    to: z.object({
      name: z.string().nullable(),
      address: postalAddress
        .nullable()
        .describe('null: no postal address; tell the person by the channel they used'),
    }),
    erased: z
      .boolean()
      .describe("The letter's text is gone: sent, closed, or the request's data shredded"),
    sent: z
      .object({
        how: z.enum(LETTER_HOW),
        on: isoDate,
        by: z.string().describe('Who recorded it (actor kind and id)'),
      })
      .nullable()
      .describe('null while the letter waits to be sent'),
    closed: z
      .object({
        why: z.enum(['shredded', 'expired']),
        at: z.string(),
      })
      .nullable()
      .describe(
        "Closed without being sent: the request's data was shredded, or it waited longer than letters are kept",
      ),
  })
  .meta({ id: 'RequestLetter' });

const view = summary
  .extend({
    contact: z.object({
      email: z.string().nullable(),
      phone: z.string().nullable(),
      name: z.string().nullable(),
      address: postalAddress.nullable(),
    }),
    details: z.string().nullable(),
    changes: z.array(z.object({ category: z.string(), field: z.string(), value: z.unknown() })),
    reasons: z.object({
      refuse: z.string().optional(),
      extend: z.string().optional(),
      cancel: z.string().optional(),
      complete: z.string().optional(),
    }),
    compellingGrounds: z.array(z.object({ purpose: z.string(), reason: z.string() })),
    identity: z.object({
      proof: z.enum(IDENTITY_PROOFS).nullable(),
      documentType: z.enum(DOCUMENT_TYPES).nullable(),
      checkedBy: z.string().nullable().describe('Who recorded the proof (actor kind and id)'),
      accepted: z
        .array(z.enum(IDENTITY_PROOFS))
        .describe(
          "Proofs any one of which starts the clock: the channel's, or the type's stronger",
        ),
    }),
    downloadUntil: z
      .string()
      .nullable()
      .describe('Access and portability: until when the copy may be downloaded in the portal'),
    events: z.array(
      z.object({
        seq: z.number().int(),
        at: z.string(),
        step: z.string(),
        actor: z.string(),
        data: z.record(z.string(), z.unknown()),
      }),
    ),
    recipients: z.array(
      z.object({
        recipientId: z.string(),
        toldAt: z.string(),
        how: z.enum(TOLD_HOW),
        recordedBy: z.string(),
      }),
    ),
    letters: z
      .array(letter)
      .describe('Letters in place of mail the request had no e-mail address for, oldest first'),
    delivery: z
      .object({
        how: z.enum(DELIVERY_HOW).describe('How the printed copy is to reach the person'),
        delivered: z
          .object({ how: z.enum(DELIVERY_HOW), on: isoDate, by: z.string() })
          .nullable()
          .describe('null until the delivery is recorded'),
      })
      .nullable()
      .describe(
        'Access, portability without an e-mail address: the printed copy posted or handed over; null otherwise',
      ),
  })
  .meta({ id: 'Request' });

const reasonBody = z.strictObject({ reason: z.string().trim().min(1).max(5000) });

const errors = {
  400: problemSchema,
  401: problemSchema,
  403: problemSchema,
  404: problemSchema,
  409: problemSchema,
};

export function requestsRoutes(app: FastifyInstance, service: RequestsService): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['requests'];
  const security: Array<Record<string, string[]>> = [{ bearer: [] }, { session: [] }];

  r.get('/requests', {
    schema: {
      operationId: 'listRequests',
      tags,
      security,
      summary: 'Requests, the most pressing first (no personal data)',
      description:
        'Open requests unless `state` is given. Sorted by due date, so overdue requests lead, then requests whose identity is not yet proven, oldest first.',
      querystring: z.strictObject({
        state: z
          .union([z.enum(REQUEST_STATES), z.array(z.enum(REQUEST_STATES))])
          .optional()
          .describe('Only these states (repeat the parameter for several)'),
        type: z.enum(REQUEST_TYPES).optional(),
        subjectId: z.uuid().optional(),
        limit: z.coerce.number().int().min(1).max(500).default(50),
        offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
      }),
      response: { 200: z.object({ items: z.array(summary) }), ...errors },
    },
    handler: async (req) => {
      const q = req.query;
      return {
        items: await service.list(actorOf(req), {
          states: q.state === undefined ? undefined : [q.state].flat(),
          type: q.type,
          subjectId: q.subjectId,
          limit: q.limit,
          offset: q.offset,
        }),
      };
    },
  });

  r.post('/requests', {
    config: { multiline: ['details', 'changes'] },
    schema: {
      operationId: 'submitRequest',
      tags,
      security,
      summary: 'Register a request that came by e-mail, letter, phone or in person',
      description:
        'With an identity proof the request accepts, the clock starts at once (due one calendar month later) and the person is matched by e-mail or phone; otherwise the request waits in identity_pending.',
      body: z.strictObject({
        type: z.enum(REQUEST_TYPES),
        channel: z.enum(STAFF_CHANNELS),
        lang: z.enum(REQUEST_LANGS).describe('The language the person is answered in'),
        email: z.string().max(254).optional(),
        phone: z.string().max(32).optional(),
        name: z.string().max(200).optional(),
        address: postalAddress
          .optional()
          .describe('Where to answer by letter when the request gives no e-mail address'),
        details: z.string().max(10_000).optional(),
        changes: z.array(change).max(200).optional(),
        subjectId: z.uuid().optional(),
        identity: identityInput.optional(),
      }),
      response: { 201: summary, ...errors },
    },
    handler: async (req, reply) => {
      return reply.code(201).send(await service.intake(actorOf(req), req.body));
    },
  });

  r.get('/requests/:id', {
    schema: {
      operationId: 'getRequest',
      tags,
      security,
      summary: 'A request, opened, with its history and the recipients told',
      params: z.strictObject({ id }),
      response: { 200: view, ...errors },
    },
    handler: async (req) => service.get(actorOf(req), req.params.id),
  });

  r.post('/requests/:id/identity', {
    schema: {
      operationId: 'proveRequestIdentity',
      tags,
      security,
      summary:
        'Record the identity proof staff checked; the clock starts when it is one the request accepts',
      params: z.strictObject({ id }),
      body: identityInput,
      response: { 200: summary, ...errors },
    },
    handler: async (req) => service.proveIdentity(actorOf(req), req.params.id, req.body),
  });

  r.post('/requests/:id/subject', {
    schema: {
      operationId: 'linkRequestSubject',
      tags,
      security,
      summary: 'Link the request to the person it is about',
      params: z.strictObject({ id }),
      body: z.strictObject({ subjectId: z.uuid() }),
      response: { 200: summary, ...errors },
    },
    handler: async (req) => service.linkSubject(actorOf(req), req.params.id, req.body.subjectId),
  });

  r.post('/requests/:id/extend', {
    config: { multiline: ['reason'] },
    schema: {
      operationId: 'extendRequest',
      tags,
      security,
      summary: 'Extend the time to answer by 1 or 2 months, before the original due date',
      params: z.strictObject({ id }),
      body: z.strictObject({
        months: z.union([z.literal(1), z.literal(2)]),
        reason: z.string().trim().min(1).max(5000).describe('Told to the person'),
      }),
      response: { 200: summary, ...errors },
    },
    handler: async (req) => service.extend(actorOf(req), req.params.id, req.body),
  });

  r.post('/requests/:id/refuse', {
    config: { multiline: ['reason'] },
    schema: {
      operationId: 'refuseRequest',
      tags,
      security,
      summary: 'Refuse a request, with a reason the person is told with their right to complain',
      params: z.strictObject({ id }),
      body: reasonBody,
      response: { 200: summary, ...errors },
    },
    handler: async (req) => service.refuse(actorOf(req), req.params.id, req.body),
  });

  r.post('/requests/:id/cancel', {
    config: { multiline: ['reason'] },
    schema: {
      operationId: 'cancelRequest',
      tags,
      security,
      summary: 'Cancel a request (withdrawn by the person, or a duplicate)',
      params: z.strictObject({ id }),
      body: reasonBody,
      response: { 200: summary, ...errors },
    },
    handler: async (req) => service.cancel(actorOf(req), req.params.id, req.body),
  });

  r.post('/requests/:id/complete', {
    config: { multiline: ['reason', 'compellingGrounds', 'changes'] },
    schema: {
      operationId: 'completeRequest',
      tags,
      security,
      summary: 'Fulfil a request by its type and tell the person',
      description:
        'access, portability: the copy becomes downloadable in the portal for 30 days; when the request gives no e-mail address, `delivery` (post, to its postal address, or handed_over) is required instead, the completion letter says the printed copy is enclosed or handed over, and staff print it (GET /requests/{id}/package) and record the delivery. rectification: `purpose`, `source` and optionally `changes` (those asked for otherwise). erasure: the person is erased (legal holds excepted). restriction: `reason` optional. restriction_lift: the person is mailed first, then the restriction lifted. objection: `purposes`, `compellingGrounds` per purpose (told to the person). consent_withdrawal: `purposes`. marketing_prohibition: nothing (absolute). Fields a type does not use are refused.',
      params: z.strictObject({ id }),
      body: z
        .strictObject({
          purpose: z.string().min(1).max(100).optional(),
          source: z.string().min(1).max(100).optional(),
          changes: z.array(change).min(1).max(200).optional(),
          reason: z.string().trim().min(1).max(5000).optional(),
          purposes: z.array(z.string().min(1).max(100)).min(1).max(100).optional(),
          delivery: z
            .enum(DELIVERY_HOW)
            .optional()
            .describe(
              'Access, portability without an e-mail address: the printed copy is posted or handed over',
            ),
          compellingGrounds: z
            .array(
              z.strictObject({
                purpose: z.string().min(1).max(100),
                reason: z.string().trim().min(1).max(5000),
              }),
            )
            .max(100)
            .optional(),
        })
        .default({}),
      response: { 200: summary, ...errors },
    },
    handler: async (req) => service.complete(actorOf(req), req.params.id, req.body),
  });

  r.post('/requests/:id/recipients/:recipientId', {
    schema: {
      operationId: 'recordRecipientTold',
      tags,
      security,
      summary: 'Record when and how a recipient of the data was told (Art. 19)',
      params: z.strictObject({ id, recipientId: z.string().min(1).max(100) }),
      body: z.strictObject({
        how: z.enum(TOLD_HOW),
        at: z.iso.datetime({ offset: true }).optional().describe('When; now when not given'),
      }),
      response: { 200: view, ...errors },
    },
    handler: async (req) =>
      service.recordRecipientTold(actorOf(req), req.params.id, req.params.recipientId, {
        how: req.body.how,
        at: req.body.at === undefined ? undefined : new Date(req.body.at),
      }),
  });

  r.post('/requests/:id/letters/:letterId/sent', {
    schema: {
      operationId: 'markRequestLetterSent',
      tags,
      security,
      summary: 'Record that a letter to the person was posted, handed over or told by phone',
      description:
        'A letter is marked once; it is then no longer waiting. `on` is the day (Europe/Helsinki), today when not given; not in the future, not before the letter was due.',
      params: z.strictObject({ id, letterId: z.uuid().describe('Letter id') }),
      body: z.strictObject({
        how: z.enum(LETTER_HOW).describe('post, handed_over or phone'),
        on: isoDate.optional().describe('When (YYYY-MM-DD); today when not given'),
      }),
      response: { 200: view, ...errors },
    },
    handler: async (req) =>
      service.markLetterSent(actorOf(req), req.params.id, req.params.letterId, req.body),
  });

  r.get('/requests/:id/package', {
    schema: {
      operationId: 'getRequestPackage',
      tags,
      security,
      summary: 'The access copy to print, for a request without e-mail (ZIP or PDF)',
      description:
        "Only for a completed access or portability request with a delivery (post, handed_over), until the delivery is recorded. Each download is recorded in the access log (request.package) and the request's history.",
      params: z.strictObject({ id }),
      querystring: z.strictObject({
        format: z
          .enum(['zip', 'pdf'])
          .default('zip')
          .describe('zip: the whole package; pdf: the readable copy alone'),
      }),
      response: {
        200: z.any().describe('application/zip or application/pdf: the access copy'),
        ...errors,
      },
    },
    handler: async (req, reply) => {
      const out = await service.deliveryPackage(actorOf(req), req.params.id, req.query.format);
      return reply
        .code(200)
        .header('content-type', out.contentType)
        .header('content-disposition', `attachment; filename="${out.filename}"`)
        .header('cache-control', 'no-store')
        .send(out.body);
    },
  });

  r.post('/requests/:id/delivery', {
    schema: {
      operationId: 'recordRequestDelivery',
      tags,
      security,
      summary: 'Record that the printed access copy was posted or handed over',
      description:
        "Once. `on` is the day (Europe/Helsinki), today when not given; not in the future, not before the completion. `post` needs the request's postal address. The completion letter, enclosed with the copy, is marked sent the same way.",
      params: z.strictObject({ id }),
      body: z.strictObject({
        how: z.enum(DELIVERY_HOW).describe('post or handed_over'),
        on: isoDate.optional().describe('When (YYYY-MM-DD); today when not given'),
      }),
      response: { 200: view, ...errors },
    },
    handler: async (req) => service.recordDelivery(actorOf(req), req.params.id, req.body),
  });

  r.post('/requests/:id/contact', {
    schema: {
      operationId: 'correctRequestContact',
      tags,
      security,
      summary: "Correct a request's e-mail address or postal address",
      description:
        "The e-mail address while the request is open (from then on the person is mailed, and an access copy is downloaded through the portal's link); the postal address at any time before the request's data is shredded (waiting letters are readdressed). The history and the access log name the fields, never their values.",
      params: z.strictObject({ id }),
      body: z.strictObject({
        email: z.string().max(254).optional(),
        address: postalAddress.optional(),
      }),
      response: { 200: view, ...errors },
    },
    handler: async (req) => service.correctContact(actorOf(req), req.params.id, req.body),
  });
}
