/** The API-key module's access-log events. */
import { z } from 'zod';
import { auditData, defineAuditEvent, type AuditEventMap } from '../audit/index.ts';

export const apiKeyEvents = [
  defineAuditEvent(
    'apikey.create',
    z.strictObject({
      keyId: auditData.id(),
      purposes: auditData.codes(),
      actions: auditData.codes(),
    }),
    {
      sv: (d) =>
        `Skapade API-nyckeln ${d.keyId} för ändamålen ${d.purposes.join(', ')}; åtgärder ${d.actions.join(', ')}`,
      fi: (d) =>
        `Loi API-avaimen ${d.keyId} käyttötarkoituksiin ${d.purposes.join(', ')}; toiminnot ${d.actions.join(', ')}`,
      en: (d) =>
        `Created API key ${d.keyId} for purposes ${d.purposes.join(', ')}; actions ${d.actions.join(', ')}`,
    },
  ),
  defineAuditEvent('apikey.revoke', z.strictObject({ keyId: auditData.id() }), {
    sv: (d) => `Återkallade API-nyckeln ${d.keyId}`,
    fi: (d) => `Peruutti API-avaimen ${d.keyId}`,
    en: (d) => `Revoked API key ${d.keyId}`,
  }),
] as const;

declare module '../audit/define-event.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AuditEventTypes extends AuditEventMap<typeof apiKeyEvents> {}
}
