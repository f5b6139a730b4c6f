/**
 * The web apps' messages without a browser: every key of the shared set, the console and the
 * portal exists in Swedish, Finnish and English; every message is valid ICU with the same
 * arguments in each language; plurals and dates come out in each language's conventions.
 */
import { IntlMessageFormat } from 'intl-messageformat';
import { describe, expect, it } from 'vitest';
import { consoleMessages } from '../web/console/i18n.ts';
import { knownText, portalMessages } from '../web/portal/i18n.ts';
import type { I18n as PortalI18n } from '../web/portal/i18n.ts';
import {
  LANGUAGES,
  createI18n,
  formatters,
  sharedMessages,
  type Messages,
} from '../web/shared/i18n.ts';

const SETS: Record<string, Messages> = {
  shared: sharedMessages,
  console: consoleMessages,
  portal: portalMessages,
};

interface Element {
  type: number;
  value?: string;
  options?: Record<string, { value: Element[] }>;
  children?: Element[];
}

/** The names of a message's arguments (`{name}`, `{count, plural, …}`), nested ones included. */
function argumentsOf(elements: Element[], into = new Set<string>()): Set<string> {
  for (const el of elements) {
    // 0 is literal text and 7 the `#` of a plural; every other element names an argument.
    if (el.type !== 0 && el.type !== 7 && el.value) {
      into.add(el.value);
    }
    for (const option of Object.values(el.options ?? {})) {
      argumentsOf(option.value, into);
    }
    argumentsOf(el.children ?? [], into);
  }
  return into;
}

describe.each(Object.entries(SETS))('the %s messages', (_name, messages) => {
  const keys = Object.keys(messages.en).sort();

  it('have every key in sv, fi and en and no empty message', () => {
    expect(keys.length).toBeGreaterThan(0);
    for (const lang of LANGUAGES) {
      expect(Object.keys(messages[lang]).sort(), lang).toEqual(keys);
      for (const key of keys) {
        expect(messages[lang][key]?.trim(), `${lang} ${key}`).not.toBe('');
      }
    }
  });

  it('parse as ICU messages with the same arguments in every language', () => {
    for (const key of keys) {
      const expected = [
        ...argumentsOf(new IntlMessageFormat(messages.en[key] ?? '', 'en').getAst()),
      ].sort();
      for (const lang of LANGUAGES) {
        const text = messages[lang][key] ?? '';
        let ast: Element[] = [];
        expect(() => {
          ast = new IntlMessageFormat(text, lang).getAst();
        }, `${lang} ${key}`).not.toThrow();
        expect([...argumentsOf(ast)].sort(), `${lang} ${key}`).toEqual(expected);
      }
    }
  });
});

describe('the apps’ keys', () => {
  it('do not reuse a shared key (an app would silently replace the shared message)', () => {
    const shared = new Set(Object.keys(sharedMessages.en));
    for (const app of [consoleMessages, portalMessages]) {
      expect(Object.keys(app.en).filter((k) => shared.has(k))).toEqual([]);
    }
  });
});

describe('messages through i18next', () => {
  it('pick the plural form of each language and format the number', () => {
    const t = (lang: 'sv' | 'fi' | 'en', count: number) =>
      createI18n(consoleMessages, lang).t('audit.intact', { count });
    expect(t('en', 1)).toBe('Log intact ✓ 1 sealed entry checked.');
    expect(t('en', 1234)).toBe('Log intact ✓ 1,234 sealed entries checked.');
    expect(t('fi', 1)).toBe('Loki on eheä ✓ 1 sinetöity merkintä tarkistettu.');
    expect(t('fi', 2)).toBe('Loki on eheä ✓ 2 sinetöityä merkintää tarkistettu.');
    expect(t('sv', 1)).toBe('Loggen är intakt ✓ 1 förseglad post kontrollerad.');
    expect(t('sv', 3)).toBe('Loggen är intakt ✓ 3 förseglade poster kontrollerade.');
  });

  it('fill in arguments, fall back to the value for words we do not have, and switch language', async () => {
    const i18n = createI18n(portalMessages, 'fi');
    expect(i18n.t('portal.version', { version: '2026-03' })).toBe('Määrittelyn versio: 2026-03');
    expect(i18n.t('app.language')).toBe('Kieli');
    await i18n.changeLanguage('sv');
    expect(i18n.t('portal.controller')).toBe('Personuppgiftsansvarig');
    const fake = {
      has: (k: string) => i18n.exists(k),
      t: (k: string) => i18n.t(k),
    } as unknown as PortalI18n;
    expect(knownText(fake, 'mechanism', 'scc')).toBe('Standardavtalsklausuler');
    expect(knownText(fake, 'mechanism', 'something_else')).toBe('something_else');
  });

  it('shows the key of a missing message rather than nothing', () => {
    const i18n = createI18n(consoleMessages, 'en');
    expect(i18n.t('no.such.key')).toBe('no.such.key');
  });
});

describe('dates and times', () => {
  const at = '2026-11-22T00:25:07Z';
  it('follow fi-FI, sv-FI and en-GB, never a 12-hour clock', () => {
    const hel = (lang: 'sv' | 'fi' | 'en') => formatters(lang).shortDateTime(at);
    expect(hel('en')).toMatch(/^\d{2}\/\d{2}\/\d{4},?\s+\d{2}:\d{2}:\d{2}$/);
    expect(hel('fi')).toMatch(/^\d{1,2}\.\d{1,2}\.\d{4}\s+klo\s+\d{1,2}\.\d{2}\.\d{2}$/);
    expect(hel('sv')).toMatch(/^\d{1,2}\.\d{1,2}\.\d{4}\s+\d{1,2}[.:]\d{2}[.:]\d{2}$/);
    for (const lang of LANGUAGES) {
      expect(formatters(lang).dateTime(at)).not.toMatch(/AM|PM/);
    }
    expect(formatters('en').duration('P2Y6M')).toBe('2 years and 6 months');
    expect(formatters('fi').dateTime(null)).toBe('—');
  });
});
