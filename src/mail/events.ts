/** The mail module's access-log events. */
import { z } from 'zod';
import { auditData, defineAuditEvent, type AuditEventMap } from '../modules/audit/index.ts';

export const mailEvents = [
  // One entry per read with the number of mails shown, and one more per person whose mail was
  // shown (carrying only the person's id, as every entry about a person does).
  defineAuditEvent('mail.outbox_read', z.strictObject({ shown: auditData.count() }), {
    sv: (d) => `Läste utkorgen (${d.shown} meddelanden visade)`,
    fi: (d) => `Luki lähtevien viestien jonon (${d.shown} viestiä näytetty)`,
    en: (d) => `Read the outbox (${d.shown} mails shown)`,
  }),
  defineAuditEvent('mail.outbox_read_person', z.strictObject({}), {
    sv: () => 'Läste ett meddelande till personen i utkorgen',
    fi: () => 'Luki henkilölle lähtevän viestin jonosta',
    en: () => 'Read a mail to the person in the outbox',
  }),
] as const;

declare module '../modules/audit/define-event.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AuditEventTypes extends AuditEventMap<typeof mailEvents> {}
}
