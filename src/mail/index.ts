/** Outgoing mail: the sender port, its outbox and templates (see docs/jobs-and-mail.md). */
import type { Executor } from '../db/transaction.ts';
import { outboxRepo } from './outbox.repo.ts';

export {
  createMailService,
  DEFAULT_OUTBOX_TTL_MS,
  DirectDeliveryError,
  onLoopback,
  type MailMessage,
  type MailService,
  type OutboxEntry,
} from './mail.service.ts';
export {
  escapeHtml,
  LOCALES,
  renderTemplate,
  TEMPLATES,
  type Locale,
  type TemplateName,
} from './templates.ts';

/**
 * Part of a person's erasure, in its transaction: removes every outbox row to them. Copies made
 * before (backups) are sealed under their key, which the erasure destroys.
 */
export const removeSubjectMail = (ex: Executor, subjectId: string): Promise<number> =>
  outboxRepo.removeForSubject(ex, subjectId);
export { mailEvents } from './events.ts';
