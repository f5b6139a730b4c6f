/**
 * The outbox for staff who handle requests: mail waiting for delivery, opened. Each read is
 * recorded in the access log (by the mail service). Mounted behind authentication.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../http/auth/index.ts';
import { problemSchema } from '../http/problem.ts';
import type { MailService } from './mail.service.ts';

const outboxEntry = z.object({
  id: z.uuid(),
  to: z.string().describe('The recipient, opened from the sealed row'),
  template: z.string(),
  locale: z.enum(['sv', 'fi', 'en']),
  subject: z.string().describe('The subject line, in the mail’s language'),
  subjectId: z
    .uuid()
    .nullable()
    .describe('The person the mail is to; null for an address tied to no one'),
  createdAt: z.string(),
  expiresAt: z.string().describe('When the mail leaves the outbox, delivered or not'),
  state: z.enum(['queued', 'waiting']),
});

export function outboxRoutes(app: FastifyInstance, deps: { mail: MailService }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/outbox', {
    schema: {
      operationId: 'listOutbox',
      tags: ['mail'],
      security: [{ session: [] }, { bearer: [] }],
      summary:
        'Mail waiting for delivery, oldest first (action handle_requests); each read is access-logged',
      querystring: z
        .object({ limit: z.coerce.number().int().min(1).max(1000).default(100) })
        .strict(),
      response: {
        200: z.object({ items: z.array(outboxEntry) }),
        400: problemSchema,
        401: problemSchema,
        403: problemSchema,
      },
    },
    handler: async (req) => {
      const items = await deps.mail.listOutbox(actorOf(req), { limit: req.query.limit });
      return {
        items: items.map((e) => ({
          id: e.id,
          to: e.to,
          template: e.template,
          locale: e.locale as 'sv' | 'fi' | 'en',
          subject: e.subject,
          subjectId: e.subjectId,
          createdAt: e.createdAt.toISOString(),
          expiresAt: e.expiresAt.toISOString(),
          state: e.state,
        })),
      };
    },
  });
}
