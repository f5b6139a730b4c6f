/**
 * HTTP routes for subjects under /api/v1. Thin: check input with zod, call the service, answer
 * through the response schema.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../http/auth/index.ts';
import { problemSchema } from '../../http/problem.ts';
import {
  LEGAL_BASES,
  RECIPIENT_ROLES,
  RETENTION_EVENTS,
  RIGHTS,
  REQUEST_CHANNELS,
  REQUEST_TYPES,
  SOURCE_KINDS,
  TRANSFER_MECHANISMS,
} from '../definition/index.ts';
import { ERASURE_REASONS, type ErasureReason } from '../../keystore/keystore.ts';
import type { SubjectsService } from './subjects.service.ts';

const id = z.uuid().describe('Subject id');
const purposeId = z
  .string()
  .min(1)
  .max(100)
  .describe('The purpose the data is processed for, from the register definition');

const valuesInput = z
  .record(z.string().max(100), z.record(z.string().max(100), z.unknown()))
  .describe('category id → field id → value, as declared in the register definition');

const storedField = z
  .object({
    value: z.unknown(),
    source: z.string(),
    purpose: z.string(),
    collectedAt: z.string(),
  })
  .meta({ id: 'StoredField' });

const subjectView = z
  .object({
    id: z.uuid(),
    purpose: z.string(),
    restricted: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
    categories: z
      .record(z.string(), z.record(z.string(), storedField))
      .describe('Only the categories the purpose may use'),
  })
  .meta({ id: 'Subject' });

const historyEntry = z.object({
  category: z.string(),
  field: z.string(),
  old: z.unknown(),
  new: z.unknown(),
  reason: z.string().nullable(),
  purpose: z.string(),
  source: z.string(),
  actor: z.string(),
  changedAt: z.string(),
});

const localizedText = z
  .object({ sv: z.string(), fi: z.string(), en: z.string() })
  .meta({ id: 'LocalizedText' });

const sourceSchema = z
  .object({
    id: z.string(),
    kind: z
      .enum(SOURCE_KINDS)
      .nullable()
      .describe('What kind of source; null for one the definition no longer declares'),
    label: localizedText.nullable(),
  })
  .describe('Where values came from (Art. 15(1)(g))');

const recipientSchema = z.object({
  id: z.string(),
  name: localizedText.describe('Its name in each language (a proper name is the same in all)'),
  role: z.enum(RECIPIENT_ROLES),
  country: z.string().describe('ISO 3166-1 alpha-2'),
  description: localizedText,
  transfers: z
    .array(
      z.object({
        countries: z.array(z.string()).describe('The countries outside the EU/EEA'),
        mechanism: z
          .enum(TRANSFER_MECHANISMS)
          .nullable()
          .describe('The safeguard of the transfer (Art. 44–49)'),
        sccModule: z.number().int().optional(),
        derogation: z.string().optional(),
        description: localizedText.optional(),
      }),
    )
    .describe('Transfers of the data to this recipient outside the EU/EEA (Art. 15(2))'),
});

/**
 * The access copy (Art. 15) and portable copy (Art. 20): every field described, since it is the
 * most personal answer the API gives. Built by present-access-copy.ts.
 */
