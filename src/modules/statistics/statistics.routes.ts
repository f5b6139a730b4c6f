/**
 * HTTP routes of the statistics under /api/v1 (docs/statistics.md): the counts as JSON for the
 * console and as CSV for export. Both need the action read_audit, checked in the service before
 * anything is counted; each view is logged.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../http/auth/index.ts';
import { problemSchema } from '../../http/problem.ts';
import { statisticsCsv, type StatisticsService } from './statistics.service.ts';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema };

const shown = z
  .union([z.number().int().min(0), z.literal('<5'), z.literal('hidden')])
  .describe(
    'A count; `<5` for 1 to 4 (never the number); `hidden` where it would let a suppressed count be worked out from a total',
  )
  .meta({ id: 'StatisticsCount' });

const group = z.object({ id: z.string(), people: shown });

const statistics = z
  .object({
    generatedAt: z.string(),
    minimumGroup: z.number().int().describe('Counts under this are never shown'),
    people: shown.describe(
      'Live people: not erased, not a record kept for a legal hold, not restricted (Art. 18)',
    ),
    categories: z.array(group).describe('People with a value in the category'),
    purposes: z.array(group).describe('People with a value collected for the purpose'),
    sources: z.array(group).describe('People with a value from the source'),
    permissions: z
      .array(
        z.object({
          kind: z.string(),
          channel: z.string().describe('A channel, or `*` for the kind as a whole'),
          granted: shown,
          refused: shown,
          withdrawn: shown,
          objected: shown,
          pending: shown,
          neverAsked: shown,
        }),
      )
      .describe(
        'The deciding state per kind and channel among the live people; they add up to people',
      ),
    requests: z.object({
      total: shown,
      byType: z
        .array(z.object({ id: z.string(), requests: shown }))
        .describe('Every request the register holds, per type; they add up to total'),
      byState: z
        .array(z.object({ id: z.string(), requests: shown }))
        .describe('The same requests per state; they add up to total'),
    }),
  })
  .meta({ id: 'Statistics' });

export function statisticsRoutes(app: FastifyInstance, service: StatisticsService) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['statistics'];
  const security: Array<Record<string, string[]>> = [{ bearer: [] }, { session: [] }];

  r.get('/statistics', {
    schema: {
      operationId: 'statistics',
      tags,
      security,
      summary: 'Anonymised statistics of the register',
      description:
        'How many live people (not erased, held or restricted) have each category, purpose and source, the permission states per kind and channel (never asked included), and the requests per type and state. Every count of 1 to 4 is `<5`; counts that would let one be worked out from a total, or from another row of the same permission kind, are `hidden`. Needs the action read_audit; the view is logged.',
      querystring: z.strictObject({}),
      response: { 200: statistics, ...errors },
    },
    handler: async (req) => service.view(actorOf(req), 'json'),
  });

  r.get('/statistics.csv', {
    schema: {
      operationId: 'statisticsCsv',
      tags,
      security,
      summary: 'Anonymised statistics as CSV',
      description:
        'text/csv (UTF-8 with a byte order mark, CRLF), columns `section,group,state,count`: the same counts as GET /statistics, suppressed the same way. Needs the action read_audit; the export is logged.',
      querystring: z.strictObject({}),
      response: { 200: z.any().describe('text/csv: the statistics'), ...errors },
    },
    handler: async (req, reply) => {
      const stats = await service.view(actorOf(req), 'csv');
      return reply
        .code(200)
        .header('content-type', 'text/csv; charset=utf-8')
        .header(
          'content-disposition',
          `attachment; filename="statistics-${stats.generatedAt.slice(0, 10)}.csv"`,
        )
        .header('cache-control', 'no-store')
        .send('\uFEFF' + statisticsCsv(stats));
    },
  });
}
