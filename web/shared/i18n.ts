/**
 * Languages, messages and formatting for the web apps, on i18next with ICU messages
 * (i18next-icu + intl-messageformat: `{name}` arguments, `{count, plural, one {…} other {…}}`).
 *
 * The messages live per app as JSON in sv, fi and en: a small shared set here
 * (web/shared/locales: the frame, errors, legal bases), the console's in web/console/locales and
 * the portal's in web/portal/locales; each app bundles only its own and the shared ones. They use
 * the terms the law uses (registrerad / rekisteröity, personuppgiftsansvarig / rekisterinpitäjä,
 * rättslig grund / oikeusperuste, ändamål / käyttötarkoitus). Labels of categories, fields and
 * purposes come localized from the register definition instead.
 *
 * Dates, times, numbers and lists follow the locale of the chosen language (LOCALES).
 */
import i18next from 'i18next';
import type { i18n as I18next } from 'i18next';
import ICU from 'i18next-icu';
import { createElement, useCallback, useMemo } from 'react';
import type { ReactNode } from 'react';
import { I18nextProvider, useTranslation } from 'react-i18next';
import type { Localized } from './api.ts';
import sharedEn from './locales/en.json' with { type: 'json' };
import sharedFi from './locales/fi.json' with { type: 'json' };
import sharedSv from './locales/sv.json' with { type: 'json' };

export const LANGUAGES = ['sv', 'fi', 'en'] as const;
export type Lang = (typeof LANGUAGES)[number];

export const LANGUAGE_NAMES: Record<Lang, string> = {
  sv: 'Svenska',
  fi: 'Suomi',
  en: 'English',
};

/** One app's messages: the same keys in every language. */
export type Messages<K extends string = string> = Record<Lang, Record<K, string>>;

export type SharedKey = keyof typeof sharedEn;
export const sharedMessages: Messages<SharedKey> = { sv: sharedSv, fi: sharedFi, en: sharedEn };

export type Params = Record<string, string | number>;

export function isLang(v: unknown): v is Lang {
  return typeof v === 'string' && (LANGUAGES as readonly string[]).includes(v);
}

const STORAGE_KEY = 'rekisteri.lang';

function readStoredLang(): Lang | null {
  try {
    const v = localStorage.getItem(STORAGE_KEY);
    return isLang(v) ? v : null;
  } catch {
    return null;
  }
}

function storeLang(lang: Lang): void {
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // Storage may be disabled; the choice then lasts for this page only.
  }
}

/** The stored choice, else the browser's first language we speak, else English. */
export function initialLang(): Lang {
  const stored = readStoredLang();
  if (stored) {
    return stored;
  }
  const preferred = typeof navigator === 'undefined' ? [] : navigator.languages;
  for (const l of preferred) {
    const base = l.slice(0, 2).toLowerCase();
    if (isLang(base)) {
      return base;
    }
  }
  return 'en';
}

/**
 * An i18next instance for one app: the shared messages and the app's own, ICU syntax, the
 * language chosen before (or the browser's), and <html lang> kept in step with it.
 */
export function createI18n(app: Messages, lang: Lang = initialLang()): I18next {
  const instance = i18next.createInstance();
  const resources = Object.fromEntries(
    LANGUAGES.map((l) => [l, { translation: { ...sharedMessages[l], ...app[l] } }]),
  );
  void instance.use(ICU).init({
    lng: lang,
    supportedLngs: [...LANGUAGES],
    fallbackLng: 'en',
    resources,
    // Keys are flat ("audit.title"): no nesting, no namespaces in keys.
    keySeparator: false,
    nsSeparator: false,
    // React escapes what it renders.
    interpolation: { escapeValue: false },
    // Every message is bundled: ready at once, no loading state.
    initAsync: false,
    returnNull: false,
  });
  if (typeof document !== 'undefined') {
    document.documentElement.lang = lang;
    instance.on('languageChanged', (l) => {
      document.documentElement.lang = l;
    });
  }
  return instance;
}

