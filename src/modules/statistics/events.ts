/** Access-log events of the statistics: which form was viewed, never a count or a person. */
import { z } from 'zod';
import { defineAuditEvent, type AuditEventMap } from '../audit/index.ts';

export const statisticsEvents = [
  defineAuditEvent('statistics.view', z.strictObject({ format: z.enum(['json', 'csv']) }), {
    sv: (d) => `Den anonymiserade statistiken lästes (${d.format})`,
    fi: (d) => `Anonymisoidut tilastot luettiin (${d.format})`,
    en: (d) => `The anonymised statistics were read (${d.format})`,
  }),
] as const;

declare module '../audit/define-event.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AuditEventTypes extends AuditEventMap<typeof statisticsEvents> {}
}
