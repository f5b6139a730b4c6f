/**
 * The audiences module's access-log events. An export is one processing: the purpose, the channel,
 * which fields were filtered and how (never the values filtered by), and how many people it held.
 */
import { z } from 'zod';
import { auditData, defineAuditEvent, type AuditEventMap } from '../audit/index.ts';
import { FILTER_OPS } from './model.ts';

export const audienceEvents = [
  defineAuditEvent(
    'audience.export',
    z.strictObject({
      channel: auditData.code(),
      filters: z.array(z.strictObject({ field: auditData.code(), op: z.enum(FILTER_OPS) })).max(20),
      createdAfter: z.boolean(),
      rows: auditData.count(),
      complete: z.boolean(),
    }),
    {
      sv: (d) =>
        `En målgrupp exporterades för kanalen ${d.channel}: ${d.rows} personer${d.complete ? '' : ' (avbruten)'}`,
      fi: (d) =>
        `Kohderyhmä vietiin kanavalle ${d.channel}: ${d.rows} henkilöä${d.complete ? '' : ' (keskeytyi)'}`,
      en: (d) =>
        `An audience was exported for channel ${d.channel}: ${d.rows} people${d.complete ? '' : ' (interrupted)'}`,
    },
  ),
  defineAuditEvent(
    'audience.count',
    z.strictObject({
      channel: auditData.code(),
      filters: z.array(z.strictObject({ field: auditData.code(), op: z.enum(FILTER_OPS) })).max(20),
      createdAfter: z.boolean(),
      count: auditData.count(),
    }),
    {
      sv: (d) => `En målgrupp räknades för kanalen ${d.channel}: ${d.count} personer`,
      fi: (d) => `Kohderyhmä laskettiin kanavalle ${d.channel}: ${d.count} henkilöä`,
      en: (d) => `An audience was counted for channel ${d.channel}: ${d.count} people`,
    },
  ),
] as const;

declare module '../audit/define-event.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AuditEventTypes extends AuditEventMap<typeof audienceEvents> {}
}
