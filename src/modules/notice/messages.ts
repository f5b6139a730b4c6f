/**
 * The words of the privacy notice and of the records of processing, in the three languages every
 * notice is published in. Texts from the register definition come in its own languages; these are
 * only the frame around them, in our own words. Terms the access copy already has (legal bases,
 * recipient roles, transfer mechanisms, retention events, rights' names, durations) are taken from
 * its messages (packageMessages), so that the two documents name things alike.
 */
import type { Right } from '../definition/index.ts';

export const NOTICE_LANGS = ['sv', 'fi', 'en'] as const;
export type NoticeLang = (typeof NOTICE_LANGS)[number];

export interface NoticeMessages {
  title: string;
  intro: (controller: string, register: string) => string;
  version: string;
  publishedVersion: (n: number, date: string) => string;
  /** Above a frozen version's page: which version it is, and that it is as it was published. */
  frozenVersion: (n: number, date: string) => string;
  /** The link from a frozen version to the notice in force. */
  inForce: string;
  generated: string;
  unanswered: string;
  /**
   * What a gap of the notice leaves unsaid, named: whose country, which purpose's basis, which
   * rights. Names are given as the notice shows them.
   */
  gap: {
    representative: string;
    dpo: string;
    basis: (purpose: string) => string;
    law: (purpose: string) => string;
    interest: (purpose: string) => string;
    mechanism: (recipient: string, country: string) => string;
    country: (recipient: string) => string;
    noTransfer: (recipient: string, country: string) => string;
    duration: (rule: string) => string;
    rights: (rights: readonly string[]) => string;
    channels: string;
    withdrawal: string;
    requirement: (purpose: string) => string;
    automated: string;
  };
  notApplicable: string;
  controller: string;
  name: string;
  businessId: string;
  address: string;
  phone: string;
  email: string;
  website: string;
  contactPerson: string;
  representative: string;
  dpo: string;
  subjects: string;
  purposes: string;
  legalBasis: string;
  basisArticle: Record<string, string>;
  law: string;
  legitimateInterest: string;
  categoriesUsed: string;
  retention: string;
  legitimateInterests: string;
  noLegitimateInterest: string;
  categories: string;
  category: string;
  description: string;
  fields: string;
  special: string;
  children: string;
  yes: string;
  no: string;
  sources: string;
  publicSource: string;
  recipients: string;
  noRecipients: string;
  recipient: string;
  role: string;
  country: string;
  forPurposes: string;
  transfers: string;
  noTransfers: string;
  safeguard: string;
  sccModule: (n: number) => string;
  derogation: string;
  safeguardCopy: (email: string) => string;
  retentionHeading: string;
  retentionIntro: string;
  rule: string;
  period: string;
  legalHolds: string;
  holdsIntro: string;
  heldCategories: string;
  keptFor: string;
  rights: string;
  rightsIntro: string;
  rightText: Record<Right, string>;
  howToRequest: string;
  channel: string;
  proof: string;
  channelKinds: Record<string, string>;
  proofs: Record<string, string>;
  strongerProof: string;
  requestPage: string;
  preferencePage: string;
  consent: string;
  consentText: string;
  consentPurposes: string;
  marketing: string;
  marketingIntro: string;
  marketingBases: Record<string, string>;
  allChannels: string;
  complaint: string;
  complaintText: string;
  requirement: string;
  profiling: string;
  profilingText: string;
  noProfiling: string;
  automated: string;
  /** The controller has appointed no data protection officer. */
  noDpo: string;
  requirementKinds: Record<
    'statutory' | 'contractual' | 'contract_precondition' | 'voluntary',
    string
  >;
  obliged: string;
  notObliged: string;
  consequences: string;
  requirementIntro: string;
  /** A purpose whose data all come from other sources: Art. 13(2)(e) does not apply. */
  notFromYou: string;
  noAutomated: string;
  automatedIntro: string;
  logic: string;
  significance: string;
  basedOnProfiling: string;
  automatedRights: string;
  security: string;
  noSecurity: string;
  cookies: string;
  noCookies: string;
  cookieName: string;
  provider: string;
  cookieCategory: string;
  cookiePurpose: string;
  duration: string;
  cookieCategories: Record<string, string>;
  gaps: string;
  gapsIntro: string;
  downloads: string;
  pdf: string;
  markdown: string;
  /** Records of processing (Art. 30). */
  recordsTitle: string;
  recordsIntro: string;
  processorTitle: string;
  processorIntro: string;
  processorFor: string;
  notStated: string;
  /** The section on processing done for customers (register.processorFor), and its lead. */
  asProcessor: string;
  asProcessorIntro: string;
  /** The Art. 30 records' representative of a controller established in the EU/EEA (Art. 27). */
  representativeNotNeeded: string;
  securityMeasures: string;
  /** The notice's own metadata (definition `notice`). */
  date: string;
  /** The date a published version took effect: its own date, on the portal page. */
  inForceFrom: string;
  nextReview: string;
  reviewInterval: string;
  changes: string;
  lawsCited: string;
  vatId: string;
  disclosures: string;
  supplies: string;
  /** Marks an open-ended category or purpose, stated as the register's notice states it. */
  openEnded: string;
}

