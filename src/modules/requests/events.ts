/**
 * The requests module's access-log events: each step of a data subject's request. Data holds the
 * request's id and codes only (type, channel, proof kind, document type), never the person's
 * words. The person's own view of the log renders these sentences.
 */
import { z } from 'zod';
import { IDENTITY_PROOFS, REQUEST_CHANNELS, REQUEST_TYPES } from '../definition/index.ts';
import { auditData, defineAuditEvent, type AuditEventMap } from '../audit/index.ts';
import { DELIVERY_HOW, DOCUMENT_TYPES, LETTER_HOW, TOLD_HOW } from './model.ts';

const TYPE = {
  access: { sv: 'tillgång', fi: 'pääsy tietoihin', en: 'access' },
  rectification: { sv: 'rättelse', fi: 'oikaisu', en: 'rectification' },
  erasure: { sv: 'radering', fi: 'poisto', en: 'erasure' },
  restriction: { sv: 'begränsning', fi: 'käsittelyn rajoitus', en: 'restriction' },
  restriction_lift: {
    sv: 'hävande av begränsning',
    fi: 'rajoituksen poisto',
    en: 'lifting a restriction',
  },
  portability: { sv: 'dataportabilitet', fi: 'siirto', en: 'portability' },
  objection: { sv: 'invändning', fi: 'vastustus', en: 'objection' },
  consent_withdrawal: {
    sv: 'återkallande av samtycke',
    fi: 'suostumuksen peruminen',
    en: 'consent withdrawal',
  },
  marketing_prohibition: {
    sv: 'förbud mot direktmarknadsföring',
    fi: 'suoramarkkinointikielto',
    en: 'direct-marketing prohibition',
  },
} as const;

const PROOF = {
  email_link: { sv: 'e-postlänk', fi: 'sähköpostilinkki', en: 'e-mail link' },
  signed_letter: { sv: 'undertecknat brev', fi: 'allekirjoitettu kirje', en: 'signed letter' },
  photo_id: { sv: 'fotolegitimation', fi: 'kuvallinen henkilöllisyystodistus', en: 'photo ID' },
  strong_eid: {
    sv: 'stark elektronisk identifiering',
    fi: 'vahva sähköinen tunnistus',
    en: 'strong electronic identification',
  },
} as const;

const request = auditData.id();
const type = z.enum(REQUEST_TYPES);

