/**
 * The subjects module's access-log events: what was done to a person's data. The person's own
 * view of the log (their access copy) renders these sentences, so they never name the employee.
 */
import { z } from 'zod';
import { ERASURE_REASONS } from '../../keystore/keystore.ts';
import { auditData, defineAuditEvent, type AuditEventMap } from '../audit/index.ts';

const ERASURE = {
  request: { sv: 'på begäran', fi: 'pyynnöstä', en: 'on request' },
  retention: {
    sv: 'lagringstiden gick ut',
    fi: 'säilytysaika päättyi',
    en: 'the retention period ended',
  },
  consent_withdrawn: {
    sv: 'samtycket återkallades',
    fi: 'suostumus peruttiin',
    en: 'consent was withdrawn',
  },
  objection: { sv: 'invändning', fi: 'vastustus', en: 'objection' },
  unlawful: {
    sv: 'uppgifterna behandlades olagligt',
    fi: 'tietoja käsiteltiin lainvastaisesti',
    en: 'the data was processed unlawfully',
  },
  journal: {
    sv: 'tillämpad från raderingsjournalen',
    fi: 'sovellettu poistopäiväkirjasta',
    en: 'applied from the erasure journal',
  },
  other: { sv: 'annat skäl', fi: 'muu syy', en: 'other reason' },
} as const satisfies Record<(typeof ERASURE_REASONS)[number], Record<'sv' | 'fi' | 'en', string>>;

const SEARCH = {
  lookup: { sv: 'uppslag', fi: 'haku tunnisteella', en: 'lookup' },
  list: { sv: 'lista', fi: 'luettelo', en: 'list' },
  search: { sv: 'sökning', fi: 'haku', en: 'search' },
} as const;

const none = z.strictObject({});

export const subjectEvents = [
  defineAuditEvent('subject.create', none, {
    sv: () => 'Uppgifter registrerades',
    fi: () => 'Tiedot kirjattiin',
    en: () => 'Data recorded',
  }),
  defineAuditEvent('subject.read', none, {
    sv: () => 'Uppgifter lästes',
    fi: () => 'Tietoja luettiin',
    en: () => 'Data read',
  }),
  defineAuditEvent(
    'subject.search',
    z.strictObject({ mode: z.enum(['lookup', 'list', 'search']) }),
    {
      sv: (d) => `Visades i en ${SEARCH[d.mode].sv}`,
      fi: (d) => `Näytettiin tuloksissa (${SEARCH[d.mode].fi})`,
      en: (d) => `Shown in a ${SEARCH[d.mode].en}`,
    },
  ),
  defineAuditEvent('subject.update', z.strictObject({ withReason: z.boolean() }), {
    sv: (d) => `Uppgifter ändrades${d.withReason ? ' (med motivering)' : ''}`,
    fi: (d) => `Tietoja muutettiin${d.withReason ? ' (perustelun kanssa)' : ''}`,
    en: (d) => `Data changed${d.withReason ? ' (with a reason)' : ''}`,
  }),
  defineAuditEvent('subject.history', none, {
    sv: () => 'Ändringshistoriken lästes',
    fi: () => 'Muutoshistoriaa luettiin',
    en: () => 'Change history read',
  }),
  defineAuditEvent('subject.erase', z.strictObject({ reason: z.enum(ERASURE_REASONS) }), {
    sv: (d) => `Uppgifterna raderades: ${ERASURE[d.reason].sv}`,
    fi: (d) => `Tiedot poistettiin: ${ERASURE[d.reason].fi}`,
    en: (d) => `Data erased: ${ERASURE[d.reason].en}`,
  }),
  defineAuditEvent('subject.restrict', none, {
    sv: () => 'Behandlingen begränsades',
    fi: () => 'Käsittelyä rajoitettiin',
    en: () => 'Processing restricted',
  }),
  defineAuditEvent('subject.unrestrict', none, {
    sv: () => 'Begränsningen av behandlingen hävdes',
    fi: () => 'Käsittelyn rajoitus poistettiin',
    en: () => 'Restriction of processing lifted',
  }),
  defineAuditEvent('subject.export', none, {
    sv: () => 'En kopia av uppgifterna lämnades ut',
    fi: () => 'Tiedoista annettiin kopio',
    en: () => 'A copy of the data was produced',
  }),
  defineAuditEvent('subject.import', z.strictObject({ run: auditData.ref() }), {
    sv: (d) => `Uppgifter importerades (körning ${d.run})`,
    fi: (d) => `Tiedot tuotiin (ajo ${d.run})`,
    en: (d) => `Data imported (run ${d.run})`,
  }),
] as const;

declare module '../audit/define-event.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AuditEventTypes extends AuditEventMap<typeof subjectEvents> {}
}
