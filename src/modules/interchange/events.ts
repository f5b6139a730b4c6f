/**
 * The interchange module's access-log events: counts and codes only, never an address.
 */
import { z } from 'zod';
import { auditData, defineAuditEvent, type AuditEventMap } from '../audit/index.ts';

const n = () => auditData.count();

export const interchangeEvents = [
  defineAuditEvent(
    'interchange.audience_import',
    z.strictObject({
      format: z.enum(['mailchimp', 'listmonk']),
      channel: auditData.code(),
      run: auditData.ref(),
      dryRun: z.boolean(),
      lines: n(),
      granted: n(),
      withdrawn: n(),
      refused: n(),
      pending: n(),
      unchanged: n(),
      /** Lines dated before the ledger's current state (entries before it have none). */
      superseded: n().optional(),
      undeliverable: n(),
      created: n(),
      suppressed: n(),
      /** Lines skipped because the person's own refusal stands (entries before it have none). */
      skipped: n().optional(),
      rejected: n(),
    }),
    {
      sv: (d) =>
        `${d.dryRun ? 'Provkörning av import' : 'Import'} av en adresslista (${d.format}, ${d.channel}): ${d.lines} rader, ${d.created} nya personer, ${d.rejected} avvisade`,
      fi: (d) =>
        `${d.dryRun ? 'Kokeiltiin osoitelistan tuontia' : 'Osoitelista tuotiin'} (${d.format}, ${d.channel}): ${d.lines} riviä, ${d.created} uutta henkilöä, ${d.rejected} hylättyä`,
      en: (d) =>
        `${d.dryRun ? 'Dry run of an audience import' : 'Audience list imported'} (${d.format}, ${d.channel}): ${d.lines} lines, ${d.created} people created, ${d.rejected} rejected`,
    },
  ),
  defineAuditEvent(
    'interchange.prohibition_import',
    z.strictObject({
      run: auditData.ref(),
      dryRun: z.boolean(),
      lines: n(),
      email: n(),
      phone: n(),
      already: n(),
      rejected: n(),
    }),
    {
      sv: (d) =>
        `Spärrlista för direktmarknadsföring ${d.dryRun ? 'provkörd' : 'importerad'}: ${d.email} e-postadresser, ${d.phone} telefonnummer`,
      fi: (d) =>
        `Suoramarkkinoinnin kieltolista ${d.dryRun ? 'kokeiltu' : 'tuotu'}: ${d.email} sähköpostiosoitetta, ${d.phone} puhelinnumeroa`,
      en: (d) =>
        `Direct-marketing prohibition list ${d.dryRun ? 'tried (dry run)' : 'imported'}: ${d.email} e-mail addresses, ${d.phone} phone numbers`,
    },
  ),
  defineAuditEvent(
    'interchange.address_list_lookup',
    z.strictObject({
      list: z.enum(['undeliverable', 'prohibition']),
      kind: z.enum(['email', 'phone']),
      /** The first 16 hex digits of the address's interchange hash: never the address. */
      entry: auditData.hex(),
      listed: z.boolean(),
    }),
    {
      sv: (d) =>
        `Slog upp ${d.kind === 'email' ? 'en e-postadress' : 'ett telefonnummer'} på listan ${d.list} (${d.entry}): ${d.listed ? 'listad' : 'inte listad'}`,
      fi: (d) =>
        `Tarkisti ${d.kind === 'email' ? 'sähköpostiosoitteen' : 'puhelinnumeron'} listalta ${d.list} (${d.entry}): ${d.listed ? 'listalla' : 'ei listalla'}`,
      en: (d) =>
        `Looked up ${d.kind === 'email' ? 'an e-mail address' : 'a phone number'} on the ${d.list} list (${d.entry}): ${d.listed ? 'listed' : 'not listed'}`,
    },
  ),
  defineAuditEvent(
    'interchange.address_list_remove',
    z.strictObject({
      list: z.enum(['undeliverable', 'prohibition']),
      kind: z.enum(['email', 'phone']),
      /** The first 16 hex digits of the address's interchange hash: never the address. */
      entry: auditData.hex(),
      /** The first 16 hex digits of the SHA-256 of the reason given (the log takes no free text). */
      reason: auditData.hex(),
    }),
    {
      sv: (d) =>
        `Tog bort ${d.kind === 'email' ? 'en e-postadress' : 'ett telefonnummer'} (${d.entry}) från listan ${d.list}`,
      fi: (d) =>
        `Poisti ${d.kind === 'email' ? 'sähköpostiosoitteen' : 'puhelinnumeron'} (${d.entry}) listalta ${d.list}`,
      en: (d) =>
        `Took ${d.kind === 'email' ? 'an e-mail address' : 'a phone number'} (${d.entry}) off the ${d.list} list`,
    },
  ),
  defineAuditEvent(
    'interchange.suppression_export',
    z.strictObject({ rows: n(), withoutHash: n() }),
    {
      sv: (d) => `Spärrlistan exporterades som nycklade hashvärden (${d.rows} rader)`,
      fi: (d) => `Estolista vietiin avaimellisina tiivisteinä (${d.rows} riviä)`,
      en: (d) => `Suppression list exported as keyed hashes (${d.rows} rows)`,
    },
  ),
] as const;

declare module '../audit/define-event.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AuditEventTypes extends AuditEventMap<typeof interchangeEvents> {}
}