const sv: NoticeMessages = {
  title: 'Dataskyddsbeskrivning',
  intro: (c, r) =>
    `Här berättar ${c} hur personuppgifterna i registret ”${r}” behandlas och vilka rättigheter du har (artiklarna 13 och 14 i dataskyddsförordningen).`,
  version: 'Version',
  publishedVersion: (n, d) => `version ${n}, daterad ${d}`,
  frozenVersion: (n, d) =>
    `Detta är dataskyddsbeskrivningen i version ${n}, daterad ${d}, så som den publicerades. Den kan ha ändrats sedan dess.`,
  inForce: 'Den gällande dataskyddsbeskrivningen',
  generated: 'Skapad ur registerbeskrivningen',
  unanswered: 'Registerbeskrivningen säger inget om detta ännu.',
  gap: {
    representative:
      'Den personuppgiftsansvarige är etablerad utanför EU/EES, men registerbeskrivningen nämner ännu inte dess företrädare i unionen.',
    dpo: 'Registerbeskrivningen säger ännu inte om ett dataskyddsombud har utsetts.',
    basis: (p) => `Den rättsliga grunden för ändamålet ”${p}” anges inte ännu.`,
    law: (p) =>
      `Lagen som ålägger den rättsliga förpliktelsen för ändamålet ”${p}” anges inte ännu.`,
    interest: (p) => `Det berättigade intresset för ändamålet ”${p}” anges inte ännu.`,
    mechanism: (r, c) =>
      `Skyddsåtgärden för överföringen till mottagaren ${r} i ${c} anges inte ännu.`,
    country: (r) => `I vilket land mottagaren ${r} finns anges inte ännu.`,
    noTransfer: (r, c) =>
      `Mottagaren ${r} finns i ${c}, utanför EU/EES, men skyddsåtgärden för överföringen anges inte ännu.`,
    duration: (rule) => `Hur länge uppgifterna sparas enligt regeln ”${rule}” anges inte ännu.`,
    rights: (list) =>
      `Registerbeskrivningen säger ännu inte om ${list.length === 1 ? 'följande rättighet gäller' : 'följande rättigheter gäller'}: ${list.join(', ')}.`,
    channels: 'Registerbeskrivningen anger ännu inte hur du kan framställa en begäran.',
    withdrawal:
      'Behandlingen grundar sig delvis på samtycke, men registerbeskrivningen säger ännu inte hur du kan återkalla ditt samtycke.',
    requirement: (p) => `För ändamålet ”${p}” anges inte ännu om du måste lämna uppgifterna.`,
    automated:
      'Registerbeskrivningen säger ännu inte om beslut fattas enbart genom automatiserad behandling.',
  },
  notApplicable: 'Gäller inte detta register.',
  controller: 'Personuppgiftsansvarig',
  name: 'Namn',
  businessId: 'FO-nummer',
  address: 'Adress',
  phone: 'Telefon',
  email: 'E-post',
  website: 'Webbplats',
  contactPerson: 'Kontaktperson',
  representative: 'Företrädare i unionen (art. 27)',
  dpo: 'Dataskyddsombud',
  subjects: 'Vems uppgifter vi behandlar',
  purposes: 'Ändamål och rättslig grund',
  legalBasis: 'Rättslig grund',
  basisArticle: {
    consent: 'art. 6.1 a',
    contract: 'art. 6.1 b',
    legal_obligation: 'art. 6.1 c',
    vital_interest: 'art. 6.1 d',
    public_task: 'art. 6.1 e',
    legitimate_interest: 'art. 6.1 f',
  },
  law: 'Lag',
  legitimateInterest: 'Berättigat intresse',
  categoriesUsed: 'Uppgifter som används',
  retention: 'Lagringstid',
  legitimateInterests: 'Berättigade intressen',
  noLegitimateInterest: 'Inget ändamål grundar sig på berättigat intresse.',
  categories: 'Kategorier av personuppgifter',
  category: 'Kategori',
  description: 'Beskrivning',
  fields: 'Uppgifter',
  special: 'Särskild kategori (art. 9)',
  children: 'Kan gälla barn',
  yes: 'ja',
  no: 'nej',
  sources: 'Varifrån uppgifterna kommer',
  publicSource: 'allmänt tillgänglig källa',
  recipients: 'Mottagare',
  noRecipients: 'Registerbeskrivningen nämner inga mottagare: vi lämnar inte ut uppgifterna.',
  recipient: 'Mottagare',
  role: 'Roll',
  country: 'Land',
  forPurposes: 'För ändamålen',
  transfers: 'Överföringar utanför EU/EES',
  noTransfers: 'Vi överför inte uppgifterna utanför EU/EES.',
  safeguard: 'Skyddsåtgärd',
  sccModule: (n) => `modul ${n} i standardavtalsklausulerna (EU) 2021/914`,
  derogation: 'Undantag',
  safeguardCopy: (e) => `Du kan få en kopia av skyddsåtgärderna genom att skriva till ${e}.`,
  retentionHeading: 'Hur länge uppgifterna sparas',
  retentionIntro: 'Uppgifterna sparas så länge som reglerna nedan säger, sedan raderas de.',
  rule: 'Regel',
  period: 'Tid',
  legalHolds: 'Uppgifter som lagen kräver att vi sparar',
  holdsIntro:
    'Dessa uppgifter sparas så länge lagen kräver det, också om du har bett att de raderas, och används då bara för ändamålet nedan.',
  heldCategories: 'Uppgifter',
  keptFor: 'Används endast för',
  rights: 'Dina rättigheter',
  rightsIntro:
    'Du kan använda dessa rättigheter avgiftsfritt. Vi svarar inom en månad; om begäran är svår eller det finns många kan tiden förlängas med högst två månader, och då får du veta varför.',
  rightText: {
    access: 'Du får veta om vi behandlar uppgifter om dig och får en kopia av dem (art. 15).',
    rectification:
      'Du kan be oss rätta felaktiga uppgifter och komplettera ofullständiga (art. 16).',
    erasure:
      'Du kan be oss radera uppgifter om dig, till exempel när de inte längre behövs (art. 17).',
    restriction:
      'Du kan be oss begränsa behandlingen, till exempel medan riktigheten utreds (art. 18).',
    portability:
      'Uppgifter du själv gett oss får du i maskinläsbar form, för att ta med dem till en annan tjänst (art. 20).',
    objection:
      'Du kan invända mot behandling som grundar sig på berättigat intresse, och alltid mot direktmarknadsföring (art. 21).',
    consent_withdrawal:
      'Du kan när som helst återkalla ett samtycke; det påverkar inte behandlingen före återkallelsen (art. 7.3).',
    marketing_prohibition:
      'Du kan förbjuda direktmarknadsföring till dig i alla kanaler eller i en kanal (art. 21.3, informationssamhällsbalken 917/2014).',
  },
  howToRequest: 'Så här gör du en begäran',
  channel: 'Sätt',
  proof: 'Så visar du vem du är',
  channelKinds: {
    portal: 'Webbportalen',
    email: 'E-post',
    postal: 'Brev',
    in_person: 'Personligen',
    phone: 'Telefon',
  },
  proofs: {
    email_link: 'en länk som skickas till din e-postadress hos oss',
    signed_letter: 'ett undertecknat brev',
    photo_id: 'ett identitetsdokument med foto',
    strong_eid: 'stark elektronisk identifiering',
  },
  strongerProof: 'Kräver starkare bevis',
  requestPage: 'Gör en begäran i portalen',
  preferencePage: 'Ändra dina val om marknadsföring',
  consent: 'Återkalla samtycke',
  consentText:
    'Där behandlingen grundar sig på ditt samtycke kan du återkalla det när som helst, lika lätt som du gav det. Behandlingen före återkallelsen förblir laglig.',
  consentPurposes: 'Ändamål som grundar sig på samtycke',
  marketing: 'Marknadsföring och dina val',
  marketingIntro: 'Vi marknadsför på dessa sätt; du kan ändra dina val när som helst.',
  marketingBases: {
    consent: 'endast med ditt samtycke',
    opt_out: 'tills du förbjuder det',
    soft_opt_in: 'till våra kunder om liknande produkter, tills du förbjuder det',
  },
  allChannels: 'alla kanaler',
  complaint: 'Klagomål till tillsynsmyndigheten',
  complaintText:
    'Om du anser att vi behandlar dina uppgifter i strid med lagen kan du klaga hos tillsynsmyndigheten (art. 77).',
  requirement: 'Måste du lämna uppgifterna?',
  profiling: 'Profilering',
  profilingText: 'Vi profilerar för dessa ändamål:',
  noProfiling: 'Registerbeskrivningen anger ingen profilering.',
  automated: 'Automatiserade beslut',
  noDpo: 'Den personuppgiftsansvarige har inte utsett något dataskyddsombud.',
  requirementKinds: {
    statutory: 'Lagstadgat krav',
    contractual: 'Avtalsenligt krav',
    contract_precondition: 'Krav för att ingå avtal',
    voluntary: 'Frivilligt',
  },
  obliged: 'Du är skyldig att lämna uppgifterna.',
  notObliged: 'Du är inte skyldig att lämna uppgifterna.',
  consequences: 'Om du inte lämnar dem',
  requirementIntro:
    'För varje ändamål: om det är ett lagstadgat eller avtalsenligt krav att lämna uppgifterna eller ett krav för att ingå avtal, om du är skyldig att lämna dem och vad som följer om du inte gör det.',
  notFromYou:
    'Uppgifterna samlas inte in från dig utan från andra källor, så du behöver inte lämna dem.',
  noAutomated:
    'Vi fattar inga beslut som enbart grundar sig på automatiserad behandling, inbegripet profilering, och som har rättsliga följder för dig eller på liknande sätt i betydande grad påverkar dig.',
  automatedIntro:
    'Vi fattar följande beslut som enbart grundar sig på automatiserad behandling och som har rättsliga eller liknande betydande följder för dig:',
  logic: 'Logiken',
  significance: 'Betydelse och förutsedda följder',
  basedOnProfiling: 'Beslutet grundar sig på profilering.',
  automatedRights:
    'Du har rätt att få ett beslut prövat av en människa, att framföra din synpunkt och att bestrida beslutet (artikel 22.3).',
  security: 'Hur uppgifterna skyddas',
  noSecurity: 'Registerbeskrivningen anger inga skyddsåtgärder.',
  cookies: 'Kakor',
  noCookies: 'Registerbeskrivningen anger inga kakor.',
  cookieName: 'Kaka',
  provider: 'Leverantör',
  cookieCategory: 'Typ',
  cookiePurpose: 'Ändamål',
  duration: 'Lagringstid',
  cookieCategories: {
    necessary: 'Nödvändig',
    preferences: 'Inställningar',
    statistics: 'Statistik',
    marketing: 'Marknadsföring',
  },
  gaps: 'Det här säger beskrivningen inte ännu',
  gapsIntro:
    'Dataskyddsförordningen kräver svar på dessa punkter, men registerbeskrivningen ger inget svar ännu:',
  downloads: 'Ladda ner',
  pdf: 'PDF',
  markdown: 'Markdown',
  recordsTitle: 'Register över behandling (art. 30.1)',
  recordsIntro:
    'Den personuppgiftsansvariges register över behandling, skapat ur registerbeskrivningen: en rad per ändamål.',
  processorTitle: 'Register över behandling som personuppgiftsbiträde (art. 30.2)',
  processorIntro:
    'Behandling som vi utför för våra kunders räkning, skapat ur registerbeskrivningen.',
  processorFor: 'För vems räkning och vad',
  notStated: 'anges inte',
  representativeNotNeeded: 'gäller inte (etablerad inom EU/EES)',
  asProcessor: 'Uppgifter som vi behandlar för våra kunders räkning',
  asProcessorIntro:
    'Vi behandlar också personuppgifter för våra kunders räkning, som deras personuppgiftsbiträde. För dessa uppgifter är kunderna personuppgiftsansvariga, och denna beskrivning gäller inte dem: vill du utöva dina rättigheter i fråga om dem, kontakta kunden i fråga.',
  date: 'Daterad',
  inForceFrom: 'Gäller från',
  nextReview: 'Nästa granskning',
  reviewInterval: 'Granskningsintervall',
  changes: 'Hur ändringar meddelas',
  lawsCited: 'Lagar som beskrivningen hänvisar till',
  vatId: 'Momsregistreringsnummer',
  disclosures: 'När uppgifter lämnas ut',
  supplies: 'lämnar',
  openEnded: 'öppet angiven',
  securityMeasures: 'Tekniska och organisatoriska skyddsåtgärder',
};

