/** Outgoing mail: the sender port, its outbox and templates (see docs/jobs-and-mail.md). */
export {
  createMailService,
  onLoopback,
  type MailMessage,
  type MailService,
  type OutboxEntry,
} from './mail.service.ts';
export { escapeHtml, LOCALES, TEMPLATES, type Locale, type TemplateName } from './templates.ts';
