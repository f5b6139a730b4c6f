/**
 * Access-log events of erasure's legal holds and the suppression list. No personal data: ids,
 * hold ids from the definition, field names, counts.
 */
import { z } from 'zod';
import { auditData, defineAuditEvent, type AuditEventMap } from '../audit/index.ts';

const VIA = {
  api: { sv: 'i API:t', fi: 'rajapinnassa', en: 'in the API' },
  import: { sv: 'i en import', fi: 'tuonnissa', en: 'in an import' },
  update: { sv: 'vid en rättelse', fi: 'oikaisussa', en: 'in a rectification' },
} as const;

export const erasureEvents = [
  defineAuditEvent(
    'subject.hold',
    z.strictObject({ erasedFrom: auditData.id(), holds: auditData.codes() }),
    {
      sv: () =>
        'Uppgifter som lagen kräver bevarades vid raderingen, läsbara endast för sitt ändamål',
      fi: () =>
        'Lain vaatimat tiedot säilytettiin poistossa, luettavissa vain niiden käyttötarkoitukseen',
      en: () => 'Data the law requires were kept at the erasure, readable only for their purpose',
    },
  ),
  defineAuditEvent(
    'subject.expire',
    z.strictObject({ whole: z.boolean(), rules: auditData.codes() }),
    {
      sv: (d) =>
        d.whole
          ? 'Personens uppgifter raderades när lagringstiden gick ut'
          : 'Uppgiftskategorier raderades när lagringstiden gick ut',
      fi: (d) =>
        d.whole
          ? 'Henkilön tiedot poistettiin säilytysajan päätyttyä'
          : 'Tietoryhmiä poistettiin säilytysajan päätyttyä',
      en: (d) =>
        d.whole
          ? "The person's data were deleted when their retention period ended"
          : 'Categories of data were deleted when their retention period ended',
    },
  ),
  defineAuditEvent(
    'subject.suppression_override',
    z.strictObject({
      via: z.enum(['api', 'import', 'update']),
      fields: auditData.codes(),
      count: auditData.count(),
    }),
    {
      sv: (d) => `En raderad adress registrerades på nytt ${VIA[d.via].sv} (uttryckligt undantag)`,
      fi: (d) => `Poistettu osoite kirjattiin uudelleen ${VIA[d.via].fi} (nimenomainen ohitus)`,
      en: (d) => `An erased address was recorded again ${VIA[d.via].en} (explicit override)`,
    },
  ),
] as const;

declare module '../audit/define-event.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AuditEventTypes extends AuditEventMap<typeof erasureEvents> {}
}
