/**
 * The portal's messages (web/portal/locales, with the shared ones) and its typed `useI18n`.
 */
import { createI18n, useI18n as useSharedI18n } from '../shared/i18n.ts';
import type { I18n as SharedI18n, Lang, Messages, SharedKey } from '../shared/i18n.ts';
import en from './locales/en.json' with { type: 'json' };
import fi from './locales/fi.json' with { type: 'json' };
import sv from './locales/sv.json' with { type: 'json' };

export type PortalKey = SharedKey | keyof typeof en;
export type I18n = SharedI18n<PortalKey>;

export const portalMessages: Messages<keyof typeof en> = { sv, fi, en };

export function createPortalI18n(lang?: Lang) {
  return createI18n(portalMessages, lang);
}

export function useI18n(): I18n {
  return useSharedI18n<PortalKey>();
}

/** Our words for a value the definition names (`mechanism.scc`), or the value itself. */
export function knownText(i18n: I18n, prefix: string, value: string): string {
  const key = `${prefix}.${value}`;
  return i18n.has(key) ? i18n.t(key as PortalKey) : value;
}
