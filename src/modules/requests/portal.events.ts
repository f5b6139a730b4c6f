/**
 * The portal's access-log events for requests: a download link mailed, and the access copy
 * downloaded through one. Data: the request's id and its type only.
 */
import { z } from 'zod';
import { auditData, defineAuditEvent, type AuditEventMap } from '../audit/index.ts';

const request = auditData.id();
const kind = z.enum(['access', 'portability']);

export const portalEvents = [
  defineAuditEvent('request.download_link', z.strictObject({ request }), {
    sv: () => 'En nedladdningslänk till kopian av uppgifterna skickades',
    fi: () => 'Jäljennöksen latauslinkki lähetettiin',
    en: () => 'A download link to the copy of the data was sent',
  }),
  defineAuditEvent('request.download', z.strictObject({ request, kind }), {
    sv: (d) =>
      d.kind === 'portability'
        ? 'Uppgifterna för dataportabilitet laddades ner'
        : 'Kopian av uppgifterna laddades ner',
    fi: (d) =>
      d.kind === 'portability' ? 'Siirrettävät tiedot ladattiin' : 'Jäljennös tiedoista ladattiin',
    en: (d) =>
      d.kind === 'portability'
        ? 'The data for portability was downloaded'
        : 'The copy of the data was downloaded',
  }),
] as const;

declare module '../audit/define-event.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AuditEventTypes extends AuditEventMap<typeof portalEvents> {}
}