const fi: NoticeMessages = {
  title: 'Tietosuojaseloste',
  intro: (c, r) =>
    `Tässä ${c} kertoo, miten rekisterin ”${r}” henkilötietoja käsitellään ja mitä oikeuksia sinulla on (tietosuoja-asetuksen 13 ja 14 artikla).`,
  version: 'Versio',
  publishedVersion: (n, d) => `versio ${n}, päivätty ${d}`,
  frozenVersion: (n, d) =>
    `Tämä on tietosuojaselosteen versio ${n}, päivätty ${d}, sellaisena kuin se julkaistiin. Selostetta on voitu muuttaa sen jälkeen.`,
  inForce: 'Voimassa oleva tietosuojaseloste',
  generated: 'Laadittu rekisterin määrittelystä',
  unanswered: 'Rekisterin määrittely ei vielä kerro tätä.',
  gap: {
    representative:
      'Rekisterinpitäjä on sijoittautunut EU:n/ETA:n ulkopuolelle, mutta rekisterin määrittely ei vielä nimeä sen edustajaa unionissa.',
    dpo: 'Rekisterin määrittely ei vielä kerro, onko tietosuojavastaava nimetty.',
    basis: (p) => `Käyttötarkoituksen ”${p}” oikeusperustetta ei ole vielä kerrottu.`,
    law: (p) =>
      `Lakia, johon käyttötarkoituksen ”${p}” lakisääteinen velvoite perustuu, ei ole vielä kerrottu.`,
    interest: (p) => `Käyttötarkoituksen ”${p}” oikeutettua etua ei ole vielä kerrottu.`,
    mechanism: (r, c) => `Siirron suojatoimia ei ole vielä kerrottu: vastaanottaja ${r}, maa ${c}.`,
    country: (r) => `Sitä, missä maassa vastaanottaja ${r} on, ei ole vielä kerrottu.`,
    noTransfer: (r, c) =>
      `Vastaanottaja ${r} on EU:n/ETA:n ulkopuolella, maassa ${c}, mutta siirron suojatoimia ei ole vielä kerrottu.`,
    duration: (rule) => `Säilytysaikaa säännön ”${rule}” mukaan ei ole vielä kerrottu.`,
    rights: (list) =>
      `Rekisterin määrittely ei vielä kerro, ${list.length === 1 ? 'onko sinulla seuraava oikeus' : 'onko sinulla seuraavat oikeudet'}: ${list.join(', ')}.`,
    channels: 'Rekisterin määrittely ei vielä kerro, miten pyynnön voi tehdä.',
    withdrawal:
      'Käsittely perustuu osin suostumukseen, mutta rekisterin määrittely ei vielä kerro, miten suostumuksen voi peruuttaa.',
    requirement: (p) =>
      `Käyttötarkoituksen ”${p}” osalta ei ole vielä kerrottu, onko tietojen antaminen pakollista.`,
    automated:
      'Rekisterin määrittely ei vielä kerro, tehdäänkö pelkästään automaattiseen käsittelyyn perustuvia päätöksiä.',
  },
  notApplicable: 'Ei koske tätä rekisteriä.',
  controller: 'Rekisterinpitäjä',
  name: 'Nimi',
  businessId: 'Y-tunnus',
  address: 'Osoite',
  phone: 'Puhelin',
  email: 'Sähköposti',
  website: 'Verkkosivusto',
  contactPerson: 'Yhteyshenkilö',
  representative: 'Edustaja unionissa (27 art.)',
  dpo: 'Tietosuojavastaava',
  subjects: 'Keiden tietoja käsittelemme',
  purposes: 'Käsittelyn tarkoitukset ja oikeusperusteet',
  legalBasis: 'Oikeusperuste',
  basisArticle: {
    consent: '6 art. 1 a',
    contract: '6 art. 1 b',
    legal_obligation: '6 art. 1 c',
    vital_interest: '6 art. 1 d',
    public_task: '6 art. 1 e',
    legitimate_interest: '6 art. 1 f',
  },
  law: 'Laki',
  legitimateInterest: 'Oikeutettu etu',
  categoriesUsed: 'Käytettävät tiedot',
  retention: 'Säilytysaika',
  legitimateInterests: 'Oikeutetut edut',
  noLegitimateInterest: 'Mikään käsittelyn tarkoitus ei perustu oikeutettuun etuun.',
  categories: 'Henkilötietoryhmät',
  category: 'Ryhmä',
  description: 'Kuvaus',
  fields: 'Tiedot',
  special: 'Erityinen henkilötietoryhmä (9 art.)',
  children: 'Voi koskea lapsia',
  yes: 'kyllä',
  no: 'ei',
  sources: 'Mistä tiedot saadaan',
  publicSource: 'julkisesti saatavilla oleva lähde',
  recipients: 'Vastaanottajat',
  noRecipients: 'Rekisterin määrittely ei nimeä vastaanottajia: emme luovuta tietoja.',
  recipient: 'Vastaanottaja',
  role: 'Rooli',
  country: 'Maa',
  forPurposes: 'Tarkoituksiin',
  transfers: 'Siirrot EU:n ja ETA:n ulkopuolelle',
  noTransfers: 'Emme siirrä tietoja EU:n tai ETA:n ulkopuolelle.',
  safeguard: 'Suojatoimi',
  sccModule: (n) => `vakiosopimuslausekkeiden (EU) 2021/914 moduuli ${n}`,
  derogation: 'Poikkeus',
  safeguardCopy: (e) => `Saat jäljennöksen suojatoimista kirjoittamalla osoitteeseen ${e}.`,
  retentionHeading: 'Kuinka kauan tietoja säilytetään',
  retentionIntro: 'Tietoja säilytetään alla olevien sääntöjen mukaan, minkä jälkeen ne poistetaan.',
  rule: 'Sääntö',
  period: 'Aika',
  legalHolds: 'Tiedot, jotka laki velvoittaa säilyttämään',
  holdsIntro:
    'Näitä tietoja säilytetään niin kauan kuin laki vaatii, vaikka olisit pyytänyt niiden poistamista, ja niitä käytetään silloin vain alla mainittuun tarkoitukseen.',
  heldCategories: 'Tiedot',
  keptFor: 'Käytetään vain',
  rights: 'Oikeutesi',
  rightsIntro:
    'Voit käyttää näitä oikeuksia maksutta. Vastaamme kuukauden kuluessa; jos pyyntö on vaikea tai pyyntöjä on paljon, aikaa voidaan jatkaa enintään kahdella kuukaudella, ja kerromme silloin syyn.',
  rightText: {
    access:
      'Saat tietää, käsittelemmekö sinua koskevia tietoja, ja saat niistä jäljennöksen (15 art.).',
    rectification:
      'Voit pyytää meitä korjaamaan virheelliset ja täydentämään puutteelliset tiedot (16 art.).',
    erasure:
      'Voit pyytää meitä poistamaan tietosi, esimerkiksi kun niitä ei enää tarvita (17 art.).',
    restriction:
      'Voit pyytää meitä rajoittamaan käsittelyä, esimerkiksi sen ajan, kun tietojen oikeellisuutta selvitetään (18 art.).',
    portability:
      'Itse antamasi tiedot saat koneluettavassa muodossa, jotta voit viedä ne toiseen palveluun (20 art.).',
    objection:
      'Voit vastustaa oikeutettuun etuun perustuvaa käsittelyä ja aina suoramarkkinointia (21 art.).',
    consent_withdrawal:
      'Voit peruuttaa suostumuksesi milloin tahansa; peruuttaminen ei vaikuta sitä ennen tehtyyn käsittelyyn (7 art. 3 kohta).',
    marketing_prohibition:
      'Voit kieltää sinuun kohdistuvan suoramarkkinoinnin kaikissa kanavissa tai yhdessä kanavassa (21 art. 3 kohta, tietoyhteiskuntakaari 917/2014).',
  },
  howToRequest: 'Näin teet pyynnön',
  channel: 'Tapa',
  proof: 'Näin osoitat henkilöllisyytesi',
  channelKinds: {
    portal: 'Verkkoportaali',
    email: 'Sähköposti',
    postal: 'Kirje',
    in_person: 'Henkilökohtaisesti',
    phone: 'Puhelin',
  },
  proofs: {
    email_link: 'linkki, joka lähetetään meillä olevaan sähköpostiosoitteeseesi',
    signed_letter: 'allekirjoitettu kirje',
    photo_id: 'kuvallinen henkilöllisyystodistus',
    strong_eid: 'vahva sähköinen tunnistautuminen',
  },
  strongerProof: 'Vaatii vahvemman tunnistamisen',
  requestPage: 'Tee pyyntö portaalissa',
  preferencePage: 'Muuta markkinointivalintojasi',
  consent: 'Suostumuksen peruuttaminen',
  consentText:
    'Kun käsittely perustuu suostumukseesi, voit peruuttaa sen milloin tahansa yhtä helposti kuin annoit sen. Sitä ennen tehty käsittely pysyy lainmukaisena.',
  consentPurposes: 'Suostumukseen perustuvat tarkoitukset',
  marketing: 'Markkinointi ja valintasi',
  marketingIntro: 'Markkinoimme näillä tavoilla; voit muuttaa valintojasi milloin tahansa.',
  marketingBases: {
    consent: 'vain suostumuksellasi',
    opt_out: 'kunnes kiellät sen',
    soft_opt_in: 'asiakkaillemme samankaltaisista tuotteista, kunnes kiellät sen',
  },
  allChannels: 'kaikki kanavat',
  complaint: 'Valitus valvontaviranomaiselle',
  complaintText:
    'Jos katsot, että käsittelemme tietojasi lainvastaisesti, voit tehdä valituksen valvontaviranomaiselle (77 art.).',
  requirement: 'Onko tietojen antaminen pakollista?',
  profiling: 'Profilointi',
  profilingText: 'Profiloimme näihin tarkoituksiin:',
  noProfiling: 'Rekisterin määrittely ei ilmoita profilointia.',
  automated: 'Automaattiset päätökset',
  noDpo: 'Rekisterinpitäjä ei ole nimittänyt tietosuojavastaavaa.',
  requirementKinds: {
    statutory: 'Lakisääteinen vaatimus',
    contractual: 'Sopimukseen perustuva vaatimus',
    contract_precondition: 'Sopimuksen tekemisen edellytys',
    voluntary: 'Vapaaehtoinen',
  },
  obliged: 'Olet velvollinen antamaan tiedot.',
  notObliged: 'Et ole velvollinen antamaan tietoja.',
  consequences: 'Jos et anna niitä',
  requirementIntro:
    'Kunkin käyttötarkoituksen osalta: onko tietojen antaminen lakisääteinen tai sopimukseen perustuva vaatimus tai sopimuksen tekemisen edellytys, oletko velvollinen antamaan tiedot ja mitä seuraa, jos et anna niitä.',
  notFromYou:
    'Tietoja ei kerätä sinulta vaan muista lähteistä, joten sinun ei tarvitse antaa niitä.',
  noAutomated:
    'Emme tee päätöksiä, jotka perustuvat pelkästään automaattiseen käsittelyyn, kuten profilointiin, ja joilla on sinua koskevia oikeusvaikutuksia tai jotka vaikuttavat sinuun vastaavalla tavalla merkittävästi.',
  automatedIntro:
    'Teemme seuraavat pelkästään automaattiseen käsittelyyn perustuvat päätökset, joilla on sinuun oikeusvaikutuksia tai vastaavia merkittäviä vaikutuksia:',
  logic: 'Käsittelyn logiikka',
  significance: 'Merkitys ja arvioidut seuraukset',
  basedOnProfiling: 'Päätös perustuu profilointiin.',
  automatedRights:
    'Sinulla on oikeus vaatia, että päätöksen tarkastaa ihminen, esittää kantasi ja riitauttaa päätös (22 artiklan 3 kohta).',
  security: 'Miten tiedot suojataan',
  noSecurity: 'Rekisterin määrittely ei ilmoita suojatoimia.',
  cookies: 'Evästeet',
  noCookies: 'Rekisterin määrittely ei ilmoita evästeitä.',
  cookieName: 'Eväste',
  provider: 'Tarjoaja',
  cookieCategory: 'Tyyppi',
  cookiePurpose: 'Tarkoitus',
  duration: 'Säilytysaika',
  cookieCategories: {
    necessary: 'Välttämätön',
    preferences: 'Asetukset',
    statistics: 'Tilastointi',
    marketing: 'Markkinointi',
  },
  gaps: 'Mitä määrittely ei vielä kerro',
  gapsIntro:
    'Tietosuoja-asetus edellyttää vastausta näihin kohtiin, mutta rekisterin määrittely ei vielä anna sitä:',
  downloads: 'Lataa',
  pdf: 'PDF',
  markdown: 'Markdown',
  recordsTitle: 'Seloste käsittelytoimista (30 art. 1 kohta)',
  recordsIntro:
    'Rekisterinpitäjän seloste käsittelytoimista, laadittu rekisterin määrittelystä: rivi kutakin käsittelyn tarkoitusta kohti.',
  processorTitle: 'Seloste käsittelijänä tehtävistä käsittelytoimista (30 art. 2 kohta)',
  processorIntro: 'Käsittely, jota teemme asiakkaidemme lukuun, laadittu rekisterin määrittelystä.',
  processorFor: 'Kenen lukuun ja mitä',
  notStated: 'ei ilmoitettu',
  representativeNotNeeded: 'ei sovellu (sijoittautunut EU- tai ETA-alueelle)',
  asProcessor: 'Tiedot, joita käsittelemme asiakkaidemme lukuun',
  asProcessorIntro:
    'Käsittelemme henkilötietoja myös asiakkaidemme lukuun, heidän henkilötietojen käsittelijänään. Näiden tietojen rekisterinpitäjiä ovat asiakkaamme, eikä tämä seloste koske niitä: jos haluat käyttää oikeuksiasi niihin, ota yhteyttä kyseiseen asiakkaaseen.',
  date: 'Päivätty',
  inForceFrom: 'Voimassa alkaen',
  nextReview: 'Seuraava tarkistus',
  reviewInterval: 'Tarkistusväli',
  changes: 'Miten muutoksista ilmoitetaan',
  lawsCited: 'Lait, joihin seloste viittaa',
  vatId: 'ALV-tunniste',
  disclosures: 'Milloin tietoja luovutetaan',
  supplies: 'antaa',
  openEnded: 'avoimesti määritelty',
  securityMeasures: 'Tekniset ja organisatoriset suojatoimet',
};

