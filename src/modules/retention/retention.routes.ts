/**
 * HTTP routes of retention under /api/v1 (docs/retention.md): ending (and resuming) a customer relationship,
 * what the next sweep would delete, and one person's retention dates. Each checks its role in the
 * service before it reads or changes anything.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../http/auth/index.ts';
import { problemSchema } from '../../http/problem.ts';
import { requireAction } from '../../lib/actor.ts';
import { RETENTION_EVENTS } from '../definition/index.ts';
import type { RetentionService } from './retention.service.ts';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema };
const relationshipBody = z.strictObject({
  purpose: z
    .string()
    .min(1)
    .max(100)
    .describe('The purpose the relationship served: one whose legal basis is contract'),
});
const date = z.string().describe('A calendar date, YYYY-MM-DD (Europe/Helsinki)');

const retentionPlan = z
  .object({
    today: date,
    erase: z.number().int().describe('People the next sweep would erase whole'),
    partial: z.number().int().describe('People who would keep some categories and lose others'),
    rows: z
      .array(z.object({ rule: z.string(), category: z.string(), people: z.number().int() }))
      .describe('Per rule and category, how many people would lose the category'),
    held: z
      .array(z.object({ category: z.string(), people: z.number().int() }))
      .describe('Categories whose rules have ended but a legal hold keeps'),
    kept: z
      .array(z.object({ reason: z.enum(['restricted']), people: z.number().int() }))
      .describe(
        'People with something expired whom the sweep keeps whole, by reason: restricted (Art. 18) people are only stored until the restriction is lifted',
      ),
  })
  .meta({ id: 'RetentionPlan' });

const subjectRetention = z
  .object({
    id: z.uuid(),
    today: date,
    relationshipStartedAt: z
      .string()
      .nullable()
      .describe(
        "When a customer relationship began: the first write of the person's data under a relationship purpose (legal basis contract, or a retention rule from the end of the relationship), or its end. People stored before this was recorded count from the upgrade (their earliest collection). Null: none recorded (or a held record)",
      ),
    relationshipBegan: z
      .boolean()
      .describe(
        "Whether a customer relationship began (a start recorded, an end, or a value still collected for a relationship purpose). False: rules from the end of the relationship count from the category's collection. False for a held record",
      ),
    relationshipEndedAt: z
      .string()
      .nullable()
      .describe('When the customer relationship ended; null: not ended (or a held record)'),
    lastActivityAt: z
      .string()
      .describe("The person's last activity; for a held record, when the record was made"),
    heldRecord: z
      .object({
        purpose: z.string().describe('The one purpose the record is readable for'),
        until: date.describe('The last day the holds keep it; shredded the day after'),
        holds: z.array(z.string()).describe('The legal holds keeping it (their ids)'),
      })
      .nullable()
      .describe(
        'A held record (what a legal hold kept of an erased person): kept by its holds until their end, whatever the retention rules say; null for a person',
      ),
    categories: z.array(
      z.object({
        category: z.string(),
        until: date
          .nullable()
          .describe(
            "The last day kept; null while a rule has not started. A held record's: the holds' end",
          ),
        rules: z
          .array(z.string())
          .describe(
            "The rules deciding until; a held record's: the legal holds keeping the category",
          ),
        expired: z.boolean(),
        held: z
          .boolean()
          .describe('A legal hold keeps it past its rules (every category of a held record)'),
        purposes: z
          .array(
            z.object({
              purpose: z.string(),
              rule: z.string(),
              countedFrom: z
                .enum(RETENTION_EVENTS)
                .nullable()
                .describe(
                  "The event the rule's end counts from: its own, or collection where its event cannot happen for the person (a permission kind never given, no request ever made, no relationship ever begun). Null: the rule states no duration or event",
                ),
              until: date.nullable(),
            }),
          )
          .describe("Each purpose using the category and its rule's end; empty for a held record"),
      }),
    ),
  })
  .meta({ id: 'SubjectRetention' });

export function retentionRoutes(app: FastifyInstance, service: RetentionService) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['retention'];
  const security: Array<Record<string, string[]>> = [{ bearer: [] }, { session: [] }];

  r.post('/subjects/:id/relationship/end', {
    schema: {
      operationId: 'endRelationship',
      tags,
      security,
      summary: 'End the customer relationship with a person',
      description:
        'Retention rules counted from the end of the relationship start now. Needs the action write and writing under the purpose given, which must rest on the customer relationship (legal basis contract); another purpose is refused with 400 naming purpose. A person the purpose cannot see (stopped for it, a held record, erased, or without data collected for the purpose) answers 404 word for word as an unknown id. The purpose is recorded. Ending it again keeps the first time and purpose; after a resume, ending it again counts from the new end.',
      params: z.strictObject({ id: z.uuid().describe('Subject id') }),
      body: relationshipBody,
      response: {
        200: z.object({ endedAt: z.string() }).meta({ id: 'RelationshipEnded' }),
        ...errors,
      },
    },
    handler: async (req) => service.endRelationship(actorOf(req), req.params.id, req.body.purpose),
  });

  r.post('/subjects/:id/relationship/resume', {
    schema: {
      operationId: 'resumeRelationship',
      tags,
      security,
      summary: 'Record that an ended customer relationship has resumed',
      description:
        'Undoes an end: retention rules counted from the end of the relationship stop (the data are kept as for a current customer), and ending it again later counts from the new end. Needs what ending it needs (write, under a purpose resting on the customer relationship that the person has data under), and only the purpose that ended it (or the operator) resumes it: another is refused with 409 naming purpose. resumed is false, and nothing changes, when the relationship had not ended. Logged as retention.relationship_resume.',
      params: z.strictObject({ id: z.uuid().describe('Subject id') }),
      body: relationshipBody,
      response: {
        200: z
          .object({
            resumed: z.boolean().describe('Whether an end was undone'),
            endedAt: z
              .string()
              .nullable()
              .describe('The end undone (ISO 8601), or null when there was none'),
          })
          .meta({ id: 'RelationshipResumed' }),
        ...errors,
        409: problemSchema,
      },
    },
    handler: async (req) =>
      service.resumeRelationship(actorOf(req), req.params.id, req.body.purpose),
  });

  r.get('/retention/due', {
    schema: {
      operationId: 'retentionDue',
      tags,
      security,
      summary: 'What the next retention sweep would delete, and why',
      description: 'Counts only, never a person. Needs the action handle_requests.',
      response: { 200: retentionPlan, ...errors },
    },
    handler: async (req) => service.due(actorOf(req)),
  });

  r.get('/subjects/:id/retention', {
    schema: {
      operationId: 'subjectRetention',
      tags,
      security,
      summary: "A person's retention dates per category",
      description:
        "Needs the action handle_requests. For a held record (an erased person's categories a legal hold keeps), heldRecord names the hold's purpose, its holds and their end, and each category is kept by them until then, not by the retention rules.",
      params: z.strictObject({ id: z.uuid().describe('Subject id') }),
      response: { 200: subjectRetention, ...errors },
    },
    handler: async (req) => {
      requireAction(actorOf(req), 'handle_requests');
      return service.ofSubject(req.params.id);
    },
  });
}
