/**
 * Mail templates: per language (sv, fi, en) a subject, a plain-text part and an HTML part. Data
 * reaches the HTML part only through `escapeHtml`; each template checks its data with zod.
 */
import { z } from 'zod';

export const LOCALES = ['sv', 'fi', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

export interface Rendered {
  subject: string;
  text: string;
  html: string;
}

export interface MailTemplate<D> {
  data: z.ZodType<D>;
  render(locale: Locale, data: D): Rendered;
}

export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function page(locale: Locale, body: string): string {
  return `<!doctype html>\n<html lang="${locale}"><body style="font-family: sans-serif; line-height: 1.5">\n${body}\n</body></html>\n`;
}

const verifyAddressData = z.strictObject({
  /** The register's name, as the controller publishes it. */
  register: z.string().min(1).max(200),
  /** Where the person confirms the address. */
  link: z.url({ protocol: /^https?$/ }).max(2000),
});

const verifyAddressWords: Record<
  Locale,
  { subject: string; ask: string; ignore: string; button: string }
> = {
  sv: {
    subject: 'Bekräfta din e-postadress',
    ask: 'Bekräfta din e-postadress för registret {register} genom att öppna länken:',
    ignore: 'Om du inte bett om detta kan du låta bli att svara.',
    button: 'Bekräfta adressen',
  },
  fi: {
    subject: 'Vahvista sähköpostiosoitteesi',
    ask: 'Vahvista sähköpostiosoitteesi rekisteriin {register} avaamalla linkki:',
    ignore: 'Jos et pyytänyt tätä, voit jättää viestin huomiotta.',
    button: 'Vahvista osoite',
  },
  en: {
    subject: 'Confirm your e-mail address',
    ask: 'Confirm your e-mail address for the register {register} by opening the link:',
    ignore: 'If you did not ask for this, you can ignore this message.',
    button: 'Confirm the address',
  },
};

export const verifyAddress: MailTemplate<z.infer<typeof verifyAddressData>> = {
  data: verifyAddressData,
  render(locale, data) {
    const w = verifyAddressWords[locale];
    // A function, so that `$&` or `$'` in the register's name is taken as written.
    const ask = (register: string) => w.ask.replace('{register}', () => register);
    return {
      subject: w.subject,
      text: `${ask(data.register)}\n\n${data.link}\n\n${w.ignore}\n`,
      html: page(
        locale,
        `<p>${ask(`<strong>${escapeHtml(data.register)}</strong>`)}</p>\n<p><a href="${escapeHtml(data.link)}">${escapeHtml(w.button)}</a></p>\n<p>${escapeHtml(w.ignore)}</p>`,
      ),
    };
  },
};

// --- Data subjects' requests (src/modules/requests) --------------------------------------------

/** Request types as REQUEST_TYPES of the definition's schema (mail may not import a module). */
const REQUEST_TYPE_NAMES = [
  'access',
  'rectification',
  'erasure',
  'restriction',
  'restriction_lift',
  'portability',
  'objection',
  'consent_withdrawal',
  'marketing_prohibition',
] as const;
type RequestTypeName = (typeof REQUEST_TYPE_NAMES)[number];

const REQUEST_TYPE_WORDS: Record<RequestTypeName, Record<Locale, string>> = {
  access: {
    sv: 'begäran om tillgång till dina uppgifter',
    fi: 'pyyntösi saada pääsy tietoihisi',
    en: 'request for access to your data',
  },
  rectification: {
    sv: 'begäran om rättelse',
    fi: 'oikaisupyyntösi',
    en: 'request for rectification',
  },
  erasure: {
    sv: 'begäran om radering',
    fi: 'poistopyyntösi',
    en: 'request for erasure',
  },
  restriction: {
    sv: 'begäran om begränsning av behandlingen',
    fi: 'pyyntösi rajoittaa käsittelyä',
    en: 'request to restrict processing',
  },
  restriction_lift: {
    sv: 'begränsningen av behandlingen',
    fi: 'käsittelyn rajoitus',
    en: 'restriction of processing',
  },
  portability: {
    sv: 'begäran om dataportabilitet',
    fi: 'pyyntösi siirtää tiedot',
    en: 'request for data portability',
  },
  objection: {
    sv: 'invändning mot behandlingen',
    fi: 'vastustuspyyntösi',
    en: 'objection to processing',
  },
  consent_withdrawal: {
    sv: 'återkallelse av samtycke',
    fi: 'suostumuksesi peruutus',
    en: 'withdrawal of consent',
  },
  marketing_prohibition: {
    sv: 'förbud mot direktmarknadsföring',
    fi: 'suoramarkkinointikieltosi',
    en: 'prohibition of direct marketing',
  },
};

const isoDate = z.iso.date();
const shortText = z.string().min(1).max(200);
const longText = z.string().min(1).max(5000);

/** A calendar date as people read it in each language. */
function formatDate(locale: Locale, date: string): string {
  const d = new Date(`${date}T12:00:00Z`);
  return new Intl.DateTimeFormat(locale === 'fi' ? 'fi-FI' : locale === 'sv' ? 'sv-FI' : 'en-GB', {
    timeZone: 'UTC',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
  }).format(d);
}

/** A mail made of paragraphs and lists: the text and the HTML part from the same parts. */
type Part = string | { list: string[] } | { link: string };
function compose(locale: Locale, subject: string, parts: Part[]): Rendered {
  const text = parts
    .map((p) =>
      typeof p === 'string' ? p : 'list' in p ? p.list.map((i) => `- ${i}`).join('\n') : p.link,
    )
    .join('\n\n');
  const html = parts
    .map((p) =>
      typeof p === 'string'
        ? `<p>${escapeHtml(p).replace(/\n/g, '<br>')}</p>`
        : 'list' in p
          ? `<ul>\n${p.list.map((i) => `<li>${escapeHtml(i)}</li>`).join('\n')}\n</ul>`
          : `<p><a href="${escapeHtml(p.link)}">${escapeHtml(p.link)}</a></p>`,
    )
    .join('\n');
  return { subject, text: `${text}\n`, html: page(locale, html) };
}

/** Fills `{name}` placeholders, taking each value as written (no `$&` surprises). */
const fill = (template: string, values: Record<string, string>) =>
  template.replace(/\{(\w+)\}/g, (whole, k: string) => values[k] ?? whole);

const requestBase = {
  register: shortText,
  type: z.enum(REQUEST_TYPE_NAMES),
  /** The request's id, as its reference. */
  request: z.uuid(),
};

const SIGNATURE: Record<Locale, string> = {
  sv: 'Ange referensen {request} om du kontaktar oss om ärendet.',
  fi: 'Mainitse viite {request}, jos otat meihin yhteyttä asiasta.',
  en: 'Please quote the reference {request} if you contact us about this.',
};

const acknowledgedData = z.strictObject({ ...requestBase, dueOn: isoDate });
const acknowledgedWords: Record<Locale, { subject: string; body: string }> = {
  sv: {
    subject: 'Vi har tagit emot din begäran',
    body: 'Vi har tagit emot din {type} i registret {register} och bekräftat din identitet. Vi svarar senast {dueOn}.',
  },
  fi: {
    subject: 'Olemme vastaanottaneet pyyntösi',
    body: 'Olemme vastaanottaneet {type} rekisterissä {register} ja todentaneet henkilöllisyytesi. Vastaamme viimeistään {dueOn}.',
  },
  en: {
    subject: 'We have received your request',
    body: 'We have received your {type} in the register {register} and confirmed your identity. We will answer by {dueOn}.',
  },
};

export const requestAcknowledged: MailTemplate<z.infer<typeof acknowledgedData>> = {
  data: acknowledgedData,
  render(locale, d) {
    const w = acknowledgedWords[locale];
    return compose(locale, w.subject, [
      fill(w.body, {
        type: REQUEST_TYPE_WORDS[d.type][locale],
        register: d.register,
        dueOn: formatDate(locale, d.dueOn),
      }),
      fill(SIGNATURE[locale], { request: d.request }),
    ]);
  },
};

const extendedData = z.strictObject({ ...requestBase, dueOn: isoDate, reason: longText });
const extendedWords: Record<Locale, { subject: string; body: string; why: string }> = {
  sv: {
    subject: 'Svarstiden för din begäran har förlängts',
    body: 'Vi behöver mer tid för att besvara din {type} i registret {register}. Vi svarar senast {dueOn}.',
    why: 'Skäl till förlängningen:',
  },
  fi: {
    subject: 'Pyyntösi vastausaikaa on pidennetty',
    body: 'Tarvitsemme lisäaikaa vastataksemme: {type} rekisterissä {register}. Vastaamme viimeistään {dueOn}.',
    why: 'Syy pidennykseen:',
  },
  en: {
    subject: 'The time to answer your request has been extended',
    body: 'We need more time to answer your {type} in the register {register}. We will answer by {dueOn}.',
    why: 'The reason for the extension:',
  },
};

export const requestExtended: MailTemplate<z.infer<typeof extendedData>> = {
  data: extendedData,
  render(locale, d) {
    const w = extendedWords[locale];
    return compose(locale, w.subject, [
      fill(w.body, {
        type: REQUEST_TYPE_WORDS[d.type][locale],
        register: d.register,
        dueOn: formatDate(locale, d.dueOn),
      }),
      `${w.why}\n${d.reason}`,
      fill(SIGNATURE[locale], { request: d.request }),
    ]);
  },
};

const refusedData = z.strictObject({
  ...requestBase,
  reason: longText,
  authority: z.strictObject({ name: shortText, website: z.url({ protocol: /^https?$/ }).max(500) }),
});
const refusedWords: Record<
  Locale,
  { subject: string; body: string; why: string; complain: string }
> = {
  sv: {
    subject: 'Din begäran har avslagits',
    body: 'Vi kan inte tillmötesgå din {type} i registret {register}.',
    why: 'Skäl:',
    complain:
      'Om du anser att behandlingen av dina personuppgifter strider mot lag har du rätt att lämna in ett klagomål till tillsynsmyndigheten, {authority} ({website}), och att söka rättelse hos domstol.',
  },
  fi: {
    subject: 'Pyyntöäsi ei voida toteuttaa',
    body: 'Emme voi toteuttaa pyyntöä ({type}) rekisterissä {register}.',
    why: 'Perustelu:',
    complain:
      'Jos katsot, että henkilötietojesi käsittely rikkoo lakia, sinulla on oikeus tehdä valitus valvontaviranomaiselle, {authority} ({website}), ja hakea muutosta tuomioistuimelta.',
  },
  en: {
    subject: 'Your request has been refused',
    body: 'We cannot act on your {type} in the register {register}.',
    why: 'The reason:',
    complain:
      'If you consider that the processing of your personal data breaks the law, you have the right to lodge a complaint with the supervisory authority, {authority} ({website}), and to seek a judicial remedy.',
  },
};

export const requestRefused: MailTemplate<z.infer<typeof refusedData>> = {
  data: refusedData,
  render(locale, d) {
    const w = refusedWords[locale];
    return compose(locale, w.subject, [
      fill(w.body, { type: REQUEST_TYPE_WORDS[d.type][locale], register: d.register }),
      `${w.why}\n${d.reason}`,
      fill(w.complain, { authority: d.authority.name, website: d.authority.website }),
      fill(SIGNATURE[locale], { request: d.request }),
    ]);
  },
};

const completedData = z.strictObject({
  ...requestBase,
  /** Access, portability: the copy may be downloaded until this date. */
  downloadUntil: isoDate.optional(),
  /**
   * Access, portability without an e-mail address: the printed copy is enclosed with this letter
   * (`post`) or handed over with it (`handed_over`); no download.
   */
  delivery: z.enum(['post', 'handed_over']).optional(),
  /** Rectification: the fields changed (`category.field`). */
  changed: z.array(shortText).max(500).optional(),
  /** Erasure: what legal holds keep, and until when. */
  held: z
    .array(
      z.strictObject({
        law: shortText,
        categories: z.array(shortText).max(100),
        until: isoDate,
      }),
    )
    .max(100)
    .optional(),
  /** Objection, withdrawal, prohibition: the purposes processing stopped for. */
  stopped: z.array(shortText).max(100).optional(),
  /** Objection: purposes processing goes on for, on compelling grounds the person is told. */
  continued: z
    .array(z.strictObject({ purpose: shortText, grounds: z.string().max(5000) }))
    .max(100)
    .optional(),
});

const completedWords: Record<
  Locale,
  {
    subject: string;
    body: string;
    download: string;
    enclosed: string;
    handedOver: string;
    changed: string;
    held: string;
    heldItem: string;
    erased: string;
    stopped: string;
    continued: string;
  }
> = {
  sv: {
    subject: 'Din begäran har behandlats',
    body: 'Vi har behandlat din {type} i registret {register}.',
    download:
      'Kopian av dina uppgifter är klar. Du kan ladda ner den i vår webbtjänst för registrerade till och med {until}; du får en länk efter att du bekräftat din e-postadress på nytt. Kopian skickas aldrig som bilaga.',
    enclosed:
      'En utskrift av kopian av dina uppgifter finns i samma försändelse som detta brev. Den skickas endast till den adress du angav i din begäran.',
    handedOver:
      'En utskrift av kopian av dina uppgifter överlämnas till dig personligen tillsammans med detta brev.',
    changed: 'Följande uppgifter har rättats:',
    held: 'Följande uppgifter bevaras eftersom lagen kräver det, och används endast för det ändamålet:',
    heldItem: '{categories}: {law}, till och med {until}',
    erased: 'Övriga uppgifter om dig har raderats.',
    stopped: 'Behandlingen har upphört för följande ändamål:',
    continued:
      'Behandlingen fortsätter för följande ändamål, eftersom det finns tvingande berättigade skäl:',
  },
  fi: {
    subject: 'Pyyntösi on käsitelty',
    body: 'Olemme käsitelleet pyynnön ({type}) rekisterissä {register}.',
    download:
      'Kopio tiedoistasi on valmis. Voit ladata sen rekisteröidyn verkkopalvelustamme {until} asti; saat latauslinkin, kun vahvistat sähköpostiosoitteesi uudelleen. Kopiota ei koskaan lähetetä liitteenä.',
    enclosed:
      'Tulostettu kopio tiedoistasi on tämän kirjeen mukana samassa lähetyksessä. Se lähetetään vain pyynnössäsi antamaasi osoitteeseen.',
    handedOver:
      'Tulostettu kopio tiedoistasi luovutetaan sinulle henkilökohtaisesti tämän kirjeen kanssa.',
    changed: 'Seuraavat tiedot on oikaistu:',
    held: 'Seuraavat tiedot säilytetään lain vaatimuksesta, ja niitä käytetään vain siihen tarkoitukseen:',
    heldItem: '{categories}: {law}, {until} asti',
    erased: 'Muut tietosi on poistettu.',
    stopped: 'Käsittely on lopetettu seuraavissa tarkoituksissa:',
    continued:
      'Käsittely jatkuu seuraavissa tarkoituksissa pakottavien oikeutettujen perusteiden vuoksi:',
  },
  en: {
    subject: 'Your request has been handled',
    body: 'We have handled your {type} in the register {register}.',
    download:
      'The copy of your data is ready. You can download it from our service for data subjects until {until}; you get a download link after confirming your e-mail address again. The copy is never sent as an attachment.',
    enclosed:
      'A printed copy of your data is enclosed with this letter, in the same envelope. It is sent only to the address you gave in your request.',
    handedOver: 'A printed copy of your data is handed to you in person with this letter.',
    changed: 'The following data have been rectified:',
    held: 'The following data are kept because the law requires it, and are used for that purpose only:',
    heldItem: '{categories}: {law}, until {until}',
    erased: 'Everything else held about you has been erased.',
    stopped: 'Processing has stopped for these purposes:',
    continued: 'Processing goes on for these purposes, on compelling legitimate grounds:',
  },
};

export const requestCompleted: MailTemplate<z.infer<typeof completedData>> = {
  data: completedData,
  render(locale, d) {
    const w = completedWords[locale];
    const parts: Part[] = [
      fill(w.body, { type: REQUEST_TYPE_WORDS[d.type][locale], register: d.register }),
    ];
    if (d.delivery) {
      parts.push(d.delivery === 'post' ? w.enclosed : w.handedOver);
    } else if (d.downloadUntil) {
      parts.push(fill(w.download, { until: formatDate(locale, d.downloadUntil) }));
    }
    if (d.changed && d.changed.length > 0) {
      parts.push(w.changed, { list: d.changed });
    }
    if (d.type === 'erasure') {
      if (d.held && d.held.length > 0) {
        parts.push(w.held, {
          list: d.held.map((h) =>
            fill(w.heldItem, {
              categories: h.categories.join(', '),
              law: h.law,
              until: formatDate(locale, h.until),
            }),
          ),
        });
      }
      parts.push(w.erased);
    }
    if (d.stopped && d.stopped.length > 0) {
      parts.push(w.stopped, { list: d.stopped });
    }
    if (d.continued && d.continued.length > 0) {
      parts.push(w.continued, {
        list: d.continued.map((c) => (c.grounds ? `${c.purpose}: ${c.grounds}` : c.purpose)),
      });
    }
    parts.push(fill(SIGNATURE[locale], { request: d.request }));
    return compose(locale, w.subject, parts);
  },
};

const liftData = z.strictObject(requestBase);
const liftWords: Record<Locale, { subject: string; body: string }> = {
  sv: {
    subject: 'Begränsningen av behandlingen hävs',
    body: 'Som du bett om hävs begränsningen av behandlingen av dina uppgifter i registret {register}. Därefter behandlas uppgifterna åter för alla ändamål som anges i dataskyddsbeskrivningen.',
  },
  fi: {
    subject: 'Käsittelyn rajoitus poistetaan',
    body: 'Pyyntösi mukaisesti tietojesi käsittelyn rajoitus rekisterissä {register} poistetaan. Sen jälkeen tietoja käsitellään jälleen kaikissa tietosuojaselosteessa kerrotuissa tarkoituksissa.',
  },
  en: {
    subject: 'The restriction of processing is being lifted',
    body: 'As you asked, the restriction of processing of your data in the register {register} is being lifted. Your data will then be processed again for every purpose the privacy notice states.',
  },
};

export const restrictionLiftNotice: MailTemplate<z.infer<typeof liftData>> = {
  data: liftData,
  render(locale, d) {
    const w = liftWords[locale];
    return compose(locale, w.subject, [
      fill(w.body, { register: d.register }),
      fill(SIGNATURE[locale], { request: d.request }),
    ]);
  },
};

const digestItem = z.strictObject({
  request: z.uuid(),
  type: z.enum(REQUEST_TYPE_NAMES),
  dueOn: isoDate,
});
const digestData = z.strictObject({
  register: shortText,
  today: isoDate,
  overdue: z.array(digestItem).max(10_000),
  dueSoon: z.array(digestItem).max(10_000),
  /** Letters waiting to be sent to people whose requests give no e-mail address. */
  letters: z
    .array(
      z.strictObject({
        request: z.uuid(),
        template: z.string().min(1).max(100),
        /** When the letter became due (Helsinki date). */
        dueOn: isoDate,
      }),
    )
    .max(10_000)
    .default([]),
});
const digestWords: Record<
  Locale,
  {
    subject: string;
    /** Only letters wait: no request is due. */
    subjectLetters: string;
    /** Requests due and letters waiting. */
    subjectBoth: string;
    intro: string;
    overdue: string;
    dueSoon: string;
    item: string;
    none: string;
    letters: string;
    letter: string;
  }
> = {
  sv: {
    subject: '{register}: {overdue} försenade och {dueSoon} snart förfallande begäranden',
    subjectLetters: '{register}: {letters} brev att skicka',
    subjectBoth:
      '{register}: {overdue} försenade och {dueSoon} snart förfallande begäranden, {letters} brev att skicka',
    intro: 'Begäranden från registrerade i registret {register} den {today}:',
    overdue: 'Försenade ({count}):',
    dueSoon: 'Förfaller inom sju dagar ({count}):',
    item: '{due} – {type} – {request}',
    none: 'Inga.',
    letters: 'Brev att skicka ({count}): personen har ingen e-postadress',
    letter: 'sedan {due} – {request}',
  },
  fi: {
    subject: '{register}: {overdue} myöhässä ja {dueSoon} pian erääntyvää pyyntöä',
    subjectLetters: '{register}: {letters} lähetettävää kirjettä',
    subjectBoth:
      '{register}: {overdue} myöhässä ja {dueSoon} pian erääntyvää pyyntöä, {letters} lähetettävää kirjettä',
    intro: 'Rekisteröityjen pyynnöt rekisterissä {register} {today}:',
    overdue: 'Myöhässä ({count}):',
    dueSoon: 'Erääntyy seitsemän päivän kuluessa ({count}):',
    item: '{due} – {type} – {request}',
    none: 'Ei yhtään.',
    letters: 'Lähetettävät kirjeet ({count}): henkilöllä ei ole sähköpostiosoitetta',
    letter: '{due} alkaen – {request}',
  },
  en: {
    subject: '{register}: {overdue} overdue and {dueSoon} due soon',
    subjectLetters: '{register}: {letters} letters to send',
    subjectBoth: '{register}: {overdue} overdue and {dueSoon} due soon, {letters} letters to send',
    intro: "Data subjects' requests in the register {register} on {today}:",
    overdue: 'Overdue ({count}):',
    dueSoon: 'Due within seven days ({count}):',
    item: '{due} – {type} – {request}',
    none: 'None.',
    letters: 'Letters to send ({count}): the person has no e-mail address',
    letter: 'since {due} – {request}',
  },
};

/** The handlers' daily digest: request ids, types and due dates only, never personal data. */
export const requestsDigest: MailTemplate<z.infer<typeof digestData>> = {
  data: digestData,
  render(locale, d) {
    const w = digestWords[locale];
    const items = (list: Array<z.infer<typeof digestItem>>): Part =>
      list.length === 0
        ? w.none
        : {
            list: list.map((i) => fill(w.item, { due: i.dueOn, type: i.type, request: i.request })),
          };
    return compose(
      locale,
      fill(
        d.overdue.length + d.dueSoon.length === 0 && d.letters.length > 0
          ? w.subjectLetters
          : d.letters.length > 0
            ? w.subjectBoth
            : w.subject,
        {
          register: d.register,
          overdue: String(d.overdue.length),
          dueSoon: String(d.dueSoon.length),
          letters: String(d.letters.length),
        },
      ),
      [
        fill(w.intro, { register: d.register, today: formatDate(locale, d.today) }),
        fill(w.overdue, { count: String(d.overdue.length) }),
        items(d.overdue),
        fill(w.dueSoon, { count: String(d.dueSoon.length) }),
        items(d.dueSoon),
        ...(d.letters.length > 0
          ? [
              fill(w.letters, { count: String(d.letters.length) }),
              { list: d.letters.map((l) => fill(w.letter, { due: l.dueOn, request: l.request })) },
            ]
          : []),
      ],
    );
  },
};

// --- The portal's links for requests (src/modules/requests/portal.service.ts) ----------------

/** The request types a portal link may be about, in each language (mail words only). */
const LINK_TYPE_WORDS: Record<string, Record<Locale, string>> = {
  access: { sv: 'tillgång till dina uppgifter', fi: 'pääsy tietoihisi', en: 'access to your data' },
  rectification: { sv: 'rättelse', fi: 'tietojen oikaisu', en: 'rectification' },
  erasure: { sv: 'radering', fi: 'tietojen poisto', en: 'erasure' },
  restriction: { sv: 'begränsning av behandlingen', fi: 'käsittelyn rajoitus', en: 'restriction' },
  restriction_lift: {
    sv: 'hävande av begränsningen',
    fi: 'rajoituksen poisto',
    en: 'lifting a restriction',
  },
  portability: { sv: 'dataportabilitet', fi: 'tietojen siirto', en: 'data portability' },
  objection: { sv: 'invändning', fi: 'vastustaminen', en: 'objection' },
  consent_withdrawal: {
    sv: 'återkallande av samtycke',
    fi: 'suostumuksen peruminen',
    en: 'withdrawal of consent',
  },
  marketing_prohibition: {
    sv: 'förbud mot direktmarknadsföring',
    fi: 'suoramarkkinointikielto',
    en: 'direct-marketing prohibition',
  },
};

const requestVerifyData = z.strictObject({
  register: z.string().min(1).max(200),
  /** The request's type (REQUEST_TYPES). */
  type: z.enum(Object.keys(LINK_TYPE_WORDS) as [string, ...string[]]),
  /** The portal's verification page, the token in its fragment. */
  link: z.url({ protocol: /^https?$/ }).max(2000),
});

const requestVerifyWords: Record<
  Locale,
  { subject: string; ask: string; clock: string; ignore: string; button: string }
> = {
  sv: {
    subject: 'Bekräfta din begäran',
    ask: 'Vi har tagit emot en begäran ({type}) till registret {register} från den här adressen. Bekräfta att den kommer från dig genom att öppna länken inom 24 timmar:',
    clock: 'Tiden för vårt svar börjar när du har bekräftat begäran. Länken fungerar en gång.',
    ignore: 'Om du inte har gjort begäran kan du låta bli att svara; inget görs då.',
    button: 'Bekräfta begäran',
  },
  fi: {
    subject: 'Vahvista pyyntösi',
    ask: 'Olemme vastaanottaneet tästä osoitteesta pyynnön ({type}) rekisteriin {register}. Vahvista, että pyyntö on sinulta, avaamalla linkki 24 tunnin kuluessa:',
    clock: 'Vastausaikamme alkaa, kun olet vahvistanut pyynnön. Linkki toimii kerran.',
    ignore: 'Jos et tehnyt pyyntöä, voit jättää viestin huomiotta; mitään ei silloin tehdä.',
    button: 'Vahvista pyyntö',
  },
  en: {
    subject: 'Confirm your request',
    ask: 'We have received a request ({type}) to the register {register} from this address. Confirm that it is yours by opening the link within 24 hours:',
    clock:
      'The time we have to answer starts once you have confirmed the request. The link works once.',
    ignore: 'If you did not make this request, you can ignore this message; nothing will be done.',
    button: 'Confirm the request',
  },
};

/** Asks the person to confirm a portal request by its single-use link (src/modules/requests). */
export const requestVerify: MailTemplate<z.infer<typeof requestVerifyData>> = {
  data: requestVerifyData,
  render(locale, data) {
    const w = requestVerifyWords[locale];
    const type = LINK_TYPE_WORDS[data.type]![locale];
    const ask = (register: string, t: string) =>
      w.ask.replace('{register}', () => register).replace('{type}', () => t);
    return {
      subject: w.subject,
      text: `${ask(data.register, type)}\n\n${data.link}\n\n${w.clock}\n${w.ignore}\n`,
      html: page(
        locale,
        `<p>${ask(`<strong>${escapeHtml(data.register)}</strong>`, escapeHtml(type))}</p>\n<p><a href="${escapeHtml(data.link)}">${escapeHtml(w.button)}</a></p>\n<p>${escapeHtml(w.clock)}</p>\n<p>${escapeHtml(w.ignore)}</p>`,
      ),
    };
  },
};

const requestDownloadData = z.strictObject({
  register: z.string().min(1).max(200),
  /** The portal's download page, the token in its fragment. */
  link: z.url({ protocol: /^https?$/ }).max(2000),
  /** How long the link works, in minutes. */
  minutes: z.number().int().min(1).max(1440),
});

const requestDownloadWords: Record<
  Locale,
  { subject: string; ready: string; ignore: string; button: string }
> = {
  sv: {
    subject: 'Din kopia av uppgifterna',
    ready:
      'Här är länken till kopian av dina uppgifter i registret {register}. Den fungerar en gång, i {minutes} minuter:',
    ignore: 'Om du inte bad om länken kan du låta bli att svara.',
    button: 'Ladda ner kopian',
  },
  fi: {
    subject: 'Jäljennös tiedoistasi',
    ready:
      'Tässä on linkki jäljennökseen tiedoistasi rekisterissä {register}. Se toimii kerran, {minutes} minuutin ajan:',
    ignore: 'Jos et pyytänyt linkkiä, voit jättää viestin huomiotta.',
    button: 'Lataa jäljennös',
  },
  en: {
    subject: 'Your copy of your data',
    ready:
      'Here is the link to the copy of your data in the register {register}. It works once, for {minutes} minutes:',
    ignore: 'If you did not ask for the link, you can ignore this message.',
    button: 'Download the copy',
  },
};

/** A fresh single-use link to download a completed access copy (src/modules/requests). */
export const requestDownload: MailTemplate<z.infer<typeof requestDownloadData>> = {
  data: requestDownloadData,
  render(locale, data) {
    const w = requestDownloadWords[locale];
    const ready = (register: string) =>
      w.ready.replace('{register}', () => register).replace('{minutes}', String(data.minutes));
    return {
      subject: w.subject,
      text: `${ready(data.register)}\n\n${data.link}\n\n${w.ignore}\n`,
      html: page(
        locale,
        `<p>${ready(`<strong>${escapeHtml(data.register)}</strong>`)}</p>\n<p><a href="${escapeHtml(data.link)}">${escapeHtml(w.button)}</a></p>\n<p>${escapeHtml(w.ignore)}</p>`,
      ),
    };
  },
};

/** Every template, by the name `sendMail` takes. */
const preferencesLinkData = z.strictObject({
  register: z.string().min(1).max(200),
  /** The portal's preference page, the token in its fragment. */
  link: z.url({ protocol: /^https?$/ }).max(2000),
  /** How long the link works, in minutes. */
  minutes: z.number().int().min(1).max(1440),
});

const preferencesLinkWords: Record<
  Locale,
  { subject: string; open: string; ignore: string; button: string }
> = {
  sv: {
    subject: 'Dina marknadsföringsval',
    open: 'Här är länken till dina val för marknadsföring i registret {register}. Den fungerar en gång, i {minutes} minuter:',
    ignore: 'Om du inte bett om länken kan du låta bli att öppna den; ingenting ändras.',
    button: 'Öppna mina val',
  },
  fi: {
    subject: 'Markkinointivalintasi',
    open: 'Tässä on linkki markkinointivalintoihisi rekisterissä {register}. Se toimii kerran, {minutes} minuutin ajan:',
    ignore: 'Jos et pyytänyt linkkiä, jätä se avaamatta; mikään ei muutu.',
    button: 'Avaa valintani',
  },
  en: {
    subject: 'Your marketing choices',
    open: 'Here is the link to your marketing choices in the register {register}. It works once, for {minutes} minutes:',
    ignore: 'If you did not ask for the link, leave it unopened; nothing changes.',
    button: 'Open my choices',
  },
};

export const preferencesLink: MailTemplate<z.infer<typeof preferencesLinkData>> = {
  data: preferencesLinkData,
  render(locale, data) {
    const w = preferencesLinkWords[locale];
    const open = (register: string) =>
      w.open.replace('{register}', () => register).replace('{minutes}', String(data.minutes));
    return {
      subject: w.subject,
      text: `${open(data.register)}\n\n${data.link}\n\n${w.ignore}\n`,
      html: page(
        locale,
        `<p>${open(`<strong>${escapeHtml(data.register)}</strong>`)}</p>\n<p><a href="${escapeHtml(data.link)}">${escapeHtml(w.button)}</a></p>\n<p>${escapeHtml(w.ignore)}</p>`,
      ),
    };
  },
};

const signupConfirmData = z.strictObject({
  register: z.string().min(1).max(200),
  /** The portal's confirmation page, the token in its fragment. */
  link: z.url({ protocol: /^https?$/ }).max(2000),
  /** The kinds of marketing asked for, by their labels in the mail's language. */
  kinds: z.array(z.string().min(1).max(200)).min(1).max(20),
  /** Each kind and channel asked for ("Newsletter: e-mail"), by their labels. */
  choices: z.array(z.string().min(1).max(400)).max(50).optional(),
  /** The very words shown beside the checkboxes, which the confirmation agrees to. */
  wording: z.string().min(1).max(4000).optional(),
});

const signupConfirmWords: Record<
  Locale,
  { subject: string; ask: string; ignore: string; button: string; words: string }
> = {
  sv: {
    subject: 'Bekräfta din beställning',
    ask: 'Någon (förhoppningsvis du) bad att få följande från registret {register} till den här adressen. Bekräfta genom att öppna länken (den fungerar i 24 timmar):',
    ignore: 'Om du inte bett om detta, låt bli att öppna länken: du får ingenting.',
    button: 'Bekräfta',
    words: 'Det du godkänner genom att bekräfta:',
  },
  fi: {
    subject: 'Vahvista tilauksesi',
    ask: 'Joku (toivottavasti sinä) pyysi tähän osoitteeseen seuraavaa rekisteristä {register}. Vahvista avaamalla linkki (se toimii 24 tuntia):',
    ignore: 'Jos et pyytänyt tätä, jätä linkki avaamatta: et saa mitään.',
    button: 'Vahvista',
    words: 'Vahvistamalla hyväksyt tämän:',
  },
  en: {
    subject: 'Confirm your subscription',
    ask: 'Someone (we hope you) asked for the following from the register {register} at this address. Confirm by opening the link (it works for 24 hours):',
    ignore: 'If you did not ask for this, leave the link unopened: you will get nothing.',
    button: 'Confirm',
    words: 'What you agree to by confirming:',
  },
};

export const signupConfirm: MailTemplate<z.infer<typeof signupConfirmData>> = {
  data: signupConfirmData,
  render(locale, data) {
    const w = signupConfirmWords[locale];
    const ask = (register: string) => w.ask.replace('{register}', () => register);
    const items = data.choices && data.choices.length > 0 ? data.choices : data.kinds;
    const words = data.wording === undefined ? '' : `${w.words}\n"${data.wording}"\n\n`;
    const wordsHtml =
      data.wording === undefined
        ? ''
        : `<p>${escapeHtml(w.words)}</p>\n<blockquote>${escapeHtml(data.wording)}</blockquote>\n`;
    return {
      subject: w.subject,
      text: `${ask(data.register)}\n\n${items.map((k) => `- ${k}`).join('\n')}\n\n${words}${data.link}\n\n${w.ignore}\n`,
      html: page(
        locale,
        `<p>${ask(`<strong>${escapeHtml(data.register)}</strong>`)}</p>\n<ul>${items.map((k) => `<li>${escapeHtml(k)}</li>`).join('')}</ul>\n${wordsHtml}<p><a href="${escapeHtml(data.link)}">${escapeHtml(w.button)}</a></p>\n<p>${escapeHtml(w.ignore)}</p>`,
      ),
    };
  },
};

const requestAddressChangedData = z.strictObject({
  register: z.string().min(1).max(200),
});

const requestAddressChangedWords: Record<Locale, { subject: string; body: string; ask: string }> = {
  sv: {
    subject: 'E-postadressen för din begäran ändrades',
    body: 'E-postadressen för en begäran du gjort till registret {register} har ändrats. Meddelanden om begäran skickas inte längre hit.',
    ask: 'Om du inte bad om ändringen, kontakta oss.',
  },
  fi: {
    subject: 'Pyyntösi sähköpostiosoite muutettiin',
    body: 'Rekisteriin {register} tekemäsi pyynnön sähköpostiosoite on muutettu. Pyyntöä koskevia viestejä ei enää lähetetä tähän osoitteeseen.',
    ask: 'Jos et pyytänyt muutosta, ota meihin yhteyttä.',
  },
  en: {
    subject: 'The e-mail address of your request was changed',
    body: 'The e-mail address of a request you made to the register {register} has been changed. Messages about the request are no longer sent here.',
    ask: 'If you did not ask for this change, please contact us.',
  },
};

/**
 * Tells the address a request gave before staff changed it that it was changed, nothing more
 * (neither the new address nor the request's content; src/modules/requests).
 */
export const requestAddressChanged: MailTemplate<z.infer<typeof requestAddressChangedData>> = {
  data: requestAddressChangedData,
  render(locale, data) {
    const w = requestAddressChangedWords[locale];
    const body = (register: string) => w.body.replace('{register}', () => register);
    return {
      subject: w.subject,
      text: `${body(data.register)}\n\n${w.ask}\n`,
      html: page(
        locale,
        `<p>${body(`<strong>${escapeHtml(data.register)}</strong>`)}</p>\n<p>${escapeHtml(w.ask)}</p>`,
      ),
    };
  },
};

// --- The privacy notice (src/modules/notice) ----------------------------------------------------

/** What a reader is told changed (CHANGE_KINDS of the notice; mail may not import a module). */
const NOTICE_CHANGES = ['purposes', 'bases', 'recipients', 'transfers', 'retention'] as const;

const noticeChangedData = z.strictObject({
  register: z.string().min(1).max(200),
  /** The version announced, frozen as published, in the person's language (`/{lang}/notice/versions/{n}`). */
  link: z.url({ protocol: /^https?$/ }).max(2000),
  version: z.number().int().min(1),
  date: isoDate,
  /** What changed in substance since the version people were last told of, each once. */
  changes: z
    .array(z.enum(NOTICE_CHANGES))
    .min(1)
    .max(NOTICE_CHANGES.length)
    .refine((c) => new Set(c).size === c.length, 'each change once'),
});

const noticeChangedWords: Record<
  Locale,
  {
    subject: string;
    body: string;
    what: string;
    read: string;
    why: string;
    changes: Record<(typeof NOTICE_CHANGES)[number], string>;
  }
> = {
  sv: {
    subject: 'Vi har ändrat vår dataskyddsbeskrivning',
    body: 'Dataskyddsbeskrivningen för registret {register} har ändrats i sak: version {version}, daterad {date}.',
    what: 'Det här har ändrats:',
    read: 'Läs beskrivningen som den lyder i version {version}:',
    why: 'Du får detta meddelande eftersom dina uppgifter finns i registret. Du behöver inte göra något, men du kan använda dina rättigheter så som beskrivningen anger.',
    changes: {
      purposes: 'ändamålen: vad vi använder uppgifterna till',
      bases: 'de rättsliga grunderna: varför vi får behandla uppgifterna',
      recipients:
        'mottagarna: vem vi lämnar ut uppgifterna till eller vem som behandlar dem för vår räkning',
      transfers:
        'överföringarna av uppgifter till länder utanför EU och EES och skyddsåtgärderna för dem',
      retention: 'lagringstiderna: hur länge vi sparar uppgifterna',
    },
  },
  fi: {
    subject: 'Tietosuojaselosteemme on muuttunut',
    body: 'Rekisterin {register} tietosuojaseloste on muuttunut sisällöltään: versio {version}, päivätty {date}.',
    what: 'Muuttunut:',
    read: 'Lue seloste sellaisena kuin se on versiossa {version}:',
    why: 'Saat tämän viestin, koska tietojasi on rekisterissä. Sinun ei tarvitse tehdä mitään, mutta voit käyttää oikeuksiasi selosteessa kerrotulla tavalla.',
    changes: {
      purposes: 'käyttötarkoitukset: mihin tietoja käytämme',
      bases: 'käsittelyn oikeusperusteet: millä perusteella saamme käsitellä tietoja',
      recipients:
        'vastaanottajat: kenelle luovutamme tietoja tai kuka käsittelee niitä puolestamme',
      transfers: 'tietojen siirrot EU:n ja ETA:n ulkopuolelle ja niiden suojatoimet',
      retention: 'säilytysajat: kuinka kauan säilytämme tietoja',
    },
  },
  en: {
    subject: 'We have changed our privacy notice',
    body: 'The privacy notice of the register {register} has changed in substance: version {version}, dated {date}.',
    what: 'What changed:',
    read: 'Read the notice as version {version} says it:',
    why: 'You receive this message because your data is in the register. You need not do anything, but you may use your rights as the notice describes.',
    changes: {
      purposes: 'the purposes: what we use the data for',
      bases: 'the legal bases: why we may process the data',
      recipients: 'the recipients: to whom we disclose the data, or who processes it for us',
      transfers: 'the transfers of data outside the EU and EEA, and their safeguards',
      retention: 'the retention: how long we keep the data',
    },
  },
};

/**
 * Tells a person the privacy notice changed in substance (GDPR Art. 13(3), 14(4); the
 * transparency guidelines on changes): the version, its date, in words which of the purposes,
 * legal bases, recipients, transfers and retention changed, and the link to that version as it
 * was published, in the person's language.
 */
export const noticeChanged: MailTemplate<z.infer<typeof noticeChangedData>> = {
  data: noticeChangedData,
  render(locale, data) {
    const w = noticeChangedWords[locale];
    const vars = { version: String(data.version), date: data.date };
    const body = (register: string) => fill(w.body, vars).replace('{register}', () => register);
    const read = fill(w.read, vars);
    const changes = NOTICE_CHANGES.filter((c) => data.changes.includes(c)).map((c) => w.changes[c]);
    return {
      subject: w.subject,
      text: `${body(data.register)}\n\n${w.what}\n${changes.map((c) => `- ${c}`).join('\n')}\n\n${read}\n${data.link}\n\n${w.why}\n`,
      html: page(
        locale,
        `<p>${body(`<strong>${escapeHtml(data.register)}</strong>`)}</p>\n<p>${escapeHtml(w.what)}</p>\n<ul>${changes.map((c) => `<li>${escapeHtml(c)}</li>`).join('')}</ul>\n<p>${escapeHtml(read)} <a href="${escapeHtml(data.link)}">${escapeHtml(data.link)}</a></p>\n<p>${escapeHtml(w.why)}</p>`,
      ),
    };
  },
};

export const TEMPLATES = {
  'verify-address': verifyAddress,
  'request-acknowledged': requestAcknowledged,
  'request-extended': requestExtended,
  'request-refused': requestRefused,
  'request-completed': requestCompleted,
  'restriction-lift-notice': restrictionLiftNotice,
  'requests-digest': requestsDigest,
  'request-verify': requestVerify,
  'request-address-changed': requestAddressChanged,
  'request-download': requestDownload,
  'preferences-link': preferencesLink,
  'signup-confirm': signupConfirm,
  'notice-changed': noticeChanged,
} as const;

export type TemplateName = keyof typeof TEMPLATES;
export type TemplateData<T extends TemplateName> = z.infer<(typeof TEMPLATES)[T]['data']>;

/**
 * A template rendered without sending: its data checked by the template's schema (a letter to
 * send in place of a mail uses the same words, src/modules/requests).
 */
export function renderTemplate(name: TemplateName, locale: Locale, data: unknown): Rendered {
  const t = TEMPLATES[name] as MailTemplate<unknown>;
  return t.render(locale, t.data.parse(data));
}
