/**
 * The words of the access package (HTML, PDF and CSV headings) in the three languages every notice
 * is published in. Texts from the register definition come in its own three languages; these are
 * only the frame around them.
 */
export const PACKAGE_LANGS = ['sv', 'fi', 'en'] as const;
export type PackageLang = (typeof PACKAGE_LANGS)[number];

type Terms<K extends string> = Record<K, string>;

export interface PackageMessages {
  title: string;
  intro: string;
  exportedAt: string;
  controller: string;
  businessId: string;
  address: string;
  email: string;
  phone: string;
  website: string;
  dpo: string;
  you: string;
  subjectId: string;
  inRegisterSince: string;
  lastChanged: string;
  restricted: string;
  restrictedYes: string;
  restrictedNo: string;
  restrictionReason: string;
  contents: string;
  categories: string;
  noData: string;
  values: string;
  value: string;
  field: string;
  source: string;
  collected: string;
  collectedFor: string;
  purposes: string;
  legalBasis: string;
  legitimateInterest: string;
  law: string;
  retention: string;
  sources: string;
  recipients: string;
  noRecipients: string;
  role: string;
  country: string;
  transfer: string;
  transferTo: string;
  sccModule: string;
  legalHolds: string;
  holdKeptFor: string;
  history: string;
  noHistory: string;
  permissions: string;
  permissionsIntro: string;
  noPermissions: string;
  permissionHistory: string;
  kind: string;
  channel: string;
  allChannels: string;
  state: string;
  method: string;
  wordingShown: string;
  permissionStates: Record<string, string>;
  permissionMethods: Record<string, string>;
  changed: string;
  oldValue: string;
  newValue: string;
  reason: string;
  rights: string;
  rightsIntro: string;
  complaint: string;
  complaintText: string;
  accessLog: string;
  accessLogIntro: string;
  noAccessLog: string;
  when: string;
  what: string;
  byRole: string;
  files: string;
  filesText: string;
  portableText: string;
  truncated: string;
  unknownSource: string;
  yes: string;
  no: string;
  legalBases: Terms<
    | 'consent'
    | 'contract'
    | 'legal_obligation'
    | 'vital_interest'
    | 'public_task'
    | 'legitimate_interest'
    | 'unknown'
  >;
  sourceKinds: Terms<
    'subject' | 'public_register' | 'social_network' | 'partner' | 'automatic' | 'staff'
  >;
  roles: Terms<
    'processor' | 'subprocessor' | 'controller' | 'joint_controller' | 'authority' | 'other'
  >;
  mechanisms: Terms<
    | 'adequacy'
    | 'dpf'
    | 'scc'
    | 'bcr'
    | 'derogation'
    | 'privacy_shield'
    | 'safe_harbor'
    | 'unknown'
    | 'none'
  >;
  /** A retention period the definition does not state. */
  retentionUnknown: string;
  events: Terms<
    | 'collection'
    | 'end_of_relationship'
    | 'last_activity'
    | 'end_of_financial_year'
    | 'withdrawal'
    | 'request_closed'
  >;
  rightNames: Terms<
    | 'access'
    | 'rectification'
    | 'erasure'
    | 'restriction'
    | 'portability'
    | 'objection'
    | 'consent_withdrawal'
    | 'marketing_prohibition'
  >;
  /** The person's stops and their requests. */
  stopsHeading: string;
  stopsIntro: string;
  noStops: string;
  purpose: string;
  stoppedBecause: string;
  since: string;
  stopReasons: Terms<'objection' | 'consent_withdrawal' | 'marketing_prohibition'>;
  groundsHeading: string;
  groundsIntro: string;
  grounds: string;
  requestsHeading: string;
  requestsIntro: string;
  noRequests: string;
  requestType: string;
  requestChannel: string;
  received: string;
  identityProven: string;
  dueOn: string;
  originalDueOn: string;
  status: string;
  closed: string;
  contactGiven: string;
  yourWords: string;
  refusalReason: string;
  extensionReason: string;
  step: string;
  requestTypes: Terms<
    | 'access'
    | 'rectification'
    | 'erasure'
    | 'restriction'
    | 'restriction_lift'
    | 'portability'
    | 'objection'
    | 'consent_withdrawal'
    | 'marketing_prohibition'
  >;
  channels: Terms<'portal' | 'email' | 'postal' | 'in_person' | 'phone'>;
  requestStates: Terms<
    'received' | 'identity_pending' | 'in_progress' | 'completed' | 'refused' | 'cancelled'
  >;
  /** The steps of a request a person sees (requests.service.ts PERSON_STEPS). */
  steps: Terms<
    | 'received'
    | 'identity_pending'
    | 'identity'
    | 'in_progress'
    | 'extended'
    | 'told_before_lifting'
    | 'download_link'
    | 'downloaded'
    | 'delivered'
    | 'completed'
    | 'refused'
    | 'cancelled'
  >;
  /** "2 years from the end of the financial year" */
  durationFrom: (duration: string, event: string) => string;
  units: { Y: [string, string]; M: [string, string]; W: [string, string]; D: [string, string] };
}

