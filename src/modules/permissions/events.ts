/**
 * The permissions module's access-log events. Data holds codes only (kinds, channels, states,
 * methods, check answer codes), never the wording shown or anything else the person wrote. The
 * person's own view of the log (their access copy) renders these sentences.
 */
import { z } from 'zod';
import { auditData, defineAuditEvent, type AuditEventMap } from '../audit/index.ts';
import { CHECK_CODES, PERMISSION_METHODS, PERMISSION_STATES } from './model.ts';

const STATE = {
  granted: { sv: 'gett', fi: 'annettu', en: 'granted' },
  refused: { sv: 'nekat', fi: 'kielletty', en: 'refused' },
  withdrawn: { sv: 'återkallat', fi: 'peruttu', en: 'withdrawn' },
  objected: { sv: 'invändning', fi: 'vastustettu', en: 'objected' },
  pending: { sv: 'väntar på bekräftelse', fi: 'odottaa vahvistusta', en: 'awaiting confirmation' },
} as const satisfies Record<(typeof PERMISSION_STATES)[number], Record<'sv' | 'fi' | 'en', string>>;

const METHOD = {
  form: { sv: 'formulär', fi: 'lomake', en: 'form' },
  import: { sv: 'import', fi: 'tuonti', en: 'import' },
  staff: { sv: 'personalen', fi: 'henkilökunta', en: 'staff' },
  unsubscribe_link: {
    sv: 'avregistreringslänk',
    fi: 'peruutuslinkki',
    en: 'unsubscribe link',
  },
  api: { sv: 'gränssnitt', fi: 'rajapinta', en: 'API' },
  request: { sv: 'begäran', fi: 'pyyntö', en: 'request' },
  double_opt_in: {
    sv: 'bekräftelselänk',
    fi: 'vahvistuslinkki',
    en: 'confirmation link',
  },
  preference_page: { sv: 'inställningssidan', fi: 'asetussivu', en: 'preference page' },
} as const satisfies Record<
  (typeof PERMISSION_METHODS)[number],
  Record<'sv' | 'fi' | 'en', string>
>;

const change = z.strictObject({
  kind: auditData.code(),
  channel: auditData.code(),
  state: z.enum(PERMISSION_STATES),
});

type Lang = 'sv' | 'fi' | 'en';
const changes = (list: ReadonlyArray<z.infer<typeof change>>, lang: Lang) =>
  list
    .map((c) => `${c.kind}/${c.channel === '*' ? '*' : c.channel}: ${STATE[c.state][lang]}`)
    .join(', ');

export const permissionEvents = [
  defineAuditEvent(
    'permission.record',
    z.strictObject({ method: z.enum(PERMISSION_METHODS), changes: z.array(change).max(100) }),
    {
      sv: (d) =>
        `Marknadsföringstillstånd registrerades (${METHOD[d.method].sv}): ${changes(d.changes, 'sv')}`,
      fi: (d) =>
        `Markkinointilupia kirjattiin (${METHOD[d.method].fi}): ${changes(d.changes, 'fi')}`,
      en: (d) =>
        `Marketing permissions recorded (${METHOD[d.method].en}): ${changes(d.changes, 'en')}`,
    },
  ),
  defineAuditEvent('permission.read', z.strictObject({ history: z.boolean() }), {
    sv: (d) => (d.history ? 'Tillståndens historik lästes' : 'Marknadsföringstillstånden lästes'),
    fi: (d) => (d.history ? 'Lupien historiaa luettiin' : 'Markkinointilupia luettiin'),
    en: (d) => (d.history ? 'Permission history read' : 'Marketing permissions read'),
  }),
  defineAuditEvent(
    'permission.check',
    z.strictObject({
      channel: auditData.code(),
      allowed: z.boolean(),
      code: z.enum(CHECK_CODES),
    }),
    {
      sv: (d) =>
        `Det kontrollerades om kontakt får tas via ${d.channel}: ${d.allowed ? 'ja' : 'nej'} (${d.code})`,
      fi: (d) =>
        `Tarkistettiin, saako yhteyttä ottaa kanavalla ${d.channel}: ${d.allowed ? 'kyllä' : 'ei'} (${d.code})`,
      en: (d) =>
        `Checked whether the person may be reached by ${d.channel}: ${d.allowed ? 'yes' : 'no'} (${d.code})`,
    },
  ),
] as const;

declare module '../audit/define-event.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AuditEventTypes extends AuditEventMap<typeof permissionEvents> {}
}
