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

/** Every template, by the name `sendMail` takes. */
export const TEMPLATES = {
  'verify-address': verifyAddress,
} as const;

export type TemplateName = keyof typeof TEMPLATES;
export type TemplateData<T extends TemplateName> = z.infer<(typeof TEMPLATES)[T]['data']>;
