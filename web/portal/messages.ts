/**
 * The portal's own words in Swedish, Finnish and English (the console's are in
 * web/shared/i18n.ts). Labels of categories, purposes and recipients come localized from the
 * register definition.
 */
import type { Lang } from '../shared/i18n.ts';

type Entry = Record<Lang, string>;

export const portalMessages = {
  'portal.title': {
    en: 'How we handle personal data',
    sv: 'Hur vi behandlar personuppgifter',
    fi: 'Miten käsittelemme henkilötietoja',
  },
  'portal.intro': {
    en: 'This page is generated from the register’s own definition, which the register enforces: data is read only for the purposes below, and only the categories each purpose may use.',
    sv: 'Den här sidan skapas ur registrets egen definition, som registret självt upprätthåller: uppgifter läses bara för ändamålen nedan, och bara de kategorier som varje ändamål får använda.',
    fi: 'Tämä sivu muodostetaan rekisterin omasta määrittelystä, jota rekisteri itse valvoo: tietoja luetaan vain alla mainittuihin käyttötarkoituksiin ja vain niistä tietoryhmistä, joita kukin käyttötarkoitus saa käyttää.',
  },
  'portal.controller': {
    en: 'Controller',
    sv: 'Personuppgiftsansvarig',
    fi: 'Rekisterinpitäjä',
  },
  'portal.businessId': { en: 'Business ID', sv: 'FO-nummer', fi: 'Y-tunnus' },
  'portal.email': { en: 'E-mail', sv: 'E-post', fi: 'Sähköposti' },
  'portal.phone': { en: 'Phone', sv: 'Telefon', fi: 'Puhelin' },
  'portal.website': { en: 'Website', sv: 'Webbplats', fi: 'Verkkosivusto' },
  'portal.purposes': {
    en: 'Purposes and legal bases',
    sv: 'Ändamål och rättslig grund',
    fi: 'Käyttötarkoitukset ja oikeusperusteet',
  },
  'portal.legalBasis': { en: 'Legal basis', sv: 'Rättslig grund', fi: 'Oikeusperuste' },
  'portal.usesCategories': {
    en: 'Data used',
    sv: 'Uppgifter som används',
    fi: 'Käytettävät tiedot',
  },
  'portal.categories': {
    en: 'Categories of personal data',
    sv: 'Kategorier av personuppgifter',
    fi: 'Henkilötietoryhmät',
  },
  'portal.sources': {
    en: 'Where the data comes from',
    sv: 'Varifrån uppgifterna kommer',
    fi: 'Mistä tiedot saadaan',
  },
  'portal.recipients': {
    en: 'Recipients',
    sv: 'Mottagare',
    fi: 'Vastaanottajat',
  },
  'portal.noRecipients': {
    en: 'The data is not disclosed to anyone.',
    sv: 'Uppgifterna lämnas inte ut till någon.',
    fi: 'Tietoja ei luovuteta kenellekään.',
  },
  'portal.transfers': {
    en: 'Transfers outside the EU and EEA',
    sv: 'Överföringar utanför EU och EES',
    fi: 'Siirrot EU:n ja ETA:n ulkopuolelle',
  },
  'portal.noTransfers': {
    en: 'The data is not transferred outside the EU and EEA.',
    sv: 'Uppgifterna överförs inte utanför EU och EES.',
    fi: 'Tietoja ei siirretä EU:n ja ETA:n ulkopuolelle.',
  },
  'portal.country': { en: 'Country', sv: 'Land', fi: 'Maa' },
  'portal.mechanism': { en: 'Safeguard', sv: 'Skyddsåtgärd', fi: 'Suojatoimi' },
  'portal.retention': {
    en: 'How long the data is kept',
    sv: 'Hur länge uppgifterna sparas',
    fi: 'Kuinka kauan tietoja säilytetään',
  },
  'portal.retentionRule': {
    en: '{duration} from {event}',
    sv: '{duration} från {event}',
    fi: '{duration} {event} lukien',
  },
  'portal.version': {
    en: 'Version of the definition: {version}',
    sv: 'Definitionens version: {version}',
    fi: 'Määrittelyn versio: {version}',
  },
  'portal.staff': {
    en: 'Staff console',
    sv: 'Personalkonsol',
    fi: 'Henkilökunnan konsoli',
  },
  'portal.api': { en: 'API documentation', sv: 'API-dokumentation', fi: 'API-dokumentaatio' },
  'role.processor': {
    en: 'Processor',
    sv: 'Personuppgiftsbiträde',
    fi: 'Henkilötietojen käsittelijä',
  },
  'role.subprocessor': {
    en: 'Sub-processor',
    sv: 'Underbiträde',
    fi: 'Alihankkija (käsittelijä)',
  },
  'role.controller': {
    en: 'Independent controller',
    sv: 'Självständig personuppgiftsansvarig',
    fi: 'Itsenäinen rekisterinpitäjä',
  },
  'mechanism.adequacy': {
    en: 'Adequacy decision',
    sv: 'Beslut om adekvat skyddsnivå',
    fi: 'Tietosuojan riittävyyttä koskeva päätös',
  },
  'mechanism.dpf': {
    en: 'EU–US Data Privacy Framework',
    sv: 'Ramen för dataskydd mellan EU och USA',
    fi: 'EU:n ja Yhdysvaltojen tietosuojakehys',
  },
  'mechanism.scc': {
    en: 'Standard contractual clauses',
    sv: 'Standardavtalsklausuler',
    fi: 'Vakiosopimuslausekkeet',
  },
  'mechanism.bcr': {
    en: 'Binding corporate rules',
    sv: 'Bindande företagsbestämmelser',
    fi: 'Yritystä koskevat sitovat säännöt',
  },
  'mechanism.derogation': {
    en: 'Derogation for a specific situation (Art. 49)',
    sv: 'Undantag i särskilda situationer (art. 49)',
    fi: 'Poikkeus erityistilanteessa (49 art.)',
  },
  'mechanism.privacy_shield': {
    en: 'Privacy Shield (no longer valid)',
    sv: 'Privacy Shield (inte längre giltig)',
    fi: 'Privacy Shield (ei enää voimassa)',
  },
  'event.collection': { en: 'collection', sv: 'insamlingen', fi: 'keräämisestä' },
  'event.end_of_relationship': {
    en: 'the end of the customer relationship',
    sv: 'kundförhållandets slut',
    fi: 'asiakassuhteen päättymisestä',
  },
  'event.last_activity': {
    en: 'the last activity',
    sv: 'den senaste aktiviteten',
    fi: 'viimeisestä toiminnasta',
  },
  'event.end_of_financial_year': {
    en: 'the end of the financial year',
    sv: 'räkenskapsårets slut',
    fi: 'tilikauden päättymisestä',
  },
  'event.withdrawal': {
    en: 'the withdrawal of consent',
    sv: 'återkallandet av samtycket',
    fi: 'suostumuksen peruuttamisesta',
  },
  'event.request_closed': {
    en: 'the closing of the request',
    sv: 'att begäran avslutades',
    fi: 'pyynnön käsittelyn päättymisestä',
  },
} satisfies Record<string, Entry>;

export type PortalKey = keyof typeof portalMessages;

export function portalText(
  lang: Lang,
  key: PortalKey,
  params: Record<string, string> = {},
): string {
  return portalMessages[key][lang].replace(/\{(\w+)\}/g, (m, name: string) => params[name] ?? m);
}

/** A key of ours for a value the definition names, or the value itself when we have none. */
export function knownText(lang: Lang, prefix: string, value: string): string {
  const key = `${prefix}.${value}`;
  return key in portalMessages ? portalText(lang, key as PortalKey) : value;
}
