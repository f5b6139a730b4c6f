/**
 * The console's words for the actions of roles and the outcomes of access-log entries.
 */
import type { I18n, MessageKey } from './i18n.ts';

const ACTIONS = new Set([
  'read',
  'write',
  'erase',
  'export',
  'manage_staff',
  'manage_definition',
  'handle_requests',
  'export_audiences',
  'read_audit',
]);

export function actionLabel(i18n: I18n, action: string): string {
  return ACTIONS.has(action) ? i18n.t(`action.${action}` as MessageKey) : action;
}

export function outcomeLabel(i18n: I18n, outcome: string): string {
  switch (outcome) {
    case 'ok':
      return i18n.t('outcome.ok');
    case 'denied':
      return i18n.t('outcome.denied');
    case 'failed':
      return i18n.t('outcome.failed');
    default:
      return outcome;
  }
}