const accessCopy = z
  .object({
    exportedAt: z.string().describe('When the copy was made (ISO 8601)'),
    controller: z
      .object({
        name: z.string(),
        businessId: z.string(),
        email: z.string(),
        phone: z.string().optional(),
        address: z.object({
          street: z.string(),
          postalCode: z.string(),
          city: z.string(),
          country: z.string(),
        }),
        website: z.string().optional(),
        dpo: z
          .object({ name: z.string(), email: z.string().optional(), phone: z.string().optional() })
          .optional(),
      })
      .describe('Who keeps the register, and how to reach them and their data protection officer'),
    subject: z.object({
      id: z.uuid(),
      createdAt: z.string(),
      updatedAt: z.string(),
      restricted: z.boolean(),
      restrictionReason: z
        .string()
        .nullable()
        .describe('Why processing is restricted, as recorded; null when it is not'),
    }),
    categories: z
      .record(
        z.string(),
        z.object({
          label: localizedText.optional(),
          purposes: z
            .array(
              z.object({
                id: z.string(),
                label: localizedText,
                description: localizedText,
                legalBasis: z
                  .enum([...LEGAL_BASES, 'unknown'])
                  .describe('unknown: the register does not state the basis (a notice gap)'),
                legitimateInterest: localizedText
                  .optional()
                  .describe('The legitimate interest pursued, for legitimate_interest'),
                law: z.string().optional().describe('The law that imposes a legal_obligation'),
                retention: z
                  .object({
                    id: z.string(),
                    duration: z
                      .string()
                      .describe('ISO 8601 duration, such as P2Y; unknown where not stated'),
                    from: z
                      .string()
                      .describe('The event the duration runs from; unknown where not stated'),
                    label: localizedText,
                  })
                  .describe('How long the purpose keeps the data: its retention rule'),
              }),
            )
            .describe('The purposes the category is processed for, with their legal basis'),
          fields: z.record(
            z.string(),
            storedField.extend({
              label: localizedText.optional().describe('The field as the definition names it'),
            }),
          ),
          sources: z
            .array(sourceSchema)
            .describe('The sources of the values held; each field names its own by id'),
          recipients: z
            .array(recipientSchema)
            .describe('The recipients of the definition that receive this category'),
          legalHolds: z
            .array(
              z.object({
                id: z.string(),
                law: z.string(),
                purpose: z.string(),
                duration: z.string(),
                from: z.enum(RETENTION_EVENTS),
                label: localizedText,
              }),
            )
            .describe('Laws that make the controller keep this category even after an erasure'),
        }),
      )
      .describe('Every category held about the person: category id → its purposes and values'),
    history: z
      .array(
        z.object({
          category: z.string(),
          field: z.string(),
          old: z.unknown(),
          new: z.unknown(),
          reason: z.string().nullable(),
          purpose: z.string(),
          source: z.string(),
          changedAt: z.string(),
        }),
      )
      .describe('Every change to the values, oldest first'),
    permissions: z
      .object({
        state: z.array(
          z.object({
            kind: z.string(),
            channel: z.string().describe('A channel, or * for every channel of the kind'),
            state: z.string(),
            changedAt: z.string(),
          }),
        ),
        history: z.array(
          z.object({
            kind: z.string(),
            channel: z.string(),
            state: z.string(),
            previousState: z.string().nullable(),
            givenAt: z.string(),
            recordedAt: z.string(),
            method: z.string(),
            noticeVersion: z.string().nullable(),
            wording: z.object({ text: z.string(), language: z.string() }).nullable(),
            reference: z.string().nullable(),
            by: z.string().describe('Who recorded it, by kind: staff, api_key, subject, system'),
          }),
        ),
      })
      .describe(
        'Marketing permissions per kind and channel, and every change with its evidence (the permission ledger)',
      ),
    rights: z
      .array(
        z.object({
          right: z.enum(RIGHTS),
          qualification: localizedText.optional(),
        }),
      )
      .describe('The rights the person has in this register, with any qualification'),
    supervisoryAuthority: z
      .object({
        name: localizedText,
        website: z.string(),
        email: z.string().optional(),
        phone: z.string().optional(),
      })
      .describe('Where the person may complain'),
    accessLog: z
      .array(
        z.object({
          at: z.string(),
          action: z.string(),
          text: z.string().describe('The entry as a sentence, in the language asked for'),
          purpose: z.string().nullable(),
          role: z.string().describe('The role of who did it, or `integration` for an API key'),
          categories: z.array(z.string()),
        }),
      )
      .describe('Who has processed the data, when and why (names of staff are not shown)'),
    stops: z
      .object({
        stopped: z.array(
          z.object({
            purpose: z.string(),
            label: localizedText.optional(),
            reason: z.enum(['objection', 'consent_withdrawal', 'marketing_prohibition']),
            since: z.string(),
          }),
        ),
        compellingGrounds: z
          .array(
            z.object({
              purpose: z.string(),
              label: localizedText.optional(),
              grounds: z.string().describe('The grounds as the person was told them'),
              since: z.string(),
            }),
          )
          .describe('Purposes that go on despite an objection (who recorded them is not shown)'),
      })
      .describe("The person's objections, consent withdrawals and direct-marketing prohibitions"),
    requests: z
      .array(
        z.object({
          id: z.uuid(),
          type: z.enum(REQUEST_TYPES),
          channel: z.enum(REQUEST_CHANNELS),
          receivedAt: z.string(),
          identityProvenAt: z.string().nullable(),
          dueOn: z.string().nullable().describe('YYYY-MM-DD; null until the identity is proven'),
          originalDueOn: z.string().nullable(),
          extended: z.boolean(),
          state: z.string(),
          closedAt: z.string().nullable(),
          contact: z.object({
            email: z.string().nullable(),
            phone: z.string().nullable(),
            name: z.string().nullable(),
            address: z
              .object({
                street: z.string(),
                postalCode: z.string(),
                city: z.string(),
                country: z.string().optional(),
              })
              .nullable()
              .describe('The postal address the request gave, to answer by letter'),
          }),
          details: z
            .string()
            .nullable()
            .describe('What the person wrote, for a request made in the portal'),
          reasons: z
            .object({ refuse: z.string().optional(), extend: z.string().optional() })
            .describe('The reasons the person was told, for a refusal and an extension'),
          history: z.array(
            z.object({ step: z.string(), at: z.string(), dueOn: z.string().optional() }),
          ),
        }),
      )
      .describe(
        "The person's own data-subject requests and their steps (no staff identities or handling notes)",
      ),
  })
  .meta({ id: 'AccessCopy' });

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema };

export function subjectsRoutes(app: FastifyInstance, service: SubjectsService): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['subjects'];
  const security: Array<Record<string, string[]>> = [{ bearer: [] }, { session: [] }];

  r.post('/subjects', {
    // People's values are checked field by field against the definition (multi-line fields).
    config: { multiline: ['values'] },
    schema: {
      operationId: 'createSubject',
      tags,
      security,
      summary: 'Create a subject, collecting values for one purpose',
      body: z
        .object({
          purpose: purposeId,
          source: z
            .string()
            .min(1)
            .max(100)
            .describe('Where the values came from: a source id of the definition'),
          collectedAt: z.iso.datetime({ offset: true }).optional(),
          values: valuesInput,
          allowSuppressed: z
            .boolean()
            .optional()
            .describe(
              'Record an e-mail address or phone number on the suppression list (it belonged to an erased person) all the same: needs the handle_requests action; logged. Without it such an address is refused with 409 naming the field.',
            ),
        })
        .strict(),
      response: { 201: subjectView, ...errors, 409: problemSchema },
    },
    handler: async (req, reply) =>
      reply.code(201).send(await service.createSubject(actorOf(req), req.body)),
  });

  r.get('/subjects', {
    schema: {
      operationId: 'findSubjects',
      tags,
      security,
      summary: 'Find subjects by e-mail, phone or name words, or list them, for one purpose',
      querystring: z
        .object({
          purpose: purposeId,
          email: z.string().max(254).optional(),
          phone: z.string().max(32).optional(),
          q: z
            .string()
            .min(1)
            .max(200)
            .optional()
            .describe(
              'Words of a name or organisation; each word may be a prefix of 3+ characters',
            ),
          cursor: z.string().max(200).optional(),
          limit: z.coerce.number().int().min(1).max(100).default(20),
        })
        .strict(),
      response: {
        200: z.object({ items: z.array(subjectView), nextCursor: z.string().nullable() }),
        ...errors,
      },
    },
    handler: async (req) => service.findSubjects(actorOf(req), req.query),
  });

  r.get('/subjects/:id', {
    schema: {
      operationId: 'readSubject',
      tags,
      security,
      summary: 'Read a subject for one purpose',
      params: z.object({ id }),
      querystring: z.object({ purpose: purposeId }).strict(),
      response: { 200: subjectView, ...errors },
    },
    handler: async (req) => service.getSubject(actorOf(req), req.params.id, req.query.purpose),
  });

  r.patch('/subjects/:id', {
    config: { multiline: ['values', 'reason'] },
    schema: {
      operationId: 'rectifySubject',
      tags,
      security,
      summary:
        'Rectify or complete values (null removes a field); the old values go to the history',
      description:
        'A category a legal hold keeps in place for another purpose only (docs/retention.md) is not written: a write naming it is refused as a whole with 409, each of its fields named, none of its values shown.',
      params: z.object({ id }),
      body: z
        .object({
          purpose: purposeId,
          source: z.string().min(1).max(100),
          reason: z.string().max(1000).optional(),
          values: valuesInput,
          allowSuppressed: z
            .boolean()
            .optional()
            .describe(
              'Record an e-mail address or phone number on the suppression list (it belonged to an erased person) all the same: needs the handle_requests action; logged. Without it such an address is refused with 409 naming the field.',
            ),
        })
        .strict(),
      response: { 200: subjectView, ...errors, 409: problemSchema },
    },
    handler: async (req) => service.updateSubject(actorOf(req), req.params.id, req.body),
  });

  r.delete('/subjects/:id', {
    schema: {
      operationId: 'eraseSubject',
      tags,
      security,
      summary:
        'Erase a subject: values deleted and their key destroyed, except what legal holds keep',
      description:
        "The erasure is journalled with its reason code (no personal data) in the data database and in the key store, so that restoring a backup of either made before it does not bring the person back. Categories a legal hold of the definition keeps are re-sealed into a held record (a new id and key) readable only for the hold's purpose until the hold ends; the answer lists them per hold, with the law and the last day kept (empty when everything was shredded). The person's e-mail addresses and phone numbers go on the suppression list (as blind indexes).",
      params: z.object({ id }),
      querystring: z
        .object({
          reason: z
            .enum(
              ERASURE_REASONS.filter((r) => r !== 'journal') as [ErasureReason, ...ErasureReason[]],
            )
            .default('request')
            .describe('Why the person is erased; `request` (Art. 17) when not given'),
        })
        .strict(),
      response: {
        200: z.object({
          held: z.array(
            z.object({
              hold: z.string().describe('The legal hold of the definition'),
              law: z.string(),
              purpose: z.string().describe('The one purpose the held data stay readable for'),
              categories: z.array(z.string()),
              until: z.iso.date().describe('The last day kept (Europe/Helsinki)'),
            }),
          ),
        }),
        ...errors,
      },
    },
    handler: async (req) => service.eraseSubject(actorOf(req), req.params.id, req.query.reason),
  });

  r.get('/subjects/:id/history', {
    schema: {
      operationId: 'getSubjectHistory',
      tags,
      security,
      summary: "Changes to the subject's values in the purpose's categories",
      params: z.object({ id }),
      querystring: z.object({ purpose: purposeId }).strict(),
      response: { 200: z.object({ items: z.array(historyEntry) }), ...errors },
    },
    handler: async (req) => ({
      items: await service.getHistory(actorOf(req), req.params.id, req.query.purpose),
    }),
  });

  r.put('/subjects/:id/restriction', {
    config: { multiline: ['reason'] },
    schema: {
      operationId: 'restrictSubject',
      tags,
      security,
      summary:
        'Restrict processing (Art. 18): only purposes allowed during restriction see the subject',
      params: z.object({ id }),
      body: z.object({ reason: z.string().min(1).max(1000) }).strict(),
      response: { 204: z.null(), ...errors },
    },
    handler: async (req, reply) => {
      await service.setRestriction(actorOf(req), req.params.id, req.body.reason);
      return reply.code(204).send(null);
    },
  });

  r.delete('/subjects/:id/restriction', {
    schema: {
      operationId: 'liftRestriction',
      tags,
      security,
      summary: 'Lift a restriction',
      params: z.object({ id }),
      response: { 204: z.null(), ...errors },
    },
    handler: async (req, reply) => {
      await service.setRestriction(actorOf(req), req.params.id, null);
      return reply.code(204).send(null);
    },
  });

  r.get('/subjects/:id/export', {
    schema: {
      operationId: 'exportSubject',
      tags,
      security,
      summary: 'Everything held about the subject, as JSON (access copy, portability)',
      params: z.object({ id }),
      querystring: z.strictObject({
        lang: z
          .enum(['sv', 'fi', 'en'])
          .default('en')
          .describe('The language the access log entries are written out in'),
      }),
      response: { 200: accessCopy, ...errors },
    },
    handler: async (req) => service.exportSubject(actorOf(req), req.params.id, req.query.lang),
  });
}
