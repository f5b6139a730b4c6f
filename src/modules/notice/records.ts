/**
 * Records of processing activities (GDPR Art. 30), made from the register definition: the
 * controller's (Art. 30(1)), one row per purpose, and, where the definition says the company also
 * processes for its customers (`register.processorFor`), the processor's (Art. 30(2)). Exported
 * as CSV (stable column names, texts in the language asked for, through the shared formula guard)
 * and as a readable document (HTML, PDF).
 */
import { csv } from '../../lib/csv.ts';
import {
  EEA_COUNTRIES,
  appointedDpo,
  countriesOutsideEea,
  isUnknown,
  type Localized,
  type RegisterDefinition,
} from '../definition/index.ts';
import { renderContext } from './document.ts';
import { basisText, retentionText, type NoticeBlock } from './items.ts';
import type { NoticeLang } from './messages.ts';
import type { RenderableDocument } from './render.ts';

export const RECORD_ROLES = ['controller', 'processor'] as const;
export type RecordRole = (typeof RECORD_ROLES)[number];

type Labels = Record<NoticeLang, string>;

/** Art. 30(1)(a)–(g): one row per purpose. */
export const CONTROLLER_COLUMNS = {
  controller: { sv: 'Personuppgiftsansvarig', fi: 'Rekisterinpitäjä', en: 'Controller' },
  controller_contact: { sv: 'Kontaktuppgifter', fi: 'Yhteystiedot', en: 'Contact details' },
  representative: { sv: 'Företrädare', fi: 'Edustaja', en: 'Representative' },
  dpo: { sv: 'Dataskyddsombud', fi: 'Tietosuojavastaava', en: 'Data protection officer' },
  purpose_id: { sv: 'Ändamålets id', fi: 'Tarkoituksen tunniste', en: 'Purpose id' },
  purpose: { sv: 'Ändamål', fi: 'Käsittelyn tarkoitus', en: 'Purpose' },
  legal_basis: { sv: 'Rättslig grund', fi: 'Oikeusperuste', en: 'Legal basis' },
  law: { sv: 'Lag', fi: 'Laki', en: 'Law' },
  legitimate_interest: {
    sv: 'Berättigat intresse',
    fi: 'Oikeutettu etu',
    en: 'Legitimate interest',
  },
  data_subjects: {
    sv: 'Kategorier av registrerade',
    fi: 'Rekisteröityjen ryhmät',
    en: 'Categories of data subjects',
  },
  data_categories: {
    sv: 'Kategorier av personuppgifter',
    fi: 'Henkilötietoryhmät',
    en: 'Categories of personal data',
  },
  special_categories: {
    sv: 'Särskilda kategorier (art. 9)',
    fi: 'Erityiset henkilötietoryhmät (9 art.)',
    en: 'Special categories (Art. 9)',
  },
  sources: { sv: 'Källor', fi: 'Tietolähteet', en: 'Sources' },
  recipients: { sv: 'Mottagare', fi: 'Vastaanottajat', en: 'Recipients' },
  third_country_transfers: {
    sv: 'Överföringar till tredjeländer och skyddsåtgärder',
    fi: 'Siirrot kolmansiin maihin ja suojatoimet',
    en: 'Transfers to third countries and safeguards',
  },
  retention: {
    sv: 'Tidsfrist för radering',
    fi: 'Poistamisen määräaika',
    en: 'Time limit for erasure',
  },
  legal_holds: {
    sv: 'Lagstadgad lagring',
    fi: 'Lakisääteinen säilytys',
    en: 'Storage required by law',
  },
  security_measures: {
    sv: 'Tekniska och organisatoriska skyddsåtgärder',
    fi: 'Tekniset ja organisatoriset suojatoimet',
    en: 'Technical and organisational security measures',
  },
} as const satisfies Record<string, Labels>;

