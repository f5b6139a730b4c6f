/** The register definition's access-log event: a new definition applied. */
import { z } from 'zod';
import { auditData, defineAuditEvent, type AuditEventMap, type AuditLang } from '../audit/index.ts';

const KINDS = ['purposes', 'categories', 'fields', 'roles', 'recipients'] as const;
const LABEL: Record<(typeof KINDS)[number], Record<AuditLang, string>> = {
  purposes: { sv: 'ändamål', fi: 'käyttötarkoitukset', en: 'purposes' },
  categories: { sv: 'kategorier', fi: 'tietoryhmät', en: 'categories' },
  fields: { sv: 'fält', fi: 'kentät', en: 'fields' },
  roles: { sv: 'roller', fi: 'roolit', en: 'roles' },
  recipients: { sv: 'mottagare', fi: 'vastaanottajat', en: 'recipients' },
};
const WORDS: Record<AuditLang, Record<string, string>> = {
  sv: {
    first: 'Registrets definition registrerades (första start)',
    changed: 'Registrets definition ändrades',
    added: 'tillagda',
    removed: 'borttagna',
    controller: 'personuppgiftsansvarig ändrad',
    other: 'ordalydelse eller andra uppgifter ändrade',
  },
  fi: {
    first: 'Rekisterin määrittely kirjattiin (ensimmäinen käynnistys)',
    changed: 'Rekisterin määrittely muuttui',
    added: 'lisätty',
    removed: 'poistettu',
    controller: 'rekisterinpitäjä muuttui',
    other: 'sanamuoto tai muut tiedot muuttuivat',
  },
  en: {
    first: 'Register definition recorded (first start)',
    changed: 'Register definition changed',
    added: 'added',
    removed: 'removed',
    controller: 'controller changed',
    other: 'wording or other details changed',
  },
};

const lists = z
  .strictObject({
    purposes: auditData.codes(),
    categories: auditData.codes(),
    fields: auditData.codes(),
    roles: auditData.codes(),
    recipients: auditData.codes(),
  })
  .partial();

const schema = z.strictObject({
  from: auditData.hex().nullable(),
  to: auditData.hex(),
  controllerChanged: z.boolean(),
  added: lists,
  removed: lists,
});

function render(d: z.output<typeof schema>, lang: AuditLang): string {
  const w = WORDS[lang];
  const parts: string[] = [];
  if (d.controllerChanged) {
    parts.push(w.controller as string);
  }
  for (const [which, set] of [
    ['added', d.added],
    ['removed', d.removed],
  ] as const) {
    for (const k of KINDS) {
      const ids = set[k] ?? [];
      if (ids.length > 0) {
        parts.push(`${LABEL[k][lang]} ${w[which] as string}: ${ids.join(', ')}`);
      }
    }
  }
  const head = `${(d.from === null ? w.first : w.changed) as string} (${d.from ?? '—'} → ${d.to})`;
  return d.from === null ? head : `${head}: ${parts.length > 0 ? parts.join('; ') : w.other}`;
}

export const definitionEvents = [
  defineAuditEvent('definition.change', schema, {
    sv: (d) => render(d, 'sv'),
    fi: (d) => render(d, 'fi'),
    en: (d) => render(d, 'en'),
  }),
] as const;

declare module '../audit/define-event.ts' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AuditEventTypes extends AuditEventMap<typeof definitionEvents> {}
}
