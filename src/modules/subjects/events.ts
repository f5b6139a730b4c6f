/**
 * The subjects module's access-log events: what was done to a person's data. The person's own
 * view of the log (their access copy) renders these sentences, so they never name the employee.
 */
import { z } from 'zod';
import { ERASURE_REASONS } from '../../keystore/keystore.ts';
import { auditData, defineAuditEvent, type AuditEventMap } from '../audit/index.ts';
import { STOP_REASONS } from './subjects.repo.ts';

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

const STOP = {
  objection: { sv: 'invändning', fi: 'vastustus', en: 'objection' },
  consent_withdrawal: {
    sv: 'samtycket återkallades',
    fi: 'suostumus peruttiin',
    en: 'consent withdrawn',
  },
  marketing_prohibition: {
    sv: 'direktmarknadsföring förbjöds',
    fi: 'suoramarkkinointi kiellettiin',
    en: 'direct marketing prohibited',
  },
} as const satisfies Record<(typeof STOP_REASONS)[number], Record<'sv' | 'fi' | 'en', string>>;

const list = (codes: readonly string[], none: string) => (codes.length ? codes.join(', ') : none);

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
  defineAuditEvent(
    'subject.stop',
    z.strictObject({
      reason: z.enum(STOP_REASONS),
      stopped: auditData.codes(),
      continued: auditData.codes(),
    }),
    {
      sv: (d) =>
        `Behandlingen stoppades (${STOP[d.reason].sv}) för: ${list(d.stopped, 'inga ändamål')}${d.continued.length ? `; fortsätter på tvingande berättigade skäl: ${d.continued.join(', ')}` : ''}`,
      fi: (d) =>
        `Käsittely lopetettiin (${STOP[d.reason].fi}) tarkoituksissa: ${list(d.stopped, 'ei yhtään')}${d.continued.length ? `; jatkuu huomattavan tärkeillä perusteilla: ${d.continued.join(', ')}` : ''}`,
      en: (d) =>
        `Processing stopped (${STOP[d.reason].en}) for: ${list(d.stopped, 'no purpose')}${d.continued.length ? `; continues on compelling legitimate grounds: ${d.continued.join(', ')}` : ''}`,
    },
  ),
  defineAuditEvent(
    'subject.resume',
    z.strictObject({ reason: z.enum(STOP_REASONS), purposes: auditData.codes() }),
    {
      sv: (d) =>
        `Behandlingen återupptogs (${STOP[d.reason].sv} hävd) för: ${list(d.purposes, 'inga ändamål')}`,
      fi: (d) =>
        `Käsittely jatkui (${STOP[d.reason].fi} peruttu) tarkoituksissa: ${list(d.purposes, 'ei yhtään')}`,
      en: (d) =>
        `Processing resumed (${STOP[d.reason].en} lifted) for: ${list(d.purposes, 'no purpose')}`,
    },
  ),
  defineAuditEvent('subject.stops', none, {
    sv: () => 'Invändningar och stopp av behandlingen lästes',
    fi: () => 'Vastustukset ja käsittelyn lopetukset luettiin',
    en: () => 'Objections and stops of processing read',
  }),
  defineAuditEvent('subject.self_rectify', none, {
    sv: () => 'Den registrerade rättade sina uppgifter',
    fi: () => 'Rekisteröity oikaisi tietojaan',
    en: () => 'The person corrected their data',
  }),
  defineAuditEvent('subject.recipients', none, {
    sv: () => 'Mottagarna av uppgifterna listades',
    fi: () => 'Tietojen vastaanottajat lueteltiin',
    en: () => 'The recipients of the data were listed',
  }),
  defineAuditEvent('subject.contact', none, {
    sv: () => 'Kontaktuppgifterna lästes för att skriva till den registrerade',
    fi: () => 'Yhteystiedot luettiin rekisteröidylle kirjoittamista varten',
    en: () => 'Contact details read to write to the person',
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