const en: PackageMessages = {
  title: 'Copy of your personal data',
  intro:
    'This is a copy of all the personal data we hold about you, with why we hold it, where it came from, who receives it and how long it is kept (Article 15 of the General Data Protection Regulation).',
  exportedAt: 'Copy made',
  controller: 'Controller',
  businessId: 'Business ID',
  address: 'Address',
  email: 'E-mail',
  phone: 'Phone',
  website: 'Website',
  dpo: 'Data protection officer',
  you: 'You in the register',
  subjectId: 'Your identifier in the register',
  inRegisterSince: 'In the register since',
  lastChanged: 'Last changed',
  restricted: 'Processing restricted',
  restrictedYes: 'Yes: your data are only processed for the purposes allowed under restriction',
  restrictedNo: 'No',
  restrictionReason: 'Reason for the restriction',
  contents: 'Contents',
  categories: 'Your data by category',
  noData: 'We hold no values about you.',
  values: 'Values',
  value: 'Value',
  field: 'Field',
  source: 'Source',
  collected: 'Collected',
  collectedFor: 'Collected for',
  purposes: 'Purposes and legal bases',
  legalBasis: 'Legal basis',
  legitimateInterest: 'Legitimate interest',
  law: 'Law',
  retention: 'Kept',
  sources: 'Sources',
  recipients: 'Recipients',
  noRecipients: 'This category is not disclosed to anyone.',
  role: 'Role',
  country: 'Country',
  transfer: 'Transfer outside the EU/EEA',
  transferTo: 'to',
  sccModule: 'module',
  legalHolds: 'Kept by law even after erasure',
  holdKeptFor: 'readable only for',
  history: 'Changes to your data',
  permissions: 'Marketing permissions',
  permissionsIntro:
    'What you have allowed or refused for each kind of marketing and each channel, and every change with how it was made.',
  noPermissions: 'No marketing permission or refusal has been recorded.',
  permissionHistory: 'Changes to your permissions',
  kind: 'Kind',
  channel: 'Channel',
  allChannels: 'all channels',
  state: 'State',
  method: 'How',
  wordingShown: 'Text shown',
  permissionStates: {
    granted: 'granted',
    refused: 'refused',
    withdrawn: 'withdrawn',
    objected: 'objected',
    pending: 'awaiting confirmation',
  },
  permissionMethods: {
    form: 'form',
    import: 'import',
    staff: 'by our staff',
    unsubscribe_link: 'unsubscribe link',
    api: 'interface',
    request: 'your request',
    double_opt_in: 'confirmation link',
    preference_page: 'preference page',
  },
  noHistory: 'No changes have been made.',
  changed: 'Changed',
  oldValue: 'Before',
  newValue: 'After',
  reason: 'Reason',
  rights: 'Your rights',
  rightsIntro:
    'You may use the following rights. Contact the controller at the addresses above; we answer within one month.',
  complaint: 'Complaints',
  complaintText:
    'If you think your personal data are processed unlawfully, you have the right to lodge a complaint with the supervisory authority:',
  accessLog: 'Who has processed your data',
  accessLogIntro: 'Every read and change of your data, as our access log records it.',
  noAccessLog: 'No entries.',
  when: 'When',
  what: 'What',
  byRole: 'By',
  files: 'Files in this package',
  filesText:
    'access-copy.json holds the whole copy in machine-readable form; data.csv one row per value; this page and access-copy.pdf the same content to read.',
  portableText:
    'portable.json and portable.csv hold the data you gave us yourself, in a structured, machine-readable form you may take to another service (Article 20).',
  truncated: 'shortened here; the whole value is in access-copy.json',
  unknownSource: 'a source no longer described',
  yes: 'yes',
  no: 'no',
  legalBases: {
    consent: 'Consent',
    contract: 'Contract',
    legal_obligation: 'Legal obligation',
    vital_interest: 'Vital interest',
    public_task: 'Task in the public interest',
    legitimate_interest: 'Legitimate interest',
    unknown: 'Not stated in the register',
  },
  sourceKinds: {
    subject: 'You',
    public_register: 'Public register',
    social_network: 'Social network',
    partner: 'Partner',
    automatic: 'Collected automatically',
    staff: 'Our staff',
  },
  roles: {
    processor: 'Processor',
    subprocessor: 'Sub-processor',
    controller: 'Controller',
    joint_controller: 'Joint controller',
    authority: 'Authority',
    other: 'Other recipient',
  },
  mechanisms: {
    adequacy: 'Adequacy decision of the European Commission',
    dpf: 'EU-US Data Privacy Framework',
    scc: 'Standard contractual clauses',
    bcr: 'Binding corporate rules',
    derogation: 'Derogation for a specific situation (Art. 49)',
    privacy_shield: 'Privacy Shield (no longer valid)',
    safe_harbor: 'Safe Harbor (no longer valid)',
    unknown: 'safeguard not stated',
    none: 'no safeguard stated',
  },
  retentionUnknown: 'the period is not stated',
  events: {
    collection: 'collection',
    end_of_relationship: 'the end of the customer relationship',
    last_activity: 'the last activity',
    end_of_financial_year: 'the end of the financial year',
    withdrawal: 'the withdrawal of consent',
    request_closed: 'the closing of the request',
  },
  rightNames: {
    access: 'Right of access',
    rectification: 'Right to rectification',
    erasure: 'Right to erasure',
    restriction: 'Right to restriction of processing',
    portability: 'Right to data portability',
    objection: 'Right to object',
    consent_withdrawal: 'Right to withdraw consent',
    marketing_prohibition: 'Right to prohibit direct marketing',
  },
  stopsHeading: 'Your objections, withdrawals of consent and marketing prohibitions',
  stopsIntro: 'We do not process your data for these purposes.',
  noStops:
    'You have not objected to processing, withdrawn a consent or prohibited direct marketing.',
  purpose: 'Purpose',
  stoppedBecause: 'Stopped because',
  since: 'Since',
  stopReasons: {
    objection: 'you objected (Article 21)',
    consent_withdrawal: 'you withdrew your consent',
    marketing_prohibition: 'you prohibited direct marketing',
  },
  groundsHeading: 'Processing that goes on despite your objection',
  groundsIntro:
    'For these purposes we recorded compelling legitimate grounds that override your objection, and told you of them.',
  grounds: 'Grounds',
  requestsHeading: 'Your requests',
  requestsIntro:
    'The requests you have made about your data, and each step of their handling. The names of our staff and their internal notes are not shown.',
  noRequests: 'You have made no requests about your data.',
  requestType: 'Request',
  requestChannel: 'Made by',
  received: 'Received',
  identityProven: 'Identity confirmed',
  dueOn: 'To be answered by',
  originalDueOn: 'First due date',
  status: 'Status',
  closed: 'Closed',
  contactGiven: 'Contact details given',
  yourWords: 'What you wrote',
  refusalReason: 'Reason for refusal',
  extensionReason: 'Reason for more time',
  step: 'Step',
  requestTypes: {
    access: 'Access to your data',
    rectification: 'Rectification',
    erasure: 'Erasure',
    restriction: 'Restriction of processing',
    restriction_lift: 'Lifting a restriction',
    portability: 'Data portability',
    objection: 'Objection',
    consent_withdrawal: 'Withdrawal of consent',
    marketing_prohibition: 'Direct-marketing prohibition',
  },
  channels: {
    portal: 'the web form',
    email: 'e-mail',
    postal: 'letter',
    in_person: 'in person',
    phone: 'phone',
  },
  requestStates: {
    received: 'Received',
    identity_pending: 'Waiting for identity confirmation',
    in_progress: 'Being handled',
    completed: 'Completed',
    refused: 'Refused',
    cancelled: 'Cancelled',
  },
  steps: {
    received: 'Request received',
    identity_pending: 'Waiting for identity confirmation',
    identity: 'Identity confirmed',
    in_progress: 'Handling started',
    extended: 'Answer time extended',
    told_before_lifting: 'You were told before the restriction was lifted',
    download_link: 'Download link sent',
    downloaded: 'Copy downloaded',
    delivered: 'Printed copy posted or handed over',
    completed: 'Completed',
    refused: 'Refused',
    cancelled: 'Cancelled',
  },
  durationFrom: (d, e) => `${d} from ${e}`,
  units: { Y: ['year', 'years'], M: ['month', 'months'], W: ['week', 'weeks'], D: ['day', 'days'] },
};

