/** The notice module's access-log event: a version of the privacy notice published. */
import { z } from 'zod';
import { auditData, defineAuditEvent, type AuditEventMap } from '../audit/index.ts';

export const noticeEvents = [
  defineAuditEvent(
    'notice.publish',
    z.strictObject({
      version: auditData.count(),
      digest: auditData.hex(),
    }),
    {
      sv: (d) =>
        `Publicerade dataskyddsbeskrivningens version ${d.version} (definition ${d.digest})`,
      fi: (d) => `Julkaisi tietosuojaselosteen version ${d.version} (määrittely ${d.digest})`,
      en: (d) => `Published version ${d.version} of the privacy notice (definition ${d.digest})`,
    },
  ),
] as const;

declare module '../audit/define-event.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AuditEventTypes extends AuditEventMap<typeof noticeEvents> {}
}
