/**
 * The access log for the console and for auditors: pages of entries and the chain's verification.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../http/auth/index.ts';
import { problemSchema } from '../../http/problem.ts';
import { requireAction } from '../../lib/actor.ts';
import type { StaffService } from '../staff/index.ts';
import type { AuditService } from './audit.service.ts';
import { AUDIT_LANGS } from './define-event.ts';

const entry = z.object({
  id: z.string(),
  at: z.string(),
  actorKind: z.string(),
  actorId: z.string(),
  actorName: z.string().nullable(),
  role: z.string().nullable(),
  purpose: z.string().nullable(),
  subjectId: z.string().nullable(),
  action: z.string(),
  /** The event's structured data (ids, identifiers, reason codes); null on entries from before. */
  data: z.record(z.string(), z.unknown()).nullable(),
  /** The event as a sentence in the language asked for. */
  text: z.string(),
  categories: z.array(z.string()),
  fields: z.array(z.string()),
  outcome: z.string(),
  requestId: z.string().nullable(),
  sealed: z.boolean(),
});

export function auditRoutes(
  app: FastifyInstance,
  deps: { audit: AuditService; staff: StaffService },
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['audit'];
  const security: Array<Record<string, string[]>> = [{ session: [] }, { bearer: [] }];
  const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema };

  r.get('/audit', {
    schema: {
      operationId: 'listAccessLog',
      tags,
      security,
      summary: 'Access log entries, newest first (action read_audit)',
      querystring: z
        .object({
          before: z
            .string()
            .regex(/^\d{1,18}$/)
            .optional(),
          subjectId: z.uuid().optional(),
          limit: z.coerce.number().int().min(1).max(200).default(50),
          lang: z.enum(AUDIT_LANGS).default('en'),
        })
        .strict(),
      response: {
        200: z.object({ items: z.array(entry), nextBefore: z.string().nullable() }),
        ...errors,
      },
    },
    handler: async (req) => {
      const actor = actorOf(req);
      requireAction(actor, 'read_audit');
      const rows = await deps.audit.list({
        limit: req.query.limit,
        ...(req.query.before ? { beforeId: req.query.before } : {}),
        ...(req.query.subjectId ? { subjectId: req.query.subjectId } : {}),
      });
      await deps.audit.log({
        actor,
        action: 'audit.read',
        ...(req.query.subjectId ? { subjectId: req.query.subjectId } : {}),
      });
      const names = await deps.staff.namesOf([
        ...new Set(
          rows
            .filter((x) => x.actor_kind === 'staff' && x.actor_id !== 'unknown')
            .map((x) => x.actor_id),
        ),
      ]);
      return {
        items: rows.map((x) => ({
          id: x.id,
          at: new Date(x.at).toISOString(),
          actorKind: x.actor_kind,
          actorId: x.actor_id,
          actorName: names.get(x.actor_id) ?? null,
          role: x.role,
          purpose: x.purpose,
          subjectId: x.subject_id,
          action: x.action,
          data: x.data,
          text: deps.audit.render(x, req.query.lang),
          categories: x.categories,
          fields: x.fields,
          outcome: x.outcome,
          requestId: x.request_id,
          sealed: x.sealed,
        })),
        nextBefore: rows.length === req.query.limit ? (rows[rows.length - 1]?.id ?? null) : null,
      };
    },
  });

  r.get('/audit/verify', {
    schema: {
      operationId: 'verifyAccessLog',
      tags,
      security,
      summary:
        'Recompute the hash chain, check every MAC and the latest anchor; names the first entry that does not match',
      response: {
        200: z.object({
          ok: z.boolean(),
          checked: z.number(),
          unsealed: z.number(),
          unauthenticated: z.number(),
          broken: z
            .object({
              seq: z.string().nullable(),
              eventId: z.string().nullable(),
              kind: z.enum(['missing', 'deleted', 'changed', 'forged', 'truncated', 'anchor']),
              reason: z.string(),
            })
            .optional(),
          forged: z.array(z.string()),
          head: z.object({ seq: z.string(), hash: z.string() }).optional(),
          anchor: z.object({ seq: z.string(), hash: z.string(), time: z.string() }).optional(),
          alarms: z.array(
            z.object({
              kind: z.enum(['forged', 'truncated', 'missing', 'replaced']),
              at: z.string(),
              seq: z.string().nullable(),
              eventId: z.string().nullable(),
              message: z.string(),
            }),
          ),
        }),
        ...errors,
      },
    },
    handler: async (req) => {
      const actor = actorOf(req);
      requireAction(actor, 'read_audit');
      const result = await deps.audit.verify();
      await deps.audit.log({ actor, action: 'audit.verify', outcome: result.ok ? 'ok' : 'failed' });
      return result;
    },
  });
}
