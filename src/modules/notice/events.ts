/**
 * The notice module's access-log events: a version of the privacy notice published, and people told
 * of it (started with the number to be told, finished with the number mailed; never who).
 */
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
  defineAuditEvent(
    'notice.announce',
    z.strictObject({
      version: auditData.count(),
      people: auditData.count(),
    }),
    {
      sv: (d) =>
        `Började meddela ${d.people} personer om dataskyddsbeskrivningens version ${d.version}`,
      fi: (d) =>
        `Aloitti tietosuojaselosteen version ${d.version} tiedottamisen ${d.people} henkilölle`,
      en: (d) => `Started telling ${d.people} people of version ${d.version} of the privacy notice`,
    },
  ),
  defineAuditEvent(
    'notice.announce_finish',
    z.strictObject({
      version: auditData.count(),
      mailed: auditData.count(),
      skipped: auditData.count(),
    }),
    {
      sv: (d) =>
        `Meddelade ${d.mailed} personer om dataskyddsbeskrivningens version ${d.version} per e-post`,
      fi: (d) =>
        `Lähetti ${d.mailed} henkilölle sähköpostitse tiedon tietosuojaselosteen versiosta ${d.version}`,
      en: (d) => `Mailed ${d.mailed} people of version ${d.version} of the privacy notice`,
    },
  ),
  defineAuditEvent(
    'notice.announce_skip',
    z.strictObject({
      version: auditData.count(),
      skipped: auditData.count(),
      /** The fields of the mail that were refused (`data.register`, `to`): never a value. */
      fields: auditData.codes(),
    }),
    {
      sv: (d) =>
        `Hoppade över ${d.skipped} personer vars e-post om dataskyddsbeskrivningens version ${d.version} avvisades (${d.fields.join(', ')})`,
      fi: (d) =>
        `Ohitti ${d.skipped} henkilöä, joiden sähköposti tietosuojaselosteen versiosta ${d.version} hylättiin (${d.fields.join(', ')})`,
      en: (d) =>
        `Skipped ${d.skipped} people whose mail of version ${d.version} of the privacy notice was refused (${d.fields.join(', ')})`,
    },
  ),
  defineAuditEvent(
    'notice.announce_fail',
    z.strictObject({
      version: auditData.count(),
      mailed: auditData.count(),
    }),
    {
      sv: (d) =>
        `Meddelandet om dataskyddsbeskrivningens version ${d.version} misslyckades efter ${d.mailed} e-postmeddelanden`,
      fi: (d) =>
        `Tietosuojaselosteen version ${d.version} tiedottaminen epäonnistui ${d.mailed} lähetetyn viestin jälkeen`,
      en: (d) =>
        `Telling people of version ${d.version} of the privacy notice failed after ${d.mailed} mails`,
    },
  ),
] as const;

declare module '../audit/define-event.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AuditEventTypes extends AuditEventMap<typeof noticeEvents> {}
}