export const requestEvents = [
  defineAuditEvent(
    'request.receive',
    z.strictObject({ request, type, channel: z.enum(REQUEST_CHANNELS) }),
    {
      sv: (d) => `En begäran togs emot (${TYPE[d.type].sv})`,
      fi: (d) => `Pyyntö vastaanotettiin (${TYPE[d.type].fi})`,
      en: (d) => `A request was received (${TYPE[d.type].en})`,
    },
  ),
  defineAuditEvent(
    'request.identity',
    z.strictObject({
      request,
      proof: z.enum(IDENTITY_PROOFS),
      documentType: z.enum(DOCUMENT_TYPES).optional(),
      sufficient: z.boolean(),
    }),
    {
      sv: (d) =>
        `Identiteten styrktes (${PROOF[d.proof].sv})${d.sufficient ? '' : '; starkare bevis behövs'}`,
      fi: (d) =>
        `Henkilöllisyys todennettiin (${PROOF[d.proof].fi})${d.sufficient ? '' : '; tarvitaan vahvempi todiste'}`,
      en: (d) =>
        `Identity proven (${PROOF[d.proof].en})${d.sufficient ? '' : '; stronger proof needed'}`,
    },
  ),
  defineAuditEvent(
    'request.match',
    z.strictObject({ request, by: z.enum(['email', 'phone', 'staff']) }),
    {
      sv: () => 'En begäran kopplades till personen',
      fi: () => 'Pyyntö yhdistettiin henkilöön',
      en: () => 'A request was linked to the person',
    },
  ),
  defineAuditEvent('request.lookup', z.strictObject({ by: z.enum(['email', 'phone']) }), {
    sv: () => 'Personen söktes för en begäran',
    fi: () => 'Henkilöä haettiin pyyntöä varten',
    en: () => 'The person was looked up for a request',
  }),
  defineAuditEvent('request.read', z.strictObject({ request }), {
    sv: () => 'En begäran lästes',
    fi: () => 'Pyyntöä luettiin',
    en: () => 'A request was read',
  }),
  defineAuditEvent('request.extend', z.strictObject({ request, months: z.literal([1, 2]) }), {
    sv: (d) => `Svarstiden förlängdes med ${d.months} månad${d.months === 1 ? '' : 'er'}`,
    fi: (d) => `Vastausaikaa pidennettiin ${d.months} kuukaudella`,
    en: (d) => `The time to answer was extended by ${d.months} month${d.months === 1 ? '' : 's'}`,
  }),
  defineAuditEvent('request.refuse', z.strictObject({ request, type }), {
    sv: (d) => `En begäran avslogs (${TYPE[d.type].sv})`,
    fi: (d) => `Pyyntö hylättiin (${TYPE[d.type].fi})`,
    en: (d) => `A request was refused (${TYPE[d.type].en})`,
  }),
  defineAuditEvent('request.cancel', z.strictObject({ request, type }), {
    sv: (d) => `En begäran avbröts (${TYPE[d.type].sv})`,
    fi: (d) => `Pyyntö peruttiin (${TYPE[d.type].fi})`,
    en: (d) => `A request was cancelled (${TYPE[d.type].en})`,
  }),
  defineAuditEvent('request.complete', z.strictObject({ request, type }), {
    sv: (d) => `En begäran slutfördes (${TYPE[d.type].sv})`,
    fi: (d) => `Pyyntö käsiteltiin loppuun (${TYPE[d.type].fi})`,
    en: (d) => `A request was completed (${TYPE[d.type].en})`,
  }),
  defineAuditEvent(
    'request.recipient_told',
    z.strictObject({ request, recipient: auditData.code(), how: z.enum(TOLD_HOW) }),
    {
      sv: (d) => `Mottagaren ${d.recipient} underrättades`,
      fi: (d) => `Vastaanottajalle ${d.recipient} ilmoitettiin`,
      en: (d) => `The recipient ${d.recipient} was told`,
    },
  ),
  defineAuditEvent(
    'request.letter_sent',
    z.strictObject({ request, letter: auditData.id(), how: z.enum(LETTER_HOW) }),
    {
      sv: (d) =>
        d.how === 'post'
          ? 'Ett brev om en begäran skickades per post'
          : d.how === 'handed_over'
            ? 'Ett brev om en begäran överlämnades'
            : 'Personen fick ett besked om en begäran per telefon',
      fi: (d) =>
        d.how === 'post'
          ? 'Pyyntöä koskeva kirje lähetettiin postitse'
          : d.how === 'handed_over'
            ? 'Pyyntöä koskeva kirje luovutettiin'
            : 'Henkilölle kerrottiin pyynnöstä puhelimitse',
      en: (d) =>
        d.how === 'post'
          ? 'A letter about a request was posted'
          : d.how === 'handed_over'
            ? 'A letter about a request was handed over'
            : 'The person was told about a request by phone',
    },
  ),
  defineAuditEvent(
    'request.package',
    z.strictObject({
      request,
      kind: z.enum(['access', 'portability']),
      format: z.enum(['zip', 'pdf']),
    }),
    {
      sv: (d) =>
        `En kopia av uppgifterna (${d.format === 'pdf' ? 'PDF' : 'ZIP'}) togs fram för utskrift och leverans`,
      fi: (d) =>
        `Jäljennös tiedoista (${d.format === 'pdf' ? 'PDF' : 'ZIP'}) otettiin tulostettavaksi ja toimitettavaksi`,
      en: (d) =>
        `A copy of the data (${d.format === 'pdf' ? 'PDF' : 'ZIP'}) was taken to be printed and delivered`,
    },
  ),
  defineAuditEvent('request.delivered', z.strictObject({ request, how: z.enum(DELIVERY_HOW) }), {
    sv: (d) =>
      d.how === 'post'
        ? 'Kopian av uppgifterna skickades per post'
        : 'Kopian av uppgifterna överlämnades',
    fi: (d) =>
      d.how === 'post'
        ? 'Jäljennös tiedoista lähetettiin postitse'
        : 'Jäljennös tiedoista luovutettiin',
    en: (d) =>
      d.how === 'post' ? 'The copy of the data was posted' : 'The copy of the data was handed over',
  }),
  defineAuditEvent(
    'request.contact',
    z.strictObject({ request, fields: z.array(z.enum(['email', 'address'])).min(1) }),
    {
      sv: () => 'Kontaktuppgifterna i en begäran rättades',
      fi: () => 'Pyynnön yhteystietoja korjattiin',
      en: () => "A request's contact details were corrected",
    },
  ),
] as const;

declare module '../audit/define-event.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AuditEventTypes extends AuditEventMap<typeof requestEvents> {}
}