const sv: PackageMessages = {
  title: 'Kopia av dina personuppgifter',
  intro:
    'Detta är en kopia av alla personuppgifter vi har om dig, med varför vi har dem, varifrån de kommer, vem som får dem och hur länge de sparas (artikel 15 i dataskyddsförordningen).',
  exportedAt: 'Kopian gjord',
  controller: 'Personuppgiftsansvarig',
  businessId: 'FO-nummer',
  address: 'Adress',
  email: 'E-post',
  phone: 'Telefon',
  website: 'Webbplats',
  dpo: 'Dataskyddsombud',
  you: 'Du i registret',
  subjectId: 'Din identifierare i registret',
  inRegisterSince: 'I registret sedan',
  lastChanged: 'Senast ändrad',
  restricted: 'Behandlingen begränsad',
  restrictedYes: 'Ja: dina uppgifter behandlas bara för ändamål som är tillåtna under begränsning',
  restrictedNo: 'Nej',
  restrictionReason: 'Orsak till begränsningen',
  contents: 'Innehåll',
  categories: 'Dina uppgifter per kategori',
  noData: 'Vi har inga uppgifter om dig.',
  values: 'Uppgifter',
  value: 'Värde',
  field: 'Fält',
  source: 'Källa',
  collected: 'Insamlad',
  collectedFor: 'Insamlad för',
  purposes: 'Ändamål och rättslig grund',
  legalBasis: 'Rättslig grund',
  legitimateInterest: 'Berättigat intresse',
  law: 'Lag',
  retention: 'Sparas',
  sources: 'Källor',
  recipients: 'Mottagare',
  noRecipients: 'Uppgifterna i denna kategori lämnas inte ut till någon.',
  role: 'Roll',
  country: 'Land',
  transfer: 'Överföring utanför EU/EES',
  transferTo: 'till',
  sccModule: 'modul',
  legalHolds: 'Sparas enligt lag även efter radering',
  holdKeptFor: 'läsbar endast för',
  history: 'Ändringar i dina uppgifter',
  permissions: 'Marknadsföringstillstånd',
  permissionsIntro:
    'Vad du har tillåtit eller förbjudit för varje slag av marknadsföring och varje kanal, och varje ändring med hur den gjordes.',
  noPermissions: 'Inga tillstånd eller förbud för marknadsföring har registrerats.',
  permissionHistory: 'Ändringar i dina tillstånd',
  kind: 'Slag',
  channel: 'Kanal',
  allChannels: 'alla kanaler',
  state: 'Läge',
  method: 'Hur',
  wordingShown: 'Text som visades',
  permissionStates: {
    granted: 'tillåtet',
    refused: 'förbjudet',
    withdrawn: 'återkallat',
    objected: 'invändning',
    pending: 'väntar på bekräftelse',
  },
  permissionMethods: {
    form: 'formulär',
    import: 'import',
    staff: 'av vår personal',
    unsubscribe_link: 'avregistreringslänk',
    api: 'gränssnitt',
    request: 'din begäran',
    double_opt_in: 'bekräftelselänk',
    preference_page: 'inställningssidan',
  },
  noHistory: 'Inga ändringar har gjorts.',
  changed: 'Ändrad',
  oldValue: 'Före',
  newValue: 'Efter',
  reason: 'Orsak',
  rights: 'Dina rättigheter',
  rightsIntro:
    'Du kan använda följande rättigheter. Kontakta den personuppgiftsansvarige på adresserna ovan; vi svarar inom en månad.',
  complaint: 'Klagomål',
  complaintText:
    'Om du anser att dina personuppgifter behandlas i strid med lagen har du rätt att lämna in ett klagomål till tillsynsmyndigheten:',
  accessLog: 'Vem som har behandlat dina uppgifter',
  accessLogIntro:
    'Varje läsning och ändring av dina uppgifter, så som vår åtkomstlogg registrerar dem.',
  noAccessLog: 'Inga poster.',
  when: 'När',
  what: 'Vad',
  byRole: 'Av',
  files: 'Filer i paketet',
  filesText:
    'access-copy.json innehåller hela kopian i maskinläsbar form; data.csv en rad per uppgift; denna sida och access-copy.pdf samma innehåll att läsa.',
  portableText:
    'portable.json och portable.csv innehåller de uppgifter du själv har gett oss, i strukturerad, maskinläsbar form som du kan ta med till en annan tjänst (artikel 20).',
  truncated: 'förkortad här; hela värdet finns i access-copy.json',
  unknownSource: 'en källa som inte längre beskrivs',
  yes: 'ja',
  no: 'nej',
  legalBases: {
    consent: 'Samtycke',
    contract: 'Avtal',
    legal_obligation: 'Rättslig förpliktelse',
    vital_interest: 'Grundläggande intresse',
    public_task: 'Uppgift av allmänt intresse',
    legitimate_interest: 'Berättigat intresse',
    unknown: 'Anges inte i registret',
  },
  sourceKinds: {
    subject: 'Du själv',
    public_register: 'Offentligt register',
    social_network: 'Socialt nätverk',
    partner: 'Samarbetspartner',
    automatic: 'Insamlad automatiskt',
    staff: 'Vår personal',
  },
  roles: {
    processor: 'Personuppgiftsbiträde',
    subprocessor: 'Underbiträde',
    controller: 'Personuppgiftsansvarig',
    joint_controller: 'Gemensamt personuppgiftsansvarig',
    authority: 'Myndighet',
    other: 'Annan mottagare',
  },
  mechanisms: {
    adequacy: 'Europeiska kommissionens beslut om adekvat skyddsnivå',
    dpf: 'EU–US Data Privacy Framework',
    scc: 'Standardavtalsklausuler',
    bcr: 'Bindande företagsbestämmelser',
    derogation: 'Undantag i särskilda situationer (art. 49)',
    privacy_shield: 'Privacy Shield (inte längre giltig)',
    safe_harbor: 'Safe Harbor (inte längre giltig)',
    unknown: 'skyddsåtgärden anges inte',
    none: 'ingen skyddsåtgärd angiven',
  },
  retentionUnknown: 'tiden anges inte',
  events: {
    collection: 'insamlingen',
    end_of_relationship: 'kundförhållandets slut',
    last_activity: 'den senaste aktiviteten',
    end_of_financial_year: 'räkenskapsårets slut',
    withdrawal: 'återkallelsen av samtycket',
    request_closed: 'begärans avslutande',
  },
  rightNames: {
    access: 'Rätt till tillgång',
    rectification: 'Rätt till rättelse',
    erasure: 'Rätt till radering',
    restriction: 'Rätt till begränsning av behandling',
    portability: 'Rätt till dataportabilitet',
    objection: 'Rätt att göra invändningar',
    consent_withdrawal: 'Rätt att återkalla samtycke',
    marketing_prohibition: 'Rätt att förbjuda direktmarknadsföring',
  },
  stopsHeading: 'Dina invändningar, återkallade samtycken och förbud mot direktmarknadsföring',
  stopsIntro: 'Vi behandlar inte dina uppgifter för dessa ändamål.',
  noStops:
    'Du har inte invänt mot behandling, återkallat ett samtycke eller förbjudit direktmarknadsföring.',
  purpose: 'Ändamål',
  stoppedBecause: 'Stoppat eftersom',
  since: 'Sedan',
  stopReasons: {
    objection: 'du invände (artikel 21)',
    consent_withdrawal: 'du återkallade ditt samtycke',
    marketing_prohibition: 'du förbjöd direktmarknadsföring',
  },
  groundsHeading: 'Behandling som fortsätter trots din invändning',
  groundsIntro:
    'För dessa ändamål har vi registrerat tvingande berättigade skäl som väger tyngre än din invändning, och meddelat dig dem.',
  grounds: 'Skäl',
  requestsHeading: 'Dina begäranden',
  requestsIntro:
    'De begäranden du har gjort om dina uppgifter, och varje steg i deras handläggning. Vår personals namn och interna anteckningar visas inte.',
  noRequests: 'Du har inte gjort några begäranden om dina uppgifter.',
  requestType: 'Begäran',
  requestChannel: 'Gjord via',
  received: 'Mottagen',
  identityProven: 'Identiteten bekräftad',
  dueOn: 'Ska besvaras senast',
  originalDueOn: 'Ursprunglig sista dag',
  status: 'Status',
  closed: 'Avslutad',
  contactGiven: 'Angivna kontaktuppgifter',
  yourWords: 'Vad du skrev',
  refusalReason: 'Skäl för avslag',
  extensionReason: 'Skäl för förlängd tid',
  step: 'Steg',
  requestTypes: {
    access: 'Tillgång till dina uppgifter',
    rectification: 'Rättelse',
    erasure: 'Radering',
    restriction: 'Begränsning av behandlingen',
    restriction_lift: 'Hävande av begränsningen',
    portability: 'Dataportabilitet',
    objection: 'Invändning',
    consent_withdrawal: 'Återkallande av samtycke',
    marketing_prohibition: 'Förbud mot direktmarknadsföring',
  },
  channels: {
    portal: 'webbformuläret',
    email: 'e-post',
    postal: 'brev',
    in_person: 'personligt besök',
    phone: 'telefon',
  },
  requestStates: {
    received: 'Mottagen',
    identity_pending: 'Väntar på bekräftelse av identiteten',
    in_progress: 'Under handläggning',
    completed: 'Slutförd',
    refused: 'Avslagen',
    cancelled: 'Återtagen',
  },
  steps: {
    received: 'Begäran mottagen',
    identity_pending: 'Väntar på bekräftelse av identiteten',
    identity: 'Identiteten bekräftad',
    in_progress: 'Handläggningen började',
    extended: 'Svarstiden förlängd',
    told_before_lifting: 'Du meddelades innan begränsningen hävdes',
    download_link: 'Nedladdningslänk skickad',
    downloaded: 'Kopian nedladdad',
    delivered: 'Utskriven kopia skickad eller överlämnad',
    completed: 'Slutförd',
    refused: 'Avslagen',
    cancelled: 'Återtagen',
  },
  durationFrom: (d, e) => `${d} från ${e}`,
  units: { Y: ['år', 'år'], M: ['månad', 'månader'], W: ['vecka', 'veckor'], D: ['dag', 'dagar'] },
};

