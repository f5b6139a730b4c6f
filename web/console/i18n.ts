/**
 * The console's messages (web/console/locales, with the shared ones) and its typed `useI18n`.
 */
import { createI18n, useI18n as useSharedI18n } from '../shared/i18n.ts';
import type { I18n as SharedI18n, Lang, Messages, SharedKey } from '../shared/i18n.ts';
import en from './locales/en.json' with { type: 'json' };
import fi from './locales/fi.json' with { type: 'json' };
import sv from './locales/sv.json' with { type: 'json' };

export type MessageKey = SharedKey | keyof typeof en;
export type I18n = SharedI18n<MessageKey>;

export const consoleMessages: Messages<keyof typeof en> = { sv, fi, en };

export function createConsoleI18n(lang?: Lang) {
  return createI18n(consoleMessages, lang);
}

export function useI18n(): I18n {
  return useSharedI18n<MessageKey>();
}