/**
 * The locale whose conventions dates, times, numbers and lists follow in each language: Finland's
 * for Finnish and Swedish, British English for English (day before month, a 24-hour clock; never
 * the United States' 11/22/26, 12:25 AM).
 */
export const LOCALES: Record<Lang, string> = { fi: 'fi-FI', sv: 'sv-FI', en: 'en-GB' };

const ISO_DURATION = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$/;

/** Dates, numbers, durations and lists in a language's conventions. */
export interface Formatters {
  dateTime: (iso: string | null | undefined) => string;
  /** A compact date and time for tables with many columns. */
  shortDateTime: (iso: string) => string;
  date: (iso: string) => string;
  number: (n: number) => string;
  /** P2Y6M → "2 years and 6 months" in the current language. */
  duration: (iso: string) => string;
  list: (items: string[]) => string;
}

export function formatters(lang: Lang): Formatters {
  const locale = LOCALES[lang];
  const dt = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium' });
  const d = new Intl.DateTimeFormat(locale, { dateStyle: 'medium' });
  const sdt = new Intl.DateTimeFormat(locale, { dateStyle: 'short', timeStyle: 'medium' });
  const nf = new Intl.NumberFormat(locale);
  const lf = new Intl.ListFormat(locale, { style: 'long', type: 'conjunction' });
  const unit = (u: 'year' | 'month' | 'week' | 'day', n: number) =>
    new Intl.NumberFormat(locale, { style: 'unit', unit: u, unitDisplay: 'long' }).format(n);
  const parse = (iso: string) => {
    const when = new Date(iso);
    return Number.isNaN(when.getTime()) ? null : when;
  };
  return {
    dateTime: (iso) => {
      if (!iso) {
        return '—';
      }
      const when = parse(iso);
      return when ? dt.format(when) : iso;
    },
    shortDateTime: (iso) => {
      const when = parse(iso);
      return when ? sdt.format(when) : iso;
    },
    date: (iso) => {
      const when = parse(iso);
      return when ? d.format(when) : iso;
    },
    number: (n) => nf.format(n),
    duration: (iso) => {
      const m = ISO_DURATION.exec(iso);
      if (!m) {
        return iso;
      }
      const parts: string[] = [];
      const units = ['year', 'month', 'week', 'day'] as const;
      units.forEach((u, i) => {
        const n = m[i + 1];
        if (n !== undefined) {
          parts.push(unit(u, Number(n)));
        }
      });
      return parts.length > 0 ? lf.format(parts) : iso;
    },
    list: (items) => lf.format(items),
  };
}

export interface I18n<K extends string = SharedKey> extends Formatters {
  lang: Lang;
  setLang: (lang: Lang) => void;
  t: (key: K, params?: Params) => string;
  /** Whether a key has a message (for values the definition names, such as a mechanism). */
  has: (key: string) => boolean;
  /** A label from the definition in the current language. */
  loc: (label: Localized | undefined, fallback?: string) => string;
}

/** Makes an app's i18next instance available to its components. */
export function I18nProvider({ i18n, children }: { i18n: I18next; children: ReactNode }) {
  return createElement(I18nextProvider, { i18n }, children);
}

/**
 * The current language, its messages (typed by the app's keys: `useI18n<ConsoleKey>()`) and its
 * formatters. Components re-render when the language changes.
 */
export function useI18n<K extends string = SharedKey>(): I18n<K> {
  const { t: translate, i18n } = useTranslation();
  const lang: Lang = isLang(i18n.language) ? i18n.language : 'en';
  const setLang = useCallback(
    (l: Lang) => {
      storeLang(l);
      void i18n.changeLanguage(l);
    },
    [i18n],
  );
  return useMemo<I18n<K>>(
    () => ({
      ...formatters(lang),
      lang,
      setLang,
      t: (key, params) => (translate as (k: string, o?: Params) => string)(key, params),
      has: (key) => i18n.exists(key),
      loc: (label, fallback = '') => label?.[lang] || label?.en || fallback,
    }),
    // `translate` changes with the language.
    [lang, setLang, translate, i18n],
  );
}
