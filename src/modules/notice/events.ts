/** The notice module's access-log event: a version of the privacy notice published. */
import { z } from 'zod';
import { auditData, defineAuditEvent, type AuditEventMap } from '../audit/index.ts';

export const noticeEvents = [
  defineAuditEvent(
    'notice.publish',
    z.strictObject({
      version: z.number().int().positive(),
      date: z.iso.date(),
      digest: auditData.hex(),
    }),
    {
      sv: (d) => `Publicerade dataskyddsbeskrivningens version ${d.version}, daterad ${d.date}`,
      fi: (d) => `Julkaisi tietosuojaselosteen version ${d.version}, päivätty ${d.date}`,
      en: (d) => `Published version ${d.version} of the privacy notice, dated ${d.date}`,
    },
  ),
] as const;

declare module '../audit/define-event.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AuditEventTypes extends AuditEventMap<typeof noticeEvents> {}
}