const en: NoticeMessages = {
  title: 'Privacy notice',
  intro: (c, r) =>
    `${c} tells here how the personal data in the register “${r}” are processed and what rights you have (Articles 13 and 14 of the General Data Protection Regulation).`,
  version: 'Version',
  publishedVersion: (n, d) => `version ${n}, dated ${d}`,
  frozenVersion: (n, d) =>
    `This is version ${n} of the privacy notice, dated ${d}, as it was published. It may have changed since.`,
  inForce: 'The privacy notice in force',
  generated: 'Made from the register definition',
  unanswered: 'The register definition does not say this yet.',
  gap: {
    representative:
      'The controller is established outside the EU/EEA, but the register definition does not yet name its representative in the Union.',
    dpo: 'The register definition does not yet say whether a data protection officer has been appointed.',
    basis: (p) => `The legal basis of the purpose “${p}” is not stated yet.`,
    law: (p) =>
      `The law that imposes the legal obligation of the purpose “${p}” is not stated yet.`,
    interest: (p) => `The legitimate interest of the purpose “${p}” is not stated yet.`,
    mechanism: (r, c) =>
      `The safeguard for the transfer to the recipient ${r} in ${c} is not stated yet.`,
    country: (r) => `The country of the recipient ${r} is not stated yet.`,
    noTransfer: (r, c) =>
      `The recipient ${r} is in ${c}, outside the EU/EEA, but the safeguard for the transfer is not stated yet.`,
    duration: (rule) => `How long the data are kept under the rule “${rule}” is not stated yet.`,
    rights: (list) =>
      `The register definition does not yet say whether you have ${list.length === 1 ? 'this right' : 'these rights'}: ${list.join(', ')}.`,
    channels: 'The register definition does not yet say how to make a request.',
    withdrawal:
      'Processing rests partly on consent, but the register definition does not yet say how to withdraw it.',
    requirement: (p) =>
      `For the purpose “${p}”, whether you must provide the data is not stated yet.`,
    automated:
      'The register definition does not yet say whether decisions are made solely by automated means.',
  },
  notApplicable: 'Does not apply to this register.',
  controller: 'Controller',
  name: 'Name',
  businessId: 'Business ID',
  address: 'Address',
  phone: 'Phone',
  email: 'E-mail',
  website: 'Website',
  contactPerson: 'Contact person',
  representative: 'Representative in the Union (Art. 27)',
  dpo: 'Data protection officer',
  subjects: 'Whose data we process',
  purposes: 'Purposes and legal bases',
  legalBasis: 'Legal basis',
  basisArticle: {
    consent: 'Art. 6(1)(a)',
    contract: 'Art. 6(1)(b)',
    legal_obligation: 'Art. 6(1)(c)',
    vital_interest: 'Art. 6(1)(d)',
    public_task: 'Art. 6(1)(e)',
    legitimate_interest: 'Art. 6(1)(f)',
  },
  law: 'Law',
  legitimateInterest: 'Legitimate interest',
  categoriesUsed: 'Data used',
  retention: 'Kept for',
  legitimateInterests: 'Legitimate interests',
  noLegitimateInterest: 'No purpose rests on a legitimate interest.',
  categories: 'Categories of personal data',
  category: 'Category',
  description: 'Description',
  fields: 'Data',
  special: 'Special category (Art. 9)',
  children: 'May concern children',
  yes: 'yes',
  no: 'no',
  sources: 'Where the data come from',
  publicSource: 'a publicly accessible source',
  recipients: 'Recipients',
  noRecipients: 'The register definition names no recipients: we do not disclose the data.',
  recipient: 'Recipient',
  role: 'Role',
  country: 'Country',
  forPurposes: 'For the purposes',
  transfers: 'Transfers outside the EU/EEA',
  noTransfers: 'We do not transfer the data outside the EU/EEA.',
  safeguard: 'Safeguard',
  sccModule: (n) => `module ${n} of the standard contractual clauses (EU) 2021/914`,
  derogation: 'Derogation',
  safeguardCopy: (e) => `You can get a copy of the safeguards by writing to ${e}.`,
  retentionHeading: 'How long the data are kept',
  retentionIntro: 'The data are kept as long as the rules below say, then deleted.',
  rule: 'Rule',
  period: 'Period',
  legalHolds: 'Data the law requires us to keep',
  holdsIntro:
    'These data are kept as long as the law requires, even if you have asked for them to be erased, and are then used only for the purpose below.',
  heldCategories: 'Data',
  keptFor: 'Used only for',
  rights: 'Your rights',
  rightsIntro:
    'Using these rights costs you nothing. We answer within a month; if a request is complex or there are many, the time may be extended by at most two months, and we tell you why.',
  rightText: {
    access: 'You may know whether we process data about you and get a copy of them (Art. 15).',
    rectification:
      'You may ask us to correct inaccurate data and complete incomplete data (Art. 16).',
    erasure:
      'You may ask us to erase data about you, for example when they are no longer needed (Art. 17).',
    restriction:
      'You may ask us to restrict processing, for example while the accuracy of the data is checked (Art. 18).',
    portability:
      'Data you gave us yourself you may get in a machine-readable form, to take them to another service (Art. 20).',
    objection:
      'You may object to processing based on a legitimate interest, and always to direct marketing (Art. 21).',
    consent_withdrawal:
      'You may withdraw a consent at any time; this does not affect processing before the withdrawal (Art. 7(3)).',
    marketing_prohibition:
      'You may prohibit direct marketing to you on every channel or on one (Art. 21(3), Information Society Code 917/2014).',
  },
  howToRequest: 'How to make a request',
  channel: 'Way',
  proof: 'How you show who you are',
  channelKinds: {
    portal: 'The web portal',
    email: 'E-mail',
    postal: 'Letter',
    in_person: 'In person',
    phone: 'Phone',
  },
  proofs: {
    email_link: 'a link sent to the e-mail address we hold for you',
    signed_letter: 'a signed letter',
    photo_id: 'a photo identity document',
    strong_eid: 'strong electronic identification',
  },
  strongerProof: 'Needs stronger proof',
  requestPage: 'Make a request in the portal',
  preferencePage: 'Change your marketing choices',
  consent: 'Withdrawing consent',
  consentText:
    'Where processing rests on your consent, you may withdraw it at any time, as easily as you gave it. Processing before the withdrawal remains lawful.',
  consentPurposes: 'Purposes that rest on consent',
  marketing: 'Marketing and your choices',
  marketingIntro: 'We market in these ways; you may change your choices at any time.',
  marketingBases: {
    consent: 'only with your consent',
    opt_out: 'until you prohibit it',
    soft_opt_in: 'to our customers about similar products, until you prohibit it',
  },
  allChannels: 'every channel',
  complaint: 'Complaint to the supervisory authority',
  complaintText:
    'If you think we process your data against the law, you may lodge a complaint with the supervisory authority (Art. 77).',
  requirement: 'Must you give the data?',
  profiling: 'Profiling',
  profilingText: 'We profile for these purposes:',
  noProfiling: 'The register definition declares no profiling.',
  automated: 'Automated decisions',
  noDpo: 'The controller has not appointed a data protection officer.',
  requirementKinds: {
    statutory: 'Statutory requirement',
    contractual: 'Contractual requirement',
    contract_precondition: 'Requirement to enter into a contract',
    voluntary: 'Voluntary',
  },
  obliged: 'You are obliged to provide the data.',
  notObliged: 'You are not obliged to provide the data.',
  consequences: 'If you do not provide them',
  requirementIntro:
    'For each purpose: whether providing the data is a statutory or contractual requirement or a requirement to enter into a contract, whether you are obliged to provide them, and what follows if you do not.',
  notFromYou:
    'The data are not collected from you but from other sources, so you need not provide them.',
  noAutomated:
    'We make no decisions based solely on automated processing, including profiling, that produce legal effects concerning you or similarly significantly affect you.',
  automatedIntro:
    'We make the following decisions based solely on automated processing that produce legal or similarly significant effects for you:',
  logic: 'The logic involved',
  significance: 'Significance and envisaged consequences',
  basedOnProfiling: 'The decision rests on profiling.',
  automatedRights:
    'You have the right to have a person review the decision, to express your point of view and to contest the decision (Article 22(3)).',
  security: 'How the data are protected',
  noSecurity: 'The register definition states no security measures.',
  cookies: 'Cookies',
  noCookies: 'The register definition lists no cookies.',
  cookieName: 'Cookie',
  provider: 'Provider',
  cookieCategory: 'Kind',
  cookiePurpose: 'Purpose',
  duration: 'Kept for',
  cookieCategories: {
    necessary: 'Necessary',
    preferences: 'Preferences',
    statistics: 'Statistics',
    marketing: 'Marketing',
  },
  gaps: 'What the definition does not say yet',
  gapsIntro:
    'The General Data Protection Regulation asks for an answer to these items, but the register definition gives none yet:',
  downloads: 'Download',
  pdf: 'PDF',
  markdown: 'Markdown',
  recordsTitle: 'Records of processing activities (Art. 30(1))',
  recordsIntro:
    'The controller’s records of processing, made from the register definition: one row per purpose.',
  processorTitle: 'Records of processing as a processor (Art. 30(2))',
  processorIntro:
    'Processing we carry out on behalf of our customers, made from the register definition.',
  processorFor: 'On whose behalf and what',
  notStated: 'not stated',
  representativeNotNeeded: 'not applicable (established in the EU/EEA)',
  asProcessor: 'Data we process on behalf of our customers',
  asProcessorIntro:
    'We also process personal data on behalf of our customers, as their processor. Our customers are the controllers of that data, and this notice does not cover it: to use your rights over it, contact the customer concerned.',
  date: 'Dated',
  inForceFrom: 'In force from',
  nextReview: 'Next review',
  reviewInterval: 'Review interval',
  changes: 'How changes are announced',
  lawsCited: 'Laws the notice cites',
  vatId: 'VAT number',
  disclosures: 'When data are disclosed',
  supplies: 'supplies',
  openEnded: 'open-ended',
  securityMeasures: 'Technical and organisational security measures',
};

export const noticeMessages: Record<NoticeLang, NoticeMessages> = { sv, fi, en };
