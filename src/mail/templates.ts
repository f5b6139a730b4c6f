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

/** The request types a portal link may be about, in each language (mail words only). */
const REQUEST_TYPE_WORDS: Record<string, Record<Locale, string>> = {
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
  type: z.enum(Object.keys(REQUEST_TYPE_WORDS) as [string, ...string[]]),
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
    const type = REQUEST_TYPE_WORDS[data.type]![locale];
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
export const TEMPLATES = {
  'verify-address': verifyAddress,
  'request-verify': requestVerify,
  'request-download': requestDownload,
} as const;

export type TemplateName = keyof typeof TEMPLATES;
export type TemplateData<T extends TemplateName> = z.infer<(typeof TEMPLATES)[T]['data']>;