const fi: PackageMessages = {
  title: 'Kopio henkilötiedoistasi',
  intro:
    'Tämä on kopio kaikista henkilötiedoista, joita meillä on sinusta, sekä siitä, miksi ne ovat meillä, mistä ne on saatu, kenelle niitä luovutetaan ja kuinka kauan niitä säilytetään (tietosuoja-asetuksen 15 artikla).',
  exportedAt: 'Kopio tehty',
  controller: 'Rekisterinpitäjä',
  businessId: 'Y-tunnus',
  address: 'Osoite',
  email: 'Sähköposti',
  phone: 'Puhelin',
  website: 'Verkkosivusto',
  dpo: 'Tietosuojavastaava',
  you: 'Sinä rekisterissä',
  subjectId: 'Tunnisteesi rekisterissä',
  inRegisterSince: 'Rekisterissä alkaen',
  lastChanged: 'Viimeksi muutettu',
  restricted: 'Käsittelyä rajoitettu',
  restrictedYes: 'Kyllä: tietojasi käsitellään vain tarkoituksiin, jotka rajoitus sallii',
  restrictedNo: 'Ei',
  restrictionReason: 'Rajoituksen syy',
  contents: 'Sisältö',
  categories: 'Tietosi ryhmittäin',
  noData: 'Meillä ei ole sinusta tietoja.',
  values: 'Tiedot',
  value: 'Arvo',
  field: 'Kenttä',
  source: 'Lähde',
  collected: 'Kerätty',
  collectedFor: 'Kerätty tarkoitukseen',
  purposes: 'Käyttötarkoitukset ja oikeusperusteet',
  legalBasis: 'Oikeusperuste',
  legitimateInterest: 'Oikeutettu etu',
  law: 'Laki',
  retention: 'Säilytetään',
  sources: 'Tietolähteet',
  recipients: 'Vastaanottajat',
  noRecipients: 'Tämän ryhmän tietoja ei luovuteta kenellekään.',
  role: 'Rooli',
  country: 'Maa',
  transfer: 'Siirto EU:n/ETA:n ulkopuolelle',
  transferTo: 'maahan',
  sccModule: 'moduuli',
  legalHolds: 'Säilytetään lain nojalla poistamisen jälkeenkin',
  holdKeptFor: 'luettavissa vain tarkoitukseen',
  history: 'Tietojesi muutokset',
  permissions: 'Markkinointiluvat',
  permissionsIntro:
    'Mitä olet sallinut tai kieltänyt kunkin markkinoinnin lajin ja kanavan osalta, ja jokainen muutos ja miten se tehtiin.',
  noPermissions: 'Markkinointilupia tai -kieltoja ei ole kirjattu.',
  permissionHistory: 'Lupiesi muutokset',
  kind: 'Laji',
  channel: 'Kanava',
  allChannels: 'kaikki kanavat',
  state: 'Tila',
  method: 'Miten',
  wordingShown: 'Näytetty teksti',
  permissionStates: {
    granted: 'sallittu',
    refused: 'kielletty',
    withdrawn: 'peruttu',
    objected: 'vastustettu',
    pending: 'odottaa vahvistusta',
  },
  permissionMethods: {
    form: 'lomake',
    import: 'tuonti',
    staff: 'henkilökuntamme',
    unsubscribe_link: 'peruutuslinkki',
    api: 'rajapinta',
    request: 'pyyntösi',
    double_opt_in: 'vahvistuslinkki',
    preference_page: 'asetussivu',
  },
  noHistory: 'Muutoksia ei ole tehty.',
  changed: 'Muutettu',
  oldValue: 'Ennen',
  newValue: 'Jälkeen',
  reason: 'Syy',
  rights: 'Oikeutesi',
  rightsIntro:
    'Voit käyttää seuraavia oikeuksia. Ota yhteyttä rekisterinpitäjään yllä olevissa osoitteissa; vastaamme kuukauden kuluessa.',
  complaint: 'Valitus',
  complaintText:
    'Jos katsot, että henkilötietojasi käsitellään lainvastaisesti, sinulla on oikeus tehdä valitus valvontaviranomaiselle:',
  accessLog: 'Kuka on käsitellyt tietojasi',
  accessLogIntro: 'Jokainen tietojesi luku ja muutos, kuten lokimme ne kirjaa.',
  noAccessLog: 'Ei merkintöjä.',
  when: 'Milloin',
  what: 'Mitä',
  byRole: 'Kuka',
  files: 'Paketin tiedostot',
  filesText:
    'access-copy.json sisältää koko kopion koneluettavassa muodossa; data.csv yhden rivin kustakin tiedosta; tämä sivu ja access-copy.pdf saman sisällön luettavana.',
  portableText:
    'portable.json ja portable.csv sisältävät tiedot, jotka olet itse antanut meille, jäsennellyssä, koneluettavassa muodossa, jonka voit viedä toiseen palveluun (20 artikla).',
  truncated: 'lyhennetty tässä; koko arvo on tiedostossa access-copy.json',
  unknownSource: 'lähde, jota ei enää kuvata',
  yes: 'kyllä',
  no: 'ei',
  legalBases: {
    consent: 'Suostumus',
    contract: 'Sopimus',
    legal_obligation: 'Lakisääteinen velvoite',
    vital_interest: 'Elintärkeä etu',
    public_task: 'Yleistä etua koskeva tehtävä',
    legitimate_interest: 'Oikeutettu etu',
    unknown: 'Ei ilmoitettu rekisterissä',
  },
  sourceKinds: {
    subject: 'Sinä itse',
    public_register: 'Julkinen rekisteri',
    social_network: 'Sosiaalinen verkosto',
    partner: 'Yhteistyökumppani',
    automatic: 'Kerätty automaattisesti',
    staff: 'Henkilökuntamme',
  },
  roles: {
    processor: 'Henkilötietojen käsittelijä',
    subprocessor: 'Alihankkija',
    controller: 'Rekisterinpitäjä',
    joint_controller: 'Yhteisrekisterinpitäjä',
    authority: 'Viranomainen',
    other: 'Muu vastaanottaja',
  },
  mechanisms: {
    adequacy: 'Euroopan komission päätös tietosuojan riittävyydestä',
    dpf: 'EU:n ja Yhdysvaltojen tietosuojakehys (Data Privacy Framework)',
    scc: 'Vakiosopimuslausekkeet',
    bcr: 'Yritystä koskevat sitovat säännöt',
    derogation: 'Poikkeus erityistilanteessa (49 artikla)',
    privacy_shield: 'Privacy Shield (ei enää voimassa)',
    safe_harbor: 'Safe Harbor (ei enää voimassa)',
    unknown: 'suojatoimea ei ole ilmoitettu',
    none: 'suojatoimia ei ole ilmoitettu',
  },
  retentionUnknown: 'aikaa ei ole ilmoitettu',
  events: {
    collection: 'keräämisestä',
    end_of_relationship: 'asiakassuhteen päättymisestä',
    last_activity: 'viimeisestä toiminnasta',
    end_of_financial_year: 'tilikauden päättymisestä',
    withdrawal: 'suostumuksen peruuttamisesta',
    request_closed: 'pyynnön käsittelyn päättymisestä',
  },
  rightNames: {
    access: 'Oikeus saada pääsy tietoihin',
    rectification: 'Oikeus tietojen oikaisemiseen',
    erasure: 'Oikeus tietojen poistamiseen',
    restriction: 'Oikeus käsittelyn rajoittamiseen',
    portability: 'Oikeus siirtää tiedot järjestelmästä toiseen',
    objection: 'Vastustamisoikeus',
    consent_withdrawal: 'Oikeus peruuttaa suostumus',
    marketing_prohibition: 'Oikeus kieltää suoramarkkinointi',
  },
  stopsHeading: 'Vastustuksesi, peruutetut suostumukset ja suoramarkkinointikiellot',
  stopsIntro: 'Emme käsittele tietojasi näihin tarkoituksiin.',
  noStops:
    'Et ole vastustanut käsittelyä, peruuttanut suostumusta etkä kieltänyt suoramarkkinointia.',
  purpose: 'Käyttötarkoitus',
  stoppedBecause: 'Lopetettu, koska',
  since: 'Alkaen',
  stopReasons: {
    objection: 'vastustit käsittelyä (21 artikla)',
    consent_withdrawal: 'peruutit suostumuksesi',
    marketing_prohibition: 'kielsit suoramarkkinoinnin',
  },
  groundsHeading: 'Käsittely, joka jatkuu vastustuksestasi huolimatta',
  groundsIntro:
    'Näihin tarkoituksiin olemme kirjanneet huomattavan tärkeät oikeutetut perusteet, jotka syrjäyttävät vastustuksesi, ja kertoneet ne sinulle.',
  grounds: 'Perusteet',
  requestsHeading: 'Pyyntösi',
  requestsIntro:
    'Tietojasi koskevat pyyntösi ja niiden käsittelyn vaiheet. Henkilökuntamme nimiä ja sisäisiä muistiinpanoja ei näytetä.',
  noRequests: 'Et ole tehnyt tietojasi koskevia pyyntöjä.',
  requestType: 'Pyyntö',
  requestChannel: 'Tehty',
  received: 'Vastaanotettu',
  identityProven: 'Henkilöllisyys vahvistettu',
  dueOn: 'Vastattava viimeistään',
  originalDueOn: 'Alkuperäinen määräpäivä',
  status: 'Tila',
  closed: 'Päättynyt',
  contactGiven: 'Annetut yhteystiedot',
  yourWords: 'Mitä kirjoitit',
  refusalReason: 'Epäämisen syy',
  extensionReason: 'Lisäajan syy',
  step: 'Vaihe',
  requestTypes: {
    access: 'Pääsy tietoihisi',
    rectification: 'Tietojen oikaisu',
    erasure: 'Tietojen poisto',
    restriction: 'Käsittelyn rajoitus',
    restriction_lift: 'Rajoituksen poisto',
    portability: 'Tietojen siirto',
    objection: 'Vastustus',
    consent_withdrawal: 'Suostumuksen peruutus',
    marketing_prohibition: 'Suoramarkkinointikielto',
  },
  channels: {
    portal: 'verkkolomakkeella',
    email: 'sähköpostilla',
    postal: 'kirjeellä',
    in_person: 'henkilökohtaisesti',
    phone: 'puhelimitse',
  },
  requestStates: {
    received: 'Vastaanotettu',
    identity_pending: 'Odottaa henkilöllisyyden vahvistusta',
    in_progress: 'Käsittelyssä',
    completed: 'Valmis',
    refused: 'Evätty',
    cancelled: 'Peruttu',
  },
  steps: {
    received: 'Pyyntö vastaanotettu',
    identity_pending: 'Odottaa henkilöllisyyden vahvistusta',
    identity: 'Henkilöllisyys vahvistettu',
    in_progress: 'Käsittely alkoi',
    extended: 'Vastausaikaa jatkettu',
    told_before_lifting: 'Sinulle kerrottiin ennen rajoituksen poistamista',
    download_link: 'Latauslinkki lähetetty',
    downloaded: 'Kopio ladattu',
    delivered: 'Tulostettu kopio lähetetty tai luovutettu',
    completed: 'Valmis',
    refused: 'Evätty',
    cancelled: 'Peruttu',
  },
  durationFrom: (d, e) => `${d} ${e}`,
  units: {
    Y: ['vuosi', 'vuotta'],
    M: ['kuukausi', 'kuukautta'],
    W: ['viikko', 'viikkoa'],
    D: ['päivä', 'päivää'],
  },
};

export const packageMessages: Record<PackageLang, PackageMessages> = { sv, fi, en };

/** P2Y6M → "2 years 6 months" in the language asked for. */
export function formatDuration(duration: string, m: PackageMessages): string {
  const parts = [...duration.matchAll(/(\d+)([YMWD])/g)].map(([, n, unit]) => {
    const [one, many] = m.units[unit as keyof PackageMessages['units']];
    return `${n} ${Number(n) === 1 ? one : many}`;
  });
  return parts.length > 0 ? parts.join(' ') : duration;
}
