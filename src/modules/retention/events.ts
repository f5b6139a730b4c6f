/** Access-log events of retention: ids and the purpose only, never personal data. */
import { z } from 'zod';
import { defineAuditEvent, type AuditEventMap } from '../audit/index.ts';

export const retentionEvents = [
  defineAuditEvent('retention.relationship_end', z.strictObject({}), {
    sv: () => 'Kundförhållandet avslutades; lagringstiden för kunduppgifterna börjar löpa',
    fi: () => 'Asiakassuhde päättyi; asiakastietojen säilytysaika alkaa kulua',
    en: () => 'The customer relationship ended; the retention period of customer data starts',
  }),
  defineAuditEvent('retention.relationship_resume', z.strictObject({}), {
    sv: () => 'Kundförhållandet återupptogs; lagringstiden räknad från dess slut upphör',
    fi: () => 'Asiakassuhde jatkui; sen päättymisestä laskettu säilytysaika lakkaa',
    en: () => 'The customer relationship resumed; retention counted from its end stops',
  }),
] as const;

declare module '../audit/define-event.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AuditEventTypes extends AuditEventMap<typeof retentionEvents> {}
}
