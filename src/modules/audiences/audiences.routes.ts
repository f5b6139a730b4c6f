/**
 * HTTP routes of audiences under /api/v1 (docs/audiences.md): the size of an audience, and its
 * export as CSV, streamed as it is read. Both need the staff action `export_audiences` and the
 * right to read under the purpose; the refusal comes before anything is read.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../http/auth/index.ts';
import { problemSchema } from '../../http/problem.ts';
import type { AudiencesService } from './audiences.service.ts';
import { audienceInput } from './model.ts';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema };

export function audiencesRoutes(app: FastifyInstance, service: AudiencesService) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['audiences'];
  const security: Array<Record<string, string[]>> = [{ bearer: [] }, { session: [] }];

  r.post('/audiences/count', {
    schema: {
      operationId: 'countAudience',
      tags,
      security,
      summary: 'How many people an audience holds now',
      description:
        'The people the marketing purpose may reach on the channel now (the permission ledger, stops, restriction and erasure applied) and reachable on it (an address of the kind the channel uses, not listed undeliverable; for post, a value in its fields), after the filters. Filters may not name the address of another channel (withheld person by person); a filtered count below 5 is answered as fewerThan 5. Every count is logged (audience.count). Needs the action export_audiences and reading under the purpose.',
      body: audienceInput,
      response: {
        200: z
          .object({
            count: z.number().int(),
            fewerThan: z
              .number()
              .int()
              .optional()
              .describe(
                'Present when filters leave fewer people than this (the minimum group): count is then 0, the exact number is not told',
              ),
            purpose: z.string(),
            channel: z.string(),
          })
          .meta({ id: 'AudienceCount' }),
        ...errors,
      },
    },
    handler: async (req) => service.count(actorOf(req), req.body),
  });

  r.post('/audiences/export', {
    schema: {
      operationId: 'exportAudience',
      tags,
      security,
      summary: 'The audience as CSV, streamed',
      description:
        "text/csv (UTF-8 with a byte order mark, CRLF): the person's id, the channel's value(s) the purpose may see, and the person's unsubscribe link, one person a row. Cells that would start a spreadsheet formula get a leading quote. The export is logged as one processing with the number of rows. 409 naming PUBLIC_URL when it is not an https:// address (a one-click unsubscribe link must be), before anything is read.",
      body: audienceInput,
      response: {
        200: z.any().describe('text/csv: the audience'),
        ...errors,
        409: problemSchema,
      },
    },
    handler: async (req, reply) => {
      const { lines, filename } = service.exportCsv(actorOf(req), req.body);
      return reply
        .code(200)
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${filename}"`)
        .header('cache-control', 'no-store')
        .send(Readable.from(lines));
    },
  });
}
