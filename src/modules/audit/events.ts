/** The access log's own events: reading it and verifying its chain. */
import { z } from 'zod';
import { defineAuditEvent, type AuditEventMap } from './define-event.ts';

export const auditEvents = [
  defineAuditEvent('audit.read', z.strictObject({}), {
    sv: () => 'Läste åtkomstloggen',
    fi: () => 'Luki käyttölokia',
    en: () => 'Read the access log',
  }),
  defineAuditEvent('audit.verify', z.strictObject({}), {
    sv: () => 'Kontrollerade åtkomstloggens kedja',
    fi: () => 'Tarkisti käyttölokin ketjun',
    en: () => 'Verified the access log chain',
  }),
] as const;

declare module './define-event.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AuditEventTypes extends AuditEventMap<typeof auditEvents> {}
}