/** Art. 30(2)(a)–(d): one row for the processing done on the customers' behalf. */
export const PROCESSOR_COLUMNS = {
  processor: { sv: 'Personuppgiftsbiträde', fi: 'Henkilötietojen käsittelijä', en: 'Processor' },
  processor_contact: { sv: 'Kontaktuppgifter', fi: 'Yhteystiedot', en: 'Contact details' },
  representative: CONTROLLER_COLUMNS.representative,
  dpo: CONTROLLER_COLUMNS.dpo,
  controllers_and_processing: {
    sv: 'För vems räkning och vilken behandling',
    fi: 'Kenen lukuun ja mitä käsittelyä',
    en: 'On whose behalf, and the processing carried out',
  },
  third_country_transfers: CONTROLLER_COLUMNS.third_country_transfers,
  security_measures: CONTROLLER_COLUMNS.security_measures,
} as const satisfies Record<string, Labels>;

export type ControllerColumn = keyof typeof CONTROLLER_COLUMNS;
export type ProcessorColumn = keyof typeof PROCESSOR_COLUMNS;

export interface Records {
  role: RecordRole;
  lang: NoticeLang;
  columns: string[];
  /** The columns' names in the language. */
  labels: string[];
  rows: string[][];
}

/** The records of one role, or undefined: the processor role where `processorFor` is not set. */
export function buildRecords(
  def: RegisterDefinition,
  lang: NoticeLang,
  role: RecordRole,
): Records | undefined {
  const ctx = renderContext(def, lang);
  const { m, pm, l, s } = ctx;
  const c = def.controller;
  const person = (
    p: { name: string; role?: Localized; email?: string; phone?: string } | undefined,
  ) =>
    p
      ? s([p.name, p.role ? p.role[lang] : undefined, p.email, p.phone].filter(Boolean).join(', '))
      : m.notStated;
  const contact = s(
    [
      `${c.address.street}, ${c.address.postalCode} ${c.address.city}, ${c.address.country}`,
      c.phone,
      c.email,
      c.website,
    ]
      .filter(Boolean)
      .join('; '),
  );
  const transfers = (
    filter: (recipient: RegisterDefinition['recipients'][number] | undefined) => boolean,
  ) => {
    const list = def.transfers
      .filter((t) => countriesOutsideEea(def, t).length > 0 || isUnknown(t.mechanism))
      .filter((t) => filter(def.recipients.find((r) => r.id === t.recipient)))
      .map((t) => {
        const name = l(def.recipients.find((r) => r.id === t.recipient)?.name) || s(t.recipient);
        const safeguard = [
          t.mechanism === undefined || isUnknown(t.mechanism)
            ? m.notStated
            : pm.mechanisms[t.mechanism],
          t.sccModule ? m.sccModule(t.sccModule) : '',
          t.derogation ? s(t.derogation) : '',
        ]
          .filter(Boolean)
          .join(', ');
        return `${name} → ${ctx.country(t.country)}: ${safeguard}`;
      });
    return list.length > 0 ? list.join('; ') : m.noTransfers;
  };
  // The statements are sentences: one that ends its own sentence is not given a semicolon too.
  const security =
    def.security.length > 0
      ? def.security
          .map((x) => l(x).trim())
          .map((x, i, all) => (i < all.length - 1 && !/[.!?…;:]$/.test(x) ? `${x};` : x))
          .join(' ')
      : m.notStated;
  // Art. 27 asks a representative only of a controller or processor outside the EU/EEA.
  const representative = c.representative
    ? person(c.representative)
    : EEA_COUNTRIES.has(c.address.country)
      ? m.representativeNotNeeded
      : m.notStated;

  if (role === 'processor') {
    if (!def.register.processorFor) {
      return undefined;
    }
    const cols = PROCESSOR_COLUMNS;
    const row: Record<ProcessorColumn, string> = {
      processor: s(`${c.name} (${c.businessId})`),
      processor_contact: contact,
      representative,
      dpo: c.dpo === 'none' ? m.noDpo : person(appointedDpo(c)),
      controllers_and_processing: l(def.register.processorFor),
      // The sub-processors' transfers: the chain the customers' data travel along.
      third_country_transfers: transfers(
        (r) => r?.role === 'subprocessor' || r?.role === 'processor',
      ),
      security_measures: security,
    };
    const columns = Object.keys(cols) as ProcessorColumn[];
    return {
      role,
      lang,
      columns,
      labels: columns.map((k) => cols[k][lang]),
      rows: [columns.map((k) => row[k])],
    };
  }

  const cols = CONTROLLER_COLUMNS;
  const columns = Object.keys(cols) as ControllerColumn[];
  const rows = def.purposes.map((p) => {
    const cats = def.categories.filter((cat) => p.categories.includes(cat.id));
    const recipients = def.recipients.filter(
      (r) =>
        r.purposes.includes(p.id) ||
        (r.purposes.length === 0 && r.categories.some((x) => p.categories.includes(x))) ||
        (r.purposes.length === 0 && r.categories.length === 0),
    );
    const rule = def.retention.rules.find((r) => r.id === p.retention);
    const holds = def.retention.legalHolds.filter((h) =>
      h.categories.some((x) => p.categories.includes(x)),
    );
    const row: Record<ControllerColumn, string> = {
      controller: s(`${c.name} (${c.businessId})`),
      controller_contact: contact,
      representative,
      dpo: c.dpo === 'none' ? m.noDpo : person(appointedDpo(c)),
      purpose_id: p.id,
      purpose: `${l(p.label)}: ${l(p.description)}`,
      legal_basis: basisText(ctx, p.legalBasis),
      law: p.law ? s(p.law) : '',
      legitimate_interest: p.legitimateInterest ? l(p.legitimateInterest) : '',
      data_subjects: def.register.subjectGroups.map((g) => l(g.label)).join('; '),
      data_categories: cats.map((cat) => l(cat.label)).join('; '),
      special_categories: cats
        .filter((cat) => cat.special)
        .map((cat) => l(cat.label))
        .join('; '),
      // The sources that supply a category the purpose uses (one that does not say what it
      // supplies may supply any).
      sources: def.sources
        .filter(
          (x) => x.categories.length === 0 || x.categories.some((k) => p.categories.includes(k)),
        )
        .map((x) => l(x.label))
        .join('; '),
      recipients:
        recipients.length > 0
          ? recipients
              .map(
                (r) =>
                  // The country's code is in parentheses already: none around it.
                  `${l(r.name)}: ${pm.roles[r.role]}, ${isUnknown(r.country) ? m.notStated : ctx.country(r.country)}`,
              )
              .join('; ')
          : m.noRecipients,
      third_country_transfers: transfers((r) => r === undefined || recipients.includes(r)),
      retention: rule ? `${l(rule.label)}: ${retentionText(ctx, rule)}` : m.notStated,
      legal_holds: holds
        .map((h) => `${l(h.label)}: ${retentionText(ctx, h)} — ${s(h.law)}`)
        .join('; '),
      security_measures: security,
    };
    return columns.map((k) => row[k]);
  });
  return { role, lang, columns, labels: columns.map((k) => cols[k][lang]), rows };
}

export function recordsCsv(records: Records): string {
  return csv(records.columns, records.rows);
}

/** The records to read: a section per row, each column a term with its text. */
export function recordsDocument(def: RegisterDefinition, records: Records): RenderableDocument {
  const { m, l } = renderContext(def, records.lang);
  const title = `${records.role === 'processor' ? m.processorTitle : m.recordsTitle}: ${l(def.register.name)}`;
  const blocks: NoticeBlock[] = [
    { kind: 'heading', level: 1, text: title },
    {
      kind: 'paragraph',
      text: records.role === 'processor' ? m.processorIntro : m.recordsIntro,
    },
  ];
  for (const row of records.rows) {
    const purposeAt = records.columns.indexOf('purpose');
    if (purposeAt >= 0) {
      blocks.push({ kind: 'heading', level: 2, text: row[purposeAt] ?? '' });
    }
    blocks.push({
      kind: 'pairs',
      items: records.labels
        .map((label, i) => ({ term: label, text: row[i] ?? '' }))
        .filter((p) => p.text !== ''),
    });
  }
  return { lang: records.lang, title, blocks };
}
